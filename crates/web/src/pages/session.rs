//! Login, logout and the change of one's own password.

use anju_store::{LoginError, SessionKind, StoreError, random_token};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Layout;
use crate::auth::{
    ClientAddr, LOGIN_CSRF_COOKIE, PendingPageUser, SESSION_COOKIE, constant_time_eq, cookie,
    set_cookie,
};
use crate::{App, AppError};

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    layout: Layout,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    logged_out: bool,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    out: Option<String>,
}

/// Only a path on this site may follow a login: it starts with one `/`, and every character
/// is visible ASCII other than `\` (no scheme, no `//host`, no tab or vertical tab that a
/// browser drops to make `/\t/host` into `//host`, nothing a header cannot carry).
fn safe_next(next: &str) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 2048
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if local {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

fn login_page(app: &App, next: &str, username: &str, error: Option<String>, out: bool) -> Response {
    let csrf = random_token();
    let page = LoginPage {
        layout: Layout::public("登录"),
        csrf: csrf.clone(),
        next: safe_next(next),
        username: username.to_owned(),
        error,
        logged_out: out,
    };
    let status = if page.error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    (
        status,
        [(SET_COOKIE, set_cookie(app, LOGIN_CSRF_COOKIE, &csrf, None))],
        page,
    )
        .into_response()
}

pub async fn login_form(State(app): State<App>, Query(q): Query<LoginQuery>) -> Response {
    login_page(&app, &q.next, "", None, q.out.is_some())
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(app): State<App>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), f.csrf.as_bytes()) {
        return Ok(login_page(
            &app,
            &f.next,
            &f.username,
            Some("登录页面已过期，请重新输入后登录".into()),
            false,
        ));
    }
    if let Err(e) = app.login_attempt(&client) {
        let mut res = login_page(&app, &f.next, &f.username, Some(e.message()), false);
        *res.status_mut() = e.status();
        if let Some(secs) = e.retry_after()
            && let Ok(v) = secs.to_string().parse()
        {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        return Ok(res);
    }
    let result = app
        .store
        .sessions()
        .login(&f.username, &f.password, &client, SessionKind::Web)
        .await?;
    let ok = match result {
        Ok(ok) => ok,
        Err(e @ (LoginError::BadCredentials | LoginError::Disabled | LoginError::Locked)) => {
            return Ok(login_page(
                &app,
                &f.next,
                &f.username,
                Some(e.to_string()),
                false,
            ));
        }
    };
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        app.store.sessions().discard(&old).await?;
    }
    let to = if ok.must_change_password {
        "/password".to_owned()
    } else {
        safe_next(&f.next)
    };
    let mut res = Redirect::to(&to).into_response();
    let h = res.headers_mut();
    if let Ok(v) = set_cookie(&app, SESSION_COOKIE, &ok.token, None).parse() {
        h.append(SET_COOKIE, v);
    }
    if let Ok(v) = set_cookie(&app, LOGIN_CSRF_COOKIE, "", Some(0)).parse() {
        h.append(SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn logout(
    State(app): State<App>,
    PendingPageUser(s): PendingPageUser,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    app.store.sessions().logout(s.scope(), &s.token).await?;
    Ok((
        [(SET_COOKIE, set_cookie(&app, SESSION_COOKIE, "", Some(0)))],
        Redirect::to("/login?out=1"),
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
pub struct PasswordPage {
    layout: Layout,
    forced: bool,
    done: bool,
    current_error: Option<String>,
    new_error: Option<String>,
    confirm_error: Option<String>,
}

impl PasswordPage {
    fn new(s: &crate::auth::Session) -> Self {
        Self {
            layout: Layout::for_session(s, "修改密码", "/password"),
            forced: s.auth.must_change_password,
            done: false,
            current_error: None,
            new_error: None,
            confirm_error: None,
        }
    }
}

pub async fn password_form(PendingPageUser(s): PendingPageUser) -> PasswordPage {
    PasswordPage::new(&s)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    confirm: String,
}

pub async fn change_password(
    State(app): State<App>,
    PendingPageUser(s): PendingPageUser,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let mut page = PasswordPage::new(&s);
    // Every fault the form can see is reported at once; the current password is checked by
    // the store only when the rest is right.
    if f.current.is_empty() {
        page.current_error = Some("请输入当前密码".into());
    }
    if let Err(e) = anju_domain::password::check(s.scope().username(), &f.new) {
        page.new_error = Some(e.to_string());
    } else if !f.current.is_empty() && f.new == f.current {
        page.new_error = Some("新密码不能与当前密码相同".into());
    }
    if f.new != f.confirm {
        page.confirm_error = Some("两次输入的新密码不一致".into());
    }
    if page.current_error.is_some() || page.new_error.is_some() || page.confirm_error.is_some() {
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    match app
        .store
        .users()
        .change_password(s.scope(), &f.current, &f.new, Some(&s.token))
        .await
    {
        Ok(()) if s.auth.must_change_password => Ok(Redirect::to("/").into_response()),
        Ok(()) => {
            page.done = true;
            Ok(page.into_response())
        }
        Err(e @ (StoreError::WrongPassword | StoreError::Locked)) => {
            page.current_error = Some(e.to_string());
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e @ (StoreError::Invalid(_) | StoreError::Password(_))) => {
            page.new_error = Some(e.to_string());
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_follow_a_login() {
        assert_eq!(safe_next("/regions/320100000000"), "/regions/320100000000");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
        assert_eq!(safe_next("/\t/evil.example"), "/");
        assert_eq!(safe_next("/\x0b/evil.example"), "/");
        assert_eq!(safe_next("/ /evil.example"), "/");
        assert_eq!(safe_next("/\r\nSet-Cookie:x=1"), "/");
        assert_eq!(safe_next("/人员"), "/");
        assert_eq!(safe_next("/persons?q=%E5%BC%A0"), "/persons?q=%E5%BC%A0");
    }
}
