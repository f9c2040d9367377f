//! The JSON API under `/api`. `POST /api/login` gives a token, presented afterwards as
//! `Authorization: Bearer …`; every route has the same scoping as the pages.

use anju_domain::{Region, RegionTable, Role};
use anju_store::{LoginError, NewUser, SessionKind, User};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) mod applications;
mod crosscheck;
mod doc;
mod indicators;
mod jobs;
mod levy;
mod persons;
mod services;
mod settlement;
mod subsidy;
mod verify;
mod visits;

use doc::Failure;

use crate::auth::{ApiUser, ClientAddr, PendingApiUser};
use crate::pages::audit::{AuditQuery, read};
use crate::{App, AppError};

/// The API's routes with their OpenAPI description, mounted under `/api`: the description
/// is served at `/api/openapi.json`.
pub fn routes() -> (Router<App>, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::with_openapi(doc::ApiDoc::openapi())
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(worklist))
        .routes(routes!(applications::list, applications::apply))
        .routes(routes!(applications::show))
        .routes(routes!(applications::step))
        .routes(routes!(
            applications::campaigns,
            applications::open_campaign
        ))
        .routes(routes!(applications::campaign))
        .routes(routes!(applications::record))
        .routes(routes!(applications::sessions, applications::schedule))
        .routes(routes!(applications::session))
        .routes(routes!(applications::add_applicant))
        .routes(routes!(applications::record_outcomes))
        .routes(routes!(region))
        .routes(routes!(children))
        .routes(routes!(users, create_user))
        .routes(routes!(audit))
        .routes(routes!(persons::list, persons::create))
        .routes(routes!(persons::show, persons::update))
        .routes(routes!(subsidy::of_person))
        .routes(routes!(subsidy::rolls, subsidy::generate))
        .routes(routes!(subsidy::roll))
        .routes(routes!(subsidy::approve))
        .routes(routes!(subsidy::recoveries))
        .routes(routes!(subsidy::policy))
        .routes(routes!(subsidy::import))
        .routes(routes!(services::programmes))
        .routes(routes!(services::eligible))
        .routes(routes!(services::cases, services::open))
        .routes(routes!(services::case))
        .routes(routes!(services::act))
        .routes(routes!(services::assign))
        .routes(routes!(services::deliveries, services::deliver))
        .routes(routes!(services::diagnose))
        .routes(routes!(services::providers, services::register_provider))
        .routes(routes!(settlement::bills, settlement::draft))
        .routes(routes!(settlement::bill))
        .routes(routes!(settlement::approve))
        .routes(routes!(levy::levy))
        .routes(routes!(levy::employment, levy::record_employment))
        .routes(routes!(jobs::postings, jobs::create_posting))
        .routes(routes!(jobs::posting_matches))
        .routes(routes!(jobs::seeker, jobs::register))
        .routes(routes!(jobs::seeker_matches))
        .routes(routes!(jobs::place))
        .routes(routes!(jobs::visit))
        .routes(routes!(jobs::courses, jobs::create_course))
        .routes(routes!(jobs::attend))
        .routes(routes!(verify::verify))
        .routes(routes!(crosscheck::batches))
        .routes(routes!(crosscheck::batch))
        .routes(routes!(crosscheck::tasks))
        .routes(routes!(crosscheck::confirm))
        .routes(routes!(crosscheck::reject))
        .routes(routes!(visits::due))
        .routes(routes!(visits::of_person, visits::record))
        .routes(routes!(visits::followups))
        .routes(routes!(visits::close))
        .routes(routes!(visits::gaps))
        .routes(routes!(visits::survey_progress))
        .routes(routes!(visits::survey_form, visits::survey_save))
        .routes(routes!(indicators::board))
        .routes(routes!(indicators::people))
        .fallback(not_found);
    let (api, doc) = OpenApiRouter::default().nest("/api", api).split_for_parts();
    let json: std::sync::Arc<str> = doc.to_json().unwrap_or_default().into();
    let api = api
        .route(
            "/api/openapi.json",
            get(move || {
                let json = json.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        json.to_string(),
                    )
                }
            }),
        )
        .layer(middleware::from_fn(crate::error::render_json));
    (api, doc)
}

/// What is due in the caller's subtree, nearest deadline first (the home page's worklist).
#[utoipa::path(get, path = "/worklist", tag = "管理", security(("bearer" = [])),
    responses((status = 200, body = anju_store::Worklist), Failure))]
