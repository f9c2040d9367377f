use super::*;

fn m(s: &str) -> Month {
    Month::parse(s).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const HOME: &str = "320585100201";

fn facts(assistance: &[Assistance]) -> Facts<'_> {
    Facts {
        household_code: HOME,
        life_status: LifeStatus::Living,
        life_date: None,
        cert_valid_to: Some(d("2030-12-31")),
        category: Some(Category::new(4).unwrap()),
        grade: Some(Grade::new(1).unwrap()),
        assistance,
    }
}

fn grant(kind: SubsidyKind) -> Grant {
    Grant {
        kind,
        locality: Locality::Urban,
        from: m("2024-01"),
        to: None,
        long_term_care: true,
    }
}

fn status(kind: AssistanceKind, from: &str, to: Option<&str>, yuan: Option<i64>) -> Assistance {
    Assistance {
        kind,
        from: m(from),
        to: to.map(m),
        amount: yuan.map(|y| Fen(y * 100)),
    }
}

fn dibao_row(id: i64, region: &str, locality: Locality, yuan: i64, from: &str) -> DibaoStandard {
    DibaoStandard {
        id,
        region_code: region.into(),
        locality,
        amount: Fen(yuan * 100),
        from: m(from),
    }
}

fn fixed(seq: i64, region: &str, kind: SubsidyKind, yuan: i64) -> Standard {
    Standard {
        id: seq * 10,
        seq,
        region_code: region.into(),
        kind,
        assistance: AnyOf::Any,
        grades: AnyOf::Any,
        categories: AnyOf::Any,
        locality: None,
        method: Method::Fixed(Fen(yuan * 100)),
        from: m("2023-01"),
        to: None,
    }
}

fn jiangsu(dibao: Vec<DibaoStandard>) -> Policy {
    let mut s = jiangsu_defaults();
    for (i, r) in s.iter_mut().enumerate() {
        r.id = i as i64 + 1;
    }
    Policy::new(s, dibao, Exclusion::defaults())
}

fn amount(policy: &Policy, g: &Grant, f: &Facts<'_>, month: &str) -> Result<i64, Stop> {
    match policy.decide(g, f, m(month)).unwrap() {
        Decision::Pay(p) => Ok(p.amount.0),
        Decision::Stop(s) => Err(s),
    }
}

#[test]
fn region_prefixes_follow_the_levels() {
    assert_eq!(region_prefix("320585000000"), "320585");
    assert_eq!(region_prefix("320585100000"), "320585100");
    assert_eq!(region_prefix("320585100201"), "320585100201");
    assert_eq!(region_prefix("320500000000"), "3205");
    assert_eq!(region_prefix("320000000000"), "32");
    // A village code ending in zeros is still a village.
    assert_eq!(region_prefix("320585100200"), "320585100200");
}

#[test]
fn the_jiangsu_defaults_pay_care_by_locality_and_living_by_dibao_share() {
    let p = jiangsu(vec![dibao_row(
        7,
        "320585000000",
        Locality::Urban,
        1045,
        "2024-01",
    )]);
    let dibao = [status(AssistanceKind::Dibao, "2023-01", None, None)];
    let f = facts(&dibao);
    assert_eq!(
        amount(&p, &grant(SubsidyKind::Care), &f, "2024-03"),
        Ok(13000)
    );
    let rural = Grant {
        locality: Locality::Rural,
        ..grant(SubsidyKind::Care)
    };
    assert_eq!(amount(&p, &rural, &f, "2024-03"), Ok(9000));
    // Severe and 低保: 30 % of 1,045.00 = 313.50.
    assert_eq!(
        amount(&p, &grant(SubsidyKind::Living), &f, "2024-03"),
        Ok(31350)
    );
    // Not severe: 25 % of 1,045.00 = 261.25.
    let f3 = Facts {
        grade: Some(Grade::new(3).unwrap()),
        ..f
    };
    assert_eq!(
        amount(&p, &grant(SubsidyKind::Living), &f3, "2024-03"),
        Ok(26125)
    );
    // Grade 3 has no care row: nothing, whatever the care need.
    assert_eq!(
        amount(&p, &grant(SubsidyKind::Care), &f3, "2024-03"),
        Err(Stop::NoStandard)
    );
    // Without 低保 in force, no living-subsidy row matches.
    assert_eq!(
        amount(&p, &grant(SubsidyKind::Living), &facts(&[]), "2024-03"),
        Err(Stop::NoStandard)
    );
    let Decision::Pay(pay) = p
        .decide(&grant(SubsidyKind::Living), &f, m("2024-03"))
        .unwrap()
    else {
        panic!("pays")
    };
    assert_eq!(pay.standard_id, 1);
    assert_eq!(pay.dibao_id, Some(7));
    assert!(
        pay.rule.contains("30%") && pay.rule.contains("1045.00") && pay.rule.contains("313.50"),
        "{}",
        pay.rule
    );
}

