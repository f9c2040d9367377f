//! The working-day calendar of a year: holidays and adjusted working days, set by
//! administrators.

use anju_domain::person::parse_date;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::HERE;
use crate::auth::PageUser;
use crate::pages::Layout;
use crate::{App, AppError};

pub struct DayRow {
    pub date: String,
    pub kind: &'static str,
    pub name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "calendar.html")]
pub struct CalendarPage {
    layout: Layout,
    year: i32,
    days: Vec<DayRow>,
    known: bool,
    can_edit: bool,
}

#[derive(Deserialize)]
pub struct DayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

/// Sets one day of the calendar (administrators): 放假, 上班, or back to the weekday rule.
pub async fn set_day(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<DayForm>,
) -> Result<Response, AppError> {
    use chrono::Datelike;
    s.check_csrf(&f.csrf)?;
    if !s.scope().role().manages_users() {
        return Err(AppError::Forbidden);
    }
    let date =
        parse_date(&f.date).ok_or_else(|| AppError::BadRequest(format!("日期“{}”无效", f.date)))?;
    let kind = match f.kind.as_str() {
        "holiday" => Some(anju_domain::calendar::DayKind::Holiday),
        "workday" => Some(anju_domain::calendar::DayKind::Workday),
        _ => None,
    };
    app.store
        .certificates()
        .set_calendar_days(
            s.scope(),
            "页面",
            vec![(1, date, kind, f.name.trim().to_owned())],
            true,
        )
        .await?;
    Ok(Redirect::to(&format!("/certificates/calendar?year={}", date.year())).into_response())
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

pub async fn calendar(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<YearQuery>,
) -> Result<CalendarPage, AppError> {
    use chrono::Datelike;
    let year = q.year.unwrap_or_else(|| app.store.today().year());
    let days = app.store.certificates().calendar_days(Some(year)).await?;
    Ok(CalendarPage {
        layout: Layout::for_session(&s, &format!("{year}年工作日历"), HERE),
        year,
        known: !days.is_empty(),
        can_edit: s.scope().role().manages_users(),
        days: days
            .into_iter()
            .map(|d| DayRow {
                date: d.date.to_string(),
                kind: d.kind.label(),
                name: d.name,
            })
            .collect(),
    })
}