async fn worklist(
    State(app): State<App>,
    ApiUser(s): ApiUser,
) -> Result<Json<anju_store::Worklist>, AppError> {
    Ok(Json(app.store.worklist(s.scope()).await?))
}

/// Records that the caller read `n` records of personal data (`what` names which); nothing
/// for an empty answer.
pub(crate) async fn viewed(
    app: &App,
    scope: &anju_store::Scope,
    action: &str,
    what: String,
    n: usize,
) -> Result<(), AppError> {
    if n > 0 {
        app.store
            .persons()
            .record_view(scope, action, what, format!("api {n}条"))
            .await?;
    }
    Ok(())
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// A query string the handler could not read, as the API's 400.
pub(crate) fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, AppError> {
    q.map(|Query(t)| t).map_err(|e| {
        let detail = e.body_text();
        let field = detail
            .split(": ")
            .nth(1)
            .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .map(|f| format!("（{f}）"))
            .unwrap_or_default();
        AppError::BadRequest(format!("查询参数无效{field}"))
    })
}

pub(crate) fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, AppError> {
    b.map(|Json(t)| t)
        .map_err(|e| AppError::BadRequest(json_refusal(&e)))
}

/// Why a JSON body was refused, in Chinese (serde's English stays out of the message).
fn json_refusal(e: &JsonRejection) -> String {
    let detail = e.body_text();
    let quoted = || {
        detail
            .split('`')
            .nth(1)
            .map(str::to_owned)
            .unwrap_or_default()
    };
    match e {
        JsonRejection::MissingJsonContentType(_) => {
            "请求须带 Content-Type: application/json".into()
        }
        JsonRejection::JsonDataError(_) if detail.contains("missing field") => {
            format!("请求体缺少字段 {}", quoted())
        }
        JsonRejection::JsonDataError(_) if detail.contains("unknown field") => {
            format!("请求体含有未知字段 {}", quoted())
        }
        JsonRejection::JsonDataError(_) => {
            let at = detail
                .split(": ")
                .nth(1)
                .and_then(|d| d.split(':').next())
                .filter(|f| {
                    f.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c))
                })
                .map(|f| format!("（字段 {f}）"))
                .unwrap_or_default();
            format!("请求体的字段类型或取值不符合要求{at}")
        }
        JsonRejection::JsonSyntaxError(_) => "请求体不是有效的 JSON".into(),
        _ => "无法读取请求体".into(),
    }
}

#[derive(Deserialize, ToSchema)]
struct LoginBody {
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
struct LoginAnswer {
    /// Presented afterwards as `Authorization: Bearer …`.
    token: String,
    /// A new or reset account must change its password (`POST /api/password`) first.
    must_change_password: bool,
}

/// Logs in; every refusal (wrong name or password, a locked or disabled account) is the same
/// 401, and too many attempts from one address are answered 429.
#[utoipa::path(post, path = "/login", tag = "会话", request_body = LoginBody,
    responses((status = 200, body = LoginAnswer), Failure))]
async fn login(
    State(app): State<App>,
    ClientAddr(client): ClientAddr,
    b: Result<Json<LoginBody>, JsonRejection>,
) -> Result<Json<LoginAnswer>, AppError> {
    let b = body(b)?;
    app.login_attempt(&client)?;
    match app
        .store
        .sessions()
        .login(&b.username, &b.password, &client, SessionKind::Api)
        .await?
    {
        Ok(ok) => Ok(Json(LoginAnswer {
            token: ok.token,
            must_change_password: ok.must_change_password,
        })),
        // One answer for every refusal (see `LoginError`).
        Err(LoginError::BadCredentials | LoginError::Disabled | LoginError::Locked) => {
            Err(AppError::Unauthenticated)
        }
    }
}

/// Ends the token's session.
#[utoipa::path(post, path = "/logout", tag = "会话", security(("bearer" = [])),
    responses((status = 204, description = "已退出"), Failure))]
async fn logout(
    State(app): State<App>,
    PendingApiUser(s): PendingApiUser,
) -> Result<StatusCode, AppError> {
    app.store.sessions().logout(s.scope(), &s.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
struct Me {
    username: String,
    role: Role,
    region_code: String,
    region_name: String,
    must_change_password: bool,
}

/// The caller: account, role and the region it sees.
#[utoipa::path(get, path = "/me", tag = "会话", security(("bearer" = [])),
    responses((status = 200, body = Me), Failure))]
