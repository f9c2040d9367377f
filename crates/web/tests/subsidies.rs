//! The subsidies' pages and API end to end: imports through the upload page, a roll generated,
//! reviewed, approved by a second user and exported, and the person's file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::Role;
use common::{Db, TestApp, contract};
use serde_json::Value;

const PW: &str = "Subsidy-Page-Pass-2026";

async fn upload(app: &TestApp, c: &reqwest::Client, csrf: &str, table: &str, csv: &str) -> String {
    let f = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("表.csv"),
        );
    let res = c
        .post(app.url(&format!("/subsidies/import/{table}")))
        .multipart(f)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let job = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(job.starts_with("/imports/"), "{job}");
    common::finished_job(app, c, &job).await
}

contract!(
    a_month_of_subsidies_through_the_pages,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("nj", Role::City, "320100000000", Some(PW))
            .await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        app.add_user("xw2", Role::County, "320102000000", Some(PW))
            .await;
        app.add_user("cun", Role::Village, "320102002001", Some(PW))
            .await;
        let (city, city_csrf) = app.browser("nj", PW).await;
        let (xw, csrf) = app.browser("xw", PW).await;
        let (a, b) = ("320102194901010013", "320102195001010012");
        let persons = format!(
            "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,证件有效期至\n{a},张三,肢体,一级,320102002001,2030-01-01\n{b},李四,视力,三级,320102002002,2030-01-01\n"
        );
        let f = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(persons.into_bytes()).file_name("p.csv"),
            );
        let res = xw
            .post(app.url("/persons/import"))
            .multipart(f)
            .send()
            .await
            .unwrap();
        let job = res.headers()["location"].to_str().unwrap().to_owned();
        let page = common::finished_job(&app, &xw, &job).await;
        assert!(page.contains("导入完成"), "the people were imported");
        // A county may not set the 低保 standard; the city may.
        assert_eq!(
            xw.get(app.url("/subsidies/import/dibao"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
        let page = upload(
            &app,
            &city,
            &city_csrf,
            "dibao",
            "区划代码,城乡,月标准,生效月份\n320100000000,城镇,1000,2024-01\n",
        )
        .await;
        assert!(page.contains("导入完成"), "{page}");
        let page = upload(
            &app,
            &xw,
            &csrf,
            "assistance",
            &format!("身份证号,救助类型,起始月份\n{a},低保,2024-01\n{b},低保,2024-01\n"),
        )
        .await;
        assert!(page.contains("导入完成"), "{page}");
        let grants = format!(
            "身份证号,补贴类型,城乡,起始月份,银行账号,开户银行,长期照护需求\n\
         {a},困难残疾人生活补贴,城镇,2025-01,6222020200112233445,工商银行,否\n\
         {a},重度残疾人护理补贴,城镇,2025-01,6222020200112233445,工商银行,是\n\
         {b},困难残疾人生活补贴,城镇,2025-01,6222020200112233999,工商银行,否\n\
         {b},困难残疾人生活补贴,城镇,2025-03,6222020200112233999,工商银行,否\n"
        );
        let page = upload(&app, &xw, &csrf, "grants", &grants).await;
        assert!(
            page.contains("导入完成") && page.contains("<td>5</td><td>起始月份</td>"),
            "{page}"
        );
        // The overview shows the shipped standards and the imported 低保 standard.
        let overview = xw
            .get(app.url("/subsidies"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            overview.contains("定额 130.00 元") && overview.contains("低保标准的 30%"),
            "{overview}"
        );
        assert!(overview.contains("1000.00"));
        // Generate March: three lines, two towns.
        let res = xw
            .post(app.url("/subsidies/rolls"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("month", "2025-03"),
                ("region", "320102000000"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let roll_page = res.headers()["location"].to_str().unwrap().to_owned();
        let page = xw
            .get(app.url(&roll_page))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("共3行（号码已按权限脱敏）"), "{page}");
        assert!(
            !page.contains("与他人共用</strong>"),
            "no account is shared here"
        );
        let roll = res.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(roll, "/subsidies/rolls/2025-03/320102000000");
        let page = xw
            .get(app.url(&roll))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("草稿") && page.contains("680.00"), "{page}");
        assert!(page.contains("梅园新村街道"));
        assert!(
            !page.contains("审批名册（审批后冻结）"),
            "its maker is not offered approval"
        );
        // The maker cannot approve; another county clerk can.
        let res = xw
            .post(app.url(&format!("{roll}/approve")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("双人复核"));
        assert_eq!(
            xw.get(app.url(&format!("{roll}/export")))
                .send()
                .await
                .unwrap()
                .status(),
            400
        );
        let (xw2, csrf2) = app.browser("xw2", PW).await;
        // The draft waits on the second clerk's worklist, linked to the roll.
        let home = xw2
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            home.contains("2025-03 发放名册（3行，xw 生成）待审批")
                && home.contains(&format!("href=\"{roll}\"")),
            "{home}"
        );
        let page = xw2
            .get(app.url(&roll))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("审批名册（审批后冻结）"));
        let res = xw2
            .post(app.url(&format!("{roll}/approve")))
            .form(&[("csrf", csrf2.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let page = xw2
            .get(app.url(&roll))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("已审批") && page.contains("导出银行发放文件"),
            "{page}"
        );
        let bank = xw2
            .get(app.url(&format!("{roll}/export")))
            .send()
            .await
            .unwrap();
        assert_eq!(bank.status(), 200);
        assert_eq!(&bank.bytes().await.unwrap()[..2], b"PK");
        // The bank's return through the roll page: the failed payment is listed.
        let f = reqwest::multipart::Form::new()
            .text("csrf", csrf2.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(
                    "账号,金额,状态,失败原因\n6222020200112233445,130.00,失败,账户已冻结\n"
                        .as_bytes()
                        .to_vec(),
                )
                .file_name("回盘.csv"),
            );
        let res = xw2
            .post(app.url(&format!("{roll}/reconcile")))
            .multipart(f)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let job = res.headers()["location"].to_str().unwrap().to_owned();
        let page = common::finished_job(&app, &xw2, &job).await;
        assert!(page.contains("导入完成"), "the return was applied");
        let page = xw2
            .get(app.url(&roll))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("发放失败的款项（1笔）") && page.contains("账户已冻结"),
            "{page}"
        );
        // April through the API; the difference from March is shown.
        let token = app.token("xw", PW).await;
        let api = TestApp::client();
        let v: Value = api
            .post(app.url("/api/subsidies/rolls"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"month": "2025-04", "region": "320102000000"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // 680.00 for April and March's returned 130.00 paid again.
        assert_eq!(v["total_fen"].as_i64(), Some(81000), "{v}");
        let view: Value = app
            .get_json(&token, "/api/subsidies/rolls/2025-04/320102000000")
            .await;
        assert_eq!(view["diff"]["against_month"], "2025-03");
        // Inputs through the API: rows keyed by the sheet's headers, the import's report back.
        let report: Value = api
            .post(app.url("/api/subsidies/import/events"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"rows": [
                {"身份证号": "320102195001010020", "事件": "迁出", "日期": "2025-01-05"},
                {"身份证号": b, "事件": "迁出", "日期": "2099-01-05"}
            ]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(report["rejected"].as_u64(), Some(2), "{report}");
        let codes: Vec<&str> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, vec!["unknown_person", "date_in_future"]);
        let policy: Value = app.get_json(&token, "/api/subsidies/policy").await;
        assert_eq!(policy["standards"].as_array().unwrap().len(), 4);
        assert_eq!(policy["dibao"][0]["amount_fen"].as_i64(), Some(100000));
        // A village worker reads the rolls of its village's county? No: outside its subtree.
        let (cun, _) = app.browser("cun", PW).await;
        assert_eq!(cun.get(app.url(&roll)).send().await.unwrap().status(), 404);
        // The file shows the grants and what was paid; the village worker sees the account masked.
        let subs: Value = app
            .get_json(&token, &format!("/api/persons/{a}/subsidies"))
            .await;
        assert_eq!(subs["grants"].as_array().unwrap().len(), 2);
        assert_eq!(subs["paid"].as_array().unwrap().len(), 2);
        // Bank accounts masked for every role, whole only through the audited reveal.
        let account = subs["grants"][0]["bank_account"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(account.contains('*'), "{account}");
        let whole: Value = app
            .get_json(&token, &format!("/api/persons/{a}/subsidies?reveal=1"))
            .await;
        let whole_account = whole["grants"][0]["bank_account"].as_str().unwrap();
        assert!(
            !whole_account.contains('*') && whole_account.len() >= 16,
            "{whole}"
        );
        app.add_user("shenji", Role::Auditor, "320000000000", Some(PW))
            .await;
        let reveals = app
            .store
            .audit()
            .list(
                &app.store.users().local_scope("shenji").await.unwrap(),
                &anju_store::AuditFilter {
                    action: Some("person.reveal".into()),
                    per_page: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(reveals.total, 1);
        assert!(
            !reveals.entries[0].object.contains(a),
            "no whole ID in the log"
        );
        let person = app
            .store
            .persons()
            .get(
                &app.store.users().local_scope("admin").await.unwrap(),
                &anju_domain::id_number::IdNumber::parse(a).unwrap(),
            )
            .await
            .unwrap();
        let file = cun
            .get(app.url(&format!("/persons/{}", person.id)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            file.contains("享受的补贴") && file.contains("发放记录（已审批名册）"),
            "{file}"
        );
        assert!(
            !file.contains("6222020200112233445") && file.contains("6222"),
            "masked account"
        );
        // A death recorded through the page: April's payment? Not approved yet; March stays paid.
        let page = upload(
            &app,
            &xw,
            &csrf,
            "events",
            &format!("身份证号,事件,日期\n{a},死亡,2025-02-10\n"),
        )
        .await;
        assert!(page.contains("导入完成"), "{page}");
        let rec = xw
            .get(app.url("/subsidies/recoveries"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // March's living subsidy was paid after the death; its care payment came back from the
        // bank, so there is nothing to recover of it.
        assert!(
            rec.contains("死亡后仍发放") && rec.contains("待追回合计 300.00 元"),
            "{rec}"
        );
        let res = xw
            .post(app.url("/subsidies/recoveries/1/close"))
            .form(&[("csrf", csrf.as_str()), ("note", "已退回，凭证号 2025-001")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let rec = xw
            .get(app.url("/subsidies/recoveries"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            rec.contains("已办结") && rec.contains("待追回合计 0.00 元"),
            "{rec}"
        );
    }
);

contract!(
    a_roll_page_says_what_is_held_and_why_a_draft_is_empty,
    |db: Db| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("xw", Role::County, "320102000000", Some(PW))
            .await;
        app.add_user("xw2", Role::County, "320102000000", Some(PW))
            .await;
        let token = app.token("xw", PW).await;
        let c = TestApp::client();
        let post =
            |path: &str, body: Value| c.post(app.url(path)).bearer_auth(&token).json(&body).send();
        // Nothing to pay yet: the draft says why.
        let res = post(
            "/api/subsidies/rolls",
            serde_json::json!({"month": "2025-03"}),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 200);
        let (b2, _) = app.browser("xw2", PW).await;
        let page = b2
            .get(app.url("/subsidies/rolls/2025-03/320102000000"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("本名册没有发放行"), "{page}");
        // A 低保 grant with no 低保 standard for its place: held, listed, not approvable.
        let a = "320102194901010013";
        app.add_person(&[
            (anju_domain::person::Field::IdNumber, a),
            (anju_domain::person::Field::Name, "张三"),
            (anju_domain::person::Field::Category, "肢体"),
            (anju_domain::person::Field::Grade, "一级"),
            (anju_domain::person::Field::HouseholdCode, "320102002001"),
            (anju_domain::person::Field::CertValidTo, "2030-01-01"),
        ])
        .await;
        for (table, rows) in [
            (
                "assistance",
                serde_json::json!([{"身份证号": a, "救助类型": "低保", "起始月份": "2024-01"}]),
            ),
            (
                "grants",
                serde_json::json!([{"身份证号": a, "补贴类型": "困难残疾人生活补贴", "城乡": "农村",
                "起始月份": "2025-01", "银行账号": "6222020200112233445", "开户银行": "工商银行"}]),
            ),
        ] {
            let r: Value = post(
                &format!("/api/subsidies/import/{table}"),
                serde_json::json!({"rows": rows}),
            )
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
            assert_eq!(r["rejected"].as_u64(), Some(0), "{r}");
        }
        let draft: Value = post(
            "/api/subsidies/rolls",
            serde_json::json!({"month": "2025-03"}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(draft["held"].as_array().map(Vec::len), Some(1), "{draft}");
        assert_eq!(draft["held"][0]["locality"], "rural");
        let page = b2
            .get(app.url("/subsidies/rolls/2025-03/320102000000"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("缺少低保标准、暂缓计发（1笔）"), "{page}");
        assert!(page.contains("320102002001") && page.contains("农村") && page.contains("2025-03"));
        assert!(
            page.contains("href=\"/subsidies/import/dibao\""),
            "who may import, with a link"
        );
        assert!(
            !page.contains("审批名册"),
            "no approval while a grant is held"
        );
        // The lines section and its export.
        assert!(page.contains("名册明细（每人每项补贴一行）"));
        let res = b2
            .get(app.url("/subsidies/rolls/2025-03/320102000000/lines.xlsx?shared=1"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("filename*=UTF-8''")
        );
    }
);
