#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;

use super::*;
use crate::RegionTable;
use crate::month::Month;
use crate::person::{Field, PersonInput, validate};
use crate::programme::ProgrammeKind;
use crate::subsidy::{Assistance, AssistanceKind};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn person(id: &str, fields: &[(Field, &str)]) -> crate::person::Person {
    let mut i = PersonInput::default();
    i.set(Field::IdNumber, id);
    i.set(Field::Name, "测试");
    i.set(Field::HouseholdCode, "320585100001");
    for (f, v) in fields {
        i.set(*f, v);
    }
    validate(&i, RegionTable::jiangsu()).unwrap()
}

fn subject<'a>(p: &'a crate::person::Person, assistance: &'a [Assistance]) -> Subject<'a> {
    Subject {
        person: p,
        assistance,
        student: false,
        diagnoses: &[],
        served: &[],
    }
}

/// Born 1980-05-06, grade 1 physical, certificate in force to 2030.
fn severe() -> crate::person::Person {
    person(
        "320585198005060013",
        &[
            (Field::Category, "肢体"),
            (Field::Grade, "一级"),
            (Field::CertValidTo, "2030-01-01"),
            (Field::CertIssued, "2025-03-01"),
        ],
    )
}

#[test]
fn the_shipped_definitions_hold_the_ten_taicang_indicators_and_the_counts() {
    let defs = Definitions::shipped().unwrap();
    for key in [
        "income_growth",
        "new_employment",
        "trained",
        "care_low_income_severe",
        "pension_insurance",
        "medical_insurance",
        "compulsory_education",
        "rehabilitation",
        "device_fitting",
        "renovation",
        "holders",
        "living_subsidy_amount",
        "certificates_issued",
    ] {
        assert!(defs.find(key).is_some(), "{key}");
    }
    // Household income is not held: the indicator says so rather than showing a number.
    let (_, income) = defs.find("income_growth").unwrap();
    assert_eq!(income.measure, Measure::NoData);
    assert!(income.note.contains("不保存"));
    assert_eq!(income.display(Tally { n: 5, d: 9 }), "暂无数据");
    assert_eq!(income.value(Tally { n: 5, d: 9 }), None);
    let (_, reno) = defs.find("低收入重度残疾人家庭无障碍改造率").unwrap();
    assert_eq!(reno.measure, Measure::Share(Fact::Renovated));
    assert_eq!(defs.digest(), Definitions::shipped().unwrap().digest());
}

#[test]
fn a_share_counts_the_population_and_those_with_the_fact() {
    let defs = Definitions::parse(
        "代码\t名称\t人群\t度量\t说明\n\
         reno\t改造率\t持证有效；等级：一级、二级；救助：低保、特困\t占比：已无障碍改造\t\n",
    )
    .unwrap();
    let def = &defs.all()[0];
    let p = severe();
    let dibao = [Assistance {
        kind: AssistanceKind::Dibao,
        from: Month::new(2024, 1).unwrap(),
        to: None,
        amount: None,
    }];
    let on = d("2026-06-30");
    // Not low-income: outside the population.
    assert_eq!(
        def.tally(&subject(&p, &[]), &PersonFacts::default(), on, true),
        Tally::default()
    );
    // Low-income, not renovated: in the denominator only.
    assert_eq!(
        def.tally(&subject(&p, &dibao), &PersonFacts::default(), on, true),
        Tally { n: 0, d: 1 }
    );
    let reno = |state, since: &str| PersonFacts {
        cases: vec![CaseFact {
            kind: ProgrammeKind::Renovation,
            opened_on: d("2025-01-10"),
            state,
            since: d(since),
        }],
        ..PersonFacts::default()
    };
    assert_eq!(
        def.tally(
            &subject(&p, &dibao),
            &reno(CaseState::Closed, "2025-11-01"),
            on,
            true
        ),
        Tally { n: 1, d: 1 }
    );
    // Still open, or closed after the date: not yet renovated.
    assert_eq!(
        def.tally(
            &subject(&p, &dibao),
            &reno(CaseState::Open, "2025-11-01"),
            on,
            true
        )
        .n,
        0
    );
    assert_eq!(
        def.tally(
            &subject(&p, &dibao),
            &reno(CaseState::Closed, "2026-07-01"),
            on,
            true
        )
        .n,
        0
    );
    let mut sum = Tally::default();
    sum += Tally { n: 1, d: 1 };
    sum += Tally { n: 0, d: 1 };
    sum += Tally { n: 1, d: 1 };
    assert_eq!(def.value(sum), Some(66.67));
    assert_eq!(def.display(sum), "66.67%");
    assert_eq!(def.display(Tally::default()), "无应统计人群");
}

