//! What a hostile tester tried (issue 11): redirects off the site, formulas in exports, and
//! the rest of the security review, over HTTP against the real server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::person::Field;
use common::{ADMIN_PW, Db, TestApp, contract, hidden};

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
