//! `anju bench load`: does the platform keep serving while a long job runs?
//!
//! It files a base registry, starts `anju serve` as a child process on the chosen database,
//! uploads a generated sheet through the import page (a page import, as a clerk starts one),
//! and while that import runs keeps `--clients` concurrent clients busy with mixed reads:
//! searches and file views through the API, list and home pages through the browser's
//! session, and logins. It reports each kind's latency (p50, p95, p99, max), every error, the
//! import's own time, and whether every audited request left its record.

use std::path::Path;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anju_store::Store;
use tokio::sync::Mutex;

use crate::Global;
use crate::commands::CmdResult;

const ADMIN_PW: &str = "Bench-Load-Pass-2026";

/// What one client request was, how long it took and how it ended.
struct Sample {
    kind: &'static str,
    took: Duration,
    status: u16,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The text of the page at `url`.
async fn page(c: &reqwest::Client, url: String) -> Result<String, String> {
    c.get(url)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())
}

async fn browser_login(base: &str, user: &str) -> Result<(reqwest::Client, String), String> {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let login = page(&c, format!("{base}/login")).await?;
    let csrf = hidden(&login, "csrf").ok_or("登录页没有 csrf")?;
    let res = c
        .post(format!("{base}/login"))
        .form(&[
            ("username", user),
            ("password", ADMIN_PW),
            ("csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if res.status() != 303 {
        return Err(format!("网页登录失败：{}", res.status()));
    }
    if user != "admin" {
        return Ok((c, String::new()));
    }
    let import = page(&c, format!("{base}/persons/import")).await?;
    let csrf = hidden(&import, "csrf").ok_or("导入页没有 csrf")?;
    Ok((c, csrf))
}

async fn api_login(c: &reqwest::Client, base: &str, user: &str) -> Result<(String, u16), String> {
    let res = c
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": user, "password": ADMIN_PW}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let v: serde_json::Value = res.json().await.unwrap_or_default();
    Ok((v["token"].as_str().unwrap_or_default().to_owned(), status))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Files `base_rows` generated people into the database before the server starts.
/// The clients sign in as the administrator (the whole province), or with `region` as an
/// account of that region's tier (`bench_reader`), and read the files they may see.
async fn file_base(
    url: &str,
    dir: &Path,
    base_rows: u64,
    region: Option<&str>,
) -> Result<(Vec<String>, String), String> {
    let sheet = dir.join("base.csv");
    let today = anju_store::beijing_date(now_ms());
    anju_jobs::generate_persons(base_rows, 1, &sheet, today)?;
    let store = Store::open_keyed(url, None)
        .await
        .map_err(|e| e.to_string())?;
    let admin = match store
        .users()
        .bootstrap(Some(ADMIN_PW.to_owned()))
        .await
        .map_err(|e| e.to_string())?
    {
        anju_store::Bootstrap::Created => store.users().local_scope("admin").await,
        _ => return Err("数据库应为空：请用新的数据目录或空的 PostgreSQL 数据库".into()),
    }
    .map_err(|e| e.to_string())?;
    // Every client logs in from this one address: the per-address limit is raised for the run.
    store
        .security()
        .set(&admin, "login_attempts_per_minute", 10_000)
        .await
        .map_err(|e| e.to_string())?;
    anju_jobs::import_persons(&store, &admin, &sheet, &Default::default(), |_| {})
        .await
        .map_err(|e| e.to_string())?;
    let (reader, scope) = match region {
        None => ("admin".to_owned(), admin.clone()),
        Some(code) => {
            let r = anju_domain::RegionTable::jiangsu()
                .current(code)
                .map_err(|e| e.to_string())?;
            let role = match r.level {
                anju_domain::Level::City => anju_domain::Role::City,
                anju_domain::Level::County => anju_domain::Role::County,
                anju_domain::Level::Town => anju_domain::Role::Town,
                _ => return Err(format!("--region 应为市、县或镇的区划代码：{code}")),
            };
            store
                .users()
                .create(
                    &admin,
                    anju_store::NewUser {
                        username: "bench_reader".into(),
                        role,
                        region: code.to_owned(),
                        password: Some(ADMIN_PW.to_owned()),
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
            let scope = store
                .users()
                .local_scope("bench_reader")
                .await
                .map_err(|e| e.to_string())?;
            ("bench_reader".to_owned(), scope)
        }
    };
    let ids = store
        .persons()
        .sample_ids(&scope, 500)
        .await
        .map_err(|e| e.to_string())?;
    store.close().await;
    if ids.is_empty() {
        return Err("所选区划下没有生成的档案".into());
    }
    Ok((ids.into_iter().map(|i| i.to_string()).collect(), reader))
}

pub async fn load(
    g: &Global,
    rows: u64,
    base_rows: u64,
    clients: usize,
    region: Option<&str>,
) -> CmdResult {
    let root = std::env::temp_dir().join(format!("anju-bench-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let data = root.join("data");
    anju_io::private::create_dir(&data).map_err(|e| e.to_string())?;
    let url = g
        .database_url
        .clone()
        .unwrap_or_else(|| anju_store::sqlite_url_for(&data));
    let key_file = data.join("audit.key");
    let secret = format!("{}\n", anju_store::random_token());
    std::fs::write(&key_file, &secret).map_err(|e| e.to_string())?;
    // The base registry is filed unkeyed before the server keys the chain from its start.
    println!("准备：登记基础档案 {base_rows} 人，生成导入表 {rows} 行……");
    let (ids, reader) = file_base(&url, &root, base_rows, region).await?;
    let sheet = root.join("import.csv");
    anju_jobs::generate_persons(rows, 2, &sheet, anju_store::beijing_date(now_ms()))?;
    let port = port()?;
    let base = format!("http://127.0.0.1:{port}");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(&data)
        .env("ANJU_LOG", "warn")
        .env("ANJU_ACCESS_LOG_DAYS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if let Some(u) = &g.database_url {
        cmd.arg("--database-url").arg(u);
    }
    let mut server = cmd.spawn().map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    while !reqwest::get(format!("{base}/healthz"))
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        if t0.elapsed() > Duration::from_secs(60) {
            return Err("服务60秒内未就绪".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let since = now_ms();
    let result = run(&base, &sheet, &ids, clients, &reader).await;
    let _ = server.kill().await;
    let _ = server.wait().await;
    // Every audited request's record, spooled or chained, is in the chain once reopened.
    if let Ok((_, audited)) = &result {
        let key = anju_domain::audit::AuditKey::new(secret.as_bytes())?;
        let store = Store::open_keyed(&url, Some(key))
            .await
            .map_err(|e| e.to_string())?;
        let chained = store
            .audit()
            .count_since(&["person.list", "person.view", "login"], since)
            .await
            .map_err(|e| e.to_string())?;
        let intact = store.audit().verify().await.map_err(|e| e.to_string())?;
        store.close().await;
        println!(
            "审计：成功的查看、搜索和登录请求至少应有 {audited} 条记录，日志中有 {chained} 条；哈希链{}",
            if intact.is_ok() { "完整" } else { "损坏" }
        );
        if chained < *audited || intact.is_err() {
            let _ = std::fs::remove_dir_all(&root);
            return Err("审计记录有缺失".into());
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    result.map(|(code, _)| code)
}

/// Runs the import and the clients; the exit code and the number of successful requests
/// that each leave an audit record.
async fn run(
    base: &str,
    sheet: &Path,
    ids: &[String],
    clients: usize,
    reader: &str,
) -> Result<(ExitCode, usize), String> {
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for n in 0..clients {
        let (base, ids, samples, done, reader) = (
            base.to_owned(),
            ids.to_vec(),
            samples.clone(),
            done.clone(),
            reader.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let api = reqwest::Client::new();
            let Ok((browser, _)) = browser_login(&base, &reader).await else {
                return;
            };
            let Ok((mut token, _)) = api_login(&api, &base, &reader).await else {
                return;
            };
            let mut i = n;
            while !done.load(Ordering::Relaxed) {
                i += 1;
                let id = &ids[i % ids.len().max(1)];
                let t = Instant::now();
                let (kind, status) = match i % 5 {
                    0 => {
                        let r = api
                            .get(format!("{base}/api/persons?q={}", &id[..6]))
                            .bearer_auth(&token)
                            .send()
                            .await;
                        ("接口：搜索", r.map_or(0, |r| r.status().as_u16()))
                    }
                    1 => {
                        let r = api
                            .get(format!("{base}/api/persons/{id}"))
                            .bearer_auth(&token)
                            .send()
                            .await;
                        ("接口：查看档案", r.map_or(0, |r| r.status().as_u16()))
                    }
                    2 => {
                        let r = browser
                            .get(format!("{base}/persons?page={}", i % 20 + 1))
                            .send()
                            .await;
                        ("页面：档案列表", r.map_or(0, |r| r.status().as_u16()))
                    }
                    3 => {
                        let r = browser.get(format!("{base}/")).send().await;
                        ("页面：首页", r.map_or(0, |r| r.status().as_u16()))
                    }
                    _ => {
                        let (t2, s) = api_login(&api, &base, &reader).await.unwrap_or_default();
                        if s == 200 {
                            token = t2;
                        }
                        ("登录", s)
                    }
                };
                samples.lock().await.push(Sample {
                    kind,
                    took: t.elapsed(),
                    status,
                });
            }
        }));
    }
    // The import, as a clerk starts it from the page.
    let (clerk, csrf) = browser_login(base, "admin").await?;
    let bytes = tokio::fs::read(sheet).await.map_err(|e| e.to_string())?;
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("import.csv"),
    );
    let started = Instant::now();
    let res = clerk
        .post(format!("{base}/persons/import"))
        .multipart(form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let job = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .ok_or_else(|| format!("导入未开始：{}", res.status()))?
        .to_owned();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let v: serde_json::Value = clerk
            .get(format!("{base}{job}/status"))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        match v["state"].as_str() {
            Some("done") => break,
            Some("failed") => {
                let report = page(&clerk, format!("{base}{job}")).await?;
                let why = report
                    .split("导入失败")
                    .nth(1)
                    .and_then(|t| t.split('<').next())
                    .unwrap_or("");
                return Err(format!("导入失败{why}"));
            }
            _ => {}
        }
    }
    let import_took = started.elapsed();
    done.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let samples = std::mem::take(&mut *samples.lock().await);
    let audited = samples
        .iter()
        .filter(|s| s.status == 200 && s.kind != "页面：首页")
        .count();
    Ok((report(&samples, import_took), audited))
}

fn report(samples: &[Sample], import_took: Duration) -> ExitCode {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "导入用时 {:.1} 秒；导入期间的请求：",
        import_took.as_secs_f64()
    );
    let mut kinds: Vec<&str> = samples.iter().map(|s| s.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds.push("全部");
    let mut failed_total = 0;
    for k in kinds {
        let of: Vec<&Sample> = samples
            .iter()
            .filter(|s| k == "全部" || s.kind == k)
            .collect();
        let mut t: Vec<Duration> = of.iter().map(|s| s.took).collect();
        t.sort();
        let errors = of
            .iter()
            .filter(|s| !(200..400).contains(&s.status))
            .count();
        if k == "全部" {
            failed_total = errors;
        }
        println!(
            "  {k:<10} 次数={:<6} 错误={:<4} p50={:>7.1} ms  p95={:>7.1} ms  p99={:>7.1} ms  最长={:>7.1} ms",
            of.len(),
            errors,
            ms(percentile(&t, 0.50)),
            ms(percentile(&t, 0.95)),
            ms(percentile(&t, 0.99)),
            ms(percentile(&t, 1.0)),
        );
    }
    let mut statuses: Vec<u16> = samples.iter().map(|s| s.status).collect();
    statuses.sort_unstable();
    statuses.dedup();
    println!("  出现的状态码：{statuses:?}");
    if failed_total == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
