//! A record's number in a path that is not a number: a page not found, in Chinese, like any
//! other; never the router's English rejection.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Db, TestApp, contract};

contract!(
    a_number_in_a_path_that_is_not_one_is_not_found_in_chinese,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        let (c, _) = app.browser("admin", common::ADMIN_PW).await;
        for path in [
            "/programmes/abc",
            "/programmes/1x/report",
            "/homes/%E4%B8%80",
            "/settlements/-",
            "/cases/9999999999999999999999",
            "/jobs/postings/abc",
            "/jobs/seekers/abc",
            "/training/abc",
            "/crosscheck/abc",
            "/crosscheck/abc/export.xlsx",
        ] {
            let r = c.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), 404, "{path}");
            let body = r.text().await.unwrap();
            assert!(body.contains("您要找的页面或数据不存在"), "{path}: {body}");
            assert!(!body.contains("Invalid URL"), "{path}");
        }
        // A number that is one still finds nothing it should not.
        let r = c.get(app.url("/training/424242")).send().await.unwrap();
        assert_eq!(r.status(), 404);
    }
);
