//! Plan indicators' contract, on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use anju_domain::Role;
use anju_domain::id_number::IdNumber;
use anju_domain::month::Month;
use anju_domain::subsidy::{Assistance, AssistanceKind};

use crate::programmes_tests::{d, file, user};
use crate::testing::TestDb;
use crate::{
    AssistanceRow, Basis, Board, ManualClock, Source, StoreError, TargetLine, When, Which, contract,
};

fn ms(day: &str) -> i64 {
    d(day)
        .and_hms_opt(4, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

const VILLAGE: &str = "320102002001";
const VILLAGE2: &str = "320102002002";
const OTHER_TOWN_VILLAGE: &str = "320102003001";
const QINHUAI: &str = "320104002001";

fn value(b: &Board, key: &str) -> (i64, i64) {
    let i = b.indicators.iter().find(|i| i.key == key).unwrap();
    (i.tally.n, i.tally.d)
}

fn child(b: &Board, key: &str, code: &str) -> i64 {
    let i = b.indicators.iter().find(|i| i.key == key).unwrap();
    i.children.iter().find(|c| c.code == code).unwrap().tally.n
}

/// The scope's indicators now.
async fn now(store: &crate::Store, scope: &crate::Scope) -> Board {
    store
        .indicators()
        .board(scope, None, When::Now)
        .await
        .unwrap()
}

/// Every indicator of the board equals a count made afresh over the files.
async fn agrees_with_a_fresh_count(store: &crate::Store, scope: &crate::Scope, b: &Board) {
    let defs = store.indicators().definitions().unwrap();
    let (total, _) = store
        .indicators()
        .counted_sums(&b.region, None, &defs, b.as_of)
        .await
        .unwrap();
    let live: Vec<_> = b.indicators.iter().map(|i| i.tally).collect();
    assert_eq!(live, total, "live tallies for {}", scope.username());
}

contract!(
    live_values_follow_every_change_exactly,
    |db: TestDb| async move {
        let store = db
            .open_with(Arc::new(ManualClock::new(ms("2026-06-30"))))
            .await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let a = IdNumber::compose("320102", d("1980-01-01"), 1).unwrap();
        let b = IdNumber::compose("320102", d("1990-02-02"), 3).unwrap();
        let c = IdNumber::compose("320102", d("2015-03-03"), 5).unwrap();
        file(&store, &a, VILLAGE, Some(("肢体", "一级"))).await;
        file(&store, &b, VILLAGE2, Some(("视力", "三级"))).await;
        file(&store, &c, OTHER_TOWN_VILLAGE, Some(("智力", "二级"))).await;
        // Another county's file is in the province, not in this county.
        let q = IdNumber::compose("320104", d("1970-01-01"), 7).unwrap();
        file(&store, &q, QINHUAI, Some(("听力", "四级"))).await;

        let board = now(&store, &county).await;
        assert_eq!(board.basis, Basis::Live);
        assert_eq!(value(&board, "holders"), (3, 0));
        assert_eq!(value(&board, "holders_grade1"), (1, 0));
        assert_eq!(child(&board, "holders", "320102002000"), 2);
        assert_eq!(child(&board, "holders", "320102003000"), 1);
        // The income indicator has no data: no value, not zero.
        let income = board
            .indicators
            .iter()
            .find(|i| i.key == "income_growth")
            .unwrap();
        assert!(income.no_data && income.value.is_none());
        assert_eq!(income.display, "暂无数据");
        agrees_with_a_fresh_count(&store, &county, &board).await;

        // A change marks its village: the next reading has it.
        let admin = store.users().local_scope("admin").await.unwrap();
        let mut rec = store.persons().get(&admin, &b).await.unwrap().person;
        rec.grade = Some(anju_domain::certificate::Grade::parse("一级").unwrap());
        store
            .persons()
            .update(&admin, rec, Source::Web)
            .await
            .unwrap();
        let mut moved = store.persons().get(&admin, &a).await.unwrap().person;
        moved.household_code = anju_domain::RegionCode::parse(OTHER_TOWN_VILLAGE).unwrap();
        store
            .persons()
            .update(&admin, moved, Source::Web)
            .await
            .unwrap();
        store
            .subsidies()
            .import_assistance(
                &county,
                "低保",
                vec![AssistanceRow {
                    row: 2,
                    id_number: a.clone(),
                    assistance: Assistance {
                        kind: AssistanceKind::Dibao,
                        from: Month::parse("2026-01").unwrap(),
                        to: None,
                        amount: None,
                    },
                }],
                true,
            )
            .await
            .unwrap();
        let board = now(&store, &county).await;
        assert_eq!(value(&board, "holders_grade1"), (2, 0));
        assert_eq!(child(&board, "holders", "320102002000"), 1);
        assert_eq!(child(&board, "holders", "320102003000"), 2);
        // A, severe and on 低保, is in the renovation population, not yet renovated.
        assert_eq!(value(&board, "renovation"), (0, 1));
        agrees_with_a_fresh_count(&store, &county, &board).await;

        // A case opened and a visit's need are marked like a file's change.
        let pa = store.persons().get(&admin, &a).await.unwrap().id;
        let pb = store.persons().get(&admin, &b).await.unwrap().id;
        store
            .cases()
            .open(&county, pa, "辅助器具适配", d("2026-06-01"), Some("测试"))
            .await
            .unwrap();
        store
            .visits()
            .record(
                &county,
                pb,
                &anju_domain::visit::VisitInput {
                    visited_on: "2026-06-20".into(),
                    met: "本人".into(),
                    living: "独居".into(),
                    health: "一般".into(),
                    income: "家庭供养".into(),
                    needs: vec!["辅助器具适配".into()],
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap();
        let board = now(&store, &county).await;
        assert_eq!(value(&board, "served_device"), (1, 0));
        assert_eq!(
            value(&board, "device_fitting"),
            (0, 1),
            "b needs one, not yet fitted"
        );
        agrees_with_a_fresh_count(&store, &county, &board).await;

        // The province sees the other county too; the county does not see it.
        let province = now(&store, &admin).await;
        assert_eq!(value(&province, "holders"), (4, 0));
        assert!(matches!(
            store
                .indicators()
                .board(&county, Some("320104"), When::Now)
                .await,
            Err(StoreError::NotFound(_))
        ));
        // On an earlier date the child was not yet 6; a future date is refused.
        let early = store
            .indicators()
            .board(&county, None, When::Date(d("2020-01-01")))
            .await
            .unwrap();
        assert_eq!(early.basis, Basis::Counted);
        assert!(matches!(
            store
                .indicators()
                .board(&county, None, When::Date(d("2026-07-01")))
                .await,
            Err(StoreError::Invalid(_))
        ));
    }
);

contract!(
    a_county_splits_its_task_and_bad_targets_change_nothing,
    |db: TestDb| async move {
        let store = db
            .open_with(Arc::new(ManualClock::new(ms("2026-06-30"))))
            .await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let town = user(&store, "zhen", Role::Town, "320102002000").await;
        let leader = user(&store, "lead", Role::Leader, "320102000000").await;
        let line = |row: usize, region: &str, indicator: &str, value: &str| TargetLine {
            row,
            region: region.into(),
            year: "2026".into(),
            indicator: indicator.into(),
            value: value.into(),
        };
        // Unknown region, unknown indicator, a negative share, another county, no data: every
        // row reported, nothing kept.
        let r = store
            .indicators()
            .set_targets(
                &county,
                vec![
                    line(2, "320102000000", "new_employment", "163"),
                    line(3, "320199000000", "new_employment", "10"),
                    line(4, "320102002000", "不存在的指标", "10"),
                    line(5, "320102002000", "new_employment", "-5"),
                    line(6, "320104000000", "new_employment", "5"),
                    line(7, "320102003000", "income_growth", "5"),
                    line(8, "320102003000", "medical_insurance", "101%"),
                ],
                "测试",
            )
            .await
            .unwrap();
        assert!(!r.committed);
        let rows: Vec<(usize, &str)> = r
            .rejected
            .iter()
            .map(|x| (x.row, x.column.as_str()))
            .collect();
        assert_eq!(
            rows,
            vec![
                (3, "区划代码"),
                (4, "指标"),
                (5, "目标值"),
                (6, "区划代码"),
                (7, "指标"),
                (8, "目标值")
            ]
        );
        assert!(
            r.rejected[2].message.contains("负数"),
            "{}",
            r.rejected[2].message
        );
        let sheet = store
            .indicators()
            .target_sheet(&county, None, 2026)
            .await
            .unwrap();
        assert!(sheet.lines.iter().all(|l| l.own.is_none()), "nothing kept");

        // The task, split among two of the towns, short by 13.
        let r = store
            .indicators()
            .set_targets(
                &county,
                vec![
                    line(2, "320102", "实名制新增就业人数", "163"),
                    line(3, "320102002000", "new_employment", "100"),
                    line(4, "320102003000", "new_employment", "50"),
                    line(5, "320102000000", "medical_insurance", "99%"),
                ],
                "测试",
            )
            .await
            .unwrap();
        assert!(r.committed, "{:?}", r.rejected);
        assert_eq!(r.inserted, 4);
        let sheet = store
            .indicators()
            .target_sheet(&leader, None, 2026)
            .await
            .unwrap();
        let emp = sheet
            .lines
            .iter()
            .find(|l| l.key == "new_employment")
            .unwrap();
        assert_eq!(emp.own.unwrap().0, 16300);
        let a = emp.allocation.as_ref().unwrap();
        assert_eq!(a.difference, Some(1300));
        assert!(a.message().contains("少13"), "{}", a.message());
        assert_eq!(sheet.unbalanced().len(), 1);
        let med = sheet
            .lines
            .iter()
            .find(|l| l.key == "medical_insurance")
            .unwrap();
        assert!(med.allocation.is_none(), "a rate is not split");
        // A rate over nobody (no holders here) has no value and is not behind its target.
        let board = now(&store, &county).await;
        let med = board
            .indicators
            .iter()
            .find(|i| i.key == "medical_insurance")
            .unwrap();
        assert!(med.target.is_some() && med.value.is_none() && !med.behind);
        // The town sees its share against its progress; the leader reads but cannot set.
        let board = now(&store, &town).await;
        let emp = board
            .indicators
            .iter()
            .find(|i| i.key == "new_employment")
            .unwrap();
        assert_eq!(emp.target.unwrap().0, 10000);
        assert!(emp.behind, "none employed by mid-year against 100");
        assert!(matches!(
            store
                .indicators()
                .set_targets(&leader, vec![line(2, "320102", "new_employment", "1")], "x")
                .await,
            Err(StoreError::Forbidden)
        ));
        // An empty value removes a target; the same value again changes nothing.
        let r = store
            .indicators()
            .set_targets(
                &county,
                vec![
                    line(2, "320102003000", "new_employment", "63"),
                    line(3, "320102000000", "medical_insurance", "99"),
                ],
                "测试",
            )
            .await
            .unwrap();
        assert_eq!((r.updated, r.unchanged), (1, 1));
        let sheet = store
            .indicators()
            .target_sheet(&county, None, 2026)
            .await
            .unwrap();
        let emp = sheet
            .lines
            .iter()
            .find(|l| l.key == "new_employment")
            .unwrap();
        assert!(emp.allocation.as_ref().unwrap().balanced());
    }
);

contract!(
    a_year_end_snapshot_is_taken_once_and_does_not_move,
    |db: TestDb| async move {
        let clock = Arc::new(ManualClock::new(ms("2026-06-30")));
        let store = db.open_with(clock.clone()).await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let a = IdNumber::compose("320102", d("1980-01-01"), 1).unwrap();
        let b = IdNumber::compose("320102", d("1990-02-02"), 3).unwrap();
        file(&store, &a, VILLAGE, Some(("肢体", "一级"))).await;
        file(&store, &b, VILLAGE2, Some(("视力", "三级"))).await;
        // The year not yet ended, or in the future: refused.
        for y in [2026, 2027] {
            assert!(matches!(
                store.indicators().take_snapshot(&admin, y).await,
                Err(StoreError::Invalid(_))
            ));
        }
        assert!(matches!(
            store.indicators().take_snapshot(&county, 2025).await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            store
                .indicators()
                .board(&county, None, When::Year(2027))
                .await,
            Err(StoreError::Invalid(_))
        ));
        let first = store
            .indicators()
            .take_snapshot(&admin, 2025)
            .await
            .unwrap();
        assert!(first.taken);
        assert!(first.regions >= 5, "province, city, county, town, villages");
        let again = store
            .indicators()
            .take_snapshot(&admin, 2025)
            .await
            .unwrap();
        assert!(!again.taken, "taken once");
        // A later change does not move the year's values.
        let mut rec = store.persons().get(&admin, &b).await.unwrap().person;
        rec.grade = Some(anju_domain::certificate::Grade::parse("一级").unwrap());
        store
            .persons()
            .update(&admin, rec, Source::Web)
            .await
            .unwrap();
        let y2025 = store
            .indicators()
            .board(&county, None, When::Year(2025))
            .await
            .unwrap();
        assert!(matches!(y2025.basis, Basis::Snapshot { .. }));
        assert_eq!(y2025.as_of, d("2025-12-31"));
        assert_eq!(value(&y2025, "holders_grade1"), (1, 0));
        assert_eq!(child(&y2025, "holders", "320102002000"), 2);
        let today = now(&store, &county).await;
        assert_eq!(value(&today, "holders_grade1"), (2, 0));
        let history = store
            .indicators()
            .history(
                &county,
                &y2025.region,
                &store.indicators().definitions().unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].0, 2025);
        // A year without a snapshot is counted for its last day, and says so.
        let y2024 = store
            .indicators()
            .board(&county, None, When::Year(2024))
            .await
            .unwrap();
        assert_eq!(y2024.basis, Basis::Counted);
        assert_eq!(y2024.as_of, d("2024-12-31"));
        // A new day recounts everything and still agrees.
        clock.advance_secs(86_400);
        let next = now(&store, &county).await;
        assert_eq!(next.as_of, d("2026-07-01"));
        agrees_with_a_fresh_count(&store, &county, &next).await;
    }
);

contract!(
    the_people_behind_a_count_are_scoped_masked_and_audited,
    |db: TestDb| async move {
        let store = db
            .open_with(Arc::new(ManualClock::new(ms("2026-06-30"))))
            .await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let leader = user(&store, "lead", Role::Leader, "320102000000").await;
        let village = user(&store, "cun", Role::Village, VILLAGE).await;
        let a = IdNumber::compose("320102", d("1980-01-01"), 1).unwrap();
        let b = IdNumber::compose("320102", d("1990-02-02"), 3).unwrap();
        file(&store, &a, VILLAGE, Some(("肢体", "一级"))).await;
        file(&store, &b, VILLAGE2, Some(("视力", "三级"))).await;
        let (page, rows) = store
            .indicators()
            .behind(&county, None, "holders", None, Which::All, false)
            .await
            .unwrap();
        assert_eq!((page.total, page.counted, rows.len()), (2, 2, 2));
        assert_eq!(
            rows[0].id_number,
            a.as_str(),
            "the county sees whole numbers"
        );
        let (_, rows) = store
            .indicators()
            .behind(&leader, None, "holders", None, Which::All, true)
            .await
            .unwrap();
        assert!(
            rows.iter().all(|r| r.id_number.contains('*')),
            "the leader's are masked"
        );
        let (_, rows) = store
            .indicators()
            .behind(&village, None, "holders", None, Which::All, false)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "a village worker sees the village");
        assert!(matches!(
            store
                .indicators()
                .behind(
                    &village,
                    Some("320102002002"),
                    "holders",
                    None,
                    Which::All,
                    false
                )
                .await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store
                .indicators()
                .behind(&county, None, "no_such", None, Which::All, false)
                .await,
            Err(StoreError::NotFound(_))
        ));
        let auditor = user(&store, "aud", Role::Auditor, "320000000000").await;
        let log = store
            .audit()
            .list(
                &auditor,
                &crate::AuditFilter {
                    action: Some("indicator.export".into()),
                    page: 1,
                    per_page: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(log.entries.len(), 1);
        assert_eq!(log.entries[0].actor.as_deref(), Some("lead"));
    }
);

contract!(
    a_report_counts_cases_certificates_and_refuses_a_period_not_begun,
    |db: TestDb| async move {
        let store = db
            .open_with(Arc::new(ManualClock::new(ms("2026-06-30"))))
            .await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let a = IdNumber::compose("320102", d("1980-01-01"), 1).unwrap();
        let b = IdNumber::compose("320102", d("1990-02-02"), 3).unwrap();
        let pa = file(&store, &a, VILLAGE, Some(("肢体", "一级"))).await;
        file(&store, &b, VILLAGE2, Some(("视力", "三级"))).await;
        for (id, issued) in [(&a, "2026-03-05"), (&b, "2025-11-20")] {
            let mut p = store.persons().get(&admin, id).await.unwrap().person;
            p.cert_issued = Some(d(issued));
            store
                .persons()
                .update(&admin, p, Source::Web)
                .await
                .unwrap();
        }
        store
            .cases()
            .open(&county, pa, "辅助器具适配", d("2026-03-10"), Some("测试"))
            .await
            .unwrap();
        let march = store
            .indicators()
            .report(&county, None, 2026, Some(3))
            .await
            .unwrap();
        assert_eq!(march.title, "玄武区残疾人工作月报");
        assert_eq!((march.from, march.to), (d("2026-03-01"), d("2026-03-31")));
        assert_eq!(march.board.as_of, d("2026-03-31"));
        assert_eq!(march.certificates_total, 1);
        assert_eq!(march.certificates[0].category, "肢体");
        let device = march
            .cases
            .iter()
            .find(|c| c.programme == "辅助器具适配")
            .unwrap();
        assert_eq!(
            (device.opened, device.closed, device.open_at_end),
            (1, 0, 1)
        );
        assert!(march.subsidies.is_empty());
        assert_eq!(value(&march.board, "served_device"), (1, 0));
        assert_eq!(value(&march.board, "certificates_issued"), (1, 0));
        // The year so far: both certificates' years differ, one is this year's.
        let year = store
            .indicators()
            .report(&county, None, 2026, None)
            .await
            .unwrap();
        assert_eq!(year.to, d("2026-06-30"));
        assert_eq!(year.board.basis, Basis::Live);
        // February: the case not yet opened.
        let feb = store
            .indicators()
            .report(&county, None, 2026, Some(2))
            .await
            .unwrap();
        assert!(feb.cases.is_empty());
        for (y, m) in [(2026, Some(13)), (2026, Some(7)), (2027, None)] {
            assert!(
                matches!(
                    store.indicators().report(&county, None, y, m).await,
                    Err(StoreError::Invalid(_))
                ),
                "{y} {m:?}"
            );
        }
        assert!(matches!(
            store
                .indicators()
                .report(&county, Some("320104"), 2026, None)
                .await,
            Err(StoreError::NotFound(_))
        ));
    }
);

contract!(
    a_registry_loaded_whole_is_counted_whole_and_then_followed_again,
    |db: TestDb| async move {
        use anju_domain::person::{Field, PersonInput, validate};
        let store = db
            .open_with(Arc::new(ManualClock::new(ms("2026-06-30"))))
            .await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let board = now(&store, &county).await;
        assert_eq!(value(&board, "holders"), (0, 0));
        let person = |seq: u16, village: &str| {
            let id = IdNumber::compose("320102", d("1980-05-06"), seq).unwrap();
            let mut i = PersonInput::default();
            i.set(Field::IdNumber, id.as_str());
            i.set(Field::Name, "测试");
            i.set(Field::HouseholdCode, village);
            i.set(Field::Category, "肢体");
            i.set(Field::Grade, "二级");
            i.set(Field::CertValidTo, "2030-12-31");
            validate(&i, anju_domain::RegionTable::jiangsu()).unwrap()
        };
        // Into an empty registry: the bulk load (on PostgreSQL without the per-statement
        // marks), then every village counted at the next reading.
        let mut batch = store
            .persons()
            .begin_import(&county, "全部.csv")
            .await
            .unwrap();
        batch
            .apply(vec![
                (2, person(11, VILLAGE)),
                (3, person(13, OTHER_TOWN_VILLAGE)),
            ])
            .await
            .unwrap();
        batch.commit(2, 0).await.unwrap();
        let board = now(&store, &county).await;
        assert_eq!(value(&board, "holders"), (2, 0));
        assert_eq!(child(&board, "holders", "320102003000"), 1);
        // The marks are on again: a file made afterwards is counted at once.
        let c = IdNumber::compose("320102", d("1990-02-02"), 15).unwrap();
        file(&store, &c, VILLAGE2, Some(("视力", "三级"))).await;
        let board = now(&store, &county).await;
        assert_eq!(value(&board, "holders"), (3, 0));
        agrees_with_a_fresh_count(&store, &county, &board).await;
    }
);
