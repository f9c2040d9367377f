//! People's files through the pages and the API, on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use anju_domain::Role;
use common::{Db, TestApp, contract, hidden};
use serde_json::{Value, json};

const ID: &str = "11010519491231002X";
const PW: &str = "Registry-Web-2026";

fn form(csrf: &str, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v = vec![("csrf".to_owned(), csrf.to_owned())];
    v.extend(
        pairs
            .iter()
            .map(|(k, val)| ((*k).to_owned(), (*val).to_owned())),
    );
    v
}

contract!(
    a_file_is_created_shown_masked_revealed_and_edited,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        let (c, csrf) = app.browser("xw", PW).await;
        let page = c
            .get(app.url("/persons/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("<label for=\"f-household_code\">"));
        // Faults are shown beside their fields, and nothing is saved.
        let res = c
            .post(app.url("/persons"))
            .form(&form(
                &csrf,
                &[
                    ("id_number", "110105194912310021"),
                    ("name", "张三"),
                    ("category", "肢体"),
                    ("grade", "二级"),
                    ("household_code", "320102002001"),
                    ("life_status", "在世"),
                ],
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let body = res.text().await.unwrap();
        assert!(
            body.contains("id=\"e-id_number\"") && body.contains("校验位"),
            "{body}"
        );
        // Above the form, a summary lists each field at fault, links to it, and takes focus.
        assert!(body.contains("error-summary") && body.contains("autofocus"));
        assert!(body.contains("以下1项需要改正") && body.contains("href=\"#f-id_number\""));
        let res = c
            .post(app.url("/persons"))
            .form(&form(
                &csrf,
                &[
                    ("id_number", ID),
                    ("name", "张三"),
                    ("category", "肢体"),
                    ("grade", "二级"),
                    ("household_code", "320104001001"),
                    ("life_status", "在世"),
                ],
            ))
            .send()
            .await
            .unwrap();
        assert!(res.text().await.unwrap().contains("不在您的管辖范围内"));
        let res = c
            .post(app.url("/persons"))
            .form(&form(
                &csrf,
                &[
                    ("id_number", &ID.to_lowercase()),
                    ("name", "张三"),
                    ("category", "肢体"),
                    ("grade", "二级"),
                    ("household_code", "320102002001"),
                    ("phone", "13812345678"),
                    ("life_status", "在世"),
                ],
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let xw = app.store.users().local_scope("xw").await.unwrap();
        let id = anju_domain::id_number::IdNumber::parse(ID).unwrap();
        let key = app.store.persons().get(&xw, &id).await.unwrap().id;
        assert_eq!(res.headers()["location"], format!("/persons/{key}?saved=1"));
        let file = c
            .get(app.url(&format!("/persons/{key}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(file.contains("1101**********002X") && file.contains("138****5678"));
        assert!(!file.contains("13812345678") && !file.contains(">11010519491231002X<"));
        // Masked, the file shows the age and not the birth date (which with the household
        // would give the masked digits back).
        assert!(
            file.contains("<dt>年龄</dt>") && !file.contains("1949-12-31"),
            "age only"
        );
        for section in [
            "基本信息",
            "残疾人证",
            "两项补贴",
            "就业",
            "入户访视",
            "变更记录",
        ] {
            assert!(file.contains(section), "{section}");
        }
        // A county clerk may reveal the numbers; the reveal is audited.
        let revealed = c
            .post(app.url(&format!("/persons/{key}/reveal")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(revealed.contains("13812345678"));
        assert!(
            revealed.contains("1949-12-31"),
            "the reveal shows the birth date"
        );
        let res = c
            .post(app.url(&format!("/persons/{key}")))
            .form(&form(
                &csrf,
                &[
                    ("id_number", "ignored"),
                    ("name", "张三"),
                    ("category", "肢体"),
                    ("grade", "一级"),
                    ("household_code", "320102002001"),
                    ("phone", "13812345678"),
                    ("life_status", "在世"),
                ],
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let file = c
            .get(app.url(&format!("/persons/{key}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            file.contains(
                "<td data-label=\"项目\">残疾等级</td><td data-label=\"原值\">二级</td><td data-label=\"新值\">一级</td>"
            ),
            "history shows before and after"
        );
        // A village worker sees the file masked and cannot reveal it.
        app.add_user("vil", Role::Village, "320102002001", Some(PW))
            .await;
        let (v, vcsrf) = app.browser("vil", PW).await;
        let vfile = v
            .get(app.url(&format!("/persons/{key}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(vfile.contains("1101**********002X") && !vfile.contains("显示完整号码"));
        let res = v
            .post(app.url(&format!("/persons/{key}/reveal")))
            .form(&[("csrf", vcsrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        // Its edit form shows the numbers masked too; leaving them alone keeps the stored ones.
        let vform = v
            .get(app.url(&format!("/persons/{key}/edit")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(vform.contains("value=\"138****5678\"") && !vform.contains("13812345678"));
        assert!(
            !vform.contains(ID),
            "no whole ID number in the page, links included"
        );
        let vlist = v
            .get(app.url("/persons"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(vlist.contains(&format!("href=\"/persons/{key}\"")) && !vlist.contains(ID));
        let res = v
            .post(app.url(&format!("/persons/{key}")))
            .form(&form(
                &vcsrf,
                &[
                    ("name", "张三"),
                    ("category", "肢体"),
                    ("grade", "一级"),
                    ("household_code", "320102002001"),
                    ("phone", "138****5678"),
                    ("address", "梅园新村5号"),
                    ("life_status", "在世"),
                ],
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let rec = app.store.persons().get(&xw, &id).await.unwrap();
        assert_eq!(rec.person.phone.as_deref(), Some("13812345678"));
        assert_eq!(rec.person.address.as_deref(), Some("梅园新村5号"));
        let audit = app.store.audit().verify().await.unwrap().unwrap();
        assert!(audit > 5);
    }
);

contract!(lists_search_and_export, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    let sheet = std::env::temp_dir().join(format!(
        "anju-web-gen-{}.xlsx",
        std::process::id() ^ app.base.len() as u32 ^ rand_port(&app)
    ));
    anju_jobs::generate_persons(120, 5, &sheet, app.store.today()).unwrap();
    let admin = app.store.users().local_scope("admin").await.unwrap();
    anju_jobs::import_persons(&app.store, &admin, &sheet, &Default::default(), |_| {})
        .await
        .unwrap();
    let (c, _) = app.browser("admin", common::ADMIN_PW).await;
    let list = c
        .get(app.url("/persons"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("共120人"),
        "{}",
        &list[..list.len().min(3000)]
    );
    let filtered = c
        .get(app.url("/persons?severe=1&sort=name"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!filtered.contains("共120人"));
    let bad = c
        .get(app.url("/persons?age_min=abc"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(bad.contains("最小年龄"));
    let xlsx = c
        .get(app.url("/persons/export?format=xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        xlsx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = xlsx.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    // A leader's CSV export is masked.
    app.add_user("ld", Role::Leader, "320000000000", Some(PW))
        .await;
    let (l, _) = app.browser("ld", PW).await;
    let csv = l
        .get(app.url("/persons/export?format=csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 121);
    // A masked export carries the age, not the birth date.
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains("年龄") && !header.contains("出生日期"),
        "{header}"
    );
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .contains("**********")
    );
    let _ = std::fs::remove_file(sheet);
});

fn rand_port(app: &TestApp) -> u32 {
    app.base.rsplit(':').next().unwrap().parse().unwrap()
}

contract!(importing_through_the_page, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    let (c, csrf) = app.browser("admin", common::ADMIN_PW).await;
    let csv = "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码\n11010519491231002X,张三,肢体,二级,320102002001\n110105194912310021,李四,视力,一级,320102002001\n";
    let upload = |strict: bool| {
        let mut f = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("名单.csv"),
            );
        if strict {
            f = f.text("strict", "1");
        }
        c.post(app.url("/persons/import")).multipart(f).send()
    };
    let res = upload(false).await.unwrap();
    assert_eq!(res.status(), 303);
    let job = res.headers()["location"].to_str().unwrap().to_owned();
    let mut page = String::new();
    for _ in 0..100 {
        page = c
            .get(app.url(&job))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains("导入完成") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(page.contains("导入完成"), "{page}");
    assert!(
        page.contains("<td>3</td><td>身份证号</td>"),
        "the bad row is listed with its number"
    );
    let errors = c
        .get(app.url(&format!("{job}/errors")))
        .send()
        .await
        .unwrap();
    assert_eq!(errors.status(), 200);
    assert_eq!(&errors.bytes().await.unwrap()[..2], b"PK");
    let status: Value = c
        .get(app.url(&format!("{job}/status")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["state"], "done");
    // Another account cannot see this job.
    app.add_user("other", Role::Admin, "320000000000", Some(PW))
        .await;
    let (o, _) = app.browser("other", PW).await;
    assert_eq!(o.get(app.url(&job)).send().await.unwrap().status(), 404);
    // A forged upload is refused.
    let forged = reqwest::multipart::Form::new().text("csrf", "forged").part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("x.csv"),
    );
    assert_eq!(
        c.post(app.url("/persons/import"))
            .multipart(forged)
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    let page = c
        .get(app.url("/persons/import"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(hidden(&page, "csrf"), csrf);
});

contract!(the_persons_api, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    app.add_user("xw", Role::County, "320102000000", Some(PW))
        .await;
    let token = app.token("xw", PW).await;
    let c = TestApp::client();
    let bad = c
        .post(app.url("/api/persons"))
        .bearer_auth(&token)
        .json(&json!({"id_number": "110105194912310021", "name": "", "category": "肢体", "grade": "二级", "household_code": "320102002001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let v: Value = bad.json().await.unwrap();
    assert_eq!(v["error"], "invalid");
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["id_checksum", "required"]);
    assert_eq!(v["errors"][0]["column"], "身份证号");
    let created = c
        .post(app.url("/api/persons"))
        .bearer_auth(&token)
        .json(&json!({"id_number": ID, "name": "张三", "category": "4", "grade": 2, "household_code": "320102002001", "bank_account": "6222021234567890123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let p: Value = created.json().await.unwrap();
    assert_eq!(p["bank_account"], "6222***********0123");
    let outside = c
        .post(app.url("/api/persons"))
        .bearer_auth(&token)
        .json(&json!({"id_number": "320102194901010013", "name": "李四", "category": "视力", "grade": "一级", "household_code": "320104001001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 403);
    let shown: Value = app
        .get_json(&token, &format!("/api/persons/{ID}?reveal=1"))
        .await;
    assert_eq!(shown["bank_account"], "6222021234567890123");
    assert_eq!(shown["masked"], false);
    let updated: Value = c
        .put(app.url(&format!("/api/persons/{ID}")))
        .bearer_auth(&token)
        .json(&json!({"name": "张三", "category": "肢体", "grade": "二级", "household_code": "320102002002"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Fields the body does not carry (the bank account) stay as they are.
    assert_eq!(updated["changed"], json!(["household_code"]));
    let list: Value = app.get_json(&token, "/api/persons?q=zs").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["rows"][0]["id_number"], "1101**********002X");
    let unknown = c
        .post(app.url("/api/persons"))
        .bearer_auth(&token)
        .json(&json!({"nickname": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
});

contract!(
    an_api_edit_changes_only_what_it_is_sent,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        let original = app
            .add_person(&[
                (anju_domain::person::Field::IdNumber, ID),
                (anju_domain::person::Field::Name, "张三"),
                (anju_domain::person::Field::Category, "肢体"),
                (anju_domain::person::Field::Grade, "二级"),
                (anju_domain::person::Field::HouseholdCode, "320102002001"),
                (anju_domain::person::Field::Phone, "13812345678"),
                (
                    anju_domain::person::Field::BankAccount,
                    "6222021234567890123",
                ),
                (
                    anju_domain::person::Field::CertNumber,
                    "11010519491231002X42",
                ),
                (anju_domain::person::Field::Address, "梅园新村1号"),
                (anju_domain::person::Field::GuardianName, "张父"),
                (anju_domain::person::Field::GuardianPhone, "13987654321"),
            ])
            .await;
        let writers = [
            ("admin", Role::Admin, "320000000000"),
            ("nj", Role::City, "320100000000"),
            ("xw", Role::County, "320102000000"),
            ("my", Role::Town, "320102002000"),
            ("cun", Role::Village, "320102002001"),
        ];
        let c = TestApp::client();
        for (name, role, region) in writers {
            let token = if name == "admin" {
                app.token("admin", common::ADMIN_PW).await
            } else {
                app.add_user(name, role, region, Some(PW)).await;
                app.token(name, PW).await
            };
            let mut paths = vec![format!("/api/persons/{ID}")];
            if role.sees_identifiers() {
                paths.push(format!("/api/persons/{ID}?reveal=1"));
            }
            for path in paths {
                let shown: Value = app.get_json(&token, &path).await;
                let res = c
                    .put(app.url(&format!("/api/persons/{ID}")))
                    .bearer_auth(&token)
                    .json(&shown)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200, "{name} {path}");
                let v: Value = res.json().await.unwrap();
                assert_eq!(
                    v["changed"],
                    json!([]),
                    "{name} {path}: GET then PUT changes nothing"
                );
            }
            let id = anju_domain::id_number::IdNumber::parse(ID).unwrap();
            let admin = app.store.users().local_scope("admin").await.unwrap();
            let now = app.store.persons().get(&admin, &id).await.unwrap();
            assert_eq!(now.person, original.person, "{name}: the file is as it was");
        }
        // A masked view shows the age, never the birth date.
        let token = app.token("cun", PW).await;
        let shown: Value = app.get_json(&token, &format!("/api/persons/{ID}")).await;
        assert!(shown.get("birth_date").is_none(), "{shown}");
        assert!(shown["age"].as_i64().unwrap() > 70);
        // One field sent: that field changes, nothing else.
        let res = c
            .put(app.url(&format!("/api/persons/{ID}")))
            .bearer_auth(&token)
            .json(&json!({"phone": "13900001111", "guardian_name": null}))
            .send()
            .await
            .unwrap();
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["changed"], json!(["phone", "guardian_name"]));
        let admin = app.store.users().local_scope("admin").await.unwrap();
        let id = anju_domain::id_number::IdNumber::parse(ID).unwrap();
        let now = app.store.persons().get(&admin, &id).await.unwrap().person;
        assert_eq!(now.phone.as_deref(), Some("13900001111"));
        assert_eq!(now.guardian_name, None);
        assert_eq!(now.bank_account.as_deref(), Some("6222021234567890123"));
        assert_eq!(now.cert_number, original.person.cert_number);
        assert_eq!(now.address.as_deref(), Some("梅园新村1号"));
        // Derived values cannot be written.
        let res = c
            .put(app.url(&format!("/api/persons/{ID}")))
            .bearer_auth(&token)
            .json(&json!({"age": 30}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
    }
);

contract!(
    the_import_page_previews_and_keeps_hand_corrections,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        let (c, csrf) = app.browser("admin", common::ADMIN_PW).await;
        let csv = format!(
            "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,联系电话\n{ID},张三,肢体,二级,320102002001,13800000001\n"
        );
        let upload = |extra: &'static [&'static str]| {
            let mut f = reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(csv.clone().into_bytes()).file_name("名单.csv"),
                );
            for name in extra {
                f = f.text(*name, "1");
            }
            c.post(app.url("/persons/import")).multipart(f).send()
        };
        let res = upload(&[]).await.unwrap();
        let job = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            common::finished_job(&app, &c, &job)
                .await
                .contains("导入完成")
        );
        // The page offers the preview, on by default.
        let form_page = c
            .get(app.url("/persons/import"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(form_page.contains(r#"name="preview" type="checkbox" value="1" checked"#));
        // A clerk corrects the phone through the API.
        let token = app.token("admin", common::ADMIN_PW).await;
        let res = TestApp::client()
            .put(app.url(&format!("/api/persons/{ID}")))
            .bearer_auth(&token)
            .json(&json!({"phone": "13900000009"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        // The old sheet, previewed: the conflict is shown, nothing is written.
        let res = upload(&["preview"]).await.unwrap();
        let job = res.headers()["location"].to_str().unwrap().to_owned();
        let page = common::finished_job(&app, &c, &job).await;
        assert!(page.contains("预览完成，尚未写入任何数据"), "{page}");
        assert!(page.contains("与手工修改的冲突") && page.contains("联系电话"));
        assert!(page.contains("13900000009") && page.contains("13800000001"));
        assert!(page.contains("接口"), "how the value was changed");
        assert!(page.contains(&format!("/imports/{}/confirm", &job["/imports/".len()..])));
        let phone = |v: Value| v["phone"].as_str().unwrap_or_default().to_owned();
        let url = format!("/api/persons/{ID}?reveal=1");
        assert_eq!(
            phone(app.get_json::<Value>(&token, &url).await),
            "13900000009"
        );
        // Confirmed without overwriting: the correction stays.
        let csrf_now = hidden(&page, "csrf");
        let res = c
            .post(app.url(&format!("{job}/confirm")))
            .form(&[("csrf", csrf_now.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let real = res.headers()["location"].to_str().unwrap().to_owned();
        assert_ne!(real, job, "the import runs as a job of its own");
        let done = common::finished_job(&app, &c, &real).await;
        assert!(
            done.contains("导入完成") && done.contains("已保留现有值"),
            "{done}"
        );
        assert_eq!(
            phone(app.get_json::<Value>(&token, &url).await),
            "13900000009"
        );
        // The preview's file went with it: it cannot be confirmed twice.
        let again = c
            .post(app.url(&format!("{job}/confirm")))
            .form(&[("csrf", csrf_now.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 404);
        // Previewed again and confirmed with 以文件为准: the file's value wins.
        let res = upload(&["preview"]).await.unwrap();
        let job = res.headers()["location"].to_str().unwrap().to_owned();
        let page = common::finished_job(&app, &c, &job).await;
        let res = c
            .post(app.url(&format!("{job}/confirm")))
            .form(&[("csrf", hidden(&page, "csrf").as_str()), ("overwrite", "1")])
            .send()
            .await
            .unwrap();
        let real = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            common::finished_job(&app, &c, &real)
                .await
                .contains("导入完成")
        );
        assert_eq!(
            phone(app.get_json::<Value>(&token, &url).await),
            "13800000001"
        );
        // The file's history says which changes an import made.
        let key = app
            .store
            .persons()
            .lookup(
                &app.store.users().local_scope("admin").await.unwrap(),
                &anju_domain::id_number::IdNumber::parse(ID).unwrap(),
            )
            .await
            .unwrap()
            .id;
        let file = c
            .get(app.url(&format!("/persons/{key}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            file.contains("<td data-label=\"来源\">导入</td>")
                && file.contains("<td data-label=\"来源\">接口</td>"),
            "{file}"
        );
    }
);

contract!(imports_say_what_happened, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    let (c, csrf) = app.browser("admin", common::ADMIN_PW).await;
    let send = |name: &'static str, bytes: Vec<u8>| {
        let f = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        c.post(app.url("/persons/import")).multipart(f).send()
    };
    let head = "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码\n";
    // Partly refused: the banner says so, the reasons are counted, each shows its bad value.
    let partial = format!(
        "{head}{ID},张三,肢体,二级,320102002001\n320102194901010013,李四,肢体,五级,320102002001\n320102195001010012,王五,视力,五级,320102002001\n"
    );
    let res = send("名单.csv", partial.into_bytes()).await.unwrap();
    let job = res.headers()["location"].to_str().unwrap().to_owned();
    let page = common::finished_job(&app, &c, &job).await;
    assert!(
        page.contains("部分导入完成：1 行已处理，2 行被拒绝"),
        "{page}"
    );
    assert!(page.contains("被拒绝的行按原因统计"));
    assert!(page.contains("残疾等级“五级”不是一级至四级"), "{page}");
    assert!(page.contains("<td>2</td>"), "two rows for that reason");
    // Every row refused: a banner of its own.
    let none = format!("{head}320102194901010013,李四,肢体,五级,320102002001\n");
    let res = send("全错.csv", none.into_bytes()).await.unwrap();
    let job = res.headers()["location"].to_str().unwrap().to_owned();
    let page = common::finished_job(&app, &c, &job).await;
    assert!(page.contains("全部 1 行都被拒绝，未写入任何数据"), "{page}");
    // All well: complete.
    let good = format!("{head}320102194901010013,李四,肢体,一级,320102002001\n");
    let res = send("好.csv", good.into_bytes()).await.unwrap();
    let job = res.headers()["location"].to_str().unwrap().to_owned();
    let page = common::finished_job(&app, &c, &job).await;
    assert!(page.contains("导入完成：全部 1 行均已处理"), "{page}");
    // A picture or a broken workbook is told apart from a sheet, in Chinese.
    for (name, bytes, says) in [
        (
            "照片.xlsx",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            "不是表格（看起来是图片）",
        ),
        (
            "残缺.xlsx",
            b"PK\x03\x04\x14\0\0\0garbage".to_vec(),
            "不是完整的 XLSX 表格",
        ),
    ] {
        let res = send(name, bytes).await.unwrap();
        let job = res.headers()["location"].to_str().unwrap().to_owned();
        let mut page = String::new();
        for _ in 0..200 {
            page = c
                .get(app.url(&job))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if page.contains("导入失败") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(page.contains(says), "{name}: {page}");
        assert!(!page.contains("Zip") && !page.contains("invalid"), "{page}");
    }
    // Each import page offers its template: headers, an example, what each column takes.
    for (page, template, first) in [
        (
            "/persons/import",
            "/persons/import/template.xlsx",
            "身份证号",
        ),
        (
            "/subsidies/import/grants",
            "/subsidies/import/grants/template.xlsx",
            "身份证号",
        ),
        (
            "/subsidies/import/dibao",
            "/subsidies/import/dibao/template.xlsx",
            "区划代码",
        ),
    ] {
        let html = c
            .get(app.url(page))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains(&format!("href=\"{template}\"")), "{page}");
        let res = c.get(app.url(template)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("filename*=UTF-8''")
        );
        let bytes = res.bytes().await.unwrap();
        // Unique per test run: the SQLite and PostgreSQL runs share a process under
        // `cargo test`.
        let path =
            std::env::temp_dir().join(format!("anju-template-{}.xlsx", anju_store::random_token()));
        std::fs::write(&path, &bytes).unwrap();
        let mut r = anju_io::open(&path, &anju_io::ReadOptions::default()).unwrap();
        assert_eq!(r.headers[0], first);
        let example = r.next_row().unwrap().unwrap();
        assert!(!example.cells[0].is_empty(), "an example row");
        let notes = anju_io::open(
            &path,
            &anju_io::ReadOptions {
                sheet: Some("填写说明".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(notes.headers, ["列名", "是否必填", "可填写的值"]);
        let _ = std::fs::remove_file(&path);
    }
    // The person template's example imports as it is.
    let res = c
        .get(app.url("/persons/import/template.xlsx"))
        .send()
        .await
        .unwrap();
    let bytes = res.bytes().await.unwrap().to_vec();
    let res = send("模板.xlsx", bytes).await.unwrap();
    let job = res.headers()["location"].to_str().unwrap().to_owned();
    let page = common::finished_job(&app, &c, &job).await;
    assert!(page.contains("导入完成"), "{page}");
});
