//! Cross-checks' contract, on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use anju_domain::Role;
use anju_domain::crosscheck::{ListKind, read_row};
use anju_domain::id_number::IdNumber;
use anju_domain::person::LifeStatus;

use crate::programmes_tests::{d, file, user};
use crate::testing::TestDb;
use crate::{Item, ManualClock, StoreError, contract};

fn ms(day: &str) -> i64 {
    d(day)
        .and_hms_opt(4, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

/// A list of `kind` from rows of (header, value), numbered from row 2.
fn list(kind: ListKind, rows: &[Vec<(&str, String)>]) -> Vec<Result<Item, String>> {
    rows.iter()
        .enumerate()
        .map(|(i, cells)| {
            let m: HashMap<&str, String> = cells.iter().cloned().collect();
            let get = |h: &str| m.get(h).cloned().unwrap_or_default();
            Ok(match read_row(kind, i + 2, &get, d("2025-06-30")) {
                Ok(r) => Item::Row(r),
                Err(f) => Item::Bad(i + 2, f),
            })
        })
        .collect()
}

fn cells<'a>(v: &[(&'a str, &str)]) -> Vec<(&'a str, String)> {
    v.iter().map(|(h, s)| (*h, (*s).to_owned())).collect()
}

const VILLAGE: &str = "320102002001";
const OTHER: &str = "320104002001";

