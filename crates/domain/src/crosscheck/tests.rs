use std::collections::HashMap;

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn row(kind: ListKind, cells: &[(&str, &str)]) -> Result<ListRow, Vec<Fault>> {
    let m: HashMap<&str, &str> = cells.iter().copied().collect();
    read_row(
        kind,
        2,
        &|h| m.get(h).map(|s| (*s).to_owned()).unwrap_or_default(),
        d("2025-06-30"),
    )
}

fn facts() -> Facts {
    Facts {
        name: "张三".into(),
        sex: Some(Sex::Male),
        birth: Some(d("1949-01-01")),
        household: "320102002001".into(),
        life_status: Some(LifeStatus::Living),
        life_date: None,
        certified: true,
        assistance: vec![],
        care_fen: None,
    }
}

#[test]
fn every_kind_is_described_with_its_department_and_columns() {
    let s = specs().unwrap();
    assert_eq!(s.len(), 7);
    let deaths = spec(ListKind::Deaths).unwrap();
    assert_eq!(
        (deaths.name.as_str(), deaths.department.as_str()),
        ("死亡人员名单", "公安")
    );
    let headers: Vec<String> = ["公民身份号码", "姓 名", "死亡时间（年月日）", "性别"]
        .map(str::to_owned)
        .to_vec();
    let at = deaths.map_headers(&headers).unwrap();
    assert_eq!(
        (at["身份证号"], at["姓名"], at["死亡日期"], at["性别"]),
        (0, 1, 2, 3)
    );
    let missing = spec(ListKind::Insurance)
        .unwrap()
        .map_headers(&["身份证号".to_owned(), "姓名".to_owned()])
        .unwrap_err();
    assert_eq!(missing, ["险种", "参保状态", "缴费年月"]);
    assert_eq!(
        ListKind::parse("elderly_allowance"),
        Some(ListKind::ElderlyAllowance)
    );
    assert_eq!(ListKind::parse("参保名单"), Some(ListKind::Insurance));
    assert_eq!(ListKind::parse("taxes"), None);
}

#[test]
fn rows_read_with_their_faults_named() {
    let r = row(
        ListKind::Deaths,
        &[
            ("身份证号", "320102490101001"),
            ("姓名", "张三"),
            ("死亡日期", "2025-03-01"),
        ],
    )
    .unwrap();
    assert_eq!(r.id.unwrap().as_str().len(), 18, "15 digits converted");
    assert_eq!(
        r.payload,
        Payload::Death {
            date: d("2025-03-01")
        }
    );
    let e = row(
        ListKind::Deaths,
        &[("身份证号", "12345"), ("死亡日期", "2025-07-01")],
    )
    .unwrap_err();
    let cols: Vec<&str> = e.iter().map(|f| f.column.as_str()).collect();
    assert_eq!(cols, ["身份证号", "死亡日期"]);
    assert!(e[1].reason.contains("晚于今天"));
    // No usable ID but a name and a birth date: read, for a weak match.
    let w = row(
        ListKind::Deaths,
        &[
            ("姓名", "张三"),
            ("出生日期", "1949-01-01"),
            ("性别", "男"),
            ("死亡日期", "2025-03-01"),
        ],
    )
    .unwrap();
    assert!(w.id.is_none() && w.birth == Some(d("1949-01-01")) && w.sex == Some(Sex::Male));
    let a = row(
        ListKind::Assistance,
        &[
            ("身份证号", "11010519491231002X"),
            ("姓名", "李"),
            ("救助类型", "低保"),
            ("起始月份", "2024-01"),
            ("终止月份", "2023-12"),
        ],
    )
    .unwrap_err();
    assert_eq!(a[0].column, "终止月份");
    let i = row(
        ListKind::Insurance,
        &[
            ("身份证号", "11010519491231002X"),
            ("姓名", "李"),
            ("险种", "基本养老保险"),
            ("参保状态", "暂停"),
            ("缴费年月", "2025-05"),
        ],
    )
    .unwrap_err();
    assert_eq!(i[0].column, "参保状态");
    let i = row(
        ListKind::Insurance,
        &[
            ("身份证号", "11010519491231002X"),
            ("姓名", "李"),
            ("险种", "基本养老保险"),
            ("参保状态", "暂停缴费"),
            ("缴费年月", "2025-05"),
        ],
    )
    .unwrap();
    assert_eq!(
        i.payload,
        Payload::Insurance {
            kind: "养老".into(),
            status: "暂停缴费".into(),
            month: Month::parse("2025-05").unwrap()
        }
    );
}

