//! The monthly care supervision report (托养监管): per provider and town, the plans against
//! what was recorded, every shortfall named, and the return checks' satisfaction; filtered by
//! month, provider and town, exportable to Excel.

use anju_domain::month::Month;
use anju_store::{SupervisionFilter, SupervisionLine, SupervisionTotal};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::HERE;
use crate::auth::{PageUser, Session};
use crate::pages::Layout;
use crate::{App, AppError};

#[derive(Deserialize, Default, Clone)]
pub struct ReportQuery {
    #[serde(default)]
    pub month: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub town: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "care.html")]
pub struct ReportPage {
    layout: Layout,
    q: ReportQuery,
    providers: Vec<(String, String)>,
    towns: Vec<(String, String)>,
    lines: Vec<SupervisionLine>,
    totals: Vec<SupervisionTotal>,
    export_query: String,
    error: Option<String>,
}

/// Hundredths as a score with two decimals.
pub fn score(v: &Option<i64>) -> String {
    v.map_or_else(|| "—".into(), |x| format!("{}.{:02}", x / 100, x % 100))
}

pub fn plan(l: &SupervisionLine) -> String {
    l.plan
        .as_ref()
        .map_or_else(|| "未制定".into(), anju_store::plan_text)
}

async fn report(
    app: &App,
    s: &Session,
    q: &ReportQuery,
) -> Result<(Month, Vec<SupervisionLine>, Vec<SupervisionTotal>), AppError> {
    let month = match q.month.trim() {
        "" => Month::of(app.store.today()).prev(),
        m => Month::parse(m)
            .map_err(|_| AppError::BadRequest(format!("“{m}”不是月份，应如2025-09")))?,
    };
    let f = SupervisionFilter {
        provider: q.provider.trim().parse().ok(),
        town: Some(q.town.trim().to_owned()).filter(|t| !t.is_empty()),
    };
    let (lines, totals) = app.store.care().supervision(s.scope(), month, &f).await?;
    Ok((month, lines, totals))
}

pub async fn page(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(mut q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let (status, lines, totals, error) = match report(&app, &s, &q).await {
        Ok((m, l, t)) => {
            q.month = m.to_string();
            (axum::http::StatusCode::OK, l, t, None)
        }
        Err(AppError::BadRequest(m)) => {
            (axum::http::StatusCode::BAD_REQUEST, vec![], vec![], Some(m))
        }
        Err(e) => return Err(e),
    };
    let providers = app
        .store
        .providers()
        .list(s.scope())
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.provider.name))
        .collect();
    let export_query = serde_urlencoded::to_string([
        ("month", q.month.as_str()),
        ("provider", q.provider.as_str()),
        ("town", q.town.as_str()),
    ])
    .unwrap_or_default();
    let page = ReportPage {
        layout: Layout::for_session(&s, "托养服务监管月报", HERE),
        providers,
        towns: crate::pages::region_choices(
            &s.scope().region().code,
            &[anju_domain::Level::Town],
            3000,
        ),
        lines,
        totals,
        export_query,
        error,
        q,
    };
    Ok((status, page).into_response())
}

pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let (month, lines, totals) = report(&app, &s, &q).await?;
    let path = app
        .work_dir
        .join(format!("care-{}.xlsx", anju_store::random_token()));
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let headers = [
        "服务机构",
        "镇（街道）",
        "姓名",
        "身份证号",
        "服务项目",
        "托养计划",
        "计划上门次数",
        "记录上门次数",
        "不足时长次数",
        "服务分钟",
        "计划出勤天数",
        "记录出勤天数",
        "回访次数",
        "满意度",
        "不足之处",
    ];
    let write = || -> Result<(), anju_io::WriteError> {
        let mut w = anju_io::SheetWriter::create(&path, &headers)?;
        for l in &lines {
            let cells = [
                l.provider.clone(),
                l.town.clone(),
                l.name.clone(),
                l.id_number.clone(),
                l.programme.clone(),
                plan(l),
                l.month.planned_visits.to_string(),
                l.month.visits.to_string(),
                l.month.short_visits.to_string(),
                l.month.minutes.to_string(),
                l.month.planned_days.to_string(),
                l.month.days.to_string(),
                l.checks.to_string(),
                score(&l.satisfaction),
                l.month.shortfalls.join("；"),
            ];
            w.write_row(&cells.iter().map(String::as_str).collect::<Vec<_>>())?;
        }
        for t in &totals {
            let cells = [
                t.provider.clone(),
                t.town.clone(),
                "合计".into(),
                String::new(),
                String::new(),
                format!("{}个个案，{}个未达计划", t.cases, t.short_cases),
                t.planned_visits.to_string(),
                t.visits.to_string(),
                String::new(),
                String::new(),
                t.planned_days.to_string(),
                t.days.to_string(),
                t.checks.to_string(),
                score(&t.satisfaction),
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
    app.store
        .persons()
        .record_view(
            s.scope(),
            "care.export",
            format!("month:{month}"),
            format!("导出{}个托养个案", lines.len()),
        )
        .await?;
    Ok(crate::pages::xlsx_download(
        "care.xlsx",
        &format!("托养服务监管月报{month}.xlsx"),
        bytes,
    ))
}
