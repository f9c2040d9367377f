//! Anju's web layer: Chinese pages that work without JavaScript, and the JSON API.
//!
//! Handlers translate HTTP into store calls and back; rules live in the domain, access
//! limits in the store's `Scope`. Pages and API share the store but not their errors'
//! rendering (see `error`) nor their credentials (see `auth`).

pub mod api;
pub mod auth;
pub mod backups;
pub mod error;
pub mod jobs;
pub mod ops;
pub mod pages;
pub mod throttle;
pub mod view;

use std::net::SocketAddr;
use std::path::PathBuf;

use anju_store::Store;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;

pub use error::AppError;
pub use pages::reports::{report_html, report_xlsx};

/// The state every handler sees.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    /// Mark cookies `Secure` (when served behind HTTPS).
    pub secure_cookies: bool,
    /// Where uploads, error sheets and exports are kept while they are needed.
    pub work_dir: PathBuf,
    pub jobs: jobs::Jobs,
    pub logins: std::sync::Arc<throttle::LoginThrottle>,
    /// Where the audit chain's head is anchored every hour and at shutdown.
    pub audit_anchor_dir: Option<PathBuf>,
    /// Where a backup is taken every day, and how many are kept.
    pub backups: Option<(PathBuf, usize)>,
    pub metrics: std::sync::Arc<ops::Metrics>,
    /// Requests being answered now (a page import gives way while there are any).
    pub in_flight: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Who may read `/metrics`.
    pub metrics_allow: ops::AllowList,
}

impl App {
    /// Counts a login attempt from `client`; too many this minute answer 429.
    pub fn login_attempt(&self, client: &str) -> Result<(), AppError> {
        let limit = self.store.policy().attempts_per_minute;
        self.logins
            .attempt(client, self.store.now_ms() / 1000, limit)
            .map_err(AppError::TooManyRequests)
    }

    /// How far ahead a certificate counts as expiring (the certificate rules' window).
    pub async fn expiring_days(&self) -> Result<u32, AppError> {
        Ok(self.store.certificates().rules().await?.expiring_days)
    }
}

impl App {
    pub fn new(store: Store, secure_cookies: bool, data_dir: PathBuf) -> Self {
        Self {
            store,
            secure_cookies,
            work_dir: data_dir.join("work"),
            jobs: jobs::Jobs::default(),
            logins: std::sync::Arc::default(),
            audit_anchor_dir: None,
            backups: None,
            metrics: std::sync::Arc::default(),
            in_flight: std::sync::Arc::default(),
            metrics_allow: ops::AllowList::default(),
        }
    }
}

/// The whole application: pages, API, health and static files.
pub fn router(app: App) -> Router {
    let pages = pages::routes().layer(middleware::from_fn_with_state(
        app.clone(),
        error::render_html,
    ));
    let (api, _) = api::routes();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(ops::metrics))
        .route("/static/anju.css", get(stylesheet))
        .route("/static/anju.js", get(script))
        .route("/static/report.css", get(report_stylesheet))
        .merge(api)
        .merge(pages)
        .layer(middleware::from_fn_with_state(
            app.clone(),
            security_headers,
        ))
        .layer(middleware::from_fn_with_state(app.clone(), ops::access))
        .with_state(app)
}

/// Serves until Ctrl-C or SIGTERM; the listener is bound by the caller, so that a port in
/// use is reported before anything else starts.
pub async fn serve(listener: TcpListener, app: App) -> std::io::Result<()> {
    // Work files (uploads, error sheets, exports) are swept at start and every hour.
    let work_dir = app.work_dir.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let dir = work_dir.clone();
            let _ = tokio::task::spawn_blocking(move || {
                jobs::sweep_work_dir(&dir, jobs::WORK_FILE_LIFETIME)
            })
            .await;
        }
    });
    // The audit chain's head, written outside the database every hour (and at shutdown).
    if let Some(dir) = app.audit_anchor_dir.clone() {
        let store = app.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                tick.tick().await;
                anchor(&store, &dir).await;
            }
        });
    }
    // A backup a day: checked every hour, taken when the newest is a day old.
    if let Some((dir, keep)) = app.backups.clone() {
        let store = app.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                tick.tick().await;
                backups::daily(&store, &dir, keep).await;
            }
        });
    }
    // Sessions' last use and the audit spool reach the database when it is free.
    let store = app.store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        let mut n: u64 = 0;
        loop {
            tick.tick().await;
            n += 1;
            if let Err(e) = store.drain_audit_spool(200).await {
                tracing::warn!("audit spool not drained: {e}");
            }
            if n.is_multiple_of(30)
                && let Err(e) = store.sessions().flush_touches().await
            {
                tracing::warn!("session use not written: {e}");
            }
        }
    });
    // Settings changed from the command line take effect within a minute.
    let store = app.store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = store.security().load().await {
                tracing::warn!("security settings not reloaded: {e}");
            }
        }
    });
    // The certificate rules are applied at start and again whenever the (Beijing) day turns.
    let store = app.store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        let mut last = None;
        loop {
            tick.tick().await;
            let today = store.today();
            if last == Some(today) {
                continue;
            }
            match store.certificates().sweep_today().await {
                Ok(r) => {
                    last = Some(today);
                    tracing::info!(
                        date = %r.date,
                        frozen = r.frozen,
                        cancelled = r.cancelled,
                        expiring = r.expiring,
                        expired = r.expired,
                        derived = r.derived,
                        "certificate rules applied"
                    );
                }
                Err(e) => tracing::warn!("certificate rules not applied: {e}"),
            }
            // The day's indicator tallies are counted now rather than at the first reading,
            // and in January the year just ended is frozen if nobody has done it.
            match store.indicators().daily().await {
                Ok(Some(s)) => tracing::info!(year = s.year, "indicators' year-end snapshot taken"),
                Ok(None) => {}
                Err(e) => tracing::warn!("indicators not counted: {e}"),
            }
        }
    });
    let store = app.store.clone();
    let anchor_dir = app.audit_anchor_dir.clone();
    let served = axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    if let Some(dir) = anchor_dir {
        anchor(&store, &dir).await;
    }
    served
}

/// Anchors the audit chain's head in `dir` and logs it.
async fn anchor(store: &Store, dir: &std::path::Path) {
    match store.audit().anchor_to(dir).await {
        Ok(a) => tracing::info!(seq = a.seq, hash = %a.hash, "audit head anchored"),
        Err(e) => tracing::error!("audit head not anchored: {e}"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

async fn healthz(State(app): State<App>) -> Response {
    let db_ok = app.store.ping().await.is_ok();
    let body = serde_json::json!({
        "status": if db_ok { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "database": app.store.backend().as_str(),
        "regions": app.store.regions().len(),
    });
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

const STYLESHEET: &str = include_str!("../static/anju.css");

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn report_stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        pages::reports::REPORT_CSS,
    )
        .into_response()
}

const SCRIPT: &str = include_str!("../static/anju.js");

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// Headers every response carries: no framing, no sniffing, no referrer leaks, a content
/// policy that allows only our own stylesheet and script, and behind HTTPS (secure cookies)
/// HSTS.
async fn security_headers(State(app): State<App>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if app.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; \
             img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
