//! The subsidies' API: rolls (list, generate, view, approve), recoveries, and a person's
//! subsidy records. Identifiers are masked unless the role may see them.

use anju_domain::mask;
use anju_domain::month::Month;
use anju_store::{GrantView, PaidLine, RecoveryRecord, Roll, RollSummary};
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::doc::Failure;
use super::{body, query};
use crate::auth::ApiUser;
use crate::pages::persons::show::parse_id;
use crate::{App, AppError};

fn month(s: &str) -> Result<Month, AppError> {
    Month::parse(s).map_err(|e| AppError::BadRequest(e.to_string()))
}

#[derive(Serialize, ToSchema)]
pub struct Rolls {
    rolls: Vec<RollSummary>,
}

/// The monthly rolls of the caller's subtree.
#[utoipa::path(get, path = "/subsidies/rolls", tag = "补贴", security(("bearer" = [])),
    responses((status = 200, body = Rolls), Failure))]
pub async fn rolls(State(app): State<App>, ApiUser(s): ApiUser) -> Result<Json<Rolls>, AppError> {
    let rolls = app.store.subsidies().rolls(s.scope()).await?;
    Ok(Json(Rolls { rolls }))
}

#[derive(Deserialize, ToSchema)]
pub struct GenerateBody {
    /// YYYY-MM.
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}$", example = "2026-01")]
    month: String,
    /// A county's 12-digit code; left out, the caller's own region.
    #[serde(default)]
    #[schema(example = "320102000000")]
    region: Option<String>,
}

/// A line of a generated draft.
#[derive(Serialize, ToSchema)]
pub struct DraftLine {
    id_number: String,
    /// living or care.
    kind: &'static str,
    month: String,
    amount_fen: i64,
    /// The standard's rule that set the amount.
    rule: String,
    /// 补发: a month missed by an earlier roll.
    arrears: bool,
}

/// A grant that paid last month and does not this month.
#[derive(Serialize, ToSchema)]
pub struct DraftStop {
    id_number: String,
    kind: &'static str,
    reason: &'static str,
}

/// A generated draft roll.
#[derive(Serialize, ToSchema)]
pub struct Draft {
    month: String,
    region: String,
    lines: Vec<DraftLine>,
    total_fen: i64,
    stopped: Vec<DraftStop>,
    /// Grants held for want of a 低保 standard: the roll cannot be approved until they are
    /// computed (import the standard, generate again).
    held: Vec<anju_store::HeldLine>,
}

/// Generates the month's draft roll; the answer has the CLI's `--json` shape.
#[utoipa::path(post, path = "/subsidies/rolls", tag = "补贴", security(("bearer" = [])),
    request_body = GenerateBody,
    responses((status = 200, body = Draft), Failure))]
pub async fn generate(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    b: Result<Json<GenerateBody>, JsonRejection>,
) -> Result<Json<Draft>, AppError> {
    let b = body(b)?;
    let scope = s.scope();
    let r = app
        .store
        .subsidies()
        .generate_roll(scope, month(&b.month)?, b.region.as_deref())
        .await?;
    let whole = scope.role().sees_identifiers();
    let id = |v: &str| {
        if whole {
            v.to_owned()
        } else {
            mask::id_number(v)
        }
    };
    let lines = r
        .lines
        .iter()
        .map(|l| DraftLine {
            id_number: id(&l.id_number),
            kind: l.kind.as_str(),
            month: l.month.to_string(),
            amount_fen: l.amount.fen(),
            rule: l.rule.to_string(),
            arrears: l.arrears,
        })
        .collect();
    let stopped = r
        .stopped
        .iter()
        .map(|x| DraftStop {
            id_number: id(&x.id_number),
            kind: x.kind.as_str(),
            reason: x.reason.as_str(),
        })
        .collect();
    let held = r
        .held
        .into_iter()
        .map(|mut h| {
            h.id_number = id(&h.id_number);
            h
        })
        .collect();
    Ok(Json(Draft {
        month: r.roll.month,
        region: r.roll.region_code,
        lines,
        total_fen: r.roll.total_fen,
        stopped,
        held,
    }))
}

/// A roll with its totals by town and what changed since the last approved roll.
#[utoipa::path(get, path = "/subsidies/rolls/{month}/{region}", tag = "补贴", security(("bearer" = [])),
    params(("month" = String, Path, description = "年月，如 2026-01", example = "2026-01"),
        ("region" = String, Path, description = "12 位区划代码", example = "320102000000")),
    responses((status = 200, body = Roll), Failure))]
pub async fn roll(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path((m, region)): Path<(String, String)>,
) -> Result<Json<Roll>, AppError> {
    let m = Month::parse(&m).map_err(|_| AppError::NotFound)?;
    let scope = s.scope();
    let mut r = app.store.subsidies().roll(scope, m, &region).await?;
    if let Some(d) = &mut r.diff
        && !scope.role().sees_identifiers()
    {
        for x in &mut d.new {
            x.0 = mask::id_number(&x.0);
        }
        for x in &mut d.stopped {
            x.0 = mask::id_number(&x.0);
        }
        for x in &mut d.changed {
            x.0 = mask::id_number(&x.0);
        }
    }
    if !scope.role().sees_identifiers() {
        for h in &mut r.held {
            h.id_number = mask::id_number(&h.id_number);
        }
        for x in &mut r.stopped {
            x.id_number = mask::id_number(&x.id_number);
        }
    }
    app.store
        .persons()
        .record_view(
            scope,
            "subsidy.roll_view",
            format!("roll:{}", r.summary.id),
            "api".into(),
        )
        .await?;
    Ok(Json(r))
}

