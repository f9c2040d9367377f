//! The API's OpenAPI document (`/api/openapi.json`), and schemathesis fuzzing a running server
//! against it: no 500s, every status and body as documented.
//!
//! The fuzzing runs when `ANJU_TEST_SCHEMATHESIS` names the schemathesis command (`.ci/run`
//! installs it from PyPI into `.ci/venv`); asked for and unable to run, it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use anju_domain::person::Field;
use anju_store::Backend;
use common::{ADMIN_PW, Db, TestApp};
use serde_json::{Value, json};

/// Every route the API serves, as (method, path).
const ROUTES: [(&str, &str); 82] = [
    ("post", "/api/login"),
    ("post", "/api/logout"),
    ("get", "/api/me"),
    ("post", "/api/password"),
    ("get", "/api/worklist"),
    ("get", "/api/applications"),
    ("post", "/api/applications"),
    ("get", "/api/applications/{id}"),
    ("post", "/api/applications/{id}/steps"),
    ("get", "/api/verification"),
    ("post", "/api/verification"),
    ("get", "/api/verification/{id}"),
    ("post", "/api/verification/items/{item}"),
    ("get", "/api/sessions"),
    ("post", "/api/sessions"),
    ("get", "/api/sessions/{id}"),
    ("post", "/api/sessions/{id}/applicants"),
    ("post", "/api/sessions/{id}/outcomes"),
    ("get", "/api/regions/{code}"),
    ("get", "/api/regions/{code}/children"),
    ("get", "/api/users"),
    ("post", "/api/users"),
    ("get", "/api/audit"),
    ("get", "/api/persons"),
    ("post", "/api/persons"),
    ("get", "/api/persons/{id}"),
    ("put", "/api/persons/{id}"),
    ("get", "/api/persons/{id}/subsidies"),
    ("get", "/api/subsidies/rolls"),
    ("post", "/api/subsidies/rolls"),
    ("get", "/api/subsidies/rolls/{month}/{region}"),
    ("post", "/api/subsidies/rolls/{month}/{region}/approve"),
    ("get", "/api/subsidies/recoveries"),
    ("get", "/api/subsidies/policy"),
    ("post", "/api/subsidies/import/{table}"),
    ("get", "/api/programmes"),
    ("get", "/api/programmes/{id}/eligible"),
    ("get", "/api/cases"),
    ("post", "/api/cases"),
    ("get", "/api/cases/{id}"),
    ("post", "/api/cases/{id}/actions"),
    ("post", "/api/cases/{id}/assign"),
    ("get", "/api/cases/{id}/deliveries"),
    ("post", "/api/cases/{id}/deliveries"),
    ("post", "/api/persons/{id}/diagnoses"),
    ("get", "/api/providers"),
    ("post", "/api/providers"),
    ("get", "/api/settlements"),
    ("post", "/api/settlements"),
    ("get", "/api/settlements/{id}"),
    ("post", "/api/settlements/{id}/approve"),
    ("get", "/api/levy"),
    ("get", "/api/persons/{id}/employment"),
    ("post", "/api/persons/{id}/employment"),
    ("get", "/api/job-postings"),
    ("post", "/api/job-postings"),
    ("get", "/api/job-postings/{id}/matches"),
    ("get", "/api/persons/{id}/job-seeker"),
    ("post", "/api/persons/{id}/job-seeker"),
    ("get", "/api/persons/{id}/job-matches"),
    ("post", "/api/persons/{id}/placements"),
    ("post", "/api/job-placements/{id}/visits"),
    ("get", "/api/training-courses"),
    ("post", "/api/training-courses"),
    ("post", "/api/training-courses/{id}/attendance"),
    ("get", "/api/visits"),
    ("get", "/api/persons/{id}/visits"),
    ("post", "/api/persons/{id}/visits"),
    ("get", "/api/visit-followups"),
    ("post", "/api/visit-followups/{id}/close"),
    ("get", "/api/needs/gaps"),
    ("get", "/api/indicators"),
    ("get", "/api/indicators/{key}/people"),
    ("get", "/api/survey/{year}/progress"),
    ("get", "/api/persons/{id}/survey/{year}"),
    ("post", "/api/persons/{id}/survey/{year}"),
    ("post", "/api/verify"),
    ("get", "/api/crosscheck/batches"),
    ("get", "/api/crosscheck/batches/{id}"),
    ("get", "/api/crosscheck/tasks"),
    ("post", "/api/crosscheck/tasks/{id}/confirm"),
    ("post", "/api/crosscheck/tasks/{id}/reject"),
];

