//! The store's contract: every test runs on SQLite and, with `ANJU_TEST_POSTGRES_URL`, again
//! on PostgreSQL, each on a database of its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use anju_domain::Role;
use anju_domain::audit::{ChainError, Outcome};

use crate::testing::{ADMIN_PASSWORD, TestDb};
use crate::{
    AuditFilter, Backend, Bootstrap, LoginError, ManualClock, NewUser, SessionKind, Store,
    StoreError, contract,
};

const T0: i64 = 1_790_000_000_000;

async fn admin(store: &Store) -> crate::Scope {
    store.users().local_scope("admin").await.unwrap()
}

async fn add(store: &Store, name: &str, role: Role, region: &str, pw: &str) {
    let scope = admin(store).await;
    store
        .users()
        .create(
            &scope,
            NewUser {
                username: name.into(),
                role,
                region: region.into(),
                password: Some(pw.into()),
            },
        )
        .await
        .unwrap();
}

async fn login(store: &Store, name: &str, pw: &str) -> Result<crate::LoginOk, LoginError> {
    store
        .sessions()
        .login(name, pw, "10.0.0.1", SessionKind::Web)
        .await
        .unwrap()
}

contract!(reopening_changes_nothing, |db: TestDb| async move {
    let store = db.open().await;
    add(
        &store,
        "clerk",
        Role::County,
        "320102000000",
        "Desk-Pass-2026",
    )
    .await;
    let entries = store.audit().verify().await.unwrap().unwrap();
    store.close().await;
    let again = db.open().await;
    assert_eq!(
        again.users().bootstrap(None).await.unwrap(),
        Bootstrap::Existing
    );
    assert_eq!(
        again
            .users()
            .list(&admin(&again).await)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(again.audit().verify().await.unwrap(), Ok(entries));
    if db.backend == Backend::Sqlite {
        let report = again.pragma_report().await.unwrap();
        assert!(
            report.contains(&("journal_mode".into(), "wal".into())),
            "{report:?}"
        );
        assert!(
            report.contains(&("foreign_keys".into(), "1".into())),
            "{report:?}"
        );
    }
});

contract!(
    first_start_generates_a_password_to_change,
    |db: TestDb| async move {
        let store = Store::open(&db.url).await.unwrap();
        let Bootstrap::Generated(p) = store.users().bootstrap(None).await.unwrap() else {
            panic!("expected a generated password");
        };
        assert_eq!(
            store.users().bootstrap(None).await.unwrap(),
            Bootstrap::Existing
        );
        let ok = login(&store, "admin", &p).await.unwrap();
        assert!(ok.must_change_password);
        assert_eq!(ok.scope.role(), Role::Admin);
        assert_eq!(ok.scope.region().code.as_str(), "320000000000");
        store
            .users()
            .change_password(&ok.scope, &p, "Brand-New-Secret-9", Some(&ok.token))
            .await
            .unwrap();
        let again = login(&store, "admin", "Brand-New-Secret-9").await.unwrap();
        assert!(!again.must_change_password);
    }
);

contract!(accounts_are_validated, |db: TestDb| async move {
    let store = db.open().await;
    let scope = admin(&store).await;
    let try_add = |name: &str, role: Role, region: &str, pw: Option<&str>| {
        let new = NewUser {
            username: name.into(),
            role,
            region: region.into(),
            password: pw.map(str::to_owned),
        };
        let store = store.clone();
        let scope = scope.clone();
        async move { store.users().create(&scope, new).await }
    };
    let (u, generated) = try_add("wang", Role::Town, "320102002000", None)
        .await
        .unwrap();
    assert!(u.must_change_password && generated.is_some());
    assert_eq!(u.region_name, "梅园新村街道");
    let (u, generated) = try_add(
        "sys.link",
        Role::Leader,
        "320100000000",
        Some("Other-System-77"),
    )
    .await
    .unwrap();
    assert!(!u.must_change_password && generated.is_none());
    let dup = try_add("wang", Role::Town, "320102002000", None)
        .await
        .unwrap_err();
    assert!(dup.to_string().contains("已存在"), "{dup}");
    assert!(matches!(
        try_add("li", Role::County, "320199000000", None).await,
        Err(StoreError::Region(anju_domain::RegionError::Unknown(_)))
    ));
    let lvl = try_add("li", Role::County, "320100000000", None)
        .await
        .unwrap_err();
    assert!(lvl.to_string().contains("县（区）级"), "{lvl}");
    assert!(matches!(
        try_add("li", Role::County, "320102000000", Some("12345678")).await,
        Err(StoreError::Password(_))
    ));
    // An administrator of Xuanwu cannot create accounts in Qinhuai.
    add(
        &store,
        "xw.admin",
        Role::Admin,
        "320102000000",
        "Xuanwu-Admin-55",
    )
    .await;
    let xw = store.users().local_scope("xw.admin").await.unwrap();
    let outside = store
        .users()
        .create(
            &xw,
            NewUser {
                username: "qh".into(),
                role: Role::County,
                region: "320104000000".into(),
                password: None,
            },
        )
        .await;
    assert!(matches!(outside, Err(StoreError::Forbidden)));
    // And a clerk cannot create accounts at all.
    let town = store.users().local_scope("wang").await.unwrap();
    assert!(matches!(
        store.users().list(&town).await,
        Err(StoreError::Forbidden)
    ));
});

contract!(lists_are_scoped, |db: TestDb| async move {
    let store = db.open().await;
    add(
        &store,
        "nj.admin",
        Role::Admin,
        "320100000000",
        "Nanjing-Admin-1",
    )
    .await;
    add(
        &store,
        "xw.clerk",
        Role::County,
        "320102000000",
        "Xuanwu-Clerk-1",
    )
    .await;
    add(
        &store,
        "wx.clerk",
        Role::County,
        "320205000000",
        "Wuxi-Clerk-12",
    )
    .await;
    let nj = store.users().local_scope("nj.admin").await.unwrap();
    let names: Vec<String> = store
        .users()
        .list(&nj)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, vec!["nj.admin", "xw.clerk"]);
    assert!(matches!(
        store.users().get(&nj, "wx.clerk").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.users().set_disabled(&nj, "admin", true).await,
        Err(StoreError::NotFound(_))
    ));
});