async fn me(PendingApiUser(s): PendingApiUser) -> Json<Me> {
    let scope = s.scope();
    Json(Me {
        username: scope.username().to_owned(),
        role: scope.role(),
        region_code: scope.region().code.to_string(),
        region_name: scope.region().name.clone(),
        must_change_password: s.auth.must_change_password,
    })
}

#[derive(Deserialize, ToSchema)]
struct PasswordBody {
    current: String,
    new: String,
}

/// Changes the caller's password (the current one is checked; the new one must be strong).
#[utoipa::path(post, path = "/password", tag = "会话", security(("bearer" = [])),
    request_body = PasswordBody,
    responses((status = 204, description = "已修改"), Failure))]
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

#[derive(Serialize, ToSchema)]
struct RegionJson<'a> {
    code: &'a str,
    name: &'a str,
    /// province, city, county, town or village.
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

/// A region of the caller's subtree.
#[utoipa::path(get, path = "/regions/{code}", tag = "管理", security(("bearer" = [])),
    params(("code" = String, Path, description = "12 位区划代码", example = "320102000000")),
    responses((status = 200, body = RegionJson), Failure))]
async fn region(s: ApiUser, Path(code): Path<String>) -> Result<Response, AppError> {
    let table = RegionTable::jiangsu();
    let r = region_in_scope(&s, table, &code)?;
    Ok(Json(region_json(table, r)).into_response())
}

/// The regions directly under one of the caller's subtree.
#[utoipa::path(get, path = "/regions/{code}/children", tag = "管理", security(("bearer" = [])),
    params(("code" = String, Path, description = "12 位区划代码", example = "320102000000")),
    responses((status = 200, body = Vec<RegionJson>), Failure))]
async fn children(s: ApiUser, Path(code): Path<String>) -> Result<Response, AppError> {
    let table = RegionTable::jiangsu();
    let r = region_in_scope(&s, table, &code)?;
    let kids: Vec<RegionJson> = table
        .children(&r.code)
        .map(|c| region_json(table, c))
        .collect();
    Ok(Json(kids).into_response())
}

/// An account as the API shows it.
#[derive(Serialize, ToSchema)]
struct UserJson {
    username: String,
    role: Role,
    region_code: String,
    region_name: String,
    disabled: bool,
    must_change_password: bool,
    /// Locked after failed passwords until this time (ms since the epoch, UTC).
    locked_until_ms: Option<i64>,
    created_at_ms: i64,
    /// Only when the account was created without a password: the one made for it, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    generated_password: Option<String>,
}

fn user_json(u: &User) -> UserJson {
    UserJson {
        username: u.username.clone(),
        role: u.role,
        region_code: u.region_code.to_string(),
        region_name: u.region_name.clone(),
        disabled: u.disabled,
        must_change_password: u.must_change_password,
        locked_until_ms: u.locked_until_ms,
        created_at_ms: u.created_at_ms,
        generated_password: None,
    }
}

/// The accounts of the caller's subtree (administrators).
#[utoipa::path(get, path = "/users", tag = "管理", security(("bearer" = [])),
    responses((status = 200, body = Vec<UserJson>), Failure))]
async fn users(
    State(app): State<App>,
    ApiUser(s): ApiUser,
) -> Result<Json<Vec<UserJson>>, AppError> {
    let list = app.store.users().list(s.scope()).await?;
    Ok(Json(list.iter().map(user_json).collect()))
}

#[derive(Deserialize, ToSchema)]
struct NewUserBody {
    #[schema(example = "gulou-clerk")]
    username: String,
    /// admin, city, county, town, village, provider, leader or auditor.
    #[schema(example = "town")]
    role: String,
    /// The 12-digit code of the region the account works in.
    #[schema(example = "320102002000")]
    region: String,
    /// Left out, a password is made and answered once.
    password: Option<String>,
}

/// Creates an account in the caller's subtree (administrators).
#[utoipa::path(post, path = "/users", tag = "管理", security(("bearer" = [])),
    request_body = NewUserBody,
    responses((status = 201, body = UserJson), Failure))]
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
    v.generated_password = generated;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// A page of the audit log of the caller's subtree (auditors and administrators); reading it
/// is itself recorded.
#[utoipa::path(get, path = "/audit", tag = "管理", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = anju_store::AuditPage), Failure))]
async fn audit(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<anju_store::AuditPage>, AppError> {
    let q = query(q)?;
    Ok(Json(read(&app, s.scope(), &q, 100).await?))
}
