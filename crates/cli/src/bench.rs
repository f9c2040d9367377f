//! `anju bench`: measurements on this machine, reproducible by one command, for BENCHMARKS.md.

use std::path::Path;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use anju_domain::RegionTable;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::commands::CmdResult;

/// Whether `GET /healthz` on `port` answers 200.
async fn healthy(port: u16) -> bool {
    let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    if s.write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .is_err()
    {
        return false;
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    buf.starts_with(b"HTTP/1.1 200") || buf.starts_with(b"HTTP/1.0 200")
}

/// Starts `anju serve` on `data_dir` and returns the time to the first healthy answer.
async fn one_start(exe: &Path, data_dir: &Path) -> Result<Duration, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let t0 = Instant::now();
    let mut child = tokio::process::Command::new(exe)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("ANJU_DATABASE_URL")
        .env("ANJU_ADMIN_PASSWORD", "Bench-Startup-Pass-1")
        .env("ANJU_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("无法启动 {}：{e}", exe.display()))?;
    loop {
        if healthy(port).await {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("服务启动失败：{status}"));
        }
        if t0.elapsed() > Duration::from_secs(60) {
            return Err("服务60秒内未就绪".into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let took = t0.elapsed();
    let _ = child.kill().await;
    Ok(took)
}

fn summary(label: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<34} runs={:<3} min={:>8.1} ms  median={:>8.1} ms  max={:>8.1} ms",
        v.len(),
        ms(v[0]),
        ms(v[v.len() / 2]),
        ms(v[v.len() - 1])
    );
}

pub async fn startup(runs: usize) -> CmdResult {
    let runs = runs.max(1);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let root = std::env::temp_dir().join(format!("anju-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut parse = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let table = RegionTable::parse_embedded().map_err(|e| e.to_string())?;
        parse.push(t.elapsed());
        std::hint::black_box(table);
    }
    let mut cold = Vec::new();
    for i in 0..runs {
        cold.push(one_start(&exe, &root.join(format!("cold-{i}"))).await?);
    }
    let warm_dir = root.join("cold-0");
    let mut warm = Vec::new();
    for _ in 0..runs {
        warm.push(one_start(&exe, &warm_dir).await?);
    }
    let _ = std::fs::remove_dir_all(&root);
    println!(
        "anju {} on {} cores",
        env!("CARGO_PKG_VERSION"),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    summary("region table parse (23,563 codes)", parse);
    summary("cold start to /healthz (new dir)", cold);
    summary("restart to /healthz (existing)", warm);
    Ok(ExitCode::SUCCESS)
}
