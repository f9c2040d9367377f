//! The web suite: the real server over HTTP, on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use common::{ADMIN_PW, Db, TestApp, contract, hidden};
use serde_json::Value;

contract!(
    health_reports_version_database_and_regions,
    |db: Db| async move {
        let backend = db.backend;
        let app = TestApp::spawn(db).await;
        let res = reqwest::get(app.url("/healthz")).await.unwrap();
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["status"], "ok");
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["database"], backend.as_str());
        assert_eq!(v["regions"], 23_563);
    }
);

contract!(
    strangers_are_sent_to_login_or_refused,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        let c = TestApp::client();
        let res = c
            .get(app.url("/regions/320100000000"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(
            res.headers()["location"],
            "/login?next=%2Fregions%2F320100000000"
        );
        let res = c.get(app.url("/api/me")).send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"], "unauthenticated");
        let res = c
            .get(app.url("/api/me"))
            .bearer_auth("forged-token")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let res = c.get(app.url("/no/such/page")).send().await.unwrap();
        assert_eq!(res.status(), 404);
        assert!(res.text().await.unwrap().contains("页面不存在"));
    }
);

contract!(logging_in_through_the_form, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    let c = TestApp::client();
    let login = c.get(app.url("/login")).send().await.unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let page = login.text().await.unwrap();
    assert!(
        page.contains("autocomplete=\"username\" required autofocus"),
        "the login page puts the cursor in the user name"
    );
    let csrf = hidden(&page, "csrf");
    // A forged form (wrong CSRF token) does not log in, even with the right password.
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("username", "admin"),
            ("password", ADMIN_PW),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("已过期"));
    let _ = csrf;
    let res = app.login_form(&c, "admin", "not-the-password").await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("用户名或密码不正确"));
    let res = app.login_form(&c, "admin", ADMIN_PW).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
    let session_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("anju_session="))
        .unwrap();
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Strict"));
    let home = c
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("系统管理员") && home.contains("江苏省"));
    assert!(
        home.contains("href=\"/users\""),
        "administrators see user management"
    );
    assert!(
        !home.contains("href=\"/audit\""),
        "administrators do not read the audit log"
    );
    for landmark in [
        "lang=\"zh-CN\"",
        "<main id=\"main\"",
        "class=\"skip\" href=\"#main\"",
        "aria-label=\"主导航\"",
        "aria-label=\"所在区划\"",
    ] {
        assert!(home.contains(landmark), "home lacks {landmark}");
    }
});

