//! Plan indicators in the pages: a region's indicators against their targets (behind schedule
//! first), one indicator per child region with its trend over the years, the people behind a
//! count (masked, audited, exportable), and the targets with a county's split among its towns.

use anju_store::{Board, IndicatorValue, TargetLine, TargetSheet, When, Which};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Datelike;
use serde::Deserialize;

use super::chart::{Bar, bars};
use crate::auth::PageUser;
use crate::pages::Layout;
use crate::{App, AppError};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/indicators", get(board))
        .route("/indicators/export.xlsx", get(export))
        .route("/indicators/{key}", get(one))
        .route("/indicators/{key}/people", get(people))
        .route("/indicators/{key}/people/export.xlsx", get(people_export))
        .route("/indicators/snapshot", post(snapshot))
        .route("/targets", get(targets).post(save_targets))
        .route("/targets/import", post(import_targets))
}

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub which: String,
    #[serde(default)]
    pub page: String,
}

impl BoardQuery {
    fn region(&self) -> Option<&str> {
        Some(self.region.trim()).filter(|r| !r.is_empty())
    }

    fn when(&self) -> Result<When, AppError> {
        let bad = |m: &str| AppError::BadRequest(m.into());
        if !self.date.trim().is_empty() {
            return self
                .date
                .trim()
                .parse()
                .map(When::Date)
                .map_err(|_| bad("日期应写作YYYY-MM-DD"));
        }
        if !self.year.trim().is_empty() {
            return self
                .year
                .trim()
                .parse()
                .map(When::Year)
                .map_err(|_| bad("年度应为四位数字"));
        }
        Ok(When::Now)
    }

    fn query(&self) -> String {
        serde_urlencoded::to_string([
            ("region", self.region.trim()),
            ("year", self.year.trim()),
            ("date", self.date.trim()),
        ])
        .unwrap_or_default()
    }
}

/// An indicator's row on the board.
pub struct Row {
    pub i: IndicatorValue,
    pub progress: String,
    pub expected: String,
    /// The values at the ends of the years snapshotted (the last five).
    pub trend: String,
}

