//! The JSON API under `/api`. `POST /api/login` gives a token, presented afterwards as
//! `Authorization: Bearer …`; every route has the same scoping as the pages.

use anju_domain::{Region, RegionTable, Role};
use anju_store::{LoginError, NewUser, SessionKind, User};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub(crate) mod applications;
mod persons;
mod subsidy;

use crate::auth::{ApiUser, ClientAddr, PendingApiUser};
use crate::pages::audit::{AuditQuery, read};
use crate::{App, AppError};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/worklist", get(worklist))
        .route(
            "/applications",
            get(applications::list).post(applications::apply),
        )
        .route("/applications/{id}", get(applications::show))
        .route("/applications/{id}/steps", post(applications::step))
        .route(
            "/verification",
            get(applications::campaigns).post(applications::open_campaign),
        )
        .route("/verification/{id}", get(applications::campaign))
        .route("/verification/items/{item}", post(applications::record))
        .route(
            "/sessions",
            get(applications::sessions).post(applications::schedule),
        )
        .route("/sessions/{id}", get(applications::session))
        .route(
            "/sessions/{id}/applicants",
            post(applications::add_applicant),
        )
        .route(
            "/sessions/{id}/outcomes",
            post(applications::record_outcomes),
        )
        .route("/password", post(change_password))
        .route("/regions/{code}", get(region))
        .route("/regions/{code}/children", get(children))
        .route("/users", get(users).post(create_user))
        .route("/audit", get(audit))
        .route("/persons", get(persons::list).post(persons::create))
        .route("/persons/{id}", get(persons::show).put(persons::update))
        .route("/persons/{id}/subsidies", get(subsidy::of_person))
        .route(
            "/subsidies/rolls",
            get(subsidy::rolls).post(subsidy::generate),
        )
        .route("/subsidies/rolls/{month}/{region}", get(subsidy::roll))
        .route(
            "/subsidies/rolls/{month}/{region}/approve",
            post(subsidy::approve),
        )
        .route("/subsidies/recoveries", get(subsidy::recoveries))
        .route("/subsidies/policy", get(subsidy::policy))
        .route("/subsidies/import/{table}", post(subsidy::import))
        .fallback(not_found)
}

/// What is due in the caller's subtree, nearest deadline first (the home page's worklist).
async fn worklist(
    State(app): State<App>,
    ApiUser(s): ApiUser,
) -> Result<Json<anju_store::Worklist>, AppError> {
    Ok(Json(app.store.worklist(s.scope()).await?))
}

async fn not_found() -> AppError {
    AppError::NotFound
}

pub(crate) fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, AppError> {
    b.map(|Json(t)| t)
        .map_err(|e| AppError::BadRequest(format!("请求体不是有效的 JSON：{}", e.body_text())))
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    State(app): State<App>,
    ClientAddr(client): ClientAddr,
    b: Result<Json<LoginBody>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
    let b = body(b)?;
    app.login_attempt(&client)?;
    match app
        .store
        .sessions()
        .login(&b.username, &b.password, &client, SessionKind::Api)
        .await?
    {
        Ok(ok) => Ok(Json(json!({
            "token": ok.token,
            "must_change_password": ok.must_change_password,
        }))),
        // One answer for every refusal (see `LoginError`).
        Err(LoginError::BadCredentials | LoginError::Disabled | LoginError::Locked) => {
            Err(AppError::Unauthenticated)
        }
    }
}

async fn logout(
    State(app): State<App>,
    PendingApiUser(s): PendingApiUser,
) -> Result<StatusCode, AppError> {
    app.store.sessions().logout(s.scope(), &s.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(PendingApiUser(s): PendingApiUser) -> Json<Value> {
    let scope = s.scope();
    Json(json!({
        "username": scope.username(),
        "role": scope.role(),
        "region_code": scope.region().code,
        "region_name": scope.region().name,
        "must_change_password": s.auth.must_change_password,
    }))
}

#[derive(Deserialize)]
struct PasswordBody {
    current: String,
    new: String,
}

async fn change_password(
    State(app): State<App>,
    PendingApiUser(s): PendingApiUser,
    b: Result<Json<PasswordBody>, JsonRejection>,
) -> Result<StatusCode, AppError> {
    let b = body(b)?;
    app.store
        .users()
        .change_password(s.scope(), &b.current, &b.new, Some(&s.token))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct RegionJson<'a> {
    code: &'a str,
    name: &'a str,
    level: &'a str,
    parent_code: Option<&'a str>,
    child_count: usize,
}

fn region_json<'a>(table: &RegionTable, r: &'a Region) -> RegionJson<'a> {
    RegionJson {
        code: r.code.as_str(),
        name: &r.name,
        level: r.level.as_str(),
        parent_code: r.parent.as_ref().map(|p| p.as_str()),
        child_count: table.child_count(&r.code),
    }
}

fn region_in_scope<'t>(
    s: &ApiUser,
    table: &'t RegionTable,
    code: &str,
) -> Result<&'t Region, AppError> {
    let region = table.current(code).map_err(|_| AppError::NotFound)?;
    if s.0.scope().covers(&region.code) {
        Ok(region)
    } else {
        Err(AppError::Forbidden)
    }
}

async fn region(s: ApiUser, Path(code): Path<String>) -> Result<Response, AppError> {
    let table = RegionTable::jiangsu();
    let r = region_in_scope(&s, table, &code)?;
    Ok(Json(region_json(table, r)).into_response())
}

async fn children(s: ApiUser, Path(code): Path<String>) -> Result<Response, AppError> {
    let table = RegionTable::jiangsu();
    let r = region_in_scope(&s, table, &code)?;
    let kids: Vec<RegionJson> = table
        .children(&r.code)
        .map(|c| region_json(table, c))
        .collect();
    Ok(Json(kids).into_response())
}

fn user_json(u: &User) -> Value {
    json!({
        "username": u.username,
        "role": u.role,
        "region_code": u.region_code,
        "region_name": u.region_name,
        "disabled": u.disabled,
        "must_change_password": u.must_change_password,
        "locked_until_ms": u.locked_until_ms,
        "created_at_ms": u.created_at_ms,
    })
}

async fn users(State(app): State<App>, ApiUser(s): ApiUser) -> Result<Json<Value>, AppError> {
    let list = app.store.users().list(s.scope()).await?;
    Ok(Json(Value::Array(list.iter().map(user_json).collect())))
}

#[derive(Deserialize)]
struct NewUserBody {
    username: String,
    role: String,
    region: String,
    password: Option<String>,
}

async fn create_user(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    b: Result<Json<NewUserBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let b = body(b)?;
    let role = Role::parse(&b.role)
        .ok_or_else(|| AppError::BadRequest(format!("未知角色：{}", b.role)))?;
    let (user, generated) = app
        .store
        .users()
        .create(
            s.scope(),
            NewUser {
                username: b.username,
                role,
                region: b.region,
                password: b.password,
            },
        )
        .await?;
    let mut v = user_json(&user);
    if let Some(p) = generated {
        v["generated_password"] = Value::String(p);
    }
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn audit(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, AppError> {
    let page = read(&app, s.scope(), &q, 100).await?;
    Ok(Json(json!(page)))
}
