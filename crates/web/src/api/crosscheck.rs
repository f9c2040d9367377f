//! Cross-checks through the API: the batches the caller sees, one batch with its classes per
//! town, the tasks of the caller's towns, confirmed or rejected. Lists are run from the page
//! or `anju crosscheck run`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::doc::Failure;
use super::{body, query};
use crate::auth::ApiUser;
use crate::{App, AppError};

fn key(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

#[derive(Serialize, ToSchema)]
pub struct Batches {
    batches: Vec<anju_store::Batch>,
}

/// The cross-check batches the caller sees, the latest first.
#[utoipa::path(get, path = "/crosscheck/batches", tag = "数据比对", security(("bearer" = [])),
    responses((status = 200, body = Batches), Failure))]
pub async fn batches(
    State(app): State<App>,
    ApiUser(s): ApiUser,
) -> Result<Json<Batches>, AppError> {
    Ok(Json(Batches {
        batches: app.store.crosschecks().batches(s.scope()).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct BatchDetail {
    batch: anju_store::Batch,
    /// Rows per class for each town of the caller's subtree.
    towns: Vec<anju_store::TownClasses>,
}

/// One batch, with its rows per class for each of the caller's towns.
#[utoipa::path(get, path = "/crosscheck/batches/{id}", tag = "数据比对", security(("bearer" = [])),
    params(("id" = String, Path, description = "批次编号")),
    responses((status = 200, body = BatchDetail), Failure))]
pub async fn batch(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<BatchDetail>, AppError> {
    let (batch, towns) = app.store.crosschecks().batch(s.scope(), key(&id)?).await?;
    Ok(Json(BatchDetail { batch, towns }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TasksQuery {
    /// open, confirmed or rejected (all when absent).
    #[serde(default)]
    status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Tasks {
    tasks: Vec<anju_store::Task>,
}

/// The tasks of the caller's towns, the nearest deadline first; numbers masked by role.
#[utoipa::path(get, path = "/crosscheck/tasks", tag = "数据比对", security(("bearer" = [])),
    params(TasksQuery), responses((status = 200, body = Tasks), Failure))]
pub async fn tasks(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    q: Result<Query<TasksQuery>, QueryRejection>,
) -> Result<Json<Tasks>, AppError> {
    let q = query(q)?;
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(st @ ("open" | "confirmed" | "rejected")) => Some(st),
        Some(st) => return Err(AppError::BadRequest(format!("“{st}”不是任务状态"))),
    };
    Ok(Json(Tasks {
        tasks: app.store.crosschecks().tasks(s.scope(), status).await?,
    }))
}

/// Confirms a task: its change is applied as an import applies it (once).
#[utoipa::path(post, path = "/crosscheck/tasks/{id}/confirm", tag = "数据比对", security(("bearer" = [])),
    params(("id" = String, Path, description = "任务编号")),
    responses((status = 200, body = anju_store::Task), Failure))]
pub async fn confirm(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<anju_store::Task>, AppError> {
    Ok(Json(
        app.store
            .crosschecks()
            .confirm(s.scope(), key(&id)?)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct RejectBody {
    /// Why the difference is not true.
    #[schema(example = "同名同生日，非本人")]
    reason: String,
}

/// Rejects a task with its reason.
#[utoipa::path(post, path = "/crosscheck/tasks/{id}/reject", tag = "数据比对", security(("bearer" = [])),
    params(("id" = String, Path, description = "任务编号")),
    request_body = RejectBody, responses((status = 200, body = anju_store::Task), Failure))]
pub async fn reject(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    b: Result<Json<RejectBody>, JsonRejection>,
) -> Result<Json<anju_store::Task>, AppError> {
    let b = body(b)?;
    Ok(Json(
        app.store
            .crosschecks()
            .reject(s.scope(), key(&id)?, &b.reason)
            .await?,
    ))
}
