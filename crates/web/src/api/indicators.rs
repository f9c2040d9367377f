//! Plan indicators through the API: a region's indicators against their targets with its
//! child regions' (the JSON `anju indicators --json` prints), and the people behind one
//! indicator (masked by role, audited). Scoped as the pages are.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::doc::Failure;
use super::query;
use crate::auth::ApiUser;
use crate::{App, AppError};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorsQuery {
    /// The region's code (320102 for 320102000000; default: the caller's own).
    #[serde(default)]
    region: Option<String>,
    /// The values on this day (YYYY-MM-DD; default: today).
    #[serde(default)]
    date: Option<String>,
    /// The values at this year's end (its frozen snapshot when taken).
    #[serde(default)]
    year: Option<String>,
}

impl IndicatorsQuery {
    fn when(&self) -> Result<anju_store::When, AppError> {
        let text = |o: &Option<String>| {
            o.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        if let Some(d) = text(&self.date) {
            return d
                .parse()
                .map(anju_store::When::Date)
                .map_err(|_| AppError::BadRequest(format!("日期“{d}”无效，应写作YYYY-MM-DD")));
        }
        if let Some(y) = text(&self.year) {
            return y
                .parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .map(anju_store::When::Year)
                .ok_or_else(|| AppError::BadRequest(format!("年度“{y}”无效")));
        }
        Ok(anju_store::When::Now)
    }
}

/// A region's indicators, now, on a day or at a year's end, each against its target and with
/// its child regions' values.
#[utoipa::path(get, path = "/indicators", tag = "规划指标", security(("bearer" = [])),
    params(IndicatorsQuery), responses((status = 200, body = anju_store::BoardJson), Failure))]
pub async fn board(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    q: Result<Query<IndicatorsQuery>, QueryRejection>,
) -> Result<Json<anju_store::BoardJson>, AppError> {
    let q = query(q)?;
    let b = app
        .store
        .indicators()
        .board(
            s.scope(),
            q.region.as_deref().filter(|r| !r.trim().is_empty()),
            q.when()?,
        )
        .await?;
    Ok(Json(b.json()))
}

#[derive(Serialize, ToSchema)]
pub struct IndicatorPeople {
    /// The indicator's code.
    key: String,
    name: String,
    region: String,
    /// The day the people were counted on (YYYY-MM-DD).
    as_of: String,
    /// Everyone listed: the population, for a share.
    total: usize,
    /// Those in the numerator.
    counted: usize,
    people: Vec<anju_store::BehindPerson>,
}

/// The people behind an indicator in a region (号码按权限脱敏); the view is audited.
#[utoipa::path(get, path = "/indicators/{key}/people", tag = "规划指标", security(("bearer" = [])),
    params(("key" = String, Path, description = "指标代码", example = "holders"), IndicatorsQuery),
    responses((status = 200, body = IndicatorPeople), Failure))]
pub async fn people(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(key): Path<String>,
    q: Result<Query<IndicatorsQuery>, QueryRejection>,
) -> Result<Json<IndicatorPeople>, AppError> {
    let q = query(q)?;
    let key = key.trim();
    if key.is_empty()
        || key.len() > 60
        || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(AppError::NotFound);
    }
    let date = match q.when()? {
        anju_store::When::Date(d) => Some(d),
        anju_store::When::Year(y) => {
            chrono::NaiveDate::from_ymd_opt(y, 12, 31).map(|d| d.min(app.store.today()))
        }
        anju_store::When::Now => None,
    };
    let (page, people) = app
        .store
        .indicators()
        .behind(
            s.scope(),
            q.region.as_deref().filter(|r| !r.trim().is_empty()),
            key,
            date,
            anju_store::Which::All,
            false,
        )
        .await?;
    Ok(Json(IndicatorPeople {
        key: page.key,
        name: page.name,
        region: page.region_code,
        as_of: page.as_of.to_string(),
        total: page.total,
        counted: page.counted,
        people,
    }))
}
