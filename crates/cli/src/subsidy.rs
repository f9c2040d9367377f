//! `anju import events|assistance|grants|standards|dibao` and `anju roll …`.

use std::process::ExitCode;

use anju_domain::month::Month;
use anju_io::{EncodingChoice, ReadOptions};
use anju_jobs::{ImportOptions, Table, export_roll, import_table};
use serde_json::json;

use crate::commands::{CmdResult, acting_scope, open_store};
use crate::registry::{default_errors_path, print_report};
use crate::{CalendarCommand, CertificatesCommand, Global, RollCommand, SheetArgs};

pub(crate) fn options(a: &SheetArgs) -> ImportOptions {
    ImportOptions {
        read: ReadOptions {
            sheet: a.sheet.clone(),
            encoding: EncodingChoice::parse(&a.encoding).unwrap_or_default(),
            ..Default::default()
        },
        strict: a.strict,
        errors_out: Some(
            a.errors_out
                .clone()
                .unwrap_or_else(|| default_errors_path(&a.file)),
        ),
        label: None,
        pace: None,
        ..Default::default()
    }
}

pub async fn import(g: &Global, table: Table, a: SheetArgs, replace: bool) -> CmdResult {
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let opts = options(&a);
    let result = import_table(&store, &scope, table, &a.file, &opts, replace).await;
    store.close().await;
    let report = result.map_err(|e| format!("{}：{e}", a.file.display()))?;
    print_report(&report, a.json)
}

fn month(s: &str) -> Result<Month, String> {
    Month::parse(s).map_err(|e| format!("--month：{e}"))
}

pub async fn roll(g: &Global, cmd: RollCommand) -> CmdResult {
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let s = store.subsidies();
    let out = match cmd {
        RollCommand::Generate {
            month: m,
            region,
            json,
        } => {
            let r = s
                .generate_roll(&scope, month(&m)?, region.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            if json {
                let lines: Vec<_> = r
                    .lines
                    .iter()
                    .map(|l| {
                        json!({
                            "id_number": l.id_number,
                            "kind": l.kind.as_str(),
                            "month": l.month.to_string(),
                            "amount_fen": l.amount.fen(),
                            "rule": l.rule,
                        })
                    })
                    .collect();
                let stopped: Vec<_> = r
                    .stopped
                    .iter()
                    .map(|x| {
                        json!({
                            "id_number": x.id_number,
                            "kind": x.kind.as_str(),
                            "reason": x.reason.as_str(),
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    json!({
                        "month": r.roll.month,
                        "region": r.roll.region_code,
                        "lines": lines,
                        "total_fen": r.roll.total_fen,
                        "stopped": stopped,
                        "held": r.held,
                    })
                );
            } else {
                let arrears = r.lines.iter().filter(|l| l.arrears).count();
                println!(
                    "{} 名册草稿已生成：{}行（其中补发{}行），合计{}元；停发{}项。",
                    r.roll.month,
                    r.lines.len(),
                    arrears,
                    anju_domain::money::Fen(r.roll.total_fen).yuan(),
                    r.stopped.len()
                );
                for x in r.stopped.iter().take(20) {
                    println!(
                        "  停发 {} {}：{}",
                        anju_domain::mask::id_number(&x.id_number),
                        x.kind.label(),
                        x.reason.label()
                    );
                }
                if !r.held.is_empty() {
                    println!(
                        "{}笔补贴缺少低保标准、暂缓计发，名册在补齐前不能审批：",
                        r.held.len()
                    );
                    for h in r.held.iter().take(20) {
                        println!(
                            "  户籍地 {}（{}）{}：{} {}",
                            h.household_code,
                            h.locality.label(),
                            h.month,
                            anju_domain::mask::id_number(&h.id_number),
                            h.kind.label()
                        );
                    }
                }
            }
            ExitCode::SUCCESS
        }
        RollCommand::Approve { month: m, region } => {
            let r = s
                .approve_roll(&scope, month(&m)?, region.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{} 名册已审批：{}行，合计{}元。",
                r.month,
                r.line_count,
                anju_domain::money::Fen(r.total_fen).yuan()
            );
            ExitCode::SUCCESS
        }
        RollCommand::Reconcile {
            month: m,
            region,
            sheet,
        } => {
            let opts = options(&sheet);
            let result = anju_jobs::reconcile_file(
                &store,
                &scope,
                month(&m)?,
                region.as_deref(),
                &sheet.file,
                &opts,
            )
            .await;
            store.close().await;
            let report = result.map_err(|e| format!("{}：{e}", sheet.file.display()))?;
            return print_report(&report, sheet.json);
        }
        RollCommand::Export {
            month: m,
            region,
            out,
        } => {
            let n = export_roll(&store, &scope, month(&m)?, region.as_deref(), &out)
                .await
                .map_err(|e| e.to_string())?;
            println!("已写出银行发放文件 {}（{n}行）。", out.display());
            ExitCode::SUCCESS
        }
    };
    store.close().await;
    Ok(out)
}

pub async fn certificates(g: &Global, cmd: CertificatesCommand) -> CmdResult {
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let (date, json) = match cmd {
        CertificatesCommand::Sweep { date, json } => (date, json),
        CertificatesCommand::Rule { name, value } => {
            store
                .certificates()
                .set_rule(&scope, &name, value)
                .await
                .map_err(|e| e.to_string())?;
            store.close().await;
            println!("已将规则 {name} 设为 {value}。");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let date = match date {
        Some(d) => anju_domain::person::parse_date(&d)
            .ok_or_else(|| format!("--date：“{d}”不是有效的日期（应为 YYYY-MM-DD）"))?,
        None => store.today(),
    };
    let r = store
        .certificates()
        .sweep(&scope, date)
        .await
        .map_err(|e| e.to_string())?;
    store.close().await;
    if json {
        println!("{}", serde_json::to_string(&r).map_err(|e| e.to_string())?);
    } else {
        println!(
            "{}：冻结{}，注销{}，即将到期{}，已过期{}，按规则推算有效期{}。",
            r.date, r.frozen, r.cancelled, r.expiring, r.expired, r.derived
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn calendar(g: &Global, cmd: CalendarCommand) -> CmdResult {
    match cmd {
        CalendarCommand::List { year } => {
            let store = open_store(g).await?;
            let days = store
                .certificates()
                .calendar_days(year)
                .await
                .map_err(|e| e.to_string())?;
            store.close().await;
            for d in days {
                println!("{}\t{}\t{}", d.date, d.kind.label(), d.name);
            }
            Ok(ExitCode::SUCCESS)
        }
        CalendarCommand::Import(a) => import(g, Table::Calendar, a, false).await,
    }
}