contract!(
    a_list_is_classified_tasked_once_and_confirmed_once,
    |db: TestDb| async move {
        let store = db
            .open_with(Arc::new(ManualClock::new(ms("2025-06-30"))))
            .await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let town = user(&store, "zhen", Role::Town, "320102002000").await;
        let other_town = user(&store, "qh", Role::Town, "320104002000").await;
        let village = user(&store, "cun", Role::Village, VILLAGE).await;
        let a = IdNumber::compose("320102", d("1980-01-01"), 1).unwrap();
        let b = IdNumber::compose("320102", d("1990-02-02"), 3).unwrap();
        let c = IdNumber::compose("320104", d("1970-03-03"), 5).unwrap();
        let pa = file(&store, &a, VILLAGE, Some(("肢体", "二级"))).await;
        let pb = file(&store, &b, VILLAGE, Some(("视力", "一级"))).await;
        file(&store, &c, OTHER, Some(("肢体", "二级"))).await;
        let deaths = |rows: &[Vec<(&str, String)>]| list(ListKind::Deaths, rows);
        let rows = vec![
            cells(&[
                ("身份证号", a.as_str()),
                ("姓名", "测试"),
                ("死亡日期", "2025-03-01"),
            ]),
            // Another county's person: not in this county's registry.
            cells(&[
                ("身份证号", c.as_str()),
                ("姓名", "测试"),
                ("死亡日期", "2025-03-01"),
            ]),
            // No usable number: matched by name, birth date and sex, weakly.
            cells(&[
                ("身份证号", "3201021990"),
                ("姓名", "测试"),
                ("出生日期", "1990-02-02"),
                ("性别", "男"),
                ("死亡日期", "2025-04-01"),
            ]),
            // Nothing to match on; a date in the future.
            cells(&[("身份证号", ""), ("姓名", ""), ("死亡日期", "2025-07-01")]),
        ];
        // A village worker does not run lists.
        assert!(matches!(
            store
                .crosschecks()
                .run(
                    &village,
                    ListKind::Deaths,
                    "d.csv",
                    "x",
                    None,
                    deaths(&rows)
                )
                .await,
            Err(StoreError::Forbidden)
        ));
        let r = store
            .crosschecks()
            .run(
                &county,
                ListKind::Deaths,
                "死亡.csv",
                "abc",
                None,
                deaths(&rows),
            )
            .await
            .unwrap();
        let k = &r.batch.classes;
        assert_eq!(
            (k.consistent, k.different, k.list_only, k.weak, k.rejected),
            (0, 1, 1, 1, 1)
        );
        assert_eq!(r.batch.rows, 4);
        assert_eq!(r.batch.tasks, 2, "核实死亡 and 身份核对");
        let cols: Vec<(usize, &str)> = r
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_str()))
            .collect();
        assert_eq!(cols, [(5, "身份证号"), (5, "死亡日期")]);
        // The same file again raises nothing new.
        let again = store
            .crosschecks()
            .run(
                &county,
                ListKind::Deaths,
                "死亡.csv",
                "abc",
                None,
                deaths(&rows),
            )
            .await
            .unwrap();
        assert_eq!(again.batch.tasks, 0);
        assert_eq!(again.batch.classes.different, 1);
        // A read error midway leaves nothing: no batch, no task.
        let mut broken = deaths(&rows);
        broken.insert(1, Err("无法读取文件：第3行".into()));
        assert!(
            store
                .crosschecks()
                .run(&county, ListKind::Deaths, "坏.csv", "x", None, broken)
                .await
                .is_err()
        );
        assert_eq!(store.crosschecks().batches(&county).await.unwrap().len(), 2);

        // Rows: the town sees its own (masked for a village); the other town none of them.
        let (rows_seen, total) = store
            .crosschecks()
            .rows(&county, r.batch.id, None, 1, 100)
            .await
            .unwrap();
        assert_eq!(total, 4);
        let different = rows_seen.iter().find(|x| x.class == "different").unwrap();
        assert_eq!(different.differences[0].field, "生存状态");
        assert_eq!(different.differences[0].list, "死亡（2025-03-01）");
        let (town_rows, _) = store
            .crosschecks()
            .rows(&town, r.batch.id, None, 1, 100)
            .await
            .unwrap();
        assert_eq!(
            town_rows.len(),
            2,
            "the town's people, not the unmatched rows"
        );
        let (v_rows, _) = store
            .crosschecks()
            .rows(&village, r.batch.id, Some("different"), 1, 100)
            .await
            .unwrap();
        let (all_v, tv) = store
            .crosschecks()
            .rows(&village, r.batch.id, None, 1, 100)
            .await
            .unwrap();
        assert_eq!((all_v.len(), tv), (2, 2));
        assert!(v_rows[0].id_number.contains('*'));
        assert!(matches!(
            store.crosschecks().batch(&other_town, r.batch.id).await,
            Err(StoreError::NotFound(_))
        ));
        let (_, towns) = store
            .crosschecks()
            .batch(&county, r.batch.id)
            .await
            .unwrap();
        assert_eq!(towns.len(), 1);
        assert_eq!((towns[0].classes.different, towns[0].classes.weak), (1, 1));

        // Tasks: on the worklist of the town; not of the other town.
        let tasks = store
            .crosschecks()
            .tasks(&town, Some("open"))
            .await
            .unwrap();
        assert_eq!(tasks.len(), 2);
        let w = store.worklist(&town).await.unwrap();
        assert!(
            w.items
                .iter()
                .any(|i| i.kind == "crosscheck" && i.count == 2)
        );
        assert!(
            store
                .crosschecks()
                .tasks(&other_town, None)
                .await
                .unwrap()
                .is_empty()
        );
        let death = tasks.iter().find(|t| t.task == "核实死亡").unwrap();
        let weak = tasks
            .iter()
            .find(|t| t.task.starts_with("身份核对"))
            .unwrap();
        // Ten working days from Monday 30 June 2025.
        assert_eq!(death.due_on, "2025-07-14");
        assert!(matches!(
            store.crosschecks().confirm(&other_town, death.id).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.crosschecks().confirm(&village, death.id).await,
            Err(StoreError::Forbidden)
        ));
        store.crosschecks().confirm(&town, death.id).await.unwrap();
        let again = store.crosschecks().confirm(&county, death.id).await;
        assert!(matches!(again, Err(StoreError::Invalid(m)) if m.contains("已处理")));
        let rec = store.persons().get_by_key(&county, pa).await.unwrap();
        assert_eq!(
            (rec.person.life_status, rec.person.life_date),
            (LifeStatus::Deceased, Some(d("2025-03-01")))
        );
        let h = store.persons().history(&county, &rec).await.unwrap();
        assert!(
            h.iter()
                .any(|e| e.source == format!("crosscheck:{}", r.batch.id)
                    && e.field == "life_status")
        );
        // The weak match rejected with a reason: not raised again by the same list.
        assert!(matches!(
            store.crosschecks().reject(&town, weak.id, " ").await,
            Err(StoreError::Invalid(_))
        ));
        store
            .crosschecks()
            .reject(&town, weak.id, "同名同生日，非本人")
            .await
            .unwrap();
        let third = store
            .crosschecks()
            .run(
                &county,
                ListKind::Deaths,
                "死亡.csv",
                "abc",
                None,
                deaths(&rows),
            )
            .await
            .unwrap();
        assert_eq!(third.batch.tasks, 0);
        assert_eq!(
            third.batch.classes.consistent, 1,
            "the death is now on the file"
        );
        // A large list reads the registry into memory: the same classes.
        let large = store
            .crosschecks()
            .run(
                &county,
                ListKind::Deaths,
                "死亡.csv",
                "abc",
                Some(1_000_000),
                deaths(&rows),
            )
            .await
            .unwrap();
        let (x, y) = (&large.batch.classes, &third.batch.classes);
        assert_eq!(
            (x.consistent, x.different, x.list_only, x.weak, x.rejected),
            (y.consistent, y.different, y.list_only, y.weak, y.rejected)
        );
        let (consistent, n) = store
            .crosschecks()
            .rows(&town, third.batch.id, Some("consistent"), 1, 10)
            .await
            .unwrap();
        assert_eq!(
            (n, consistent[0].row_no, consistent[0].person_id),
            (1, 2, Some(pa))
        );
        let (every, n) = store
            .crosschecks()
            .rows(&county, third.batch.id, None, 1, 10)
            .await
            .unwrap();
        assert_eq!(n, 4);
        assert!(every.iter().any(|r| r.class == "consistent"));
        assert!(matches!(
            store
                .crosschecks()
                .rows(&other_town, third.batch.id, Some("consistent"), 1, 10)
                .await,
            Err(StoreError::NotFound(_))
        ));
        assert!(
            store
                .crosschecks()
                .tasks(&town, Some("open"))
                .await
                .unwrap()
                .is_empty()
        );
        let rec_b = store.persons().get_by_key(&county, pb).await.unwrap();
        assert_eq!(
            rec_b.person.life_status,
            LifeStatus::Living,
            "a rejected task changes nothing"
        );
    }
);

