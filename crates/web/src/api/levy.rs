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
