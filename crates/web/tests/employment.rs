//! Employment through the pages and the API: the levy's sheets uploaded, the year's list, an
//! employer's figures explained, the export, a year refused while faults remain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use common::{Db, TestApp, contract};
use serde_json::Value;

const PW: &str = "Levy-Page-Pass-2026";

async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    csrf: &str,
    sheet: &str,
    year: Option<&str>,
    csv: &str,
) -> String {
    let mut f = reqwest::multipart::Form::new().text("csrf", csrf.to_owned());
    if let Some(y) = year {
        f = f.text("data_year", y.to_owned());
    }
    let f = f.part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("表.csv"),
    );
    let res = c
        .post(app.url(&format!("/levy/import/{sheet}")))
        .multipart(f)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let job = res.headers()["location"].to_str().unwrap().to_owned();
    common::finished_job(app, c, &job).await
}

contract!(the_levy_through_the_pages, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    app.add_user("xw", Role::County, "320102000000", Some(PW))
        .await;
    app.add_user("zhen", Role::Town, "320102002000", Some(PW))
        .await;
    let (b, csrf) = app.browser("xw", PW).await;
    let home = app.page(&b, "/").await;
    assert!(home.contains("就业保障金"), "the county's navigation");
    let (town, _) = app.browser("zhen", PW).await;
    assert!(!app.page(&town, "/").await.contains("就业保障金"));
    upload(
        &app,
        &b,
        &csrf,
        "params",
        None,
        "区划代码,年度,安排比例,上年社会平均工资\n320102000000,2025,1.5,100000\n",
    )
    .await;
    upload(
        &app,
        &b,
        &csrf,
        "employers",
        Some("2024"),
        "统一社会信用代码,单位名称,单位类型,所属区划代码,上年在职职工年平均人数,上年在职职工工资总额\n\
         91350100M000100Y43,甲公司,企业,320102000000,200,12000000.00\n\
         113201020000000197,乙局,机关,320102000000,40,10000000\n",
    )
    .await;
    // A staff sheet with an unknown employer: the year is refused, the row named.
    let bad = "统一社会信用代码,身份证号,残疾等级,在岗月数,劳动合同一年以上,工资不低于最低工资,足额缴纳社会保险\n\
               91350100M000100Y43,320102198005060010,三级,7,是,是,是\n\
               52320102000000035M,320102198005060010,一级,12,是,是,是\n";
    let report = upload(&app, &b, &csrf, "staff", Some("2024"), bad).await;
    assert!(report.contains("未导入2024年度的单位数据"), "{report}");
    let page = app.page(&b, "/levy?year=2025").await;
    assert!(page.contains("残疾职工表第3行"), "{page}");
    let good = "统一社会信用代码,身份证号,残疾等级,在岗月数,劳动合同一年以上,工资不低于最低工资,足额缴纳社会保险\n\
                91350100M000100Y43,320102198005060010,三级,7,是,是,是\n\
                113201020000000197,320102198005060010,一级,12,是,是,是\n";
    upload(&app, &b, &csrf, "staff", Some("2024"), good).await;
    let page = app.page(&b, "/levy?year=2025").await;
    assert!(
        page.contains("甲公司") && page.contains("实缴合计130500.00元"),
        "{page}"
    );
    let one = app
        .page(&b, "/levy/employers/91350100M000100Y43?year=2025")
        .await;
    assert!(
        one.contains("0.58333333333333333333") && one.contains("按应缴额的90%缴纳"),
        "{one}"
    );
    // 乙局 counts 2 against 0.6 required: rewarded at 4 × 2,490.00 × 2.
    assert!(page.contains("19920.00（4倍月最低工资）"), "{page}");
    let res = b
        .get(app.url("/levy/rewards.xlsx?year=2025"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"PK"));
    let res = b
        .get(app.url("/levy/export.xlsx?year=2025"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"PK"));
    // The API gives the same, and a town is refused.
    let token = app.token("xw", PW).await;
    let v: Value = app.get_json(&token, "/api/levy?year=2025").await;
    assert_eq!(v["total_fen"].as_i64(), Some(13_050_000), "{v}");
    let jia = v["employers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["credit_code"] == "91350100M000100Y43")
        .unwrap();
    assert_eq!(jia["shortfall"], "2.41666666666666666667");
    assert_eq!(
        town.get(app.url("/levy")).send().await.unwrap().status(),
        403
    );
});

contract!(
    employment_on_the_file_and_the_year_list,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("cun", Role::Village, "320102002001", Some(PW))
            .await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        let p = app
            .add_person(&[
                (anju_domain::person::Field::IdNumber, "320102198005060010"),
                (anju_domain::person::Field::Name, "张三"),
                (anju_domain::person::Field::HouseholdCode, "320102002001"),
            ])
            .await;
        let (v, vcsrf) = app.browser("cun", PW).await;
        let post =
            |form: &'static str, since: &'static str, extra: &[(&'static str, &'static str)]| {
                let mut f = vec![
                    ("csrf", vcsrf.clone()),
                    ("form", form.to_owned()),
                    ("since", since.to_owned()),
                ];
                f.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
                v.post(app.url(&format!("/persons/{}/employment", p.id)))
                    .form(&f)
                    .send()
            };
        // 未就业 without its reason is refused; with it, kept.
        let res = post("未就业", "2024-01-01", &[]).await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("未就业原因"));
        let res = post(
            "未就业",
            "2024-01-01",
            &[("reason", "照顾家庭"), ("means", "低保")],
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 303);
        let res = post("按比例", "2025-03-01", &[("employer_name", "甲公司")])
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let file = app.page(&v, &format!("/persons/{}", p.id)).await;
        assert!(
            file.contains("就业情况") && file.contains("甲公司") && file.contains("照顾家庭"),
            "{file}"
        );
        let (c, _) = app.browser("xw", PW).await;
        let list = app.page(&c, "/employment?year=2025").await;
        assert!(
            list.contains("新增就业1人") && list.contains("张三") && list.contains("2025-03-01"),
            "{list}"
        );
        let res = c
            .get(app.url("/employment/export.xlsx?year=2025"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.bytes().await.unwrap().starts_with(b"PK"));
        assert!(
            app.page(&c, "/employment?year=2024")
                .await
                .contains("新增就业0人")
        );
        // The same through the API.
        let token = app.token("xw", PW).await;
        let api = reqwest::Client::new();
        let res = api
            .post(app.url("/api/persons/320102198005060010/employment"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"form": "未就业", "since": "2025-10-01"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let res = api
            .post(app.url("/api/persons/320102198005060010/employment"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"form": "flexible", "since": "2025-10-01"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let v: Value = app
            .get_json(&token, "/api/persons/320102198005060010/employment")
            .await;
        assert_eq!(v["statuses"].as_array().unwrap().len(), 3, "{v}");
        assert_eq!(v["statuses"][0]["form"], "flexible");
    }
);
