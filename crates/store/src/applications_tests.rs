//! Certificate applications through their steps, on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anju_domain::RegionTable;
use anju_domain::Role;
use anju_domain::application::{Action, AppKind, AppState, Assessment};
use anju_domain::certificate::{Category, CertState, Components, Grade};
use anju_domain::id_number::IdNumber;
use anju_domain::person::{Field, PersonInput, validate};
use chrono::NaiveDate;

use crate::persons::Source;
use crate::testing::TestDb;
use crate::{NewUser, Scope, Store, StoreError, contract};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn user(store: &Store, name: &str, role: Role, region: &str) -> Scope {
    let admin = store.users().local_scope("admin").await.unwrap();
    store
        .users()
        .create(
            &admin,
            NewUser {
                username: name.into(),
                role,
                region: region.into(),
                password: Some("Apply-Pass-2026".into()),
            },
        )
        .await
        .unwrap();
    store.users().local_scope(name).await.unwrap()
}

async fn person(store: &Store, scope: &Scope, seq: u16, with_cert: bool) -> IdNumber {
    let id = IdNumber::compose("320102", d("1980-05-06"), seq).unwrap();
    let mut i = PersonInput::default();
    i.set(Field::IdNumber, id.as_str());
    i.set(Field::Name, "张三");
    i.set(Field::HouseholdCode, "320102002001");
    i.set(Field::Category, "肢体");
    i.set(Field::Grade, "三级");
    if with_cert {
        i.set(Field::CertNumber, format!("{}43", id.as_str()));
        i.set(Field::CertValidTo, "2030-01-01");
    }
    let p = validate(&i, RegionTable::jiangsu()).unwrap();
    store.persons().create(scope, p, Source::Web).await.unwrap();
    id
}

contract!(
    a_new_certificate_from_application_to_issue,
    |db: TestDb| async move {
        let store = db.open().await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let village = user(&store, "cun", Role::Village, "320102002001").await;
        let other = user(&store, "qh", Role::County, "320104000000").await;
        let a = person(&store, &county, 1, false).await;
        let apps = store.applications();
        let app = apps
            .apply(
                &village,
                &a,
                AppKind::New,
                d("2025-09-01"),
                None,
                "本人申请",
            )
            .await
            .unwrap();
        assert_eq!(app.state, AppState::Applied);
        assert!(matches!(
            apps.apply(&village, &a, AppKind::New, d("2025-09-02"), None, "").await,
            Err(StoreError::Invalid(m)) if m.contains("办理中")
        ));
        let assess = Action::Assess(Assessment {
            hospital: "南京市第一医院".into(),
            doctor: "王医生".into(),
            date: d("2025-09-10"),
            category: Category::new(4).unwrap(),
            grade: Grade::new(2).unwrap(),
            components: Components(Vec::new()),
        });
        assert!(matches!(
            apps.step(&village, app.id, assess.clone()).await,
            Err(StoreError::Invalid(m)) if m.contains("角色")
        ));
        assert!(matches!(
            apps.step(&other, app.id, assess.clone()).await,
            Err(StoreError::NotFound(_))
        ));
        apps.step(&county, app.id, assess).await.unwrap();
        let noticed = apps
            .step(
                &village,
                app.id,
                Action::Notice {
                    date: d("2025-09-26"),
                },
            )
            .await
            .unwrap();
        assert_eq!(noticed.state, AppState::Noticed);
        assert_eq!(noticed.deadline, Some(d("2025-10-22")));
        let early = Action::Review {
            date: d("2025-10-09"),
            approve: true,
            reason: String::new(),
        };
        assert!(matches!(
            apps.step(&county, app.id, early).await,
            Err(StoreError::Invalid(m)) if m.contains("公示期未满")
        ));
        let ok = Action::Review {
            date: d("2025-10-10"),
            approve: true,
            reason: String::new(),
        };
        let issued = apps.step(&county, app.id, ok).await.unwrap();
        assert_eq!(issued.state, AppState::Issued);
        let file = store.persons().get(&county, &a).await.unwrap();
        assert_eq!(
            file.person.cert_number.as_ref().unwrap().as_str(),
            format!("{}42", a.as_str())
        );
        assert_eq!(file.person.grade, Grade::new(2));
        assert_eq!(file.person.cert_issued, Some(d("2025-10-10")));
        assert_eq!(file.person.cert_valid_to, Some(d("2035-10-09")));
        let history = store.persons().history(&county, &file).await.unwrap();
        assert!(
            history
                .iter()
                .any(|h| h.field == "cert_number" && h.source == "certificate")
        );
        let (_, steps) = apps.get(&county, app.id).await.unwrap();
        let names: Vec<&str> = steps.iter().map(|s| s.action.as_str()).collect();
        assert_eq!(names, vec!["apply", "assess", "notice", "review"]);
        assert_eq!(steps[1].actor, "xw");
        assert!(steps[2].detail.contains("2025-10-09"));
        assert_eq!(apps.list(&county, None).await.unwrap().len(), 1);
        assert!(apps.list(&other, None).await.unwrap().is_empty());
    }
);

