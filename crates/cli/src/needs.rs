//! `anju needs gaps [--region CODE] [--json]`: the needs the home visits recorded that no
//! service answers, as the towns' warning list (需求未满足预警); the listing is audited. And
//! `anju survey open`: a survey year opened for a region's certificate holders.

use std::process::ExitCode;

use serde_json::json;

use crate::commands::{CmdResult, acting_scope, open_store};
use crate::{NeedsCommand, SurveyCommand};

pub async fn needs(g: &crate::Global, cmd: NeedsCommand) -> CmdResult {
    let NeedsCommand::Gaps { region, json } = cmd;
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let gaps = store.needs().gaps(&scope, region.as_deref()).await;
    let gaps = match gaps {
        Ok(gaps) => {
            let audited = store
                .persons()
                .record_view(
                    &scope,
                    "needs.gaps",
                    format!("region:{}", gaps.region),
                    format!("需求未满足预警{}条", gaps.warnings.len()),
                )
                .await;
            audited.map(|()| gaps)
        }
        Err(e) => Err(e),
    };
    store.close().await;
    let gaps = gaps.map_err(|e| e.to_string())?;
    if json {
        let warnings: Vec<serde_json::Value> = gaps
            .warnings
            .iter()
            .map(|w| {
                json!({
                    "id_number": w.id_number,
                    "need": w.need,
                    "town": w.town_code,
                    "since": w.since.to_string(),
                })
            })
            .collect();
        println!(
            "{}",
            json!({"region": gaps.region, "count": warnings.len(), "warnings": warnings})
        );
    } else {
        println!("需求未满足预警：{}条", gaps.warnings.len());
        for c in &gaps.counts {
            println!("{} {}：{}人", c.town, c.need, c.count);
        }
        for w in &gaps.warnings {
            println!(
                "{} {} {} {}：自{}起",
                w.town, w.name, w.id_number, w.need, w.since
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `anju survey open --year Y [--region CODE]`.
pub async fn survey(g: &crate::Global, cmd: SurveyCommand) -> CmdResult {
    let SurveyCommand::Open { year, region } = cmd;
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let r = store
        .survey()
        .open_year(&scope, year, region.as_deref())
        .await;
    store.close().await;
    r.map_err(|e| e.to_string())?;
    println!(
        "{year}年度调查已开启：{}",
        region.unwrap_or_else(|| scope.region().code.to_string())
    );
    Ok(ExitCode::SUCCESS)
}
