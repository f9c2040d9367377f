//! `anju import programmes` and `anju cases …`: the services engine from the command line.

use std::process::ExitCode;

use anju_domain::person::parse_date;
use serde_json::json;

use crate::commands::{CmdResult, acting_scope, open_store};
use crate::registry::print_report;
use crate::{CasesCommand, Global, SheetArgs};

pub async fn import_programmes(g: &Global, a: SheetArgs) -> CmdResult {
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let opts = crate::subsidy::options(&a);
    let result = anju_jobs::import_programmes(&store, &scope, &a.file, &opts).await;
    store.close().await;
    let report = result.map_err(|e| format!("{}：{e}", a.file.display()))?;
    print_report(&report, a.json)
}

pub async fn import_cases(g: &Global, a: SheetArgs) -> CmdResult {
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let opts = crate::subsidy::options(&a);
    let result = anju_jobs::import_cases(&store, &scope, &a.file, &opts).await;
    store.close().await;
    let report = result.map_err(|e| format!("{}：{e}", a.file.display()))?;
    print_report(&report, a.json)
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
