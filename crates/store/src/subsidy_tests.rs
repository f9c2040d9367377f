//! The subsidies contract (inputs, policy, rolls), on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anju_domain::RegionTable;
use anju_domain::Role;
use anju_domain::id_number::IdNumber;
use anju_domain::money::{Fen, Percent};
use anju_domain::month::Month;
use anju_domain::person::{Field, LifeStatus, PersonInput, validate};
use anju_domain::subsidy::{
    AnyOf, Assistance, AssistanceKind, DibaoStandard, Grant, Locality, Method, Standard, Stop,
    SubsidyKind,
};
use chrono::NaiveDate;

use crate::persons::Source;
use crate::testing::TestDb;
use crate::{
    AssistanceRow, EventRow, GrantRow, NewUser, Scope, Store, StoreError, TableResult, contract,
};

const MEIYUAN_1: &str = "320102002001";
const QINHUAI_1: &str = "320104001001";

fn m(s: &str) -> Month {
    Month::parse(s).unwrap()
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
                password: Some("Subsidy-Pass-2026".into()),
            },
        )
        .await
        .unwrap();
    store.users().local_scope(name).await.unwrap()
}

/// A person born 1970 with sequence `seq`, grade `grade`, certificate valid to 2030.
async fn person(store: &Store, scope: &Scope, seq: u16, village: &str, grade: &str) -> IdNumber {
    let birth = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let id = IdNumber::compose(&village[..6], birth, seq).unwrap();
    let mut i = PersonInput::default();
    i.set(Field::IdNumber, id.as_str());
    i.set(
        Field::Name,
        ["张三", "李四", "王五", "赵六"][usize::from(seq) % 4],
    );
    i.set(Field::HouseholdCode, village);
    i.set(Field::Category, "肢体");
    i.set(Field::Grade, grade);
    i.set(Field::CertValidTo, "2030-01-01");
    let p = validate(&i, RegionTable::jiangsu()).unwrap();
    store.persons().create(scope, p, Source::Web).await.unwrap();
    id
}

fn grant(row: usize, id: &IdNumber, kind: SubsidyKind, from: &str, to: Option<&str>) -> GrantRow {
    GrantRow {
        row,
        id_number: id.clone(),
        grant: Grant {
            kind,
            locality: Locality::Urban,
            from: m(from),
            to: to.map(m),
            long_term_care: true,
        },
        bank_account: "6222020200112233445".into(),
        bank_name: "工商银行玄武支行".into(),
    }
}

fn dibao(region: &str, yuan: i64, from: &str) -> DibaoStandard {
    DibaoStandard {
        id: 0,
        region_code: region.into(),
        locality: Locality::Urban,
        amount: Fen(yuan * 100),
        from: m(from),
    }
}

fn counts(r: &TableResult) -> (u64, u64, u64, usize) {
    (r.inserted, r.updated, r.unchanged, r.rejected.len())
}