/// Approves a draft roll (by someone other than who generated it).
#[utoipa::path(post, path = "/subsidies/rolls/{month}/{region}/approve", tag = "补贴", security(("bearer" = [])),
    params(("month" = String, Path, description = "年月，如 2026-01", example = "2026-01"),
        ("region" = String, Path, description = "12 位区划代码", example = "320102000000")),
    responses((status = 200, body = RollSummary), Failure))]
pub async fn approve(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path((m, region)): Path<(String, String)>,
) -> Result<Json<RollSummary>, AppError> {
    let m = Month::parse(&m).map_err(|_| AppError::NotFound)?;
    let r = app
        .store
        .subsidies()
        .approve_roll(s.scope(), m, Some(&region))
        .await?;
    Ok(Json(r))
}

#[derive(Serialize, ToSchema)]
pub struct Recoveries {
    recoveries: Vec<RecoveryRecord>,
}

/// Money to recover (应退则退) in the caller's subtree.
#[utoipa::path(get, path = "/subsidies/recoveries", tag = "补贴", security(("bearer" = [])),
    responses((status = 200, body = Recoveries), Failure))]
pub async fn recoveries(
    State(app): State<App>,
    ApiUser(s): ApiUser,
) -> Result<Json<Recoveries>, AppError> {
    let scope = s.scope();
    let mut list = app.store.subsidies().recoveries(scope).await?;
    if !scope.role().sees_identifiers() {
        for r in &mut list {
            r.id_number = mask::id_number(&r.id_number);
        }
    }
    if !list.is_empty() {
        app.store
            .persons()
            .record_view(
                scope,
                "subsidy.recoveries_view",
                "recoveries".into(),
                "api".into(),
            )
            .await?;
    }
    Ok(Json(Recoveries { recoveries: list }))
}

/// An assistance status in force on the file.
#[derive(Serialize, ToSchema)]
pub struct AssistanceJson {
    kind: &'static str,
    from: anju_domain::month::Month,
    to: Option<anju_domain::month::Month>,
    amount_fen: Option<anju_domain::money::Fen>,
}

/// The subsidy sections of a file.
#[derive(Serialize, ToSchema)]
pub struct PersonSubsidiesJson {
    grants: Vec<GrantView>,
    assistance: Vec<AssistanceJson>,
    paid: Vec<PaidLine>,
    recoveries: Vec<RecoveryRecord>,
}

/// A person's grants, payments and recoveries; bank accounts and ID numbers masked unless a
/// role that may see them whole asks for them (`?reveal=1`, audited as a reveal).
#[utoipa::path(get, path = "/persons/{id}/subsidies", tag = "补贴", security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号（15 或 18 位）", example = "320102194901010013"),
        ("reveal" = Option<String>, Query, description = "1：显示完整账号（须有权限，留审计）")),
    responses((status = 200, body = PersonSubsidiesJson), Failure))]
