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