#[test]
fn facts_in_the_year_run_from_january_to_the_date() {
    let p = severe();
    let f = PersonFacts {
        trained: vec![d("2025-12-20"), d("2026-08-01")],
        newly_employed: Some(d("2026-03-01")),
        paid: vec![
            (SubsidyKind::Care, Month::new(2025, 12).unwrap(), 9000),
            (SubsidyKind::Care, Month::new(2026, 1).unwrap(), 9000),
            (SubsidyKind::Care, Month::new(2026, 2).unwrap(), 9000),
            (SubsidyKind::Living, Month::new(2026, 2).unwrap(), 30000),
            (SubsidyKind::Care, Month::new(2026, 3).unwrap(), 9000),
        ],
        cases: vec![
            CaseFact {
                kind: ProgrammeKind::Rehabilitation,
                opened_on: d("2025-05-01"),
                state: CaseState::Closed,
                since: d("2025-12-31"),
            },
            CaseFact {
                kind: ProgrammeKind::Care,
                opened_on: d("2026-02-01"),
                state: CaseState::Open,
                since: d("2026-02-01"),
            },
        ],
        ..PersonFacts::default()
    };
    assert!(!Fact::Trained.holds(&p, &f, d("2026-07-31")));
    assert!(Fact::Trained.holds(&p, &f, d("2026-08-01")));
    assert!(Fact::Trained.holds(&p, &f, d("2025-12-31")));
    assert!(!Fact::NewlyEmployed.holds(&p, &f, d("2026-02-28")));
    assert!(Fact::NewlyEmployed.holds(&p, &f, d("2026-12-31")));
    assert_eq!(
        f.paid_in_year(Some(SubsidyKind::Care), d("2026-02-15")),
        18000
    );
    assert_eq!(f.paid_in_year(None, d("2026-02-15")), 48000);
    assert_eq!(f.paid_in_year(None, d("2025-12-31")), 9000);
    // A rehabilitation case closed on the last day of 2025 served 2025, not 2026.
    let rehab = Fact::ServedInYear(ProgrammeKind::Rehabilitation);
    assert!(rehab.holds(&p, &f, d("2025-12-31")));
    assert!(!rehab.holds(&p, &f, d("2026-01-01")));
    assert!(Fact::InCare.holds(&p, &f, d("2026-02-01")));
    assert!(!Fact::InCare.holds(&p, &f, d("2026-01-31")));
    assert!(Fact::CertIssued.holds(&p, &f, d("2025-03-01")));
    assert!(!Fact::CertIssued.holds(&p, &f, d("2026-03-01")));
}

#[test]
fn a_population_reads_needs_beside_the_conditions() {
    let defs = Definitions::parse(
        "代码\t名称\t人群\t度量\t说明\n\
         dev\t适配率\t持证有效；需求：辅助器具适配\t占比：当年辅助器具服务\t\n",
    )
    .unwrap();
    let def = &defs.all()[0];
    let p = severe();
    let on = d("2026-06-30");
    assert_eq!(
        def.tally(&subject(&p, &[]), &PersonFacts::default(), on, true),
        Tally::default()
    );
    let needs = PersonFacts {
        needs: vec!["device".into()],
        ..PersonFacts::default()
    };
    assert_eq!(
        def.tally(&subject(&p, &[]), &needs, on, true),
        Tally { n: 0, d: 1 }
    );
    assert!(def.explain().contains("需求：辅助器具适配"));
}

#[test]
fn bad_definitions_are_refused_with_the_row_and_the_reason() {
    let head = "代码\t名称\t人群\t度量\t说明\n";
    let e = Definitions::parse(&format!("{head}a\t甲\t\t比例：在读\t\n")).unwrap_err();
    assert!(e.contains("第1行") && e.contains("比例"), "{e}");
    let e = Definitions::parse(&format!("{head}a\t甲\t\t占比：会飞\t\n")).unwrap_err();
    assert!(e.contains("会飞"), "{e}");
    let e = Definitions::parse(&format!("{head}a\t甲\t需求：飞行\t人数\t\n")).unwrap_err();
    assert!(e.contains("飞行"), "{e}");
    let e = Definitions::parse(&format!("{head}a\t甲\t等级：五级\t人数\t\n")).unwrap_err();
    assert!(e.contains("五级"), "{e}");
    let e = Definitions::parse(&format!("{head}a\t甲\t\t人数\t\na\t乙\t\t人数\t\n")).unwrap_err();
    assert!(e.contains("第2行"), "{e}");
    let e = Definitions::parse(&format!("{head}A\t甲\t\t人数\t\n")).unwrap_err();
    assert!(e.contains("第1行"), "{e}");
}