pub async fn of_person(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    q: Result<Query<std::collections::HashMap<String, String>>, QueryRejection>,
) -> Result<Json<PersonSubsidiesJson>, AppError> {
    let q = query(q)?;
    let scope = s.scope();
    let reveal = q.get("reveal").is_some_and(|v| v == "1" || v == "true");
    if reveal && !scope.role().sees_identifiers() {
        return Err(AppError::Forbidden);
    }
    let rec = app.store.persons().lookup(scope, &parse_id(&id)?).await?;
    let mut subs = app.store.subsidies().of_person(scope, &rec).await?;
    if !reveal {
        for g in &mut subs.grants {
            g.bank_account = mask::bank_account(&g.bank_account);
        }
        for r in &mut subs.recoveries {
            r.id_number = mask::id_number(&r.id_number);
        }
    }
    let action = if reveal {
        "person.reveal"
    } else {
        "person.view"
    };
    app.store
        .persons()
        .record_view(scope, action, rec.audit_object(), "subsidies".into())
        .await?;
    let assistance = subs
        .assistance
        .iter()
        .map(|a| AssistanceJson {
            kind: a.kind.as_str(),
            from: a.from,
            to: a.to,
            amount_fen: a.amount,
        })
        .collect();
    Ok(Json(PersonSubsidiesJson {
        grants: subs.grants,
        assistance,
        paid: subs.paid,
        recoveries: subs.recoveries,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct RowsBody {
    /// Each row an object keyed by the sheet's Chinese headers (身份证号, 补贴类型, …).
    #[schema(value_type = Vec<Object>)]
    rows: Vec<serde_json::Map<String, Value>>,
    /// Refuse the whole file when any row is at fault.
    #[serde(default)]
    strict: bool,
    /// Replace the table's rows of the caller's region by these.
    #[serde(default)]
    replace: bool,
}

/// Rows of an input table as JSON objects keyed by the sheet's Chinese headers (身份证号,
/// 补贴类型, …); answered as `anju import … --json`, `row` being the record's place (from 1).
#[utoipa::path(post, path = "/subsidies/import/{table}", tag = "补贴", security(("bearer" = [])),
    params(("table" = String, Path, description = "events, assistance, grants, standards 或 dibao", example = "events")),
    request_body = RowsBody,
    responses((status = 200, body = anju_jobs::ImportReport), Failure))]
pub async fn import(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(table): Path<String>,
    b: Result<Json<RowsBody>, JsonRejection>,
) -> Result<Json<anju_jobs::ImportReport>, AppError> {
    use anju_jobs::Table;
    let t = match table.as_str() {
        "events" => Table::Events,
        "assistance" => Table::Assistance,
        "grants" => Table::Grants,
        "standards" => Table::Standards,
        "dibao" => Table::Dibao,
        _ => return Err(AppError::NotFound),
    };
    let role = s.scope().role();
    let allowed = match t {
        Table::Standards | Table::Dibao => role.sets_policy(),
        _ => role.imports_persons(),
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let b = body(b)?;
    let report = anju_jobs::import_records(&app.store, s.scope(), t, &b.rows, b.strict, b.replace)
        .await
        .map_err(|e| match e {
            anju_jobs::ImportError::Store(e) => AppError::from(e),
            e => AppError::BadRequest(e.to_string()),
        })?;
    Ok(Json(report))
}

/// A condition: "任意" (any), or the list of codes that qualify.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Codes {
    /// Always "任意".
    Any(&'static str),
    Only(Vec<String>),
}

fn codes<T>(a: &anju_domain::subsidy::AnyOf<T>, code: impl Fn(&T) -> String) -> Codes {
    match a {
        anju_domain::subsidy::AnyOf::Any => Codes::Any("任意"),
        anju_domain::subsidy::AnyOf::Only(v) => Codes::Only(v.iter().map(code).collect()),
    }
}

/// A subsidy standard, in file order.
#[derive(Serialize, ToSchema)]
pub struct StandardJson {
    seq: i64,
    region_code: String,
    kind: &'static str,
    assistance: Codes,
    grades: Codes,
    categories: Codes,
    locality: Option<&'static str>,
    /// fixed or dibao_share.
    method: &'static str,
    /// Fen for a fixed amount, millionths for a share of the 低保 standard.
    value: i64,
    from: anju_domain::month::Month,
    to: Option<anju_domain::month::Month>,
}

/// A 低保 standard.
#[derive(Serialize, ToSchema)]
pub struct DibaoJson {
    region_code: String,
    locality: &'static str,
    amount_fen: anju_domain::money::Fen,
    from: anju_domain::month::Month,
}

/// What an assistance status does to a subsidy.
#[derive(Serialize, ToSchema)]
pub struct ExclusionJson {
    assistance: &'static str,
    subsidy: &'static str,
    effect: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Policy {
    standards: Vec<StandardJson>,
    dibao: Vec<DibaoJson>,
    exclusions: Vec<ExclusionJson>,
}

/// The standards in file order, the 低保 standards and the exclusions.
#[utoipa::path(get, path = "/subsidies/policy", tag = "补贴", security(("bearer" = [])),
    responses((status = 200, body = Policy), Failure))]
pub async fn policy(State(app): State<App>, ApiUser(s): ApiUser) -> Result<Json<Policy>, AppError> {
    use anju_domain::subsidy::Method;
    let sub = app.store.subsidies();
    let scope = s.scope();
    let standards = sub
        .standards(scope)
        .await?
        .iter()
        .map(|x| {
            let (method, value) = match x.method {
                Method::Fixed(f) => ("fixed", f.fen()),
                Method::DibaoShare(p) => ("dibao_share", p.millionths()),
            };
            StandardJson {
                seq: x.seq,
                region_code: x.region_code.clone(),
                kind: x.kind.as_str(),
                assistance: codes(&x.assistance, |k| k.as_str().to_owned()),
                grades: codes(&x.grades, |g| g.code().to_string()),
                categories: codes(&x.categories, |c| c.code().to_string()),
                locality: x.locality.map(|l| l.as_str()),
                method,
                value,
                from: x.from,
                to: x.to,
            }
        })
        .collect();
    let dibao = sub
        .dibao_standards(scope)
        .await?
        .iter()
        .map(|d| DibaoJson {
            region_code: d.region_code.clone(),
            locality: d.locality.as_str(),
            amount_fen: d.amount,
            from: d.from,
        })
        .collect();
    let exclusions = sub
        .exclusions(scope)
        .await?
        .iter()
        .map(|e| ExclusionJson {
            assistance: e.assistance.as_str(),
            subsidy: e.subsidy.as_str(),
            effect: e.effect.as_str(),
        })
        .collect();
    Ok(Json(Policy {
        standards,
        dibao,
        exclusions,
    }))
}