contract!(
    five_failures_lock_for_fifteen_minutes,
    |db: TestDb| async move {
        let clock = Arc::new(ManualClock::new(T0));
        let store = db.open_with(clock.clone()).await;
        add(
            &store,
            "zhao",
            Role::Village,
            "320102002001",
            "Chiu-Village-8",
        )
        .await;
        for _ in 0..4 {
            assert_eq!(
                login(&store, "zhao", "wrong-password").await.unwrap_err(),
                LoginError::BadCredentials
            );
        }
        assert!(matches!(
            login(&store, "zhao", "wrong-password").await,
            Err(LoginError::Locked)
        ));
        // Even the right password is refused while locked, and says no more than a wrong one.
        let refused = login(&store, "zhao", "Chiu-Village-8").await.unwrap_err();
        assert_eq!(refused, LoginError::Locked);
        assert_eq!(refused.to_string(), LoginError::BadCredentials.to_string());
        assert_eq!(LoginError::Disabled.to_string(), crate::sessions::REFUSED);
        // Another address is not locked out by this one's guesses.
        assert!(
            store
                .sessions()
                .login("zhao", "Chiu-Village-8", "10.9.9.9", SessionKind::Web)
                .await
                .unwrap()
                .is_ok()
        );
        clock.advance_secs(14 * 60);
        assert!(login(&store, "zhao", "Chiu-Village-8").await.is_err());
        clock.advance_secs(61);
        assert!(login(&store, "zhao", "Chiu-Village-8").await.is_ok());
        // The count starts again after a success.
        for _ in 0..4 {
            assert_eq!(
                login(&store, "zhao", "nope-nope").await.unwrap_err(),
                LoginError::BadCredentials
            );
        }
        assert!(login(&store, "zhao", "Chiu-Village-8").await.is_ok());
        assert_eq!(
            login(&store, "nobody", "whatever1").await.unwrap_err(),
            LoginError::BadCredentials
        );
    }
);

