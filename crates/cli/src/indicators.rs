//! `anju indicators --region CODE [--date D | --year Y] [--json]`: a region's plan indicators
//! against their targets, per child region; `anju indicators snapshot --year Y`: the year-end
//! snapshot of a year that has ended, taken once.

use std::process::ExitCode;

use anju_store::{Board, IndicatorValue, When};
use serde_json::{Value, json};

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
        println!("{}", to_json(&board));
    } else {
        print_text(&board);
    }
    Ok(ExitCode::SUCCESS)
}

/// The value in the indicator's unit: people, per cent, yuan.
fn number(v: Option<f64>) -> Value {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 9e15 => json!(x as i64),
        Some(x) => json!(x),
        None => Value::Null,
    }
}

fn indicator_json(i: &IndicatorValue) -> Value {
    let (numerator, denominator) = if i.no_data {
        (Value::Null, Value::Null)
    } else if i.share {
        (json!(i.tally.n), json!(i.tally.d))
    } else {
        (number(i.value), Value::Null)
    };
    json!({
        "name": i.name,
        "value": number(i.value),
        "numerator": numerator,
        "denominator": denominator,
        "target": number(i.target.map(|t| t.as_f64())),
        "children": i.children.iter().map(|c| json!({
            "region": c.code,
            "value": number(c.value),
            "target": number(c.target.map(|t| t.as_f64())),
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn to_json(b: &Board) -> Value {
    json!({
        "region": b.region.code.to_string(),
        "as_of": b.as_of.to_string(),
        "indicators": b.indicators.iter().map(indicator_json).collect::<Vec<_>>(),
    })
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
