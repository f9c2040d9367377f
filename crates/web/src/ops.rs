//! What an operator needs (reference §11; 网络安全法 art. 21 asks for access logs kept at least
//! six months): every request gets an id, answered in `X-Request-Id` and carried by every
//! log line it causes; one access line per request (method, path with long numbers masked,
//! status, time, user; never a query string or personal data) to the `anju::access` log
//! target, which `anju serve` writes to daily files kept 180 days; and `/metrics` in
//! Prometheus text (requests, latency, jobs, the database pool), answered only to the
//! addresses an administrator allows.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use anju_domain::mask;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use rand::RngCore;
use tracing::Instrument;

use crate::App;

/// The log target of access lines.
pub const ACCESS_TARGET: &str = "anju::access";

/// What a request carries for the access line: its id, and the user once known.
#[derive(Clone)]
pub struct RequestContext {
    pub id: String,
    pub user: Arc<OnceLock<String>>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    status: u16,
}

/// The platform's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histogram,
    jobs_running: Gauge,
    pool_size: Gauge,
    pool_idle: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("anju");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        let latency = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            latency.clone(),
        );
        let jobs_running = Gauge::default();
        registry.register("jobs_running", "Imports running now", jobs_running.clone());
        let pool_size = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Database connections open",
            pool_size.clone(),
        );
        let pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle",
            "Database connections idle",
            pool_idle.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            jobs_running,
            pool_size,
            pool_idle,
        }
    }
}

impl Metrics {
    fn observe(&self, method: &str, status: u16, secs: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                status,
            })
            .inc();
        self.latency.observe(secs);
    }

    fn render(&self, app: &App) -> String {
        let (size, idle) = app.store.pool_stats();
        self.pool_size.set(i64::from(size));
        self.pool_idle.set(i64::try_from(idle).unwrap_or(i64::MAX));
        self.jobs_running
            .set(i64::try_from(app.jobs.running()).unwrap_or(i64::MAX));
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Addresses allowed to read `/metrics`: single addresses or networks (`10.0.0.0/8`).
#[derive(Clone, Debug)]
pub struct AllowList(Vec<(IpAddr, u8)>);

impl Default for AllowList {
    /// The machine itself only.
    fn default() -> Self {
        Self(vec![
            (IpAddr::from([127, 0, 0, 1]), 8),
            (IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]), 128),
        ])
    }
}

impl AllowList {
    /// Parses `127.0.0.1, 10.0.0.0/8, ::1`; `Err` names the entry at fault.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (addr, len) = item.split_once('/').unwrap_or((item, ""));
            let ip: IpAddr = addr
                .parse()
                .map_err(|_| format!("不是有效的地址：{item}"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len = if len.is_empty() {
                max
            } else {
                len.parse::<u8>()
                    .ok()
                    .filter(|l| *l <= max)
                    .ok_or_else(|| format!("网络前缀长度无效：{item}"))?
            };
            out.push((ip, len));
        }
        Ok(Self(out))
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|(net, len)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*len)).unwrap_or(0);
                u32::from(*n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*len)).unwrap_or(0);
                u128::from(*n) & mask == u128::from(a) & mask
            }
            _ => false,
        })
    }
}

/// Gives the request its id, logs its access line and counts it.
pub async fn access(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut bytes = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut bytes);
    let id = hex_id(&bytes);
    let ctx = RequestContext {
        id: id.clone(),
        user: Arc::default(),
    };
    req.extensions_mut().insert(ctx.clone());
    let method = req.method().as_str().to_owned();
    let path = mask::long_numbers(req.uri().path()).into_owned();
    let span = tracing::info_span!("request", id = %id);
    let counted = InFlight::enter(&app.in_flight);
    let mut res = next.run(req).instrument(span).await;
    drop(counted);
    let secs = started.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    app.metrics.observe(&method, status, secs);
    tracing::info!(
        target: ACCESS_TARGET,
        id = %id,
        method = %method,
        path = %path,
        status,
        ms = format_args!("{:.1}", secs * 1000.0),
        user = %ctx.user.get().map_or("-", String::as_str),
    );
    res
}

/// One request counted in flight until dropped (even by a panic or a dropped future).
struct InFlight(Arc<std::sync::atomic::AtomicUsize>);

impl InFlight {
    fn enter(n: &Arc<std::sync::atomic::AtomicUsize>) -> Self {
        n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(n.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

fn hex_id(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `/metrics`: Prometheus text to allowed addresses; anyone else finds nothing here.
pub async fn metrics(State(app): State<App>, req: Request) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if !peer.is_some_and(|ip| app.metrics_allow.allows(ip)) {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(&app),
    )
        .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::AllowList;

    #[test]
    fn allow_lists_take_addresses_and_networks() {
        let a = AllowList::parse("10.1.0.0/16, 192.168.1.5, ::1").unwrap();
        assert!(a.allows("10.1.200.3".parse().unwrap()));
        assert!(!a.allows("10.2.0.1".parse().unwrap()));
        assert!(a.allows("192.168.1.5".parse().unwrap()));
        assert!(!a.allows("192.168.1.6".parse().unwrap()));
        assert!(a.allows("::1".parse().unwrap()));
        assert!(
            a.allows("::ffff:10.1.0.9".parse().unwrap()),
            "IPv4 mapped into IPv6"
        );
        assert!(AllowList::parse("10.0.0.0/33").is_err());
        assert!(AllowList::parse("example.org").is_err());
        let local = AllowList::default();
        assert!(local.allows("127.0.0.1".parse().unwrap()));
        assert!(!local.allows("10.0.0.1".parse().unwrap()));
        assert!(
            AllowList::parse("0.0.0.0/0")
                .unwrap()
                .allows("8.8.8.8".parse().unwrap())
        );
    }
}