contract!(
    guesses_from_many_addresses_lock_everywhere_only_after_many_more,
    |db: TestDb| async move {
        let clock = Arc::new(ManualClock::new(T0));
        let store = db.open_with(clock.clone()).await;
        add(
            &store,
            "sun",
            Role::Town,
            "320102002000",
            "Bright-Town-Pass-4",
        )
        .await;
        let adm = admin(&store).await;
        store
            .security()
            .set(&adm, "lock_everywhere_after_failures", 15)
            .await
            .unwrap();
        let from = |i: usize| format!("10.1.0.{i}");
        // Four guesses from each of three addresses: nobody is locked yet.
        for i in 0..3 {
            for _ in 0..4 {
                let r = store
                    .sessions()
                    .login("sun", "bad-guess-1", &from(i), SessionKind::Web)
                    .await
                    .unwrap();
                assert_eq!(r.unwrap_err(), LoginError::BadCredentials);
            }
        }
        let ok = |client: String| {
            let store = store.clone();
            async move {
                store
                    .sessions()
                    .login("sun", "Bright-Town-Pass-4", &client, SessionKind::Web)
                    .await
                    .unwrap()
            }
        };
        // The fifteenth in a row, from anywhere, locks every address.
        assert!(ok(from(7)).await.is_ok(), "a success resets the count");
        for i in 0..15 {
            let _ = store
                .sessions()
                .login("sun", "bad-guess-1", &from(20 + i), SessionKind::Api)
                .await
                .unwrap();
        }
        assert_eq!(ok(from(8)).await.unwrap_err(), LoginError::Locked);
        assert!(
            store
                .security()
                .is_locked(store.users().get(&adm, "sun").await.unwrap().id)
                .await
                .unwrap()
        );
        // An administrator unlocks, and the right password works again.
        store.security().unlock(&adm, "sun").await.unwrap();
        assert!(ok(from(8)).await.is_ok());
        // A wrong current password when changing one's own counts as a failure too.
        let scope = ok("10.2.0.1".into()).await.unwrap().scope;
        for _ in 0..4 {
            assert!(matches!(
                store
                    .users()
                    .change_password(&scope, "bad-guess-1", "New-Lantern-77", None)
                    .await,
                Err(StoreError::WrongPassword)
            ));
        }
        assert!(matches!(
            store
                .users()
                .change_password(&scope, "bad-guess-1", "New-Lantern-77", None)
                .await,
            Err(StoreError::WrongPassword)
        ));
        assert!(matches!(
            store
                .users()
                .change_password(&scope, "Bright-Town-Pass-4", "New-Lantern-77", None)
                .await,
            Err(StoreError::Locked)
        ));
        assert_eq!(ok("10.2.0.1".into()).await.unwrap_err(), LoginError::Locked);
        // The setting survives a restart.
        store.close().await;
        let again = db.open_with(clock.clone()).await;
        assert_eq!(again.policy().max_failures_any_address, 15);
        assert!(again.audit().verify().await.unwrap().is_ok());
    }
);

contract!(
    sessions_time_out_idle_and_absolute,
    |db: TestDb| async move {
        let clock = Arc::new(ManualClock::new(T0));
        let store = db.open_with(clock.clone()).await;
        let s = store.sessions();
        let a = login(&store, "admin", ADMIN_PASSWORD).await.unwrap();
        assert!(s.authenticate(&a.token, "x").await.unwrap().is_some());
        clock.advance_secs(29 * 60);
        assert!(s.authenticate(&a.token, "x").await.unwrap().is_some());
        clock.advance_secs(29 * 60);
        assert!(
            s.authenticate(&a.token, "x").await.unwrap().is_some(),
            "use renews the idle time"
        );
        clock.advance_secs(30 * 60);
        assert!(
            s.authenticate(&a.token, "x").await.unwrap().is_none(),
            "30 idle minutes end it"
        );
        // Kept busy, a session still ends after 12 hours.
        let b = login(&store, "admin", ADMIN_PASSWORD).await.unwrap();
        for _ in 0..(12 * 60 / 20 - 1) {
            clock.advance_secs(20 * 60);
            assert!(s.authenticate(&b.token, "x").await.unwrap().is_some());
        }
        clock.advance_secs(20 * 60);
        assert!(s.authenticate(&b.token, "x").await.unwrap().is_none());
        assert!(s.authenticate("not-a-token", "x").await.unwrap().is_none());
    }
);