contract!(
    grants_are_matched_on_their_key_and_overlaps_refused,
    |db: TestDb| async move {
        let store = db.open().await;
        let xw = user(&store, "xw", Role::County, "320102000000").await;
        let qh = user(&store, "qh", Role::County, "320104000000").await;
        let a = person(&store, &xw, 1, MEIYUAN_1, "一级").await;
        let b = person(&store, &qh, 2, QINHUAI_1, "一级").await;
        let s = store.subsidies();
        let rows = vec![
            grant(2, &a, SubsidyKind::Care, "2024-01", None),
            grant(3, &a, SubsidyKind::Living, "2024-01", Some("2024-12")),
        ];
        let r = s
            .import_grants(&xw, "g.xlsx", rows.clone(), false)
            .await
            .unwrap();
        assert_eq!(counts(&r), (2, 0, 0, 0));
        assert!(r.committed);
        // The same file again changes nothing.
        let r = s.import_grants(&xw, "g.xlsx", rows, false).await.unwrap();
        assert_eq!(counts(&r), (0, 0, 2, 0));
        // A changed end month updates; an overlapping grant of the same subsidy is refused; a
        // person outside the subtree is as unknown as one without a file.
        let r = s
            .import_grants(
                &xw,
                "g2.xlsx",
                vec![
                    grant(2, &a, SubsidyKind::Living, "2024-01", Some("2025-06")),
                    grant(3, &a, SubsidyKind::Care, "2025-01", None),
                    grant(4, &b, SubsidyKind::Care, "2024-01", None),
                    grant(5, &a, SubsidyKind::Living, "2024-01", Some("2025-07")),
                ],
                false,
            )
            .await
            .unwrap();
        assert_eq!(counts(&r), (0, 1, 0, 3));
        let codes: Vec<(usize, &str)> = r
            .rejected
            .iter()
            .map(|e| (e.row, e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            vec![
                (3, "grant_overlap"),
                (4, "unknown_person"),
                (5, "duplicate_in_file")
            ]
        );
        assert!(
            r.rejected[0].message.contains("2024-01"),
            "{:?}",
            r.rejected[0]
        );
        // Strict: one bad row and nothing is written.
        let r = s
            .import_grants(
                &xw,
                "g3.xlsx",
                vec![
                    grant(2, &a, SubsidyKind::Living, "2024-01", Some("2026-06")),
                    grant(3, &b, SubsidyKind::Care, "2024-01", None),
                ],
                true,
            )
            .await
            .unwrap();
        assert!(!r.committed);
        let r = s
            .import_grants(
                &xw,
                "g4.xlsx",
                vec![grant(
                    2,
                    &a,
                    SubsidyKind::Living,
                    "2024-01",
                    Some("2025-06"),
                )],
                false,
            )
            .await
            .unwrap();
        assert_eq!(
            counts(&r),
            (0, 0, 1, 0),
            "the strict file left the grant as it was"
        );
        // A village worker may not import.
        let village = user(&store, "cun", Role::Village, MEIYUAN_1).await;
        assert!(matches!(
            s.import_grants(&village, "g.xlsx", vec![], false).await,
            Err(StoreError::Forbidden)
        ));
    }
);

contract!(
    standards_and_dibao_are_policy_data,
    |db: TestDb| async move {
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let city = user(&store, "nj", Role::City, "320100000000").await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let s = store.subsidies();
        // Shipped: the Jiangsu minimum rules.
        let shipped = s.standards(&admin).await.unwrap();
        assert_eq!(shipped.len(), 4);
        assert_eq!(shipped[2].method, Method::Fixed(Fen(13000)));
        let row = |region: &str, yuan: i64| Standard {
            id: 0,
            seq: 0,
            region_code: region.into(),
            kind: SubsidyKind::Care,
            assistance: AnyOf::Any,
            grades: AnyOf::Only(vec![anju_domain::certificate::Grade::new(1).unwrap()]),
            categories: AnyOf::Any,
            locality: None,
            method: Method::Fixed(Fen(yuan * 100)),
            from: m("2025-01"),
            to: None,
        };
        assert!(matches!(
            s.import_standards(
                &county,
                "s.xlsx",
                vec![(2, row("320102000000", 150))],
                false,
                false
            )
            .await,
            Err(StoreError::Forbidden)
        ));
        let r = s
            .import_standards(
                &city,
                "s.xlsx",
                vec![(2, row("320100000000", 150)), (3, row("320200000000", 150))],
                false,
                false,
            )
            .await
            .unwrap();
        assert_eq!(counts(&r), (1, 0, 0, 1));
        assert_eq!(r.rejected[0].code, "region_out_of_scope");
        let again = s
            .import_standards(
                &city,
                "s.xlsx",
                vec![(2, row("320100000000", 150))],
                false,
                false,
            )
            .await
            .unwrap();
        assert_eq!(counts(&again), (0, 0, 1, 0));
        let all = s.standards(&admin).await.unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(all[4].seq, 5, "appended after the shipped rows");
        // Replace: the file's rows alone, in its order.
        let r = s
            .import_standards(
                &admin,
                "s.xlsx",
                vec![(2, row("320000000000", 200)), (3, row("320100000000", 150))],
                true,
                false,
            )
            .await
            .unwrap();
        assert_eq!(counts(&r), (2, 0, 0, 0));
        let all = s.standards(&admin).await.unwrap();
        assert_eq!(all.iter().map(|s| s.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(all[0].method, Method::Fixed(Fen(20000)));
        // 低保 standards: matched on region, 城乡 and month.
        let r = s
            .import_dibao(
                &city,
                "d.xlsx",
                vec![
                    (2, dibao("320100000000", 1000, "2024-07")),
                    (3, dibao("320100000000", 1045, "2025-07")),
                ],
                false,
                false,
            )
            .await
            .unwrap();
        assert_eq!(counts(&r), (2, 0, 0, 0));
        let r = s
            .import_dibao(
                &city,
                "d.xlsx",
                vec![(2, dibao("320100000000", 1010, "2024-07"))],
                false,
                false,
            )
            .await
            .unwrap();
        assert_eq!(counts(&r), (0, 1, 0, 0));
        let rows = s.dibao_standards(&admin).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].amount, Fen(101000));
        assert_eq!(s.exclusions(&admin).await.unwrap().len(), 6);
    }
);

/// Xuanwu with one urban 低保 standard of 1,000 yuan, two people: A (grade 1, 低保, both
/// subsidies from 2025-01) and B (grade 3, 低保, living subsidy).
async fn xuanwu(store: &Store) -> (Scope, Scope, IdNumber, IdNumber) {
    let xw = user(store, "xw", Role::County, "320102000000").await;
    let xw2 = user(store, "xw2", Role::County, "320102000000").await;
    let city = user(store, "nj", Role::City, "320100000000").await;
    let a = person(store, &xw, 1, MEIYUAN_1, "一级").await;
    let b = person(store, &xw, 2, MEIYUAN_1, "三级").await;
    let s = store.subsidies();
    s.import_dibao(
        &city,
        "d",
        vec![(2, dibao("320100000000", 1000, "2024-01"))],
        false,
        true,
    )
    .await
    .unwrap();
    let dibao_status = |row, id: &IdNumber| AssistanceRow {
        row,
        id_number: id.clone(),
        assistance: Assistance {
            kind: AssistanceKind::Dibao,
            from: m("2024-01"),
            to: None,
            amount: None,
        },
    };
    let r = s
        .import_assistance(
            &xw,
            "a",
            vec![dibao_status(2, &a), dibao_status(3, &b)],
            true,
        )
        .await
        .unwrap();
    assert_eq!(counts(&r), (2, 0, 0, 0));
    let r = s
        .import_grants(
            &xw,
            "g",
            vec![
                grant(2, &a, SubsidyKind::Living, "2025-01", None),
                grant(3, &a, SubsidyKind::Care, "2025-01", None),
                grant(4, &b, SubsidyKind::Living, "2025-01", None),
            ],
            true,
        )
        .await
        .unwrap();
    assert_eq!(counts(&r), (3, 0, 0, 0));
    (xw, xw2, a, b)
}

contract!(
    a_roll_pays_by_the_rules_and_is_approved_by_another,
    |db: TestDb| async move {
        let store = db.open().await;
        let (xw, xw2, a, b) = xuanwu(&store).await;
        let s = store.subsidies();
        let roll = s.generate_roll(&xw, m("2025-03"), None).await.unwrap();
        let lines: Vec<(String, SubsidyKind, i64)> = roll
            .lines
            .iter()
            .map(|l| (l.id_number.clone(), l.kind, l.amount.fen()))
            .collect();
        let mut want = vec![
            (a.to_string(), SubsidyKind::Living, 30000),
            (a.to_string(), SubsidyKind::Care, 13000),
            (b.to_string(), SubsidyKind::Living, 25000),
        ];
        want.sort();
        let mut got = lines.clone();
        got.sort();
        assert_eq!(got, want);
        assert_eq!(roll.roll.total_fen, 68000);
        assert_eq!(roll.roll.region_code, "320102000000");
        assert!(
            roll.lines
                .iter()
                .all(|l| !l.arrears && l.month == m("2025-03"))
        );
        assert!(
            roll.lines
                .iter()
                .any(|l| l.rule.contains("1000.00") && l.rule.contains("30%"))
        );
        // Generating again replaces the draft with the same result.
        let again = s.generate_roll(&xw, m("2025-03"), None).await.unwrap();
        assert_eq!(again.roll.total_fen, 68000);
        assert_eq!(again.lines.len(), 3);
        assert_eq!(s.rolls(&xw).await.unwrap().len(), 1);
        // Not exported before approval; not approved by its maker.
        assert!(matches!(
            s.export_roll(&xw, m("2025-03"), None).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.approve_roll(&xw, m("2025-03"), None).await,
            Err(StoreError::Invalid(msg)) if msg.contains("双人")
        ));
        // Two approvals at once: exactly one.
        let (r1, r2) = tokio::join!(
            s.approve_roll(&xw2, m("2025-03"), None),
            s.approve_roll(&xw2, m("2025-03"), None)
        );
        assert_eq!(
            [r1.is_ok(), r2.is_ok()].iter().filter(|ok| **ok).count(),
            1,
            "{r1:?} {r2:?}"
        );
        // Frozen: it cannot be generated again.
        assert!(matches!(
            s.generate_roll(&xw, m("2025-03"), None).await,
            Err(StoreError::Invalid(_))
        ));
        let (summary, bank) = s.export_roll(&xw, m("2025-03"), None).await.unwrap();
        assert!(summary.is_approved());
        assert_eq!(bank.len(), 3);
        assert_eq!(bank[0].bank_account, "6222020200112233445");
        assert_eq!(bank[0].town_name, "梅园新村街道");
        assert_eq!(bank.iter().map(|l| l.amount.fen()).sum::<i64>(), 68000);
        // A city roll for the same month pays nobody twice.
        let city = store.users().local_scope("nj").await.unwrap();
        let city_roll = s.generate_roll(&city, m("2025-03"), None).await.unwrap();
        assert!(city_roll.lines.is_empty(), "{:?}", city_roll.lines);
        // The page's view: totals by town.
        let view = s.roll(&xw, m("2025-03"), "320102000000").await.unwrap();
        assert_eq!(view.towns.len(), 1);
        assert_eq!(view.towns[0].living_count, 2);
        assert_eq!(view.towns[0].care_fen, 13000);
        assert!(view.diff.is_none());
    }
);

contract!(
    stopped_grants_arrears_and_recoveries,
    |db: TestDb| async move {
        let store = db.open().await;
        let (xw, xw2, a, b) = xuanwu(&store).await;
        let s = store.subsidies();
        for month in ["2025-03", "2025-04"] {
            s.generate_roll(&xw, m(month), None).await.unwrap();
            s.approve_roll(&xw2, m(month), None).await.unwrap();
        }
        // A dies on 2025-03-10: April was paid after the death and must be recovered.
        let r = s
            .import_events(
                &xw,
                "e",
                vec![EventRow {
                    row: 2,
                    id_number: a.clone(),
                    status: LifeStatus::Deceased,
                    date: NaiveDate::from_ymd_opt(2025, 3, 10).unwrap(),
                }],
                true,
            )
            .await
            .unwrap();
        assert_eq!(counts(&r), (0, 1, 0, 0));
        let file = store.persons().get(&xw, &a).await.unwrap();
        assert_eq!(file.person.life_status, LifeStatus::Deceased);
        let history = store.persons().history(&xw, &file).await.unwrap();
        assert!(
            history
                .iter()
                .any(|h| h.field == "life_status" && h.after.as_deref() == Some("死亡"))
        );
        let recoveries = s.recoveries(&xw).await.unwrap();
        let mut got: Vec<(String, String, i64)> = recoveries
            .iter()
            .map(|r| (r.month.clone(), r.kind.as_str().to_owned(), r.amount.fen()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("2025-04".into(), "care".into(), 13000),
                ("2025-04".into(), "living".into(), 30000)
            ]
        );
        // The same event again: unchanged, no new recovery.
        let r = s
            .import_events(
                &xw,
                "e",
                vec![EventRow {
                    row: 2,
                    id_number: a.clone(),
                    status: LifeStatus::Deceased,
                    date: NaiveDate::from_ymd_opt(2025, 3, 10).unwrap(),
                }],
                true,
            )
            .await
            .unwrap();
        assert_eq!(counts(&r), (0, 0, 1, 0));
        assert_eq!(s.recoveries(&xw).await.unwrap().len(), 2);
        // The file shows the grants, every line paid and the recoveries.
        let subs = s.of_person(&xw, &file).await.unwrap();
        assert_eq!(subs.grants.len(), 2);
        assert_eq!(subs.assistance.len(), 1);
        let mut paid: Vec<(String, SubsidyKind)> = subs
            .paid
            .iter()
            .map(|p| (p.month.clone(), p.kind))
            .collect();
        paid.sort();
        assert_eq!(
            paid,
            vec![
                ("2025-03".into(), SubsidyKind::Living),
                ("2025-03".into(), SubsidyKind::Care),
                ("2025-04".into(), SubsidyKind::Living),
                ("2025-04".into(), SubsidyKind::Care)
            ]
        );
        assert_eq!(subs.recoveries.len(), 2);
        let other = user(&store, "qh", Role::County, "320104000000").await;
        assert!(matches!(
            s.of_person(&other, &file).await,
            Err(StoreError::NotFound(_))
        ));
        // B's care subsidy is entered late, from February: May's roll pays the approved March and
        // April as arrears (February had no approved roll), and May itself.
        s.import_grants(
            &xw,
            "g",
            vec![grant(2, &b, SubsidyKind::Care, "2025-02", None)],
            true,
        )
        .await
        .unwrap();
        let may = s.generate_roll(&xw, m("2025-05"), None).await.unwrap();
        let mut care: Vec<(String, bool, String)> = may
            .lines
            .iter()
            .filter(|l| l.id_number == b.to_string() && l.kind == SubsidyKind::Care)
            .map(|l| (l.month.to_string(), l.arrears, l.rule.to_string()))
            .collect();
        care.sort();
        // B is grade 3: the default care rows reach grades 1 and 2 only.
        assert!(care.is_empty(), "{care:?}");
        // A's grants paid neither April nor May under the current data: not "stopped" in May.
        assert!(may.stopped.is_empty(), "{:?}", may.stopped);
        // A third person, grade 2, granted care from March after both rolls were approved.
        let c = person(&store, &xw, 3, MEIYUAN_1, "二级").await;
        s.import_grants(
            &xw,
            "g",
            vec![grant(2, &c, SubsidyKind::Care, "2025-03", None)],
            true,
        )
        .await
        .unwrap();
        let may = s.generate_roll(&xw, m("2025-05"), None).await.unwrap();
        let mut c_lines: Vec<(String, bool)> = may
            .lines
            .iter()
            .filter(|l| l.id_number == c.to_string())
            .map(|l| (l.month.to_string(), l.arrears))
            .collect();
        c_lines.sort();
        assert_eq!(
            c_lines,
            vec![
                ("2025-03".into(), true),
                ("2025-04".into(), true),
                ("2025-05".into(), false)
            ]
        );
        assert!(
            may.lines
                .iter()
                .filter(|l| l.arrears)
                .all(|l| l.rule.starts_with("补发"))
        );
        s.approve_roll(&xw2, m("2025-05"), None).await.unwrap();
        // B's living subsidy ends with May: June's roll stops it, and pays no arrears to C.
        s.import_grants(
            &xw,
            "g",
            vec![grant(
                2,
                &b,
                SubsidyKind::Living,
                "2025-01",
                Some("2025-05"),
            )],
            true,
        )
        .await
        .unwrap();
        let june = s.generate_roll(&xw, m("2025-06"), None).await.unwrap();
        assert!(june.lines.iter().all(|l| !l.arrears), "{:?}", june.lines);
        let stopped: Vec<(String, SubsidyKind, Stop)> = june
            .stopped
            .iter()
            .map(|x| (x.id_number.clone(), x.kind, x.reason))
            .collect();
        assert_eq!(
            stopped,
            vec![(b.to_string(), SubsidyKind::Living, Stop::GrantEnded)]
        );
        // The difference from May: B's living subsidy is gone, nothing else changed.
        let view = s.roll(&xw, m("2025-06"), "320102000000").await.unwrap();
        // The stops are kept with the draft, reasons and all, for the roll page.
        assert_eq!(view.stopped, june.stopped);
        let diff = view.diff.unwrap();
        assert_eq!(diff.against_month, "2025-05");
        assert!(diff.new.is_empty() && diff.changed.is_empty(), "{diff:?}");
        assert_eq!(diff.stopped.len(), 1);
        assert_eq!(diff.stopped[0].0, b.to_string());
    }
);

contract!(
    a_roll_whose_every_grant_lacks_a_dibao_standard_holds_them_all,
    |db: TestDb| async move {
        let store = db.open().await;
        let xw = user(&store, "xw", Role::County, "320102000000").await;
        let a = person(&store, &xw, 1, MEIYUAN_1, "一级").await;
        let s = store.subsidies();
        s.import_assistance(
            &xw,
            "a",
            vec![AssistanceRow {
                row: 2,
                id_number: a.clone(),
                assistance: Assistance {
                    kind: AssistanceKind::Dibao,
                    from: m("2024-01"),
                    to: None,
                    amount: None,
                },
            }],
            true,
        )
        .await
        .unwrap();
        s.import_grants(
            &xw,
            "g",
            vec![grant(2, &a, SubsidyKind::Living, "2025-01", None)],
            true,
        )
        .await
        .unwrap();
        let roll = s.generate_roll(&xw, m("2025-03"), None).await.unwrap();
        assert!(roll.lines.is_empty());
        assert_eq!(roll.held.len(), 1);
        assert_eq!(
            (
                roll.held[0].household_code.as_str(),
                roll.held[0].locality,
                roll.held[0].month
            ),
            (MEIYUAN_1, Locality::Urban, m("2025-03"))
        );
        let _ = Percent::parse("30").unwrap();
    }
);

contract!(
    a_move_entered_on_the_form_opens_recoveries,
    |db: TestDb| async move {
        let store = db.open().await;
        let (xw, xw2, _, b) = xuanwu(&store).await;
        let s = store.subsidies();
        for month in ["2025-03", "2025-04"] {
            s.generate_roll(&xw, m(month), None).await.unwrap();
            s.approve_roll(&xw2, m(month), None).await.unwrap();
        }
        let mut p = store.persons().get(&xw, &b).await.unwrap().person;
        p.life_status = LifeStatus::MovedOut;
        p.life_date = NaiveDate::from_ymd_opt(2025, 3, 20);
        let (_, changed) = store.persons().update(&xw, p, Source::Web).await.unwrap();
        assert!(changed.contains(&Field::LifeStatus));
        let r = s.recoveries(&xw).await.unwrap();
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(
            (r[0].month.as_str(), r[0].amount.fen(), r[0].reason.as_str()),
            ("2025-04", 25000, "moved_out")
        );
    }
);

contract!(
    a_missing_dibao_standard_holds_only_the_grants_that_need_it,
    |db: TestDb| async move {
        let store = db.open().await;
        let (xw, xw2, a, _b) = xuanwu(&store).await;
        let city = store.users().local_scope("nj").await.unwrap();
        let s = store.subsidies();
        // C: 低保, living subsidy on the rural standard, which Nanjing has not set.
        let c = person(&store, &xw, 3, MEIYUAN_1, "二级").await;
        s.import_assistance(
            &xw,
            "a2",
            vec![AssistanceRow {
                row: 2,
                id_number: c.clone(),
                assistance: Assistance {
                    kind: AssistanceKind::Dibao,
                    from: m("2024-01"),
                    to: None,
                    amount: None,
                },
            }],
            true,
        )
        .await
        .unwrap();
        let mut rural = grant(2, &c, SubsidyKind::Living, "2025-01", None);
        rural.grant.locality = Locality::Rural;
        s.import_grants(&xw, "g2", vec![rural], true).await.unwrap();
        let roll = s.generate_roll(&xw, m("2025-03"), None).await.unwrap();
        // The others are paid; C is held, with what is missing.
        assert_eq!(roll.lines.len(), 3, "A's two subsidies and B's");
        assert!(roll.lines.iter().any(|l| l.id_number == a.as_str()));
        assert_eq!(roll.held.len(), 1);
        let h = &roll.held[0];
        assert_eq!(
            (h.id_number.as_str(), h.locality, h.month),
            (c.as_str(), Locality::Rural, m("2025-03"))
        );
        assert_eq!(h.household_code, MEIYUAN_1);
        let view = s.roll(&xw, m("2025-03"), "320102000000").await.unwrap();
        assert_eq!(view.held, roll.held, "kept with the draft");
        // No approval while a grant is held.
        let refused = s.approve_roll(&xw2, m("2025-03"), None).await;
        assert!(
            matches!(&refused, Err(StoreError::Invalid(msg)) if msg.contains("缺少低保标准")),
            "{refused:?}"
        );
        // The city imports the rural standard; generated again, nothing is held.
        let mut standard = dibao("320100000000", 800, "2024-01");
        standard.locality = Locality::Rural;
        s.import_dibao(&city, "d2", vec![(2, standard)], false, true)
            .await
            .unwrap();
        let again = s.generate_roll(&xw, m("2025-03"), None).await.unwrap();
        assert!(again.held.is_empty());
        assert_eq!(again.lines.len(), 4);
        let view = s.roll(&xw, m("2025-03"), "320102000000").await.unwrap();
        assert!(
            view.held.is_empty(),
            "the earlier draft's held grants went with it"
        );
        s.approve_roll(&xw2, m("2025-03"), None).await.unwrap();
    }
);

contract!(
    a_rolls_lines_show_their_rule_and_flag_shared_accounts,
    |db: TestDb| async move {
        let store = db.open().await;
        let (xw, _, a, b) = xuanwu(&store).await;
        let s = store.subsidies();
        s.generate_roll(&xw, m("2025-03"), None).await.unwrap();
        let all = s
            .roll_lines(
                &xw,
                m("2025-03"),
                "320102000000",
                &crate::LineFilter::default(),
            )
            .await
            .unwrap();
        assert_eq!(all.len(), 3);
        assert!(all.iter().all(|l| !l.rule.is_empty()), "{all:?}");
        // A and B are paid into one account (the helper's): every line is flagged.
        assert!(all.iter().all(|l| l.shared_account));
        assert!(all.iter().any(|l| l.id_number == a.as_str()));
        assert!(all.iter().any(|l| l.id_number == b.as_str()));
        let care = s
            .roll_lines(
                &xw,
                m("2025-03"),
                "320102000000",
                &crate::LineFilter {
                    kind: Some(SubsidyKind::Care),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(care.len(), 1);
        let elsewhere = s
            .roll_lines(
                &xw,
                m("2025-03"),
                "320102000000",
                &crate::LineFilter {
                    prefix: Some("320102003".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(elsewhere.is_empty(), "another town's lines only");
        // Outside the scope the roll does not exist.
        let other = user(&store, "gl", Role::County, "320106000000").await;
        assert!(
            s.roll_lines(
                &other,
                m("2025-03"),
                "320102000000",
                &crate::LineFilter::default()
            )
            .await
            .is_err()
        );
    }
);
