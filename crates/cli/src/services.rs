//! `anju import programmes` and `anju cases …`: the services engine from the command line.

use std::process::ExitCode;

use anju_domain::person::parse_date;
use serde_json::json;

use crate::commands::{CmdResult, acting_scope, open_store};
use crate::registry::print_report;
use crate::{CasesCommand, Global, SettleCommand, SheetArgs};

pub async fn import_programmes(g: &Global, a: SheetArgs) -> CmdResult {
    import_sheet(g, a, anju_jobs::import_programmes).await
}

/// A services sheet imported by `import` as the acting user, with the row-level report.
pub async fn import_sheet<F>(g: &Global, a: SheetArgs, import: F) -> CmdResult
where
    F: for<'a> AsyncFn(
        &'a anju_store::Store,
        &'a anju_store::Scope,
        &'a std::path::Path,
        &'a anju_jobs::ImportOptions,
    ) -> Result<anju_jobs::ImportReport, anju_jobs::ImportError>,
{
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let opts = crate::subsidy::options(&a);
    let result = import(&store, &scope, &a.file, &opts).await;
    store.close().await;
    let report = result.map_err(|e| format!("{}：{e}", a.file.display()))?;
    print_report(&report, a.json)
}

pub async fn import_cases(g: &Global, a: SheetArgs) -> CmdResult {
    import_sheet(g, a, anju_jobs::import_cases).await
}

pub async fn cases(g: &Global, cmd: CasesCommand) -> CmdResult {
    let CasesCommand::Eligible {
        programme,
        date,
        region,
        json,
    } = cmd;
    let on = parse_date(&date).ok_or_else(|| format!("--date：“{date}”不是有效的日期"))?;
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let result = store
        .programmes()
        .eligible(&scope, &programme, on, region.as_deref())
        .await;
    store.close().await;
    let list = result.map_err(|e| e.to_string())?;
    if json {
        let eligible: Vec<_> = list
            .iter()
            .map(|p| json!({"id_number": p.id_number, "conditions": p.conditions}))
            .collect();
        println!(
            "{}",
            json!({
                "programme": programme,
                "date": on.to_string(),
                "count": list.len(),
                "eligible": eligible,
            })
        );
    } else {
        println!("{programme} {on}：符合条件{}人", list.len());
        for p in &list {
            println!("{} {} {}", p.id_number, p.name, p.household_code);
            for c in &p.conditions {
                for line in c.lines() {
                    println!("    {line}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn settle(g: &Global, cmd: SettleCommand) -> CmdResult {
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let s = store.settlements();
    let err = |e: anju_store::StoreError| e.to_string();
    match cmd {
        SettleCommand::Draft {
            provider,
            month,
            json,
        } => {
            let code = anju_domain::credit_code::CreditCode::parse(&provider)
                .map_err(|e| format!("--provider：{e}"))?;
            let m =
                anju_domain::month::Month::parse(&month).map_err(|e| format!("--month：{e}"))?;
            let p = store
                .providers()
                .list(&scope)
                .await
                .map_err(err)?
                .into_iter()
                .find(|p| p.provider.credit_code == code)
                .ok_or_else(|| format!("没有统一社会信用代码为 {code} 的服务机构"))?;
            let d = s.draft(&scope, p.id, m).await.map_err(err)?;
            if json {
                println!("{}", json!({"bill": d.bill, "unpriced": d.unpriced}));
            } else {
                println!(
                    "结算单 #{}：{} {}，{}行，合计{}元{}",
                    d.bill.id,
                    d.bill.provider,
                    d.bill.month,
                    d.bill.line_count,
                    anju_domain::money::Fen(d.bill.total_fen).yuan(),
                    if d.bill.second_approval {
                        "（须另一人审核）"
                    } else {
                        ""
                    }
                );
                for u in &d.unpriced {
                    println!("  未计价 服务记录#{}：{}", u.delivery, u.reason);
                }
            }
        }
        SettleCommand::Approve { bill } => {
            let b = s.approve(&scope, bill).await.map_err(err)?;
            println!(
                "结算单 #{} 已审核：合计{}元",
                b.id,
                anju_domain::money::Fen(b.total_fen).yuan()
            );
        }
        SettleCommand::Export { bill, out } => {
            let n = anju_jobs::export_bill(&store, &scope, bill, &out)
                .await
                .map_err(|e| e.to_string())?;
            println!("已导出{n}行到 {}", out.display());
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