#[test]
fn month_ranges_include_both_ends() {
    let p = jiangsu(vec![]);
    let g = Grant {
        from: m("2024-02"),
        to: Some(m("2024-05")),
        ..grant(SubsidyKind::Care)
    };
    let f = facts(&[]);
    assert_eq!(amount(&p, &g, &f, "2024-01"), Err(Stop::NotStarted));
    assert_eq!(amount(&p, &g, &f, "2024-02"), Ok(13000));
    assert_eq!(amount(&p, &g, &f, "2024-05"), Ok(13000));
    assert_eq!(amount(&p, &g, &f, "2024-06"), Err(Stop::GrantEnded));
}

#[test]
fn a_death_or_move_in_the_month_still_pays_it_and_nothing_after() {
    let p = jiangsu(vec![]);
    let g = grant(SubsidyKind::Care);
    for (status, stop) in [
        (LifeStatus::Deceased, Stop::Deceased),
        (LifeStatus::MovedOut, Stop::MovedOut),
    ] {
        for date in ["2024-03-01", "2024-03-31"] {
            let f = Facts {
                life_status: status,
                life_date: Some(d(date)),
                ..facts(&[])
            };
            assert_eq!(
                amount(&p, &g, &f, "2024-03"),
                Ok(13000),
                "{status:?} {date}"
            );
            assert_eq!(
                amount(&p, &g, &f, "2024-04"),
                Err(stop),
                "{status:?} {date}"
            );
        }
        let f = Facts {
            life_status: status,
            life_date: Some(d("2024-02-29")),
            ..facts(&[])
        };
        assert_eq!(amount(&p, &g, &f, "2024-03"), Err(stop));
        assert_eq!(amount(&p, &g, &f, "2024-02"), Ok(13000));
    }
}

#[test]
fn the_certificate_must_be_valid_on_the_first_of_the_month() {
    let p = jiangsu(vec![]);
    let g = grant(SubsidyKind::Care);
    let on = |valid_to: Option<&str>| Facts {
        cert_valid_to: valid_to.map(d),
        ..facts(&[])
    };
    assert_eq!(
        amount(&p, &g, &on(Some("2024-03-01")), "2024-03"),
        Ok(13000)
    );
    assert_eq!(
        amount(&p, &g, &on(Some("2024-02-29")), "2024-03"),
        Err(Stop::CertificateInvalid)
    );
    assert_eq!(
        amount(&p, &g, &on(None), "2024-03"),
        Err(Stop::CertificateInvalid)
    );
}

#[test]
fn care_needs_long_term_care_whatever_the_grade() {
    let p = jiangsu(vec![]);
    let g = Grant {
        long_term_care: false,
        ..grant(SubsidyKind::Care)
    };
    assert_eq!(
        amount(&p, &g, &facts(&[]), "2024-03"),
        Err(Stop::NoCareNeed)
    );
}

