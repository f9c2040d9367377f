//! The access matrix: every route × every role × every region relation (own, child,
//! sibling, parent) is allowed or denied as the table below says. A new route is not done
//! until it has a row here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::{Region, RegionTable, Role};
use anju_store::SessionKind;
use common::{Db, TestApp, contract};
use reqwest::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    Own,
    Child,
    Sibling,
    Parent,
}

const RELS: [Rel; 4] = [Rel::Own, Rel::Child, Rel::Sibling, Rel::Parent];

fn inside(rel: Rel) -> bool {
    matches!(rel, Rel::Own | Rel::Child)
}

/// Who may use a route: given the role and, for routes about a region, the relation.
type Rule = fn(Role, Option<Rel>) -> bool;

struct Route {
    method: Method,
    /// `{code}`: the target region; `{user}`: an account bound at the target region.
    path: &'static str,
    api: bool,
    body: Option<&'static str>,
    rule: Rule,
    /// A 400 counts as allowed: the request passed the access checks and was refused for
    /// what it asked (approving a roll twice, exporting an unapproved one).
    refusal_ok: bool,
}

fn any_role(_: Role, _: Option<Rel>) -> bool {
    true
}
fn in_subtree(_: Role, r: Option<Rel>) -> bool {
    r.is_some_and(inside)
}
fn admin_only(role: Role, _: Option<Rel>) -> bool {
    role == Role::Admin
}
fn admin_in_subtree(role: Role, r: Option<Rel>) -> bool {
    role == Role::Admin && r.is_some_and(inside)
}
fn auditor_only(role: Role, _: Option<Rel>) -> bool {
    role == Role::Auditor
}
/// Import jobs are their starter's alone; the matrix accounts started none.
fn nobody(_: Role, _: Option<Rel>) -> bool {
    false
}
fn reader(role: Role, _: Option<Rel>) -> bool {
    role.reads_persons()
}
fn reader_inside(role: Role, r: Option<Rel>) -> bool {
    role.reads_persons() && r.is_some_and(inside)
}
fn writer(role: Role, _: Option<Rel>) -> bool {
    role.writes_persons()
}
fn writer_inside(role: Role, r: Option<Rel>) -> bool {
    role.writes_persons() && r.is_some_and(inside)
}
fn setter(role: Role, _: Option<Rel>) -> bool {
    role.sets_targets()
}
fn setter_inside(role: Role, r: Option<Rel>) -> bool {
    role.sets_targets() && r.is_some_and(inside)
}
fn importer(role: Role, _: Option<Rel>) -> bool {
    role.imports_persons()
}
fn revealer_inside(role: Role, r: Option<Rel>) -> bool {
    role.sees_identifiers() && r.is_some_and(inside)
}
fn session_runner(role: Role, _: Option<Rel>) -> bool {
    matches!(role, Role::Admin | Role::County)
}
fn policy_setter(role: Role, _: Option<Rel>) -> bool {
    role.sets_policy()
}
fn provider_registrar(role: Role, _: Option<Rel>) -> bool {
    matches!(role, Role::Admin | Role::City | Role::County)
}
fn job_runner_inside(role: Role, r: Option<Rel>) -> bool {
    role.runs_job_services() && r.is_some_and(inside)
}
fn roller_inside(role: Role, r: Option<Rel>) -> bool {
    role.runs_rolls() && r.is_some_and(inside)
}

const PERSON_FORM: &str = "name=%E5%BC%A0%E4%B8%89&category=4&grade=2&household_code={village}&life_status=%E5%9C%A8%E4%B8%96";

