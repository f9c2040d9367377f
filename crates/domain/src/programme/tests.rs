#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;

use super::*;
use crate::RegionTable;
use crate::person::{Field, PersonInput, validate};
use crate::subsidy::{Assistance, AssistanceKind};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn m(s: &str) -> Month {
    Month::parse(s).unwrap()
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

/// Born 2021-03-07 (4 on 2025-09-01), with no certificate.
const CHILD: &str = "320585202103070011";
/// Born 1980-05-06.
const ADULT: &str = "320585198005060013";

fn subject<'a>(
    p: &'a crate::person::Person,
    diagnoses: &'a [String],
    served: &'a [NaiveDate],
) -> Subject<'a> {
    Subject {
        person: p,
        assistance: &[],
        student: false,
        diagnoses,
        served,
    }
}

#[test]
fn the_childrens_rehabilitation_rule_reads_as_the_reference_says() {
    // 0-6: visual, hearing, speech, physical, intellectual or autism; 7-14: physical or
    // autism; a certificate or a diagnosis.
    let rule = Condition::parse(
        "任一（全部（年龄：0-6；任一（全部（持证有效；类别：视力、听力、言语、肢体、智力）；\
         诊断：孤独症、脑瘫、听力障碍、视力障碍、言语障碍、智力发育障碍））；\
         全部（年龄：7-14；任一（全部（持证有效；类别：肢体）；诊断：孤独症、脑瘫）））",
    )
    .unwrap();
    let child = person(CHILD, &[]);
    let on = d("2025-09-01");
    let none: [String; 0] = [];
    assert!(
        !rule.holds(&subject(&child, &none, &[]), on),
        "no certificate, no diagnosis"
    );
    let autism = ["孤独症".to_owned()];
    assert!(rule.holds(&subject(&child, &autism, &[]), on));
    // At 7 (2028-03-07) autism still counts, a hearing diagnosis no longer does.
    let hearing = ["听力障碍".to_owned()];
    assert!(rule.holds(&subject(&child, &hearing, &[]), d("2028-03-06")));
    assert!(!rule.holds(&subject(&child, &hearing, &[]), d("2028-03-07")));
    assert!(rule.holds(&subject(&child, &autism, &[]), d("2036-03-06")));
    assert!(
        !rule.holds(&subject(&child, &autism, &[]), d("2036-03-07")),
        "15 years old"
    );
    // A certificate of the right category serves in place of a diagnosis.
    let certified = person(
        CHILD,
        &[
            (Field::Category, "听力"),
            (Field::Grade, "二级"),
            (Field::CertValidTo, "2030-01-01"),
        ],
    );
    assert!(rule.holds(&subject(&certified, &none, &[]), on));
    let e = rule.explain(&subject(&certified, &none, &[]), on);
    assert!(e.met);
    let lines = e.lines().join("\n");
    assert!(lines.contains("符合：年龄0至6周岁（4周岁）"), "{lines}");
    assert!(
        lines.contains("符合：持有效残疾人证（有效期至2030-01-01）"),
        "{lines}"
    );
    assert!(lines.contains("不符合：有诊断：孤独症"), "{lines}");
}

#[test]
fn each_condition_gives_the_persons_value() {
    let p = person(
        ADULT,
        &[
            (Field::Category, "肢体"),
            (Field::Grade, "一级"),
            (Field::CertValidTo, "2025-06-30"),
        ],
    );
    let on = d("2025-09-01");
    let assistance = [Assistance {
        kind: AssistanceKind::Dibao,
        from: m("2025-01"),
        to: Some(m("2025-08")),
        amount: None,
    }];
    let served = [d("2023-10-01")];
    let s = Subject {
        person: &p,
        assistance: &assistance,
        student: false,
        diagnoses: &[],
        served: &served,
    };
    let check = |text: &str, met: bool, value: &str| {
        let e = Condition::parse(text).unwrap().explain(&s, on);
        assert_eq!((e.met, e.value.as_str()), (met, value), "{text}");
    };
    check("持证有效", false, "已于2025-06-30到期");
    check("类别：肢体、视力", true, "肢体残疾");
    check("等级：三级、四级", false, "一级");
    check("年龄：16-59", true, "45周岁");
    check("年龄：60-", false, "45周岁");
    // 低保 ended in August: not in force in September.
    check("救助：低保、特困", false, "无");
    check("户籍：320585", true, "320585100001");
    check("户籍：320583000000", false, "320585100001");
    check("在读学生", false, "未登记在读");
    check("未享受：3年", false, "2023-10-01曾享受");
    check("未享受：1年", true, "未享受过");
}

