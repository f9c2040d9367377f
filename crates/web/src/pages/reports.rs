//! The monthly and yearly reports (月报、年报) of a region: a page printed on A4 as it is
//! (its own print stylesheet), and the same as an Excel workbook, generated on demand; the
//! command line writes either (`anju report`).

use anju_store::Report;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use axum::routing::get;
use chrono::Datelike;
use serde::Deserialize;

use crate::auth::PageUser;
use crate::{App, AppError};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/reports", get(show))
        .route("/reports/export.xlsx", get(export))
}

/// The report's stylesheet: served to the page, inlined into a written file.
pub const REPORT_CSS: &str = include_str!("../../static/report.css");

#[derive(Template)]
#[template(path = "report.html")]
struct ReportDoc<'a> {
    r: &'a Report,
    css: &'static str,
    basis: String,
    generated: String,
    web: bool,
    query: String,
    month: String,
}

/// The report as a standalone HTML document (`web`: with the links and the period form).
pub fn report_html(r: &Report, web: bool) -> Result<String, String> {
    let month = if r.period.contains('月') {
        r.from.month().to_string()
    } else {
        String::new()
    };
    let query = serde_urlencoded::to_string([
        ("region", r.board.region.code.to_string()),
        ("year", r.from.year().to_string()),
        ("month", month.clone()),
    ])
    .unwrap_or_default();
    ReportDoc {
        r,
        css: REPORT_CSS,
        basis: r.board.basis.label(),
        generated: anju_domain::time::beijing_date(r.generated_at_ms)
            .map_or_else(String::new, |d| d.to_string()),
        web,
        query,
        month,
    }
    .render()
    .map_err(|e| e.to_string())
}

/// The report as a workbook: a sheet per part.
pub fn report_xlsx(r: &Report) -> Result<Vec<u8>, String> {
    let status = |i: &anju_store::IndicatorValue| {
        if i.no_data {
            "暂无数据"
        } else if i.behind {
            "落后于进度"
        } else if i.target.is_some() {
            "达到进度"
        } else {
            ""
        }
    };
    let indicators: Vec<Vec<String>> = r
        .board
        .indicators
        .iter()
        .map(|i| {
            vec![
                i.name.clone(),
                i.value.map_or_else(String::new, |v| v.to_string()),
                i.unit.label().to_owned(),
                i.target.map_or_else(String::new, |t| t.text()),
                status(i).to_owned(),
            ]
        })
        .collect();
    let subsidies: Vec<Vec<String>> = r
        .subsidies
        .iter()
        .map(|s| {
            vec![
                s.kind.clone(),
                s.month.clone(),
                s.people.to_string(),
                s.amount.clone(),
            ]
        })
        .collect();
    let cases: Vec<Vec<String>> = r
        .cases
        .iter()
        .map(|c| {
            vec![
                c.programme.clone(),
                c.kind.clone(),
                c.opened.to_string(),
                c.closed.to_string(),
                c.refused.to_string(),
                c.open_at_end.to_string(),
            ]
        })
        .collect();
    let mut certs: Vec<Vec<String>> = r
        .certificates
        .iter()
        .map(|c| vec![c.category.clone(), c.issued.to_string()])
        .collect();
    certs.push(vec!["合计".into(), r.certificates_total.to_string()]);
    let cover = vec![
        vec!["报表".to_owned(), r.title.clone()],
        vec![
            "期间".to_owned(),
            format!("{}（{}至{}）", r.period, r.from, r.to),
        ],
        vec!["指标口径".to_owned(), r.board.basis.label()],
    ];
    anju_io::workbook_xlsx(&[
        anju_io::BookSheet {
            name: "说明",
            headers: &["项目", "内容"],
            rows: &cover,
        },
        anju_io::BookSheet {
            name: "规划指标",
            headers: &["指标", "数值", "单位", "目标", "状态"],
            rows: &indicators,
        },
        anju_io::BookSheet {
            name: "两项补贴",
            headers: &["补贴", "月份", "人数", "金额（元）"],
            rows: &subsidies,
        },
        anju_io::BookSheet {
            name: "服务个案",
            headers: &[
                "服务项目",
                "类别",
                "本期受理",
                "本期办结",
                "本期不予受理",
                "期末在办",
            ],
            rows: &cases,
        },
        anju_io::BookSheet {
            name: "办证",
            headers: &["残疾类别", "发证数"],
            rows: &certs,
        },
    ])
    .map_err(|e| e.to_string())
}

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    #[serde(default)]
    region: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    month: String,
}

async fn report_of(
    app: &App,
    s: &crate::auth::Session,
    q: &ReportQuery,
) -> Result<Report, AppError> {
    let year = match q.year.trim() {
        "" => app.store.today().year(),
        y => y
            .parse()
            .map_err(|_| AppError::BadRequest("年度应为四位数字".into()))?,
    };
    let month = match q.month.trim() {
        "" => None,
        m => Some(
            m.parse::<u32>()
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(|| AppError::BadRequest("月份应为1至12".into()))?,
        ),
    };
    let region = Some(q.region.trim()).filter(|r| !r.is_empty());
    Ok(app
        .store
        .indicators()
        .report(s.scope(), region, year, month)
        .await?)
}

pub async fn show(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<ReportQuery>,
) -> Result<Html<String>, AppError> {
    let r = report_of(&app, &s, &q).await?;
    Ok(Html(report_html(&r, true).map_err(AppError::Internal)?))
}

pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let r = report_of(&app, &s, &q).await?;
    let bytes = report_xlsx(&r).map_err(AppError::Internal)?;
    Ok(crate::pages::xlsx_download(
        "report.xlsx",
        &format!("{}{}.xlsx", r.title, r.period),
        bytes,
    ))
}
