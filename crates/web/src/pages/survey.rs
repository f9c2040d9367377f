//! The annual survey in the pages: a year's progress per child region (with the town's or
//! county's check of a village's forms, and the administrator's form to open a year), a
//! person's form by the national sections (prefilled, the file's contradictions shown, a
//! second worker told), the template and the export in the import's shape.

use std::collections::BTreeMap;

use anju_domain::needs::NeedItems;
use anju_domain::survey::{AnswerKind, Question, Questions};
use anju_store::{SurveyForm, SurveyProgress};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Datelike;
use serde::Deserialize;

use crate::auth::PageUser;
use crate::pages::Layout;
use crate::{App, AppError};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/survey", get(progress).post(open))
        .route("/survey/template.xlsx", get(template))
        .route("/survey/import", post(import))
        .route("/survey/{year}/export.xlsx", get(export))
        .route("/survey/{year}/villages/{code}/check", post(check))
        .route("/survey/{year}/persons/{id}", get(form).post(save))
}

fn questions() -> Result<Questions, AppError> {
    let needs = NeedItems::shipped().map_err(AppError::Internal)?;
    Questions::shipped(&needs).map_err(AppError::Internal)
}

fn year_of(app: &App, y: &str) -> Result<i32, AppError> {
    match y.trim() {
        "" => Ok(app.store.today().year()),
        y => y
            .parse()
            .ok()
            .filter(|y| (2015..=2100).contains(y))
            .ok_or_else(|| AppError::BadRequest(format!("“{y}”不是调查年度"))),
    }
}

/// A year in the path, refused in Chinese (not by the router's English message).
fn path_year(y: &str) -> Result<i32, AppError> {
    y.parse()
        .ok()
        .filter(|y| (2015..=2100).contains(y))
        .ok_or_else(|| AppError::BadRequest(format!("“{y}”不是调查年度")))
}

