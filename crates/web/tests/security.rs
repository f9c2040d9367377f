//! What a hostile tester tried (issue 11): redirects off the site, formulas in exports, and
//! the rest of the security review, over HTTP against the real server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use anju_domain::id_number::IdNumber;
use anju_domain::person::Field;
use common::{ADMIN_PW, Db, TestApp, contract, hidden};

const PW: &str = "Harbour-Lights-2026";

/// Files 张三 (11010519491231002X) in a village of 玄武区.
async fn file_zhang_san(app: &TestApp) {
    app.add_person(&[
        (Field::IdNumber, "11010519491231002X"),
        (Field::Name, "张三"),
        (Field::Category, "肢体"),
        (Field::Grade, "二级"),
        (Field::HouseholdCode, "320102002001"),
    ])
    .await;
}

contract!(
    a_login_only_ever_leads_to_a_path_on_this_site,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        for (next, expected) in [
            ("/\t/evil.example", "/"),
            ("/\u{b}/evil.example", "/"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("https://evil.example/", "/"),
            ("/persons?page=2", "/persons?page=2"),
        ] {
            let c = TestApp::client();
            let page = c
                .get(app.url("/login"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = hidden(&page, "csrf");
            let res = c
                .post(app.url("/login"))
                .form(&[
                    ("username", "admin"),
                    ("password", ADMIN_PW),
                    ("csrf", csrf.as_str()),
                    ("next", next),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 303, "{next:?}");
            assert_eq!(res.headers()["location"], expected, "{next:?}");
        }
    }
);

contract!(csv_exports_cannot_run_formulas, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    app.add_person(&[
        (Field::IdNumber, "11010519491231002X"),
        (Field::Name, "张三"),
        (Field::Category, "肢体"),
        (Field::Grade, "二级"),
        (Field::HouseholdCode, "320102002001"),
        (
            Field::Address,
            "=HYPERLINK(\"http://evil.example\",\"点击\")",
        ),
        (Field::BankName, "@SUM(1+1)"),
    ])
    .await;
    let (c, _) = app.browser("admin", ADMIN_PW).await;
    let csv = c
        .get(app.url("/persons/export?format=csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(row.contains("\"'=HYPERLINK("), "{row}");
    assert!(row.contains(",'@SUM(1+1),"), "{row}");
    // Read back, the cells are the values as filed.
    let path = std::env::temp_dir().join(format!("anju-formula-{}.csv", std::process::id()));
    std::fs::write(&path, &csv).unwrap();
    let mut r = anju_io::open(&path, &anju_io::ReadOptions::default()).unwrap();
    let col = |h: &str| r.headers.iter().position(|x| x == h).unwrap();
    let (addr, bank) = (col("居住地址"), col("开户银行"));
    let cells = r.next().unwrap().unwrap().cells;
    assert_eq!(cells[addr], "=HYPERLINK(\"http://evil.example\",\"点击\")");
    assert_eq!(cells[bank], "@SUM(1+1)");
    let _ = std::fs::remove_file(path);
});

/// Logs in through the form from this client; the response.
async fn form_login(app: &TestApp, user: &str, pw: &str) -> reqwest::Response {
    app.login_form(&TestApp::client(), user, pw).await
}

contract!(refused_logins_all_look_the_same, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    app.add_user("tingyong", Role::Town, "320102002000", Some(PW))
        .await;
    app.add_user("suoding", Role::Town, "320102002000", Some(PW))
        .await;
    let admin = app.store.users().local_scope("admin").await.unwrap();
    app.store
        .users()
        .set_disabled(&admin, "tingyong", true)
        .await
        .unwrap();
    for _ in 0..5 {
        let _ = form_login(&app, "suoding", "Wrong-Guess-2026").await;
    }
    let mut pages = Vec::new();
    for (user, pw) in [
        ("nobody-here", PW),
        ("tingyong", PW),
        ("suoding", PW),
        ("admin", "Wrong-Guess-2026"),
    ] {
        let res = form_login(&app, user, pw).await;
        assert_eq!(res.status(), 401, "{user}");
        let page = res.text().await.unwrap();
        let start = page.find("role=\"alert\"").expect("an alert");
        let alert = &page[start..start + page[start..].find("</").unwrap()];
        pages.push(alert.to_owned());
        let api = TestApp::client()
            .post(app.url("/api/login"))
            .json(&serde_json::json!({"username": user, "password": pw}))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 401, "{user}");
        let v: serde_json::Value = api.json().await.unwrap();
        assert_eq!(v["error"], "unauthenticated");
    }
    assert!(pages.windows(2).all(|w| w[0] == w[1]), "{pages:?}");
    // An administrator unlocks from the user page.
    let (c, csrf) = app.browser("admin", ADMIN_PW).await;
    let users = c
        .get(app.url("/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(users.contains("/users/suoding/unlock"), "an unlock button");
    assert!(!users.contains("/users/tingyong/unlock"));
    let res = c
        .post(app.url("/users/suoding/unlock"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(form_login(&app, "suoding", PW).await.status(), 303);
});

contract!(
    one_address_gets_a_limited_number_of_login_attempts,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.store.users().local_scope("admin").await.unwrap();
        app.store
            .security()
            .set(&admin, "login_attempts_per_minute", 4)
            .await
            .unwrap();
        let c = TestApp::client();
        let mut statuses = Vec::new();
        for _ in 0..6 {
            let res = c
                .post(app.url("/api/login"))
                .json(&serde_json::json!({"username": "admin", "password": "Wrong-Guess-2026"}))
                .send()
                .await
                .unwrap();
            statuses.push(res.status().as_u16());
            if res.status() == 429 {
                let wait: u64 = res.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=60).contains(&wait));
                let v: serde_json::Value = res.json().await.unwrap();
                assert!(v["message"].as_str().unwrap().contains("秒后再试"));
            }
        }
        // Four tries; the rest wait. The clock may turn a minute in between, so count.
        assert!(
            statuses.iter().filter(|s| **s == 429).count() >= 1,
            "{statuses:?}"
        );
        assert_eq!(&statuses[..4], &[401, 401, 401, 401]);
    }
);

contract!(
    id_searches_are_audited_masked_and_misses_flagged,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        file_zhang_san(&app).await;
        app.add_user("cun", Role::Village, "320102002001", Some(PW))
            .await;
        app.add_user("shenji", Role::Auditor, "320000000000", Some(PW))
            .await;
        let token = app.token("cun", PW).await;
        let birth = chrono::NaiveDate::from_ymd_opt(1949, 12, 31).unwrap();
        let mut guessed = Vec::new();
        for seq in 100..121 {
            let id = IdNumber::compose("320102", birth, seq).unwrap().to_string();
            let v: serde_json::Value = app.get_json(&token, &format!("/api/persons?q={id}")).await;
            assert_eq!(v["total"], 0);
            guessed.push(id);
        }
        let hit: serde_json::Value = app
            .get_json(&token, "/api/persons?q=11010519491231002X")
            .await;
        assert_eq!(hit["total"], 1);
        let miss = TestApp::client()
            .get(app.url(&format!("/api/persons/{}", guessed[0])))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(miss.status(), 404);
        let auditor = app.store.users().local_scope("shenji").await.unwrap();
        let log = app
            .store
            .audit()
            .list(
                &auditor,
                &anju_store::AuditFilter {
                    per_page: 500,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let searches: Vec<_> = log
            .entries
            .iter()
            .filter(|e| e.action == "person.id_search")
            .collect();
        assert_eq!(searches.len(), 23, "21 misses, a hit, a lookup that missed");
        for e in &log.entries {
            let text = format!("{} {}", e.object, e.detail);
            assert!(
                !text.contains("11010519491231002X")
                    && guessed.iter().all(|g| !text.contains(g.as_str())),
                "a whole ID number in the log: {text}"
            );
        }
        assert!(searches.iter().any(|e| e.object == "id:1101**********002X"));
        let flags = app
            .store
            .security()
            .id_search_flags(&auditor)
            .await
            .unwrap();
        assert_eq!(flags.len(), 1);
        assert_eq!((flags[0].actor.as_str(), flags[0].misses), ("cun", 22));
        let (c, _) = app.browser("shenji", PW).await;
        let page = c
            .get(app.url("/audit"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("按身份证号查询多次未命中") && page.contains("<td>cun</td>"),
            "{page}"
        );
    }
);

contract!(
    requests_carry_ids_and_metrics_answer_only_allowed_addresses,
    |db: Db| async move {
        let backend = db.backend;
        let app = TestApp::spawn(db).await;
        let c = TestApp::client();
        let a = c.get(app.url("/healthz")).send().await.unwrap();
        let b = c.get(app.url("/login")).send().await.unwrap();
        let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id(&a).len(), 16);
        assert_ne!(id(&a), id(&b));
        assert!(
            a.headers().get("strict-transport-security").is_none(),
            "no HSTS over HTTP"
        );
        let m = c.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(m.status(), 200, "this machine may read the metrics");
        let text = m.text().await.unwrap();
        for name in [
            "anju_http_requests_total{method=\"GET\",status=\"200\"}",
            "anju_http_request_duration_seconds_bucket",
            "anju_jobs_running",
            "anju_db_pool_connections",
        ] {
            assert!(text.contains(name), "{name} in {text}");
        }
        let _ = backend;
        // Another allow list: this machine is not on it; and HSTS behind HTTPS.
        let db = Db::new(anju_store::Backend::Sqlite).await.unwrap();
        let closed = TestApp::spawn_with(db, |a| {
            a.metrics_allow = anju_web::ops::AllowList::parse("10.0.0.0/8").unwrap();
            a.secure_cookies = true;
        })
        .await;
        let res = c.get(closed.url("/metrics")).send().await.unwrap();
        assert_eq!(res.status(), 404);
        let res = c.get(closed.url("/login")).send().await.unwrap();
        assert_eq!(
            res.headers()["strict-transport-security"],
            "max-age=31536000; includeSubDomains"
        );
    }
);

/// While a long job holds SQLite's write lock, reads and their audit records go on, a write
/// is told to wait (503, Retry-After, in Chinese), and no record is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_write_stops_nobody_from_reading() {
    let db = Db::new(anju_store::Backend::Sqlite).await.unwrap();
    let url = db.url.clone();
    let app = TestApp::spawn(db).await;
    file_zhang_san(&app).await;
    app.add_user("xw", Role::County, "320102000000", Some(PW))
        .await;
    let token = app.token("xw", PW).await;
    let (browser, _) = app.browser("xw", PW).await;
    let before = app.store.audit().verify().await.unwrap().unwrap();
    // Another connection takes the write lock and keeps it, as an import does.
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut holder = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE; UPDATE audit_head SET seq = seq WHERE id = 1;")
        .execute(&mut holder)
        .await
        .unwrap();
    for _ in 0..5 {
        let v: serde_json::Value = app.get_json(&token, "/api/persons?q=zs").await;
        assert_eq!(v["total"], 1);
        let page = browser.get(app.url("/persons")).send().await.unwrap();
        assert_eq!(page.status(), 200);
    }
    // Logging in and out go on too: sessions live beside the main database.
    let fresh = app.token("xw", PW).await;
    let me: serde_json::Value = app.get_json(&fresh, "/api/me").await;
    assert_eq!(me["username"], "xw");
    let (other, _) = app.browser("admin", ADMIN_PW).await;
    assert_eq!(other.get(app.url("/")).send().await.unwrap().status(), 200);
    let write = TestApp::client()
        .post(app.url("/api/persons"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"id_number": "320102194901010013", "name": "李四", "category": "视力", "grade": "一级", "household_code": "320102002001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 503);
    assert_eq!(write.headers()["retry-after"], "5");
    let v: serde_json::Value = write.json().await.unwrap();
    assert!(v["message"].as_str().unwrap().contains("秒后再试"), "{v}");
    assert!(app.store.audit_spool_pending().await.unwrap() >= 10);
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    holder.close().await.unwrap();
    // Every view recorded while the lock was held is in the chain now, in order.
    let after = app.store.audit().verify().await.unwrap().unwrap();
    assert!(after >= before + 10, "{before} → {after}");
    assert_eq!(app.store.audit_spool_pending().await.unwrap(), 0);
}