contract!(
    insurance_and_assistance_lists_raise_their_tasks,
    |db: TestDb| async move {
        let store = db
            .open_with(Arc::new(ManualClock::new(ms("2025-06-30"))))
            .await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let a = IdNumber::compose("320102", d("1980-01-01"), 1).unwrap();
        let b = IdNumber::compose("320102", d("1990-02-02"), 3).unwrap();
        let e = IdNumber::compose("320102", d("1985-05-05"), 7).unwrap();
        let old = IdNumber::compose("320102", d("1940-05-05"), 9).unwrap();
        let none = IdNumber::compose("320102", d("1986-05-05"), 11).unwrap();
        let pa = file(&store, &a, VILLAGE, Some(("肢体", "二级"))).await;
        file(&store, &b, VILLAGE, Some(("视力", "一级"))).await;
        file(&store, &e, VILLAGE, Some(("听力", "三级"))).await;
        file(&store, &old, VILLAGE, Some(("听力", "三级"))).await;
        file(&store, &none, VILLAGE, None).await;
        let ins = list(
            ListKind::Insurance,
            &[
                cells(&[
                    ("身份证号", a.as_str()),
                    ("姓名", "测试"),
                    ("险种", "养老"),
                    ("参保状态", "参保缴费"),
                    ("缴费年月", "2025-05"),
                ]),
                cells(&[
                    ("身份证号", b.as_str()),
                    ("姓名", "测试"),
                    ("险种", "养老"),
                    ("参保状态", "暂停缴费"),
                    ("缴费年月", "2025-01"),
                ]),
            ],
        );
        let r = store
            .crosschecks()
            .run(&county, ListKind::Insurance, "参保.xlsx", "d1", None, ins)
            .await
            .unwrap();
        let k = &r.batch.classes;
        // The list's statuses are what the insurance indicator reads: of the three holders
        // of working age (not the aged, not the uncertified) one pays for pension insurance.
        let board = store
            .indicators()
            .board(&county, None, crate::When::Now)
            .await
            .unwrap();
        let pension = board
            .indicators
            .iter()
            .find(|i| i.key == "pension_insurance")
            .unwrap();
        assert_eq!((pension.tally.n, pension.tally.d), (1, 3));
        assert_eq!(pension.display, "33.33%");
        let ins_large = list(
            ListKind::Insurance,
            &[
                cells(&[
                    ("身份证号", a.as_str()),
                    ("姓名", "测试"),
                    ("险种", "养老"),
                    ("参保状态", "参保缴费"),
                    ("缴费年月", "2025-05"),
                ]),
                cells(&[
                    ("身份证号", b.as_str()),
                    ("姓名", "测试"),
                    ("险种", "养老"),
                    ("参保状态", "暂停缴费"),
                    ("缴费年月", "2025-01"),
                ]),
            ],
        );
        let big = store
            .crosschecks()
            .run(
                &county,
                ListKind::Insurance,
                "参保.xlsx",
                "d1",
                Some(500_000),
                ins_large,
            )
            .await
            .unwrap();
        assert_eq!(
            (
                big.batch.classes.consistent,
                big.batch.classes.different,
                big.batch.classes.registry_only
            ),
            (1, 1, 1)
        );
        assert_eq!(big.batch.tasks, 0, "the same differences, raised once");
        // Per town, the same counts whichever way the registry was read.
        let per_town = |id: i64| {
            let store = &store;
            let county = &county;
            async move {
                let (_, towns) = store.crosschecks().batch(county, id).await.unwrap();
                towns
                    .into_iter()
                    .map(|t| {
                        let c = t.classes;
                        (t.town_code, c.consistent, c.different, c.registry_only)
                    })
                    .collect::<Vec<_>>()
            }
        };
        let small_towns = per_town(r.batch.id).await;
        assert_eq!(small_towns, per_town(big.batch.id).await);
        assert_eq!(
            small_towns,
            vec![(VILLAGE[..9].to_owned() + "000", 1, 1, 1)]
        );
        // e: a certified person of working age with no enrolment; not the aged, not the
        // uncertified.
        assert_eq!((k.consistent, k.different, k.registry_only), (1, 1, 1));
        assert_eq!(r.batch.tasks, 2);
        let (only, _) = store
            .crosschecks()
            .rows(&county, r.batch.id, Some("registry_only"), 1, 10)
            .await
            .unwrap();
        assert_eq!(only[0].id_number, e.as_str());
        let tasks = store
            .crosschecks()
            .tasks(&county, Some("open"))
            .await
            .unwrap();
        assert!(tasks.iter().all(|t| t.task == "参保动员"));
        // Mobilisation confirmed: the premium programme's case opens for whoever is eligible
        // (b: grade one, of working age), and the task says so; not for e (grade three).
        let tb = tasks.iter().find(|t| t.id_number == b.as_str()).unwrap();
        let done = store.crosschecks().confirm(&county, tb.id).await.unwrap();
        assert!(
            done.reason.starts_with("已受理“城乡居民养老保险代缴”个案#"),
            "{}",
            done.reason
        );
        let te = tasks.iter().find(|t| t.id_number == e.as_str()).unwrap();
        let done = store.crosschecks().confirm(&county, te.id).await.unwrap();
        assert!(
            done.reason
                .starts_with("未受理“城乡居民养老保险代缴”：不符合"),
            "{}",
            done.reason
        );
        let listed = store
            .crosschecks()
            .tasks(&county, Some("confirmed"))
            .await
            .unwrap();
        assert!(listed.iter().any(|t| t.reason.starts_with("已受理")));

        // 低保 started: confirmed, the status is written as an import writes it.
        let rows = list(
            ListKind::Assistance,
            &[cells(&[
                ("身份证号", a.as_str()),
                ("姓名", "测试"),
                ("救助类型", "低保"),
                ("起始月份", "2024-01"),
            ])],
        );
        let r = store
            .crosschecks()
            .run(&county, ListKind::Assistance, "低保.csv", "d2", None, rows)
            .await
            .unwrap();
        assert_eq!(r.batch.tasks, 1);
        let t = store
            .crosschecks()
            .tasks(&county, Some("open"))
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.task == "补贴资格复核")
            .unwrap();
        store.crosschecks().confirm(&county, t.id).await.unwrap();
        let rec = store.persons().get_by_key(&county, pa).await.unwrap();
        let s = store.subsidies().of_person(&county, &rec).await.unwrap();
        assert_eq!(s.assistance.len(), 1);
        assert_eq!(s.assistance[0].from.to_string(), "2024-01");
        // Run again: the file now agrees.
        let rows = list(
            ListKind::Assistance,
            &[cells(&[
                ("身份证号", a.as_str()),
                ("姓名", "测试"),
                ("救助类型", "低保"),
                ("起始月份", "2024-01"),
            ])],
        );
        let r = store
            .crosschecks()
            .run(&county, ListKind::Assistance, "低保.csv", "d2", None, rows)
            .await
            .unwrap();
        assert_eq!((r.batch.classes.consistent, r.batch.tasks), (1, 0));
    }
);
