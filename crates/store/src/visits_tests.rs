//! Home visits' contract, on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use anju_domain::Role;
use anju_domain::id_number::IdNumber;
use anju_domain::month::Month;
use anju_domain::subsidy::{Assistance, AssistanceKind};
use anju_domain::visit::VisitInput;

use crate::programmes_tests::{d, file, user};
use crate::testing::TestDb;
use crate::{AssistanceRow, DueFilter, ManualClock, StoreError, contract};

fn ms(day: &str) -> i64 {
    d(day)
        .and_hms_opt(4, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

const VILLAGE: &str = "320102002001";
const OTHER_VILLAGE: &str = "320102002002";

fn visit(on: &str, living: &str) -> VisitInput {
    VisitInput {
        visited_on: on.into(),
        met: "本人".into(),
        living: living.into(),
        health: "一般".into(),
        income: "家庭供养".into(),
        needs: vec!["康复服务".into()],
        note: "屋顶漏雨".into(),
        followup: String::new(),
    }
}

contract!(
    visits_are_listed_by_rule_recorded_once_and_followed_up,
    |db: TestDb| async move {
        let store = db
            .open_with(Arc::new(ManualClock::new(ms("2026-03-02"))))
            .await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let town = user(&store, "zhen", Role::Town, "320102002000").await;
        let village = user(&store, "cun", Role::Village, VILLAGE).await;
        let other = user(&store, "cun2", Role::Village, OTHER_VILLAGE).await;
        let severe = IdNumber::compose("320102", d("1980-01-01"), 1).unwrap();
        let poor = IdNumber::compose("320102", d("1970-02-02"), 3).unwrap();
        let mild = IdNumber::compose("320102", d("1990-03-03"), 5).unwrap();
        let elsewhere = IdNumber::compose("320102", d("1960-04-04"), 7).unwrap();
        let p_severe = file(&store, &severe, VILLAGE, Some(("肢体", "一级"))).await;
        let p_poor = file(&store, &poor, VILLAGE, Some(("听力", "四级"))).await;
        let p_mild = file(&store, &mild, VILLAGE, Some(("视力", "三级"))).await;
        let p_else = file(&store, &elsewhere, OTHER_VILLAGE, Some(("肢体", "二级"))).await;
        store
            .subsidies()
            .import_assistance(
                &county,
                "a",
                vec![AssistanceRow {
                    row: 2,
                    id_number: poor.clone(),
                    assistance: Assistance {
                        kind: AssistanceKind::Dibao,
                        from: Month::parse("2025-01").unwrap(),
                        to: None,
                        amount: None,
                    },
                }],
                true,
            )
            .await
            .unwrap();

        // Never visited: both due today; the mild grade without hardship is not listed; the
        // other village's person is not this worker's.
        let due = store
            .visits()
            .due(&village, &DueFilter::default())
            .await
            .unwrap();
        let people: Vec<(i64, &str, bool)> = due
            .iter()
            .map(|v| (v.person_id, v.due.rule.as_str(), v.due.never))
            .collect();
        assert_eq!(
            people,
            vec![
                (p_severe, "重度残疾人每年走访", true),
                (p_poor, "困难家庭每季度走访", true)
            ]
        );
        assert_eq!(due[0].due.due_on, d("2026-03-02"));
        assert!(
            due[0].id_number.contains('*'),
            "masked for a village worker"
        );
        let county_due = store
            .visits()
            .due(&county, &DueFilter::default())
            .await
            .unwrap();
        assert_eq!(county_due.len(), 3);
        assert!(county_due.iter().any(|v| v.person_id == p_else));
        assert_eq!(county_due[0].id_number.len(), 18, "whole for the county");

        // A visit: the list moves the person a year on; sent twice with one token, kept once.
        let mut v = visit("2026-03-01", "与家人同住");
        v.followup = "请镇里协调修缮屋顶".into();
        let first = store
            .visits()
            .record(&village, p_severe, &v, Some("tok-1"))
            .await
            .unwrap();
        let again = store
            .visits()
            .record(&village, p_severe, &v, Some("tok-1"))
            .await
            .unwrap();
        assert_eq!(first.id, again.id);
        assert_eq!(first.visit.needs, vec!["rehab"]);
        assert_eq!(first.labels().needs, "康复服务");
        let visits = store.visits().of_person(&town, p_severe).await.unwrap();
        assert_eq!(visits.len(), 1);
        assert_eq!(
            visits[0].visit.followup.as_deref(),
            Some("请镇里协调修缮屋顶")
        );
        let due = store
            .visits()
            .due(&village, &DueFilter::default())
            .await
            .unwrap();
        let severe_due = due.iter().find(|v| v.person_id == p_severe).unwrap();
        assert_eq!(
            (severe_due.due.due_on, severe_due.last_visit),
            (d("2027-03-01"), Some(d("2026-03-01")))
        );
        // Within the notice only the hardship household is due.
        let soon = store
            .visits()
            .due(
                &village,
                &DueFilter {
                    by: Some(d("2026-03-16")),
                    ..DueFilter::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            soon.iter().map(|v| v.person_id).collect::<Vec<_>>(),
            vec![p_poor]
        );
        // Found living alone: the mild grade joins the list, quarterly.
        store
            .visits()
            .record(&village, p_mild, &visit("2026-01-05", "独居"), None)
            .await
            .unwrap();
        let due = store
            .visits()
            .due(&village, &DueFilter::default())
            .await
            .unwrap();
        let alone = due.iter().find(|v| v.person_id == p_mild).unwrap();
        assert_eq!(
            (alone.due.rule.as_str(), alone.due.due_on),
            ("独居者每季度走访", d("2026-04-05"))
        );

        // Bad input and the wrong person: refused by field, nothing kept.
        let err = store
            .visits()
            .record(&village, p_poor, &visit("2026-03-03", "独居"), None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("走访日期"), "{err}");
        let err = store
            .visits()
            .record(&village, p_poor, &visit("2026-03-01", "船上"), None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("居住情况"), "{err}");
        assert!(matches!(
            store
                .visits()
                .record(&other, p_severe, &visit("2026-03-01", "独居"), None)
                .await,
            Err(StoreError::NotFound(_))
        ));
        assert!(
            store
                .visits()
                .of_person(&village, p_poor)
                .await
                .unwrap()
                .is_empty()
        );

        // The follow-up: the town's, on its worklist; closed once with what was done.
        let open = store.visits().followups(&town, true).await.unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].what, "请镇里协调修缮屋顶");
        assert_eq!(open[0].due_on, d("2026-03-09"), "5 working days");
        assert!(
            store
                .visits()
                .followups(&other, true)
                .await
                .unwrap()
                .is_empty()
        );
        let work = store.worklist(&town).await.unwrap();
        assert!(
            work.items
                .iter()
                .any(|i| i.kind == "visit_followup" && i.count == 1),
            "{:?}",
            work.items
        );
        assert!(
            store
                .worklist(&village)
                .await
                .unwrap()
                .items
                .iter()
                .any(|i| i.kind == "visit" && i.href == "/visits")
        );
        assert!(matches!(
            store
                .visits()
                .close_followup(&village, open[0].id, "已修")
                .await,
            Err(StoreError::Forbidden)
        ));
        assert!(
            store
                .visits()
                .close_followup(&town, open[0].id, " ")
                .await
                .is_err()
        );
        store
            .visits()
            .close_followup(&town, open[0].id, "已协调村委修缮")
            .await
            .unwrap();
        assert!(
            store
                .visits()
                .close_followup(&town, open[0].id, "再次")
                .await
                .is_err(),
            "closed once"
        );
        let all = store.visits().followups(&town, false).await.unwrap();
        assert_eq!(
            (all[0].status.as_str(), all[0].outcome.as_str()),
            ("closed", "已协调村委修缮")
        );
        assert!(
            store
                .visits()
                .followups(&town, true)
                .await
                .unwrap()
                .is_empty()
        );

        // Needs against services: the latest visit's needs without a service are warnings.
        let mut v = visit("2026-02-20", "与家人同住");
        v.needs = vec![
            "基本生活救助".into(),
            "辅助器具适配".into(),
            "文化体育服务".into(),
        ];
        store
            .visits()
            .record(&village, p_poor, &v, None)
            .await
            .unwrap();
        let g = store.needs().gaps(&town, None).await.unwrap();
        assert_eq!(g.region, "320102002000");
        let found: Vec<(i64, &str, chrono::NaiveDate)> = g
            .warnings
            .iter()
            .map(|w| (w.person_id, w.need_code.as_str(), w.since))
            .collect();
        // 低保 answers basic living; culture has no service here and is not warned of; the
        // rehabilitation needs are each person's since the first visit naming them.
        assert_eq!(
            found,
            vec![
                (p_poor, "device", d("2026-02-20")),
                (p_mild, "rehab", d("2026-01-05")),
                (p_severe, "rehab", d("2026-03-01")),
            ]
        );
        assert_eq!(g.warnings[0].need, "辅助器具适配");
        assert_eq!(g.warnings[0].town_code, "320102002000");
        assert_eq!(g.warnings[0].id_number.len(), 18, "whole for the town");
        assert_eq!(
            g.counts
                .iter()
                .map(|c| (c.need.as_str(), c.count))
                .collect::<Vec<_>>(),
            vec![("康复服务", 2), ("辅助器具适配", 1)]
        );
        let masked = store.needs().gaps(&village, None).await.unwrap();
        assert!(masked.warnings.iter().all(|w| w.id_number.contains('*')));
        assert!(
            store
                .needs()
                .gaps(&other, None)
                .await
                .unwrap()
                .warnings
                .is_empty()
        );
        assert!(matches!(
            store.needs().gaps(&village, Some("320104")).await,
            Err(StoreError::Forbidden)
        ));
        assert_eq!(
            store
                .needs()
                .gaps(&county, Some("320102002"))
                .await
                .unwrap()
                .warnings
                .len(),
            3
        );
        assert!(
            store
                .worklist(&town)
                .await
                .unwrap()
                .items
                .iter()
                .any(|i| i.kind == "needs_gap" && i.count == 3)
        );
        // A later visit that no longer names the need closes its warning.
        let mut v = visit("2026-03-02", "独居");
        v.needs = Vec::new();
        store
            .visits()
            .record(&village, p_mild, &v, None)
            .await
            .unwrap();
        let g = store.needs().gaps(&town, None).await.unwrap();
        assert!(!g.warnings.iter().any(|w| w.person_id == p_mild));
        assert_eq!(g.warnings.len(), 2);
        // Many visits at once: all or nothing, within the scope.
        let checked = |on: &str| anju_domain::visit::Visit {
            visited_on: d(on),
            met: "self".into(),
            living: "family".into(),
            health: "good".into(),
            income: "wage".into(),
            needs: vec!["device".into()],
            note: String::new(),
            followup: None,
        };
        let err = store
            .visits()
            .record_many(
                &village,
                vec![
                    (severe.clone(), checked("2026-03-01")),
                    (elsewhere.clone(), checked("2026-03-01")),
                ],
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("不在您的管辖范围内"), "{err}");
        assert_eq!(
            store
                .visits()
                .of_person(&town, p_severe)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store
                .visits()
                .record_many(
                    &county,
                    vec![
                        (severe.clone(), checked("2026-03-02")),
                        (elsewhere.clone(), checked("2026-03-02"))
                    ]
                )
                .await
                .unwrap(),
            2
        );
        let g = store.needs().gaps(&county, None).await.unwrap();
        assert!(
            g.warnings
                .iter()
                .any(|w| w.person_id == p_else && w.need_code == "device")
        );
    }
);
