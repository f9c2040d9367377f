//! Settlement through the API: the bills of the providers serving the caller's region, a
//! provider's month drafted from its deliveries, a bill with its lines (masked, the view
//! audited), and its approval (by another user when a programme asks for it).

use anju_domain::month::Month;
use anju_store::{Bill, BillLine};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body;
use super::doc::Failure;
use crate::auth::ApiUser;
use crate::{App, AppError};

#[derive(Serialize, ToSchema)]
pub struct Bills {
    bills: Vec<Bill>,
}

/// The bills of the providers serving the caller's region (county, city, administrator).
#[utoipa::path(get, path = "/settlements", tag = "服务", security(("bearer" = [])),
    responses((status = 200, body = Bills), Failure))]
pub async fn bills(State(app): State<App>, ApiUser(s): ApiUser) -> Result<Json<Bills>, AppError> {
    Ok(Json(Bills {
        bills: app.store.settlements().list(s.scope()).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct DraftBody {
    /// The provider's row id.
    provider_id: i64,
    #[schema(example = "2025-09")]
    month: String,
}

#[derive(Serialize, ToSchema)]
pub struct Drafted {
    bill: Bill,
    /// Deliveries that could not be priced, and why.
    unpriced: Vec<anju_domain::programme::settlement::Unpriced>,
}

/// Makes (or makes again) a provider's draft bill of a month from its deliveries not yet on
/// an approved bill.
#[utoipa::path(post, path = "/settlements", tag = "服务", security(("bearer" = [])),
    request_body = DraftBody, responses((status = 200, body = Drafted), Failure))]
pub async fn draft(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    b: Result<Json<DraftBody>, JsonRejection>,
) -> Result<Json<Drafted>, AppError> {
    let b = body(b)?;
    let month = Month::parse(b.month.trim())
        .map_err(|_| AppError::BadRequest(format!("月份“{}”应如2025-09", b.month)))?;
    let d = app
        .store
        .settlements()
        .draft(s.scope(), b.provider_id, month)
        .await?;
    Ok(Json(Drafted {
        bill: d.bill,
        unpriced: d.unpriced,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct BillWithLines {
    bill: Bill,
    lines: Vec<BillLine>,
}

/// A bill and its lines.
#[utoipa::path(get, path = "/settlements/{id}", tag = "服务", security(("bearer" = [])),
    params(("id" = String, Path, description = "结算单编号", example = "1")),
    responses((status = 200, body = BillWithLines), Failure))]
pub async fn bill(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<BillWithLines>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let st = app.store.settlements();
    let bill = st.get(s.scope(), id).await?;
    let lines = st.lines(s.scope(), id).await?;
    super::viewed(
        &app,
        s.scope(),
        "settlement.view",
        format!("bill:{id}"),
        lines.len(),
    )
    .await?;
    Ok(Json(BillWithLines { bill, lines }))
}

/// Approves a draft bill; it is frozen from then on.
#[utoipa::path(post, path = "/settlements/{id}/approve", tag = "服务", security(("bearer" = [])),
    params(("id" = String, Path, description = "结算单编号", example = "1")),
    responses((status = 200, body = Bill), Failure))]
pub async fn approve(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Bill>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    Ok(Json(app.store.settlements().approve(s.scope(), id).await?))
}
