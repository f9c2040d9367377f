//! `anju import employers|employer-staff --data-year N`, `anju import levy-params` and `anju
//! levy compute`: the employment security levy from the command line.

use std::process::ExitCode;

use anju_domain::money::Fen;
use serde_json::json;

use crate::commands::{CmdResult, acting_scope, open_store};
use crate::registry::print_report;
use crate::{Global, LevyCommand, SheetArgs};

/// A sheet of a data year imported by `import` as the acting user, with the row-level report.
pub async fn import_year<F>(g: &Global, a: SheetArgs, year: i32, import: F) -> CmdResult
where
    F: for<'a> AsyncFn(
        &'a anju_store::Store,
        &'a anju_store::Scope,
        &'a std::path::Path,
        i32,
        &'a anju_jobs::ImportOptions,
    ) -> Result<anju_jobs::ImportReport, anju_jobs::ImportError>,
{
    if !(2015..=2100).contains(&year) {
        return Err(format!("--data-year：“{year}”不是年度"));
    }
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let opts = crate::subsidy::options(&a);
    let result = import(&store, &scope, &a.file, year, &opts).await;
    store.close().await;
    let report = result.map_err(|e| format!("{}：{e}", a.file.display()))?;
    print_report(&report, a.json)
}

pub async fn levy(g: &Global, cmd: LevyCommand) -> CmdResult {
    let LevyCommand::Compute { year, region, json } = cmd;
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let run = store
        .levies()
        .compute(&scope, year, region.as_deref(), false)
        .await;
    store.close().await;
    let run = run.map_err(|e| e.to_string())?;
    if json {
        let employers: Vec<serde_json::Value> = run
            .employers
            .iter()
            .map(|l| {
                json!({
                    "credit_code": l.credit_code,
                    "due_fen": l.due_fen,
                    "required": l.required,
                    "counted": l.counted,
                    "shortfall": l.shortfall,
                    "avg_wage_fen": l.avg_wage_fen,
                    "gross_fen": l.gross_fen,
                    "reduction_percent": l.reduction_percent,
                    "exempt_reason": l.exempt_reason,
                })
            })
            .collect();
        println!(
            "{}",
            json!({"year": run.year, "employers": employers, "total_fen": run.total_fen})
        );
    } else {
        println!(
            "{}年度残疾人就业保障金：{}家单位，实缴合计{}元",
            run.year,
            run.employers.len(),
            Fen(run.total_fen).yuan()
        );
        for l in &run.employers {
            println!(
                "{} {}：应安排{}人，实际{}人，实缴{}元{}",
                l.credit_code,
                l.name,
                l.required,
                l.counted,
                Fen(l.due_fen).yuan(),
                l.exempt_reason
                    .as_deref()
                    .map_or_else(String::new, |r| format!("（{r}）"))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
