//! The certificate rules, calendar and sweep, on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anju_domain::RegionTable;
use anju_domain::Role;
use anju_domain::calendar::DayKind;
use anju_domain::certificate::CertState;
use anju_domain::id_number::IdNumber;
use anju_domain::person::{Field, LifeStatus, PersonInput, validate};
use chrono::NaiveDate;

use crate::persons::Source;
use crate::testing::TestDb;
use crate::{NewUser, StoreError, contract};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

contract!(the_sweep_applies_the_rules_once, |db: TestDb| async move {
    let store = db.open().await;
    let admin = store.users().local_scope("admin").await.unwrap();
    let make = |seq: u16, valid_to: &str| {
        let id = IdNumber::compose("320102", d("1970-01-01"), seq).unwrap();
        let mut i = PersonInput::default();
        i.set(Field::IdNumber, id.as_str());
        i.set(Field::Name, "张三");
        i.set(Field::HouseholdCode, "320102002001");
        i.set(Field::Category, "肢体");
        i.set(Field::Grade, "一级");
        i.set(Field::CertValidTo, valid_to);
        (id, validate(&i, RegionTable::jiangsu()).unwrap())
    };
    // A: dead; B: moved out 2025-01-10; C: valid to 2025-08-31; D: expired 2025-05-31; E: fine.
    let (a, mut pa) = make(1, "2030-01-01");
    pa.life_status = LifeStatus::Deceased;
    pa.life_date = Some(d("2025-04-01"));
    let (b, mut pb) = make(2, "2030-01-01");
    pb.life_status = LifeStatus::MovedOut;
    pb.life_date = Some(d("2025-01-10"));
    let (c, pc) = make(3, "2025-08-31");
    let (_, pd) = make(4, "2025-05-31");
    let (_, pe) = make(5, "2031-01-01");
    // F: moved out 2025-05-20 (not yet frozen), certificate ending 2025-07-31: still noted
    // as expiring. G: died 2025-06-20, after the day swept: not cancelled yet.
    let (_, mut pf) = make(6, "2025-07-31");
    pf.life_status = LifeStatus::MovedOut;
    pf.life_date = Some(d("2025-05-20"));
    let (g, mut pg) = make(7, "2030-01-01");
    pg.life_status = LifeStatus::Deceased;
    pg.life_date = Some(d("2025-06-20"));
    for p in [pa, pb, pc, pd, pe, pf, pg] {
        store
            .persons()
            .create(&admin, p, Source::Web)
            .await
            .unwrap();
    }
    let certs = store.certificates();
    let r = certs.sweep(&admin, d("2025-06-15")).await.unwrap();
    assert_eq!(
        (r.cancelled, r.frozen, r.expiring, r.expired),
        (1, 0, 2, 1),
        "{r:?}"
    );
    let state = |id: IdNumber| {
        let store = store.clone();
        let admin = admin.clone();
        async move {
            store
                .persons()
                .get(&admin, &id)
                .await
                .unwrap()
                .person
                .cert_state
        }
    };
    assert_eq!(state(a.clone()).await, CertState::Cancelled);
    assert_eq!(
        state(g.clone()).await,
        CertState::Active,
        "a death dated after the day swept does not count yet"
    );
    assert_eq!(
        state(b.clone()).await,
        CertState::Active,
        "under six months since the move"
    );
    // The same day again changes nothing.
    let again = certs.sweep(&admin, d("2025-06-15")).await.unwrap();
    assert!(again.changes.is_empty(), "{again:?}");
    // Six months after the move: frozen; a year: cancelled; each with its rule in the history.
    let r = certs.sweep(&admin, d("2025-07-10")).await.unwrap();
    assert_eq!(r.frozen, 1);
    assert_eq!(r.changes[0].rule, "moved_out_freeze");
    assert_eq!(state(b.clone()).await, CertState::Frozen);
    let r = certs.sweep(&admin, d("2026-01-10")).await.unwrap();
    assert_eq!(r.cancelled, 1);
    assert_eq!(state(b.clone()).await, CertState::Cancelled);
    let file = store.persons().get(&admin, &b).await.unwrap();
    let history = store.persons().history(&admin, &file).await.unwrap();
    let states: Vec<(String, String)> = history
        .iter()
        .filter(|h| h.field == "cert_state" && h.source == "sweep")
        .map(|h| (h.before.clone().unwrap(), h.after.clone().unwrap()))
        .collect();
    assert_eq!(
        states,
        vec![("冻结".into(), "注销".into()), ("".into(), "冻结".into())]
    );
    // C expired meanwhile: noted once, as expired.
    assert!(
        r.changes
            .iter()
            .any(|x| x.id_number == c.to_string() && x.to == "expired")
    );
    // Not for a day to come, and not by a county clerk.
    let future = store.today() + chrono::Days::new(1);
    assert!(matches!(
        certs.sweep(&admin, future).await,
        Err(StoreError::Invalid(_))
    ));
    let admin_u = store.users().local_scope("admin").await.unwrap();
    store
        .users()
        .create(
            &admin_u,
            NewUser {
                username: "xw".into(),
                role: Role::County,
                region: "320102000000".into(),
                password: Some("Sweep-Pass-2026".into()),
            },
        )
        .await
        .unwrap();
    let county = store.users().local_scope("xw").await.unwrap();
    assert!(matches!(
        certs.sweep(&county, d("2025-06-15")).await,
        Err(StoreError::Forbidden)
    ));
});

