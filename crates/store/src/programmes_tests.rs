//! The programmes contract, on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anju_domain::RegionTable;
use anju_domain::Role;
use anju_domain::id_number::IdNumber;
use anju_domain::month::Month;
use anju_domain::person::{Field, PersonInput, validate};
use anju_domain::subsidy::{Assistance, AssistanceKind};
use chrono::NaiveDate;

use crate::persons::Source;
use crate::testing::TestDb;
use crate::{AssistanceRow, NewUser, Scope, Store, StoreError, contract};

pub(crate) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(crate) async fn user(store: &Store, name: &str, role: Role, region: &str) -> Scope {
    let admin = store.users().local_scope("admin").await.unwrap();
    store
        .users()
        .create(
            &admin,
            NewUser {
                username: name.into(),
                role,
                region: region.into(),
                password: Some("Programme-Pass-2026".into()),
            },
        )
        .await
        .unwrap();
    store.users().local_scope(name).await.unwrap()
}

pub(crate) async fn file(
    store: &Store,
    id: &IdNumber,
    village: &str,
    cert: Option<(&str, &str)>,
) -> i64 {
    let admin = store.users().local_scope("admin").await.unwrap();
    let mut i = PersonInput::default();
    i.set(Field::IdNumber, id.as_str());
    i.set(Field::Name, "测试");
    i.set(Field::HouseholdCode, village);
    if let Some((category, grade)) = cert {
        i.set(Field::Category, category);
        i.set(Field::Grade, grade);
        i.set(Field::CertValidTo, "2030-12-31");
    }
    let p = validate(&i, RegionTable::jiangsu()).unwrap();
    store
        .persons()
        .create(&admin, p, Source::Web)
        .await
        .unwrap()
        .id
}

pub(crate) const TAICANG: &str = "320585100001";
pub(crate) const KUNSHAN: &str = "320583100001";