/// A file's key in the path: anything else is no file.
fn path_key(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    year: String,
    /// A child region to look into (a county into one of its towns).
    #[serde(default)]
    region: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey.html")]
pub struct ProgressPage {
    layout: Layout,
    year: i32,
    rows: Vec<SurveyProgress>,
    holders: i64,
    filled: i64,
    accepted: i64,
    /// The children are villages and the user checks them.
    can_check: bool,
    /// The rows are regions above the villages: each links to its own children.
    drill: bool,
    /// The region looked into, when not the user's own.
    within: Option<String>,
    can_open: bool,
    can_import: bool,
    /// The recognised columns: 身份证号 and every question's label.
    columns: Vec<String>,
    error: Option<String>,
}

pub async fn progress(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<YearQuery>,
) -> Result<ProgressPage, AppError> {
    progress_page(&app, &s, &q.year, &q.region, None).await
}

async fn progress_page(
    app: &App,
    s: &crate::auth::Session,
    year: &str,
    region: &str,
    error: Option<String>,
) -> Result<ProgressPage, AppError> {
    let year = year_of(app, year)?;
    let mut columns = vec!["身份证号".to_owned()];
    columns.extend(questions()?.all().iter().map(|q| q.label.clone()));
    let region = Some(region.trim()).filter(|r| !r.is_empty());
    let rows = app
        .store
        .survey()
        .progress_in(s.scope(), year, region)
        .await?;
    let table = anju_domain::RegionTable::jiangsu();
    let shown = match region {
        Some(r) => table
            .current(&format!("{r:0<12}"))
            .map_err(|_| AppError::NotFound)?,
        None => s.scope().region(),
    };
    let level = shown.level;
    Ok(ProgressPage {
        layout: Layout::for_session(
            s,
            &format!("{year}年度残疾人基本服务状况和需求调查"),
            "/visits",
        ),
        year,
        holders: rows.iter().map(|r| r.holders).sum(),
        filled: rows.iter().map(|r| r.filled).sum(),
        accepted: rows.iter().map(|r| r.accepted).sum(),
        rows,
        can_check: s.scope().role().runs_job_services() && level == anju_domain::Level::Town,
        drill: !matches!(
            level,
            anju_domain::Level::Town | anju_domain::Level::Village
        ),
        within: region.map(|_| shown.name.clone()),
        can_open: s.scope().role().manages_users(),
        can_import: s.scope().role().imports_persons(),
        columns,
        error,
    })
}

/// Imports a sheet of forms filled elsewhere (as `anju import survey`), as a job with its
/// own progress page and the row-level report.
pub async fn import(
    State(app): State<App>,
    PageUser(s): PageUser,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    if !s.scope().role().imports_persons() {
        return Err(AppError::Forbidden);
    }
    let started = crate::pages::services::upload(
        &app,
        &s,
        multipart,
        "/survey",
        move |store, scope, path, opts, year| async move {
            let year: Option<i32> = year
                .as_deref()
                .map(str::trim)
                .and_then(|y| y.parse().ok())
                .filter(|y| (2015..=2100).contains(y));
            match year {
                Some(y) => anju_jobs::survey::import(&store, &scope, &path, y, &opts).await,
                None => Err(anju_jobs::ImportError::Store(
                    anju_store::StoreError::Invalid("请填写调查年度（如2026）".into()),
                )),
            }
        },
    )
    .await?;
    match started {
        Ok(r) => Ok(r),
        Err(msg) => {
            let page = progress_page(&app, &s, "", "", Some(msg)).await?;
            Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    region: String,
}

pub async fn open(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<OpenForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let year = year_of(&app, &f.year)?;
    app.store
        .survey()
        .open_year(
            s.scope(),
            year,
            Some(f.region.trim()).filter(|r| !r.is_empty()),
        )
        .await?;
    Ok(Redirect::to(&format!("/survey?year={year}")).into_response())
}

#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

pub async fn check(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path((year, code)): Path<(String, String)>,
    Form(f): Form<CheckForm>,
) -> Result<Response, AppError> {
    let year = path_year(&year)?;
    s.check_csrf(&f.csrf)?;
    app.store
        .survey()
        .check_village(s.scope(), year, &code, f.decision == "accept", &f.note)
        .await?;
    Ok(Redirect::to(&format!("/survey?year={year}")).into_response())
}

/// One question as the form shows it.
pub struct Field {
    q: Question,
    value: String,
}

impl Field {
    fn picked(&self, option: &str) -> bool {
        match self.q.kind {
            AnswerKind::Multi => self.value.split('、').any(|v| v == option),
            _ => self.value == option,
        }
    }

    fn is(&self, kind: &str) -> bool {
        matches!(
            (kind, self.q.kind),
            ("choice", AnswerKind::Choice)
                | ("multi", AnswerKind::Multi)
                | ("yesno", AnswerKind::YesNo)
                | ("number", AnswerKind::Number)
                | ("text", AnswerKind::Text)
        )
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "survey_form.html")]
pub struct FormPage {
    layout: Layout,
    year: i32,
    person_key: i64,
    name: String,
    f: SurveyForm,
    sections: Vec<(String, Vec<Field>)>,
    can_write: bool,
    saved: bool,
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

pub async fn form(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path((year, id)): Path<(String, String)>,
    Query(q): Query<SavedQuery>,
) -> Result<FormPage, AppError> {
    let (year, id) = (path_year(&year)?, path_key(&id)?);
    let rec = app.store.persons().get_by_key(s.scope(), id).await?;
    let f = app.store.survey().form(s.scope(), year, id).await?;
    let age = u32::try_from(anju_domain::id_number::age_on(
        rec.person.birth_date,
        app.store.today(),
    ))
    .unwrap_or(0);
    let qs = questions()?;
    let sections = qs
        .sections()
        .into_iter()
        .map(|(name, list)| {
            (
                name.to_owned(),
                list.into_iter()
                    .filter(|q| q.asked_at(age))
                    .map(|q| Field {
                        value: f.answers.get(&q.code).cloned().unwrap_or_default(),
                        q: q.clone(),
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, fields)| !fields.is_empty())
        .collect();
    app.store
        .persons()
        .record_view(
            s.scope(),
            "survey.view",
            rec.audit_object(),
            format!("{year}年度调查表"),
        )
        .await?;
    Ok(FormPage {
        layout: Layout::for_session(
            &s,
            &format!("{year}年度调查：{}", rec.person.name),
            "/visits",
        ),
        year,
        person_key: rec.id,
        name: rec.person.name.clone(),
        f,
        sections,
        can_write: s.scope().role().writes_persons(),
        saved: !q.saved.is_empty(),
    })
}

pub async fn save(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path((year, id)): Path<(String, String)>,
    axum::extract::RawForm(raw): axum::extract::RawForm,
) -> Result<Response, AppError> {
    let (year, id) = (path_year(&year)?, path_key(&id)?);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&raw)
        .map_err(|_| AppError::BadRequest("表单无法读取".into()))?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    s.check_csrf(&get("csrf"))?;
    let version: i64 = get("version").parse().unwrap_or(0);
    let qs = questions()?;
    let mut answers: BTreeMap<String, String> = BTreeMap::new();
    for q in qs.all() {
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(n, _)| *n == format!("q_{}", q.code))
            .map(|(_, v)| v.as_str())
            .collect();
        if !values.is_empty() {
            answers.insert(q.code.clone(), values.join("、"));
        }
    }
    app.store
        .survey()
        .save(s.scope(), year, id, &answers, version)
        .await?;
    Ok(Redirect::to(&format!("/survey/{year}/persons/{id}?saved=1")).into_response())
}

/// The import's template: 身份证号, 姓名 and a column per question.
pub async fn template(
    State(app): State<App>,
    PageUser(_s): PageUser,
) -> Result<Response, AppError> {
    let qs = questions()?;
    let mut headers = vec!["身份证号", "姓名"];
    headers.extend(qs.all().iter().map(|q| q.label.as_str()));
    crate::pages::sheet_download(
        &app,
        "survey-template.xlsx",
        "年度调查导入模板.xlsx",
        &headers,
        &[],
    )
    .await
}

/// A year's forms in the scope, in the import's shape.
pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(year): Path<String>,
) -> Result<Response, AppError> {
    let year = path_year(&year)?;
    let qs = questions()?;
    let forms = app.store.survey().forms(s.scope(), year).await?;
    let mut headers = vec!["身份证号", "姓名", "状态"];
    headers.extend(qs.all().iter().map(|q| q.label.as_str()));
    let lines: Vec<Vec<String>> = forms
        .iter()
        .map(|(id, name, status, a)| {
            let mut line = vec![
                id.clone(),
                name.clone(),
                match status.as_str() {
                    "accepted" => "已审核",
                    "returned" => "已退回",
                    _ => "已填报",
                }
                .to_owned(),
            ];
            line.extend(
                qs.all()
                    .iter()
                    .map(|q| a.get(&q.code).cloned().unwrap_or_default()),
            );
            line
        })
        .collect();
    app.store
        .persons()
        .record_view(
            s.scope(),
            "survey.export",
            format!("year:{year}"),
            format!("导出{}份调查表", lines.len()),
        )
        .await?;
    crate::pages::sheet_download(
        &app,
        "survey.xlsx",
        &format!("{year}年度调查.xlsx"),
        &headers,
        &lines,
    )
    .await
}
