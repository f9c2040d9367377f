//! 残疾人之家: the homes serving the user's region in a month (star level, day-care members,
//! days attended, members in auxiliary employment, the latest evaluation), the star-rating
//! scheme in force and a new one's form, and a home's yearly evaluations with the form that
//! scores each item of the year's scheme.

use anju_domain::month::Month;
use anju_domain::star_rating::{StarScheme, stars_label};
use anju_store::{Evaluation, HomeLine, SchemeRecord};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use serde::Deserialize;

use super::HERE;
use crate::auth::{PageUser, Session};
use crate::pages::Key;
use crate::pages::Layout;
use crate::{App, AppError};

#[derive(Deserialize, Default)]
pub struct MonthQuery {
    #[serde(default)]
    month: String,
}

pub fn stars(n: &Option<u8>) -> &'static str {
    n.map_or("未评星", stars_label)
}

#[derive(Template, WebTemplate)]
#[template(path = "homes.html")]
pub struct ListPage {
    layout: Layout,
    month: String,
    homes: Vec<HomeLine>,
    scheme: Option<SchemeRecord>,
    can_manage: bool,
    error: Option<String>,
}

async fn list_page(
    app: &App,
    s: &Session,
    month: &str,
    error: Option<String>,
) -> Result<ListPage, AppError> {
    let month = match month.trim() {
        "" => Month::of(app.store.today()),
        m => Month::parse(m)
            .map_err(|_| AppError::BadRequest(format!("“{m}”不是月份，应如2025-09")))?,
    };
    let year = app.store.today().year();
    Ok(ListPage {
        layout: Layout::for_session(s, "残疾人之家", HERE),
        month: month.to_string(),
        homes: app.store.homes().overview(s.scope(), month).await?,
        scheme: app.store.homes().scheme_for(s.scope(), year).await.ok(),
        can_manage: s.scope().role().manages_services(),
        error,
    })
}

pub async fn list(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<MonthQuery>,
) -> Result<ListPage, AppError> {
    list_page(&app, &s, &q.month, None).await
}

#[derive(Deserialize)]
pub struct SchemeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    from_year: String,
    #[serde(default)]
    rows: String,
}

/// Adds a star-rating scheme from the form's lines (类型，名称，分值).
pub async fn add_scheme(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<SchemeForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    if !s.scope().role().manages_services() {
        return Err(AppError::Forbidden);
    }
    let fail = |m: String| async {
        let page = list_page(&app, &s, "", Some(m)).await?;
        Ok::<Response, AppError>((StatusCode::BAD_REQUEST, page).into_response())
    };
    let Some(year) = f
        .from_year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
    else {
        return fail(format!(
            "起始年度：“{}”应为年份，如2026",
            f.from_year.trim()
        ))
        .await;
    };
    let rows: Vec<(usize, String, String, String)> = f
        .rows
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let mut c = l.split([',', '，', '\t']).map(|x| x.trim().to_owned());
            (
                i + 1,
                c.next().unwrap_or_default(),
                c.next().unwrap_or_default(),
                c.next().unwrap_or_default(),
            )
        })
        .collect();
    match StarScheme::from_rows(&f.name, year, &rows) {
        Ok(scheme) => {
            app.store.homes().add_scheme(s.scope(), &scheme).await?;
            Ok(Redirect::to("/homes#scheme-h").into_response())
        }
        Err(faults) => {
            fail(
                faults
                    .iter()
                    .map(|(row, col, m)| {
                        if *row == 0 {
                            format!("{col}：{m}")
                        } else {
                            format!("第{row}行{col}：{m}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("；"),
            )
            .await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "disability_home.html")]
pub struct HomePage {
    layout: Layout,
    id: i64,
    name: String,
    star: &'static str,
    evaluations: Vec<Evaluation>,
    /// The scheme the form scores against, and the year it is for.
    scheme: Option<SchemeRecord>,
    year: i32,
    today: String,
    can_evaluate: bool,
    error: Option<String>,
}

async fn home_page(
    app: &App,
    s: &Session,
    id: i64,
    error: Option<String>,
) -> Result<HomePage, AppError> {
    let p = app.store.providers().get(s.scope(), id).await?;
    if p.provider.kind != anju_domain::provider::ProviderKind::DisabilityHome {
        return Err(AppError::NotFound);
    }
    let today = app.store.today();
    let year = today.year() - 1;
    Ok(HomePage {
        layout: Layout::for_session(s, &p.provider.name, HERE),
        id,
        star: stars(&p.provider.star_level),
        name: p.provider.name,
        evaluations: app.store.homes().evaluations(s.scope(), id).await?,
        scheme: app.store.homes().scheme_for(s.scope(), year).await.ok(),
        year,
        today: today.to_string(),
        can_evaluate: s.scope().role().manages_services(),
        error,
    })
}

pub async fn show(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
) -> Result<HomePage, AppError> {
    home_page(&app, &s, id, None).await
}

#[derive(Deserialize)]
pub struct EvaluationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    note: String,
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

/// Records a home's evaluation of a year: one score per item (`s0`, `s1`, … in the
/// scheme's order).
pub async fn evaluate(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<EvaluationForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let r = async {
        let year: i32 = f.year.trim().parse().map_err(|_| {
            anju_store::StoreError::Invalid(format!("评定年度：“{}”应为年份", f.year.trim()))
        })?;
        let date = anju_domain::person::parse_date(&f.date).ok_or_else(|| {
            anju_store::StoreError::Invalid(format!("评定日期：“{}”不是有效的日期", f.date.trim()))
        })?;
        let scheme = app.store.homes().scheme_for(s.scope(), year).await?;
        let scores: Vec<String> = (0..scheme.scheme.items.len())
            .map(|i| f.rest.get(&format!("s{i}")).cloned().unwrap_or_default())
            .collect();
        app.store
            .homes()
            .evaluate(s.scope(), id, year, date, &scores, &f.note)
            .await
    }
    .await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/homes/{id}#evaluations-h")).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(msg) => {
                let page = home_page(&app, &s, id, Some(msg)).await?;
                Ok((StatusCode::BAD_REQUEST, page).into_response())
            }
            other => Err(other),
        },
    }
}