fn routes() -> Vec<Route> {
    let r = |method: Method, path, api, body, rule| Route {
        method,
        path,
        api,
        body,
        rule,
        refusal_ok: false,
    };
    let refusable = |method: Method, path, api, body, rule| Route {
        method,
        path,
        api,
        body,
        rule,
        refusal_ok: true,
    };
    vec![
        r(Method::GET, "/subsidies", false, None, reader),
        r(
            Method::GET,
            "/subsidies/import/grants",
            false,
            None,
            importer,
        ),
        r(
            Method::GET,
            "/subsidies/import/standards",
            false,
            None,
            policy_setter,
        ),
        r(
            Method::GET,
            "/subsidies/import/grants/template.xlsx",
            false,
            None,
            importer,
        ),
        r(
            Method::GET,
            "/subsidies/import/dibao/template.xlsx",
            false,
            None,
            policy_setter,
        ),
        r(
            Method::GET,
            "/subsidies/import/calendar",
            false,
            None,
            admin_only,
        ),
        r(Method::GET, "/subsidies/recoveries", false, None, reader),
        // The roll's lines, exported: read inside the region, like the roll itself.
        r(
            Method::GET,
            "/subsidies/rolls/2025-03/{code}/lines.xlsx",
            false,
            None,
            reader_inside,
        ),
        // Another user's (or no) preview: nobody may confirm it.
        r(
            Method::POST,
            "/imports/not-a-job/confirm",
            false,
            Some("overwrite=1"),
            nobody,
        ),
        r(
            Method::POST,
            "/subsidies/recoveries/999999/close",
            false,
            Some("note=x"),
            nobody,
        ),
        r(
            Method::GET,
            "/subsidies/rolls/2025-03/{code}",
            false,
            None,
            reader_inside,
        ),
        refusable(
            Method::POST,
            "/subsidies/rolls/2025-03/{code}/approve",
            false,
            Some(""),
            roller_inside,
        ),
        // Not a multipart upload: refused after the access checks.
        refusable(
            Method::POST,
            "/subsidies/rolls/2025-03/{code}/reconcile",
            false,
            Some(""),
            roller_inside,
        ),
        refusable(
            Method::GET,
            "/subsidies/rolls/2025-03/{code}/export",
            false,
            None,
            roller_inside,
        ),
        r(
            Method::POST,
            "/subsidies/rolls",
            false,
            Some("month=2025-04&region={code}"),
            roller_inside,
        ),
        r(Method::GET, "/api/subsidies/rolls", true, None, reader),
        r(
            Method::POST,
            "/api/subsidies/rolls",
            true,
            Some(r#"{"month":"2025-05","region":"{code}"}"#),
            roller_inside,
        ),
        r(
            Method::GET,
            "/api/subsidies/rolls/2025-03/{code}",
            true,
            None,
            reader_inside,
        ),
        refusable(
            Method::POST,
            "/api/subsidies/rolls/2025-03/{code}/approve",
            true,
            Some("{}"),
            roller_inside,
        ),
        r(Method::GET, "/api/subsidies/recoveries", true, None, reader),
        r(Method::GET, "/api/subsidies/policy", true, None, reader),
        r(Method::GET, "/api/worklist", true, None, any_role),
        r(Method::GET, "/api/applications", true, None, reader),
        r(
            Method::GET,
            "/certificates/applications",
            false,
            None,
            reader,
        ),
        r(Method::GET, "/certificates/calendar", false, None, any_role),
        r(
            Method::GET,
            "/certificates/verification",
            false,
            None,
            reader,
        ),
        r(Method::GET, "/api/verification", true, None, reader),
        r(
            Method::POST,
            "/certificates/calendar",
            false,
            Some("date=2027-01-01&kind=holiday&name=%E5%85%83%E6%97%A6"),
            admin_only,
        ),
        r(Method::GET, "/certificates/sessions", false, None, reader),
        r(Method::GET, "/api/sessions", true, None, reader),
        r(
            Method::POST,
            "/api/sessions",
            true,
            Some(r#"{"held_on":"2025-09-10","hospital":"南京市第一医院","doctors":"王医生"}"#),
            session_runner,
        ),
        r(
            Method::POST,
            "/certificates/sessions",
            false,
            Some("held_on=2025-09-10&hospital=x&doctors=y"),
            session_runner,
        ),
        r(
            Method::GET,
            "/certificates/sessions/999999",
            false,
            None,
            nobody,
        ),
        r(Method::GET, "/api/sessions/999999", true, None, nobody),
        r(
            Method::POST,
            "/certificates/sessions/999999/applicants",
            false,
            Some("application=1"),
            nobody,
        ),
        r(
            Method::POST,
            "/certificates/sessions/999999/outcomes",
            false,
            Some("category_1=%E8%82%A2%E4%BD%93&grade_1=%E4%B8%80%E7%BA%A7"),
            nobody,
        ),
        r(
            Method::POST,
            "/api/sessions/999999/applicants",
            true,
            Some(r#"{"application_id":1}"#),
            nobody,
        ),
        r(
            Method::POST,
            "/api/sessions/999999/outcomes",
            true,
            Some(r#"{"outcomes":[]}"#),
            nobody,
        ),
        // Opened once by the first administrator; then refused as already open.
        refusable(
            Method::POST,
            "/api/verification",
            true,
            Some(r#"{"year":2031}"#),
            admin_only,
        ),
        r(
            Method::GET,
            "/certificates/verification/999999",
            false,
            None,
            nobody,
        ),
        r(
            Method::POST,
            "/certificates/verification/items/999999",
            false,
            Some("campaign=1&result=confirmed"),
            nobody,
        ),
        r(
            Method::POST,
            "/api/verification/items/999999",
            true,
            Some(r#"{"result":"confirmed"}"#),
            nobody,
        ),
        r(
            Method::GET,
            "/certificates/applications/999999",
            false,
            None,
            nobody,
        ),
        refusable(
            Method::POST,
            "/certificates/applications",
            false,
            Some("id_number={person}&kind=renewal&date=2025-09-01"),
            writer_inside,
        ),
        // The first allowed account takes the application; the others are told it is open.
        refusable(
            Method::POST,
            "/api/applications",
            true,
            Some(r#"{"id_number":"{person}","kind":"new","date":"2025-09-01","note":"矩阵"}"#),
            writer_inside,
        ),
        r(Method::GET, "/api/applications/999999", true, None, nobody),
        r(
            Method::POST,
            "/api/applications/999999/steps",
            true,
            Some(r#"{"action":"notice","date":"2025-09-01"}"#),
            nobody,
        ),
        r(
            Method::POST,
            "/api/subsidies/import/grants",
            true,
            Some(
                r#"{"rows":[{"身份证号":"{person}","补贴类型":"护理补贴","城乡":"城镇","起始月份":"2025-01","银行账号":"6222020200112233445","开户银行":"工商银行","长期照护需求":"是"}]}"#,
            ),
            importer,
        ),
        r(
            Method::POST,
            "/api/subsidies/import/standards",
            true,
            Some(
                r#"{"rows":[{"区划代码":"320100000000","补贴类型":"护理补贴","救助类型":"任意","残疾等级":"一级","残疾类别":"任意","城乡":"城镇","计算方式":"定额","数值":"140","生效月份":"2023-04"}]}"#,
            ),
            policy_setter,
        ),
        r(
            Method::GET,
            "/api/persons/{person}/subsidies",
            true,
            None,
            reader_inside,
        ),
        // Services: programmes are read by staff, changed by those who set policy; cases
        // are opened from a file inside the subtree.
        r(Method::GET, "/programmes", false, None, reader),
        r(Method::GET, "/programmes/1", false, None, reader),
        r(
            Method::GET,
            "/programmes/1?date=2025-09-01",
            false,
            None,
            reader,
        ),
        r(
            Method::GET,
            "/programmes/1/eligible.xlsx?date=2025-09-01",
            false,
            None,
            reader,
        ),
        r(
            Method::GET,
            "/programmes/template.xlsx",
            false,
            None,
            policy_setter,
        ),
        refusable(
            Method::POST,
            "/programmes/import",
            false,
            Some(""),
            policy_setter,
        ),
        r(Method::GET, "/providers", false, None, reader),
        r(Method::GET, "/api/providers", true, None, reader),
        refusable(
            Method::POST,
            "/api/providers",
            true,
            Some(
                r#"{"credit_code":"91350100M000100Y43","name":"x","kind":"other","regions":["{code}"],"agreement_from":"2025-01-01","agreement_to":"2025-12-31"}"#,
            ),
            provider_registrar,
        ),
        refusable(
            Method::POST,
            "/providers",
            false,
            Some(
                "credit_code=91350100M000100Y43&name=x&kind=other&regions={code}&agreement_from=2025-01-01&agreement_to=2025-12-31",
            ),
            provider_registrar,
        ),
        r(Method::GET, "/settlements", false, None, provider_registrar),
        r(
            Method::GET,
            "/api/settlements",
            true,
            None,
            provider_registrar,
        ),
        refusable(
            Method::POST,
            "/api/settlements",
            true,
            Some(r#"{"provider_id":999999,"month":"2025-09"}"#),
            nobody,
        ),
        r(Method::GET, "/api/settlements/999999", true, None, nobody),
        r(
            Method::POST,
            "/api/settlements/999999/approve",
            true,
            Some(""),
            nobody,
        ),
        refusable(
            Method::POST,
            "/settlements",
            false,
            Some("provider=999999&month=2025-09"),
            nobody,
        ),
        r(Method::GET, "/settlements/999999", false, None, nobody),
        r(
            Method::POST,
            "/settlements/999999/approve",
            false,
            Some(""),
            nobody,
        ),
        r(
            Method::GET,
            "/settlements/999999/payment.xlsx",
            false,
            None,
            nobody,
        ),
        // Devices, care supervision, 残疾人之家 and the programmes' yearly reports.
        r(Method::GET, "/devices", false, None, reader),
        r(
            Method::GET,
            "/devices/template.xlsx",
            false,
            None,
            provider_registrar,
        ),
        refusable(
            Method::POST,
            "/devices/import",
            false,
            Some(""),
            provider_registrar,
        ),
        r(Method::GET, "/care", false, None, reader),
        r(Method::GET, "/care?month=2025-09", false, None, reader),
        r(
            Method::GET,
            "/care/export.xlsx?month=2025-09",
            false,
            None,
            reader,
        ),
        r(Method::GET, "/homes", false, None, reader),
        refusable(
            Method::POST,
            "/homes/schemes",
            false,
            Some("name=x&from_year=2026&rows="),
            provider_registrar,
        ),
        r(Method::GET, "/homes/999999", false, None, nobody),
        r(
            Method::POST,
            "/homes/999999/evaluations",
            false,
            Some("year=2025&date=2025-12-01&s0=1"),
            nobody,
        ),
        r(Method::GET, "/programmes/1/report", false, None, reader),
        r(
            Method::GET,
            "/programmes/1/report.xlsx?year=2025",
            false,
            None,
            reader,
        ),
        r(
            Method::POST,
            "/cases/999999/device",
            false,
            Some("item=1&date=2025-09-01"),
            nobody,
        ),
        r(
            Method::POST,
            "/cases/999999/amount",
            false,
            Some("amount=100"),
            nobody,
        ),
        r(
            Method::POST,
            "/cases/999999/rental",
            false,
            Some("date=2025-09-01&due=2025-10-01&deposit=100"),
            nobody,
        ),
        r(
            Method::POST,
            "/cases/999999/return",
            false,
            Some("date=2025-09-01&refunded=100"),
            nobody,
        ),
        r(
            Method::POST,
            "/cases/999999/care-plan",
            false,
            Some("visits=4&minutes=60"),
            nobody,
        ),
        r(
            Method::POST,
            "/cases/999999/return-checks",
            false,
            Some("date=2025-09-01&satisfaction=5"),
            nobody,
        ),
        // Employment on the file and the year's new employment.
        r(Method::GET, "/employment", false, None, reader),
        r(Method::GET, "/employment?year=2025", false, None, reader),
        r(
            Method::GET,
            "/employment/export.xlsx?year=2025",
            false,
            None,
            reader,
        ),
        r(
            Method::POST,
            "/persons/{row}/employment",
            false,
            Some("form=%E7%81%B5%E6%B4%BB&since=2025-01-01"),
            writer_inside,
        ),
        r(
            Method::GET,
            "/api/persons/{person}/employment",
            true,
            None,
            reader_inside,
        ),
        r(
            Method::POST,
            "/api/persons/{person}/employment",
            true,
            Some(r#"{"form":"灵活","since":"2025-01-01"}"#),
            writer_inside,
        ),
        // Employment services: postings (seen in the subtree and from below), seekers,
        // placements and visits, training.
        r(Method::GET, "/jobs", false, None, reader),
        r(Method::GET, "/jobs?all=1", false, None, reader),
        r(
            Method::POST,
            "/jobs/postings",
            false,
            Some(
                "employer_name=X&post=Y&openings=1&wage=3000&region_code={code}&hours=any&accessible=0",
            ),
            job_runner_inside,
        ),
        r(Method::GET, "/jobs/postings/999999", false, None, nobody),
        r(
            Method::POST,
            "/jobs/postings/999999/close",
            false,
            Some(""),
            nobody,
        ),
        r(Method::GET, "/jobs/seekers", false, None, reader),
        r(
            Method::GET,
            "/jobs/seekers?status=seeking",
            false,
            None,
            reader,
        ),
        r(
            Method::GET,
            "/jobs/seekers/export.xlsx",
            false,
            None,
            reader,
        ),
        r(
            Method::GET,
            "/jobs/seekers/{row}",
            false,
            None,
            reader_inside,
        ),
        r(Method::GET, "/jobs/visits", false, None, reader),
        r(
            Method::POST,
            "/jobs/placements/999999/visits",
            false,
            Some("no=1&date=2025-09-01"),
            nobody,
        ),
        r(
            Method::POST,
            "/jobs/placements/999999/fail",
            false,
            Some("date=2025-09-01&reason=x&means=y"),
            nobody,
        ),
        r(
            Method::POST,
            "/persons/{row}/job-seeker",
            false,
            Some("wanted=x&region_code={code}&hours=any"),
            writer_inside,
        ),
        r(
            Method::POST,
            "/persons/{row}/job-steps",
            false,
            Some("kind=post&date=2025-09-01"),
            writer_inside,
        ),
        r(
            Method::POST,
            "/persons/{row}/placements",
            false,
            Some("employer_name=X&post=Y&form=flexible&date=2025-09-01"),
            job_runner_inside,
        ),
        refusable(
            Method::POST,
            "/persons/{row}/job-seeker/withdraw",
            false,
            Some(""),
            writer_inside,
        ),
        r(Method::GET, "/training", false, None, reader),
        r(Method::GET, "/training?year=2025", false, None, reader),
        r(
            Method::GET,
            "/training/export.xlsx?year=2025",
            false,
            None,
            reader,
        ),
        r(
            Method::POST,
            "/training",
            false,
            Some(
                "name=X&kind=startup&provider=Y&region_code={code}&starts_on=2025-03-01&ends_on=2025-03-02&hours=8",
            ),
            job_runner_inside,
        ),
        r(Method::GET, "/training/999999", false, None, nobody),
        r(
            Method::POST,
            "/training/999999/attendance",
            false,
            Some("id_number=x&hours=1&completed=0"),
            nobody,
        ),
        r(Method::GET, "/api/job-postings", true, None, reader),
        r(
            Method::POST,
            "/api/job-postings",
            true,
            Some(
                r#"{"employer_name":"X","post":"Y","openings":"1","wage":"3000","region_code":"{code}"}"#,
            ),
            job_runner_inside,
        ),
        r(
            Method::GET,
            "/api/job-postings/999999/matches",
            true,
            None,
            nobody,
        ),
        r(
            Method::GET,
            "/api/persons/{person}/job-seeker",
            true,
            None,
            reader_inside,
        ),
        r(
            Method::POST,
            "/api/persons/{person}/job-seeker",
            true,
            Some(r#"{"wanted":"客服","region_code":"{code}"}"#),
            writer_inside,
        ),
        r(
            Method::GET,
            "/api/persons/{person}/job-matches",
            true,
            None,
            reader_inside,
        ),
        r(
            Method::POST,
            "/api/persons/{person}/placements",
            true,
            Some(r#"{"employer_name":"X","post":"Y","form":"灵活","date":"2025-09-01"}"#),
            job_runner_inside,
        ),
        r(
            Method::POST,
            "/api/job-placements/999999/visits",
            true,
            Some(r#"{"no":1,"date":"2025-09-01"}"#),
            nobody,
        ),
        r(Method::GET, "/api/training-courses", true, None, reader),
        r(
            Method::GET,
            "/api/training-courses?year=2025",
            true,
            None,
            reader,
        ),
        r(
            Method::POST,
            "/api/training-courses",
            true,
            Some(
                r#"{"name":"X","kind":"创业培训","provider":"Y","region_code":"{code}","starts_on":"2025-03-01","ends_on":"2025-03-02","hours":"8"}"#,
            ),
            job_runner_inside,
        ),
        r(
            Method::POST,
            "/api/training-courses/999999/attendance",
            true,
            Some(r#"{"id_number":"x","hours":"1","completed":"是"}"#),
            nobody,
        ),
        // Home visits: the list of the subtree, a person's visits recorded by those who
        // write files, follow-ups closed by the town and above.
        r(Method::GET, "/visits", false, None, reader),
        r(Method::GET, "/visits?overdue=1&page=2", false, None, reader),
        r(Method::GET, "/visits/export.xlsx", false, None, reader),
        r(Method::GET, "/visits/followups", false, None, reader),
        r(Method::GET, "/visits/followups?all=1", false, None, reader),
        r(
            Method::POST,
            "/visits/followups/999999/close",
            false,
            Some("outcome=x"),
            nobody,
        ),
        r(
            Method::GET,
            "/persons/{row}/visits/new",
            false,
            None,
            writer_inside,
        ),
        r(
            Method::POST,
            "/persons/{row}/visits",
            false,
            Some(
                "visited_on=2025-09-01&met=self&living=family&health=good&income=wage&needs=rehab",
            ),
            writer_inside,
        ),
        r(Method::GET, "/api/visits", true, None, reader),
        r(Method::GET, "/api/visits?overdue=true", true, None, reader),
        r(
            Method::GET,
            "/api/persons/{person}/visits",
            true,
            None,
            reader_inside,
        ),
        r(
            Method::POST,
            "/api/persons/{person}/visits",
            true,
            Some(
                r#"{"visited_on":"2025-09-01","met":"本人","living":"独居","health":"一般","income":"低保或特困供养","needs":["康复服务"]}"#,
            ),
            writer_inside,
        ),
        r(Method::GET, "/needs/gaps", false, None, reader),
        r(
            Method::GET,
            "/needs/gaps?region={code}&need=康复服务",
            false,
            None,
            reader_inside,
        ),
        r(Method::GET, "/needs/gaps/export.xlsx", false, None, reader),
        r(Method::GET, "/api/needs/gaps", true, None, reader),
        r(
            Method::GET,
            "/api/needs/gaps?region={code}",
            true,
            None,
            reader_inside,
        ),
        // Plan indicators: read by every reader in the subtree (the leader among them),
        // targets set by the county and above in their own subtree.
        r(Method::GET, "/indicators", false, None, reader),
        r(
            Method::GET,
            "/indicators?region={code}",
            false,
            None,
            reader_inside,
        ),
        r(
            Method::GET,
            "/indicators?region={code}&year=2025",
            false,
            None,
            reader_inside,
        ),
        r(
            Method::GET,
            "/indicators/export.xlsx?region={code}",
            false,
            None,
            reader_inside,
        ),
        r(
            Method::GET,
            "/indicators/holders?region={code}",
            false,
            None,
            reader_inside,
        ),
        r(
            Method::GET,
            "/indicators/holders/people?region={code}",
            false,
            None,
            reader_inside,
        ),
        r(
            Method::GET,
            "/indicators/holders/people/export.xlsx?region={code}",
            false,
            None,
            reader_inside,
        ),
        r(
            Method::GET,
            "/targets?region={code}",
            false,
            None,
            reader_inside,
        ),
        r(
            Method::POST,
            "/targets",
            false,
            Some("year=2026&region={code}&t%3A{code}%3Aholders=5"),
            setter_inside,
        ),
        refusable(Method::POST, "/targets/import", false, Some(""), setter),
        r(
            Method::POST,
            "/indicators/snapshot",
            false,
            Some("year=2025"),
            admin_only,
        ),
        r(Method::GET, "/api/indicators", true, None, reader),
        r(
            Method::GET,
            "/api/indicators?region={code}&year=2025",
            true,
            None,
            reader_inside,
        ),
        r(
            Method::GET,
            "/api/indicators/holders/people?region={code}",
            true,
            None,
            reader_inside,
        ),
        r(
            Method::GET,
            "/reports?region={code}&year=2026",
            false,
            None,
            reader_inside,
        ),
        r(
            Method::GET,
            "/reports/export.xlsx?region={code}&year=2026&month=1",
            false,
            None,
            reader_inside,
        ),
        // The annual survey: progress in the subtree, forms of its holders, years opened by
        // the administrator, villages checked by the town and above.
        r(Method::GET, "/survey", false, None, reader),
        r(Method::GET, "/survey?year=2025", false, None, reader),
        r(
            Method::GET,
            "/survey?year=2025&region={code}",
            false,
            None,
            reader_inside,
        ),
        r(
            Method::POST,
            "/survey",
            false,
            Some("year=2025&region={code}"),
            admin_in_subtree,
        ),
        r(Method::GET, "/survey/template.xlsx", false, None, any_role),
        refusable(Method::POST, "/survey/import", false, Some(""), importer),
        r(Method::GET, "/survey/2025/export.xlsx", false, None, reader),
        r(
            Method::POST,
            "/survey/2025/villages/999999999999/check",
            false,
            Some("decision=accept"),
            nobody,
        ),
        refusable(
            Method::GET,
            "/survey/2025/persons/{row}",
            false,
            None,
            reader_inside,
        ),
        refusable(
            Method::POST,
            "/survey/2025/persons/{row}",
            false,
            Some("version=0&q_housing=租住"),
            writer_inside,
        ),
        r(Method::GET, "/api/survey/2025/progress", true, None, reader),
        refusable(
            Method::GET,
            "/api/persons/{person}/survey/2025",
            true,
            None,
            reader_inside,
        ),
        refusable(
            Method::POST,
            "/api/persons/{person}/survey/2025",
            true,
            Some(r#"{"answers":{"住房类型":"租住"},"version":0}"#),
            writer_inside,
        ),
        r(Method::GET, "/api/visit-followups", true, None, reader),
        r(
            Method::GET,
            "/api/visit-followups?all=true",
            true,
            None,
            reader,
        ),
        r(
            Method::POST,
            "/api/visit-followups/999999/close",
            true,
            Some(r#"{"outcome":"x"}"#),
            nobody,
        ),
        // Cross-checks: batches seen in the subtree and from below; lists run and tasks
        // resolved by the staff who import.
        r(Method::GET, "/crosscheck", false, None, reader),
        refusable(Method::POST, "/crosscheck", false, Some(""), importer),
        r(Method::GET, "/crosscheck/tasks", false, None, reader),
        r(
            Method::GET,
            "/crosscheck/tasks?status=all",
            false,
            None,
            reader,
        ),
        r(Method::GET, "/crosscheck/999999", false, None, nobody),
        r(
            Method::GET,
            "/crosscheck/999999/export.xlsx",
            false,
            None,
            nobody,
        ),
        r(
            Method::POST,
            "/crosscheck/tasks/999999/confirm",
            false,
            Some(""),
            nobody,
        ),
        r(
            Method::POST,
            "/crosscheck/tasks/999999/reject",
            false,
            Some("reason=x"),
            nobody,
        ),
        r(Method::GET, "/api/crosscheck/batches", true, None, reader),
        r(
            Method::GET,
            "/api/crosscheck/batches/999999",
            true,
            None,
            nobody,
        ),
        r(Method::GET, "/api/crosscheck/tasks", true, None, reader),
        r(
            Method::GET,
            "/api/crosscheck/tasks?status=open",
            true,
            None,
            reader,
        ),
        r(
            Method::POST,
            "/api/crosscheck/tasks/999999/confirm",
            true,
            None,
            nobody,
        ),
        r(
            Method::POST,
            "/api/crosscheck/tasks/999999/reject",
            true,
            Some(r#"{"reason":"x"}"#),
            nobody,
        ),
        // The verification service: keys are the administrator's; users never call it.
        r(Method::GET, "/verify-keys", false, None, admin_only),
        refusable(
            Method::POST,
            "/verify-keys",
            false,
            Some("department=X&purpose=certificate&region=320000000000&quota=10"),
            admin_only,
        ),
        r(
            Method::POST,
            "/verify-keys/999999/revoke",
            false,
            Some(""),
            nobody,
        ),
        r(
            Method::POST,
            "/api/verify",
            true,
            Some(r#"{"id_numbers":["{person}"]}"#),
            nobody,
        ),
        // The employment security levy: counties, cities and the administrator.
        r(Method::GET, "/levy", false, None, provider_registrar),
        r(
            Method::GET,
            "/levy?year=2025",
            false,
            None,
            provider_registrar,
        ),
        r(
            Method::GET,
            "/levy/export.xlsx?year=2025",
            false,
            None,
            provider_registrar,
        ),
        r(
            Method::GET,
            "/levy/rewards.xlsx?year=2025",
            false,
            None,
            provider_registrar,
        ),
        r(
            Method::GET,
            "/levy/employers/91350100M000100Y43?year=2025",
            false,
            None,
            nobody,
        ),
        refusable(
            Method::POST,
            "/levy/import/params",
            false,
            Some(""),
            provider_registrar,
        ),
        r(
            Method::GET,
            "/api/levy?year=2025",
            true,
            None,
            provider_registrar,
        ),
        r(Method::GET, "/cases", false, None, reader),
        r(Method::GET, "/cases/export.xlsx", false, None, reader),
        r(Method::GET, "/cases/999999", false, None, nobody),
        r(
            Method::GET,
            "/api/cases/999999/deliveries",
            true,
            None,
            nobody,
        ),
        r(
            Method::POST,
            "/api/cases/999999/deliveries",
            true,
            Some(r#"{"kind":"session","date":"2025-09-01"}"#),
            nobody,
        ),
        r(
            Method::POST,
            "/cases/999999/deliveries",
            false,
            Some("kind=session&date=2025-09-01"),
            nobody,
        ),
        r(
            Method::POST,
            "/cases/999999/assign",
            false,
            Some("provider=1&date=2025-09-01"),
            nobody,
        ),
        r(
            Method::POST,
            "/api/cases/999999/assign",
            true,
            Some(r#"{"provider_id":1,"date":"2025-09-01"}"#),
            nobody,
        ),
        r(
            Method::POST,
            "/cases/999999",
            false,
            Some("action=step&date=2025-09-01"),
            nobody,
        ),
        // The matrix's files hold no certificate: 成人社区康复 is refused with its conditions
        // explained (400) to those who may open it, and denied to the others.
        refusable(
            Method::POST,
            "/persons/{row}/cases",
            false,
            Some(
                "programme=%E6%88%90%E4%BA%BA%E7%A4%BE%E5%8C%BA%E5%BA%B7%E5%A4%8D&date=2025-09-01",
            ),
            writer_inside,
        ),
        r(
            Method::POST,
            "/persons/{row}/diagnoses",
            false,
            Some("name=%E5%AD%A4%E7%8B%AC%E7%97%87&hospital=%E5%8C%BB%E9%99%A2&date=2025-01-01"),
            writer_inside,
        ),
        r(Method::GET, "/api/programmes", true, None, reader),
        r(
            Method::GET,
            "/api/programmes/1/eligible?date=2025-09-01",
            true,
            None,
            reader,
        ),
        r(Method::GET, "/api/cases", true, None, reader),
        r(Method::GET, "/api/cases/999999", true, None, nobody),
        r(
            Method::POST,
            "/api/cases/999999/actions",
            true,
            Some(r#"{"action":"step","date":"2025-09-01"}"#),
            nobody,
        ),
        refusable(
            Method::POST,
            "/api/cases",
            true,
            Some(r#"{"id_number":"{person}","programme":"成人社区康复","date":"2025-09-01"}"#),
            writer_inside,
        ),
        r(
            Method::POST,
            "/api/persons/{person}/diagnoses",
            true,
            Some(r#"{"name":"孤独症","hospital":"医院","date":"2025-01-01"}"#),
            writer_inside,
        ),
        r(Method::GET, "/", false, None, any_role),
        r(Method::GET, "/password", false, None, any_role),
        r(Method::GET, "/regions", false, None, any_role),
        r(Method::GET, "/regions/{code}", false, None, in_subtree),
        r(Method::GET, "/users", false, None, admin_only),
        r(Method::GET, "/users/new", false, None, admin_only),
        r(
            Method::POST,
            "/users/{user}/disable",
            false,
            Some(""),
            admin_in_subtree,
        ),
        r(
            Method::POST,
            "/users/{user}/enable",
            false,
            Some(""),
            admin_in_subtree,
        ),
        r(
            Method::POST,
            "/users/{user}/reset-password",
            false,
            Some(""),
            admin_in_subtree,
        ),
        // A provider's account only, and no provider 999999: refused or not found.
        refusable(
            Method::POST,
            "/users/{user}/provider",
            false,
            Some("provider=999999"),
            admin_in_subtree,
        ),
        r(
            Method::POST,
            "/users/{user}/unlock",
            false,
            Some(""),
            admin_in_subtree,
        ),
        r(Method::GET, "/audit", false, None, auditor_only),
        r(Method::GET, "/api/me", true, None, any_role),
        r(Method::GET, "/api/regions/{code}", true, None, in_subtree),
        r(
            Method::GET,
            "/api/regions/{code}/children",
            true,
            None,
            in_subtree,
        ),
        r(Method::GET, "/api/users", true, None, admin_only),
        r(
            Method::POST,
            "/api/users",
            true,
            Some(
                r#"{"username":"{new}","role":"leader","region":"{code}","password":"Matrix-Pass-2026"}"#,
            ),
            admin_in_subtree,
        ),
        r(Method::GET, "/api/audit", true, None, auditor_only),
        r(Method::GET, "/persons", false, None, reader),
        r(Method::GET, "/persons/new", false, None, writer),
        r(Method::GET, "/persons/import", false, None, importer),
        r(
            Method::GET,
            "/persons/import/template.xlsx",
            false,
            None,
            importer,
        ),
        r(Method::GET, "/persons/export", false, None, reader),
        r(
            Method::GET,
            "/imports/not-a-job-of-yours",
            false,
            None,
            nobody,
        ),
        r(
            Method::GET,
            "/imports/not-a-job-of-yours/status",
            false,
            None,
            nobody,
        ),
        r(
            Method::GET,
            "/imports/not-a-job-of-yours/errors",
            false,
            None,
            nobody,
        ),
        r(Method::GET, "/persons/{row}", false, None, reader_inside),
        r(
            Method::GET,
            "/persons/{row}/edit",
            false,
            None,
            writer_inside,
        ),
        r(
            Method::POST,
            "/persons/{row}/reveal",
            false,
            Some(""),
            revealer_inside,
        ),
        r(
            Method::POST,
            "/persons/{row}",
            false,
            Some(PERSON_FORM),
            writer_inside,
        ),
        r(
            Method::POST,
            "/persons",
            false,
            Some(
                "id_number={newid}&name=%E6%9D%8E%E5%9B%9B&category=1&grade=3&household_code={village}&life_status=%E5%9C%A8%E4%B8%96",
            ),
            writer_inside,
        ),
        r(Method::GET, "/api/persons", true, None, reader),
        r(
            Method::GET,
            "/api/persons/{person}",
            true,
            None,
            reader_inside,
        ),
        r(
            Method::POST,
            "/api/persons",
            true,
            Some(
                r#"{"id_number":"{newid}","name":"李四","category":"视力","grade":"三级","household_code":"{village}"}"#,
            ),
            writer_inside,
        ),
        r(
            Method::PUT,
            "/api/persons/{person}",
            true,
            Some(
                r#"{"name":"张三","category":"肢体","grade":"二级","household_code":"{village}"}"#,
            ),
            writer_inside,
        ),
    ]
}

/// Where each role's account sits: staff at their own tier, the others at a county.
fn home(role: Role) -> &'static str {
    match role {
        Role::City => "320100000000",
        Role::Town => "320102002000",
        Role::Village => "320102002001",
        _ => "320102000000",
    }
}

fn target(t: &RegionTable, home: &Region, rel: Rel) -> Option<String> {
    let parent = home.parent.as_ref().and_then(|p| t.get(p));
    match rel {
        Rel::Own => Some(home.code.to_string()),
        Rel::Child => t.children(&home.code).next().map(|c| c.code.to_string()),
        Rel::Sibling => parent
            .and_then(|p| t.children(&p.code).find(|c| c.code != home.code))
            .map(|c| c.code.to_string()),
        Rel::Parent => parent.map(|p| p.code.to_string()),
    }
}

fn target_user(code: &str) -> String {
    format!("t{code}")
}

/// The last village in a region's subtree (the region itself when it is one). The last, so
/// that a parent region's village lies outside the first child, where the accounts sit.
fn village_in(t: &RegionTable, code: &str) -> String {
    let mut r = t.current(code).unwrap();
    while let Some(c) = t.children(&r.code).last() {
        r = c;
    }
    r.code.to_string()
}

/// A valid ID number, different for every `n`.
fn id_for(n: u32) -> String {
    let birth =
        chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + chrono::Days::new(u64::from(n));
    anju_domain::id_number::IdNumber::compose("320102", birth, 7)
        .unwrap()
        .to_string()
}

contract!(every_route_role_and_relation, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    let table = RegionTable::jiangsu();
    let client = TestApp::client();
    // One account per role, and a target account at every region a relation points to.
    let mut targets = std::collections::BTreeSet::new();
    for role in Role::ALL {
        let h = table.current(home(role)).unwrap();
        for rel in RELS {
            if let Some(code) = target(table, h, rel) {
                targets.insert(code);
            }
        }
    }
    let admin_scope = app.store.users().local_scope("admin").await.unwrap();
    let mut person_of = std::collections::HashMap::new();
    for (i, code) in targets.iter().enumerate() {
        app.add_user(
            &target_user(code),
            Role::Leader,
            code,
            Some("Target-Pass-2026"),
        )
        .await;
        use anju_domain::person::Field;
        let id = id_for(10_000 + i as u32);
        let mut input = anju_domain::person::PersonInput::default();
        input.set(Field::IdNumber, id.as_str());
        input.set(Field::Name, "张三");
        input.set(Field::Category, "4");
        input.set(Field::Grade, "2");
        input.set(Field::HouseholdCode, village_in(table, code));
        let p = anju_domain::person::validate(&input, table).unwrap();
        app.store
            .persons()
            .create(&admin_scope, p, anju_store::Source::Web)
            .await
            .unwrap();
        let row = app
            .store
            .persons()
            .get(
                &admin_scope,
                &anju_domain::id_number::IdNumber::parse(&id).unwrap(),
            )
            .await
            .unwrap()
            .id;
        // Registered as a job seeker, for the matching routes to find.
        app.store
            .jobs()
            .register(
                &admin_scope,
                row,
                &anju_domain::jobs::SeekerInput {
                    wanted: "客服".into(),
                    region_code: code.clone(),
                    hours: "any".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        person_of.insert(code.clone(), (id, row));
        // A draft roll of every target region, made by the administrator, for the roll
        // routes to find (and the others to approve: never its maker).
        app.store
            .subsidies()
            .generate_roll(
                &admin_scope,
                anju_domain::month::Month::parse("2025-03").unwrap(),
                Some(code),
            )
            .await
            .unwrap();
    }
    let mut checked = 0;
    let mut counter = 0;
    for role in Role::ALL {
        let name = format!("m.{}", role.as_str());
        app.add_user(&name, role, home(role), Some("Matrix-Role-Pass-1"))
            .await;
        let (web, csrf) = app
            .session(&name, "Matrix-Role-Pass-1", SessionKind::Web)
            .await;
        let (api, _) = app
            .session(&name, "Matrix-Role-Pass-1", SessionKind::Api)
            .await;
        let h = table.current(home(role)).unwrap();
        for route in routes() {
            let regional = ["{code}", "{user}", "{person}", "{row}", "{village}"]
                .iter()
                .any(|p| route.path.contains(p) || route.body.is_some_and(|b| b.contains(p)));
            let rels: Vec<Option<Rel>> = if regional {
                RELS.iter().map(|r| Some(*r)).collect()
            } else {
                vec![None]
            };
            for rel in rels {
                let code = match rel {
                    Some(r) => match target(table, h, r) {
                        Some(c) => c,
                        None => continue, // a village has no child, the province no parent
                    },
                    None => h.code.to_string(),
                };
                counter += 1;
                let fill = |t: &str| {
                    t.replace("{code}", &code)
                        .replace("{user}", &target_user(&code))
                        .replace(
                            "{person}",
                            person_of
                                .get(&code)
                                .map_or("", |p: &(String, i64)| p.0.as_str()),
                        )
                        .replace(
                            "{row}",
                            &person_of.get(&code).map_or(0, |p| p.1).to_string(),
                        )
                        .replace("{village}", &village_in(table, &code))
                        .replace("{newid}", &id_for(counter))
                        .replace("{new}", &format!("n{counter}"))
                };
                let path = fill(route.path);
                let mut req = client.request(route.method.clone(), app.url(&path));
                req = if route.api {
                    req.bearer_auth(&api)
                } else {
                    req.header("cookie", format!("anju_session={web}"))
                };
                if let Some(body) = route.body {
                    let b = fill(body);
                    if route.api {
                        req = req.header("content-type", "application/json").body(b);
                    } else {
                        let sep = if b.is_empty() { "" } else { "&" };
                        req = req
                            .header("content-type", "application/x-www-form-urlencoded")
                            .body(format!("csrf={csrf}{sep}{b}"));
                    }
                }
                let res = req.send().await.unwrap();
                let status = res.status().as_u16();
                let location = res
                    .headers()
                    .get("location")
                    .map(|l| l.to_str().unwrap().to_owned());
                let allowed = matches!(status, 200 | 201 | 204)
                    || (route.refusal_ok && status == 400)
                    || (status == 303 && !location.as_deref().unwrap_or("").starts_with("/login"));
                let denied = matches!(status, 403 | 404);
                let expect = (route.rule)(role, rel);
                assert!(
                    if expect { allowed } else { denied },
                    "{} {} as {} ({:?}): expected {}, got {} {:?}",
                    route.method,
                    path,
                    role.as_str(),
                    rel,
                    if expect { "allow" } else { "deny" },
                    status,
                    location
                );
                checked += 1;
            }
        }
    }
    // 77 routes; regional ones for up to 4 relations, for 8 roles.
    assert!(checked > 400, "only {checked} cases");

    // Without a session every protected route refuses: pages send to login, the API says 401.
    for route in routes() {
        let path = route
            .path
            .replace("{code}", "320102000000")
            .replace("{user}", "t320102000000")
            .replace("{person}", &id_for(10_000))
            .replace("{row}", "1");
        let res = client
            .request(route.method.clone(), app.url(&path))
            .send()
            .await
            .unwrap();
        if route.api {
            assert_eq!(res.status(), 401, "{path}");
        } else {
            assert_eq!(res.status(), 303, "{path}");
            assert!(
                res.headers()["location"]
                    .to_str()
                    .unwrap()
                    .starts_with("/login"),
                "{path}"
            );
        }
    }
    for public in ["/healthz", "/login", "/static/anju.css"] {
        assert_eq!(
            client.get(app.url(public)).send().await.unwrap().status(),
            200,
            "{public}"
        );
    }

    // Lists return the subtree only.
    let (api, _) = app
        .session("m.admin", "Matrix-Role-Pass-1", SessionKind::Api)
        .await;
    let users: Vec<serde_json::Value> = client
        .get(app.url("/api/users"))
        .bearer_auth(&api)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = users
        .iter()
        .map(|u| u["region_code"].as_str().unwrap())
        .collect();
    assert!(codes.iter().all(|c| c.starts_with("320102")), "{codes:?}");
    assert!(codes.contains(&"320102002000"));
    let (api, _) = app
        .session("m.auditor", "Matrix-Role-Pass-1", SessionKind::Api)
        .await;
    let audit: serde_json::Value = client
        .get(app.url("/api/audit"))
        .bearer_auth(&api)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = audit["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|e| {
        e["actor_region"]
            .as_str()
            .is_some_and(|r| r.starts_with("320102"))
    }));
});
