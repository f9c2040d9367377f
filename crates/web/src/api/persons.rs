//! `/api/persons`: the same files, rules, scope, masking and audit as the pages.

use std::collections::HashMap;

use anju_domain::RegionTable;
use anju_domain::person::{Field, PersonInput, validate};
use anju_store::{Source, StoreError};
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::doc::{Failure, PersonFields};
use super::{body, query};
use crate::auth::ApiUser;
use crate::pages::persons::ListQuery;
use crate::pages::persons::show::parse_id;
use crate::view::PersonView;
use crate::{App, AppError};

/// A page of the list of files.
#[derive(Serialize, ToSchema)]
pub struct PersonPage {
    total: i64,
    page: i64,
    per_page: i64,
    rows: Vec<PersonView>,
}

/// Files of the caller's subtree, filtered, sorted and paged (50 a page), masked.
#[utoipa::path(get, path = "/persons", tag = "档案", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = PersonPage), Failure))]
pub async fn list(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<PersonPage>, AppError> {
    let q = query(q)?;
    let scope = s.scope();
    let today = app.store.today();
    let page = app
        .store
        .persons()
        .list(scope, &q.filter(today, 50)?)
        .await?;
    app.store
        .persons()
        .record_view(
            scope,
            "person.list",
            "persons".into(),
            format!("api {}条，{}", page.rows.len(), q.encoded_without_page()),
        )
        .await?;
    let days = app.expiring_days().await?;
    let rows: Vec<PersonView> = page
        .rows
        .iter()
        .map(|r| PersonView::new(r, false, today, days))
        .collect();
    Ok(Json(PersonPage {
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        rows,
    }))
}

/// One file, masked; `?reveal=1` shows it whole to a role that may see identifiers (an
/// audited reveal).
#[utoipa::path(get, path = "/persons/{id}", tag = "档案", security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号（15 或 18 位）", example = "320102194901010013"),
        ("reveal" = Option<String>, Query, description = "1：显示完整号码（须有权限，留审计）")),
    responses((status = 200, body = PersonView), Failure))]
pub async fn show(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<PersonView>, AppError> {
    let q = query(q)?;
    let scope = s.scope();
    let reveal = q.get("reveal").is_some_and(|v| v == "1" || v == "true");
    if reveal && !scope.role().sees_identifiers() {
        return Err(AppError::Forbidden);
    }
    let rec = app.store.persons().lookup(scope, &parse_id(&id)?).await?;
    let action = if reveal {
        "person.reveal"
    } else {
        "person.view"
    };
    app.store
        .persons()
        .record_view(scope, action, rec.audit_object(), "api".into())
        .await?;
    Ok(Json(PersonView::new(
        &rec,
        reveal,
        app.store.today(),
        app.expiring_days().await?,
    )))
}

pub(crate) fn input_of(v: &serde_json::Map<String, Value>) -> Result<PersonInput, AppError> {
    let mut input = PersonInput::default();
    for (k, val) in v {
        let Some(f) = Field::from_key(k) else {
            return Err(AppError::BadRequest(format!("未知字段：{k}")));
        };
        let text = match val {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Null => String::new(),
            _ => return Err(AppError::BadRequest(format!("字段 {k} 应为文本"))),
        };
        input.set(f, text);
    }
    Ok(input)
}

pub(crate) fn store_refusal(e: StoreError) -> AppError {
    match e {
        StoreError::Forbidden => AppError::Forbidden,
        e => e.into(),
    }
}

/// Files a new person (the same rules as the sheet and the form).
#[utoipa::path(post, path = "/persons", tag = "档案", security(("bearer" = [])),
    request_body = PersonFields,
    responses((status = 201, body = PersonView), Failure))]
