//! Home visits through the API: the caller's visit list, a person's visits and a new one
//! (kept once per token), and the follow-ups visits raised, closed by the town. Scoped as
//! the pages are; ID numbers masked by role; every list of names audited.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::doc::Failure;
use super::{body, query};
use crate::auth::ApiUser;
use crate::{App, AppError};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// Only the overdue.
    #[serde(default)]
    overdue: bool,
    /// Only under this rule (its name, as in `data/visits/rules.tsv`).
    #[serde(default)]
    rule: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DueList {
    visits: Vec<anju_store::VisitDue>,
}

/// The people the visit rules name in the caller's subtree, with their next visit, the
/// nearest first.
#[utoipa::path(get, path = "/visits", tag = "入户访视", security(("bearer" = [])),
    params(DueQuery), responses((status = 200, body = DueList), Failure))]
pub async fn due(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    q: Result<Query<DueQuery>, QueryRejection>,
) -> Result<Json<DueList>, AppError> {
    let q = query(q)?;
    let visits = app
        .store
        .visits()
        .due(
            s.scope(),
            &anju_store::DueFilter {
                overdue_only: q.overdue,
                rule: q.rule.filter(|r| !r.trim().is_empty()),
                ..anju_store::DueFilter::default()
            },
        )
        .await?;
    app.store
        .persons()
        .record_view(
            s.scope(),
            "visit.list",
            "visits".into(),
            format!("访视名单{}人", visits.len()),
        )
        .await?;
    Ok(Json(DueList { visits }))
}

#[derive(Serialize, ToSchema)]
pub struct PersonVisits {
    visits: Vec<anju_store::VisitRecord>,
}

async fn person_key(app: &App, s: &crate::auth::Session, id_number: &str) -> Result<i64, AppError> {
    let id = crate::pages::persons::show::parse_id(id_number)?;
    Ok(app.store.persons().lookup(s.scope(), &id).await?.id)
}

/// A person's visits, the latest first.
#[utoipa::path(get, path = "/persons/{id}/visits", tag = "入户访视", security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号", example = "320102194901010013")),
    responses((status = 200, body = PersonVisits), Failure))]
pub async fn of_person(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id_number): Path<String>,
) -> Result<Json<PersonVisits>, AppError> {
    let person = person_key(&app, &s, &id_number).await?;
    let visits = app.store.visits().of_person(s.scope(), person).await?;
    app.store
        .persons()
        .record_view(
            s.scope(),
            "visit.view",
            format!("person:{person}"),
            format!("走访记录{}条", visits.len()),
        )
        .await?;
    Ok(Json(PersonVisits { visits }))
}

#[derive(Deserialize, ToSchema)]
pub struct VisitBody {
    #[serde(flatten)]
    visit: anju_domain::visit::VisitInput,
    /// A token the client makes once per form: the same form sent again is kept once.
    #[serde(default)]
    token: Option<String>,
}

/// Records a visit (village workers and staff who write files).
#[utoipa::path(post, path = "/persons/{id}/visits", tag = "入户访视", security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号", example = "320102194901010013")),
    request_body = VisitBody, responses((status = 200, body = anju_store::VisitRecord), Failure))]
pub async fn record(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id_number): Path<String>,
    b: Result<Json<VisitBody>, JsonRejection>,
) -> Result<Json<anju_store::VisitRecord>, AppError> {
    let b = body(b)?;
    let person = person_key(&app, &s, &id_number).await?;
    Ok(Json(
        app.store
            .visits()
            .record(s.scope(), person, &b.visit, b.token.as_deref())
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowupsQuery {
    /// Closed ones too.
    #[serde(default)]
    all: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Followups {
    followups: Vec<anju_store::Followup>,
}

/// What visits asked the towns of the caller's subtree to follow up.
#[utoipa::path(get, path = "/visit-followups", tag = "入户访视", security(("bearer" = [])),
    params(FollowupsQuery), responses((status = 200, body = Followups), Failure))]
pub async fn followups(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    q: Result<Query<FollowupsQuery>, QueryRejection>,
) -> Result<Json<Followups>, AppError> {
    let q = query(q)?;
    let followups = app.store.visits().followups(s.scope(), !q.all).await?;
    app.store
        .persons()
        .record_view(
            s.scope(),
            "visit.followups",
            "visit_followups".into(),
            format!("跟进事项{}条", followups.len()),
        )
        .await?;
    Ok(Json(Followups { followups }))
}

#[derive(Deserialize, ToSchema)]
pub struct CloseBody {
    /// What was done.
    #[schema(example = "已协调村委修缮")]
    outcome: String,
}

#[derive(Serialize, ToSchema)]
pub struct Closed {
    ok: bool,
}

/// Closes a follow-up with what was done (town staff and above).
#[utoipa::path(post, path = "/visit-followups/{id}/close", tag = "入户访视",
    security(("bearer" = [])), params(("id" = String, Path, description = "跟进事项编号")),
    request_body = CloseBody, responses((status = 200, body = Closed), Failure))]