contract!(
    one_step_when_two_act_and_no_reapplying_within_a_year,
    |db: TestDb| async move {
        let store = db.open().await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let b = person(&store, &county, 2, true).await;
        let apps = store.applications();
        let app = apps
            .apply(&county, &b, AppKind::Reissue, d("2025-09-01"), None, "遗失")
            .await
            .unwrap();
        let review = || Action::Review {
            date: d("2025-09-02"),
            approve: true,
            reason: String::new(),
        };
        let (r1, r2) = tokio::join!(
            apps.step(&county, app.id, review()),
            apps.step(&county, app.id, review())
        );
        assert_eq!(
            [r1.is_ok(), r2.is_ok()].iter().filter(|x| **x).count(),
            1,
            "{r1:?} {r2:?}"
        );
        let file = store.persons().get(&county, &b).await.unwrap();
        assert_eq!(
            file.person.cert_number.as_ref().unwrap().as_str(),
            format!("{}43B1", b.as_str()),
            "a reissued card takes the next suffix, once"
        );
        let cancel = apps
            .apply(
                &county,
                &b,
                AppKind::Cancel,
                d("2025-09-10"),
                None,
                "本人申请注销",
            )
            .await
            .unwrap();
        apps.step(
            &county,
            cancel.id,
            Action::Review {
                date: d("2025-09-11"),
                approve: true,
                reason: String::new(),
            },
        )
        .await
        .unwrap();
        let file = store.persons().get(&county, &b).await.unwrap();
        assert_eq!(file.person.cert_state, CertState::Cancelled);
        assert!(matches!(
            apps.apply(&county, &b, AppKind::New, d("2026-03-01"), None, "").await,
            Err(StoreError::Invalid(m)) if m.contains("2026-09-11")
        ));
        assert!(matches!(
            apps.apply(&county, &b, AppKind::Renewal, d("2026-03-01"), None, "").await,
            Err(StoreError::Invalid(m)) if m.contains("没有可换领")
        ));
        assert!(matches!(
            apps.apply(&county, &b, AppKind::Transfer, d("2025-09-12"), None, "")
                .await,
            Err(StoreError::Invalid(_))
        ));
    }
);

contract!(an_online_assessment_session, |db: TestDb| async move {
    let store = db.open().await;
    let county = user(&store, "xw", Role::County, "320102000000").await;
    let village = user(&store, "cun", Role::Village, "320102002001").await;
    let a = person(&store, &county, 1, false).await;
    let b = person(&store, &county, 2, true).await;
    let apps = store.applications();
    let new = apps
        .apply(&village, &a, AppKind::New, d("2025-09-01"), None, "")
        .await
        .unwrap();
    let change = apps
        .apply(&village, &b, AppKind::Change, d("2025-09-01"), None, "")
        .await
        .unwrap();
    let reissue_holder = person(&store, &county, 3, true).await;
    let reissue = apps
        .apply(
            &village,
            &reissue_holder,
            AppKind::Reissue,
            d("2025-09-01"),
            None,
            "",
        )
        .await
        .unwrap();
    let sessions = store.assessment_sessions();
    assert!(matches!(
        sessions
            .schedule(
                &village,
                d("2025-09-10"),
                "南京市第一医院",
                "王医生、李医生"
            )
            .await,
        Err(StoreError::Forbidden)
    ));
    let s = sessions
        .schedule(&county, d("2025-09-10"), "南京市第一医院", "王医生、李医生")
        .await
        .unwrap();
    sessions.add(&county, s.id, new.id).await.unwrap();
    sessions.add(&county, s.id, change.id).await.unwrap();
    assert!(matches!(
        sessions.add(&county, s.id, reissue.id).await,
        Err(StoreError::Invalid(m)) if m.contains("待评定")
    ));
    let s = sessions.get(&county, s.id).await.unwrap();
    assert_eq!(s.applicants.len(), 2);
    let outcome = |id, grade| crate::SessionOutcome {
        application_id: id,
        category: Category::new(4).unwrap(),
        grade: Grade::new(grade).unwrap(),
        components: Components(Vec::new()),
    };
    // B already holds 肢体三级: a change assessed as the same is refused; A is assessed.
    let refused = sessions
        .record(
            &county,
            s.id,
            vec![
                outcome(new.id, 2),
                outcome(change.id, 3),
                outcome(reissue.id, 2),
            ],
        )
        .await
        .unwrap();
    let codes: Vec<(usize, &str)> = refused.iter().map(|r| (r.row, r.code.as_str())).collect();
    assert_eq!(codes, vec![(2, "refused"), (3, "not_on_session")]);
    assert_eq!(
        apps.get(&county, new.id).await.unwrap().0.state,
        AppState::Assessed
    );
    assert_eq!(
        apps.get(&county, change.id).await.unwrap().0.state,
        AppState::Applied
    );
    let (_, steps) = apps.get(&county, new.id).await.unwrap();
    assert!(steps[1].detail.contains("南京市第一医院"));
    assert_eq!(
        sessions.list(&village).await.unwrap().len(),
        0,
        "a county's session, not a village's"
    );
    assert_eq!(sessions.list(&county).await.unwrap().len(), 1);
});
