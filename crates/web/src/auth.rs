//! Who is asking: session cookies for pages, bearer tokens for the API, CSRF for forms.
//!
//! Pages use the `anju_session` cookie (HttpOnly, SameSite=Strict, Secure when configured);
//! the API uses `Authorization: Bearer`. The two never stand in for each other, so a browser
//! cookie cannot drive the API from another site. Every form carries a CSRF token: the
//! session's own once logged in, a double-submit cookie on the login form before that.

use std::net::SocketAddr;

use anju_store::{Authenticated, Scope, SessionKind};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;

use crate::{App, AppError};

pub const SESSION_COOKIE: &str = "anju_session";
pub const LOGIN_CSRF_COOKIE: &str = "anju_login_csrf";

/// A logged-in user on a page route, whose password needs no change.
pub struct PageUser(pub Session);
/// A logged-in user on a page route, perhaps still holding a generated password.
pub struct PendingPageUser(pub Session);
/// A bearer-token user on an API route, whose password needs no change.
pub struct ApiUser(pub Session);
/// A bearer-token user on an API route, perhaps still holding a generated password.
pub struct PendingApiUser(pub Session);

pub struct Session {
    pub auth: Authenticated,
    pub token: String,
}

impl Session {
    pub fn scope(&self) -> &Scope {
        &self.auth.scope
    }

    /// Checks a submitted form's CSRF token against the session's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        if constant_time_eq(submitted.as_bytes(), self.auth.csrf_token.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::BadRequest(
                "表单已过期或来源不明，请返回刷新后重试".into(),
            ))
        }
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value; `max_age` of 0 deletes the cookie.
pub fn set_cookie(app: &App, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if app.secure_cookies {
        c.push_str("; Secure");
    }
    c
}

pub fn client_addr(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// The client's address, as recorded in audit entries.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts)))
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

async fn session(
    parts: &Parts,
    app: &App,
    token: Option<String>,
    kind: SessionKind,
) -> Result<Session, AppError> {
    let token = token
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .ok_or(AppError::Unauthenticated)?;
    let auth = app
        .store
        .sessions()
        .authenticate(&token, &client_addr(parts))
        .await?
        .filter(|a| a.kind == kind)
        .ok_or(AppError::Unauthenticated)?;
    if let Some(ctx) = parts.extensions.get::<crate::ops::RequestContext>() {
        let _ = ctx.user.set(auth.scope.username().to_owned());
    }
    Ok(Session { auth, token })
}

fn settled(s: Session) -> Result<Session, AppError> {
    if s.auth.must_change_password {
        Err(AppError::PasswordChange)
    } else {
        Ok(s)
    }
}

impl FromRequestParts<App> for PendingPageUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let token = cookie(&parts.headers, SESSION_COOKIE);
        session(parts, app, token, SessionKind::Web)
            .await
            .map(PendingPageUser)
    }
}

impl FromRequestParts<App> for PageUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let s = PendingPageUser::from_request_parts(parts, app).await?.0;
        settled(s).map(PageUser)
    }
}

impl FromRequestParts<App> for PendingApiUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let token = bearer(&parts.headers);
        session(parts, app, token, SessionKind::Api)
            .await
            .map(PendingApiUser)
    }
}

impl FromRequestParts<App> for ApiUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let s = PendingApiUser::from_request_parts(parts, app).await?.0;
        settled(s).map(ApiUser)
    }
}

/// A department's verification key (`Authorization: Bearer dk_…`), the only caller of the
/// verification service; a user's session token is known there but refused (403).
pub struct DeptKeyUser(pub anju_store::DeptKey, pub String);

impl FromRequestParts<App> for DeptKeyUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let token = bearer(&parts.headers)
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(AppError::Unauthenticated)?;
        if token.starts_with("dk_") {
            let key = app
                .store
                .dept_keys()
                .authenticate(&token)
                .await?
                .ok_or(AppError::Unauthenticated)?;
            return Ok(DeptKeyUser(key, client_addr(parts)));
        }
        session(parts, app, Some(token), SessionKind::Api).await?;
        Err(AppError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_and_bearer_tokens_are_read() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; anju_session=tok; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("tok"));
        assert_eq!(cookie(&h, "c"), None);
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer xyz"));
        assert_eq!(bearer(&h).as_deref(), Some("xyz"));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Basic xyz"));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn csrf_comparison_is_exact() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