contract!(
    the_calendar_is_shipped_and_editable,
    |db: TestDb| async move {
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let certs = store.certificates();
        let cal = certs.calendar().await.unwrap();
        assert!(!cal.is_working_day(d("2025-10-08")));
        assert!(cal.is_working_day(d("2025-09-28")));
        assert_eq!(certs.calendar_days(Some(2026)).await.unwrap().len(), 33 + 6);
        // 2027 is not shipped: an administrator adds New Year's Day and moves a day.
        let r = certs
            .set_calendar_days(
                &admin,
                "2027.csv",
                vec![
                    (2, d("2027-01-01"), Some(DayKind::Holiday), "元旦".into()),
                    (3, d("2025-09-28"), None, String::new()),
                    (4, d("2027-01-01"), Some(DayKind::Holiday), "元旦".into()),
                ],
                false,
            )
            .await
            .unwrap();
        assert_eq!((r.inserted, r.updated, r.rejected.len()), (1, 1, 1));
        let cal = certs.calendar().await.unwrap();
        assert!(!cal.is_working_day(d("2027-01-01")));
        assert!(
            !cal.is_working_day(d("2025-09-28")),
            "back to an ordinary Sunday"
        );
        // Reopening the store does not ship the days again.
        let reopened = db.open().await;
        assert!(
            !reopened
                .certificates()
                .calendar()
                .await
                .unwrap()
                .is_working_day(d("2025-09-28"))
        );
        assert_eq!(certs.rules().await.unwrap().expiring_days, 90);
    }
);

