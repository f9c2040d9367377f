//! The assistive-device catalogue (辅具目录): every entry by class code and region, and its
//! import (with a template) for a county, city or administrator.

use anju_domain::money::Fen;
use anju_domain::programme::device::{COLUMNS, column_help};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::HERE;
use crate::auth::{PageUser, Session};
use crate::pages::Layout;
use crate::{App, AppError};

pub struct ItemRow {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub years: i64,
    pub subsidy: String,
    pub conditions: String,
    pub region: String,
    pub months: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "devices.html")]
pub struct ListPage {
    layout: Layout,
    rows: Vec<ItemRow>,
    can_import: bool,
    headers: Vec<&'static str>,
    error: Option<String>,
}

async fn page(app: &App, s: &Session, error: Option<String>) -> Result<ListPage, AppError> {
    let rows = app.store.devices().list(s.scope()).await?;
    Ok(ListPage {
        layout: Layout::for_session(s, "辅助器具目录", HERE),
        rows: rows
            .into_iter()
            .map(|i| ItemRow {
                region: anju_domain::RegionTable::jiangsu()
                    .current(&format!("{:0<12}", i.region_prefix))
                    .map_or_else(|_| i.region_prefix.clone(), |r| r.name.clone()),
                months: match &i.to_month {
                    Some(t) => format!("{}至{t}", i.from_month),
                    None => format!("{}起", i.from_month),
                },
                code: i.code,
                name: i.name,
                unit: i.unit,
                years: i.years_of_use,
                subsidy: format!("{}元", Fen(i.subsidy_fen).yuan()),
                conditions: if i.conditions.is_empty() {
                    "持证即可".into()
                } else {
                    i.conditions
                },
            })
            .collect(),
        can_import: s.scope().role().manages_services(),
        headers: COLUMNS.iter().map(|(h, _, _)| *h).collect(),
        error,
    })
}

pub async fn list(State(app): State<App>, PageUser(s): PageUser) -> Result<ListPage, AppError> {
    page(&app, &s, None).await
}

fn may_import(s: &Session) -> Result<(), AppError> {
    if s.scope().role().manages_services() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn template(PageUser(s): PageUser) -> Result<Response, AppError> {
    may_import(&s)?;
    super::template_of(&COLUMNS, column_help, "辅助器具目录导入模板.xlsx")
}

pub async fn import_upload(
    State(app): State<App>,
    PageUser(s): PageUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    may_import(&s)?;
    let started = super::upload(
        &app,
        &s,
        multipart,
        "/devices",
        |store, scope, path, opts, _| async move {
            anju_jobs::import_devices(&store, &scope, &path, &opts).await
        },
    )
    .await?;
    match started {
        Ok(r) => Ok(r),
        Err(msg) => Ok((StatusCode::BAD_REQUEST, page(&app, &s, Some(msg)).await?).into_response()),
    }
}
