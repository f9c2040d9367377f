//! The providers page: the providers serving the user's region, and (for a county, a city or
//! an administrator) the form that registers one or changes one it keeps.

use anju_domain::provider::{ProviderInput, ProviderKind};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::HERE;
use crate::auth::{PageUser, Session};
use crate::pages::Layout;
use crate::{App, AppError};

pub struct ProviderRow {
    pub name: String,
    pub credit_code: String,
    pub kind: &'static str,
    pub regions: String,
    pub programmes: String,
    pub agreement: String,
    pub star: String,
}

#[derive(Deserialize, Default)]
pub struct ProviderForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    regions: String,
    #[serde(default)]
    programmes: String,
    #[serde(default)]
    agreement_from: String,
    #[serde(default)]
    agreement_to: String,
    #[serde(default)]
    star_level: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "providers.html")]
pub struct ListPage {
    layout: Layout,
    rows: Vec<ProviderRow>,
    can_register: bool,
    kinds: Vec<&'static str>,
    programmes: Vec<String>,
    f: ProviderForm,
    errors: Vec<(&'static str, String)>,
}

fn can_register(s: &Session) -> bool {
    s.scope().role().manages_services()
}

async fn page(
    app: &App,
    s: &Session,
    f: ProviderForm,
    errors: Vec<(&'static str, String)>,
) -> Result<ListPage, AppError> {
    let rows = app
        .store
        .providers()
        .list(s.scope())
        .await?
        .into_iter()
        .map(|r| {
            let p = r.provider;
            ProviderRow {
                name: p.name,
                credit_code: p.credit_code.to_string(),
                kind: p.kind.label(),
                regions: p
                    .regions
                    .iter()
                    .map(|c| anju_domain::RegionTable::jiangsu().name_of(c.as_str()))
                    .collect::<Vec<_>>()
                    .join("、"),
                programmes: p.programmes.join("、"),
                agreement: format!("{} 至 {}", p.agreement_from, p.agreement_to),
                star: p.star_level.map(|n| format!("{n}星")).unwrap_or_default(),
            }
        })
        .collect();
    Ok(ListPage {
        layout: Layout::for_session(s, "服务机构", HERE),
        rows,
        can_register: can_register(s),
        kinds: ProviderKind::ALL.map(ProviderKind::label).to_vec(),
        programmes: app
            .store
            .programmes()
            .list(s.scope())
            .await?
            .into_iter()
            .map(|r| r.programme.name)
            .collect(),
        f,
        errors,
    })
}

pub async fn list(State(app): State<App>, PageUser(s): PageUser) -> Result<ListPage, AppError> {
    page(&app, &s, ProviderForm::default(), Vec::new()).await
}

pub async fn register(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<ProviderForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    if !can_register(&s) {
        return Err(AppError::Forbidden);
    }
    let known: Vec<String> = app
        .store
        .programmes()
        .list(s.scope())
        .await?
        .into_iter()
        .map(|r| r.programme.name)
        .collect();
    let input = ProviderInput {
        credit_code: f.credit_code.clone(),
        name: f.name.clone(),
        kind: f.kind.clone(),
        regions: f.regions.clone(),
        programmes: f.programmes.clone(),
        agreement_from: f.agreement_from.clone(),
        agreement_to: f.agreement_to.clone(),
        star_level: f.star_level.clone(),
    };
    let refused = |errors| async {
        let p = page(&app, &s, f, errors).await?;
        Ok::<Response, AppError>((StatusCode::BAD_REQUEST, p).into_response())
    };
    let provider = match input.validate(&known) {
        Ok(p) => p,
        Err(errors) => return refused(errors).await,
    };
    match app.store.providers().register(s.scope(), provider).await {
        Ok(_) => Ok(Redirect::to("/providers").into_response()),
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(msg) => refused(vec![("统一社会信用代码", msg)]).await,
            other => Err(other),
        },
    }
}