contract!(
    the_worklist_lists_what_is_due_nearest_first,
    |db: TestDb| async move {
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let today = store.today();
        let make = |seq: u16, village: &str, valid_to: NaiveDate| {
            let id = IdNumber::compose("320102", d("1970-01-01"), seq).unwrap();
            let mut i = PersonInput::default();
            i.set(Field::IdNumber, id.as_str());
            i.set(Field::Name, "张三");
            i.set(Field::HouseholdCode, village);
            i.set(Field::Category, "肢体");
            i.set(Field::Grade, "一级");
            i.set(Field::CertValidTo, valid_to.to_string());
            validate(&i, RegionTable::jiangsu()).unwrap()
        };
        let days = |n: u64| today + chrono::Days::new(n);
        let ago = |n: u64| today - chrono::Days::new(n);
        for (seq, village, v) in [
            (1, "320102002001", days(30)),
            (2, "320102002002", days(60)),
            (3, "320102003001", ago(10)),
            (4, "320102003001", days(400)),
            (5, "320104001001", days(5)),
        ] {
            store
                .persons()
                .create(&admin, make(seq, village, v), Source::Web)
                .await
                .unwrap();
        }
        store
            .users()
            .create(
                &admin,
                NewUser {
                    username: "xw".into(),
                    role: Role::County,
                    region: "320102000000".into(),
                    password: Some("Worklist-Pass-2026".into()),
                },
            )
            .await
            .unwrap();
        let county = store.users().local_scope("xw").await.unwrap();
        let w = store.worklist(&county).await.unwrap();
        // The certificates' lines (the severe holders never visited are also due a home
        // visit today: that line sits between them, nearest first).
        let certs: Vec<&crate::WorkItem> = w
            .items
            .iter()
            .filter(|i| matches!(i.kind, "expired" | "expiring" | "frozen"))
            .collect();
        let kinds: Vec<(&str, i64, bool)> =
            certs.iter().map(|i| (i.kind, i.count, i.overdue)).collect();
        // Expired first (its date is the earliest), then expiring; Qinhuai's is not Xuanwu's.
        assert_eq!(kinds, vec![("expired", 1, true), ("expiring", 2, false)]);
        assert_eq!(certs[1].due, Some(days(30)));
        assert_eq!(certs[0].href, "/persons?cert_status=expired");
        let order: Vec<&str> = w.items.iter().map(|i| i.kind).collect();
        assert_eq!(order, vec!["expired", "visit", "expiring"]);
        let towns: Vec<(String, i64, i64)> = w
            .towns
            .iter()
            .map(|t| (t.town_name.clone(), t.expiring, t.expired))
            .collect();
        assert_eq!(
            towns,
            vec![("梅园新村街道".into(), 2, 0), ("新街口街道".into(), 0, 1)]
        );
        // A draft roll is due for approval.
        store
            .subsidies()
            .generate_roll(&county, anju_domain::month::Month::of(today), None)
            .await
            .unwrap();
        let w = store.worklist(&county).await.unwrap();
        assert!(
            w.items
                .iter()
                .any(|i| i.kind == "roll" && i.label.contains("待他人审批"))
        );
        // A village worker has no per-town table and sees only the village.
        store
            .users()
            .create(
                &admin,
                NewUser {
                    username: "cun".into(),
                    role: Role::Village,
                    region: "320102002001".into(),
                    password: Some("Worklist-Pass-2026".into()),
                },
            )
            .await
            .unwrap();
        let village = store.users().local_scope("cun").await.unwrap();
        let w = store.worklist(&village).await.unwrap();
        let kinds: Vec<(&str, i64)> = w.items.iter().map(|i| (i.kind, i.count)).collect();
        // The village's one certificate line, and its severe holders' home visits.
        assert_eq!(kinds.len(), 2, "{kinds:?}");
        assert!(kinds.iter().any(|k| k.0 == "visit"));
        assert_eq!(
            kinds
                .iter()
                .filter(|k| matches!(k.0, "expired" | "expiring" | "frozen"))
                .map(|k| k.1)
                .collect::<Vec<_>>(),
            vec![1]
        );
        assert!(w.towns.is_empty());
    }
);

