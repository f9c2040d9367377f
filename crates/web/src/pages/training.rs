//! Training in the pages: the courses the user sees by year, the people of the user's subtree
//! who finished one per town (the plan's "trained" count), each course with its attendance,
//! and the forms to add a course and record attendance.

use anju_domain::training::{CourseInput, CourseKind};
use anju_store::{AttendanceRecord, CourseRecord, TrainedCount};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Datelike;
use serde::Deserialize;

use crate::auth::PageUser;
use crate::pages::Key;
use crate::pages::Layout;
use crate::{App, AppError};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/training", get(list).post(create))
        .route("/training/export.xlsx", get(export))
        .route("/training/{id}", get(show))
        .route("/training/{id}/attendance", post(attend))
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    year: String,
}

fn year_of(app: &App, q: &YearQuery) -> Result<i32, AppError> {
    match q.year.trim() {
        "" => Ok(app.store.today().year()),
        y => y
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| AppError::BadRequest(format!("“{y}”不是年度"))),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "training.html")]
pub struct ListPage {
    layout: Layout,
    year: i32,
    courses: Vec<CourseRecord>,
    trained: Vec<TrainedCount>,
    total: i64,
    can_create: bool,
    kinds: Vec<&'static str>,
    region: String,
}

pub async fn list(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<YearQuery>,
) -> Result<ListPage, AppError> {
    let year = year_of(&app, &q)?;
    let t = app.store.training();
    let trained = t.trained(s.scope(), year, None).await?;
    Ok(ListPage {
        layout: Layout::for_session(&s, &format!("{year}年残疾人培训"), "/jobs"),
        year,
        courses: t.courses(s.scope(), Some(year)).await?,
        total: trained.iter().map(|x| x.people).sum(),
        trained,
        can_create: s.scope().role().runs_job_services(),
        kinds: CourseKind::ALL.map(CourseKind::label).to_vec(),
        region: s.scope().region().code.to_string(),
    })
}

#[derive(Deserialize)]
pub struct CourseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    hours: String,
}

pub async fn create(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<CourseForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let input = CourseInput {
        name: f.name,
        kind: f.kind,
        provider: f.provider,
        region_code: f.region_code,
        starts_on: f.starts_on,
        ends_on: f.ends_on,
        hours: f.hours,
    };
    let id = app.store.training().create(s.scope(), &input).await?;
    Ok(Redirect::to(&format!("/training/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "training_course.html")]
pub struct CoursePage {
    layout: Layout,
    c: CourseRecord,
    people: Vec<AttendanceRecord>,
    can_write: bool,
}

pub async fn show(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
) -> Result<CoursePage, AppError> {
    let (c, people) = app.store.training().course(s.scope(), id).await?;
    Ok(CoursePage {
        layout: Layout::for_session(&s, &format!("培训：{}", c.course.name), "/jobs"),
        c,
        people,
        can_write: s.scope().role().writes_persons(),
    })
}

#[derive(Deserialize)]
pub struct AttendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    completed: String,
}

pub async fn attend(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<AttendForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    app.store
        .training()
        .attend(s.scope(), id, &f.id_number, &f.hours, &f.completed)
        .await?;
    Ok(Redirect::to(&format!("/training/{id}")).into_response())
}

/// The year's courses with their attendance in the subtree, one line per person.
pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = year_of(&app, &q)?;
    let t = app.store.training();
    let mut lines = Vec::new();
    for c in t.courses(s.scope(), Some(year)).await? {
        if c.enrolled == 0 {
            continue;
        }
        let (c, people) = t.course(s.scope(), c.id).await?;
        for p in people {
            lines.push(vec![
                c.course.name.clone(),
                c.course.kind.label().to_owned(),
                c.course.provider.clone(),
                c.course.starts_on.to_string(),
                c.course.ends_on.to_string(),
                p.name,
                p.id_number,
                p.hours.to_string(),
                if p.completed { "是" } else { "否" }.to_owned(),
            ]);
        }
    }
    app.store
        .persons()
        .record_view(
            s.scope(),
            "training.export",
            format!("year:{year}"),
            format!("导出{}行", lines.len()),
        )
        .await?;
    crate::pages::sheet_download(
        &app,
        "training.xlsx",
        &format!("{year}年培训名单.xlsx"),
        &[
            "课程",
            "培训类型",
            "培训机构",
            "开始日期",
            "结束日期",
            "姓名",
            "身份证号",
            "出勤课时",
            "是否结业",
        ],
        &lines,
    )
    .await
}
