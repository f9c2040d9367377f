//! The employment security levy's pages (残疾人就业保障金): the year's list for the user's
//! subtree (or the faults that keep it from being computed), each employer's figures explained
//! in words, the Excel export, and the imports of the three sheets.

use anju_domain::money::Fen;
use anju_store::{LevyLine, LevyRun};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Datelike;
use serde::Deserialize;

use crate::auth::{PageUser, Session};
use crate::pages::Layout;
use crate::{App, AppError};

const HERE: &str = "/levy";

pub fn routes() -> Router<App> {
    Router::new()
        .route("/levy", get(list))
        .route("/levy/export.xlsx", get(export))
        .route("/levy/rewards.xlsx", get(rewards_export))
        .route("/levy/employers/{code}", get(employer))
        .route(
            "/levy/import/{sheet}",
            post(import).layer(axum::extract::DefaultBodyLimit::max(64 << 20)),
        )
}

#[derive(Deserialize, Default)]
pub struct LevyQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    region: String,
}

fn may(s: &Session) -> Result<(), AppError> {
    if s.scope().role().manages_services() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The declaration year asked for (this year by default).
fn year_of(app: &App, q: &LevyQuery) -> Result<i32, AppError> {
    match q.year.trim() {
        "" => Ok(app.store.today().year()),
        y => y
            .parse()
            .ok()
            .filter(|y| (2015..=2100).contains(y))
            .ok_or_else(|| AppError::BadRequest(format!("“{y}”不是年度"))),
    }
}

/// The run, or why it cannot be computed (faults, parameters).
async fn run(
    app: &App,
    s: &Session,
    year: i32,
    region: &str,
    explain: bool,
) -> Result<Result<LevyRun, String>, AppError> {
    let region = Some(region.trim()).filter(|r| !r.is_empty());
    match app
        .store
        .levies()
        .compute(s.scope(), year, region, explain)
        .await
    {
        Ok(r) => Ok(Ok(r)),
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(m) => Ok(Err(m)),
            other => Err(other),
        },
    }
}

pub struct Row {
    pub href: String,
    pub l: LevyLine,
    pub due: String,
    pub gross: String,
    pub reward: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "levy.html")]
pub struct ListPage {
    layout: Layout,
    year: i32,
    region: String,
    regions: Vec<(String, String)>,
    rows: Vec<Row>,
    total: String,
    refused: Option<String>,
    export_query: String,
    error: Option<String>,
}

async fn list_page(
    app: &App,
    s: &Session,
    q: &LevyQuery,
    error: Option<String>,
) -> Result<ListPage, AppError> {
    may(s)?;
    let year = year_of(app, q)?;
    let (rows, total, refused) = match run(app, s, year, &q.region, false).await? {
        Ok(r) => (
            r.employers
                .into_iter()
                .map(|l| Row {
                    href: format!("/levy/employers/{}?year={year}", l.credit_code),
                    due: Fen(l.due_fen).yuan(),
                    gross: Fen(l.gross_fen).yuan(),
                    reward: l.reward_fen.map(|f| Fen(f).yuan()).unwrap_or_default(),
                    l,
                })
                .collect(),
            Fen(r.total_fen).yuan(),
            None,
        ),
        Err(m) => (Vec::new(), String::new(), Some(m)),
    };
    Ok(ListPage {
        layout: Layout::for_session(s, &format!("{year}年度残疾人就业保障金"), HERE),
        year,
        region: q.region.clone(),
        regions: crate::pages::region_choices(
            &s.scope().region().code,
            &[anju_domain::Level::County],
            3000,
        ),
        rows,
        total,
        refused,
        export_query: serde_urlencoded::to_string([
            ("year", year.to_string().as_str()),
            ("region", q.region.as_str()),
        ])
        .unwrap_or_default(),
        error,
    })
}

pub async fn list(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<LevyQuery>,
) -> Result<ListPage, AppError> {
    list_page(&app, &s, &q, None).await
}

pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<LevyQuery>,
) -> Result<Response, AppError> {
    may(&s)?;
    let year = year_of(&app, &q)?;
    let r = run(&app, &s, year, &q.region, false)
        .await?
        .map_err(AppError::BadRequest)?;
    let path = app
        .work_dir
        .join(format!("levy-{}.xlsx", anju_store::random_token()));
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let headers = [
        "统一社会信用代码",
        "单位名称",
        "单位类型",
        "所属区划",
        "应安排人数",
        "实际安排人数",
        "差额人数",
        "年平均工资（元）",
        "应缴额（元）",
        "减免比例（%）",
        "实缴额（元）",
        "说明",
    ];
    let write = || -> Result<(), anju_io::WriteError> {
        let mut w = anju_io::SheetWriter::create(&path, &headers)?;
        for l in &r.employers {
            let cells = [
                l.credit_code.clone(),
                l.name.clone(),
                l.kind.label().to_owned(),
                anju_domain::RegionTable::jiangsu().name_of(&l.region_code),
                l.required.clone(),
                l.counted.clone(),
                l.shortfall.clone(),
                Fen(l.avg_wage_fen).yuan(),
                Fen(l.gross_fen).yuan(),
                l.reduction_percent.to_string(),
                Fen(l.due_fen).yuan(),
                l.exempt_reason.clone().unwrap_or_default(),
            ];
            w.write_row(&cells.iter().map(String::as_str).collect::<Vec<_>>())?;
        }
        w.finish()
    };
    write().map_err(|e| AppError::Internal(e.to_string()))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let _ = tokio::fs::remove_file(&path).await;
    Ok(crate::pages::xlsx_download(
        "levy.xlsx",
        &format!("{year}年度残疾人就业保障金.xlsx"),
        bytes,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "levy_employer.html")]
pub struct EmployerPage {
    layout: Layout,
    year: i32,
    l: LevyLine,
    region: String,
    due: String,
    gross: String,
    avg_wage: String,
}

pub async fn employer(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(code): Path<String>,
    Query(q): Query<LevyQuery>,
) -> Result<Response, AppError> {
    may(&s)?;
    let year = year_of(&app, &q)?;
    let r = match run(&app, &s, year, "", true).await? {
        Ok(r) => r,
        Err(m) => {
            let page = list_page(&app, &s, &q, Some(m)).await?;
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let l = r
        .employers
        .into_iter()
        .find(|l| l.credit_code == code.trim().to_ascii_uppercase())
        .ok_or(AppError::NotFound)?;
    Ok(EmployerPage {
        layout: Layout::for_session(&s, &l.name, HERE),
        year,
        region: anju_domain::RegionTable::jiangsu().name_of(&l.region_code),
        due: Fen(l.due_fen).yuan(),
        gross: Fen(l.gross_fen).yuan(),
        avg_wage: Fen(l.avg_wage_fen).yuan(),
        l,
    }
    .into_response())
}

/// Imports one of the three sheets: `employers` and `staff` of a data year, `params`.
pub async fn import(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(sheet): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    may(&s)?;
    if !matches!(sheet.as_str(), "employers" | "staff" | "params") {
        return Err(AppError::NotFound);
    }
    let started = crate::pages::services::upload(
        &app,
        &s,
        multipart,
        "/levy",
        move |store, scope, path, opts, year| async move {
            let year = year.as_deref().map(str::trim).unwrap_or("");
            let year: Option<i32> = year.parse().ok().filter(|y| (2015..=2100).contains(y));
            match (sheet.as_str(), year) {
                ("params", _) => anju_jobs::levy::import_params(&store, &scope, &path, &opts).await,
                ("employers", Some(y)) => {
                    anju_jobs::levy::import_employers(&store, &scope, &path, y, &opts).await
                }
                ("staff", Some(y)) => {
                    anju_jobs::levy::import_staff(&store, &scope, &path, y, &opts).await
                }
                _ => Err(anju_jobs::ImportError::Store(
                    anju_store::StoreError::Invalid(
                        "请填写数据年度（表中数据所属的年度，如2024）".into(),
                    ),
                )),
            }
        },
    )
    .await?;
    match started {
        Ok(r) => Ok(r),
        Err(msg) => {
            let page = list_page(&app, &s, &LevyQuery::default(), Some(msg)).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

/// The employers rewarded for meeting or exceeding the ratio, for approval.
pub async fn rewards_export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<LevyQuery>,
) -> Result<Response, AppError> {
    may(&s)?;
    let year = year_of(&app, &q)?;
    let r = run(&app, &s, year, &q.region, false)
        .await?
        .map_err(AppError::BadRequest)?;
    let path = app
        .work_dir
        .join(format!("rewards-{}.xlsx", anju_store::random_token()));
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let headers = [
        "统一社会信用代码",
        "单位名称",
        "所属区划",
        "应安排人数",
        "实际安排人数",
        "奖励倍数",
        "奖励金额（元）",
        "审批意见",
    ];
    let write = || -> Result<(), anju_io::WriteError> {
        let mut w = anju_io::SheetWriter::create(&path, &headers)?;
        for l in r.employers.iter().filter(|l| l.reward_fen.is_some()) {
            let cells = [
                l.credit_code.clone(),
                l.name.clone(),
                anju_domain::RegionTable::jiangsu().name_of(&l.region_code),
                l.required.clone(),
                l.counted.clone(),
                l.reward_multiple.map(|m| m.to_string()).unwrap_or_default(),
                Fen(l.reward_fen.unwrap_or(0)).yuan(),
                String::new(),
            ];
            w.write_row(&cells.iter().map(String::as_str).collect::<Vec<_>>())?;
        }
        w.finish()
    };
    write().map_err(|e| AppError::Internal(e.to_string()))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let _ = tokio::fs::remove_file(&path).await;
    Ok(crate::pages::xlsx_download(
        "rewards.xlsx",
        &format!("{year}年度超比例安排残疾人就业奖励名单.xlsx"),
        bytes,
    ))
}
