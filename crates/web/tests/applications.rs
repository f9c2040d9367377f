//! Certificate applications through the API, and on the person's file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use anju_domain::person::Field;
use common::{Db, TestApp, contract};
use serde_json::{Value, json};

const PW: &str = "Apply-Web-Pass-2026";

/// An auditor's scope, to read the audit log.
async fn admin_scope_for_audit(app: &TestApp) -> anju_store::Scope {
    app.add_user("gu", Role::Auditor, "320000000000", Some(PW))
        .await;
    app.store.users().local_scope("gu").await.unwrap()
}

contract!(an_application_through_the_api, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    app.add_user("xw", Role::County, "320102000000", Some(PW))
        .await;
    app.add_user("cun", Role::Village, "320102002001", Some(PW))
        .await;
    let county = app.token("xw", PW).await;
    let village = app.token("cun", PW).await;
    let id = "320102198005060010";
    let rec = app
        .add_person(&[
            (Field::IdNumber, id),
            (Field::Name, "张三"),
            (Field::HouseholdCode, "320102002001"),
            (Field::Category, "肢体"),
            (Field::Grade, "三级"),
        ])
        .await;
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
    // A village worker reads applicants' numbers masked; the view is audited.
    let listed: Value = app.get_json(&village, "/api/applications").await;
    assert_eq!(listed["applications"][0]["id_number"], "3201**********0010");
    assert_eq!(r["id_number"], "3201**********0010");
    let audit = app
        .store
        .audit()
        .list(
            &admin_scope_for_audit(&app).await,
            &anju_store::AuditFilter {
                action: Some("certificate.applications_view".into()),
                per_page: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(audit.total >= 1, "the view is audited");
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
    let full: Value = app
        .get_json(&county, &format!("/api/applications/{app_id}"))
        .await;
    assert_eq!(full["steps"].as_array().unwrap().len(), 4);
    let person: Value = app
        .get_json(&county, &format!("/api/persons/{id}?reveal=1"))
        .await;
    assert_eq!(person["cert_number"], format!("{id}42"));
    // The file shows the application.
    let (b, csrf) = app.browser("xw", PW).await;
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
    // A renewal through the pages: the form offered is the step now due, errors shown in it.
    let (cun, cun_csrf) = app.browser("cun", PW).await;
    let res = cun
        .post(app.url("/certificates/applications"))
        .form(&[
            ("csrf", cun_csrf.as_str()),
            ("id_number", id),
            ("kind", "renewal"),
            ("date", "2025-11-03"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page_url = res.headers()["location"].to_str().unwrap().to_owned();
    let page = cun
        .get(app.url(&page_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("已受理") && !page.contains("办理下一步"),
        "a village worker does not assess"
    );
    let page = b
        .get(app.url(&page_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("评定机构"), "{page}");
    let res = b
        .post(app.url(&page_url))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "assess"),
            ("date", "2025-11-05"),
            ("hospital", ""),
            ("doctor", "王医生"),
            ("category", "肢体"),
            ("grade", "二级"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("请填写评定机构"));
    let res = b
        .post(app.url(&page_url))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "assess"),
            ("date", "2025-11-05"),
            ("hospital", "南京市第一医院"),
            ("doctor", "王医生"),
            ("category", "肢体"),
            ("grade", "一级"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = cun
        .get(app.url(&page_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("已评定") && page.contains("办理下一步"),
        "now the village posts the notice"
    );
    assert!(
        page.contains("评定医生：王医生") && !page.contains("医生医生"),
        "the doctor as entered, no title added"
    );
    // The home page leads to the certificate work; nothing "建设中" beside working links.
    let home = b
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("href=\"/certificates/applications\""),
        "{home}"
    );
    assert!(!home.contains("建设中"));
    let list = b
        .get(app.url("/certificates/applications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("换领") && list.contains("已评定"), "{list}");
    let cal = b
        .get(app.url("/certificates/calendar?year=2025"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(cal.contains("国庆节调休上班"));
    assert!(
        !cal.contains("anju "),
        "no page tells a user to run a command"
    );
    assert!(
        !cal.contains("恢复为普通日"),
        "only administrators edit the calendar"
    );
});

contract!(
    a_verification_campaign_through_the_pages,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        app.add_user("cun", Role::Village, "320102002001", Some(PW))
            .await;
        app.add_person(&[
            (Field::IdNumber, "320102198005060010"),
            (Field::Name, "张三"),
            (Field::HouseholdCode, "320102002001"),
            (Field::Category, "肢体"),
            (Field::Grade, "三级"),
            (Field::CertValidTo, "2031-05-01"),
        ])
        .await;
        let token = app.token("admin", common::ADMIN_PW).await;
        let c: Value = TestApp::client()
            .post(app.url("/api/verification"))
            .bearer_auth(&token)
            .json(&json!({"year": 2031}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(c["total"].as_i64(), Some(1), "{c}");
        let page_url = format!("/certificates/verification/{}", c["id"]);
        let (cun, csrf) = app.browser("cun", PW).await;
        let home = cun
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(home.contains("2031年审验核查：1 本证待核查"), "{home}");
        let page = cun
            .get(app.url(&page_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("3201**********0010") && page.contains("登记"),
            "{page}"
        );
        let item = page
            .split("/certificates/verification/items/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let res = cun
            .post(app.url(&format!("/certificates/verification/items/{item}")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("campaign", c["id"].to_string().as_str()),
                ("result", "confirmed"),
                ("note", "入户核实"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let (xw, _) = app.browser("xw", PW).await;
        let page = xw
            .get(app.url(&page_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("梅园新村街道") && page.contains("核实无误"),
            "{page}"
        );
        let export = xw
            .get(app.url(&format!("{page_url}/export")))
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), 200);
        assert_eq!(&export.bytes().await.unwrap()[..2], b"PK");
        let home = cun
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!home.contains("待核查"), "done: off the worklist");
    }
);

contract!(
    an_assessment_session_through_the_pages,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        let admin = app.store.users().local_scope("admin").await.unwrap();
        app.add_person(&[
            (Field::IdNumber, "320102198005060010"),
            (Field::Name, "张三"),
            (Field::HouseholdCode, "320102002001"),
            (Field::Category, "肢体"),
            (Field::Grade, "三级"),
        ])
        .await;
        let a = app
            .store
            .applications()
            .apply(
                &admin,
                &anju_domain::id_number::IdNumber::parse("320102198005060010").unwrap(),
                anju_domain::application::AppKind::New,
                chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
                None,
                "",
            )
            .await
            .unwrap();
        let (b, csrf) = app.browser("xw", PW).await;
        let res = b
            .post(app.url("/certificates/sessions"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("held_on", "2025-09-10"),
                ("hospital", "南京市第一医院"),
                ("doctors", "王医生"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let session = res.headers()["location"].to_str().unwrap().to_owned();
        let page = b
            .get(app.url(&session))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("排入本场次") && page.contains("张三（新办"),
            "{page}"
        );
        let res = b
            .post(app.url(&format!("{session}/applicants")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("application", a.id.to_string().as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let res = b
            .post(app.url(&format!("{session}/outcomes")))
            .form(&[
                ("csrf", csrf.as_str()),
                (format!("category_{}", a.id).as_str(), "肢体"),
                (format!("grade_{}", a.id).as_str(), "二级"),
                (format!("components_{}", a.id).as_str(), ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let (got, steps) = app.store.applications().get(&admin, a.id).await.unwrap();
        assert_eq!(got.state, anju_domain::application::AppState::Assessed);
        assert!(steps[1].detail.contains("南京市第一医院"));
    }
);

contract!(
    a_renewal_starts_from_the_file_and_the_worklist_follows_it,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        let expired = (app.store.today() - chrono::Days::new(30)).to_string();
        let rec = app
            .add_person(&[
                (Field::IdNumber, "320102198005060010"),
                (Field::Name, "张三"),
                (Field::HouseholdCode, "320102002001"),
                (Field::Category, "肢体"),
                (Field::Grade, "三级"),
                (Field::CertValidTo, expired.as_str()),
            ])
            .await;
        let xw = app.store.users().local_scope("xw").await.unwrap();
        let kinds = |w: &anju_store::Worklist| -> Vec<&'static str> {
            w.items.iter().map(|i| i.kind).collect()
        };
        assert!(kinds(&app.store.worklist(&xw).await.unwrap()).contains(&"expired"));
        let (b, _) = app.browser("xw", PW).await;
        let file = b
            .get(app.url(&format!("/persons/{}", rec.id)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(file.contains("发起换领"), "{file}");
        let csrf = common::hidden(&file, "csrf");
        let res = b
            .post(app.url("/certificates/applications"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("person", &rec.id.to_string()),
                ("kind", "renewal"),
                ("date", &app.store.today().to_string()),
                ("note", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let page_url = res.headers()["location"].to_str().unwrap().to_owned();
        // The application names every step and who acts next; the assessment form starts from
        // the holder's category and grade.
        let page = b
            .get(app.url(&page_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("张三的换领申请"), "{page}");
        for step in ["受理", "评定", "公示（5个工作日）", "县残联审核", "办结"] {
            assert!(page.contains(step), "{step}");
        }
        assert!(page.contains("aria-current=\"step\">评定"));
        assert!(page.contains("下一步：等待县残联组织评定"));
        assert!(page.contains("<option value=\"肢体\" selected>"));
        assert!(page.contains("<option value=\"三级\" selected>"));
        // The file says the renewal is under way and offers no second one.
        let file = b
            .get(app.url(&format!("/persons/{}", rec.id)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            file.contains("换领办理中") && !file.contains(">发起换领<"),
            "{file}"
        );
        // The worklist no longer calls it "尚未换领": it is counted as under way.
        let w = app.store.worklist(&xw).await.unwrap();
        assert!(!kinds(&w).contains(&"expired"), "{:?}", kinds(&w));
        let line = w.items.iter().find(|i| i.kind == "renewing").unwrap();
        assert_eq!(line.count, 1);
        // The county's per-town counts agree.
        assert!(w.towns.iter().all(|t| t.expired == 0), "{:?}", w.towns);
    }
);

contract!(a_first_application_opens_the_file, |db: Db| async move {
    // 新办 for someone without a file: the clerk is told what to add (not a 404), then the
    // file is opened with the application, with no category or grade until the assessment.
    let app = TestApp::spawn(db).await;
    app.add_user("xw", Role::County, "320102000000", Some(PW))
        .await;
    app.add_user("cun", Role::Village, "320102002001", Some(PW))
        .await;
    let (cun, csrf) = app.browser("cun", PW).await;
    let id = "320102201503070013";
    let apply = |extra: &'static [(&'static str, &'static str)]| {
        let mut form = vec![
            ("csrf", csrf.clone()),
            ("id_number", id.to_owned()),
            ("kind", "new".to_owned()),
            ("date", "2025-09-01".to_owned()),
        ];
        form.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        cun.post(app.url("/certificates/applications"))
            .form(&form)
            .send()
    };
    let res = apply(&[]).await.unwrap();
    assert_eq!(res.status(), 404);
    let page = res.text().await.unwrap();
    assert!(page.contains("无档案的新办"), "{page}");
    assert!(
        page.contains(&format!("value=\"{id}\"")),
        "the number is kept"
    );
    // A bad household is reported with the typed values kept; nothing is written.
    let res = apply(&[("name", "李小明"), ("household_code", "3201")])
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains("新建档案未能保存") && page.contains("value=\"李小明\""));
    let county = app.token("xw", PW).await;
    let missing = TestApp::client()
        .get(app.url(&format!("/api/persons/{id}")))
        .bearer_auth(&county)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let res = apply(&[
        ("name", "李小明"),
        ("household_code", "320102002001"),
        ("phone", "13912345678"),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let at = res.headers()["location"].to_str().unwrap().to_owned();
    let person: Value = app.get_json(&county, &format!("/api/persons/{id}")).await;
    assert_eq!(person["name"], "李小明");
    assert_eq!(person["category"], "未评定");
    let page = app.page(&cun, &at).await;
    assert!(page.contains("李小明的新办申请"), "{page}");
    // The file says it was opened by hand, and is not assessed yet.
    let rec = app
        .store
        .persons()
        .get(
            &app.store.users().local_scope("xw").await.unwrap(),
            &anju_domain::id_number::IdNumber::parse(id).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(rec.person.disability(), None);
    let file = app.page(&cun, &format!("/persons/{}", rec.id)).await;
    assert!(
        file.contains("未评定") && file.contains("新办办理中"),
        "{file}"
    );
    // A second 新办 for the same number is refused: one is under way.
    let res = apply(&[("name", "李小明"), ("household_code", "320102002001")])
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("办理中"));
    // The assessment gives the file its category and grade; the certificate follows.
    let steps = format!("/api{}/steps", at.trim_start_matches("/certificates"));
    let c = TestApp::client();
    let post = |token: &str, body: Value| {
        c.post(app.url(&steps))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let village = app.token("cun", PW).await;
    for (token, body) in [
        (
            &county,
            json!({"action": "assess", "date": "2025-09-10", "hospital": "南京市儿童医院", "doctor": "王医生", "category": "智力", "grade": "二级"}),
        ),
        (&village, json!({"action": "notice", "date": "2025-09-11"})),
        (
            &county,
            json!({"action": "review", "date": "2025-09-25", "approve": true}),
        ),
    ] {
        let res = post(token, body).await.unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    let person: Value = app
        .get_json(&county, &format!("/api/persons/{id}?reveal=1"))
        .await;
    assert_eq!(person["category"], "智力残疾");
    assert_eq!(person["grade"], "二级");
    assert_eq!(person["cert_number"], format!("{id}52"));

    // Through the API: `file` opens the file with a 新办; another name under a filed number
    // is refused with the file's name; `file` with another kind is refused.
    let other = "32010220160405002X";
    let api = |body: Value| {
        c.post(app.url("/api/applications"))
            .bearer_auth(&county)
            .json(&body)
            .send()
    };
    let res = api(
        json!({"id_number": other, "kind": "renewal", "date": "2025-09-01",
        "file": {"name": "王小红", "household_code": "320102002001"}}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
    let res = api(
        json!({"id_number": other, "kind": "new", "date": "2025-09-01",
        "file": {"name": "王小红", "household_code": "320102002001"}}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let r: Value = app
        .get_json(&county, &format!("/api/persons/{other}"))
        .await;
    assert_eq!(r["name"], "王小红");
    let res = api(json!({"id_number": id, "kind": "new", "date": "2025-09-01",
        "file": {"name": "张冒名", "household_code": "320102002001"}}))
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("李小明"));
    // Outside the user's subtree no file is opened.
    let res = apply(&[("name", "赵外地"), ("household_code", "320104001000")])
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("不在您的管辖范围内"));
});

contract!(
    the_person_form_opens_a_file_before_any_assessment,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        let (b, csrf) = app.browser("xw", PW).await;
        let form = app.page(&b, "/persons/new").await;
        // Only the ID number, the name and the household are required.
        for key in ["category", "grade"] {
            let at = form.find(&format!("name=\"{key}\"")).unwrap();
            let tag = &form[form[..at].rfind('<').unwrap()..at + form[at..].find('>').unwrap()];
            assert!(!tag.contains("required"), "{tag}");
        }
        let res = b
            .post(app.url("/persons"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("id_number", "320102201503070013"),
                ("name", "李小明"),
                ("household_code", "320102002001"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let file = app
            .page(&b, res.headers()["location"].to_str().unwrap())
            .await;
        assert!(file.contains("未评定"), "{file}");
        // A certificate needs its category and grade.
        let res = b
            .post(app.url("/persons"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("id_number", "32010220160405002X"),
                ("name", "王小红"),
                ("household_code", "320102002001"),
                ("cert_issued", "2024-01-01"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("持证人员须同时填写残疾类别和残疾等级")
        );
    }
);
