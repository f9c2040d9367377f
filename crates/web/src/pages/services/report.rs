//! A programme's yearly report (服务项目年报) by town: cases opened, closed, refused, still open
//! and overdue, the cost per household where the programme keeps costs (renovation, devices),
//! and the return checks' satisfaction; with a bar for each town and an Excel export.

use anju_domain::money::Fen;
use anju_store::ReportLine;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Datelike;
use serde::Deserialize;

use super::HERE;
use crate::auth::{PageUser, Session};
use crate::pages::Key;
use crate::pages::Layout;
use crate::{App, AppError};

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    year: String,
}

pub struct Line {
    pub l: ReportLine,
    pub cost: String,
    pub per_household: String,
    pub satisfaction: String,
    /// The bar's width in percent of the largest town.
    pub bar: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "programme_report.html")]
pub struct ReportPage {
    layout: Layout,
    id: i64,
    name: String,
    year: i32,
    lines: Vec<Line>,
    /// The chart's height: a bar for each town.
    chart_height: usize,
}

async fn lines(
    app: &App,
    s: &Session,
    id: i64,
    q: &YearQuery,
) -> Result<(String, i32, Vec<Line>), AppError> {
    let rec = app.store.programmes().by_id(s.scope(), id).await?;
    let today = app.store.today();
    let year = match q.year.trim() {
        "" => today.year(),
        y => y
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| AppError::BadRequest(format!("“{y}”不是年份")))?,
    };
    let report = app.store.cases().report(s.scope(), id, year, today).await?;
    let most = report
        .iter()
        .filter(|l| !l.town_code.is_empty())
        .map(|l| l.opened)
        .max()
        .unwrap_or(0)
        .max(1);
    let lines = report
        .into_iter()
        .map(|l| Line {
            cost: Fen(l.cost_fen).yuan(),
            per_household: l
                .per_household_fen()
                .map_or_else(|| "—".into(), |f| Fen(f).yuan()),
            satisfaction: super::care::score(&l.satisfaction),
            bar: if l.town_code.is_empty() {
                0
            } else {
                l.opened * 100 / most
            },
            l,
        })
        .collect();
    Ok((rec.programme.name, year, lines))
}

pub async fn page(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Query(q): Query<YearQuery>,
) -> Result<ReportPage, AppError> {
    let (name, year, lines) = lines(&app, &s, id, &q).await?;
    Ok(ReportPage {
        layout: Layout::for_session(&s, &format!("{name}{year}年报"), HERE),
        id,
        name,
        year,
        chart_height: lines.len().saturating_sub(1).max(1) * 24 + 8,
        lines,
    })
}

pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let (name, year, lines) = lines(&app, &s, id, &q).await?;
    let path = app
        .work_dir
        .join(format!("report-{}.xlsx", anju_store::random_token()));
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let headers = [
        "镇（街道）",
        "受理",
        "办结",
        "不予办理",
        "办理中",
        "逾期",
        "有费用户数",
        "费用合计（元）",
        "户均费用（元）",
        "回访次数",
        "满意度",
    ];
    let write = || -> Result<(), anju_io::WriteError> {
        let mut w = anju_io::SheetWriter::create(&path, &headers)?;
        for x in &lines {
            let l = &x.l;
            let cells = [
                l.town.clone(),
                l.opened.to_string(),
                l.closed.to_string(),
                l.refused.to_string(),
                l.open.to_string(),
                l.overdue.to_string(),
                l.costed.to_string(),
                x.cost.clone(),
                x.per_household.clone(),
                l.checks.to_string(),
                x.satisfaction.clone(),
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
        "report.xlsx",
        &format!("{name}{year}年报.xlsx"),
        bytes,
    ))
}
