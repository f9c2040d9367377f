//! The certificate verification service: keys made and revoked by the administrator, a call
//! answering only what its purpose allows, counted against the day's quota, audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use anju_domain::person::Field;
use common::{ADMIN_PW, Db, TestApp, contract};
use serde_json::{Value, json};

const PW: &str = "Verify-Key-Pass-2026";

fn secret_in(page: &str) -> String {
    let start = page.find("dk_").expect("the secret is shown");
    page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

contract!(
    departments_verify_certificates_with_their_keys,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        app.add_user("gu", Role::Auditor, "320000000000", Some(PW))
            .await;
        app.add_person(&[
            (Field::IdNumber, "11010519491231002X"),
            (Field::Name, "张三"),
            (Field::Category, "肢体"),
            (Field::Grade, "二级"),
            (Field::HouseholdCode, "320102002001"),
            (Field::CertValidTo, "2099-12-31"),
        ])
        .await;
        app.add_person(&[
            (Field::IdNumber, "320102198005060010"),
            (Field::Name, "李四"),
            (Field::Category, "视力"),
            (Field::Grade, "三级"),
            (Field::HouseholdCode, "320104002001"),
            (Field::CertValidTo, "2099-12-31"),
        ])
        .await;
        // A certificate with its number and no end date is in force; one past its date is not.
        app.add_person(&[
            (Field::IdNumber, "320102199002030013"),
            (Field::Name, "王五"),
            (Field::Category, "肢体"),
            (Field::Grade, "三级"),
            (Field::HouseholdCode, "320102002001"),
            (Field::CertNumber, "32010219900203001343"),
        ])
        .await;
        app.add_person(&[
            (Field::IdNumber, "320102199901010016"),
            (Field::Name, "赵六"),
            (Field::Category, "肢体"),
            (Field::Grade, "三级"),
            (Field::HouseholdCode, "320102002001"),
            (Field::CertValidTo, "2020-01-01"),
        ])
        .await;
        let (admin, csrf) = app.browser("admin", ADMIN_PW).await;
        let (county, _) = app.browser("xw", PW).await;
        assert_eq!(
            county
                .get(app.url("/verify-keys"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
        let make = |dept: &str, purpose: &str, region: &str, quota: &str| {
            admin
                .post(app.url("/verify-keys"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("department", dept),
                    ("purpose", purpose),
                    ("region", region),
                    ("quota", quota),
                ])
                .send()
        };
        let bad = make("", "all", "99", "0").await.unwrap();
        assert_eq!(bad.status(), 400);
        let text = bad.text().await.unwrap();
        assert!(
            text.contains("部门") && text.contains("用途") && text.contains("每日限额"),
            "{text}"
        );
        let page = make("玄武区民政局", "certificate", "320102000000", "3")
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let basic = secret_in(&page);
        let page = make("江苏省医保局", "category", "320000000000", "1000")
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let detailed = secret_in(&page);
        let c = TestApp::client();
        let call = |key: &str, ids: Value| {
            c.post(app.url("/api/verify"))
                .bearer_auth(key)
                .json(&json!({"id_numbers": ids}))
                .send()
        };
        // The basic purpose: yes or no only; a holder outside the key's region is a no.
        let r: Value = call(&basic, json!(["11010519491231002X", "320102198005060010"]))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["department"], "玄武区民政局");
        assert_eq!(
            r["results"][0],
            json!({"id_number": "11010519491231002X", "valid_certificate": true})
        );
        assert_eq!(r["results"][1]["valid_certificate"], false);
        // Over the day's quota (3): refused, nothing counted.
        let over = call(&basic, json!(["11010519491231002X", "123"]))
            .await
            .unwrap();
        assert_eq!(over.status(), 429);
        assert!(over.headers().contains_key("retry-after"));
        assert!(over.text().await.unwrap().contains("已超出今日核验限额"));
        let one = call(&basic, json!(["123"])).await.unwrap();
        assert_eq!(one.status(), 200, "the refused call counted nothing");
        // The detailed purpose: the category and whether severe too, nothing else.
        let r: Value = call(
            &detailed,
            json!(["11010519491231002X", "320102198005060010", "nonsense"]),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(
            r["results"][0],
            json!({"id_number": "11010519491231002X", "valid_certificate": true, "category": "肢体残疾", "severe": true})
        );
        assert_eq!(r["results"][1]["severe"], false);
        assert_eq!(
            r["results"][2],
            json!({"id_number": "nonsense", "valid_certificate": false})
        );
        assert!(r["results"][0].get("name").is_none());
        let r: Value = call(
            &detailed,
            json!(["320102199002030013", "320102199901010016"]),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(r["results"][0]["valid_certificate"], true, "{r}");
        assert_eq!(r["results"][1]["valid_certificate"], false, "{r}");
        // More than 1,000 numbers, a user's token, no key, a revoked key.
        let many: Vec<String> = (0..1001).map(|i| format!("{i}")).collect();
        assert_eq!(call(&detailed, json!(many)).await.unwrap().status(), 400);
        let user = app.token("xw", PW).await;
        assert_eq!(
            call(&user, json!(["11010519491231002X"]))
                .await
                .unwrap()
                .status(),
            403
        );
        assert_eq!(
            call("dk_nothing", json!(["11010519491231002X"]))
                .await
                .unwrap()
                .status(),
            401
        );
        let keys = app
            .store
            .dept_keys()
            .list(&app.store.users().local_scope("admin").await.unwrap())
            .await
            .unwrap();
        let basic_id = keys
            .iter()
            .find(|k| k.department == "玄武区民政局")
            .unwrap()
            .id;
        assert_eq!(
            keys.iter().find(|k| k.id == basic_id).unwrap().asked_today,
            3
        );
        let res = admin
            .post(app.url(&format!("/verify-keys/{basic_id}/revoke")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(call(&basic, json!(["123"])).await.unwrap().status(), 401);
        // Every call audited with its count, the refused one too.
        let auditor = app.store.users().local_scope("gu").await.unwrap();
        let entries = app
            .store
            .audit()
            .list(
                &auditor,
                &anju_store::AuditFilter {
                    action: Some("verify.call".into()),
                    per_page: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let details: Vec<String> = entries.entries.iter().map(|e| e.detail.clone()).collect();
        assert!(details.iter().any(|d| d.contains("核验2个")), "{details:?}");
        assert!(
            details.iter().any(|d| d.contains("超出每日限额")),
            "{details:?}"
        );
        assert!(details.iter().any(|d| d.contains("核验3个")), "{details:?}");
    }
);
