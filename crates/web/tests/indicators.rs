//! Plan indicators in the pages: the leader's home, one indicator per town with its chart,
//! the people behind a count, and the targets split among towns.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use anju_domain::person::Field;
use common::{Db, TestApp, contract, hidden};

const PW: &str = "Indicator-Web-2026";

contract!(
    leaders_see_indicators_and_counties_split_tasks,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        for (id, village, grade) in [
            ("320102198005060010", "320102002001", "一级"),
            ("320102199002030013", "320102002001", "三级"),
            ("320102199901010016", "320102003001", "二级"),
        ] {
            app.add_person(&[
                (Field::IdNumber, id),
                (Field::Name, "测试"),
                (Field::HouseholdCode, village),
                (Field::Category, "肢体"),
                (Field::Grade, grade),
                (Field::CertValidTo, "2030-12-31"),
            ])
            .await;
        }
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        app.add_user("ld", Role::Leader, "320102000000", Some(PW))
            .await;
        let (county, _) = app.browser("xw", PW).await;
        // The county sets its task and two towns' shares that fall short by 13.
        // This year's tasks (the board reads the targets of the year it shows).
        let year = chrono::Datelike::year(&app.store.today()).to_string();
        let page = app.page(&county, &format!("/targets?year={year}")).await;
        let csrf = hidden(&page, "csrf");
        let form = [
            ("csrf", csrf.as_str()),
            ("year", year.as_str()),
            ("region", "320102000000"),
            ("t:320102000000:new_employment", "163"),
            ("t:320102002000:new_employment", "100"),
            ("t:320102003000:new_employment", "50"),
            ("t:320102000000:holders", "4"),
        ];
        let r = county
            .post(app.url("/targets"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let back = r.headers()["location"].to_str().unwrap().to_owned();
        let page = app.page(&county, &back).await;
        assert!(page.contains("目标任务已保存"), "{page}");
        assert!(
            page.contains("各镇（街道）任务之和比本级任务少13"),
            "{page}"
        );
        // A negative share: nothing kept, the reason shown.
        let bad = [
            ("csrf", csrf.as_str()),
            ("year", year.as_str()),
            ("region", "320102000000"),
            ("t:320102000000:holders", "9"),
            ("t:320102002000:new_employment", "-1"),
        ];
        let r = county
            .post(app.url("/targets"))
            .form(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("负数"));
        let page = app.page(&county, &format!("/targets?year={year}")).await;
        assert!(page.contains("value=\"4\""), "the holders target stays 4");

        // The leader's home: the indicators, behind schedule first, with a chart and its text.
        let (leader, _) = app.browser("ld", PW).await;
        let home = app.page(&leader, "/").await;
        assert!(home.contains("规划指标"), "{home}");
        assert!(
            home.contains("<svg class=\"chart\""),
            "a chart drawn on the server"
        );
        assert!(home.contains("<desc id=\"progress-d\">"));
        let behind = home.find("实名制新增就业人数").unwrap();
        let ahead = home.find("持证残疾人数").unwrap();
        assert!(behind < ahead, "behind schedule first");
        assert!(home.contains("暂无数据"));
        assert!(
            home.contains("<desc id=\"towns-new_employment-d\">"),
            "the towns against their tasks"
        );
        assert!(
            !home.contains("生成年末快照"),
            "the leader does not freeze years"
        );
        // A year frozen shows in the trend column.
        let admin = app.store.users().local_scope("admin").await.unwrap();
        app.store
            .indicators()
            .take_snapshot(&admin, 2025)
            .await
            .unwrap();
        let home = app.page(&leader, "/").await;
        assert!(home.contains("2025年3人"), "{home}");
        // The leader reads targets but has no form to change them.
        let t = app.page(&leader, &format!("/targets?year={year}")).await;
        assert!(!t.contains("保存目标任务"));
        let leader_csrf = hidden(&t, "csrf");
        let mut as_leader = form;
        as_leader[0] = ("csrf", leader_csrf.as_str());
        let r = leader
            .post(app.url("/targets"))
            .form(&as_leader)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // One indicator per town, and the people behind it, masked for the leader.
        let one = app.page(&leader, "/indicators/holders").await;
        assert!(
            one.contains("梅园新村街道") || one.contains("320102002000"),
            "{one}"
        );
        assert!(one.contains("历年趋势"));
        let people = app.page(&leader, "/indicators/holders/people").await;
        assert!(people.contains("3201**"), "{people}");
        assert!(!people.contains("320102198005060010"));
        let x = leader
            .get(app.url("/indicators/holders/people/export.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(&x.bytes().await.unwrap()[..2], b"PK");
        // Another county is not found.
        let r = leader
            .get(app.url("/indicators?region=320104"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);

        // The reports: a page to print on A4 and its workbook.
        let report = app
            .page(&leader, &format!("/reports?year={year}&month=1"))
            .await;
        assert!(report.contains("玄武区残疾人工作月报"), "{report}");
        assert!(report.contains("/static/report.css"));
        let css = app.page(&leader, "/static/report.css").await;
        assert!(css.contains("size: A4") && css.contains("@media print"));
        assert!(report.contains("实名制新增就业人数"));
        let x = leader
            .get(app.url(&format!("/reports/export.xlsx?year={year}")))
            .send()
            .await
            .unwrap();
        assert_eq!(x.status(), 200);
        assert_eq!(&x.bytes().await.unwrap()[..2], b"PK");
        let r = leader
            .get(app.url("/reports?year=2026&month=13"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);

        // The API answers what the command line prints.
        let token = app.token("ld", PW).await;
        let v: serde_json::Value = app.get_json(&token, "/api/indicators?region=320102").await;
        assert_eq!(v["region"], "320102000000");
        let holders = v["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == "持证残疾人数")
            .unwrap()
            .clone();
        assert_eq!(holders["value"], 3);
        assert_eq!(holders["target"], 4);
        let v: serde_json::Value = app
            .get_json(&token, "/api/indicators/holders/people?region=320102002000")
            .await;
        assert_eq!(v["total"], 2);
        assert!(v["people"][0]["id_number"].as_str().unwrap().contains('*'));
    }
);
