//! `anju indicators --region CODE [--date D | --year Y] [--json]`: a region's plan indicators
//! against their targets, per child region; `anju indicators snapshot --year Y`: the year-end
//! snapshot of a year that has ended, taken once; `anju report`: a region's monthly or
//! yearly report written as a workbook or a printable page.

use std::process::ExitCode;

use anju_store::{Board, When};

use crate::commands::{CmdResult, acting_scope, open_store};
use crate::{IndicatorsArgs, IndicatorsCommand};

pub async fn indicators(g: &crate::Global, args: IndicatorsArgs) -> CmdResult {
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    if let Some(IndicatorsCommand::Snapshot { year }) = args.command {
        let r = store.indicators().take_snapshot(&scope, year).await;
        store.close().await;
        let r = r.map_err(|e| e.to_string())?;
        if r.taken {
            println!(
                "{year}年末指标快照已生成（截至{}，{}个区划）",
                r.as_of, r.regions
            );
        } else {
            println!("{year}年末指标快照此前已生成，保持不变");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let when = match (&args.date, args.year) {
        (Some(d), _) => When::Date(
            d.trim()
                .parse()
                .map_err(|_| format!("日期“{d}”无效，应写作YYYY-MM-DD"))?,
        ),
        (None, Some(y)) => When::Year(y),
        (None, None) => When::Now,
    };
    let board = store
        .indicators()
        .board(&scope, args.region.as_deref(), when)
        .await;
    store.close().await;
    let board = board.map_err(|e| e.to_string())?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&board.json()).map_err(|e| e.to_string())?
        );
    } else {
        print_text(&board);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(b: &Board) {
    println!(
        "{}（{}）规划指标，截至{}，{}",
        b.region.name,
        b.region.code,
        b.as_of,
        b.basis.label()
    );
    for i in &b.indicators {
        let state = if i.no_data {
            "暂无数据"
        } else if i.target.is_none() {
            ""
        } else if i.behind {
            "落后于进度"
        } else {
            "达到进度"
        };
        println!(
            "{}：{}；目标：{} {state}",
            i.name,
            i.display,
            i.target_text()
        );
    }
}

/// `anju report --region CODE --year Y [--month M] --out FILE.xlsx|FILE.html`.
pub async fn report(
    g: &crate::Global,
    region: Option<String>,
    year: i32,
    month: Option<u32>,
    out: std::path::PathBuf,
) -> CmdResult {
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !matches!(ext.as_str(), "xlsx" | "html" | "htm") {
        return Err(format!(
            "--out：{} 应以 .xlsx（Excel工作簿）或 .html（可打印页面）结尾",
            out.display()
        ));
    }
    if month.is_some_and(|m| !(1..=12).contains(&m)) {
        return Err("--month：月份应为1至12".into());
    }
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let r = store
        .indicators()
        .report(&scope, region.as_deref(), year, month)
        .await;
    store.close().await;
    let r = r.map_err(|e| e.to_string())?;
    let bytes = if ext == "xlsx" {
        anju_web::report_xlsx(&r).map_err(|e| e.to_string())?
    } else {
        anju_web::report_html(&r, false)
            .map_err(|e| e.to_string())?
            .into_bytes()
    };
    std::fs::write(&out, bytes).map_err(|e| format!("{}：{e}", out.display()))?;
    println!("{}（{}）已写入 {}", r.title, r.period, out.display());
    Ok(ExitCode::SUCCESS)
}