impl Row {
    fn of(i: IndicatorValue) -> Row {
        let progress = i
            .progress()
            .map_or_else(|| "—".to_owned(), |p| format!("{p:.1}%"));
        let expected = match (i.expected, i.target) {
            (Some(e), Some(t)) if (e - t.as_f64()).abs() > 1e-9 => {
                format!("{e:.1}{}", i.unit.label())
            }
            _ => String::new(),
        };
        Row {
            i,
            progress,
            expected,
            trend: String::new(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "indicators.html")]
pub struct BoardPage {
    pub layout: Layout,
    pub board: Board,
    pub basis: String,
    pub rows: Vec<Row>,
    pub behind: usize,
    pub chart: String,
    /// Bars per child region against each one's task, for the indicators split among them
    /// (behind schedule first, three at most).
    pub child_charts: Vec<(String, String, String)>,
    pub query: String,
    pub year: String,
    pub date: String,
    pub years: Vec<i32>,
    pub can_snapshot: bool,
    pub last_year: i32,
}

/// The board of the user's region (or the one asked for): the leader's home page too.
pub async fn board_page(
    app: &App,
    s: &crate::auth::Session,
    q: &BoardQuery,
    here: &str,
) -> Result<BoardPage, AppError> {
    let board = app
        .store
        .indicators()
        .board(s.scope(), q.region(), q.when()?)
        .await?;
    let defs = app.store.indicators().definitions()?;
    let history = app
        .store
        .indicators()
        .history(s.scope(), &board.region, &defs)
        .await?;
    let mut rows: Vec<Row> = board.indicators.iter().cloned().map(Row::of).collect();
    // Still in the definitions' order here: the k-th row is the k-th definition.
    let recent = &history[history.len().saturating_sub(5)..];
    for (k, (r, def)) in rows.iter_mut().zip(defs.all()).enumerate() {
        if !r.i.no_data {
            r.trend = recent
                .iter()
                .map(|(y, t)| format!("{y}年{}", def.display(t[k])))
                .collect::<Vec<_>>()
                .join("；");
        }
    }
    // Behind schedule first, then those with a target, then the rest; each in file order.
    rows.sort_by_key(|r| (!r.i.behind, r.i.target.is_none(), r.i.no_data));
    let behind = rows.iter().filter(|r| r.i.behind).count();
    let chart_bars: Vec<Bar> = rows
        .iter()
        .filter(|r| r.i.target.is_some() && r.i.value.is_some())
        .map(|r| Bar {
            label: r.i.name.clone(),
            value: r.i.progress().unwrap_or(0.0),
            target: Some(100.0),
            text: format!("{}（{}）", r.progress, r.i.display),
            behind: r.i.behind,
        })
        .collect();
    let chart = if chart_bars.is_empty() {
        String::new()
    } else {
        bars("progress", "各指标完成目标的进度（%）", &chart_bars)
    };
    let child_charts = rows
        .iter()
        .filter(|r| !r.i.no_data && r.i.children.iter().any(|c| c.target.is_some()))
        .take(3)
        .map(|r| {
            let bars_of: Vec<Bar> =
                r.i.children
                    .iter()
                    .filter(|c| c.target.is_some() || c.tally.n != 0)
                    .map(|c| Bar {
                        label: c.name.clone(),
                        value: c.value.unwrap_or(0.0),
                        target: c.target.map(|t| t.as_f64()),
                        text: c.display.clone(),
                        behind: c.behind,
                    })
                    .collect();
            (
                r.i.key.clone(),
                r.i.name.clone(),
                bars(
                    &format!("towns-{}", r.i.key),
                    &format!("{}：各下级区划对照任务", r.i.name),
                    &bars_of,
                ),
            )
        })
        .collect();
    let years = app.store.indicators().snapshot_years().await?;
    Ok(BoardPage {
        child_charts,
        can_snapshot: s.scope().role().manages_users(),
        last_year: app.store.today().year() - 1,
        layout: Layout::for_session(s, "规划指标", here),
        basis: board.basis.label(),
        board,
        rows,
        behind,
        chart,
        query: q.query(),
        year: q.year.trim().to_owned(),
        date: q.date.trim().to_owned(),
        years,
    })
}

pub async fn board(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<BoardQuery>,
) -> Result<BoardPage, AppError> {
    board_page(&app, &s, &q, "/indicators").await
}

/// The board as a workbook: one line per indicator and child region.
pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<BoardQuery>,
) -> Result<Response, AppError> {
    let b = app
        .store
        .indicators()
        .board(s.scope(), q.region(), q.when()?)
        .await?;
    let mut lines = Vec::new();
    for i in &b.indicators {
        lines.push(vec![
            i.name.clone(),
            b.region.name.clone(),
            i.display.clone(),
            i.target_text(),
            if i.behind { "落后于进度" } else { "" }.into(),
        ]);
        for c in &i.children {
            lines.push(vec![
                i.name.clone(),
                c.name.clone(),
                c.display.clone(),
                c.target.map_or_else(
                    || "未设定".into(),
                    |t| format!("{}{}", t.text(), i.unit.label()),
                ),
                if c.behind { "落后于进度" } else { "" }.into(),
            ]);
        }
    }
    crate::pages::sheet_download(
        &app,
        "indicators.xlsx",
        &format!("{}规划指标{}.xlsx", b.region.name, b.as_of),
        &["指标", "区划", "数值", "目标", "状态"],
        &lines,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "indicator.html")]
pub struct OnePage {
    pub layout: Layout,
    pub board: Board,
    pub basis: String,
    pub i: IndicatorValue,
    pub chart: String,
    pub trend: Vec<(i32, String)>,
    pub trend_chart: String,
    pub query: String,
}

fn key_of(key: &str) -> Result<String, AppError> {
    let k = key.trim();
    if k.is_empty() || k.len() > 60 || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(AppError::NotFound);
    }
    Ok(k.to_owned())
}

