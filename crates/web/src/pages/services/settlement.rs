//! Settlement pages: the bills of the providers serving the user's region, the form that
//! drafts a provider's month, a bill's lines with its approval, and the payment sheet.

use anju_domain::money::Fen;
use anju_domain::month::Month;
use anju_store::Bill;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::HERE;
use crate::auth::{PageUser, Session};
use crate::pages::Key;
use crate::pages::Layout;
use crate::{App, AppError};

pub struct BillRow {
    pub href: String,
    pub provider: String,
    pub month: String,
    pub state: &'static str,
    pub lines: i64,
    pub total: String,
}

fn state_label(s: &str) -> &'static str {
    if s == "approved" {
        "已审核"
    } else {
        "草稿"
    }
}

fn row(b: &Bill) -> BillRow {
    BillRow {
        href: format!("/settlements/{}", b.id),
        provider: b.provider.clone(),
        month: b.month.clone(),
        state: state_label(&b.state),
        lines: b.line_count,
        total: Fen(b.total_fen).yuan(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settlements.html")]
pub struct ListPage {
    layout: Layout,
    rows: Vec<BillRow>,
    providers: Vec<(i64, String)>,
    month: String,
    error: Option<String>,
}

async fn list_page(app: &App, s: &Session, error: Option<String>) -> Result<ListPage, AppError> {
    let scope = s.scope();
    Ok(ListPage {
        layout: Layout::for_session(s, "服务结算", HERE),
        rows: app
            .store
            .settlements()
            .list(scope)
            .await?
            .iter()
            .map(row)
            .collect(),
        providers: app
            .store
            .providers()
            .list(scope)
            .await?
            .into_iter()
            .map(|p| (p.id, p.provider.name))
            .collect(),
        month: Month::of(app.store.today()).prev().to_string(),
        error,
    })
}

pub async fn list(State(app): State<App>, PageUser(s): PageUser) -> Result<ListPage, AppError> {
    list_page(&app, &s, None).await
}

#[derive(Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    month: String,
}

pub async fn draft(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<DraftForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let refuse = |msg: String| async {
        let page = list_page(&app, &s, Some(msg)).await?;
        Ok::<Response, AppError>((StatusCode::BAD_REQUEST, page).into_response())
    };
    let Ok(month) = Month::parse(&f.month) else {
        return refuse(format!("月份“{}”无效，应如2025-09", f.month)).await;
    };
    let Ok(provider) = f.provider.parse::<i64>() else {
        return refuse("请选择服务机构".into()).await;
    };
    match app
        .store
        .settlements()
        .draft(s.scope(), provider, month)
        .await
    {
        Ok(d) => Ok(Redirect::to(&format!("/settlements/{}", d.bill.id)).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(msg) => refuse(msg).await,
            other => Err(other),
        },
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settlement.html")]
pub struct BillPage {
    layout: Layout,
    b: BillRow,
    id: i64,
    second: bool,
    made_by: String,
    approved_by: String,
    can_approve: bool,
    lines: Vec<[String; 7]>,
    error: Option<String>,
}

async fn bill_page(
    app: &App,
    s: &Session,
    id: i64,
    error: Option<String>,
) -> Result<BillPage, AppError> {
    let scope = s.scope();
    let st = app.store.settlements();
    let b = st.get(scope, id).await?;
    let lines = st.lines(scope, id).await?;
    app.store
        .persons()
        .record_view(
            scope,
            "settlement.view",
            format!("bill:{id}"),
            format!("{}行", lines.len()),
        )
        .await?;
    Ok(BillPage {
        layout: Layout::for_session(s, &format!("{} {} 结算单", b.provider, b.month), HERE),
        id,
        second: b.second_approval,
        made_by: b.made_by.clone(),
        approved_by: b.approved_by.clone().unwrap_or_default(),
        can_approve: b.state == "draft" && !(b.second_approval && b.made_by == scope.username()),
        lines: lines
            .into_iter()
            .map(|l| {
                [
                    l.name,
                    l.id_number,
                    l.programme,
                    l.units.to_string(),
                    Fen(l.unit_fen).yuan(),
                    Fen(l.amount_fen).yuan(),
                    l.note,
                ]
            })
            .collect(),
        b: row(&b),
        error,
    })
}

pub async fn show(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
) -> Result<BillPage, AppError> {
    bill_page(&app, &s, id, None).await
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn approve(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    match app.store.settlements().approve(s.scope(), id).await {
        Ok(_) => Ok(Redirect::to(&format!("/settlements/{id}")).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(msg) => {
                let page = bill_page(&app, &s, id, Some(msg)).await?;
                Ok((StatusCode::BAD_REQUEST, page).into_response())
            }
            other => Err(other),
        },
    }
}

/// The payment sheet of an approved bill.
pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
) -> Result<Response, AppError> {
    let b = app.store.settlements().get(s.scope(), id).await?;
    let path = app
        .work_dir
        .join(format!("bill-{}.xlsx", anju_store::random_token()));
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let written = anju_jobs::export_bill(&app.store, s.scope(), id, &path).await;
    let bytes = tokio::fs::read(&path).await;
    let _ = tokio::fs::remove_file(&path).await;
    match written {
        Ok(_) => {}
        Err(anju_jobs::ExportError::Store(e)) => return Err(e.into()),
        Err(anju_jobs::ExportError::Write(e)) => return Err(AppError::Internal(e)),
    }
    let bytes = bytes.map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::pages::xlsx_download(
        "payment.xlsx",
        &format!("{}{}结算支付表.xlsx", b.provider, b.month),
        bytes,
    ))
}