contract!(
    logout_disable_and_reset_end_sessions,
    |db: TestDb| async move {
        let store = db.open().await;
        add(
            &store,
            "qian",
            Role::County,
            "320102000000",
            "Strong-Pass-31",
        )
        .await;
        let s = store.sessions();
        let one = login(&store, "qian", "Strong-Pass-31").await.unwrap();
        let two = login(&store, "qian", "Strong-Pass-31").await.unwrap();
        assert_ne!(one.token, two.token, "every login makes a new token");
        s.logout(&one.scope, &one.token).await.unwrap();
        assert!(s.authenticate(&one.token, "x").await.unwrap().is_none());
        assert!(s.authenticate(&two.token, "x").await.unwrap().is_some());
        let adm = admin(&store).await;
        store
            .users()
            .set_disabled(&adm, "qian", true)
            .await
            .unwrap();
        assert!(s.authenticate(&two.token, "x").await.unwrap().is_none());
        assert_eq!(s.count_for("qian").await.unwrap(), 0);
        assert_eq!(
            login(&store, "qian", "Strong-Pass-31").await.unwrap_err(),
            LoginError::Disabled
        );
        store
            .users()
            .set_disabled(&adm, "qian", false)
            .await
            .unwrap();
        let three = login(&store, "qian", "Strong-Pass-31").await.unwrap();
        let fresh = store.users().reset_password(&adm, "qian").await.unwrap();
        assert!(s.authenticate(&three.token, "x").await.unwrap().is_none());
        assert!(login(&store, "qian", "Strong-Pass-31").await.is_err());
        let four = login(&store, "qian", &fresh).await.unwrap();
        assert!(four.must_change_password);
        assert!(matches!(
            store.users().set_disabled(&adm, "admin", true).await,
            Err(StoreError::Invalid(_))
        ));
    }
);

contract!(
    changing_a_password_checks_the_old_and_keeps_this_session,
    |db: TestDb| async move {
        let store = db.open().await;
        add(
            &store,
            "sun",
            Role::Town,
            "320102002000",
            "Bright-Town-Pass-4",
        )
        .await;
        let here = login(&store, "sun", "Bright-Town-Pass-4").await.unwrap();
        let there = login(&store, "sun", "Bright-Town-Pass-4").await.unwrap();
        let u = store.users();
        assert!(matches!(
            u.change_password(&here.scope, "wrong", "Another-Pass-55", Some(&here.token))
                .await,
            Err(StoreError::WrongPassword)
        ));
        assert!(matches!(
            u.change_password(
                &here.scope,
                "Bright-Town-Pass-4",
                "password1",
                Some(&here.token)
            )
            .await,
            Err(StoreError::Password(_))
        ));
        assert!(matches!(
            u.change_password(
                &here.scope,
                "Bright-Town-Pass-4",
                "Bright-Town-Pass-4",
                Some(&here.token)
            )
            .await,
            Err(StoreError::Invalid(_))
        ));
        u.change_password(
            &here.scope,
            "Bright-Town-Pass-4",
            "Another-Pass-55",
            Some(&here.token),
        )
        .await
        .unwrap();
        let s = store.sessions();
        assert!(s.authenticate(&here.token, "x").await.unwrap().is_some());
        assert!(s.authenticate(&there.token, "x").await.unwrap().is_none());
        assert!(login(&store, "sun", "Another-Pass-55").await.is_ok());
    }
);

