//! Home visits through the pages and the API: the worker's list, the visit form (kept once
//! when sent twice), the file's visits, the follow-up on the town's worklist and closed;
//! scoped, masked by role.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use anju_domain::person::Field;
use common::{Db, TestApp, contract, hidden};
use serde_json::{Value, json};

const PW: &str = "Visit-Page-Pass-2026";

contract!(
    home_visits_through_the_pages_and_the_api,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        app.add_user("zhen", Role::Town, "320102002000", Some(PW))
            .await;
        app.add_user("cun", Role::Village, "320102002001", Some(PW))
            .await;
        app.add_user("qh", Role::Town, "320104002000", Some(PW))
            .await;
        let rec = app
            .add_person(&[
                (Field::IdNumber, "320102199002030013"),
                (Field::Name, "王五"),
                (Field::Category, "肢体"),
                (Field::Grade, "一级"),
                (Field::CertValidTo, "2031-05-01"),
                (Field::HouseholdCode, "320102002001"),
            ])
            .await;
        let key = rec.id.to_string();
        let (village, vcsrf) = app.browser("cun", PW).await;
        let (town, tcsrf) = app.browser("zhen", PW).await;
        let (other, ocsrf) = app.browser("qh", PW).await;

        // The worker's list: a severe certificate, never visited; masked for the village.
        let list = app.page(&village, "/visits").await;
        assert!(list.contains("王五") && list.contains("从未走访"), "{list}");
        assert!(list.contains("重度残疾人每年走访"));
        assert!(!list.contains("320102199002030013"), "masked");
        assert!(!app.page(&other, "/visits").await.contains("王五"));
        let home = app.page(&village, "/").await;
        assert!(home.contains("1 人入户访视到期"), "on the worklist");

        // The form, prefilled with today; sent twice with its token: one visit.
        let page = app
            .page(&village, &format!("/persons/{key}/visits/new"))
            .await;
        assert!(page.contains("急需解决的问题") && page.contains("独居"));
        let token = hidden(&page, "token");
        let fields = [
            ("csrf", vcsrf.as_str()),
            ("token", token.as_str()),
            ("visited_on", "2026-11-20"),
            ("met", "self"),
            ("living", "alone"),
            ("health", "poor"),
            ("income", "family"),
            ("needs", "rehab"),
            ("needs", "device"),
            ("note", "行动不便，屋顶漏雨"),
            ("followup", "请镇里协调修缮屋顶"),
        ];
        for _ in 0..2 {
            let res = village
                .post(app.url(&format!("/persons/{key}/visits")))
                .form(&fields)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 303);
            assert_eq!(
                res.headers()["location"],
                format!("/persons/{key}#visit-h").as_str()
            );
        }
        let file = app.page(&town, &format!("/persons/{key}")).await;
        assert_eq!(file.matches("行动不便，屋顶漏雨").count(), 1, "kept once");
        assert!(file.contains("康复服务、辅助器具适配") && file.contains("独居"));
        assert!(file.contains("转镇（街道）跟进：请镇里协调修缮屋顶"));
        // The needs without a service: warnings for the town, counted by need.
        let gaps = app.page(&town, "/needs/gaps").await;
        assert!(gaps.contains("需求未满足预警共2条"), "{gaps}");
        assert!(gaps.contains("康复服务") && gaps.contains("辅助器具适配"));
        assert!(gaps.contains("320102199002030013"), "whole for the town");
        let only = app.page(&town, "/needs/gaps?need=康复服务").await;
        assert_eq!(only.matches("320102199002030013").count(), 1);
        assert!(!app.page(&other, "/needs/gaps").await.contains("王五"));
        assert!(app.page(&town, "/").await.contains("2 条需求未满足预警"));
        let x = town
            .get(app.url("/needs/gaps/export.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(x.status(), 200);
        // A date in the future: refused by field, nothing kept.
        let res = village
            .post(app.url(&format!("/persons/{key}/visits")))
            .form(&[
                ("csrf", vcsrf.as_str()),
                ("visited_on", "2099-01-01"),
                ("met", "self"),
                ("living", "alone"),
                ("health", "poor"),
                ("income", "family"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("走访日期"));
        // Another town's staff cannot visit this person.
        let res = other
            .post(app.url(&format!("/persons/{key}/visits")))
            .form(&[("csrf", ocsrf.as_str()), ("visited_on", "2026-11-20")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);

        // The follow-up: the town's worklist and page; closed with what was done.
        assert!(
            app.page(&town, "/")
                .await
                .contains("1 条走访发现的问题待跟进")
        );
        let f = app.page(&town, "/visits/followups").await;
        assert!(f.contains("请镇里协调修缮屋顶") && f.contains("办结"));
        assert!(!app.page(&other, "/visits/followups").await.contains("王五"));
        let fid: i64 = app
            .store
            .visits()
            .followups(&app.store.users().local_scope("zhen").await.unwrap(), true)
            .await
            .unwrap()[0]
            .id;
        let res = town
            .post(app.url(&format!("/visits/followups/{fid}/close")))
            .form(&[("csrf", tcsrf.as_str()), ("outcome", "已协调村委修缮")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let all = app.page(&town, "/visits/followups?all=1").await;
        assert!(all.contains("已办结：已协调村委修缮"));
        // Visited: no longer due within the notice; the list says when next.
        assert!(!app.page(&village, "/").await.contains("入户访视到期"));
        assert!(app.page(&village, "/visits").await.contains("2026-11-20"));
        let x = village
            .get(app.url("/visits/export.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(x.status(), 200);
        assert!(
            x.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("spreadsheetml")
        );

        // The API: the list whole for the county, a visit kept once per token.
        let tok = app.token("xw", PW).await;
        let due: Value = app.get_json(&tok, "/api/visits").await;
        assert_eq!(due["visits"][0]["id_number"], "320102199002030013");
        assert_eq!(due["visits"][0]["last_visit"], "2026-11-20");
        let post = || {
            TestApp::client()
                .post(app.url("/api/persons/320102199002030013/visits"))
                .bearer_auth(&tok)
                .json(&json!({
                    "visited_on": "2026-11-25", "met": "家属", "living": "与家人同住",
                    "health": "一般", "income": "家庭供养", "needs": ["就业帮扶"], "token": "api-1"
                }))
                .send()
        };
        let a: Value = post().await.unwrap().json().await.unwrap();
        let b: Value = post().await.unwrap().json().await.unwrap();
        assert_eq!(a["id"], b["id"]);
        assert_eq!(a["needs"], json!(["employment"]));
        let mine: Value = app
            .get_json(&tok, "/api/persons/320102199002030013/visits")
            .await;
        assert_eq!(mine["visits"].as_array().unwrap().len(), 2);
        // The latest visit names only employment help: that is the one warning now.
        let g: Value = app.get_json(&tok, "/api/needs/gaps?region=320102").await;
        assert_eq!(g["region"], "320102000000");
        assert_eq!(g["warnings"].as_array().unwrap().len(), 1);
        assert_eq!(g["warnings"][0]["need"], "就业帮扶");
        assert_eq!(g["counts"][0]["count"], 1);
        let bad = TestApp::client()
            .post(app.url("/api/persons/320102199002030013/visits"))
            .bearer_auth(&tok)
            .json(
                &json!({"visited_on": "2026-11-25", "met": "邻居", "living": "独居",
            "health": "一般", "income": "家庭供养"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        assert!(bad.text().await.unwrap().contains("见到何人"));
    }
);
