//! The administrator's page of the verification service's keys: each department's key with
//! its purpose, region, quota and today's use; a new key's secret shown once; revoking.

use anju_store::{DeptKey, Purpose};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::auth::{PageUser, Session};
use crate::pages::Key;
use crate::pages::Layout;
use crate::{App, AppError};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/verify-keys", get(list).post(create))
        .route("/verify-keys/{id}/revoke", post(revoke))
}

#[derive(Template, WebTemplate)]
#[template(path = "verify_keys.html")]
pub struct KeysPage {
    layout: Layout,
    keys: Vec<DeptKey>,
    /// A key just made: its secret, shown this once.
    made: Option<(String, String)>,
    purposes: Vec<(&'static str, &'static str)>,
}

async fn page(
    app: &App,
    s: &Session,
    made: Option<(String, String)>,
) -> Result<KeysPage, AppError> {
    Ok(KeysPage {
        layout: Layout::for_session(s, "证照核验密钥", "/verify-keys"),
        keys: app.store.dept_keys().list(s.scope()).await?,
        made,
        purposes: [Purpose::Certificate, Purpose::Category]
            .map(|p| (p.as_str(), p.label()))
            .to_vec(),
    })
}

pub async fn list(State(app): State<App>, PageUser(s): PageUser) -> Result<KeysPage, AppError> {
    page(&app, &s, None).await
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    quota: String,
}

pub async fn create(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<KeyForm>,
) -> Result<KeysPage, AppError> {
    s.check_csrf(&f.csrf)?;
    let (key, secret) = app
        .store
        .dept_keys()
        .create(s.scope(), &f.department, &f.purpose, &f.region, &f.quota)
        .await?;
    page(&app, &s, Some((key.department, secret))).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn revoke(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    app.store.dept_keys().revoke(s.scope(), id).await?;
    Ok(Redirect::to("/verify-keys").into_response())
}