contract!(
    the_audit_chain_records_and_verifies,
    |db: TestDb| async move {
        let store = db.open().await;
        add(
            &store,
            "zhou",
            Role::County,
            "320102000000",
            "Chow-County-99",
        )
        .await;
        let ok = login(&store, "zhou", "Chow-County-99").await.unwrap();
        let _ = login(&store, "zhou", "bad-guess-1").await;
        let n = store.audit().verify().await.unwrap().unwrap();
        assert_eq!(n, 4, "bootstrap, create, login, failed login");
        // No password or token appears anywhere in the log.
        let auditor_region = "320000000000";
        add(
            &store,
            "shen",
            Role::Auditor,
            auditor_region,
            "Watch-Audit-77",
        )
        .await;
        let aud = store.users().local_scope("shen").await.unwrap();
        let page = store
            .audit()
            .list(
                &aud,
                &AuditFilter {
                    page: 1,
                    per_page: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let text = serde_json::to_string(&page.entries).unwrap();
        for secret in [
            "Chow-County-99",
            "bad-guess-1",
            "Watch-Audit-77",
            ok.token.as_str(),
            ADMIN_PASSWORD,
        ] {
            assert!(!text.contains(secret), "audit log contains a secret");
        }
        let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            vec![
                "user.create",
                "login",
                "login",
                "user.create",
                "user.bootstrap"
            ]
        );
        assert_eq!(page.entries[1].outcome, Outcome::Failure);
        assert_eq!(page.entries[2].client, "10.0.0.1");
    }
);

contract!(
    tampering_is_refused_then_detected,
    |db: TestDb| async move {
        let store = db.open().await;
        for i in 0..4 {
            let _ = login(
                &store,
                "admin",
                if i % 2 == 0 {
                    ADMIN_PASSWORD
                } else {
                    "wrong-one"
                },
            )
            .await;
        }
        assert_eq!(store.audit().verify().await.unwrap(), Ok(5));
        // The database itself refuses changes to the log.
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        assert!(
            sqlx::query("UPDATE audit_log SET outcome = 'success' WHERE seq = 3")
                .execute(&pool)
                .await
                .is_err()
        );
        assert!(
            sqlx::query("DELETE FROM audit_log WHERE seq = 3")
                .execute(&pool)
                .await
                .is_err()
        );
        pool.close().await;
        // A rogue administrator removes the guard; the chain still tells.
        let unguard = match db.backend {
            Backend::Sqlite => {
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
            }
            Backend::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log;",
        };
        db.execute_raw(unguard).await;
        db.execute_raw("UPDATE audit_log SET outcome = 'success' WHERE seq = 3")
            .await;
        assert_eq!(
            store.audit().verify().await.unwrap(),
            Err(ChainError::Altered { seq: 3 })
        );
    }
);

contract!(
    deleted_and_reordered_entries_are_detected,
    |db: TestDb| async move {
        let store = db.open().await;
        for _ in 0..5 {
            let _ = login(&store, "admin", ADMIN_PASSWORD).await;
        }
        let unguard = match db.backend {
            Backend::Sqlite => {
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
            }
            Backend::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log;",
        };
        db.execute_raw(unguard).await;
        db.execute_raw("UPDATE audit_log SET seq = 100 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 100;").await;
        let err = store.audit().verify().await.unwrap().unwrap_err();
        assert_eq!(err.seq(), 3, "{err}");
        db.execute_raw("UPDATE audit_log SET seq = 100 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 100;").await;
        assert_eq!(store.audit().verify().await.unwrap(), Ok(6));
        db.execute_raw("DELETE FROM audit_log WHERE seq = 2").await;
        assert_eq!(store.audit().verify().await.unwrap().unwrap_err().seq(), 3);
    }
);

contract!(truncating_the_end_is_detected, |db: TestDb| async move {
    let store = db.open().await;
    for _ in 0..3 {
        let _ = login(&store, "admin", ADMIN_PASSWORD).await;
    }
    let unguard = match db.backend {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_delete;",
        Backend::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log;",
    };
    db.execute_raw(unguard).await;
    db.execute_raw("DELETE FROM audit_log WHERE seq = 4").await;
    assert_eq!(
        store.audit().verify().await.unwrap(),
        Err(ChainError::Truncated {
            expected: 4,
            found: 3
        })
    );
});

contract!(
    a_keyed_chain_needs_its_key_and_anchors_catch_truncation,
    |db: TestDb| async move {
        let key = anju_domain::audit::AuditKey::new(b"a-secret-kept-elsewhere").unwrap();
        let keyed = |k: Option<anju_domain::audit::AuditKey>| {
            let url = db.url.clone();
            async move {
                Store::open_full(
                    &url,
                    Arc::new(crate::SystemClock),
                    anju_domain::session::SessionPolicy::default(),
                    k,
                )
                .await
            }
        };
        // Entries before the key stay as they were; entries after are keyed.
        let plain = db.open().await;
        let _ = login(&plain, "admin", "wrong-pass-1").await;
        plain.close().await;
        let store = keyed(Some(key.clone())).await.unwrap();
        for _ in 0..4 {
            let _ = login(&store, "admin", ADMIN_PASSWORD).await;
        }
        assert!(store.audit().verify().await.unwrap().is_ok());
        let dir = std::env::temp_dir().join(format!("anju-anchor-{}", crate::random_token()));
        let anchored = store.audit().anchor_to(&dir).await.unwrap();
        assert!(anchored.seq >= 6);
        assert_eq!(store.audit().check_anchors(&dir).await.unwrap(), Ok(1));
        // Without the key, or with another, the store refuses to open.
        assert!(matches!(keyed(None).await, Err(StoreError::Config(_))));
        let other = anju_domain::audit::AuditKey::new(b"another-secret-here").unwrap();
        assert!(matches!(
            keyed(Some(other)).await,
            Err(StoreError::Config(_))
        ));
        // The last entries deleted and the head moved back: the chain alone looks whole.
        let unguard = match db.backend {
            Backend::Sqlite => "DROP TRIGGER audit_log_no_delete;",
            Backend::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log;",
        };
        db.execute_raw(unguard).await;
        db.execute_raw(&format!(
            "DELETE FROM audit_log WHERE seq > {n}; UPDATE audit_head SET seq = {n}, \
             hash = (SELECT hash FROM audit_log WHERE seq = {n}) WHERE id = 1;",
            n = anchored.seq - 2
        ))
        .await;
        assert!(store.audit().verify().await.unwrap().is_ok());
        let caught = store
            .audit()
            .check_anchors(&dir)
            .await
            .unwrap()
            .unwrap_err();
        assert!(caught.contains("截断"), "{caught}");
        let _ = std::fs::remove_dir_all(dir);
    }
);

contract!(
    a_backup_restores_into_an_empty_target_and_is_checked_first,
    |db: TestDb| async move {
        let store = db.open().await;
        add(
            &store,
            "bei",
            Role::County,
            "320102000000",
            "Desk-Pass-2026",
        )
        .await;
        for _ in 0..3 {
            let _ = login(&store, "bei", "Desk-Pass-2026").await;
        }
        let dir = std::env::temp_dir().join(format!("anju-backup-{}", crate::random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("backup.zip");
        let m = store.backup(&file).await.unwrap();
        assert_eq!(m.tables["users"], 2);
        assert!(m.audit_seq >= 5);
        assert_eq!(m.engine, db.backend.as_str());
        let target = |t: &TestDb| match t.backend {
            Backend::Sqlite => crate::RestoreTarget::Sqlite(
                t.url
                    .trim_start_matches("sqlite://")
                    .split('?')
                    .next()
                    .unwrap()
                    .into(),
            ),
            Backend::Postgres => crate::RestoreTarget::Postgres(t.url.clone()),
        };
        // A backup whose manifest was changed is refused, and the target stays empty.
        let forged = dir.join("forged.zip");
        {
            let src = std::fs::File::open(&file).unwrap();
            let mut zin = zip::ZipArchive::new(src).unwrap();
            let mut zout = zip::ZipWriter::new(std::fs::File::create(&forged).unwrap());
            let opts = zip::write::SimpleFileOptions::default().large_file(true);
            for i in 0..zin.len() {
                let mut f = zin.by_index(i).unwrap();
                let name = f.name().unwrap().into_owned();
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
                if name == "manifest.json" {
                    let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                    v["tables"]["users"] = serde_json::json!(3);
                    bytes = serde_json::to_vec(&v).unwrap();
                }
                zout.start_file(name, opts).unwrap();
                std::io::Write::write_all(&mut zout, &bytes).unwrap();
            }
            zout.finish().unwrap();
        }
        let empty = TestDb::new(db.backend).await.unwrap();
        let err = crate::restore(&forged, &target(&empty), None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("users"), "{err}");
        if let crate::RestoreTarget::Sqlite(p) = target(&empty) {
            assert!(!p.exists(), "nothing left behind");
        }
        // The real one restores, with the same rows and an intact chain.
        let (restored, verified) = crate::restore(&file, &target(&empty), None).await.unwrap();
        assert_eq!(restored, m);
        assert_eq!(verified, m.audit_seq);
        let again = empty.open().await;
        let adm = admin(&again).await;
        let names: Vec<String> = again
            .users()
            .list(&adm)
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert!(names.contains(&"bei".to_owned()));
        // A target that holds data is refused.
        let refused = crate::restore(&file, &target(&empty), None)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("空"), "{refused}");
        let _ = std::fs::remove_dir_all(dir);
    }
);

contract!(concurrent_appends_keep_the_chain, |db: TestDb| async move {
    let store = db.open().await;
    let adm = admin(&store).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = store.clone();
        let adm = adm.clone();
        tasks.push(tokio::spawn(async move {
            store
                .audit()
                .record(crate::NewEntry::by(
                    &adm,
                    "test.concurrent",
                    format!("n:{i}"),
                    Outcome::Success,
                ))
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.audit().verify().await.unwrap(), Ok(25));
});

contract!(
    auditors_see_their_subtree_with_filters,
    |db: TestDb| async move {
        let store = db.open().await;
        add(
            &store,
            "nj.clerk",
            Role::City,
            "320100000000",
            "Nanjing-City-1",
        )
        .await;
        add(
            &store,
            "wx.clerk",
            Role::City,
            "320200000000",
            "Wuxi-City-222",
        )
        .await;
        add(
            &store,
            "nj.audit",
            Role::Auditor,
            "320100000000",
            "Nanjing-Audit-3",
        )
        .await;
        login(&store, "nj.clerk", "Nanjing-City-1").await.unwrap();
        login(&store, "wx.clerk", "Wuxi-City-222").await.unwrap();
        let _ = login(&store, "nj.clerk", "bad-password-0").await;
        let _ = login(&store, "ghost", "bad-password-0").await;
        let aud = store.users().local_scope("nj.audit").await.unwrap();
        let all = store
            .audit()
            .list(
                &aud,
                &AuditFilter {
                    page: 1,
                    per_page: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(all.total, 2, "{:?}", all.entries);
        assert!(all.entries.iter().all(|e| e.object == "user:nj.clerk"));
        let failures = store
            .audit()
            .list(
                &aud,
                &AuditFilter {
                    outcome: Some(Outcome::Failure),
                    page: 1,
                    per_page: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(failures.total, 1);
        let none = store
            .audit()
            .list(
                &aud,
                &AuditFilter {
                    from_ms: Some(i64::MAX - 1),
                    page: 1,
                    per_page: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(none.total, 0);
        let clerk = store.users().local_scope("nj.clerk").await.unwrap();
        assert!(matches!(
            store.audit().list(&clerk, &AuditFilter::default()).await,
            Err(StoreError::Forbidden)
        ));
        // The province's auditor also sees attempts on names that do not exist.
        add(
            &store,
            "js.audit",
            Role::Auditor,
            "320000000000",
            "Jiangsu-Audit-4",
        )
        .await;
        let js = store.users().local_scope("js.audit").await.unwrap();
        let ghost = store
            .audit()
            .list(
                &js,
                &AuditFilter {
                    action: Some("login".into()),
                    page: 1,
                    per_page: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(ghost.entries.iter().any(|e| e.object == "user:ghost"));
    }
);

/// The schema lives in the migrations, one set per engine: they must describe the same
/// tables, columns and indexes (issue 12).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_have_the_same_tables_columns_and_indexes() {
    use std::collections::BTreeSet;
    let Some(pg) = TestDb::new(Backend::Postgres).await else {
        eprintln!("PostgreSQL suite not requested: nothing to compare SQLite with");
        return;
    };
    let lite = TestDb::new(Backend::Sqlite).await.unwrap();
    async fn shape(db: &TestDb) -> BTreeSet<String> {
        let store = db.open().await;
        let mut out = BTreeSet::new();
        let tables: Vec<String> = match db.backend {
            Backend::Sqlite => sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
            )
            .fetch_all(store.pool())
            .await
            .unwrap(),
            Backend::Postgres => sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(store.pool())
            .await
            .unwrap(),
        };
        for t in tables {
            out.insert(format!("table {t}"));
            let columns: Vec<String> = match db.backend {
                Backend::Sqlite => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT name FROM pragma_table_info('{t}')"
                )))
                .fetch_all(store.pool())
                .await
                .unwrap(),
                Backend::Postgres => sqlx::query_scalar(
                    "SELECT column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1",
                )
                .bind(t.clone())
                .fetch_all(store.pool())
                .await
                .unwrap(),
            };
            for c in columns {
                out.insert(format!("column {t}.{c}"));
            }
        }
        let indexes: Vec<(String, String)> = match db.backend {
            Backend::Sqlite => sqlx::query_as(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
            )
            .fetch_all(store.pool())
            .await
            .unwrap(),
            Backend::Postgres => sqlx::query_as(
                "SELECT i.tablename::text, i.indexname::text FROM pg_indexes i \
                 WHERE i.schemaname = current_schema() AND i.tablename <> '_sqlx_migrations' \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            )
            .fetch_all(store.pool())
            .await
            .unwrap(),
        };
        for (t, i) in indexes {
            out.insert(format!("index {t}.{i}"));
        }
        store.close().await;
        out
    }
    let (a, b) = (shape(&lite).await, shape(&pg).await);
    let only_sqlite: Vec<&String> = a.difference(&b).collect();
    let only_pg: Vec<&String> = b.difference(&a).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "SQLite only: {only_sqlite:?}\nPostgreSQL only: {only_pg:?}"
    );
    assert!(a.contains("index persons.persons_cert_due"));
}
