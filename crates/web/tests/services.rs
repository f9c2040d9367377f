//! Services through the pages: programmes, who one could serve, opening a case from the file
//! (refused with its conditions explained, opened on a diagnosis), its steps, and the list.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use anju_domain::person::Field;
use common::{Db, TestApp, contract, hidden};

const PW: &str = "Services-Web-Pass-2026";

contract!(a_case_from_the_file_to_its_steps, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    app.add_user("xw", Role::County, "320102000000", Some(PW))
        .await;
    app.add_user("cun", Role::Village, "320102002001", Some(PW))
        .await;
    let adult = app
        .add_person(&[
            (Field::IdNumber, "320102198005060010"),
            (Field::Name, "张三"),
            (Field::HouseholdCode, "320102002001"),
            (Field::Category, "肢体"),
            (Field::Grade, "二级"),
            (Field::CertValidTo, "2030-12-31"),
        ])
        .await;
    let child = app
        .add_person(&[
            (Field::IdNumber, "320102202103070019"),
            (Field::Name, "李小明"),
            (Field::HouseholdCode, "320102002001"),
        ])
        .await;
    let (county, csrf) = app.browser("xw", PW).await;
    let (village, vcsrf) = app.browser("cun", PW).await;
    let list = app.page(&county, "/programmes").await;
    assert!(list.contains("残疾儿童康复救助") && list.contains("心理疏导"));
    let rehab = app
        .store
        .programmes()
        .get(
            &app.store.users().local_scope("xw").await.unwrap(),
            "成人社区康复",
        )
        .await
        .unwrap();
    let page = app
        .page(
            &county,
            &format!("/programmes/{}?date=2025-09-01", rehab.id),
        )
        .await;
    assert!(
        page.contains("符合条件1人") && page.contains("张三"),
        "{page}"
    );
    let res = county
        .get(app.url(&format!(
            "/programmes/{}/eligible.xlsx?date=2025-09-01",
            rehab.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"PK"), "an XLSX");
    let file = app.page(&county, &format!("/persons/{}", adult.id)).await;
    assert!(
        file.contains("服务个案") && file.contains("受理服务"),
        "{file}"
    );

    // The child has neither certificate nor diagnosis: refused, each condition explained; a
    // county is offered the override, a village worker is not.
    let open = |c: &reqwest::Client, token: &str, extra: &[(&str, &str)]| {
        let mut form = vec![
            ("csrf", token.to_owned()),
            ("programme", "残疾儿童康复救助".to_owned()),
            ("date", "2025-09-01".to_owned()),
        ];
        form.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        c.post(app.url(&format!("/persons/{}/cases", child.id)))
            .form(&form)
            .send()
    };
    let res = open(&village, &vcsrf, &[]).await.unwrap();
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("资格条件逐项核对") && page.contains("不符合"),
        "{page}"
    );
    assert!(!page.contains("填写理由后受理"));
    let page = open(&county, &csrf, &[])
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("填写理由后受理"), "{page}");
    // A diagnosis in the future is refused; one on record opens the case.
    let diagnose = |date: &'static str| {
        village
            .post(app.url(&format!("/persons/{}/diagnoses", child.id)))
            .form(&[
                ("csrf", vcsrf.as_str()),
                ("name", "孤独症"),
                ("hospital", "南京市儿童医院"),
                ("date", date),
            ])
            .send()
    };
    assert_eq!(diagnose("2099-01-01").await.unwrap().status(), 400);
    assert_eq!(diagnose("2024-05-01").await.unwrap().status(), 303);
    let res = open(&village, &vcsrf, &[]).await.unwrap();
    assert_eq!(res.status(), 303);
    let at = res.headers()["location"].to_str().unwrap().to_owned();
    let page = app.page(&village, &at).await;
    assert!(
        page.contains("办理：申请") && page.contains("申请表"),
        "{page}"
    );
    assert!(page.contains("符合：有诊断：孤独症"), "{page}");
    let version = hidden(&page, "version");
    let step = |c: &reqwest::Client, token: &str, version: &str, fields: &[(&str, &str)]| {
        let mut form = vec![
            ("csrf", token.to_owned()),
            ("version", version.to_owned()),
            ("action", "step".to_owned()),
            ("date", "2025-09-02".to_owned()),
        ];
        form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        c.post(app.url(&at)).form(&form).send()
    };
    let res = step(&village, &vcsrf, &version, &[("f0", "已收")])
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("请填写“诊断证明”"));
    let res = step(
        &village,
        &vcsrf,
        &version,
        &[("f0", "已收"), ("f1", "已收")],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    // The same form sent again (another user on the same step) is refused.
    let res = step(&county, &csrf, &version, &[("f0", "已收"), ("f1", "已收")])
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("他人"));
    let page = app.page(&village, &at).await;
    assert!(
        page.contains("待审核（县（区）残联）") && !page.contains("完成此步骤"),
        "{page}"
    );
    // The county refuses it with a reason; the list and its export show it.
    let page = app.page(&county, &at).await;
    let version = hidden(&page, "version");
    let res = county
        .post(app.url(&at))
        .form(&[
            ("csrf", csrf.as_str()),
            ("version", version.as_str()),
            ("action", "refuse"),
            ("date", "2025-09-03"),
            ("reason", "家长放弃"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let list = app.page(&county, "/cases?state=refused").await;
    assert!(
        list.contains("李小明") && list.contains("家长放弃"),
        "{list}"
    );
    let res = county
        .get(app.url("/cases/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let file = app.page(&county, &format!("/persons/{}", child.id)).await;
    assert!(
        file.contains("残疾儿童康复救助") && file.contains("孤独症（南京市儿童医院，2024-05-01）")
    );
});

contract!(cases_through_the_api, |db: Db| async move {
    use serde_json::{Value, json};
    let app = TestApp::spawn(db).await;
    app.add_user("xw", Role::County, "320102000000", Some(PW))
        .await;
    app.add_user("cun", Role::Village, "320102002001", Some(PW))
        .await;
    app.add_user("gl", Role::County, "320104000000", Some(PW))
        .await;
    app.add_person(&[
        (Field::IdNumber, "320102202103070019"),
        (Field::Name, "李小明"),
        (Field::HouseholdCode, "320102002001"),
    ])
    .await;
    let county = app.token("xw", PW).await;
    let village = app.token("cun", PW).await;
    let other = app.token("gl", PW).await;
    let c = TestApp::client();
    let post = |token: &str, path: &str, body: Value| {
        c.post(app.url(path)).bearer_auth(token).json(&body).send()
    };
    let list: Value = app.get_json(&village, "/api/programmes").await;
    let programmes = list["programmes"].as_array().unwrap();
    assert_eq!(programmes.len(), 14);
    let rehab = programmes
        .iter()
        .find(|p| p["name"] == "残疾儿童康复救助")
        .unwrap();
    assert_eq!(rehab["steps"][0]["actor"], "village");
    let id = rehab["id"].as_i64().unwrap();
    // Not eligible without a diagnosis: the 400 says which condition fails.
    let open = json!({"id_number": "320102202103070019", "programme": "残疾儿童康复救助", "date": "2025-09-01"});
    let res = post(&village, "/api/cases", open.clone()).await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("不符合"));
    let res = post(
        &village,
        "/api/persons/320102202103070019/diagnoses",
        json!({"name": "孤独症", "hospital": "南京市儿童医院", "date": "2024-05-01"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let e: Value = app
        .get_json(
            &county,
            &format!("/api/programmes/{id}/eligible?date=2025-09-01"),
        )
        .await;
    assert_eq!(e["count"], 1);
    assert_eq!(e["eligible"][0]["id_number"], "320102202103070019");
    let case: Value = post(&village, "/api/cases", open)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(case["state"], "open");
    assert_eq!(
        case["id_number"], "3201**********0019",
        "masked for a village worker"
    );
    let at = format!("/api/cases/{}/actions", case["id"]);
    let res = post(
        &village,
        &at,
        json!({"action": "step", "date": "2025-09-02", "values": {"申请表": "已收", "诊断证明": "已收"}, "version": case["version"]}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let res = post(
        &village,
        &at,
        json!({"action": "fly", "date": "2025-09-02"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
    let full: Value = app
        .get_json(&county, &format!("/api/cases/{}", case["id"]))
        .await;
    assert_eq!(full["case"]["done"], 1);
    assert_eq!(full["actions"].as_array().unwrap().len(), 2);
    // Another county sees none of it.
    let res = c
        .get(app.url(&format!("/api/cases/{}", case["id"])))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let theirs: Value = app.get_json(&other, "/api/cases").await;
    assert!(theirs["cases"].as_array().unwrap().is_empty());
});

contract!(
    providers_are_registered_on_their_page,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        app.add_user("cun", Role::Village, "320102002001", Some(PW))
            .await;
        let (county, csrf) = app.browser("xw", PW).await;
        let register = |code: &'static str| {
            county
                .post(app.url("/providers"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("credit_code", code),
                    ("name", "玄武区残疾人康复中心"),
                    ("kind", "定点康复机构"),
                    ("regions", "320102000000"),
                    ("programmes", "成人社区康复、心理疏导"),
                    ("agreement_from", "2025-01-01"),
                    ("agreement_to", "2025-12-31"),
                ])
                .send()
        };
        let res = register("91350100M000100Y44").await.unwrap();
        assert_eq!(res.status(), 400);
        let page = res.text().await.unwrap();
        assert!(
            page.contains("校验位") && page.contains("玄武区残疾人康复中心"),
            "{page}"
        );
        assert_eq!(register("91350100M000100Y43").await.unwrap().status(), 303);
        let (village, _) = app.browser("cun", PW).await;
        let list = app.page(&village, "/providers").await;
        assert!(list.contains("玄武区残疾人康复中心") && list.contains("成人社区康复、心理疏导"));
        assert!(
            !list.contains("登记或修改服务机构"),
            "a village worker registers none"
        );
    }
);

contract!(
    a_provider_works_its_assigned_cases_in_the_pages,
    |db: Db| async move {
        use anju_domain::programme::CaseAction;
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        app.add_user("jg", Role::Provider, "320102000000", Some(PW))
            .await;
        app.add_user("other", Role::Provider, "320102000000", Some(PW))
            .await;
        let adult = app
            .add_person(&[
                (Field::IdNumber, "320102198005060010"),
                (Field::Name, "张三"),
                (Field::HouseholdCode, "320102002001"),
                (Field::Category, "肢体"),
                (Field::Grade, "二级"),
                (Field::CertValidTo, "2030-12-31"),
            ])
            .await;
        let county = app.store.users().local_scope("xw").await.unwrap();
        let admin = app.store.users().local_scope("admin").await.unwrap();
        let known = vec!["成人社区康复".to_owned()];
        let p = anju_domain::provider::ProviderInput {
            credit_code: "91350100M000100Y43".into(),
            name: "玄武区康复中心".into(),
            kind: "定点康复机构".into(),
            regions: "320102000000".into(),
            programmes: "成人社区康复".into(),
            agreement_from: "2024-01-01".into(),
            agreement_to: "2030-12-31".into(),
            star_level: String::new(),
        }
        .validate(&known)
        .unwrap();
        let (provider, _) = app.store.providers().register(&county, p).await.unwrap();
        app.store
            .users()
            .bind_provider(&admin, "jg", provider.id)
            .await
            .unwrap();
        let today = app.store.today();
        let cases = app.store.cases();
        let c = cases
            .open(&county, adult.id, "成人社区康复", today, None)
            .await
            .unwrap();
        let step = |values: &[(&str, &str)]| CaseAction::Step {
            date: today,
            values: values
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            attachments: vec![],
            note: String::new(),
        };
        cases.act(&county, c.id, None, step(&[])).await.unwrap();
        cases
            .act(
                &county,
                c.id,
                None,
                step(&[("康复需求", "肢体功能训练"), ("服务计划", "每周两次")]),
            )
            .await
            .unwrap();
        // The county assigns it on the case page.
        let (b, csrf) = app.browser("xw", PW).await;
        let at = format!("/cases/{}", c.id);
        let page = app.page(&b, &at).await;
        assert!(
            page.contains("指派服务机构") && page.contains("玄武区康复中心"),
            "{page}"
        );
        let res = b
            .post(app.url(&format!("{at}/assign")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("provider", provider.id.to_string().as_str()),
                ("date", today.to_string().as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        // The provider's account: its cases, the step it takes; no files, no other provider's.
        let (jg, jcsrf) = app.browser("jg", PW).await;
        let list = app.page(&jg, "/cases").await;
        assert!(
            list.contains("张三") && list.contains("3201**********0010"),
            "{list}"
        );
        let page = app.page(&jg, &at).await;
        assert!(page.contains("办理：康复服务"), "{page}");
        let version = common::hidden(&page, "version");
        let res = jg
            .post(app.url(&at))
            .form(&[
                ("csrf", jcsrf.as_str()),
                ("version", version.as_str()),
                ("action", "step"),
                ("date", today.to_string().as_str()),
                ("f0", "训练8次"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let res = jg
            .get(app.url(&format!("/persons/{}", adult.id)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "a provider reads no file");
        // It records what it delivered on the case page; a bad count is named.
        let deliver = |units: &'static str| {
            jg.post(app.url(&format!("{at}/deliveries")))
                .form(&[
                    ("csrf", jcsrf.as_str()),
                    ("kind", "康复训练"),
                    ("date", today.to_string().as_str()),
                    ("units", units),
                    ("note", "步态训练"),
                ])
                .send()
        };
        let res = deliver("0").await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("数量"));
        assert_eq!(deliver("2").await.unwrap().status(), 303);
        let page = app.page(&jg, &at).await;
        assert!(
            page.contains("步态训练") && page.contains("玄武区康复中心"),
            "{page}"
        );
        // The county bills the month on the settlement page, approves it, exports it.
        let month = anju_domain::month::Month::of(today).to_string();
        let res = b
            .post(app.url("/settlements"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("provider", provider.id.to_string().as_str()),
                ("month", month.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let bill = res.headers()["location"].to_str().unwrap().to_owned();
        let page = app.page(&b, &bill).await;
        assert!(
            page.contains("200.00") && page.contains("审核通过"),
            "{page}"
        );
        let res = b
            .post(app.url(&format!("{bill}/approve")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let res = b
            .get(app.url(&format!("{bill}/payment.xlsx")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.bytes().await.unwrap().starts_with(b"PK"));
        assert!(app.page(&b, "/settlements").await.contains("已审核"));
        // The same through the API: the approved bill listed with its lines; the month
        // drafted again holds nothing already paid; a provider's account is refused.
        let token = app.token("xw", PW).await;
        let listed: serde_json::Value = app.get_json(&token, "/api/settlements").await;
        assert_eq!(listed["bills"][0]["state"], "approved", "{listed}");
        let id = listed["bills"][0]["id"].as_i64().unwrap();
        let one: serde_json::Value = app
            .get_json(&token, &format!("/api/settlements/{id}"))
            .await;
        assert_eq!(
            one["lines"][0]["amount_fen"].as_i64(),
            Some(20_000),
            "{one}"
        );
        let api = reqwest::Client::new();
        let again: serde_json::Value = api
            .post(app.url("/api/settlements"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"provider_id": provider.id, "month": month}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(again["bill"]["total_fen"].as_i64(), Some(0), "{again}");
        let res = api
            .post(app.url(&format!("/api/settlements/{id}/approve")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "an approved bill is frozen");
        let jtoken = app.token("jg", PW).await;
        let res = api
            .get(app.url("/api/settlements"))
            .bearer_auth(&jtoken)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        let (other, _) = app.browser("other", PW).await;
        let res = other.get(app.url(&at)).send().await.unwrap();
        assert_eq!(
            res.status(),
            403,
            "an account bound to no provider sees no case"
        );
        assert!(!app.page(&other, "/cases").await.contains("张三"));
    }
);

contract!(
    an_administrator_binds_a_provider_account_on_the_users_page,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        app.add_user("jg", Role::Provider, "320102000000", Some(PW))
            .await;
        let county = app.store.users().local_scope("xw").await.unwrap();
        let p = anju_domain::provider::ProviderInput {
            credit_code: "91350100M000100Y43".into(),
            name: "玄武区康复中心".into(),
            kind: "定点康复机构".into(),
            regions: "320102000000".into(),
            programmes: String::new(),
            agreement_from: "2024-01-01".into(),
            agreement_to: "2030-12-31".into(),
            star_level: String::new(),
        }
        .validate(&[])
        .unwrap();
        let (provider, _) = app.store.providers().register(&county, p).await.unwrap();
        let (admin, csrf) = app.browser("admin", common::ADMIN_PW).await;
        let page = app.page(&admin, "/users").await;
        assert!(page.contains("绑定机构"), "{page}");
        let res = admin
            .post(app.url("/users/jg/provider"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("provider", provider.id.to_string().as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let page = app.page(&admin, "/users").await;
        assert!(page.contains("更换机构"), "{page}");
        let scope = app.store.users().local_scope("jg").await.unwrap();
        assert_eq!(scope.provider(), Some(provider.id));
        // A staff account is not bound.
        let res = admin
            .post(app.url("/users/xw/provider"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("provider", provider.id.to_string().as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
    }
);

contract!(
    devices_care_homes_and_reports_through_the_pages,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        let adult = app
            .add_person(&[
                (Field::IdNumber, "320102198005060010"),
                (Field::Name, "张三"),
                (Field::HouseholdCode, "320102002001"),
                (Field::Category, "肢体"),
                (Field::Grade, "二级"),
                (Field::CertValidTo, "2030-12-31"),
            ])
            .await;
        let member = app
            .add_person(&[
                (Field::IdNumber, "320102199505060011"),
                (Field::Name, "王五"),
                (Field::HouseholdCode, "320102002001"),
                (Field::Category, "智力"),
                (Field::Grade, "二级"),
                (Field::CertValidTo, "2030-12-31"),
            ])
            .await;
        let (b, csrf) = app.browser("xw", PW).await;
        let scope = app.store.users().local_scope("xw").await.unwrap();
        let catalogue = app.page(&b, "/devices").await;
        assert!(
            catalogue.contains("普通轮椅") && catalogue.contains("导入辅具目录"),
            "{catalogue}"
        );
        let post = |path: String, form: Vec<(&'static str, String)>| {
            let mut form = form;
            form.push(("csrf", csrf.clone()));
            b.post(app.url(&path)).form(&form).send()
        };
        let open = |person: i64, programme: &'static str| {
            post(
                format!("/persons/{person}/cases"),
                vec![
                    ("programme", programme.to_owned()),
                    ("date", "2025-09-01".to_owned()),
                ],
            )
        };
        // A device case: the wheelchair chosen, a quote finer than the fen refused.
        let res = open(adult.id, "辅助器具适配").await.unwrap();
        assert_eq!(res.status(), 303);
        let case = res.headers()["location"].to_str().unwrap().to_owned();
        let page = app.page(&b, &case).await;
        assert!(
            page.contains("适配辅具") && page.contains("选定辅具"),
            "{page}"
        );
        let chair = app
            .store
            .devices()
            .list(&scope)
            .await
            .unwrap()
            .into_iter()
            .find(|i| i.code == "12 22 03")
            .unwrap();
        let res = post(
            format!("{case}/device"),
            vec![
                ("item", chair.id.to_string()),
                ("date", "2025-09-02".into()),
            ],
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 303);
        let res = post(format!("{case}/amount"), vec![("amount", "650.005".into())])
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("报价（元）"));
        let res = post(format!("{case}/amount"), vec![("amount", "650".into())])
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let page = app.page(&b, &case).await;
        assert!(
            page.contains("12 22 03 普通轮椅") && page.contains("650.00元"),
            "{page}"
        );
        // A care case: its plan (minutes required with visits), a return check.
        let res = open(member.id, "居家托养").await.unwrap();
        assert_eq!(res.status(), 303);
        let care = res.headers()["location"].to_str().unwrap().to_owned();
        let res = post(format!("{care}/care-plan"), vec![("visits", "4".into())])
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("每次服务分钟"));
        let res = post(
            format!("{care}/care-plan"),
            vec![("visits", "4".into()), ("minutes", "60".into())],
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 303);
        let res = post(
            format!("{care}/return-checks"),
            vec![
                ("date", "2025-09-30".into()),
                ("satisfaction", "4".into()),
                ("note", "上门及时".into()),
            ],
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 303);
        let page = app.page(&b, &care).await;
        assert!(
            page.contains("每月上门4次、每次60分钟") && page.contains("满意度4分"),
            "{page}"
        );
        // Assigned to a care provider, the month's report names the shortfall.
        let known: Vec<String> = vec!["居家托养".into(), "日间照料".into()];
        let provider = |code: &str, name: &str, kind: &str| {
            anju_domain::provider::ProviderInput {
                credit_code: code.into(),
                name: name.into(),
                kind: kind.into(),
                regions: "320102000000".into(),
                programmes: "居家托养、日间照料".into(),
                agreement_from: "2024-01-01".into(),
                agreement_to: "2030-12-31".into(),
                star_level: String::new(),
            }
            .validate(&known)
            .unwrap()
        };
        let (home, _) = app
            .store
            .providers()
            .register(
                &scope,
                provider("91350100M000100Y43", "玄武区残疾人之家", "残疾人之家"),
            )
            .await
            .unwrap();
        let care_id: i64 = care.rsplit('/').next().unwrap().parse().unwrap();
        app.store
            .cases()
            .assign(
                &scope,
                care_id,
                home.id,
                chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
            )
            .await
            .unwrap();
        let report = app.page(&b, "/care?month=2025-09").await;
        assert!(
            report.contains("上门服务计划4次，记录0次，少4次")
                && report.contains("玄武区残疾人之家"),
            "{report}"
        );
        let res = b
            .get(app.url("/care/export.xlsx?month=2025-09"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.bytes().await.unwrap().starts_with(b"PK"));
        // The home is evaluated item by item; a score over an item's points is refused.
        let homes = app.page(&b, "/homes?month=2025-09").await;
        assert!(
            homes.contains("玄武区残疾人之家") && homes.contains("星级评定方案"),
            "{homes}"
        );
        let scores = |first: &str| {
            let mut f: Vec<(&'static str, String)> = vec![
                ("year", "2025".into()),
                ("date", "2025-12-10".into()),
                ("s0", first.into()),
            ];
            for (k, v) in [
                ("s1", "20"),
                ("s2", "15"),
                ("s3", "20"),
                ("s4", "10"),
                ("s5", "10"),
                ("s6", "10"),
            ] {
                f.push((k, v.into()));
            }
            f
        };
        let res = post(format!("/homes/{}/evaluations", home.id), scores("16"))
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("超过满分"));
        let res = post(format!("/homes/{}/evaluations", home.id), scores("15"))
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let page = app.page(&b, &format!("/homes/{}", home.id)).await;
        assert!(page.contains("2025年：100分，五星"), "{page}");
        // The programme's year by town.
        let rec = app
            .store
            .programmes()
            .get(&scope, "居家托养")
            .await
            .unwrap();
        let page = app
            .page(&b, &format!("/programmes/{}/report?year=2025", rec.id))
            .await;
        assert!(page.contains("合计") && page.contains("<svg"), "{page}");
        let res = b
            .get(app.url(&format!("/programmes/{}/report.xlsx?year=2025", rec.id)))
            .send()
            .await
            .unwrap();
        assert!(res.bytes().await.unwrap().starts_with(b"PK"));
    }
);
