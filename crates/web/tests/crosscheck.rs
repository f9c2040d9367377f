//! Cross-checks through the pages: a list uploaded and classified, its rows by class (masked
//! by role) and export, the tasks confirmed once or rejected with a reason, a list without its
//! columns refused with nothing kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use anju_domain::person::Field;
use common::{Db, TestApp, contract};

const PW: &str = "Cross-Check-Pass-2026";

async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    csrf: &str,
    kind: &str,
    csv: &str,
) -> reqwest::Response {
    let f = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .text("kind", kind.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("名单.csv"),
        );
    c.post(app.url("/crosscheck"))
        .multipart(f)
        .send()
        .await
        .unwrap()
}

/// Uploads a list and follows its job: the batch's address, or the page saying why not.
async fn run_list(
    app: &TestApp,
    c: &reqwest::Client,
    csrf: &str,
    kind: &str,
    csv: &str,
) -> Result<String, String> {
    let res = upload(app, c, csrf, kind, csv).await;
    assert_eq!(res.status(), 303);
    let job = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(job.starts_with("/imports/"), "{job}");
    for _ in 0..400 {
        let r = c.get(app.url(&job)).send().await.unwrap();
        if r.status() == 303 {
            return Ok(r.headers()["location"].to_str().unwrap().to_owned());
        }
        let page = r.text().await.unwrap();
        if page.contains("导入失败") {
            return Err(page);
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the list's job did not finish");
}

contract!(a_list_through_the_pages, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    app.add_user("xw", Role::County, "320102000000", Some(PW))
        .await;
    app.add_user("zhen", Role::Town, "320102002000", Some(PW))
        .await;
    app.add_user("cun", Role::Village, "320102002001", Some(PW))
        .await;
    app.add_user("qh", Role::County, "320104000000", Some(PW))
        .await;
    let rec = app
        .add_person(&[
            (Field::IdNumber, "11010519491231002X"),
            (Field::Name, "张三"),
            (Field::Category, "肢体"),
            (Field::Grade, "二级"),
            (Field::HouseholdCode, "320102002001"),
        ])
        .await;
    let (county, csrf) = app.browser("xw", PW).await;
    let (town, tcsrf) = app.browser("zhen", PW).await;
    let (village, vcsrf) = app.browser("cun", PW).await;
    let (other, _) = app.browser("qh", PW).await;
    let list = "公民身份号码,姓名,死亡时间\n11010519491231002X,张三,2025-03-01\n,,2025-03-03\n";
    // A village worker does not run lists; a list without its columns keeps nothing.
    assert_eq!(
        upload(&app, &village, &vcsrf, "deaths", list)
            .await
            .status(),
        403
    );
    let bad = run_list(
        &app,
        &county,
        &csrf,
        "deaths",
        "身份证号,姓名\n11010519491231002X,张三\n",
    )
    .await
    .unwrap_err();
    assert!(bad.contains("文件缺少必需的列：死亡日期"), "{bad}");
    assert!(
        app.page(&county, "/crosscheck")
            .await
            .contains("还没有比对过名单")
    );
    let at = run_list(&app, &county, &csrf, "deaths", list)
        .await
        .unwrap();
    let page = app.page(&county, &at).await;
    assert!(
        page.contains("有差异：1") && page.contains("无法比对：1"),
        "{page}"
    );
    // The rows of a class, with the field and both values; masked for a village worker.
    let rows = app.page(&county, &format!("{at}?class=different")).await;
    assert!(
        rows.contains("生存状态：在世 → 死亡（2025-03-01）"),
        "{rows}"
    );
    assert!(rows.contains("11010519491231002X"));
    let vrows = app.page(&village, &format!("{at}?class=different")).await;
    assert!(vrows.contains("张三") && !vrows.contains("11010519491231002X"));
    assert_eq!(other.get(app.url(&at)).send().await.unwrap().status(), 404);
    let x = county
        .get(app.url(&format!("{at}/export.xlsx?class=different")))
        .send()
        .await
        .unwrap();
    assert_eq!(x.status(), 200);
    assert!(x.bytes().await.unwrap().starts_with(b"PK"));
    // The task: the town confirms; a second confirmation is refused; the file changes once.
    let tasks = app.page(&town, "/crosscheck/tasks").await;
    assert!(
        tasks.contains("核实死亡") && tasks.contains("确认属实"),
        "{tasks}"
    );
    assert!(
        app.page(&village, "/crosscheck/tasks")
            .await
            .contains("核实死亡")
    );
    assert!(
        !app.page(&village, "/crosscheck/tasks")
            .await
            .contains("确认属实")
    );
    let id = app
        .store
        .crosschecks()
        .tasks(
            &app.store.users().local_scope("admin").await.unwrap(),
            Some("open"),
        )
        .await
        .unwrap()[0]
        .id;
    let confirm = || {
        town.post(app.url(&format!("/crosscheck/tasks/{id}/confirm")))
            .form(&[("csrf", tcsrf.as_str())])
            .send()
    };
    assert_eq!(confirm().await.unwrap().status(), 303);
    let again = confirm().await.unwrap();
    assert_eq!(again.status(), 400);
    assert!(again.text().await.unwrap().contains("该任务已处理"));
    let file = app.page(&county, &format!("/persons/{}", rec.id)).await;
    assert!(file.contains("死亡"), "the death is on the file");
    // The list again: consistent now, no task; the batches over time list both.
    let at2 = run_list(&app, &county, &csrf, "deaths", list)
        .await
        .unwrap();
    assert!(app.page(&county, &at2).await.contains("一致：1"));
    let all = app.page(&county, "/crosscheck").await;
    assert!(all.matches("死亡人员名单").count() >= 2, "{all}");
    // A rejection needs its reason.
    let none = town
        .post(app.url(&format!("/crosscheck/tasks/{id}/reject")))
        .form(&[("csrf", tcsrf.as_str()), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 400);
    // Through the API: the batches, one with its towns, the tasks (masked for a village).
    let token = app.token("zhen", PW).await;
    let batches: serde_json::Value = app.get_json(&token, "/api/crosscheck/batches").await;
    assert_eq!(batches["batches"].as_array().unwrap().len(), 2);
    let first = batches["batches"][1]["id"].as_i64().unwrap();
    let detail: serde_json::Value = app
        .get_json(&token, &format!("/api/crosscheck/batches/{first}"))
        .await;
    assert_eq!(detail["towns"][0]["classes"]["different"], 1);
    let done: serde_json::Value = app
        .get_json(&token, "/api/crosscheck/tasks?status=confirmed")
        .await;
    assert_eq!(done["tasks"][0]["status"], "confirmed");
    assert_eq!(done["tasks"][0]["id_number"], "11010519491231002X");
    let vtoken = app.token("cun", PW).await;
    let masked: serde_json::Value = app.get_json(&vtoken, "/api/crosscheck/tasks").await;
    assert!(
        masked["tasks"][0]["id_number"]
            .as_str()
            .unwrap()
            .contains('*')
    );
    let c = TestApp::client();
    let again = c
        .post(app.url(&format!("/api/crosscheck/tasks/{id}/confirm")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    let qh = app.token("qh", PW).await;
    let foreign = c
        .post(app.url(&format!("/api/crosscheck/tasks/{id}/reject")))
        .bearer_auth(&qh)
        .json(&serde_json::json!({"reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404);
});