contract!(
    programmes_ship_change_and_find_who_they_serve,
    |db: TestDb| async move {
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let county = user(&store, "tc", Role::County, "320585000000").await;
        let village = user(&store, "cun", Role::Village, TAICANG).await;
        let list = store.programmes().list(&county).await.unwrap();
        assert_eq!(list.len(), 14, "the Jiangsu programmes are shipped");
        let child_rehab = "残疾儿童康复救助";
        let rec = store.programmes().get(&county, child_rehab).await.unwrap();
        assert!(rec.programme.second_approval);

        // A child with autism and no certificate; one in another county; an adult on 低保.
        let child = IdNumber::compose("320585", d("2021-03-07"), 1).unwrap();
        let other = IdNumber::compose("320583", d("2021-04-01"), 2).unwrap();
        let adult = IdNumber::compose("320585", d("1980-05-06"), 3).unwrap();
        let a = file(&store, &child, TAICANG, None).await;
        let b = file(&store, &other, KUNSHAN, None).await;
        file(&store, &adult, TAICANG, Some(("肢体", "一级"))).await;
        let p = store.programmes();
        let refused = p
            .add_diagnosis(&county, a, "多动", "太仓市第一人民医院", d("2024-05-01"))
            .await;
        assert!(matches!(refused, Err(StoreError::Invalid(m)) if m.contains("诊断目录")));
        let refused = p
            .add_diagnosis(&county, b, "孤独症", "昆山市医院", d("2024-05-01"))
            .await;
        assert!(
            matches!(refused, Err(StoreError::NotFound(_))),
            "outside the county"
        );
        p.add_diagnosis(&county, a, "孤独症", "太仓市第一人民医院", d("2024-05-01"))
            .await
            .unwrap();
        p.add_diagnosis(&admin, b, "孤独症", "昆山市医院", d("2024-05-01"))
            .await
            .unwrap();
        assert_eq!(p.diagnoses(&county, a).await.unwrap()[0].name, "孤独症");

        let on = d("2025-09-01");
        let found = p.eligible(&county, child_rehab, on, None).await.unwrap();
        assert_eq!(found.len(), 1, "only the county's own child");
        assert_eq!(found[0].id_number, child.as_str());
        assert!(found[0].conditions[0].met);
        let all = p.eligible(&admin, child_rehab, on, None).await.unwrap();
        assert_eq!(all.len(), 2);
        // Before the diagnosis, no one; a village worker reads the number masked.
        assert!(
            p.eligible(&county, child_rehab, d("2024-04-30"), None)
                .await
                .unwrap()
                .is_empty()
        );
        let masked = p.eligible(&village, child_rehab, on, None).await.unwrap();
        assert_eq!(
            masked[0].id_number,
            anju_domain::mask::id_number(child.as_str())
        );
        // A region outside the scope is not found; a region inside narrows the list.
        assert!(matches!(
            p.eligible(&county, child_rehab, on, Some("320583000000"))
                .await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(
            p.eligible(&admin, child_rehab, on, Some("320583000000"))
                .await
                .unwrap()
                .len(),
            1
        );

        // Renovation needs a severe certificate and 低保 (or the like) in force.
        let renovation = "家庭无障碍改造";
        assert!(
            p.eligible(&county, renovation, on, None)
                .await
                .unwrap()
                .is_empty()
        );
        store
            .subsidies()
            .import_assistance(
                &county,
                "低保名单",
                vec![AssistanceRow {
                    row: 2,
                    id_number: adult.clone(),
                    assistance: Assistance {
                        kind: AssistanceKind::Dibao,
                        from: Month::parse("2025-01").unwrap(),
                        to: None,
                        amount: None,
                    },
                }],
                crate::Apply::Always,
            )
            .await
            .unwrap();
        let found = p.eligible(&county, renovation, on, None).await.unwrap();
        assert_eq!(found.len(), 1);
        let lines: Vec<String> = found[0].conditions.iter().flat_map(|c| c.lines()).collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("享受低保") && l.contains("（低保）")),
            "{lines:?}"
        );

        // Every programme in one pass.
        let counts = p.eligible_counts(&county, on, None).await.unwrap();
        let count = |name: &str| counts.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(count(child_rehab), 1);
        assert_eq!(count(renovation), 1);

        // A change is a new version; the same definition again changes nothing; only policy
        // roles change programmes.
        let mut changed = rec.programme.clone();
        changed.yearly_cap = Some(anju_domain::money::Fen(3_000_000));
        assert!(matches!(
            p.import(&county, "项目.xlsx", std::slice::from_ref(&changed))
                .await,
            Err(StoreError::Forbidden)
        ));
        let r = p
            .import(&admin, "项目.xlsx", std::slice::from_ref(&changed))
            .await
            .unwrap();
        assert_eq!((r.inserted, r.updated, r.unchanged), (0, 1, 0));
        let now = p.get(&county, child_rehab).await.unwrap();
        assert_eq!(now.programme.yearly_cap, changed.yearly_cap);
        assert!(now.version_id > rec.version_id);
        let r = p
            .import(&admin, "项目.xlsx", std::slice::from_ref(&changed))
            .await
            .unwrap();
        assert_eq!((r.inserted, r.updated, r.unchanged), (0, 0, 1));
        let auditor = user(&store, "sj", Role::Auditor, "320000000000").await;
        let audit = store
            .audit()
            .list(
                &auditor,
                &crate::AuditFilter {
                    action: Some("programme.eligible".into()),
                    per_page: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(audit.total >= 5, "every eligibility list is audited");
    }
);

contract!(
    cases_open_move_and_close_by_the_right_hands,
    |db: TestDb| async move {
        use anju_domain::programme::{CaseAction, CaseState};
        let store = db.open().await;
        let county = user(&store, "tc", Role::County, "320585000000").await;
        let village = user(&store, "cun", Role::Village, TAICANG).await;
        let other = user(&store, "ks", Role::County, "320583000000").await;
        let child = IdNumber::compose("320585", d("2021-03-07"), 1).unwrap();
        let adult = IdNumber::compose("320585", d("1980-05-06"), 3).unwrap();
        let a = file(&store, &child, TAICANG, None).await;
        let b = file(&store, &adult, TAICANG, Some(("视力", "三级"))).await;
        store
            .programmes()
            .add_diagnosis(&county, a, "孤独症", "太仓市第一人民医院", d("2024-05-01"))
            .await
            .unwrap();
        let cases = store.cases();
        let rehab = "残疾儿童康复救助";
        let (_, parts, ok) = cases
            .check(&village, a, rehab, d("2025-09-01"))
            .await
            .unwrap();
        assert!(ok && parts[0].met);
        let c = cases
            .open(&village, a, rehab, d("2025-09-01"), None)
            .await
            .unwrap();
        assert_eq!(c.state, CaseState::Open);
        assert_eq!(c.current().unwrap().name, "申请");
        // 2025-09-01 is a Monday: five working days on, the 8th.
        assert_eq!(c.due_on.as_deref(), Some("2025-09-08"));
        assert_eq!(c.id_number, anju_domain::mask::id_number(child.as_str()));
        let again = cases.open(&county, a, rehab, d("2025-09-02"), None).await;
        assert!(matches!(again, Err(StoreError::Invalid(m)) if m.contains("办理中")));
        // An adult does not qualify: refused with the conditions not met; a village worker
        // cannot override, a county can, with a reason.
        let refused = cases.open(&village, b, rehab, d("2025-09-01"), None).await;
        assert!(
            matches!(&refused, Err(StoreError::Invalid(m)) if m.contains("不符合") && m.contains("年龄0至6周岁（45周岁）")),
            "{refused:?}"
        );
        let refused = cases
            .open(&village, b, rehab, d("2025-09-01"), Some("特殊情况"))
            .await;
        assert!(matches!(refused, Err(StoreError::Invalid(m)) if m.contains("县（区）")));
        let o = cases
            .open(
                &county,
                b,
                rehab,
                d("2025-09-01"),
                Some("经康复机构评估确有需要"),
            )
            .await
            .unwrap();
        assert_eq!(o.override_reason.as_deref(), Some("经康复机构评估确有需要"));

        // The steps, by the hands they name, recording what they must.
        let step = |date: &str, values: &[(&str, &str)]| CaseAction::Step {
            date: d(date),
            values: values
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            attachments: vec!["申请表.pdf".into()],
            note: String::new(),
        };
        let missing = cases
            .act(&village, c.id, Some(c.version), step("2025-09-02", &[]))
            .await;
        assert!(matches!(missing, Err(StoreError::Invalid(m)) if m.contains("申请表")));
        let c2 = cases
            .act(
                &village,
                c.id,
                Some(c.version),
                step("2025-09-02", &[("申请表", "已收"), ("诊断证明", "已收")]),
            )
            .await
            .unwrap();
        assert_eq!(c2.current().unwrap().name, "审核");
        // Two users acting on one step: the second, with the version it saw, is refused.
        let stale = cases
            .act(
                &county,
                c.id,
                Some(c.version),
                step("2025-09-02", &[("申请表", "已收"), ("诊断证明", "已收")]),
            )
            .await;
        assert!(matches!(stale, Err(StoreError::Invalid(m)) if m.contains("他人")));
        let by_village = cases
            .act(
                &village,
                c.id,
                Some(c2.version),
                step("2025-09-03", &[("审核意见", "同意")]),
            )
            .await;
        assert!(matches!(by_village, Err(StoreError::Invalid(m)) if m.contains("县（区）残联")));
        let c3 = cases
            .act(
                &county,
                c.id,
                Some(c2.version),
                step("2025-09-03", &[("审核意见", "同意")]),
            )
            .await
            .unwrap();
        assert_eq!(c3.current().unwrap().name, "评估");
        // Outside the county the case does not exist.
        assert!(matches!(
            cases.get(&other, c.id).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(
            cases
                .list(&other, &crate::CaseFilter::default())
                .await
                .unwrap()
                .is_empty()
        );
        // Refused with a reason; nothing more can be done; every action is kept.
        let r = cases
            .act(
                &county,
                c.id,
                None,
                CaseAction::Refuse {
                    date: d("2025-09-04"),
                    reason: "家长放弃".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (r.state, r.outcome.as_deref()),
            (CaseState::Refused, Some("家长放弃"))
        );
        let late = cases
            .act(&county, c.id, None, step("2025-09-05", &[]))
            .await;
        assert!(matches!(late, Err(StoreError::Invalid(m)) if m.contains("不予办理")));
        let (_, steps) = cases.get(&county, c.id).await.unwrap();
        let kinds: Vec<&str> = steps.iter().map(|s| s.action.as_str()).collect();
        assert_eq!(kinds, vec!["open", "step", "step", "refuse"]);
        assert_eq!(steps[1].attachments, "申请表.pdf");
        // The override case is overdue (its 申请 was due 2025-09-08); a refused one is not.
        let overdue = cases
            .list(
                &county,
                &crate::CaseFilter {
                    overdue: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(overdue.iter().map(|c| c.id).collect::<Vec<_>>(), vec![o.id]);
        // The SQL filter and the record's own rule agree.
        let today = store.today();
        let by_rule: Vec<i64> = cases
            .list(&county, &crate::CaseFilter::default())
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.overdue(today))
            .map(|c| c.id)
            .collect();
        assert_eq!(by_rule, vec![o.id]);
        // The worklist: the county's 申请 step of the override case waits on the village; the
        // village worker sees it, overdue, linked to the case.
        let w = store.worklist(&village).await.unwrap();
        let line = w.items.iter().find(|i| i.kind == "case").unwrap();
        assert_eq!(line.href, format!("/cases/{}", o.id));
        assert!(
            line.overdue && line.label.contains("待申请"),
            "{}",
            line.label
        );
        let w = store.worklist(&county).await.unwrap();
        assert!(
            !w.items.iter().any(|i| i.kind == "case"),
            "not the county's step"
        );
        let of_child = cases
            .list(
                &county,
                &crate::CaseFilter {
                    person: Some(a),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(of_child.len(), 1);
    }
);

contract!(
    providers_are_registered_and_seen_where_they_serve,
    |db: TestDb| async move {
        use anju_domain::provider::ProviderInput;
        let store = db.open().await;
        let county = user(&store, "tc", Role::County, "320585000000").await;
        let village = user(&store, "cun", Role::Village, TAICANG).await;
        let town = user(&store, "zhen", Role::Town, "320585100000").await;
        let other = user(&store, "ks", Role::County, "320583000000").await;
        let known: Vec<String> = store
            .programmes()
            .list(&county)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.programme.name)
            .collect();
        let input = |regions: &str| ProviderInput {
            credit_code: "91350100M000100Y43".into(),
            name: "太仓市康复中心".into(),
            kind: "定点康复机构".into(),
            regions: regions.into(),
            programmes: "残疾儿童康复救助、成人社区康复".into(),
            agreement_from: "2025-01-01".into(),
            agreement_to: "2025-12-31".into(),
            star_level: String::new(),
        };
        let p = input("320585000000").validate(&known).unwrap();
        let providers = store.providers();
        assert!(matches!(
            providers.register(&town, p.clone()).await,
            Err(StoreError::Forbidden)
        ));
        let outside = input("320583000000").validate(&known).unwrap();
        assert!(matches!(
            providers.register(&county, outside).await,
            Err(StoreError::Invalid(m)) if m.contains("管辖范围")
        ));
        let (rec, created) = providers.register(&county, p.clone()).await.unwrap();
        assert!(created);
        assert_eq!(rec.region_code, "320585000000");
        // Seen where it serves: the village and the town inside; not the next county.
        assert_eq!(providers.list(&village).await.unwrap().len(), 1);
        assert_eq!(providers.list(&town).await.unwrap().len(), 1);
        assert!(providers.list(&other).await.unwrap().is_empty());
        assert!(matches!(
            providers.get(&other, rec.id).await,
            Err(StoreError::NotFound(_))
        ));
        // Kept by the county that registered it: another county cannot take the code over.
        let mut theirs = p.clone();
        theirs.regions = vec![anju_domain::RegionCode::parse("320583000000").unwrap()];
        assert!(matches!(
            providers.register(&other, theirs).await,
            Err(StoreError::Invalid(m)) if m.contains("已由")
        ));
        // A sheet of providers: a row serving outside the county is refused by its column,
        // the others kept.
        let mut far = p.clone();
        far.credit_code =
            anju_domain::credit_code::CreditCode::parse("91110108551385082Q").unwrap();
        far.regions = vec![anju_domain::RegionCode::parse("320583000000").unwrap()];
        let r = providers
            .import(
                &county,
                "机构.xlsx",
                vec![(2, p.clone()), (3, far)],
                crate::Apply::Always,
            )
            .await
            .unwrap();
        assert_eq!((r.updated, r.rejected.len()), (1, 1));
        assert_eq!(
            (r.rejected[0].row, r.rejected[0].column.as_str()),
            (3, "服务区域")
        );
        let mut renamed = p;
        renamed.name = "太仓市残疾人康复中心".into();
        let (again, created) = providers.register(&county, renamed).await.unwrap();
        assert!(!created);
        assert_eq!(
            (again.id, again.provider.name.as_str()),
            (rec.id, "太仓市残疾人康复中心")
        );
    }
);

contract!(
    a_provider_sees_only_the_open_cases_assigned_to_it,
    |db: TestDb| async move {
        use anju_domain::programme::{CaseAction, CaseState};
        use anju_domain::provider::ProviderInput;
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let county = user(&store, "tc", Role::County, "320585000000").await;
        let known: Vec<String> = store
            .programmes()
            .list(&county)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.programme.name)
            .collect();
        let register = |code: &str, name: &str, programmes: &str| {
            ProviderInput {
                credit_code: code.into(),
                name: name.into(),
                kind: "定点康复机构".into(),
                regions: "320585000000".into(),
                programmes: programmes.into(),
                agreement_from: "2025-01-01".into(),
                agreement_to: "2026-12-31".into(),
                star_level: String::new(),
            }
            .validate(&known)
            .unwrap()
        };
        let (a, _) = store
            .providers()
            .register(
                &county,
                register("91350100M000100Y43", "甲康复中心", "残疾儿童康复救助"),
            )
            .await
            .unwrap();
        let (b, _) = store
            .providers()
            .register(
                &county,
                register("91110108551385082Q", "乙康复中心", "残疾儿童康复救助"),
            )
            .await
            .unwrap();
        user(&store, "jia", Role::Provider, "320585000000").await;
        user(&store, "yi", Role::Provider, "320585000000").await;
        store
            .users()
            .bind_provider(&admin, "jia", a.id)
            .await
            .unwrap();
        store
            .users()
            .bind_provider(&admin, "yi", b.id)
            .await
            .unwrap();
        assert!(
            store
                .users()
                .bind_provider(&admin, "tc", a.id)
                .await
                .is_err(),
            "staff are not bound"
        );
        let pa = store.users().local_scope("jia").await.unwrap();
        let pb = store.users().local_scope("yi").await.unwrap();
        let child = IdNumber::compose("320585", d("2021-03-07"), 1).unwrap();
        let k = file(&store, &child, TAICANG, None).await;
        store
            .programmes()
            .add_diagnosis(&county, k, "孤独症", "太仓市第一人民医院", d("2024-05-01"))
            .await
            .unwrap();
        let cases = store.cases();
        let c = cases
            .open(&county, k, "残疾儿童康复救助", d("2025-09-01"), None)
            .await
            .unwrap();
        let step = |date: &str, values: &[(&str, &str)]| CaseAction::Step {
            date: d(date),
            values: values
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            attachments: vec![],
            note: String::new(),
        };
        cases
            .act(
                &county,
                c.id,
                None,
                step("2025-09-02", &[("申请表", "有"), ("诊断证明", "有")]),
            )
            .await
            .unwrap();
        cases
            .act(
                &county,
                c.id,
                None,
                step("2025-09-03", &[("审核意见", "同意")]),
            )
            .await
            .unwrap();
        // Not yet assigned: no provider sees it.
        assert!(
            cases
                .list(&pa, &crate::CaseFilter::default())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            cases.get(&pa, c.id).await,
            Err(StoreError::NotFound(_))
        ));
        let assigned = cases
            .assign(&county, c.id, a.id, d("2025-09-04"))
            .await
            .unwrap();
        assert_eq!(assigned.provider.as_deref(), Some("甲康复中心"));
        let mine = cases
            .list(&pa, &crate::CaseFilter::default())
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(
            mine[0].id_number,
            anju_domain::mask::id_number(child.as_str()),
            "masked"
        );
        assert!(
            cases
                .list(&pb, &crate::CaseFilter::default())
                .await
                .unwrap()
                .is_empty()
        );
        // The provider's worklist has its step; it records it; a county's step it cannot.
        let w = store.worklist(&pa).await.unwrap();
        assert!(
            w.items
                .iter()
                .any(|i| i.kind == "case" && i.label.contains("待评估")),
            "{:?}",
            w.items
        );
        cases
            .act(
                &pa,
                c.id,
                None,
                step(
                    "2025-09-05",
                    &[("评估结论", "适合训练"), ("康复计划", "每周三次")],
                ),
            )
            .await
            .unwrap();
        let refuse = CaseAction::Refuse {
            date: d("2025-09-06"),
            reason: "x".into(),
        };
        assert!(matches!(
            cases.act(&pa, c.id, None, refuse).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(
            store.persons().get_by_key(&pa, k).await.is_err(),
            "no file beyond the case"
        );
        // Reassigned: it leaves the first provider.
        cases
            .assign(&county, c.id, b.id, d("2025-09-06"))
            .await
            .unwrap();
        assert!(
            cases
                .list(&pa, &crate::CaseFilter::default())
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            cases
                .list(&pb, &crate::CaseFilter::default())
                .await
                .unwrap()
                .len(),
            1
        );
        // One that does not deliver the programme cannot take it.
        let mut psych = register("91350100M000100Y43", "甲康复中心", "心理疏导");
        psych.credit_code =
            anju_domain::credit_code::CreditCode::parse("91110108551385082Q").unwrap();
        let (b2, _) = store.providers().register(&county, psych).await.unwrap();
        assert!(matches!(
            cases.assign(&county, c.id, b2.id, d("2025-09-06")).await,
            Err(StoreError::Invalid(m)) if m.contains("不承接")
        ));
        store
            .providers()
            .register(
                &county,
                register("91110108551385082Q", "乙康复中心", "残疾儿童康复救助"),
            )
            .await
            .unwrap();
        cases
            .act(&pb, c.id, None, step("2025-09-07", &[("训练记录", "完成")]))
            .await
            .unwrap();
        // The provider records what it delivered; a bad time names its field.
        use anju_domain::programme::delivery::DeliveryInput;
        let visit = DeliveryInput {
            kind: "康复训练".into(),
            date: "2025-09-07".into(),
            units: "3".into(),
            note: "步态训练".into(),
            ..Default::default()
        };
        let rec = cases.record_delivery(&pb, c.id, &visit).await.unwrap();
        assert_eq!(
            (rec.delivery.units, rec.provider.as_str()),
            (3, "乙康复中心")
        );
        let mut bad = visit.clone();
        bad.units = "0".into();
        assert!(matches!(
            cases.record_delivery(&pb, c.id, &bad).await,
            Err(StoreError::Invalid(m)) if m.contains("数量")
        ));
        assert_eq!(cases.deliveries(&county, c.id).await.unwrap().len(), 1);
        let closed = cases
            .act(
                &county,
                c.id,
                None,
                CaseAction::Close {
                    date: d("2025-09-08"),
                    outcome: "完成".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(closed.state, CaseState::Closed);
        assert!(
            cases
                .list(&pb, &crate::CaseFilter::default())
                .await
                .unwrap()
                .is_empty(),
            "closed: it leaves"
        );
        assert!(matches!(
            cases.record_delivery(&county, c.id, &visit).await,
            Err(StoreError::Invalid(m)) if m.contains("已结案")
        ));
    }
);

contract!(
    a_month_of_deliveries_is_settled_to_the_fen,
    |db: TestDb| async move {
        use anju_domain::month::Month;
        use anju_domain::programme::delivery::DeliveryInput;
        use anju_domain::provider::ProviderInput;
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let county = user(&store, "tc", Role::County, "320585000000").await;
        let known: Vec<String> = store
            .programmes()
            .list(&county)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.programme.name)
            .collect();
        let (provider, _) = store
            .providers()
            .register(
                &county,
                ProviderInput {
                    credit_code: "91350100M000100Y43".into(),
                    name: "甲康复中心".into(),
                    kind: "定点康复机构".into(),
                    regions: "320585000000".into(),
                    programmes: "成人社区康复、居家托养".into(),
                    agreement_from: "2025-01-01".into(),
                    agreement_to: "2026-12-31".into(),
                    star_level: String::new(),
                }
                .validate(&known)
                .unwrap(),
            )
            .await
            .unwrap();
        let adult = IdNumber::compose("320585", d("1980-05-06"), 3).unwrap();
        let k = file(&store, &adult, TAICANG, Some(("肢体", "二级"))).await;
        let cases = store.cases();
        let (st, sc) = (&store, &county);
        let deliver = move |case: i64, date: &'static str, units: &'static str| {
            let input = DeliveryInput {
                kind: "康复训练".into(),
                date: date.into(),
                units: units.into(),
                ..Default::default()
            };
            async move { st.cases().record_delivery(sc, case, &input).await.unwrap() }
        };
        let rehab = cases
            .open(&county, k, "成人社区康复", d("2025-09-01"), None)
            .await
            .unwrap();
        cases
            .assign(&county, rehab.id, provider.id, d("2025-09-02"))
            .await
            .unwrap();
        // 100.00 a session, 2,400.00 a year: 10 + 20 sessions pass the cap by 600.00.
        deliver(rehab.id, "2025-09-05", "10").await;
        deliver(rehab.id, "2025-09-20", "20").await;
        deliver(rehab.id, "2025-10-02", "1").await;
        let s = store.settlements();
        let month = Month::parse("2025-09").unwrap();
        let draft = s.draft(&county, provider.id, month).await.unwrap();
        assert!(draft.unpriced.is_empty());
        assert_eq!((draft.bill.total_fen, draft.bill.line_count), (240_000, 2));
        assert!(!draft.bill.second_approval);
        let lines = s.lines(&county, draft.bill.id).await.unwrap();
        assert_eq!(
            (lines[1].amount_fen, lines[1].capped_fen),
            (140_000, 60_000)
        );
        assert!(lines[1].note.contains("核减600.00元"), "{}", lines[1].note);
        // Drafting again replaces the draft; approving freezes it.
        let again = s.draft(&county, provider.id, month).await.unwrap();
        assert_eq!(
            s.lines(&county, again.bill.id).await.unwrap().len(),
            2,
            "replaced, not added"
        );
        let approved = s.approve(&county, again.bill.id).await.unwrap();
        assert_eq!(approved.state, "approved");
        assert!(matches!(
            s.approve(&admin, again.bill.id).await,
            Err(StoreError::Invalid(_))
        ));
        // A delivery recorded after approval goes on the month's next bill, with what the cap
        // left (nothing).
        deliver(rehab.id, "2025-09-28", "2").await;
        let next = s.draft(&county, provider.id, month).await.unwrap();
        assert_eq!((next.bill.line_count, next.bill.total_fen), (1, 0));
        // Home care asks for a second approver: its maker cannot approve it.
        let care = cases
            .open(&county, k, "居家托养", d("2025-09-01"), None)
            .await
            .unwrap();
        cases
            .assign(&county, care.id, provider.id, d("2025-09-02"))
            .await
            .unwrap();
        deliver(care.id, "2025-11-03", "4").await;
        let bill = s
            .draft(&county, provider.id, Month::parse("2025-11").unwrap())
            .await
            .unwrap();
        assert!(bill.bill.second_approval);
        assert_eq!(bill.bill.total_fen, 20_000, "50.00 × 4");
        assert!(matches!(
            s.approve(&county, bill.bill.id).await,
            Err(StoreError::Invalid(m)) if m.contains("制单人以外")
        ));
        assert_eq!(
            s.approve(&admin, bill.bill.id).await.unwrap().state,
            "approved"
        );
        // Another county sees none of it.
        let other = user(&store, "ks", Role::County, "320583000000").await;
        assert!(matches!(
            s.get(&other, bill.bill.id).await,
            Err(StoreError::NotFound(_))
        ));
    }
);
