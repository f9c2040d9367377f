//! The employment security levy through the API: a declaration year's levy for the caller's
//! subtree (county, city, administrator), refused with its reasons while the year's sheets
//! have faults or a region lacks its parameters.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::doc::Failure;
use super::query;
use crate::auth::ApiUser;
use crate::{App, AppError};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LevyQuery {
    /// The declaration year (the employers' figures are of the year before).
    #[param(example = 2025)]
    year: i32,
    /// Only the employers under this region.
    #[serde(default)]
    region: Option<String>,
}

/// Each employer's levy of a declaration year, every figure exact.
#[utoipa::path(get, path = "/levy", tag = "就业", security(("bearer" = [])),
    params(LevyQuery), responses((status = 200, body = anju_store::LevyRun), Failure))]
pub async fn levy(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    q: Result<Query<LevyQuery>, QueryRejection>,
) -> Result<Json<anju_store::LevyRun>, AppError> {
    let q = query(q)?;
    if !(2015..=2100).contains(&q.year) {
        return Err(AppError::BadRequest(format!(
            "年度“{}”应在2015至2100之间",
            q.year
        )));
    }
    let region = q.region.as_deref().map(str::trim).filter(|r| !r.is_empty());
    Ok(Json(
        app.store
            .levies()
            .compute(s.scope(), q.year, region, false)
            .await?,
    ))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct EmploymentHistory {
    /// Every status recorded, the latest first.
    statuses: Vec<anju_store::StatusRecord>,
}

/// A file's employment, every change kept.
#[utoipa::path(get, path = "/persons/{id}/employment", tag = "就业", security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号", example = "320102194901010013")),
    responses((status = 200, body = EmploymentHistory), Failure))]
pub async fn employment(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    axum::extract::Path(id_number): axum::extract::Path<String>,
) -> Result<Json<EmploymentHistory>, AppError> {
    let id = crate::pages::persons::show::parse_id(&id_number)?;
    let rec = app.store.persons().lookup(s.scope(), &id).await?;
    Ok(Json(EmploymentHistory {
        statuses: app.store.employment().history(s.scope(), rec.id).await?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusBody {
    /// 按比例, 集中, 个体/创业, 辅助性, 农村种养加, 灵活, 公益性岗位 or 未就业 (or the English
    /// names: quota, concentrated, self_employed, auxiliary, rural, flexible, public_welfare,
    /// unemployed).
    #[schema(example = "灵活")]
    form: String,
    #[schema(format = Date, example = "2025-03-01")]
    since: String,
    #[serde(default)]
    employer_code: String,
    #[serde(default)]
    employer_name: String,
    /// Why not employed (未就业).
    #[serde(default)]
    reason: String,
    /// What the person lives on (未就业).
    #[serde(default)]
    means: String,
}

/// Records a status on a file (a change of form, employer or none); the file's employment.
#[utoipa::path(post, path = "/persons/{id}/employment", tag = "就业", security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号", example = "320102194901010013")),
    request_body = StatusBody, responses((status = 200, body = EmploymentHistory), Failure))]
pub async fn record_employment(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    axum::extract::Path(id_number): axum::extract::Path<String>,
    b: Result<Json<StatusBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<EmploymentHistory>, AppError> {
    let id = crate::pages::persons::show::parse_id(&id_number)?;
    let b = super::body(b)?;
    let rec = app.store.persons().lookup(s.scope(), &id).await?;
    let input = anju_domain::employment::StatusInput {
        form: b.form,
        since: b.since,
        employer_code: b.employer_code,
        employer_name: b.employer_name,
        reason: b.reason,
        means: b.means,
    };
    let e = app.store.employment();
    e.record(s.scope(), rec.id, &input).await?;
    Ok(Json(EmploymentHistory {
        statuses: e.history(s.scope(), rec.id).await?,
    }))
}