contract!(
    logging_out_ends_the_session_on_the_server,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        let (c, csrf) = app.browser("admin", ADMIN_PW).await;
        let res = c
            .post(app.url("/logout"))
            .form(&[("csrf", "wrong")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "logout needs the CSRF token");
        assert_eq!(c.get(app.url("/")).send().await.unwrap().status(), 200);
        assert_eq!(app.store.sessions().count_for("admin").await.unwrap(), 1);
        let res = c
            .post(app.url("/logout"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(app.store.sessions().count_for("admin").await.unwrap(), 0);
        assert_eq!(c.get(app.url("/")).send().await.unwrap().status(), 303);
    }
);

contract!(
    a_generated_password_must_be_changed_first,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        let initial = app
            .add_user("wu", Role::County, "320102000000", None)
            .await
            .unwrap();
        let c = TestApp::client();
        let res = app.login_form(&c, "wu", &initial).await;
        assert_eq!(res.headers()["location"], "/password");
        let res = c.get(app.url("/regions")).send().await.unwrap();
        assert_eq!(
            res.headers()["location"],
            "/password",
            "nothing else until the password changes"
        );
        let page = c
            .get(app.url("/password"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("初始密码"));
        let csrf = hidden(&page, "csrf");
        let post = |cur: &str, new: &str, confirm: &str| {
            let form = vec![
                ("csrf", csrf.clone()),
                ("current", cur.to_owned()),
                ("new", new.to_owned()),
                ("confirm", confirm.to_owned()),
            ];
            c.post(app.url("/password")).form(&form).send()
        };
        let res = post(&initial, "Green-Hills-2026", "Green-Hills-2027")
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("两次输入的新密码不一致"));
        let res = post(&initial, "qwerty123", "qwerty123").await.unwrap();
        assert!(res.text().await.unwrap().contains("过于常见"));
        // Every fault at once, summarised above the form.
        let res = post("", "123", "456").await.unwrap();
        assert_eq!(res.status(), 400);
        let body = res.text().await.unwrap();
        assert!(body.contains("error-summary") && body.contains("autofocus"));
        for fault in ["请输入当前密码", "密码至少需要", "两次输入的新密码不一致"]
        {
            assert!(body.contains(fault), "{fault}: {body}");
        }
        assert!(body.contains("href=\"#new\""));
        let res = post("wrong-current", "Green-Hills-2026", "Green-Hills-2026")
            .await
            .unwrap();
        let body = res.text().await.unwrap();
        assert!(body.contains("id=\"current-error\"") && body.contains("当前密码不正确"));
        let res = post(&initial, "Green-Hills-2026", "Green-Hills-2026")
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(
            c.get(app.url("/regions")).send().await.unwrap().status(),
            303
        );
        let res = c
            .get(app.url("/regions/320102000000"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("梅园新村街道"));
    }
);

contract!(five_wrong_passwords_lock_the_account, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    app.add_user("zheng", Role::Town, "320102002000", Some("Plum-Garden-88"))
        .await;
    let c = TestApp::client();
    for _ in 0..4 {
        let res = app.login_form(&c, "zheng", "guess-guess").await;
        assert!(res.text().await.unwrap().contains("用户名或密码不正确"));
    }
    // The fifth locks the account for this address; the answer says no more than before.
    let res = app.login_form(&c, "zheng", "guess-guess").await;
    assert!(res.text().await.unwrap().contains("用户名或密码不正确"));
    let res = app.login_form(&c, "zheng", "Plum-Garden-88").await;
    assert_eq!(res.status(), 401);
    let res = TestApp::client()
        .post(app.url("/api/login"))
        .json(&serde_json::json!({"username": "zheng", "password": "Plum-Garden-88"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"], "unauthenticated");
});

contract!(the_api_speaks_bearer_tokens, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    app.add_user("feng", Role::County, "320102000000", Some("Maple-Leaf-321"))
        .await;
    let c = TestApp::client();
    let bad = c
        .post(app.url("/api/login"))
        .json(&serde_json::json!({"username": "feng", "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let garbled = c
        .post(app.url("/api/login"))
        .body("{")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), 400);
    let token = app.token("feng", "Maple-Leaf-321").await;
    let me: Value = app.get_json(&token, "/api/me").await;
    assert_eq!(me["username"], "feng");
    assert_eq!(me["role"], "county");
    assert_eq!(me["region_name"], "玄武区");
    let r: Value = app.get_json(&token, "/api/regions/320102000000").await;
    assert_eq!(r["name"], "玄武区");
    assert_eq!(r["level"], "county");
    assert_eq!(r["parent_code"], "320100000000");
    let kids: Vec<Value> = app
        .get_json(&token, "/api/regions/320102000000/children")
        .await;
    assert_eq!(kids.len(), r["child_count"].as_u64().unwrap() as usize);
    assert!(kids.iter().all(|k| k["level"] == "town"));
    let unknown = c
        .get(app.url("/api/regions/320102999000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    // The cookie of a browser session is not an API credential, nor the token a cookie.
    let page = c
        .get(app.url("/regions/320102000000"))
        .header("cookie", format!("anju_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    let out = c
        .post(app.url("/api/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let after = c
        .get(app.url("/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
});

contract!(
    administrators_manage_accounts_in_pages,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        let (c, csrf) = app.browser("admin", ADMIN_PW).await;
        let form = c
            .get(app.url("/users/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(form.contains("<label for=\"region\">"));
        let res = c
            .post(app.url("/users"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "chu"),
                ("role", "town"),
                ("region", "320102000000"),
                ("password", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "a town clerk cannot sit at a county");
        assert!(res.text().await.unwrap().contains("镇（街道）级"));
        let res = c
            .post(app.url("/users"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "chu"),
                ("role", "town"),
                ("region", "320102002000"),
                ("password", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let secret_page = res.text().await.unwrap();
        let start = secret_page.find("<code>").unwrap() + 6;
        let password = &secret_page[start..start + 16];
        let (chu, _) = {
            let c2 = TestApp::client();
            let r = app.login_form(&c2, "chu", password).await;
            assert_eq!(r.headers()["location"], "/password");
            (c2, ())
        };
        let list = c
            .get(app.url("/users"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            list.contains("chu")
                && list.contains("梅园新村街道")
                && list.contains("待修改初始密码")
        );
        let res = c
            .post(app.url("/users/chu/disable"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(
            chu.get(app.url("/password")).send().await.unwrap().status(),
            303,
            "disabling ends sessions"
        );
        let list = c
            .get(app.url("/users"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(list.contains("已停用"));
        let forged = c
            .post(app.url("/users/chu/enable"))
            .form(&[("csrf", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 400);
        let res = c
            .post(app.url("/users/chu/reset-password"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("只显示这一次"));
    }
);

contract!(auditors_read_and_filter_the_log, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    app.add_user(
        "han",
        Role::Auditor,
        "320000000000",
        Some("Quiet-Ledger-55"),
    )
    .await;
    let _ = app
        .login_form(&TestApp::client(), "admin", "wrong-pass-1")
        .await;
    let (c, _) = app.browser("han", "Quiet-Ledger-55").await;
    let page = c
        .get(app.url("/audit?outcome=failure"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("密码错误"));
    assert!(!page.contains("创建用户</td>"), "only failures");
    let bad = c
        .get(app.url("/audit?from=2026/1/1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(bad.contains("日期格式"));
    let token = app.token("han", "Quiet-Ledger-55").await;
    let v: Value = app.get_json(&token, "/api/audit?action=login").await;
    assert!(v["total"].as_i64().unwrap() >= 3);
    assert!(
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] == "login")
    );
    // Reading the log is itself recorded, and the chain stays intact.
    assert_eq!(
        app.store.audit().verify().await.unwrap().map(|n| n > 5),
        Ok(true)
    );
    let (admin, _) = app.browser("admin", ADMIN_PW).await;
    assert_eq!(
        admin.get(app.url("/audit")).send().await.unwrap().status(),
        403
    );
});

contract!(staff_are_shown_by_their_names, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    let (admin, csrf) = app.browser("admin", ADMIN_PW).await;
    let res = admin
        .post(app.url("/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "xw-clerk"),
            ("display_name", "王芳"),
            ("role", "county"),
            ("region", "320102000000"),
            ("password", "Staff-Names-Pass-2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let users = admin
        .get(app.url("/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(users.contains("<td>王芳</td>"), "{users}");
    // What the clerk does is shown under her name.
    let token = app.token("xw-clerk", "Staff-Names-Pass-2026").await;
    let res = TestApp::client()
        .post(app.url("/api/persons"))
        .bearer_auth(&token)
        .json(
            &serde_json::json!({"id_number": "320102194901010013", "name": "张三",
            "category": "肢体", "grade": "一级", "household_code": "320102002001"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = TestApp::client()
        .put(app.url("/api/persons/320102194901010013"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"grade": "二级"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let key = app
        .store
        .persons()
        .lookup(
            &app.store.users().local_scope("admin").await.unwrap(),
            &anju_domain::id_number::IdNumber::parse("320102194901010013").unwrap(),
        )
        .await
        .unwrap()
        .id;
    let file = admin
        .get(app.url(&format!("/persons/{key}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        file.contains("<td data-label=\"操作人\">王芳</td>"),
        "{file}"
    );
    assert!(!file.contains("<td data-label=\"操作人\">xw-clerk</td>"));
});