#[test]
fn tallies_pack_and_add_up() {
    let t = [
        Tally { n: 3, d: 0 },
        Tally { n: 1, d: 4 },
        Tally { n: 0, d: 0 },
    ];
    let s = pack(&t);
    assert_eq!(s, "3;1,4;0");
    let mut sum = [Tally::default(); 3];
    unpack_add(&s, &mut sum).unwrap();
    unpack_add(&s, &mut sum).unwrap();
    assert_eq!(
        sum,
        [
            Tally { n: 6, d: 0 },
            Tally { n: 2, d: 8 },
            Tally { n: 0, d: 0 }
        ]
    );
    assert!(unpack_add("1;2", &mut sum).is_err());
    assert!(unpack_add("1;2;3;4", &mut sum).is_err());
    assert!(unpack_add("1;x;3", &mut sum).is_err());
}

#[test]
fn targets_are_exact_and_refuse_what_is_not_a_target() {
    assert_eq!(TargetValue::parse("300", false), Ok(TargetValue(30000)));
    assert_eq!(TargetValue::parse("99.5%", true), Ok(TargetValue(9950)));
    assert_eq!(
        TargetValue::parse("1,200人", false),
        Ok(TargetValue(120000))
    );
    assert_eq!(TargetValue::parse(".5", false), Ok(TargetValue(50)));
    assert!(matches!(
        TargetValue::parse("-3", false),
        Err(TargetError::Negative(_))
    ));
    assert!(matches!(
        TargetValue::parse("abc", false),
        Err(TargetError::NotANumber(_))
    ));
    assert!(matches!(
        TargetValue::parse("", false),
        Err(TargetError::NotANumber(_))
    ));
    assert!(matches!(
        TargetValue::parse("1.234", false),
        Err(TargetError::TooPrecise(_))
    ));
    assert!(matches!(
        TargetValue::parse("101", true),
        Err(TargetError::OverHundred(_))
    ));
    assert_eq!(TargetValue(9950).text(), "99.5");
    assert_eq!(TargetValue(30000).text(), "300");
    assert_eq!(TargetValue(1234).text(), "12.34");
}

#[test]
fn an_allocation_says_by_how_much_the_towns_miss_the_task() {
    let task = Some(TargetValue(16300));
    let a = allocation(task, &[TargetValue(10000), TargetValue(6300)]);
    assert!(a.balanced());
    let a = allocation(task, &[TargetValue(10000), TargetValue(6000)]);
    assert_eq!(a.difference, Some(300));
    assert!(a.message().contains("少3"), "{}", a.message());
    let a = allocation(task, &[TargetValue(10000), TargetValue(7000)]);
    assert!(a.message().contains("多7"), "{}", a.message());
    assert_eq!(allocation(None, &[TargetValue(1)]).difference, None);
}

#[test]
fn a_population_with_conditions_counts_only_the_living_and_an_empty_one_everyone() {
    let defs = Definitions::shipped().unwrap();
    let (_, holders) = defs.find("holders").unwrap();
    let (_, paid) = defs.find("care_subsidy_amount").unwrap();
    let p = severe();
    let on = d("2026-06-30");
    let f = PersonFacts {
        paid: vec![(SubsidyKind::Care, Month::new(2026, 1).unwrap(), 9000)],
        ..PersonFacts::default()
    };
    assert_eq!(holders.tally(&subject(&p, &[]), &f, on, true).n, 1);
    assert_eq!(holders.tally(&subject(&p, &[]), &f, on, false).n, 0);
    // Paid in January, died in March: the year's money still counts.
    assert_eq!(paid.tally(&subject(&p, &[]), &f, on, false).n, 9000);
    assert_eq!(paid.display(Tally { n: 9000, d: 0 }), "90.00元");
}

#[test]
fn severe_and_living_read_as_the_federation_writes_them() {
    let items = crate::needs::NeedItems::shipped().unwrap();
    let p = Population::parse("重度；在世", &items).unwrap();
    assert!(p.living && !p.is_everyone());
    assert_eq!(
        p.conditions,
        Some(Condition::GradeIn(vec![
            crate::certificate::Grade::parse("一级").unwrap(),
            crate::certificate::Grade::parse("二级").unwrap(),
        ]))
    );
    let living = Population::parse("在世", &items).unwrap();
    let person = severe();
    let s = subject(&person, &[]);
    let on = d("2026-06-30");
    assert!(living.holds(&s, &[], on, true));
    assert!(
        !living.holds(&s, &[], on, false),
        "the dead are not counted"
    );
    assert!(
        Population::parse("", &items)
            .unwrap()
            .holds(&s, &[], on, false)
    );
}
