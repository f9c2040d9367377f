//! Employment services through the pages and the API: a posting and a registration matched
//! with their reasons, a placement from the match, the visit on the worklist, a failed
//! placement adjusted, training attendance counted; scoped and masked by role, audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use anju_domain::person::Field;
use common::{Db, TestApp, contract};
use serde_json::{Value, json};

const PW: &str = "Jobs-Page-Pass-2026";

async fn form(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    c.post(app.url(path)).form(fields).send().await.unwrap()
}

contract!(
    matching_placement_and_training_through_the_pages,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        app.add_user("zhen", Role::Town, "320102002000", Some(PW))
            .await;
        app.add_user("cun", Role::Village, "320102002001", Some(PW))
            .await;
        app.add_user("qh", Role::Town, "320104002000", Some(PW))
            .await;
        let rec = app
            .add_person(&[
                (Field::IdNumber, "320102199002030013"),
                (Field::Name, "王五"),
                (Field::Category, "肢体"),
                (Field::Grade, "三级"),
                (Field::HouseholdCode, "320102002001"),
            ])
            .await;
        let key = rec.id.to_string();
        let (village, vcsrf) = app.browser("cun", PW).await;
        let (town, tcsrf) = app.browser("zhen", PW).await;
        let (other, _) = app.browser("qh", PW).await;

        // The village worker registers the person on the file.
        let file = app.page(&village, &format!("/persons/{key}")).await;
        assert!(file.contains("就业服务") && file.contains("未作就业需求登记"));
        let res = form(
            &app,
            &village,
            &format!("/persons/{key}/job-seeker"),
            &[
                ("csrf", &vcsrf),
                ("wanted", "客服、收银"),
                ("skills", "电脑操作"),
                ("region_code", "320102"),
                ("hours", "全日制"),
                ("min_wage", "2500"),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        // A bad registration: refused in Chinese, naming the field.
        let res = form(
            &app,
            &village,
            &format!("/persons/{key}/job-seeker"),
            &[("csrf", &vcsrf), ("wanted", ""), ("region_code", "999")],
        )
        .await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("意向岗位"));
        // The village worker cannot post.
        let posting = [
            ("csrf", tcsrf.as_str()),
            ("employer_name", "玄武某科技公司"),
            ("post", "电话客服"),
            ("openings", "1"),
            ("wage", "3200"),
            ("region_code", "320102002000"),
            ("hours", "均可"),
            ("skills", "电脑操作"),
            ("categories", "肢体"),
            ("accessible", "是"),
        ];
        let mut as_village = posting.to_vec();
        as_village[0] = ("csrf", vcsrf.as_str());
        assert_eq!(
            form(&app, &village, "/jobs/postings", &as_village)
                .await
                .status(),
            403
        );
        let res = form(&app, &town, "/jobs/postings", &posting).await;
        assert_eq!(res.status(), 303);
        let at = res.headers()["location"].to_str().unwrap().to_owned();
        let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
        // Another district's town does not see it.
        assert_eq!(other.get(app.url(&at)).send().await.unwrap().status(), 404);
        assert!(!app.page(&other, "/jobs").await.contains("电话客服"));

        // The posting's page lists the seeker with the reasons; the village sees masked numbers.
        let page = app.page(&town, &at).await;
        assert!(
            page.contains("王五") && page.contains("意向岗位相符：客服"),
            "{page}"
        );
        assert!(
            page.contains("320102199002030013"),
            "a town sees the number whole"
        );
        let page = app.page(&village, &format!("/jobs/seekers/{key}")).await;
        assert!(
            page.contains("电话客服") && page.contains("技能相符：电脑操作"),
            "{page}"
        );
        assert!(page.contains("工作地点与户籍同镇（街道）"));
        assert!(
            !page.contains("安置到此岗位"),
            "a village worker does not place"
        );
        let list = app.page(&village, "/jobs/seekers").await;
        assert!(list.contains("王五") && !list.contains("320102199002030013"));
        assert!(
            list.contains("1个（最高"),
            "the list counts the postings that fit: {list}"
        );

        // The town places from the match: the file shows the placement and the visits.
        let page = app.page(&town, &format!("/jobs/seekers/{key}")).await;
        assert!(page.contains("安置到此岗位"));
        let today = app.store.today();
        let res = form(
            &app,
            &town,
            &format!("/persons/{key}/placements"),
            &[
                ("csrf", &tcsrf),
                ("posting_id", &id.to_string()),
                ("form", "按比例"),
                ("date", &today.to_string()),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        let file = app.page(&town, &format!("/persons/{key}")).await;
        assert!(
            file.contains("玄武某科技公司 电话客服") && file.contains("第1次"),
            "{file}"
        );
        assert!(file.contains("按比例"), "the employment status is recorded");
        // Full: the posting no longer lists seekers to place, the seeker no longer matches it.
        assert!(
            !app.page(&town, &format!("/jobs/seekers/{key}"))
                .await
                .contains("电话客服")
        );

        // Through the API: the chain, and a visit recorded (once).
        let token = app.token("cun", PW).await;
        let c = TestApp::client();
        let v: Value = app
            .get_json(&token, "/api/persons/320102199002030013/job-seeker")
            .await;
        assert_eq!(v["seeker"]["status"], "placed");
        let placement = v["chain"]["placements"][0]["id"].as_i64().unwrap();
        assert_eq!(
            v["chain"]["placements"][0]["visits"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        let visit = |no: i64| {
            c.post(app.url(&format!("/api/job-placements/{placement}/visits")))
                .bearer_auth(&token)
                .json(&json!({"no": no, "date": today.to_string(), "note": "稳定"}))
                .send()
        };
        assert_eq!(visit(1).await.unwrap().status(), 200);
        let again = visit(1).await.unwrap();
        assert_eq!(again.status(), 400);
        assert!(again.text().await.unwrap().contains("已登记"));

        // The placement fails: adjusted on the file, the person seeks again.
        let res = form(
            &app,
            &town,
            &format!("/jobs/placements/{placement}/fail"),
            &[
                ("csrf", &tcsrf),
                ("date", &today.to_string()),
                ("reason", "岗位不适应"),
                ("means", "家庭供养"),
                ("back", "//evil.example/"),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            res.headers()["location"],
            "/jobs/visits",
            "no redirect off the site"
        );
        let file = app.page(&village, &format!("/persons/{key}")).await;
        assert!(
            file.contains("调整安置") && file.contains("岗位不适应"),
            "{file}"
        );
        assert!(file.contains("求职中"));

        // Training: the town adds a course, the village records attendance, the count follows.
        let year = chrono::Datelike::year(&today).to_string();
        let res = form(
            &app,
            &town,
            "/training",
            &[
                ("csrf", &tcsrf),
                ("name", "电子商务"),
                ("kind", "创业培训"),
                ("provider", "玄武区职业培训中心"),
                ("region_code", "320102002000"),
                ("starts_on", &format!("{year}-01-01")),
                ("ends_on", &today.to_string()),
                ("hours", "40"),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        let course = res.headers()["location"].to_str().unwrap().to_owned();
        let res = form(
            &app,
            &village,
            &format!("{course}/attendance"),
            &[
                ("csrf", &vcsrf),
                ("id_number", "320102199002030013"),
                ("hours", "41"),
                ("completed", "是"),
            ],
        )
        .await;
        assert_eq!(res.status(), 400, "more hours than the course has");
        let res = form(
            &app,
            &village,
            &format!("{course}/attendance"),
            &[
                ("csrf", &vcsrf),
                ("id_number", "320102199002030013"),
                ("hours", "40"),
                ("completed", "是"),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        let page = app.page(&town, &format!("/training?year={year}")).await;
        assert!(page.contains(&format!("{year}年培训结业1人")), "{page}");
        let courses: Value = app
            .get_json(&token, &format!("/api/training-courses?year={year}"))
            .await;
        assert_eq!(courses["trained"][0]["people"], 1);
        assert_eq!(courses["courses"][0]["completed"], 1);
        // The export is a workbook and leaves an audit record.
        let res = town
            .get(app.url(&format!("/training/export.xlsx?year={year}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.bytes().await.unwrap().starts_with(b"PK"));
        app.add_user("gu", Role::Auditor, "320000000000", Some(PW))
            .await;
        let auditor = app.store.users().local_scope("gu").await.unwrap();
        for action in [
            "person.job_seeker",
            "jobs.post",
            "jobs.matches",
            "person.job_placed",
            "person.job_visit",
            "person.job_failed",
            "person.training",
            "training.export",
        ] {
            let page = app
                .store
                .audit()
                .list(
                    &auditor,
                    &anju_store::AuditFilter {
                        action: Some(action.into()),
                        per_page: 50,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert!(page.total >= 1, "{action} is audited");
        }
    }
);
