//! The web layer's one error type.
//!
//! A handler returns `AppError`; its response carries an [`ErrorInfo`] extension and no body.
//! The page router's [`render_html`] layer turns it into a Chinese error page (or a redirect
//! to the login page), the API router's [`render_json`] into `{"error","message"}`. Internal
//! errors are logged here and shown as a generic message, never with their details.

use anju_store::{SessionKind, StoreError};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::App;
use crate::auth::Session;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// No live session: pages redirect to the login page, the API answers 401.
    Unauthenticated,
    /// The account must change its password before anything else.
    PasswordChange,
    Forbidden,
    /// Refused for a reason the user should read (a locked or disabled account).
    Refused(String),
    NotFound,
    BadRequest(String),
    /// A record refused by validation, with every fault.
    Invalid(Vec<anju_domain::person::FieldError>),
    /// Too many attempts from one address: try again after the seconds given.
    TooManyRequests(u64),
    /// A verification key over its day's quota.
    QuotaExceeded,
    /// The database is busy with a long job: try again after the seconds given.
    Busy(u64),
    Internal(String),
}

#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub error: AppError,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::PasswordChange | AppError::Forbidden | AppError::Refused(_) => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            AppError::TooManyRequests(_) | AppError::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
            AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::PasswordChange => "password_change_required",
            AppError::Forbidden => "forbidden",
            AppError::Refused(_) => "refused",
            AppError::NotFound => "not_found",
            AppError::BadRequest(_) => "bad_request",
            AppError::Invalid(_) => "invalid",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::QuotaExceeded => "quota_exceeded",
            AppError::Busy(_) => "busy",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated => "请先登录".into(),
            AppError::PasswordChange => "请先修改初始密码".into(),
            AppError::Forbidden => "您无权访问此页面或数据".into(),
            AppError::NotFound => "您要找的页面或数据不存在".into(),
            AppError::BadRequest(m) | AppError::Refused(m) => m.clone(),
            AppError::Invalid(errors) => errors
                .iter()
                .map(|e| format!("{}：{}", e.field.header(), e.message))
                .collect::<Vec<_>>()
                .join("；"),
            AppError::TooManyRequests(secs) => {
                format!("尝试次数过多，请{secs}秒后再试")
            }
            AppError::QuotaExceeded => {
                "已超出今日核验限额，请明天再试或联系残联管理员调整限额".into()
            }
            AppError::Busy(secs) => {
                format!("系统正在处理大批量数据，请{secs}秒后再试；您的操作没有保存")
            }
            AppError::Internal(_) => "系统内部错误，请稍后重试或联系管理员".into(),
        }
    }

    /// Seconds a client should wait before trying again, for `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests(s) | AppError::Busy(s) => Some(*s),
            AppError::QuotaExceeded => Some(3600),
            _ => None,
        }
    }
}

/// Adds `Retry-After` to a response for an error that asks the client to wait.
fn with_retry_after(mut res: Response, e: &AppError) -> Response {
    if let Some(secs) = e.retry_after()
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Forbidden => AppError::Forbidden,
            StoreError::NotFound(_) => AppError::NotFound,
            StoreError::Busy => AppError::Busy(5),
            // A key's day is over: try again after midnight (an hour is a fair hint).
            StoreError::QuotaExceeded => AppError::QuotaExceeded,
            e if e.is_client_error() => AppError::BadRequest(e.to_string()),
            e => AppError::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let mut res = self.status().into_response();
        res.extensions_mut().insert(ErrorInfo { error: self });
        res
    }
}

/// Renders errors of page routes as pages, inside the viewer's own navigation when logged in.
pub async fn render_html(State(app): State<App>, req: Request, next: Next) -> Response {
    let session_token = crate::auth::cookie(req.headers(), crate::auth::SESSION_COOKIE);
    let target = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let is_get = req.method() == axum::http::Method::GET;
    let res = next.run(req).await;
    let Some(info) = res.extensions().get::<ErrorInfo>().cloned() else {
        return res;
    };
    match info.error {
        AppError::Unauthenticated => {
            let next = if is_get && target != "/" {
                let q =
                    serde_urlencoded::to_string([("next", target.as_str())]).unwrap_or_default();
                format!("/login?{q}")
            } else {
                "/login".to_owned()
            };
            Redirect::to(&next).into_response()
        }
        AppError::PasswordChange => Redirect::to("/password").into_response(),
        e => {
            let mut viewer = None;
            if let Some(token) = session_token
                && let Ok(Some(auth)) = app.store.sessions().authenticate(&token, "").await
                && auth.kind == SessionKind::Web
            {
                viewer = Some(Session { auth, token });
            }
            let res = (e.status(), crate::pages::error_page(&e, viewer.as_ref())).into_response();
            with_retry_after(res, &e)
        }
    }
}

/// An API error's body.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ApiError {
    /// A stable code: unauthenticated, password_change_required, forbidden, refused,
    /// not_found, bad_request, invalid, too_many_requests, busy, internal.
    pub error: &'static str,
    /// What went wrong, in Chinese, for the user.
    pub message: String,
    /// For an internal error: the request's id, which finds its cause in the server's log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For `invalid`: every field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldFault>>,
}

/// One field at fault in a refused record.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FieldFault {
    /// The field's key, as the API names it (`id_number`).
    pub field: &'static str,
    /// The sheet's column header (身份证号).
    pub column: &'static str,
    pub code: &'static str,
    pub message: String,
}

/// Renders errors of API routes as JSON.
pub async fn render_json(req: Request, next: Next) -> Response {
    let request_id = req
        .extensions()
        .get::<crate::ops::RequestContext>()
        .map(|c| c.id.clone());
    let res = next.run(req).await;
    let Some(info) = res.extensions().get::<ErrorInfo>().cloned() else {
        return res;
    };
    let e = info.error;
    let body = ApiError {
        error: e.code(),
        message: e.message(),
        // The id finds the logged cause; the cause itself stays in the log.
        request_id: request_id.filter(|_| matches!(e, AppError::Internal(_))),
        errors: match &e {
            AppError::Invalid(errors) => Some(
                errors
                    .iter()
                    .map(|f| FieldFault {
                        field: f.field.key(),
                        column: f.field.header(),
                        code: f.code,
                        message: f.message.clone(),
                    })
                    .collect(),
            ),
            _ => None,
        },
    };
    let mut out = with_retry_after((e.status(), axum::Json(body)).into_response(), &e);
    if e == AppError::Unauthenticated {
        out.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"anju\""),
        );
    }
    out
}