pub async fn one(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(key): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<OnePage, AppError> {
    let key = key_of(&key)?;
    let board = app
        .store
        .indicators()
        .board(s.scope(), q.region(), q.when()?)
        .await?;
    let i = board
        .indicators
        .iter()
        .find(|i| i.key == key)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let chart_bars: Vec<Bar> = i
        .children
        .iter()
        .filter(|c| c.tally.n != 0 || c.tally.d != 0 || c.target.is_some())
        .map(|c| Bar {
            label: c.name.clone(),
            value: c.value.unwrap_or(0.0),
            target: c.target.map(|t| t.as_f64()),
            text: c.display.clone(),
            behind: c.behind,
        })
        .collect();
    let chart = if chart_bars.is_empty() || i.no_data {
        String::new()
    } else {
        bars("children", &format!("{}：各下级区划", i.name), &chart_bars)
    };
    let defs = app.store.indicators().definitions()?;
    let (index, def) = defs.find(&key).ok_or(AppError::NotFound)?;
    let mut trend: Vec<(i32, String)> = app
        .store
        .indicators()
        .history(s.scope(), &board.region, &defs)
        .await?
        .into_iter()
        .map(|(y, t)| (y, def.display(t[index])))
        .collect();
    trend.push((
        board.as_of.year(),
        format!("{}（截至{}）", i.display, board.as_of),
    ));
    let trend_bars: Vec<Bar> = app
        .store
        .indicators()
        .history(s.scope(), &board.region, &defs)
        .await?
        .into_iter()
        .map(|(y, t)| Bar {
            label: format!("{y}年"),
            value: def.value(t[index]).unwrap_or(0.0),
            target: None,
            text: def.display(t[index]),
            behind: false,
        })
        .chain(std::iter::once(Bar {
            label: "当前".into(),
            value: i.value.unwrap_or(0.0),
            target: i.target.map(|t| t.as_f64()),
            text: i.display.clone(),
            behind: i.behind,
        }))
        .collect();
    let trend_chart = if i.no_data {
        String::new()
    } else {
        bars("trend", &format!("{}：历年年末与当前", i.name), &trend_bars)
    };
    Ok(OnePage {
        layout: Layout::for_session(&s, &i.name, "/indicators"),
        basis: board.basis.label(),
        board,
        i,
        chart,
        trend,
        trend_chart,
        query: q.query(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "indicator_people.html")]
pub struct PeoplePage {
    pub layout: Layout,
    pub page: anju_store::BehindPage,
    pub rows: Vec<anju_store::BehindPerson>,
    pub which: String,
    pub query: String,
    pub prev: Option<usize>,
    pub next: Option<usize>,
}

const PER_PAGE: usize = 50;

/// The people behind indicator `key` as the query asks (a year's people as of its last day,
/// or today for this year); `export` names the audit entry.
async fn behind_of(
    app: &App,
    s: &crate::auth::Session,
    key: &str,
    q: &BoardQuery,
    export: bool,
) -> Result<(anju_store::BehindPage, Vec<anju_store::BehindPerson>), AppError> {
    let key = key_of(key)?;
    let date = match q.when()? {
        When::Date(d) => Some(d),
        When::Year(y) => chrono::NaiveDate::from_ymd_opt(y, 12, 31),
        When::Now => None,
    }
    .map(|d| d.min(app.store.today()));
    Ok(app
        .store
        .indicators()
        .behind(
            s.scope(),
            q.region(),
            &key,
            date,
            Which::parse(q.which.trim()),
            export,
        )
        .await?)
}

pub async fn people(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(key): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<PeoplePage, AppError> {
    let (mut page, all) = behind_of(&app, &s, &key, &q, false).await?;
    let pages = all.len().div_ceil(PER_PAGE).max(1);
    let n: usize = q.page.trim().parse().unwrap_or(1).clamp(1, pages);
    let rows: Vec<_> = all
        .into_iter()
        .skip((n - 1) * PER_PAGE)
        .take(PER_PAGE)
        .collect();
    page.page = n;
    page.pages = pages;
    let query = serde_urlencoded::to_string([
        ("region", q.region.trim()),
        ("year", q.year.trim()),
        ("date", q.date.trim()),
        ("which", q.which.trim()),
    ])
    .unwrap_or_default();
    Ok(PeoplePage {
        layout: Layout::for_session(&s, &format!("{}：人员名单", page.name), "/indicators"),
        page,
        rows,
        which: q.which.trim().to_owned(),
        query,
        prev: (n > 1).then(|| n - 1),
        next: (n < pages).then(|| n + 1),
    })
}

pub async fn people_export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(key): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, AppError> {
    let (page, all) = behind_of(&app, &s, &key, &q, true).await?;
    let lines: Vec<Vec<String>> = all
        .iter()
        .map(|p| {
            vec![
                p.village.clone(),
                p.name.clone(),
                p.id_number.clone(),
                if p.counted { "是" } else { "否" }.into(),
                p.detail.clone(),
            ]
        })
        .collect();
    crate::pages::sheet_download(
        &app,
        "indicator-people.xlsx",
        &format!("{}{}人员名单.xlsx", page.region_name, page.name),
        &["村（社区）", "姓名", "身份证号", "计入", "说明"],
        &lines,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "targets.html")]
pub struct TargetsPage {
    pub layout: Layout,
    pub sheet: TargetSheet,
    pub can_set: bool,
    pub message: Option<String>,
    pub errors: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct TargetsQuery {
    #[serde(default)]
    region: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    saved: String,
}

async fn targets_page(
    app: &App,
    s: &crate::auth::Session,
    region: &str,
    year: &str,
    message: Option<String>,
    errors: Vec<String>,
) -> Result<TargetsPage, AppError> {
    let year = year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2016..=2100).contains(y))
        .unwrap_or_else(|| app.store.today().year());
    let region = Some(region.trim()).filter(|r| !r.is_empty());
    let sheet = app
        .store
        .indicators()
        .target_sheet(s.scope(), region, year)
        .await?;
    Ok(TargetsPage {
        layout: Layout::for_session(s, "目标任务", "/indicators"),
        can_set: s.scope().role().sets_targets(),
        sheet,
        message,
        errors,
    })
}

pub async fn targets(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<TargetsQuery>,
) -> Result<TargetsPage, AppError> {
    let message = (!q.saved.is_empty()).then(|| "目标任务已保存。".to_owned());
    targets_page(&app, &s, &q.region, &q.year, message, Vec::new()).await
}

/// The form: `t:{region}:{key}` fields, every one kept or none.
pub async fn save_targets(
    State(app): State<App>,
    PageUser(s): PageUser,
    axum::extract::RawForm(raw): axum::extract::RawForm,
) -> Result<Response, AppError> {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&raw)
        .map_err(|_| AppError::BadRequest("表单无法读取".into()))?;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    s.check_csrf(&get("csrf"))?;
    if !s.scope().role().sets_targets() {
        return Err(AppError::Forbidden);
    }
    let year = get("year");
    let region = get("region");
    let lines: Vec<TargetLine> = fields
        .iter()
        .enumerate()
        .filter_map(|(i, (name, value))| {
            let mut parts = name.splitn(3, ':');
            (parts.next() == Some("t")).then_some(())?;
            let (code, key) = (parts.next()?, parts.next()?);
            Some(TargetLine {
                row: i + 1,
                region: code.to_owned(),
                year: year.clone(),
                indicator: key.to_owned(),
                value: value.clone(),
            })
        })
        .collect();
    let r = app
        .store
        .indicators()
        .set_targets(s.scope(), lines, "目标任务页面")
        .await?;
    if r.committed {
        let q = serde_urlencoded::to_string([
            ("region", region.as_str()),
            ("year", year.as_str()),
            ("saved", "1"),
        ])
        .unwrap_or_default();
        return Ok(Redirect::to(&format!("/targets?{q}")).into_response());
    }
    let errors: Vec<String> = r
        .rejected
        .iter()
        .map(|e| format!("{}：{}", e.column, e.message))
        .collect();
    let page = targets_page(
        &app,
        &s,
        &region,
        &year,
        Some("有目标值无法保存，全部未保存：".into()),
        errors,
    )
    .await?;
    Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
}

pub async fn import_targets(
    State(app): State<App>,
    PageUser(s): PageUser,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    if !s.scope().role().sets_targets() {
        return Err(AppError::Forbidden);
    }
    let started = crate::pages::services::upload(
        &app,
        &s,
        multipart,
        "/targets",
        move |store, scope, path, opts, _| async move {
            anju_jobs::indicators::import_targets(&store, &scope, &path, &opts).await
        },
    )
    .await?;
    match started {
        Ok(r) => Ok(r),
        Err(msg) => {
            let page = targets_page(&app, &s, "", "", Some(msg), Vec::new()).await?;
            Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct SnapshotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    year: String,
}

/// An administrator freezes a finished year's values (once; a second time changes nothing).
pub async fn snapshot(
    State(app): State<App>,
    PageUser(s): PageUser,
    axum::extract::Form(f): axum::extract::Form<SnapshotForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    if !s.scope().role().manages_users() {
        return Err(AppError::Forbidden);
    }
    let year: i32 = f
        .year
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest("年度应为四位数字".into()))?;
    app.store
        .indicators()
        .take_snapshot(s.scope(), year)
        .await?;
    Ok(Redirect::to(&format!("/indicators?year={year}")).into_response())
}