pub async fn create(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    b: Result<Json<serde_json::Map<String, Value>>, JsonRejection>,
) -> Result<Response, AppError> {
    if !s.scope().role().writes_persons() {
        return Err(AppError::Forbidden);
    }
    let input = input_of(&body(b)?)?;
    let person = validate(&input, RegionTable::jiangsu()).map_err(AppError::Invalid)?;
    let rec = app
        .store
        .persons()
        .create(s.scope(), person, Source::Api)
        .await
        .map_err(store_refusal)?;
    Ok((
        StatusCode::CREATED,
        Json(PersonView::new(
            &rec,
            false,
            app.store.today(),
            app.expiring_days().await?,
        )),
    )
        .into_response())
}

/// Keys of the file's view that are derived, not stored: accepted back unchanged, refused
/// when changed.
const DERIVED_KEYS: [&str; 7] = [
    "age",
    "household",
    "severe",
    "cert_status",
    "masked",
    "sex",
    "birth_date",
];

/// The input for an edit: the stored file, with only the fields the body sends changed. A
/// field sent back as GET showed it (masked, or whole after a reveal) is left as it is, an
/// absent field too; `null` or `""` clears a field.
fn merged_input(
    stored: &anju_store::PersonRecord,
    shown: &[Value],
    body: &serde_json::Map<String, Value>,
) -> Result<PersonInput, AppError> {
    let p = &stored.person;
    let mut input = PersonInput::default();
    for f in Field::ALL {
        input.set(f, p.field_text(f));
    }
    let unchanged = |k: &str, v: &Value| shown.iter().any(|view| view.get(k) == Some(v));
    for (k, val) in body {
        if unchanged(k, val) {
            continue;
        }
        if DERIVED_KEYS.contains(&k.as_str()) {
            return Err(AppError::BadRequest(format!(
                "字段 {k} 由其他字段得出，不能直接修改"
            )));
        }
        let Some(f) = Field::from_key(k) else {
            return Err(AppError::BadRequest(format!("未知字段：{k}")));
        };
        let text = match val {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Null => String::new(),
            _ => return Err(AppError::BadRequest(format!("字段 {k} 应为文本"))),
        };
        if f == Field::IdNumber {
            return Err(AppError::BadRequest(
                "身份证号不能在此修改：请核对后以正确号码新建档案".into(),
            ));
        }
        input.set(f, text);
    }
    Ok(input)
}

/// An edited file and the fields the edit changed.
#[derive(Serialize, ToSchema)]
pub struct Updated {
    person: PersonView,
    /// Keys of the fields that changed.
    changed: Vec<&'static str>,
}

/// Edits a file: only the fields sent change; a field sent back as GET showed it is left as
/// it is; `null` or `""` clears a field.
#[utoipa::path(put, path = "/persons/{id}", tag = "档案", security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号（15 或 18 位）", example = "320102194901010013")),
    request_body = PersonFields,
    responses((status = 200, body = Updated), Failure))]
pub async fn update(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    b: Result<Json<serde_json::Map<String, Value>>, JsonRejection>,
) -> Result<Json<Updated>, AppError> {
    if !s.scope().role().writes_persons() {
        return Err(AppError::Forbidden);
    }
    let id = parse_id(&id)?;
    let body = body(b)?;
    let scope = s.scope();
    let stored = app.store.persons().lookup(scope, &id).await?;
    let today = app.store.today();
    let days = app.expiring_days().await?;
    // What GET showed this role: masked, or whole after a reveal when the role may reveal.
    let view = |whole| {
        serde_json::to_value(PersonView::new(&stored, whole, today, days))
            .map_err(|e| AppError::Internal(e.to_string()))
    };
    let mut shown = vec![view(false)?];
    if scope.role().sees_identifiers() {
        shown.push(view(true)?);
    }
    let input = merged_input(&stored, &shown, &body)?;
    let person = validate(&input, RegionTable::jiangsu()).map_err(AppError::Invalid)?;
    let (rec, changed) = app
        .store
        .persons()
        .update(scope, person, Source::Api)
        .await
        .map_err(store_refusal)?;
    Ok(Json(Updated {
        person: PersonView::new(&rec, false, today, days),
        changed: changed.iter().map(|f| f.key()).collect(),
    }))
}
