//! Home visits in the pages: the worker's visit list (filtered by rule and overdue, paged,
//! exported), the visit form made for a phone, the person's visits on the file, and the
//! follow-ups visits raised, closed by the town.

use anju_domain::needs::{NeedItem, NeedItems};
use anju_domain::visit::{Choice, Situation, VisitInput, VisitRules};
use anju_store::{DueFilter, Followup, PersonRecord, VisitDue, VisitRecord};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::auth::{PageUser, Session};
use crate::pages::Layout;
use crate::{App, AppError};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/visits", get(list))
        .route("/visits/export.xlsx", get(export))
        .route("/visits/followups", get(followups))
        .route("/visits/followups/{id}/close", post(close))
        .route("/persons/{id}/visits/new", get(new_form))
        .route("/persons/{id}/visits", post(record))
}

const PAGE: usize = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    rule: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    page: String,
}

impl ListQuery {
    fn filter(&self) -> DueFilter {
        DueFilter {
            overdue_only: !self.overdue.is_empty(),
            rule: Some(self.rule.trim().to_owned()).filter(|r| !r.is_empty()),
            ..DueFilter::default()
        }
    }

    /// The filters as a query string, for the export and the pager.
    fn query(&self) -> String {
        serde_urlencoded::to_string([("rule", self.rule.trim()), ("overdue", self.overdue.trim())])
            .unwrap_or_default()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "visits.html")]
pub struct ListPage {
    layout: Layout,
    rows: Vec<VisitDue>,
    total: usize,
    overdue: usize,
    page: usize,
    pages: usize,
    rules: Vec<String>,
    rule: String,
    overdue_only: bool,
    query: String,
    can_write: bool,
}

pub async fn list(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let rules = VisitRules::shipped().map_err(AppError::Internal)?;
    let all = app.store.visits().due(s.scope(), &q.filter()).await?;
    let total = all.len();
    let pages = total.div_ceil(PAGE).max(1);
    let page = q.page.parse::<usize>().unwrap_or(1).clamp(1, pages);
    let rows: Vec<VisitDue> = all
        .iter()
        .skip((page - 1) * PAGE)
        .take(PAGE)
        .cloned()
        .collect();
    app.store
        .persons()
        .record_view(
            s.scope(),
            "visit.list",
            "visits".into(),
            format!("访视名单第{page}页{}人", rows.len()),
        )
        .await?;
    Ok(ListPage {
        layout: Layout::for_session(&s, "入户访视", "/visits"),
        overdue: all.iter().filter(|v| v.due.overdue).count(),
        total,
        rows,
        page,
        pages,
        rules: rules.rules.iter().map(|r| r.name.clone()).collect(),
        rule: q.rule.trim().to_owned(),
        overdue_only: !q.overdue.is_empty(),
        query: q.query(),
        can_write: s.scope().role().writes_persons(),
    })
}

/// The visit list as filtered, one line per person.
pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let rows = app.store.visits().due(s.scope(), &q.filter()).await?;
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|v| {
            vec![
                v.name.clone(),
                v.id_number.clone(),
                v.village.clone(),
                v.due.rule.clone(),
                v.last_visit.map(|d| d.to_string()).unwrap_or_default(),
                v.due.due_on.to_string(),
                if v.due.overdue { "是" } else { "否" }.to_owned(),
            ]
        })
        .collect();
    app.store
        .persons()
        .record_view(
            s.scope(),
            "visit.export",
            "visits".into(),
            format!("导出{}行", lines.len()),
        )
        .await?;
    crate::pages::sheet_download(
        &app,
        "visits.xlsx",
        "入户访视名单.xlsx",
        &[
            "姓名",
            "身份证号",
            "村（社区）",
            "访视规则",
            "上次走访",
            "应访日期",
            "是否逾期",
        ],
        &lines,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "visit_form.html")]
pub struct FormPage {
    layout: Layout,
    person_key: i64,
    name: String,
    village: String,
    token: String,
    today: String,
    situation: Situation,
    needs: Vec<NeedItem>,
    /// What the last visit found, to start from.
    last: Option<VisitRecord>,
}

impl FormPage {
    fn picked(&self, field: &str, code: &str) -> bool {
        self.last.as_ref().is_some_and(|l| match field {
            "living" => l.visit.living == code,
            "income" => l.visit.income == code,
            _ => false,
        })
    }

    fn choices(&self, field: &str) -> &[Choice] {
        match field {
            "met" => &self.situation.met,
            "living" => &self.situation.living,
            "health" => &self.situation.health,
            _ => &self.situation.income,
        }
    }
}

async fn person(app: &App, s: &Session, id: i64) -> Result<PersonRecord, AppError> {
    Ok(app.store.persons().get_by_key(s.scope(), id).await?)
}