pub async fn close(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    b: Result<Json<CloseBody>, JsonRejection>,
) -> Result<Json<Closed>, AppError> {
    let b = body(b)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    app.store
        .visits()
        .close_followup(s.scope(), id, &b.outcome)
        .await?;
    Ok(Json(Closed { ok: true }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GapsQuery {
    /// Only under this region (its code; 320102 for 320102000000).
    #[serde(default)]
    region: Option<String>,
}

/// The needs visits recorded that no service answers (需求未满足预警), per person and counted
/// per town and need.
#[utoipa::path(get, path = "/needs/gaps", tag = "入户访视", security(("bearer" = [])),
    params(GapsQuery), responses((status = 200, body = anju_store::Gaps), Failure))]
pub async fn gaps(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    q: Result<Query<GapsQuery>, QueryRejection>,
) -> Result<Json<anju_store::Gaps>, AppError> {
    let q = query(q)?;
    let g = app
        .store
        .needs()
        .gaps(s.scope(), q.region.as_deref())
        .await?;
    app.store
        .persons()
        .record_view(
            s.scope(),
            "needs.gaps",
            format!("region:{}", g.region),
            format!("需求未满足预警{}条", g.warnings.len()),
        )
        .await?;
    Ok(Json(g))
}

/// A survey year from the path.
fn year_param(y: &str) -> Result<i32, AppError> {
    y.trim()
        .parse()
        .ok()
        .filter(|y| (2015..=2100).contains(y))
        .ok_or_else(|| AppError::BadRequest(format!("“{y}”不是调查年度")))
}

#[derive(Serialize, ToSchema)]
pub struct Progress {
    year: i32,
    regions: Vec<anju_store::SurveyProgress>,
}

/// The annual survey's progress of a year per child region of the caller's.
#[utoipa::path(get, path = "/survey/{year}/progress", tag = "入户访视", security(("bearer" = [])),
    params(("year" = i32, Path, description = "调查年度", example = 2026)),
    responses((status = 200, body = Progress), Failure))]
pub async fn survey_progress(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(year): Path<String>,
) -> Result<Json<Progress>, AppError> {
    let year = year_param(&year)?;
    Ok(Json(Progress {
        year,
        regions: app.store.survey().progress(s.scope(), year).await?,
    }))
}

/// A person's survey form of a year: as saved, or prefilled; with the answers the file
/// contradicts.
#[utoipa::path(get, path = "/persons/{id}/survey/{year}", tag = "入户访视",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号", example = "320102194901010013"),
        ("year" = i32, Path, description = "调查年度", example = 2026)),
    responses((status = 200, body = anju_store::SurveyForm), Failure))]
pub async fn survey_form(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path((id_number, year)): Path<(String, String)>,
) -> Result<Json<anju_store::SurveyForm>, AppError> {
    let year = year_param(&year)?;
    let person = person_key(&app, &s, &id_number).await?;
    let f = app.store.survey().form(s.scope(), year, person).await?;
    app.store
        .persons()
        .record_view(
            s.scope(),
            "survey.view",
            format!("person:{person}"),
            format!("{year}年度调查表"),
        )
        .await?;
    Ok(Json(f))
}

#[derive(Deserialize, ToSchema)]
pub struct SurveyBody {
    /// Answers by question code or label.
    answers: std::collections::BTreeMap<String, String>,
    /// The form's version when it was read (0 for a new one).
    #[serde(default)]
    version: i64,
}

/// Saves a person's survey form of a year; a form changed since it was read is refused.
#[utoipa::path(post, path = "/persons/{id}/survey/{year}", tag = "入户访视",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号", example = "320102194901010013"),
        ("year" = i32, Path, description = "调查年度", example = 2026)),
    request_body = SurveyBody, responses((status = 200, body = anju_store::SurveyForm), Failure))]
pub async fn survey_save(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path((id_number, year)): Path<(String, String)>,
    b: Result<Json<SurveyBody>, JsonRejection>,
) -> Result<Json<anju_store::SurveyForm>, AppError> {
    let b = body(b)?;
    let year = year_param(&year)?;
    let person = person_key(&app, &s, &id_number).await?;
    Ok(Json(
        app.store
            .survey()
            .save(s.scope(), year, person, &b.answers, b.version)
            .await?,
    ))
}
