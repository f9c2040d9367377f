//! The services' details contract (devices, care supervision, 残疾人之家), on SQLite and
//! (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anju_domain::Role;
use anju_domain::id_number::IdNumber;
use anju_domain::month::Month;
use anju_domain::programme::delivery::DeliveryInput;
use anju_domain::provider::ProviderInput;

use crate::programmes_tests::{KUNSHAN, TAICANG, d, file, user};
use crate::testing::TestDb;
use crate::{Scope, Store, StoreError, contract};

/// Registers a provider for Taicang and binds a provider account `login` to it.
async fn provider(
    store: &Store,
    county: &Scope,
    code: &str,
    name: &str,
    kind: &str,
    programmes: &str,
    login: &str,
) -> (i64, Scope) {
    let admin = store.users().local_scope("admin").await.unwrap();
    let known: Vec<String> = store
        .programmes()
        .list(county)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.programme.name)
        .collect();
    let p = ProviderInput {
        credit_code: code.into(),
        name: name.into(),
        kind: kind.into(),
        regions: "320585000000".into(),
        programmes: programmes.into(),
        agreement_from: "2025-01-01".into(),
        agreement_to: "2030-12-31".into(),
        star_level: String::new(),
    }
    .validate(&known)
    .unwrap();
    let (rec, _) = store.providers().register(county, p).await.unwrap();
    user(store, login, Role::Provider, "320585000000").await;
    store
        .users()
        .bind_provider(&admin, login, rec.id)
        .await
        .unwrap();
    (rec.id, store.users().local_scope(login).await.unwrap())
}

fn delivery(kind: &str, date: &str, units: &str, times: Option<(&str, &str)>) -> DeliveryInput {
    DeliveryInput {
        kind: kind.into(),
        date: date.into(),
        units: units.into(),
        start: times.map(|t| t.0.into()).unwrap_or_default(),
        end: times.map(|t| t.1.into()).unwrap_or_default(),
        note: String::new(),
    }
}

fn invalid<T: std::fmt::Debug>(r: Result<T, StoreError>, says: &str) {
    match r {
        Err(StoreError::Invalid(m)) => assert!(m.contains(says), "{m} should say {says}"),
        other => panic!("expected a refusal saying {says}, got {other:?}"),
    }
}

/// Takes every step left on case `id`, each by the hand it names, and closes the case.
async fn walk(store: &Store, id: i64, village: &Scope, county: &Scope, provider: &Scope) {
    use anju_domain::programme::{Actor, CaseAction};
    loop {
        let (c, _) = store.cases().get(county, id).await.unwrap();
        let Some(step) = c.current().cloned() else {
            break;
        };
        let who = match step.actor {
            Actor::Village => village,
            Actor::Provider => provider,
            _ => county,
        };
        let action = CaseAction::Step {
            date: store.today().min(d("2025-03-25")),
            values: step
                .fields
                .iter()
                .map(|f| (f.clone(), "有".to_owned()))
                .collect(),
            attachments: vec![],
            note: String::new(),
        };
        store.cases().act(who, id, None, action).await.unwrap();
    }
    store
        .cases()
        .act(
            county,
            id,
            None,
            CaseAction::Close {
                date: d("2025-03-25"),
                outcome: "已适配".into(),
            },
        )
        .await
        .unwrap();
}

