//! User management, for administrators, inside their own subtree.

use anju_domain::Role;
use anju_store::{NewUser, User};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::CsrfForm;
use super::{Layout, beijing};
use crate::auth::{PageUser, Session};
use crate::{App, AppError};

pub struct UserRow {
    username: String,
    display_name: String,
    role: &'static str,
    region: String,
    region_code: String,
    status: String,
    created: String,
    disabled: bool,
    locked: bool,
    is_self: bool,
    /// A provider's account: the provider it acts for (empty: none yet).
    provider: Option<String>,
}

fn status(u: &User, locked: bool) -> String {
    let mut parts = Vec::new();
    if u.disabled {
        parts.push("已停用");
    } else {
        parts.push("正常");
    }
    if locked {
        parts.push("已锁定");
    }
    if u.must_change_password {
        parts.push("待修改初始密码");
    }
    parts.join("，")
}

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
pub struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    message: Option<String>,
    /// The providers a provider's account may be bound to.
    providers: Vec<(i64, String)>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    created: Option<String>,
    changed: Option<String>,
}

pub async fn list(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<UsersPage, AppError> {
    let users = app.store.users().list(s.scope()).await?;
    let providers: Vec<(i64, String)> = app
        .store
        .providers()
        .list(s.scope())
        .await?
        .into_iter()
        .map(|p| (p.id, p.provider.name))
        .collect();
    let locked = app.store.security().locked_users(s.scope()).await?;
    let rows = users
        .iter()
        .map(|u| UserRow {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.label(),
            region: u.region_name.clone(),
            region_code: u.region_code.to_string(),
            status: status(u, locked.contains(&u.id)),
            locked: locked.contains(&u.id),
            created: beijing(u.created_at_ms),
            disabled: u.disabled,
            is_self: u.id == s.scope().user_id(),
            provider: (u.role == anju_domain::Role::Provider).then(|| {
                u.provider_id
                    .and_then(|id| providers.iter().find(|(p, _)| *p == id))
                    .map(|(_, name)| name.clone())
                    .unwrap_or_default()
            }),
        })
        .collect();
    let message = q
        .created
        .map(|u| format!("已创建用户 {u}"))
        .or(q.changed.map(|u| format!("已更新用户 {u}")));
    Ok(UsersPage {
        layout: Layout::for_session(&s, "用户管理", "/users"),
        users: rows,
        message,
        providers,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "user_new.html")]
pub struct NewUserPage {
    layout: Layout,
    error: Option<String>,
    username: String,
    display_name: String,
    role: String,
    region: String,
    roles: Vec<(&'static str, &'static str)>,
    scope_name: String,
    scope_prefix: String,
    /// The regions an account may be bound to, picked by name.
    regions: Vec<(String, String)>,
}

fn new_user_page(s: &Session, error: Option<String>, f: Option<&NewUserForm>) -> NewUserPage {
    let region = s.scope().region();
    NewUserPage {
        layout: Layout::for_session(s, "新建用户", "/users"),
        error,
        username: f.map(|f| f.username.clone()).unwrap_or_default(),
        display_name: f.map(|f| f.display_name.clone()).unwrap_or_default(),
        role: f.map_or_else(|| "county".to_owned(), |f| f.role.clone()),
        region: f.map_or_else(|| region.code.to_string(), |f| f.region.clone()),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        scope_name: region.name.clone(),
        scope_prefix: region.prefix().to_owned(),
        regions: crate::pages::region_choices(
            &region.code,
            &[
                anju_domain::Level::Province,
                anju_domain::Level::City,
                anju_domain::Level::County,
                anju_domain::Level::Town,
                anju_domain::Level::Village,
            ],
            3000,
        ),
    }
}

pub async fn new_form(PageUser(s): PageUser) -> Result<NewUserPage, AppError> {
    if !s.scope().role().manages_users() {
        return Err(AppError::Forbidden);
    }
    Ok(new_user_page(&s, None, None))
}

#[derive(Deserialize)]
pub struct NewUserForm {
    csrf: String,
    username: String,
    /// The person's name the account is shown by.
    #[serde(default)]
    display_name: String,
    role: String,
    region: String,
    #[serde(default)]
    password: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_secret.html")]
pub struct SecretPage {
    layout: Layout,
    what: String,
    username: String,
    password: String,
}

pub async fn create(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<NewUserForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let Some(role) = Role::parse(&f.role) else {
        let page = new_user_page(&s, Some("请选择有效的角色".into()), Some(&f));
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    };
    let new = NewUser {
        username: f.username.clone(),
        role,
        region: f.region.clone(),
        password: (!f.password.is_empty()).then(|| f.password.clone()),
    };
    let created = app.store.users().create(s.scope(), new).await;
    if let Ok((user, _)) = &created
        && !f.display_name.trim().is_empty()
    {
        app.store
            .users()
            .set_display_name(s.scope(), &user.username, &f.display_name)
            .await?;
    }
    match created {
        Ok((user, Some(password))) => Ok(SecretPage {
            layout: Layout::for_session(&s, "用户已创建", "/users"),
            what: format!("已创建用户 {}", user.username),
            username: user.username,
            password,
        }
        .into_response()),
        Ok((user, None)) => Ok(Redirect::to(&format!(
            "/users?{}",
            serde_urlencoded::to_string([("created", user.username.as_str())]).unwrap_or_default()
        ))
        .into_response()),
        Err(e) if e.is_client_error() && !matches!(e, anju_store::StoreError::Forbidden) => {
            let page = new_user_page(&s, Some(e.to_string()), Some(&f));
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_disabled(
    app: &App,
    s: &Session,
    username: &str,
    csrf: &str,
    disabled: bool,
) -> Result<Redirect, AppError> {
    s.check_csrf(csrf)?;
    app.store
        .users()
        .set_disabled(s.scope(), username, disabled)
        .await?;
    Ok(Redirect::to(&format!(
        "/users?{}",
        serde_urlencoded::to_string([("changed", username)]).unwrap_or_default()
    )))
}

pub async fn disable(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(username): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Redirect, AppError> {
    set_disabled(&app, &s, &username, &f.csrf, true).await
}

pub async fn enable(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(username): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Redirect, AppError> {
    set_disabled(&app, &s, &username, &f.csrf, false).await
}

pub async fn unlock(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(username): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Redirect, AppError> {
    s.check_csrf(&f.csrf)?;
    app.store.security().unlock(s.scope(), &username).await?;
    Ok(Redirect::to(&format!(
        "/users?{}",
        serde_urlencoded::to_string([("changed", username.as_str())]).unwrap_or_default()
    )))
}

pub async fn reset_password(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(username): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<SecretPage, AppError> {
    s.check_csrf(&f.csrf)?;
    let password = app
        .store
        .users()
        .reset_password(s.scope(), &username)
        .await?;
    Ok(SecretPage {
        layout: Layout::for_session(&s, "密码已重置", "/users"),
        what: format!("已重置用户 {username} 的密码，该用户的登录会话已全部结束"),
        username,
        password,
    })
}

#[derive(Deserialize)]
pub struct BindForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    provider: String,
}

/// Binds a provider's account to the provider it acts for.
pub async fn bind_provider(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(username): Path<String>,
    Form(f): Form<BindForm>,
) -> Result<Redirect, AppError> {
    s.check_csrf(&f.csrf)?;
    let provider = f
        .provider
        .parse::<i64>()
        .map_err(|_| AppError::BadRequest("请选择服务机构".into()))?;
    app.store
        .users()
        .bind_provider(s.scope(), &username, provider)
        .await?;
    Ok(Redirect::to(&format!(
        "/users?{}",
        serde_urlencoded::to_string([("changed", username.as_str())]).unwrap_or_default()
    )))
}