async fn sqlite_app() -> TestApp {
    TestApp::spawn(Db::new(Backend::Sqlite).await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_describes_every_route_with_its_answers() {
    let app = sqlite_app().await;
    let res = TestApp::client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = 0;
    for (method, path) in ROUTES {
        let op = &paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} is documented"))[method];
        assert!(op.is_object(), "{method} {path} is documented");
        assert!(
            op["responses"]["default"]["content"]["application/json"]["schema"]["$ref"]
                == "#/components/schemas/ApiError",
            "{method} {path} documents its errors"
        );
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        assert_eq!(
            secured,
            path != "/api/login",
            "{method} {path}: bearer token"
        );
        documented += 1;
    }
    let operations: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        operations, documented,
        "no route is documented twice or made up"
    );
    // The schemas the answers name are all there, and describe what is served.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "ApiError",
        "FieldFault",
        "PersonView",
        "Worklist",
        "Roll",
        "ImportReport",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
    let person = &schemas["PersonView"]["properties"];
    assert!(person["id_number"].is_object() && person.get("key").is_none());
    let body = &paths["/api/persons"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        ["$ref"];
    assert_eq!(body, "#/components/schemas/PersonFields");
    let fields = schemas["PersonFields"]["properties"].as_object().unwrap();
    assert_eq!(fields.len(), Field::ALL.len(), "every field of the file");
    assert_eq!(
        schemas["Worklist"]["type"], "object",
        "a store type keeps its shape"
    );
    // A query string the API cannot read gets its JSON error, not a bare text 400.
    let token = app.token("admin", ADMIN_PW).await;
    let res = TestApp::client()
        .get(app.url("/api/persons?page=x"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    assert_eq!(body["message"], "查询参数无效（page）");
    // Bodies the API cannot read are refused in Chinese, naming the field.
    for (content_type, body, says) in [
        ("application/json", "{}", "请求体缺少字段 username"),
        (
            "application/json",
            "{\"username\": 1, \"password\": \"x\"}",
            "字段类型或取值不符合要求",
        ),
        ("application/json", "{not json", "请求体不是有效的 JSON"),
        ("text/plain", "{}", "Content-Type: application/json"),
    ] {
        let res = TestApp::client()
            .post(app.url("/api/login"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let v: Value = res.json().await.unwrap();
        let message = v["message"].as_str().unwrap();
        assert!(message.contains(says), "{body}: {message}");
        assert!(
            !message.contains("missing") && !message.contains("expected"),
            "{message}"
        );
    }
}

/// Data for the fuzzer to find: the documented examples (a person, application 1, session 1,
/// campaign 1, the roll of 2026-01 in 320102000000) exist.
async fn seed(app: &TestApp, token: &str) {
    let c = TestApp::client();
    let post =
        |path: &str, body: Value| c.post(app.url(path)).bearer_auth(token).json(&body).send();
    let ok = |what: &str, res: reqwest::Response| {
        assert!(
            res.status().is_success(),
            "seeding {what}: {}",
            res.status()
        );
    };
    let person = json!({
        "id_number": "320102194901010013", "name": "张三", "category": "肢体", "grade": "一级",
        "household_code": "320102002001", "cert_number": "32010219490101001341",
        "cert_issued": "2016-03-01", "cert_valid_to": "2026-03-01",
    });
    ok("a person", post("/api/persons", person).await.unwrap());
    let app_body =
        json!({"id_number": "320102194901010013", "kind": "renewal", "date": "2026-01-15"});
    ok(
        "an application",
        post("/api/applications", app_body).await.unwrap(),
    );
    let session = json!({"held_on": "2026-03-01", "hospital": "鼓楼医院", "doctors": "王"});
    ok("a session", post("/api/sessions", session).await.unwrap());
    ok(
        "an applicant",
        post("/api/sessions/1/applicants", json!({"application_id": 1}))
            .await
            .unwrap(),
    );
    ok(
        "a campaign",
        post("/api/verification", json!({"year": 2026}))
            .await
            .unwrap(),
    );
    let rows = |rows: Value| json!({ "rows": rows });
    ok(
        "the 低保 standard",
        post(
            "/api/subsidies/import/dibao",
            rows(json!([{"区划代码": "320100000000", "城乡": "城镇", "月标准": "1000", "生效月份": "2024-01"}])),
        )
        .await
        .unwrap(),
    );
    ok(
        "assistance",
        post(
            "/api/subsidies/import/assistance",
            rows(json!([{"身份证号": "320102194901010013", "救助类型": "低保", "起始月份": "2024-01"}])),
        )
        .await
        .unwrap(),
    );
    ok(
        "grants",
        post(
            "/api/subsidies/import/grants",
            rows(json!([{"身份证号": "320102194901010013", "补贴类型": "困难残疾人生活补贴", "城乡": "城镇",
                "起始月份": "2025-01", "银行账号": "6222020200112233445", "开户银行": "工商银行", "长期照护需求": "否"}])),
        )
        .await
        .unwrap(),
    );
    let res = post(
        "/api/subsidies/rolls",
        json!({"month": "2026-01", "region": "320102000000"}),
    )
    .await
    .unwrap();
    let draft: Value = res.json().await.unwrap();
    assert_eq!(draft["lines"].as_array().map(Vec::len), Some(1), "{draft}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_error_and_no_answer_off_the_document() {
    let Ok(st) = std::env::var("ANJU_TEST_SCHEMATHESIS") else {
        eprintln!("schemathesis suite not requested (ANJU_TEST_SCHEMATHESIS unset)");
        return;
    };
    let app = sqlite_app().await;
    let token = app.token("admin", ADMIN_PW).await;
    seed(&app, &token).await;
    let url = app.url("/api/openapi.json");
    let auth = format!("Authorization: Bearer {token}");
    // The fuzzer runs on its own thread: the server answers on this runtime meanwhile.
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&st)
            .args(["run", &url, "-H", &auth])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                "--max-examples",
                "25",
                "--seed",
                "20261201",
                // Logging out or changing the password would end the fuzzer's own session.
                "--exclude-path",
                "/api/logout",
                "--exclude-path",
                "/api/password",
            ])
            .env("NO_COLOR", "1")
            .output()
            .unwrap_or_else(|e| panic!("ANJU_TEST_SCHEMATHESIS={st} cannot start: {e}"))
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found faults:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It did test the API: the summary counts the operations and the cases that passed.
    assert!(report.contains("Tested: 80"), "{report}");
    assert!(!report.contains("Unresolvable references"), "{report}");
    eprintln!("{report}");
}
