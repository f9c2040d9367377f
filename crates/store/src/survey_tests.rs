//! The annual survey's contract, on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use anju_domain::Role;
use anju_domain::id_number::IdNumber;
use anju_domain::month::Month;
use anju_domain::subsidy::{Assistance, AssistanceKind};

use crate::programmes_tests::{d, file, user};
use crate::testing::TestDb;
use crate::{AssistanceRow, ManualClock, StoreError, contract};

fn ms(day: &str) -> i64 {
    d(day)
        .and_hms_opt(4, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const VILLAGE: &str = "320102002001";

contract!(
    a_survey_year_is_opened_filled_once_and_checked,
    |db: TestDb| async move {
        let store = db
            .open_with(Arc::new(ManualClock::new(ms("2026-03-02"))))
            .await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let town = user(&store, "zhen", Role::Town, "320102002000").await;
        let village = user(&store, "cun", Role::Village, VILLAGE).await;
        let v2 = user(&store, "cun2", Role::Village, VILLAGE).await;
        let poor = IdNumber::compose("320102", d("1970-02-02"), 3).unwrap();
        let none = IdNumber::compose("320102", d("1990-03-03"), 5).unwrap();
        let qh = IdNumber::compose("320104", d("1960-04-04"), 7).unwrap();
        let p_poor = file(&store, &poor, VILLAGE, Some(("听力", "四级"))).await;
        let p_none = file(&store, &none, VILLAGE, None).await;
        let p_qh = file(&store, &qh, "320104002001", Some(("肢体", "二级"))).await;
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
        let s = store.survey();
        // Opened by an administrator, for Xuanwu; not a year to come; once.
        assert!(matches!(
            s.open_year(&county, 2026, None).await,
            Err(StoreError::Forbidden)
        ));
        assert!(s.open_year(&admin, 2027, Some("320102")).await.is_err());
        assert!(matches!(
            s.form(&village, 2026, p_poor).await,
            Err(StoreError::Invalid(_))
        ));
        s.open_year(&admin, 2026, Some("320102")).await.unwrap();
        s.open_year(&admin, 2026, Some("320102")).await.unwrap();
        // Qinhuai's holder is not in the opened subtree; a file without a certificate is not
        // surveyed.
        let other = user(&store, "qh", Role::Town, "320104002000").await;
        assert!(s.form(&other, 2026, p_qh).await.is_err());
        assert!(s.form(&village, 2026, p_none).await.is_err());

        // A new form, prefilled from the file.
        let f = s.form(&village, 2026, p_poor).await.unwrap();
        assert_eq!((f.status.as_str(), f.version), ("new", 0));
        assert_eq!(f.answers["dibao"], "是");
        assert_eq!(f.answers["living_subsidy"], "否");
        assert!(f.contradictions.is_empty());
        // Saved; the worker says no 低保: the file contradicts it.
        let mut said = f.answers.clone();
        said.insert("dibao".into(), "否".into());
        said.insert("housing".into(), "租住".into());
        said.insert("需求".into(), "康复服务".into());
        let saved = s.save(&village, 2026, p_poor, &said, 0).await.unwrap();
        assert_eq!((saved.status.as_str(), saved.version), ("submitted", 1));
        assert_eq!(saved.contradictions.len(), 1);
        assert_eq!(saved.contradictions[0].question, "享受低保");
        assert_eq!(saved.answers["needs"], "康复服务");
        // The same form sent again (a phone that lost its connection): stored once.
        let again = s.save(&village, 2026, p_poor, &said, 0).await.unwrap();
        assert_eq!(again.version, 1);
        // A second worker who opened the new form saves over it: told, nothing overwritten.
        let err = s
            .save(&v2, 2026, p_poor, &answers(&[("住房类型", "借住")]), 0)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("已由cun修改"), "{err}");
        assert_eq!(
            s.form(&town, 2026, p_poor).await.unwrap().answers["housing"],
            "租住"
        );
        // A bad answer: refused by question, nothing changed.
        let err = s
            .save(&village, 2026, p_poor, &answers(&[("住房类型", "船屋")]), 1)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("住房类型"), "{err}");
        assert_eq!(s.form(&town, 2026, p_poor).await.unwrap().version, 1);

        // Progress per village for the town; the town accepts the village's forms.
        let p = s.progress(&town, 2026).await.unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(
            (
                p[0].region_code.as_str(),
                p[0].holders,
                p[0].filled,
                p[0].accepted
            ),
            (VILLAGE, 1, 1, 0)
        );
        assert!(matches!(
            s.check_village(&village, 2026, VILLAGE, true, "").await,
            Err(StoreError::Forbidden)
        ));
        assert!(
            s.check_village(&town, 2026, VILLAGE, false, " ")
                .await
                .is_err()
        );
        assert_eq!(
            s.check_village(&town, 2026, VILLAGE, true, "")
                .await
                .unwrap(),
            1
        );
        assert_eq!(s.progress(&county, 2026).await.unwrap()[0].accepted, 1);
        // The county looks into the town to see its villages; not into another county.
        let villages = s
            .progress_in(&county, 2026, Some("320102002"))
            .await
            .unwrap();
        assert_eq!(villages[0].region_code, VILLAGE);
        assert!(matches!(
            s.progress_in(&county, 2026, Some("320104002")).await,
            Err(StoreError::NotFound(_))
        ));
        // Accepted: the village can no longer change it; the town can.
        let err = s
            .save(&village, 2026, p_poor, &answers(&[("住房类型", "借住")]), 1)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("审核通过"), "{err}");
        // The survey's needs join the needs-gap warnings, from the day the form was saved.
        let g = store.needs().gaps(&town, None).await.unwrap();
        assert_eq!(
            g.warnings
                .iter()
                .map(|w| (w.person_id, w.need_code.as_str(), w.since))
                .collect::<Vec<_>>(),
            vec![(p_poor, "rehab", d("2026-03-02"))]
        );
        let years = s.years_of(&town, p_poor).await.unwrap();
        assert_eq!(years.len(), 1);
        assert_eq!((years[0].0, years[0].1.as_str()), (2026, "accepted"));
    }
);