#[test]
fn exclusions_by_assistance_in_force() {
    use AssistanceKind::*;
    let p = jiangsu(vec![dibao_row(
        1,
        "320000000000",
        Locality::Urban,
        1000,
        "2020-01",
    )]);
    let living = grant(SubsidyKind::Living);
    let care = grant(SubsidyKind::Care);
    for kind in [Tekun, InjuryCare] {
        let a = [
            status(Dibao, "2023-01", None, None),
            status(kind, "2024-03", Some("2024-03"), None),
        ];
        let f = facts(&a);
        assert_eq!(
            amount(&p, &living, &f, "2024-03"),
            Err(Stop::Excluded),
            "{kind:?}"
        );
        assert_eq!(
            amount(&p, &care, &f, "2024-03"),
            Err(Stop::Excluded),
            "{kind:?}"
        );
        // Not in force the month after.
        assert_eq!(amount(&p, &care, &f, "2024-04"), Ok(13000), "{kind:?}");
    }
    let a = [
        status(Dibao, "2023-01", None, None),
        status(Orphan, "2023-01", None, None),
    ];
    let f = facts(&a);
    assert_eq!(amount(&p, &living, &f, "2024-03"), Err(Stop::Excluded));
    assert_eq!(
        amount(&p, &care, &f, "2024-03"),
        Ok(13000),
        "orphans keep the care subsidy"
    );
}

#[test]
fn elderly_care_is_paid_the_higher_of_the_two() {
    use AssistanceKind::*;
    let p = jiangsu(vec![]);
    let care = grant(SubsidyKind::Care);
    let higher = [status(ElderlyCare, "2024-01", None, Some(150))];
    assert_eq!(
        amount(&p, &care, &facts(&higher), "2024-03"),
        Err(Stop::ElderlyHigher)
    );
    let equal = [status(ElderlyCare, "2024-01", None, Some(130))];
    assert_eq!(
        amount(&p, &care, &facts(&equal), "2024-03"),
        Ok(13000),
        "equal: care pays"
    );
    // The highest amount in force counts.
    let two = [
        status(ElderlyCare, "2024-01", None, Some(100)),
        status(ElderlyCare, "2024-03", Some("2024-03"), Some(131)),
    ];
    assert_eq!(
        amount(&p, &care, &facts(&two), "2024-03"),
        Err(Stop::ElderlyHigher)
    );
    assert_eq!(amount(&p, &care, &facts(&two), "2024-04"), Ok(13000));
}

#[test]
fn the_most_specific_region_alone_decides() {
    use SubsidyKind::Care;
    // The county's only care row is rural; the province's would match an urban grant, but
    // the county decides alone: nothing is paid.
    let county_rural = Standard {
        locality: Some(Locality::Rural),
        ..fixed(2, "320585000000", Care, 200)
    };
    let p = Policy::new(
        vec![fixed(1, "320000000000", Care, 130), county_rural.clone()],
        vec![],
        vec![],
    );
    let f = facts(&[]);
    assert_eq!(
        amount(&p, &grant(Care), &f, "2024-03"),
        Err(Stop::NoStandard)
    );
    let rural = Grant {
        locality: Locality::Rural,
        ..grant(Care)
    };
    assert_eq!(amount(&p, &rural, &f, "2024-03"), Ok(20000));
    // A town row is more specific still; a row for another town does not cover the person.
    let p = Policy::new(
        vec![
            fixed(1, "320000000000", Care, 130),
            county_rural.clone(),
            fixed(3, "320585100000", Care, 300),
            fixed(4, "320585101000", Care, 999),
        ],
        vec![],
        vec![],
    );
    assert_eq!(amount(&p, &grant(Care), &f, "2024-03"), Ok(30000));
    // Rows not in force in the month do not count: the county decides again.
    let p = Policy::new(
        vec![
            fixed(1, "320000000000", Care, 130),
            county_rural,
            Standard {
                to: Some(m("2024-02")),
                ..fixed(3, "320585100000", Care, 300)
            },
        ],
        vec![],
        vec![],
    );
    assert_eq!(amount(&p, &rural, &f, "2024-02"), Ok(30000));
    assert_eq!(amount(&p, &rural, &f, "2024-03"), Ok(20000));
}

