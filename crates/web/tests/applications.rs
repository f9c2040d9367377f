//! Certificate applications through the API, and on the person's file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use common::{Db, TestApp, contract};
use serde_json::{Value, json};

const PW: &str = "Apply-Web-Pass-2026";

contract!(an_application_through_the_api, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    app.add_user("xw", Role::County, "320102000000", Some(PW))
        .await;
    app.add_user("cun", Role::Village, "320102002001", Some(PW))
        .await;
    let county = app.token("xw", PW).await;
    let village = app.token("cun", PW).await;
    let id = "320102198005060010";
    let admin = app.store.users().local_scope("admin").await.unwrap();
    let mut i = anju_domain::person::PersonInput::default();
    use anju_domain::person::Field;
    i.set(Field::IdNumber, id);
    i.set(Field::Name, "张三");
    i.set(Field::HouseholdCode, "320102002001");
    i.set(Field::Category, "肢体");
    i.set(Field::Grade, "三级");
    let p = anju_domain::person::validate(&i, anju_domain::RegionTable::jiangsu()).unwrap();
    let rec = app
        .store
        .persons()
        .create(&admin, p, anju_store::Source::Web)
        .await
        .unwrap();
    let c = TestApp::client();
    let post = |token: &str, path: &str, body: Value| {
        c.post(app.url(path)).bearer_auth(token).json(&body).send()
    };
    let r: Value = post(
        &village,
        "/api/applications",
        json!({"id_number": id, "kind": "新办", "date": "2025-09-01"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let app_id = r["id"].as_i64().unwrap();
    assert_eq!(r["state"], "applied");
    let steps = format!("/api/applications/{app_id}/steps");
    let assess = json!({"action": "assess", "date": "2025-09-10", "hospital": "南京市第一医院", "doctor": "王医生", "category": "肢体", "grade": "二级"});
    let res = post(&village, &steps, assess.clone()).await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("角色"));
    assert_eq!(post(&county, &steps, assess).await.unwrap().status(), 200);
    assert_eq!(
        post(
            &village,
            &steps,
            json!({"action": "notice", "date": "2025-09-26"})
        )
        .await
        .unwrap()
        .status(),
        200
    );
    let res = post(
        &county,
        &steps,
        json!({"action": "review", "date": "2025-10-09", "approve": true}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 400, "the notice runs to the 9th");
    let r: Value = post(
        &county,
        &steps,
        json!({"action": "review", "date": "2025-10-10", "approve": true}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(r["state"], "issued");
    let full: Value = c
        .get(app.url(&format!("/api/applications/{app_id}")))
        .bearer_auth(&county)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(full["steps"].as_array().unwrap().len(), 4);
    let person: Value = c
        .get(app.url(&format!("/api/persons/{id}?reveal=1")))
        .bearer_auth(&county)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(person["cert_number"], format!("{id}42"));
    // The file shows the application.
    let (b, _) = app.browser("xw", PW).await;
    let page = b
        .get(app.url(&format!("/persons/{}", rec.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("残疾人证办理") && page.contains("已办结（发证）"),
        "{page}"
    );
});