#[test]
fn differences_name_the_field_and_both_values() {
    let f = facts();
    let death = row(
        ListKind::Deaths,
        &[
            ("身份证号", "320102194901010013"),
            ("姓名", "张山"),
            ("死亡日期", "2025-03-01"),
        ],
    )
    .unwrap();
    let diffs = compare(&death, &f);
    let codes: Vec<&str> = diffs.iter().map(|x| x.code.as_str()).collect();
    assert_eq!(codes, ["name", "death"]);
    assert_eq!(
        (diffs[0].registry.as_str(), diffs[0].list.as_str()),
        ("张三", "张山")
    );
    assert_eq!(diffs[1].list, "死亡（2025-03-01）");
    // Already recorded dead on that date: consistent.
    let mut dead = facts();
    dead.life_status = Some(LifeStatus::Deceased);
    dead.life_date = Some(d("2025-03-01"));
    let same = row(
        ListKind::Deaths,
        &[
            ("身份证号", "320102194901010013"),
            ("姓名", "张三"),
            ("死亡日期", "2025-03-01"),
        ],
    )
    .unwrap();
    assert!(compare(&same, &dead).is_empty());
    // 低保 started, and ended.
    let a = row(
        ListKind::Assistance,
        &[
            ("身份证号", "320102194901010013"),
            ("姓名", "张三"),
            ("救助类型", "低保"),
            ("起始月份", "2024-01"),
            ("终止月份", "2025-03"),
        ],
    )
    .unwrap();
    assert_eq!(compare(&a, &f)[0].code, "assistance_started");
    let mut on = facts();
    on.assistance.push(Assistance {
        kind: AssistanceKind::Dibao,
        from: Month::parse("2024-01").unwrap(),
        to: None,
        amount: None,
    });
    let c = compare(&a, &on);
    assert_eq!(
        (
            c[0].code.as_str(),
            c[0].registry.as_str(),
            c[0].list.as_str()
        ),
        (
            "assistance_ended",
            "低保 2024-01起",
            "低保 2024-01至2025-03"
        )
    );
    // The elderly allowance higher than the care subsidy paid.
    let e = row(
        ListKind::ElderlyAllowance,
        &[
            ("身份证号", "320102194901010013"),
            ("姓名", "张三"),
            ("月金额", "200"),
            ("起始月份", "2025-01"),
        ],
    )
    .unwrap();
    let mut care = facts();
    care.care_fen = Some(13_000);
    assert_eq!(compare(&e, &care)[0].code, "allowance_higher");
    care.care_fen = Some(20_000);
    assert_eq!(compare(&e, &care)[0].code, "allowance_new");
}

#[test]
fn insurance_expects_working_age_holders() {
    let band = crate::employment::EmploymentRules {
        age_from: 16,
        age_to: 59,
        window_months: 6,
    };
    let mut f = facts();
    f.birth = Some(d("1990-05-01"));
    let why = registry_only(ListKind::Insurance, &f, d("2025-06-30"), &band).unwrap();
    assert_eq!(why.code, "no_enrolment");
    f.birth = Some(d("1949-01-01"));
    assert!(registry_only(ListKind::Insurance, &f, d("2025-06-30"), &band).is_none());
    f.birth = Some(d("1990-05-01"));
    f.certified = false;
    assert!(registry_only(ListKind::Insurance, &f, d("2025-06-30"), &band).is_none());
    assert!(registry_only(ListKind::Deaths, &facts(), d("2025-06-30"), &band).is_none());
}

#[test]
fn rules_map_differences_to_tasks_and_actions_round_trip() {
    let rules = task_rules().unwrap();
    let r = rule_for(&rules, ListKind::Deaths, "death").unwrap();
    assert_eq!(
        (r.task.as_str(), r.days, r.then),
        ("核实死亡", 10, Then::Death)
    );
    assert_eq!(
        rule_for(&rules, ListKind::Moves, "weak").unwrap().task,
        "身份核对（弱匹配）"
    );
    assert!(
        rule_for(&rules, ListKind::Deaths, "name").is_none(),
        "a name spelt otherwise is reported, not tasked"
    );
    let death = row(
        ListKind::Deaths,
        &[
            ("身份证号", "320102194901010013"),
            ("姓名", "张三"),
            ("死亡日期", "2025-03-01"),
        ],
    )
    .unwrap();
    assert_eq!(
        parse_action(&action_text(&death)),
        Some(Action::Life(LifeStatus::Deceased, d("2025-03-01")))
    );
    let e = row(
        ListKind::ElderlyAllowance,
        &[
            ("身份证号", "320102194901010013"),
            ("姓名", "张三"),
            ("月金额", "200"),
            ("起始月份", "2025-01"),
        ],
    )
    .unwrap();
    match parse_action(&action_text(&e)) {
        Some(Action::Assistance(a)) => assert_eq!(
            (a.kind, a.amount),
            (AssistanceKind::ElderlyCare, Some(Fen(20_000)))
        ),
        other => panic!("{other:?}"),
    }
}
