//! `anju crosscheck run --kind KIND FILE [--json] [--rows-out FILE.csv]`: a department's list
//! matched against the registry of the acting account's subtree.

use std::process::ExitCode;

use anju_domain::crosscheck::ListKind;
use serde_json::json;

use crate::commands::{CmdResult, acting_scope, open_store};
use crate::{CrosscheckCommand, Global};

pub async fn crosscheck(g: &Global, cmd: CrosscheckCommand) -> CmdResult {
    let CrosscheckCommand::Run {
        kind,
        file,
        json,
        rows_out,
    } = cmd;
    let kind = ListKind::parse(&kind).ok_or_else(|| {
        format!(
            "--kind：没有“{kind}”这种名单，可用：{}",
            ListKind::ALL.map(ListKind::as_str).join("、")
        )
    })?;
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let result = anju_jobs::crosscheck::run(&store, &scope, kind, &file, &name).await;
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            store.close().await;
            return Err(format!("{}：{e}", file.display()));
        }
    };
    if let Some(out) = rows_out {
        let written = write_rows(&store, &scope, result.batch.id, &out).await;
        if let Err(e) = written {
            store.close().await;
            return Err(e);
        }
    }
    store.close().await;
    let b = &result.batch;
    if json {
        let errors: Vec<serde_json::Value> = result
            .errors
            .iter()
            .map(|e| json!({"row": e.row, "column": e.column, "reason": e.reason}))
            .collect();
        let out = json!({
            "batch": b.id,
            "rows": b.rows,
            "classes": {
                "consistent": b.classes.consistent,
                "different": b.classes.different,
                "list_only": b.classes.list_only,
                "registry_only": b.classes.registry_only,
                "weak": b.classes.weak,
                "rejected": b.classes.rejected,
            },
            "tasks": b.tasks,
            "errors": errors,
        });
        println!("{out}");
    } else {
        println!(
            "比对批次 {}：{} 行；一致 {}，有差异 {}，仅名单有 {}，仅档案有 {}，弱匹配 {}，无法比对 {}；生成任务 {}",
            b.id,
            b.rows,
            b.classes.consistent,
            b.classes.different,
            b.classes.list_only,
            b.classes.registry_only,
            b.classes.weak,
            b.classes.rejected,
            b.tasks
        );
        for e in result.errors.iter().take(50) {
            println!("  第{}行 {}：{}", e.row, e.column, e.reason);
        }
        if result.errors.len() > 50 {
            println!("  ……共{}处错误", result.errors.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every row's class (行号, 身份证号, 类别, the differing fields), the registry-only people
/// with row 0.
async fn write_rows(
    store: &anju_store::Store,
    scope: &anju_store::Scope,
    batch: i64,
    out: &std::path::Path,
) -> Result<(), String> {
    let mut w = anju_io::SheetWriter::create(out, &["行号", "身份证号", "类别", "差异"])
        .map_err(|e| e.to_string())?;
    let per_page = 100_000;
    let mut page = 1;
    loop {
        let (rows, total) = store
            .crosschecks()
            .rows(scope, batch, None, page, per_page)
            .await
            .map_err(|e| e.to_string())?;
        for r in &rows {
            let diffs: Vec<String> = r
                .differences
                .iter()
                .map(|d| format!("{}：档案“{}”，名单“{}”", d.field, d.registry, d.list))
                .collect();
            w.write_row(&[
                r.row_no.to_string(),
                r.id_number.clone(),
                anju_store::class_label(&r.class).to_owned(),
                diffs.join("；"),
            ])
            .map_err(|e| e.to_string())?;
        }
        if rows.is_empty() || page * per_page >= total {
            break;
        }
        page += 1;
    }
    w.finish().map_err(|e| e.to_string())
}