#[test]
fn a_condition_text_with_an_unknown_word_is_refused_naming_it() {
    for (text, word) in [
        ("收入：低", "收入"),
        ("类别：肢体、聋哑", "聋哑"),
        ("年龄：六岁", "年龄：六岁"),
        ("全部（持证有效", "全部（持证有效"),
        ("任一持证有效", "任一持证有效"),
        ("户籍：苏州", "苏州"),
    ] {
        let e = Condition::parse(text).unwrap_err();
        assert_eq!(e.word, word, "{text}: {e}");
        assert!(e.to_string().contains("无法识别"), "{e}");
    }
    assert_eq!(Condition::parse("").unwrap(), Condition::AllOf(vec![]));
}

#[test]
fn steps_read_and_write_back() {
    let steps = parse_steps(
        "申请（村，3）→评估（县，10，评估结论、服务计划）→服务（机构）→结案（县，10个工作日）",
    )
    .unwrap();
    assert_eq!(steps.len(), 4);
    assert_eq!(steps[1].actor, Actor::County);
    assert_eq!(steps[1].limit_days, Some(10));
    assert_eq!(steps[1].fields, vec!["评估结论", "服务计划"]);
    assert_eq!(steps[2].limit_days, None);
    assert_eq!(parse_steps(&steps_text(&steps)).unwrap(), steps);
    let e = parse_steps("申请（乡长）").unwrap_err();
    assert!(e.message.contains("乡长"), "{e}");
    assert!(parse_steps("申请").is_err());
}

fn row(name: &str, region: &str, amount: &str, from: &str) -> ProgrammeRow {
    ProgrammeRow {
        name: name.into(),
        kind: "康复".into(),
        steps: "申请（村）→评估（县，10）".into(),
        conditions: "持证有效".into(),
        region: region.into(),
        amount: amount.into(),
        unit: "月".into(),
        from: from.into(),
        to: String::new(),
        yearly_cap: "24000".into(),
        second_approval: "是".into(),
    }
}

#[test]
fn rows_of_one_programme_add_prices_and_the_most_specific_applies() {
    let a = row("成人社区康复", "320000000000", "100.00", "2025-01")
        .parse()
        .unwrap();
    let b = row("成人社区康复", "320585000000", "120.50", "2025-01")
        .parse()
        .unwrap();
    let (list, faults) = gather(vec![(2, a), (3, b)]);
    assert!(faults.is_empty());
    let p = &list[0];
    assert_eq!(p.yearly_cap, Some(Fen(2_400_000)));
    assert!(p.second_approval);
    assert_eq!(
        p.price_for("320585100001", m("2025-03")).unwrap().amount,
        Fen(12050)
    );
    assert_eq!(
        p.price_for("320102002001", m("2025-03")).unwrap().amount,
        Fen(10000)
    );
    assert!(p.price_for("320102002001", m("2024-12")).is_none());
    // A third row overlapping a region's months, or disagreeing on the steps, is refused.
    let c = row("成人社区康复", "320585000000", "130", "2025-06")
        .parse()
        .unwrap();
    let mut other = row("成人社区康复", "320583000000", "90", "2025-01");
    other.steps = "申请（村）".into();
    let (_, faults) = gather(vec![
        (2, list[0].clone()),
        (4, c),
        (5, other.parse().unwrap()),
    ]);
    assert_eq!(
        faults.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
        vec![4, 5]
    );
}

#[test]
fn a_bad_row_names_every_column_at_fault() {
    let mut r = row("", "3205", "12.345", "2025-13");
    r.kind = "娱乐".into();
    r.conditions = "爱好：唱歌".into();
    r.second_approval = "也许".into();
    let cols: Vec<&str> = r.parse().unwrap_err().iter().map(|e| e.column).collect();
    assert_eq!(
        cols,
        vec![
            "项目名称",
            "项目类别",
            "资格条件",
            "单价（元）",
            "起始月份",
            "须复核"
        ]
    );
}

#[test]
fn the_jiangsu_programmes_ship_and_read_cleanly() {
    let list = jiangsu().unwrap();
    for name in [
        "残疾儿童康复救助",
        "成人社区康复",
        "辅助器具适配",
        "辅助器具租赁",
        "寄宿制托养",
        "日间照料",
        "居家托养",
        "家庭无障碍改造",
        "残疾学生助学",
        "残疾人子女助学",
        "城乡居民医保代缴",
        "城乡居民养老保险代缴",
        "法律援助",
        "心理疏导",
    ] {
        let p = list
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name}"));
        assert!(
            p.price_for("320585100001", m("2025-06")).is_some(),
            "{name}"
        );
    }
    let child = list.iter().find(|p| p.name == "残疾儿童康复救助").unwrap();
    assert_eq!(child.kind, ProgrammeKind::Rehabilitation);
    assert!(child.second_approval);
    assert_eq!(child.steps[2].actor, Actor::Provider);
    // The shipped rule agrees with the reference: a 4-year-old with autism, no certificate.
    let p = person(CHILD, &[]);
    let autism = ["孤独症".to_owned()];
    assert!(
        child
            .conditions
            .holds(&subject(&p, &autism, &[]), d("2025-09-01"))
    );
}
