//! The levy's contract, on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anju_domain::Role;
use anju_domain::levy::rows;

use crate::programmes_tests::user;
use crate::testing::TestDb;
use crate::{Apply, StoreError, contract};

fn cells<const N: usize>(v: [&str; N]) -> [String; N] {
    v.map(str::to_owned)
}

contract!(
    a_levy_is_scoped_replaced_by_year_and_refused_while_faults_remain,
    |db: TestDb| async move {
        let store = db.open().await;
        let xuanwu = user(&store, "xw", Role::County, "320102000000").await;
        let qinhuai = user(&store, "qh", Role::County, "320104000000").await;
        let town = user(&store, "zhen", Role::Town, "320102002000").await;
        let levies = store.levies();
        let a = rows::employer(&cells([
            "91350100M000100Y43",
            "甲公司",
            "企业",
            "320102000000",
            "200",
            "12000000",
        ]))
        .unwrap();
        let b = rows::employer(&cells([
            "113201020000000197",
            "乙局",
            "机关",
            "320104000000",
            "40",
            "10000000",
        ]))
        .unwrap();
        assert!(matches!(
            levies
                .import_employers(
                    &town,
                    2024,
                    "x",
                    vec![(2, a.clone())],
                    vec![],
                    Apply::Always
                )
                .await,
            Err(StoreError::Forbidden)
        ));
        // Xuanwu imports its employer; the other county's row is refused.
        let r = levies
            .import_employers(
                &xuanwu,
                2024,
                "e.csv",
                vec![(2, a.clone()), (3, b.clone())],
                vec![],
                Apply::Always,
            )
            .await
            .unwrap();
        assert_eq!((r.inserted, r.rejected.len()), (1, 1));
        assert_eq!(r.rejected[0].column, "所属区划代码");
        // The fault stays with the year: the levy refuses, naming it.
        let p = rows::params(&cells(["320102000000", "2025", "1.5", "100000"])).unwrap();
        levies
            .import_params(&xuanwu, "p.csv", vec![(2, p)], vec![], Apply::Always)
            .await
            .unwrap();
        match levies.compute(&xuanwu, 2025, None, false).await {
            Err(StoreError::Invalid(m)) => assert!(m.contains("单位表第3行"), "{m}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        // The year again without the stray row: replaced, and the levy runs.
        let r = levies
            .import_employers(
                &xuanwu,
                2024,
                "e.csv",
                vec![(2, a.clone())],
                vec![],
                Apply::Always,
            )
            .await
            .unwrap();
        assert_eq!((r.inserted, r.rejected.len()), (1, 0));
        let run = levies.compute(&xuanwu, 2025, None, false).await.unwrap();
        assert_eq!(run.employers.len(), 1);
        // 3 × 60,000.00 = 180,000.00 at 90 %.
        assert_eq!(run.total_fen, 16_200_000);
        // Qinhuai sees none of it, and may not ask for Xuanwu.
        assert!(
            levies
                .compute(&qinhuai, 2025, None, false)
                .await
                .unwrap()
                .employers
                .is_empty()
        );
        assert!(matches!(
            levies
                .compute(&qinhuai, 2025, Some("320102000000"), false)
                .await,
            Err(StoreError::Forbidden)
        ));
        // Staff of an employer not imported for the year are refused by row.
        let s = rows::staff(&cells([
            "113201020000000197",
            "320102198005060010",
            "一级",
            "12",
            "是",
            "是",
            "是",
        ]))
        .unwrap();
        let r = levies
            .import_staff(&xuanwu, 2024, "s.csv", vec![(2, s)], vec![], Apply::IfClean)
            .await
            .unwrap();
        assert!(!r.committed);
        assert_eq!(r.rejected[0].code, "employer_unknown");
    }
);

contract!(
    employment_is_kept_and_new_employment_listed_once,
    |db: TestDb| async move {
        use crate::programmes_tests::{KUNSHAN, TAICANG, d, file};
        use anju_domain::employment::StatusInput;
        use anju_domain::id_number::IdNumber;
        let store = db.open().await;
        let county = user(&store, "tc", Role::County, "320585000000").await;
        let village = user(&store, "cun", Role::Village, TAICANG).await;
        let leader = user(&store, "ld", Role::Leader, "320585000000").await;
        let a = file(
            &store,
            &IdNumber::compose("320585", d("1990-01-02"), 1).unwrap(),
            TAICANG,
            Some(("肢体", "三级")),
        )
        .await;
        let b = file(
            &store,
            &IdNumber::compose("320585", d("1985-01-02"), 2).unwrap(),
            TAICANG,
            Some(("视力", "二级")),
        )
        .await;
        let status = |form: &str, since: &str| StatusInput {
            form: form.into(),
            since: since.into(),
            employer_name: "甲公司".into(),
            reason: "照顾家庭".into(),
            means: "家庭供养".into(),
            ..Default::default()
        };
        let e = store.employment();
        // A village worker records on the files of the village; bad input names its field.
        match e.record(&village, a, &status("未就业", "2099-01-01")).await {
            Err(StoreError::Invalid(m)) => assert!(m.contains("起始日期"), "{m}"),
            other => panic!("{other:?}"),
        }
        e.record(&village, a, &status("未就业", "2024-01-01"))
            .await
            .unwrap();
        e.record(&village, a, &status("按比例", "2025-04-01"))
            .await
            .unwrap();
        e.record(&village, a, &status("集中", "2025-09-01"))
            .await
            .unwrap();
        // b: employed since 2020, out for 3 months in 2025, back: not new.
        e.record(&county, b, &status("灵活", "2020-01-01"))
            .await
            .unwrap();
        e.record(&county, b, &status("未就业", "2025-01-01"))
            .await
            .unwrap();
        e.record(&county, b, &status("灵活", "2025-04-01"))
            .await
            .unwrap();
        // A child is not of working age: nothing is recorded.
        let child = file(
            &store,
            &IdNumber::compose("320585", d("2015-06-01"), 3).unwrap(),
            TAICANG,
            Some(("听力", "二级")),
        )
        .await;
        match e
            .record(&county, child, &status("灵活", "2025-01-01"))
            .await
        {
            Err(StoreError::Invalid(m)) => assert!(m.contains("劳动年龄"), "{m}"),
            other => panic!("{other:?}"),
        }
        let h = e.history(&county, a).await.unwrap();
        assert_eq!(h.len(), 3, "every change kept");
        assert_eq!(h[0].status.employer_name, "甲公司");
        let list = e.newly_employed(&county, 2025, None).await.unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!((list[0].person_id, list[0].since), (a, d("2025-04-01")));
        assert!(!list[0].id_number.contains('*'));
        assert!(
            e.newly_employed(&leader, 2025, None).await.unwrap()[0]
                .id_number
                .contains('*')
        );
        assert!(
            e.newly_employed(&county, 2024, None)
                .await
                .unwrap()
                .is_empty()
        );
        // Another county sees none; its files are not this county's to record on.
        let kunshan = user(&store, "ks", Role::County, "320583000000").await;
        assert!(
            e.newly_employed(&kunshan, 2025, None)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            e.record(&kunshan, a, &status("灵活", "2025-01-01"))
                .await
                .is_err()
        );
        let _ = KUNSHAN;
    }
);
