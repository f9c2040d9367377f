//! The certificate verification service for other departments (证照核验): a department's key
//! asks up to 1,000 ID numbers and learns only whether each holds a valid certificate (and,
//! where its purpose allows, the category and whether severe). Each call is audited with the
//! count; over the day's quota, 429.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body;
use super::doc::Failure;
use crate::auth::DeptKeyUser;
use crate::{App, AppError};

#[derive(Deserialize, ToSchema)]
pub struct VerifyBody {
    /// 1 to 1,000 ID numbers (18 digits, or 15 converted).
    #[schema(example = json!(["320102194901010013"]))]
    id_numbers: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct VerifyAnswer {
    department: String,
    results: Vec<anju_store::Verified>,
}

/// Whether each ID number holds a valid certificate (a department's key only).
#[utoipa::path(post, path = "/verify", tag = "证照核验", security(("bearer" = [])),
    request_body = VerifyBody, responses((status = 200, body = VerifyAnswer), Failure))]
pub async fn verify(
    State(app): State<App>,
    DeptKeyUser(key, client): DeptKeyUser,
    b: Result<Json<VerifyBody>, JsonRejection>,
) -> Result<Json<VerifyAnswer>, AppError> {
    let b = body(b)?;
    let results = app
        .store
        .dept_keys()
        .verify(&key, &b.id_numbers, &client)
        .await?;
    Ok(Json(VerifyAnswer {
        department: key.department,
        results,
    }))
}
