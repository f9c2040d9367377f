//! Online assessment sessions (线上评定): scheduled by a county, applicants added, outcomes
//! recorded together.

use anju_domain::application::AppState;
use anju_domain::certificate::{Category, Grade};
use anju_domain::person::parse_date;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Choice, HERE, category_choices, grade_choices};
use crate::auth::{PageUser, Session};
use crate::pages::Layout;
use crate::{App, AppError};

pub struct SessionRow {
    pub href: String,
    pub held_on: String,
    pub hospital: String,
    pub doctors: String,
    pub applicants: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "sessions.html")]
pub struct SessionsPage {
    layout: Layout,
    rows: Vec<SessionRow>,
    can_schedule: bool,
    today: String,
}

fn runs_sessions(s: &Session) -> bool {
    matches!(
        s.scope().role(),
        anju_domain::Role::Admin | anju_domain::Role::County
    )
}

pub async fn sessions(
    State(app): State<App>,
    PageUser(s): PageUser,
) -> Result<SessionsPage, AppError> {
    let rows = app
        .store
        .assessment_sessions()
        .list(s.scope())
        .await?
        .into_iter()
        .map(|x| SessionRow {
            href: format!("/certificates/sessions/{}", x.id),
            held_on: x.held_on.to_string(),
            hospital: x.hospital,
            doctors: x.doctors,
            applicants: x.applicants.len(),
        })
        .collect();
    Ok(SessionsPage {
        layout: Layout::for_session(&s, "线上评定", HERE),
        rows,
        can_schedule: runs_sessions(&s),
        today: app.store.today().to_string(),
    })
}

#[derive(Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    hospital: String,
    #[serde(default)]
    doctors: String,
}

pub async fn schedule(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<ScheduleForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let date = parse_date(&f.held_on)
        .ok_or_else(|| AppError::BadRequest(format!("评定日期“{}”无效", f.held_on)))?;
    let x = app
        .store
        .assessment_sessions()
        .schedule(s.scope(), date, &f.hospital, &f.doctors)
        .await?;
    Ok(Redirect::to(&format!("/certificates/sessions/{}", x.id)).into_response())
}

pub struct ApplicantRow {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub pending: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "session.html")]
pub struct SessionPage {
    layout: Layout,
    id: i64,
    held_on: String,
    hospital: String,
    doctors: String,
    applicants: Vec<ApplicantRow>,
    waiting: Vec<Choice>,
    categories: Vec<Choice>,
    grades: Vec<Choice>,
    can_run: bool,
    refused: Vec<String>,
}

async fn session_page(
    app: &App,
    s: &Session,
    id: i64,
    refused: Vec<String>,
) -> Result<SessionPage, AppError> {
    let scope = s.scope();
    let x = app.store.assessment_sessions().get(scope, id).await?;
    let on: Vec<i64> = x.applicants.iter().map(|a| a.id).collect();
    let waiting = app
        .store
        .applications()
        .list(scope, None)
        .await?
        .into_iter()
        .filter(|a| {
            a.state == AppState::Applied && a.kind.needs_assessment() && !on.contains(&a.id)
        })
        .map(|a| Choice {
            value: a.id.to_string(),
            label: format!("{}（{}，{}受理）", a.name, a.kind.label(), a.applied_on),
        })
        .collect();
    Ok(SessionPage {
        layout: Layout::for_session(s, &format!("{} 线上评定", x.held_on), HERE),
        id,
        held_on: x.held_on.to_string(),
        hospital: x.hospital,
        doctors: x.doctors,
        applicants: x
            .applicants
            .iter()
            .map(|a| ApplicantRow {
                id: a.id,
                name: a.name.clone(),
                kind: a.kind.label(),
                state: a.state.label(),
                pending: a.state == AppState::Applied,
            })
            .collect(),
        waiting,
        categories: category_choices(),
        grades: grade_choices(),
        can_run: runs_sessions(s),
        refused,
    })
}

pub async fn session(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
) -> Result<SessionPage, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    session_page(&app, &s, id, Vec::new()).await
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    application: String,
}

pub async fn add_applicant(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
    Form(f): Form<AddForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let application: i64 = f
        .application
        .parse()
        .map_err(|_| AppError::BadRequest("请选择申请".into()))?;
    app.store
        .assessment_sessions()
        .add(s.scope(), id, application)
        .await?;
    Ok(Redirect::to(&format!("/certificates/sessions/{id}")).into_response())
}

/// The bulk form: `category_{application}`, `grade_{application}`, `components_{application}`;
/// rows left without a category are skipped.
pub async fn record_outcomes(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    s.check_csrf(f.get("csrf").map_or("", String::as_str))?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let mut outcomes = Vec::new();
    let mut bad = Vec::new();
    let mut keys: Vec<&String> = f.keys().filter(|k| k.starts_with("category_")).collect();
    keys.sort();
    for k in keys {
        let app_id = &k["category_".len()..];
        let category = f.get(k).map_or("", String::as_str);
        if category.is_empty() {
            continue;
        }
        let grade = f.get(&format!("grade_{app_id}")).map_or("", String::as_str);
        let components = f
            .get(&format!("components_{app_id}"))
            .map_or("", String::as_str);
        let (Ok(application_id), Some(category), Some(grade)) = (
            app_id.parse::<i64>(),
            Category::parse(category),
            Grade::parse(grade),
        ) else {
            bad.push(format!("申请#{app_id}：类别或等级无效"));
            continue;
        };
        let components = if components.trim().is_empty() {
            Some(anju_domain::certificate::Components(Vec::new()))
        } else {
            anju_domain::certificate::Components::parse(components)
        };
        let Some(components) = components else {
            bad.push(format!("申请#{app_id}：多重残疾组成无效"));
            continue;
        };
        outcomes.push(anju_store::SessionOutcome {
            application_id,
            category,
            grade,
            components,
        });
    }
    let ids: Vec<i64> = outcomes.iter().map(|o| o.application_id).collect();
    let refused = app
        .store
        .assessment_sessions()
        .record(s.scope(), id, outcomes)
        .await?;
    bad.extend(refused.iter().map(|r| {
        format!(
            "申请#{}：{}",
            ids.get(r.row - 1).copied().unwrap_or(0),
            r.message
        )
    }));
    if bad.is_empty() {
        Ok(Redirect::to(&format!("/certificates/sessions/{id}")).into_response())
    } else {
        Ok((
            axum::http::StatusCode::BAD_REQUEST,
            session_page(&app, &s, id, bad).await?,
        )
            .into_response())
    }
}
