//! Employment in the pages: the status recorded on the person's file (every change kept), and
//! the year's 实名制新增就业 list by town, exportable.

use anju_domain::employment::{EmploymentForm, StatusInput};
use anju_store::{NewlyEmployed, PersonRecord};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Datelike;
use serde::Deserialize;

use crate::auth::{PageUser, Session};
use crate::pages::Key;
use crate::pages::Layout;
use crate::{App, AppError};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/employment", get(list))
        .route("/employment/export.xlsx", get(export))
        .route("/persons/{id}/employment", post(record))
}

/// The file's employment section: each status (date, form, employer, why not, by) and the
/// choices of the form.
pub struct FileEmployment {
    pub rows: Vec<[String; 5]>,
    pub forms: Vec<&'static str>,
    /// Whether the person is of working age today (the band is data).
    pub working_age: bool,
    pub band: String,
}

pub async fn file_employment(
    app: &App,
    s: &Session,
    rec: &PersonRecord,
) -> Result<FileEmployment, AppError> {
    let rows = app
        .store
        .employment()
        .history(s.scope(), rec.id)
        .await?
        .into_iter()
        .map(|r| {
            let st = r.status;
            let employer = match (&st.employer_code, st.employer_name.is_empty()) {
                (Some(c), false) => format!("{}（{c}）", st.employer_name),
                (Some(c), true) => c.clone(),
                (None, _) => st.employer_name.clone(),
            };
            let why = if st.form.is_employed() {
                String::new()
            } else {
                format!("{}；生活来源：{}", st.reason, st.means)
            };
            [
                st.since.to_string(),
                st.form.label().to_owned(),
                employer,
                why,
                r.created_by,
            ]
        })
        .collect();
    let rules = anju_domain::employment::EmploymentRules::shipped().map_err(AppError::Internal)?;
    Ok(FileEmployment {
        rows,
        forms: EmploymentForm::ALL.map(EmploymentForm::label).to_vec(),
        working_age: rules.of_working_age(rec.person.birth_date, app.store.today()),
        band: format!("{}至{}周岁", rules.age_from, rules.age_to),
    })
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    form: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    employer_code: String,
    #[serde(default)]
    employer_name: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    means: String,
}

/// Records a status on the file.
pub async fn record(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(key): Key,
    Form(f): Form<StatusForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let input = StatusInput {
        form: f.form,
        since: f.since,
        employer_code: f.employer_code,
        employer_name: f.employer_name,
        reason: f.reason,
        means: f.means,
    };
    app.store
        .employment()
        .record(s.scope(), key, &input)
        .await?;
    Ok(Redirect::to(&format!("/persons/{key}#employment-h")).into_response())
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    region: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "employment.html")]
pub struct ListPage {
    layout: Layout,
    year: i32,
    region: String,
    regions: Vec<(String, String)>,
    rows: Vec<NewlyEmployed>,
    /// People per town, in the list's order.
    towns: Vec<(String, usize)>,
    export_query: String,
}

async fn newly(
    app: &App,
    s: &Session,
    q: &YearQuery,
) -> Result<(i32, Vec<NewlyEmployed>), AppError> {
    let year = match q.year.trim() {
        "" => app.store.today().year(),
        y => y
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| AppError::BadRequest(format!("“{y}”不是年度")))?,
    };
    let region = Some(q.region.trim()).filter(|r| !r.is_empty());
    Ok((
        year,
        app.store
            .employment()
            .newly_employed(s.scope(), year, region)
            .await?,
    ))
}

pub async fn list(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<YearQuery>,
) -> Result<ListPage, AppError> {
    let (year, rows) = newly(&app, &s, &q).await?;
    let mut towns: Vec<(String, usize)> = Vec::new();
    for r in &rows {
        match towns.last_mut() {
            Some((t, n)) if *t == r.town => *n += 1,
            _ => towns.push((r.town.clone(), 1)),
        }
    }
    Ok(ListPage {
        layout: Layout::for_session(&s, &format!("{year}年实名制新增就业"), "/persons"),
        year,
        region: q.region.clone(),
        regions: crate::pages::region_choices(
            &s.scope().region().code,
            &[anju_domain::Level::County, anju_domain::Level::Town],
            3000,
        ),
        rows,
        towns,
        export_query: serde_urlencoded::to_string([
            ("year", year.to_string().as_str()),
            ("region", q.region.as_str()),
        ])
        .unwrap_or_default(),
    })
}

pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let (year, rows) = newly(&app, &s, &q).await?;
    let path = app
        .work_dir
        .join(format!("employment-{}.xlsx", anju_store::random_token()));
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let headers = [
        "镇（街道）",
        "姓名",
        "身份证号",
        "就业形式",
        "就业日期",
        "用人单位",
    ];
    let write = || -> Result<(), anju_io::WriteError> {
        let mut w = anju_io::SheetWriter::create(&path, &headers)?;
        for r in &rows {
            let since = r.since.to_string();
            w.write_row(&[
                &r.town,
                &r.name,
                &r.id_number,
                r.form.label(),
                &since,
                &r.employer_name,
            ])?;
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
            "employment.new_export",
            format!("year:{year}"),
            format!("导出{}人", rows.len()),
        )
        .await?;
    Ok(crate::pages::xlsx_download(
        "employment.xlsx",
        &format!("{year}年实名制新增就业.xlsx"),
        bytes,
    ))
}