contract!(a_verification_campaign_by_town, |db: TestDb| async move {
    let store = db.open().await;
    let admin = store.users().local_scope("admin").await.unwrap();
    for (seq, village, v) in [
        (1, "320102002001", "2026-03-31"),
        (2, "320102003001", "2026-12-31"),
        (3, "320102003001", "2027-01-01"),
        (4, "320104001001", "2026-06-30"),
    ] {
        let id = IdNumber::compose("320102", d("1970-01-01"), seq).unwrap();
        let mut i = PersonInput::default();
        i.set(Field::IdNumber, id.as_str());
        i.set(Field::Name, "张三");
        i.set(Field::HouseholdCode, village);
        i.set(Field::Category, "肢体");
        i.set(Field::Grade, "一级");
        i.set(Field::CertValidTo, v);
        let p = validate(&i, RegionTable::jiangsu()).unwrap();
        store
            .persons()
            .create(&admin, p, Source::Web)
            .await
            .unwrap();
    }
    let v = store.verification();
    let c = v.open(&admin, 2026).await.unwrap();
    assert_eq!((c.total, c.done), (3, 0), "the certificates ending in 2026");
    assert!(matches!(
        v.open(&admin, 2026).await,
        Err(StoreError::Invalid(_))
    ));
    store
        .users()
        .create(
            &admin,
            NewUser {
                username: "jd".into(),
                role: Role::Town,
                region: "320102003000".into(),
                password: Some("Verify-Pass-2026".into()),
            },
        )
        .await
        .unwrap();
    let town = store.users().local_scope("jd").await.unwrap();
    let (mine, towns) = v.campaign(&town, c.id).await.unwrap();
    assert_eq!((mine.total, towns.len()), (1, 1));
    assert_eq!(towns[0].town_name, "新街口街道");
    let items = v.items(&town, c.id, true, 100).await.unwrap();
    assert_eq!(items.len(), 1);
    assert!(matches!(
        v.record(&town, items[0].id, "maybe", "").await,
        Err(StoreError::Invalid(_))
    ));
    v.record(&town, items[0].id, "confirmed", "入户核实")
        .await
        .unwrap();
    let (mine, _) = v.campaign(&town, c.id).await.unwrap();
    assert_eq!(mine.done, 1);
    // Another town's item is not this town's to record.
    let all = v.items(&admin, c.id, false, 100).await.unwrap();
    let other = all
        .iter()
        .find(|i| i.household_code == "320102002001")
        .unwrap();
    assert!(matches!(
        v.record(&town, other.id, "confirmed", "").await,
        Err(StoreError::NotFound(_))
    ));
    let (whole, towns) = v.campaign(&admin, c.id).await.unwrap();
    assert_eq!((whole.total, whole.done, towns.len()), (3, 1, 3));
    // The worklist tells each what is left.
    let w = store.worklist(&admin).await.unwrap();
    assert!(
        w.items
            .iter()
            .any(|i| i.kind == "verification" && i.count == 2)
    );
});

contract!(
    an_issue_date_without_an_end_gets_the_rules_end_and_expires,
    |db: TestDb| async move {
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let make = |seq: u16| {
            let id = IdNumber::compose("320102", d("1970-01-01"), seq).unwrap();
            let mut i = PersonInput::default();
            i.set(Field::IdNumber, id.as_str());
            i.set(Field::Name, "张三");
            i.set(Field::HouseholdCode, "320102002001");
            i.set(Field::Category, "肢体");
            i.set(Field::Grade, "一级");
            i.set(Field::CertIssued, "2015-04-01");
            (id, validate(&i, RegionTable::jiangsu()).unwrap())
        };
        // Filed now: the end date is derived at once, and the history says so.
        let (a, pa) = make(1);
        let rec = store
            .persons()
            .create(&admin, pa, Source::Web)
            .await
            .unwrap();
        assert_eq!(rec.person.cert_valid_to, Some(d("2025-03-31")));
        let h = store.persons().history(&admin, &rec).await.unwrap();
        let derived = h.iter().find(|e| e.field == "cert_valid_to").unwrap();
        assert_eq!(derived.source, "rule");
        assert_eq!(derived.after.as_deref(), Some("2025-03-31"));
        // A file stored before the rule (no end date): the sweep derives it, then notes it.
        let (b, pb) = make(2);
        let rb = store
            .persons()
            .create(&admin, pb, Source::Web)
            .await
            .unwrap();
        db.execute_raw(&format!(
            "UPDATE persons SET cert_valid_to = NULL WHERE id = {}",
            rb.id
        ))
        .await;
        let r = store
            .certificates()
            .sweep(&admin, d("2025-06-15"))
            .await
            .unwrap();
        assert_eq!(r.derived, 1);
        assert_eq!(r.expired, 2, "both certificates ended on 2025-03-31");
        let rb = store.persons().lookup(&admin, &b).await.unwrap();
        assert_eq!(rb.person.cert_valid_to, Some(d("2025-03-31")));
        let h = store.persons().history(&admin, &rb).await.unwrap();
        assert!(
            h.iter()
                .any(|e| e.field == "cert_valid_to" && e.source == "rule")
        );
        let again = store
            .certificates()
            .sweep(&admin, d("2025-06-15"))
            .await
            .unwrap();
        assert_eq!((again.derived, again.expired), (0, 0), "once");
        let _ = a;
    }
);