contract!(
    devices_follow_the_catalogue_and_the_years_of_use,
    |db: TestDb| async move {
        let store = db.open().await;
        let county = user(&store, "tc", Role::County, "320585000000").await;
        let catalogue = store.devices().list(&county).await.unwrap();
        assert_eq!(catalogue.len(), 14, "the Jiangsu catalogue is shipped");
        // A county's own row replaces nothing of the province's; a row for the province is
        // not the county's to write.
        let row = |code: &str, region: &str, subsidy: &str| {
            anju_domain::programme::device::DeviceRow {
                code: code.into(),
                name: "普通轮椅".into(),
                unit: "台".into(),
                years: "5".into(),
                subsidy: subsidy.into(),
                conditions: "持证有效".into(),
                region: region.into(),
                from: "2025-01".into(),
                to: String::new(),
            }
            .parse()
            .unwrap()
        };
        let r = store
            .devices()
            .import(
                &county,
                "太仓目录.xlsx",
                vec![
                    (2, row("12 22 03", "320585000000", "900")),
                    (3, row("12 22 03", "320000000000", "1")),
                ],
                crate::Apply::Always,
            )
            .await
            .unwrap();
        assert_eq!((r.inserted, r.rejected.len()), (1, 1));
        assert_eq!(
            (r.rejected[0].row, r.rejected[0].column.as_str()),
            (3, "区划代码")
        );

        let adult = IdNumber::compose("320585", d("1980-05-06"), 3).unwrap();
        let k = file(&store, &adult, TAICANG, Some(("肢体", "一级"))).await;
        let (supplier, ps) = provider(
            &store,
            &county,
            "91350100M000100Y43",
            "甲辅具中心",
            "辅助器具供应商",
            "辅助器具适配、辅助器具租赁",
            "jia",
        )
        .await;
        let cases = store.cases();
        let c = cases
            .open(&county, k, "辅助器具适配", d("2025-03-01"), None)
            .await
            .unwrap();
        // The household's most specific entry applies: Taicang's 900 yuan wheelchair.
        let items = store.devices().for_case(&c, d("2025-03-01")).await.unwrap();
        let chair = items.iter().find(|i| i.code == "12 22 03").unwrap();
        assert_eq!(chair.subsidy_fen, 90_000);
        let cane = items.iter().find(|i| i.code == "12 39 03").unwrap();
        invalid(
            store
                .devices()
                .choose(&county, c.id, cane.id, d("2025-03-01"))
                .await,
            "适配对象",
        );
        assert!(matches!(
            store
                .devices()
                .choose(&ps, c.id, chair.id, d("2025-03-01"))
                .await,
            Err(StoreError::NotFound(_) | StoreError::Forbidden)
        ));
        let chosen = store
            .devices()
            .choose(&county, c.id, chair.id, d("2025-03-01"))
            .await
            .unwrap();
        assert_eq!(chosen.item.code, "12 22 03");
        cases
            .assign(&county, c.id, supplier, d("2025-03-02"))
            .await
            .unwrap();
        invalid(store.devices().quote(&ps, c.id, "650.005").await, "报价");
        assert_eq!(
            store
                .devices()
                .quote(&ps, c.id, "650.50")
                .await
                .unwrap()
                .fen(),
            65_050
        );
        // A rental step on a fitting programme is refused; the fitting marks the device.
        invalid(
            store
                .devices()
                .rent_out(&ps, c.id, d("2025-03-10"), d("2025-06-10"), "100")
                .await,
            "不是租赁项目",
        );
        cases
            .record_delivery(&ps, c.id, &delivery("辅具适配", "2025-03-20", "1", None))
            .await
            .unwrap();
        let fitted = store
            .devices()
            .of_case(&county, c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(fitted.fitted_on.as_deref(), Some("2025-03-20"));
        // Settled at the quote (below the subsidy), exact to the fen.
        let draft = store
            .settlements()
            .draft(&county, supplier, Month::parse("2025-03").unwrap())
            .await
            .unwrap();
        assert_eq!(draft.bill.total_fen, 65_050);
        // The case goes through its steps by their hands and closes.
        let village = user(&store, "cun", Role::Village, TAICANG).await;
        walk(&store, c.id, &village, &county, &ps).await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let again = cases
            .open(&county, k, "辅助器具适配", d("2026-03-01"), None)
            .await
            .unwrap();
        invalid(
            store
                .devices()
                .choose(&admin, again.id, chair.id, d("2026-03-01"))
                .await,
            "2025-03-20",
        );
        // Rental: the same class may be lent; out against a deposit, overdue on the
        // worklist, returned with at most the deposit refunded.
        let rent = cases
            .open(&county, k, "辅助器具租赁", d("2026-03-01"), None)
            .await
            .unwrap();
        store
            .devices()
            .choose(&county, rent.id, chair.id, d("2026-03-01"))
            .await
            .unwrap();
        cases
            .assign(&county, rent.id, supplier, d("2026-03-01"))
            .await
            .unwrap();
        invalid(
            cases
                .record_delivery(&ps, rent.id, &delivery("辅具适配", "2026-03-02", "1", None))
                .await,
            "出租",
        );
        invalid(
            store
                .devices()
                .rent_out(&ps, rent.id, d("2026-03-02"), d("2026-03-01"), "200")
                .await,
            "归还期限",
        );
        store
            .devices()
            .rent_out(&ps, rent.id, d("2026-03-02"), d("2026-06-01"), "200")
            .await
            .unwrap();
        let w = store.worklist(&county).await.unwrap();
        assert!(
            w.items
                .iter()
                .any(|i| i.label.contains("逾期未归还") && i.overdue),
            "{:?}",
            w.items
        );
        invalid(
            store
                .devices()
                .give_back(&ps, rent.id, d("2026-06-20"), "200.01")
                .await,
            "超过",
        );
        store
            .devices()
            .give_back(&ps, rent.id, d("2026-06-20"), "150")
            .await
            .unwrap();
        let back = store
            .devices()
            .of_case(&county, rent.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (back.deposit_fen, back.refunded_fen),
            (Some(20_000), Some(15_000))
        );
        let w = store.worklist(&county).await.unwrap();
        assert!(!w.items.iter().any(|i| i.label.contains("逾期未归还")));
        // Outside the county nothing is seen.
        let kunshan = user(&store, "ks", Role::County, "320583000000").await;
        assert!(matches!(
            store.devices().of_case(&kunshan, rent.id).await,
            Err(StoreError::NotFound(_))
        ));
    }
);

contract!(care_is_supervised_month_by_month, |db: TestDb| async move {
    let store = db.open().await;
    let county = user(&store, "tc", Role::County, "320585000000").await;
    let town = user(&store, "zhen", Role::Town, "320585100000").await;
    let person = IdNumber::compose("320585", d("1995-05-06"), 3).unwrap();
    let k = file(&store, &person, TAICANG, Some(("智力", "二级"))).await;
    let (care, pc) = provider(
        &store,
        &county,
        "91350100M000100Y43",
        "甲托养中心",
        "托养服务机构",
        "居家托养、日间照料",
        "jia",
    )
    .await;
    let cases = store.cases();
    let c = cases
        .open(&county, k, "居家托养", d("2025-08-20"), None)
        .await
        .unwrap();
    cases
        .assign(&county, c.id, care, d("2025-08-21"))
        .await
        .unwrap();
    let plan = anju_domain::programme::care::CarePlanInput {
        visits_a_month: "4".into(),
        minutes_a_visit: "60".into(),
        ..Default::default()
    };
    assert!(matches!(
        store.care().set_plan(&pc, c.id, &plan).await,
        Err(StoreError::Forbidden)
    ));
    store.care().set_plan(&town, c.id, &plan).await.unwrap();
    for (day, from, to) in [
        ("2025-09-02", "09:00", "10:00"),
        ("2025-09-09", "09:00", "09:45"),
        ("2025-09-16", "14:00", "15:30"),
        ("2025-10-01", "09:00", "10:00"),
    ] {
        cases
            .record_delivery(&pc, c.id, &delivery("上门服务", day, "", Some((from, to))))
            .await
            .unwrap();
    }
    invalid(
        store
            .care()
            .check(&town, c.id, d("2025-09-30"), "6", "")
            .await,
        "满意度",
    );
    store
        .care()
        .check(&town, c.id, d("2025-09-30"), "4", "服务及时")
        .await
        .unwrap();
    store
        .care()
        .check(&county, c.id, d("2025-09-30"), "5", "")
        .await
        .unwrap();
    let sept = Month::parse("2025-09").unwrap();
    let (lines, totals) = store
        .care()
        .supervision(&county, sept, &crate::SupervisionFilter::default())
        .await
        .unwrap();
    assert_eq!(lines.len(), 1);
    let l = &lines[0];
    assert_eq!(
        (l.month.visits, l.month.short_visits, l.month.minutes),
        (3, 1, 195)
    );
    assert_eq!(
        l.month.shortfalls,
        vec![
            "上门服务计划4次，记录3次，少1次".to_owned(),
            "1次上门服务不足60分钟（45分钟）".to_owned()
        ]
    );
    assert_eq!((l.checks, l.satisfaction), (2, Some(450)));
    assert!(!l.id_number.contains('*'), "the county sees whole IDs");
    let leader = user(&store, "ld", Role::Leader, "320585000000").await;
    let (masked, _) = store
        .care()
        .supervision(&leader, sept, &crate::SupervisionFilter::default())
        .await
        .unwrap();
    assert!(
        masked[0].id_number.contains('*'),
        "a leader sees them masked"
    );
    assert_eq!(totals.len(), 1);
    assert_eq!(
        (
            totals[0].provider.as_str(),
            totals[0].cases,
            totals[0].short_cases
        ),
        ("甲托养中心", 1, 1)
    );
    // By town and by provider; nothing in another county; not for the provider itself.
    let other_town = crate::SupervisionFilter {
        town: Some("320585101000".into()),
        provider: None,
    };
    assert!(
        store
            .care()
            .supervision(&county, sept, &other_town)
            .await
            .unwrap()
            .0
            .is_empty()
    );
    let kunshan = user(&store, "ks", Role::County, "320583000000").await;
    assert!(
        store
            .care()
            .supervision(&kunshan, sept, &Default::default())
            .await
            .unwrap()
            .0
            .is_empty()
    );
    assert!(matches!(
        store
            .care()
            .supervision(&pc, sept, &Default::default())
            .await,
        Err(StoreError::Forbidden)
    ));
    let _ = KUNSHAN;
});

contract!(
    homes_are_rated_against_the_scheme_of_the_year,
    |db: TestDb| async move {
        let store = db.open().await;
        let county = user(&store, "tc", Role::County, "320585000000").await;
        let town = user(&store, "zhen", Role::Town, "320585100000").await;
        let (home, ph) = provider(
            &store,
            &county,
            "91350100M000100Y43",
            "城厢镇残疾人之家",
            "残疾人之家",
            "日间照料",
            "jia",
        )
        .await;
        let (rehab, _) = provider(
            &store,
            &county,
            "91110108551385082Q",
            "乙康复中心",
            "定点康复机构",
            "成人社区康复",
            "yi",
        )
        .await;
        let homes = store.homes();
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        let top = s(&["15", "20", "15", "20", "10", "10", "10"]);
        assert!(matches!(
            homes
                .evaluate(&town, home, 2025, d("2025-12-10"), &top, "")
                .await,
            Err(StoreError::Forbidden)
        ));
        invalid(
            homes
                .evaluate(&county, rehab, 2025, d("2025-12-10"), &top, "")
                .await,
            "不是残疾人之家",
        );
        invalid(
            homes
                .evaluate(
                    &county,
                    home,
                    2025,
                    d("2025-12-10"),
                    &s(&["16", "20", "15", "20", "10", "10", "10"]),
                    "",
                )
                .await,
            "场地设施",
        );
        let e = homes
            .evaluate(&county, home, 2025, d("2025-12-10"), &top, "材料齐全")
            .await
            .unwrap();
        assert_eq!((e.total, e.star_level), (100, Some(5)));
        // An earlier year does not move the home's level; its own level is kept.
        let low = homes
            .evaluate(
                &county,
                home,
                2024,
                d("2025-01-10"),
                &s(&["12", "16", "12", "16", "8", "8", "8"]),
                "",
            )
            .await
            .unwrap();
        assert_eq!((low.total, low.star_level), (80, Some(3)));
        let p = store.providers().get(&county, home).await.unwrap();
        assert_eq!(p.provider.star_level, Some(5));
        assert_eq!(homes.evaluations(&county, home).await.unwrap().len(), 2);
        // A new scheme from 2026 applies to 2026, not to 2025.
        let scheme = anju_domain::star_rating::StarScheme::from_rows(
            "2026年方案",
            2026,
            &[
                (2, "项目".into(), "日间照料".into(), "60".into()),
                (3, "项目".into(), "辅助性就业".into(), "40".into()),
                (4, "星级".into(), "一星".into(), "50".into()),
                (5, "星级".into(), "二星".into(), "90".into()),
            ],
        )
        .unwrap();
        homes.add_scheme(&county, &scheme).await.unwrap();
        assert_eq!(
            homes.scheme_for(&county, 2026).await.unwrap().scheme.name,
            "2026年方案"
        );
        assert_ne!(
            homes.scheme_for(&county, 2025).await.unwrap().scheme.name,
            "2026年方案"
        );
        // Members in day care, their days, and auxiliary employment in a month.
        let person = IdNumber::compose("320585", d("1995-05-06"), 3).unwrap();
        let k = file(&store, &person, TAICANG, Some(("智力", "二级"))).await;
        let c = store
            .cases()
            .open(&county, k, "日间照料", d("2025-08-20"), None)
            .await
            .unwrap();
        store
            .cases()
            .assign(&county, c.id, home, d("2025-08-21"))
            .await
            .unwrap();
        store
            .care()
            .set_plan(
                &town,
                c.id,
                &anju_domain::programme::care::CarePlanInput {
                    days_a_month: "20".into(),
                    auxiliary_employment: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        store
            .cases()
            .record_delivery(&ph, c.id, &delivery("出勤", "2025-09-30", "18", None))
            .await
            .unwrap();
        let o = homes
            .overview(&county, Month::parse("2025-09").unwrap())
            .await
            .unwrap();
        assert_eq!(o.len(), 1, "only the home");
        assert_eq!(
            (
                o[0].members,
                o[0].attending,
                o[0].days,
                o[0].auxiliary_employment,
                o[0].star_level
            ),
            (1, 1, 18, 1, Some(5))
        );
        let kunshan = user(&store, "ks", Role::County, "320583000000").await;
        assert!(
            homes
                .overview(&kunshan, Month::parse("2025-09").unwrap())
                .await
                .unwrap()
                .is_empty()
        );
    }
);

contract!(
    a_programme_year_is_counted_by_town_with_the_cost_per_household,
    |db: TestDb| async move {
        let store = db.open().await;
        let county = user(&store, "tc", Role::County, "320585000000").await;
        let town = user(&store, "zhen", Role::Town, "320585100000").await;
        let cases = store.cases();
        let mut ids = Vec::new();
        for (i, born) in ["1960-01-02", "1962-03-04", "1970-05-06"]
            .iter()
            .enumerate()
        {
            let id = IdNumber::compose("320585", d(born), u16::try_from(i).unwrap() + 1).unwrap();
            let k = file(&store, &id, TAICANG, Some(("肢体", "一级"))).await;
            // Not on 低保: opened by the county with its reason.
            let c = cases
                .open(
                    &county,
                    k,
                    "家庭无障碍改造",
                    d("2025-04-01"),
                    Some("独居重度，经入户核实"),
                )
                .await
                .unwrap();
            ids.push(c);
        }
        for (c, cost) in ids.iter().zip(["4800.50", "5200.00"]) {
            cases
                .set_amount(
                    &town,
                    c,
                    "cost_fen",
                    "决算费用",
                    anju_domain::money::Fen::parse_yuan(cost).unwrap(),
                )
                .await
                .unwrap();
        }
        store
            .care()
            .check(&county, ids[0].id, d("2025-10-01"), "5", "")
            .await
            .unwrap();
        store
            .care()
            .check(&county, ids[1].id, d("2025-10-01"), "4", "")
            .await
            .unwrap();
        cases
            .act(
                &county,
                ids[2].id,
                None,
                anju_domain::programme::CaseAction::Refuse {
                    date: d("2025-04-02"),
                    reason: "已享受".into(),
                },
            )
            .await
            .unwrap();
        let programme = store
            .programmes()
            .get(&county, "家庭无障碍改造")
            .await
            .unwrap()
            .id;
        let r = cases
            .report(&county, programme, 2025, d("2026-12-01"))
            .await
            .unwrap();
        assert_eq!(r.len(), 2, "one town and the total: {r:?}");
        let t = &r[0];
        assert_eq!(t.town_code, "320585100000");
        assert_eq!((t.opened, t.refused, t.open, t.costed), (3, 1, 2, 2));
        assert_eq!(t.cost_fen, 1_000_050);
        assert_eq!(t.per_household_fen(), Some(500_025));
        assert_eq!(t.satisfaction, Some(450));
        assert_eq!((r[1].town.as_str(), r[1].opened), ("合计", 3));
        assert!(
            t.overdue >= 1,
            "steps past their dates are overdue by 2026-12"
        );
        // Another year, another county: nothing.
        assert_eq!(
            cases
                .report(&county, programme, 2024, d("2026-12-01"))
                .await
                .unwrap()[0]
                .opened,
            0
        );
        let kunshan = user(&store, "ks", Role::County, "320583000000").await;
        assert_eq!(
            cases
                .report(&kunshan, programme, 2025, d("2026-12-01"))
                .await
                .unwrap()
                .len(),
            1
        );
    }
);
