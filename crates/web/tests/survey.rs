//! The annual survey through the pages and the API: a year opened, a form prefilled from the
//! file with its contradictions shown, saved once (a second worker told), progress and the
//! town's check, the export, and the answers side by side on the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use anju_domain::person::Field;
use common::{Db, TestApp, contract, hidden};
use serde_json::{Value, json};

const PW: &str = "Survey-Page-Pass-2026";

contract!(
    the_annual_survey_through_the_pages_and_the_api,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        app.add_user("zhen", Role::Town, "320102002000", Some(PW))
            .await;
        app.add_user("cun", Role::Village, "320102002001", Some(PW))
            .await;
        app.add_user("cun2", Role::Village, "320102002001", Some(PW))
            .await;
        app.add_user("qh", Role::Town, "320104002000", Some(PW))
            .await;
        let rec = app
            .add_person(&[
                (Field::IdNumber, "320102199002030013"),
                (Field::Name, "王五"),
                (Field::Category, "肢体"),
                (Field::Grade, "二级"),
                (Field::CertValidTo, "2031-05-01"),
                (Field::HouseholdCode, "320102002001"),
            ])
            .await;
        let key = rec.id.to_string();
        let year = chrono::Datelike::year(&app.store.today()).to_string();
        let (admin, acsrf) = app.browser("admin", common::ADMIN_PW).await;
        let (village, vcsrf) = app.browser("cun", PW).await;
        let (village2, v2csrf) = app.browser("cun2", PW).await;
        let (town, tcsrf) = app.browser("zhen", PW).await;
        let (other, _) = app.browser("qh", PW).await;
        let form_path = format!("/survey/{year}/persons/{key}");

        // Not before the administrator opens the year.
        let res = village.get(app.url(&form_path)).send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("尚未对此人所在地区开启"));
        let res = admin
            .post(app.url("/survey"))
            .form(&[
                ("csrf", acsrf.as_str()),
                ("year", year.as_str()),
                ("region", "320102"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);

        // The form by the national sections, prefilled; two workers open it.
        let page = app.page(&village, &form_path).await;
        assert!(page.contains("社会保障") && page.contains("需求") && page.contains("尚未填报"));
        assert_eq!(hidden(&page, "version"), "0");
        let page2 = app.page(&village2, &form_path).await;
        assert_eq!(hidden(&page2, "version"), "0");
        let res = village
            .post(app.url(&form_path))
            .form(&[
                ("csrf", vcsrf.as_str()),
                ("version", "0"),
                ("q_housing", "租住"),
                ("q_dibao", "是"),
                ("q_needs", "康复服务"),
                ("q_needs", "辅助器具适配"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(
            res.headers()["location"],
            format!("{form_path}?saved=1").as_str()
        );
        let saved = app.page(&village, &format!("{form_path}?saved=1")).await;
        assert!(saved.contains("已保存"));
        // 低保 is not on the file: the contradiction is shown to resolve.
        assert!(saved.contains("享受低保：填报“是”，档案为“否”"), "{saved}");
        // The second worker's save over it: told, nothing overwritten.
        let res = village2
            .post(app.url(&form_path))
            .form(&[
                ("csrf", v2csrf.as_str()),
                ("version", "0"),
                ("q_housing", "借住"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("已由cun修改"));
        // A bad answer: refused by question.
        let res = village
            .post(app.url(&form_path))
            .form(&[
                ("csrf", vcsrf.as_str()),
                ("version", "1"),
                ("q_housing", "船屋"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("住房类型"));
        // Another town's staff cannot open it.
        assert_eq!(
            other
                .get(app.url(&form_path))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );

        // Progress for the town; the village's forms accepted.
        let p = app.page(&town, &format!("/survey?year={year}")).await;
        assert!(p.contains("持证残疾人1人，已填报1人，已审核0人"), "{p}");
        let res = town
            .post(app.url(&format!("/survey/{year}/villages/320102002001/check")))
            .form(&[("csrf", tcsrf.as_str()), ("decision", "accept")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert!(
            app.page(&town, &format!("/survey?year={year}"))
                .await
                .contains("已审核1人")
        );
        // The county sees its towns, and looks into one to check its villages.
        let (county, _) = app.browser("xw", PW).await;
        let c = app.page(&county, &format!("/survey?year={year}")).await;
        assert!(
            c.contains(&format!("/survey?year={year}&amp;region=320102002000")),
            "{c}"
        );
        let c = app
            .page(&county, &format!("/survey?year={year}&region=320102002000"))
            .await;
        assert!(c.contains("返回本级") && c.contains("/villages/320102002001/check"));
        assert_eq!(
            county
                .get(app.url(&format!("/survey?year={year}&region=320104002000")))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        let x = town
            .get(app.url(&format!("/survey/{year}/export.xlsx")))
            .send()
            .await
            .unwrap();
        assert_eq!(x.status(), 200);
        assert_eq!(
            town.get(app.url("/survey/template.xlsx"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        // Forms filled elsewhere, imported through the page: the report names the bad row.
        let p = app.page(&town, &format!("/survey?year={year}")).await;
        assert!(p.contains("可识别的列：身份证号、居住情况"));
        let csv = "身份证号,姓名,住房类型,需求\n320102199002030013,王五,借住,康复服务、辅助器具适配\n320102199901010016,赵六,租住,\n";
        let f = reqwest::multipart::Form::new()
            .text("csrf", tcsrf.clone())
            .text("data_year", year.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("调查表.csv"),
            );
        let res = town
            .post(app.url("/survey/import"))
            .multipart(f)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let job = res.headers()["location"].to_str().unwrap().to_owned();
        let report = common::finished_job(&app, &town, &job).await;
        assert!(report.contains("您的管辖范围内没有此人的档案"), "{report}");
        assert_eq!(
            app.page(&town, &form_path)
                .await
                .matches("value=\"借住\" checked")
                .count(),
            1,
            "the good row kept"
        );
        // The file shows the answers by year.
        let file = app.page(&town, &format!("/persons/{key}")).await;
        assert!(file.contains("历年调查回答") && file.contains("康复服务、辅助器具适配"));

        // The API: the form with its version (the import made it 2), saved by the town.
        let tok = app.token("zhen", PW).await;
        let f: Value = app
            .get_json(
                &tok,
                &format!("/api/persons/320102199002030013/survey/{year}"),
            )
            .await;
        assert_eq!(
            (f["status"].clone(), f["version"].clone()),
            (json!("submitted"), json!(2))
        );
        let res = TestApp::client()
            .post(app.url(&format!("/api/persons/320102199002030013/survey/{year}")))
            .bearer_auth(&tok)
            .json(&json!({"answers": {"住房类型": "自有住房", "需求": "康复服务"}, "version": 2}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let f: Value = res.json().await.unwrap();
        assert_eq!(
            (f["version"].clone(), f["answers"]["housing"].clone()),
            (json!(3), json!("自有住房"))
        );
        let p: Value = app
            .get_json(&tok, &format!("/api/survey/{year}/progress"))
            .await;
        assert_eq!(p["regions"][0]["filled"], 1);
    }
);
