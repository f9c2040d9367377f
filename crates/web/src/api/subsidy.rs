//! The subsidies' API: rolls (list, generate, view, approve), recoveries, and a person's
//! subsidy records. Identifiers are masked unless the role may see them.

use anju_domain::mask;
use anju_domain::month::Month;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body;
use crate::auth::ApiUser;
use crate::pages::persons::show::parse_id;
use crate::{App, AppError};

fn month(s: &str) -> Result<Month, AppError> {
    Month::parse(s).map_err(|e| AppError::BadRequest(e.to_string()))
}

pub async fn rolls(State(app): State<App>, ApiUser(s): ApiUser) -> Result<Json<Value>, AppError> {
    let list = app.store.subsidies().rolls(s.scope()).await?;
    Ok(Json(json!({ "rolls": list })))
}

#[derive(Deserialize)]
pub struct GenerateBody {
    month: String,
    #[serde(default)]
    region: Option<String>,
}

/// Generates the draft; the answer has the CLI's `--json` shape.
pub async fn generate(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    b: Result<Json<GenerateBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
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
    let lines: Vec<Value> = r
        .lines
        .iter()
        .map(|l| {
            json!({
                "id_number": id(&l.id_number),
                "kind": l.kind.as_str(),
                "month": l.month.to_string(),
                "amount_fen": l.amount.fen(),
                "rule": &*l.rule,
                "arrears": l.arrears,
            })
        })
        .collect();
    let stopped: Vec<Value> = r
        .stopped
        .iter()
        .map(|x| json!({"id_number": id(&x.id_number), "kind": x.kind.as_str(), "reason": x.reason.as_str()}))
        .collect();
    Ok(Json(json!({
        "month": r.roll.month,
        "region": r.roll.region_code,
        "lines": lines,
        "total_fen": r.roll.total_fen,
        "stopped": stopped,
    })))
}

pub async fn roll(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path((m, region)): Path<(String, String)>,
) -> Result<Json<Value>, AppError> {
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
    app.store
        .persons()
        .record_view(
            scope,
            "subsidy.roll_view",
            format!("roll:{}", r.summary.id),
            "api".into(),
        )
        .await?;
    Ok(Json(json!(r)))
}

pub async fn approve(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path((m, region)): Path<(String, String)>,
) -> Result<Json<Value>, AppError> {
    let m = Month::parse(&m).map_err(|_| AppError::NotFound)?;
    let r = app
        .store
        .subsidies()
        .approve_roll(s.scope(), m, Some(&region))
        .await?;
    Ok(Json(json!(r)))
}

pub async fn recoveries(
    State(app): State<App>,
    ApiUser(s): ApiUser,
) -> Result<Json<Value>, AppError> {
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
    Ok(Json(json!({ "recoveries": list })))
}

/// A person's grants, payments and recoveries; bank accounts and ID numbers masked unless a
/// role that may see them whole asks for them (`?reveal=1`, audited as a reveal).
pub async fn of_person(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
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
    let assistance: Vec<Value> = subs
        .assistance
        .iter()
        .map(|a| {
            json!({
                "kind": a.kind.as_str(),
                "from": a.from,
                "to": a.to,
                "amount_fen": a.amount,
            })
        })
        .collect();
    Ok(Json(json!({
        "grants": subs.grants,
        "assistance": assistance,
        "paid": subs.paid,
        "recoveries": subs.recoveries,
    })))
}

#[derive(Deserialize)]
pub struct RowsBody {
    rows: Vec<serde_json::Map<String, Value>>,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    replace: bool,
}

/// Rows of an input table as JSON objects keyed by the sheet's Chinese headers (身份证号,
/// 补贴类型, …); answered as `anju import … --json`, `row` being the record's place (from 1).
pub async fn import(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(table): Path<String>,
    b: Result<Json<RowsBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
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
    Ok(Json(json!(report)))
}

/// A condition as JSON: "任意", or the list of codes.
fn codes<T>(a: &anju_domain::subsidy::AnyOf<T>, code: impl Fn(&T) -> String) -> Value {
    match a {
        anju_domain::subsidy::AnyOf::Any => json!("任意"),
        anju_domain::subsidy::AnyOf::Only(v) => json!(v.iter().map(code).collect::<Vec<_>>()),
    }
}

/// The standards in file order and the 低保 standards.
pub async fn policy(State(app): State<App>, ApiUser(s): ApiUser) -> Result<Json<Value>, AppError> {
    use anju_domain::subsidy::Method;
    let sub = app.store.subsidies();
    let scope = s.scope();
    let standards: Vec<Value> = sub
        .standards(scope)
        .await?
        .iter()
        .map(|x| {
            let (method, value) = match x.method {
                Method::Fixed(f) => ("fixed", f.fen()),
                Method::DibaoShare(p) => ("dibao_share", p.millionths()),
            };
            json!({
                "seq": x.seq,
                "region_code": x.region_code,
                "kind": x.kind.as_str(),
                "assistance": codes(&x.assistance, |k| k.as_str().to_owned()),
                "grades": codes(&x.grades, |g| g.code().to_string()),
                "categories": codes(&x.categories, |c| c.code().to_string()),
                "locality": x.locality.map(|l| l.as_str()),
                "method": method,
                // fen for a fixed amount, millionths for a share of the 低保 standard
                "value": value,
                "from": x.from,
                "to": x.to,
            })
        })
        .collect();
    let dibao: Vec<Value> = sub
        .dibao_standards(scope)
        .await?
        .iter()
        .map(|d| {
            json!({
                "region_code": d.region_code,
                "locality": d.locality.as_str(),
                "amount_fen": d.amount,
                "from": d.from,
            })
        })
        .collect();
    let exclusions: Vec<Value> = sub
        .exclusions(scope)
        .await?
        .iter()
        .map(|e| json!({"assistance": e.assistance.as_str(), "subsidy": e.subsidy.as_str(), "effect": e.effect.as_str()}))
        .collect();
    Ok(Json(
        json!({"standards": standards, "dibao": dibao, "exclusions": exclusions}),
    ))
}