pub async fn new_form(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
) -> Result<FormPage, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    if !s.scope().role().writes_persons() {
        return Err(AppError::Forbidden);
    }
    let rec = person(&app, &s, id).await?;
    let last = app
        .store
        .visits()
        .of_person(s.scope(), rec.id)
        .await?
        .into_iter()
        .next();
    Ok(FormPage {
        layout: Layout::for_session(&s, &format!("入户访视：{}", rec.person.name), "/visits"),
        person_key: rec.id,
        name: rec.person.name.clone(),
        village: anju_domain::RegionTable::jiangsu().name_of(rec.person.household_code.as_str()),
        token: anju_store::random_token(),
        today: app.store.today().to_string(),
        situation: Situation::shipped().map_err(AppError::Internal)?,
        needs: NeedItems::shipped()
            .map_err(AppError::Internal)?
            .all()
            .to_vec(),
        last,
    })
}

#[derive(Deserialize)]
pub struct VisitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    visited_on: String,
    #[serde(default)]
    met: String,
    #[serde(default)]
    living: String,
    #[serde(default)]
    health: String,
    #[serde(default)]
    income: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    followup: String,
}

pub async fn record(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
    axum::extract::RawForm(raw): axum::extract::RawForm,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    // The needs are a repeated field (one per box ticked).
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&raw)
        .map_err(|_| AppError::BadRequest("表单无法读取".into()))?;
    let needs: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "needs")
        .map(|(_, v)| v.clone())
        .collect();
    let f: VisitForm = serde_urlencoded::from_bytes(&raw)
        .map_err(|_| AppError::BadRequest("表单无法读取".into()))?;
    s.check_csrf(&f.csrf)?;
    let input = VisitInput {
        visited_on: f.visited_on,
        met: f.met,
        living: f.living,
        health: f.health,
        income: f.income,
        needs,
        note: f.note,
        followup: f.followup,
    };
    app.store
        .visits()
        .record(s.scope(), id, &input, Some(&f.token))
        .await?;
    Ok(Redirect::to(&format!("/persons/{id}#visit-h")).into_response())
}

#[derive(Deserialize, Default)]
pub struct FollowupsQuery {
    #[serde(default)]
    all: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "visit_followups.html")]
pub struct FollowupsPage {
    layout: Layout,
    rows: Vec<Followup>,
    all: bool,
    can_close: bool,
}

pub async fn followups(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<FollowupsQuery>,
) -> Result<FollowupsPage, AppError> {
    let all = !q.all.is_empty();
    let rows = app.store.visits().followups(s.scope(), !all).await?;
    app.store
        .persons()
        .record_view(
            s.scope(),
            "visit.followups",
            "visit_followups".into(),
            format!("跟进事项{}条", rows.len()),
        )
        .await?;
    Ok(FollowupsPage {
        layout: Layout::for_session(&s, "走访发现的问题", "/visits"),
        rows,
        all,
        can_close: s.scope().role().runs_job_services(),
    })
}

#[derive(Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
}

pub async fn close(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
    Form(f): Form<CloseForm>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    s.check_csrf(&f.csrf)?;
    app.store
        .visits()
        .close_followup(s.scope(), id, &f.outcome)
        .await?;
    Ok(Redirect::to("/visits/followups").into_response())
}

/// The file's visits and survey answers, for the person page.
pub struct FileVisits {
    pub rows: Vec<(VisitRecord, anju_store::VisitLabels)>,
    pub can_write: bool,
    /// This year, for the link to its survey form.
    pub year: i32,
    /// The survey years answered, the latest first.
    pub survey_years: Vec<i32>,
    /// Each question answered in any year, with its answer per year (side by side).
    pub survey: Vec<(String, Vec<String>)>,
}

pub async fn file_visits(
    app: &App,
    s: &Session,
    rec: &PersonRecord,
) -> Result<FileVisits, AppError> {
    let years = app.store.survey().years_of(s.scope(), rec.id).await?;
    let needs = NeedItems::shipped().map_err(AppError::Internal)?;
    let qs = anju_domain::survey::Questions::shipped(&needs).map_err(AppError::Internal)?;
    let survey = qs
        .all()
        .iter()
        .filter(|q| years.iter().any(|(_, _, a)| a.contains_key(&q.code)))
        .map(|q| {
            (
                q.label.clone(),
                years
                    .iter()
                    .map(|(_, _, a)| a.get(&q.code).cloned().unwrap_or_default())
                    .collect(),
            )
        })
        .collect();
    Ok(FileVisits {
        rows: app
            .store
            .visits()
            .of_person(s.scope(), rec.id)
            .await?
            .into_iter()
            .map(|v| {
                let l = v.labels();
                (v, l)
            })
            .collect(),
        can_write: s.scope().role().writes_persons(),
        year: chrono::Datelike::year(&app.store.today()),
        survey_years: years.iter().map(|y| y.0).collect(),
        survey,
    })
}
