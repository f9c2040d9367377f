//! Needs against services in the pages: the warnings (需求未满足预警) of the user's subtree
//! counted per town and need item, the people behind them (filtered by town and need), and
//! the export. Every list of names is audited.

use anju_store::{Gap, GapCount};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::auth::PageUser;
use crate::pages::Layout;
use crate::{App, AppError};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/needs/gaps", get(list))
        .route("/needs/gaps/export.xlsx", get(export))
}

#[derive(Deserialize, Default)]
pub struct GapsQuery {
    #[serde(default)]
    region: String,
    #[serde(default)]
    need: String,
}

impl GapsQuery {
    fn region(&self) -> Option<&str> {
        Some(self.region.trim()).filter(|r| !r.is_empty())
    }

    fn keep(&self, g: &Gap) -> bool {
        let need = self.need.trim();
        need.is_empty() || g.need == need || g.need_code == need
    }

    fn query(&self) -> String {
        serde_urlencoded::to_string([("region", self.region.trim()), ("need", self.need.trim())])
            .unwrap_or_default()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "needs_gaps.html")]
pub struct GapsPage {
    layout: Layout,
    counts: Vec<GapCount>,
    rows: Vec<Gap>,
    total: usize,
    needs: Vec<String>,
    need: String,
    region: String,
    query: String,
}

pub async fn list(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<GapsQuery>,
) -> Result<GapsPage, AppError> {
    let g = app.store.needs().gaps(s.scope(), q.region()).await?;
    let total = g.warnings.len();
    let rows: Vec<Gap> = g
        .warnings
        .into_iter()
        .filter(|w| q.keep(w))
        .take(500)
        .collect();
    app.store
        .persons()
        .record_view(
            s.scope(),
            "needs.gaps",
            format!("region:{}", g.region),
            format!("需求未满足预警{}条（显示{}条）", total, rows.len()),
        )
        .await?;
    let items = anju_domain::needs::NeedItems::shipped().map_err(AppError::Internal)?;
    Ok(GapsPage {
        layout: Layout::for_session(&s, "需求未满足预警", "/visits"),
        counts: g.counts,
        rows,
        total,
        needs: items.all().iter().map(|i| i.name.clone()).collect(),
        need: q.need.trim().to_owned(),
        region: q.region.trim().to_owned(),
        query: q.query(),
    })
}

/// The warnings as filtered, one line per person and need.
pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<GapsQuery>,
) -> Result<Response, AppError> {
    let g = app.store.needs().gaps(s.scope(), q.region()).await?;
    let lines: Vec<Vec<String>> = g
        .warnings
        .iter()
        .filter(|w| q.keep(w))
        .map(|w| {
            vec![
                w.town.clone(),
                w.name.clone(),
                w.id_number.clone(),
                w.need.clone(),
                w.since.to_string(),
            ]
        })
        .collect();
    app.store
        .persons()
        .record_view(
            s.scope(),
            "needs.export",
            format!("region:{}", g.region),
            format!("导出{}行", lines.len()),
        )
        .await?;
    crate::pages::sheet_download(
        &app,
        "needs-gaps.xlsx",
        "需求未满足预警.xlsx",
        &["镇（街道）", "姓名", "身份证号", "需求", "记录自"],
        &lines,
    )
    .await
}