#[test]
fn within_a_region_the_first_matching_row_in_file_order_wins() {
    use SubsidyKind::Care;
    let visual_only = Standard {
        categories: AnyOf::Only(vec![Category::new(1).unwrap()]),
        ..fixed(1, "320585000000", Care, 500)
    };
    let any = fixed(2, "320585000000", Care, 200);
    let also = fixed(3, "320585000000", Care, 999);
    // Given out of order: seq decides, not the vector's order.
    let p = Policy::new(vec![also, any, visual_only], vec![], vec![]);
    let f = facts(&[]);
    assert_eq!(amount(&p, &grant(Care), &f, "2024-03"), Ok(20000));
    let visual = Facts {
        category: Some(Category::new(1).unwrap()),
        ..f
    };
    assert_eq!(amount(&p, &grant(Care), &visual, "2024-03"), Ok(50000));
}

#[test]
fn a_listed_assistance_status_must_be_in_force_that_month() {
    use AssistanceKind::*;
    let row = Standard {
        assistance: AnyOf::Only(vec![Dibao, DibaoEdge]),
        ..fixed(1, "320585000000", SubsidyKind::Living, 100)
    };
    let p = Policy::new(vec![row], vec![], vec![]);
    let edge = [status(DibaoEdge, "2024-02", Some("2024-03"), None)];
    let g = grant(SubsidyKind::Living);
    assert_eq!(
        amount(&p, &g, &facts(&edge), "2024-01"),
        Err(Stop::NoStandard)
    );
    assert_eq!(amount(&p, &g, &facts(&edge), "2024-03"), Ok(10000));
    assert_eq!(
        amount(&p, &g, &facts(&edge), "2024-04"),
        Err(Stop::NoStandard)
    );
    let other = [status(Other, "2020-01", None, None)];
    assert_eq!(
        amount(&p, &g, &facts(&other), "2024-03"),
        Err(Stop::NoStandard)
    );
}

#[test]
fn the_dibao_standard_is_the_most_specific_and_latest_in_force() {
    let rows = vec![
        dibao_row(1, "320000000000", Locality::Urban, 800, "2020-01"),
        dibao_row(2, "320585000000", Locality::Urban, 1000, "2023-07"),
        dibao_row(3, "320585000000", Locality::Urban, 1045, "2024-07"),
        dibao_row(4, "320585000000", Locality::Rural, 900, "2023-07"),
    ];
    let p = jiangsu(rows);
    let dibao = [status(AssistanceKind::Dibao, "2020-01", None, None)];
    let f = facts(&dibao);
    let g = Grant {
        from: m("2020-01"),
        ..grant(SubsidyKind::Living)
    };
    // 2024-06: county's 2023-07 row; 2024-07 on: the new one.
    assert_eq!(amount(&p, &g, &f, "2024-06"), Ok(30000));
    assert_eq!(amount(&p, &g, &f, "2024-07"), Ok(31350));
    // Before the county had any row in force, the province's applies.
    assert_eq!(amount(&p, &g, &f, "2023-05"), Ok(24000));
    // Rural grants use the rural row.
    let rural = Grant {
        locality: Locality::Rural,
        ..g.clone()
    };
    assert_eq!(amount(&p, &rural, &f, "2024-07"), Ok(27000));
    // No 低保 standard at all: an error naming region, 城乡 and month.
    let p = jiangsu(vec![]);
    let err = p.decide(&rural, &f, m("2024-07")).unwrap_err();
    assert_eq!(
        err,
        PolicyError::NoDibao {
            region: HOME.into(),
            locality: "农村",
            month: m("2024-07")
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains(HOME) && msg.contains("农村") && msg.contains("2024-07"),
        "{msg}"
    );
}

#[test]
fn the_checks_give_the_reasons_in_order() {
    // Deceased and excluded: deceased is reported.
    let p = jiangsu(vec![]);
    let a = [status(AssistanceKind::Tekun, "2020-01", None, None)];
    let f = Facts {
        life_status: LifeStatus::Deceased,
        life_date: Some(d("2024-01-15")),
        cert_valid_to: None,
        ..facts(&a)
    };
    assert_eq!(
        amount(&p, &grant(SubsidyKind::Care), &f, "2024-03"),
        Err(Stop::Deceased)
    );
    assert_eq!(
        amount(
            &p,
            &grant(SubsidyKind::Care),
            &Facts {
                life_status: LifeStatus::Living,
                ..f
            },
            "2024-03"
        ),
        Err(Stop::CertificateInvalid)
    );
}
