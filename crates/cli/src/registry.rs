//! `anju import persons`, `anju export persons`, `anju gen persons`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anju_io::{EncodingChoice, ReadOptions};
use anju_jobs::{ImportOptions, export_persons, generate_persons, import_persons};
use anju_store::PersonFilter;
use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::{CmdResult, acting_scope, open_store};
use crate::{ExportCommand, GenCommand, Global, ImportCommand};

fn today() -> chrono::NaiveDate {
    use anju_store::Clock;
    anju_store::beijing_date(anju_store::SystemClock.now_ms())
}

/// `name.xlsx` → `name-错误行.xlsx`, beside the input.
fn default_errors_path(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map_or_else(|| "导入".into(), |s| s.to_string_lossy().into_owned());
    file.with_file_name(format!("{stem}-错误行.xlsx"))
}

pub async fn import(g: &Global, cmd: ImportCommand) -> CmdResult {
    let ImportCommand::Persons {
        file,
        sheet,
        encoding,
        strict,
        json,
        errors_out,
    } = cmd;
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let opts = ImportOptions {
        read: ReadOptions {
            sheet,
            encoding: EncodingChoice::parse(&encoding).unwrap_or_default(),
        },
        strict,
        errors_out: Some(errors_out.unwrap_or_else(|| default_errors_path(&file))),
        label: None,
    };
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let result = import_persons(&store, &scope, &file, &opts, |p| {
        match p.total {
            Some(t) => bar.set_message(format!("已处理 {} / {} 行", p.rows, t)),
            None => bar.set_message(format!("已处理 {} 行", p.rows)),
        }
        bar.tick();
    })
    .await;
    bar.finish_and_clear();
    store.close().await;
    let report = result.map_err(|e| format!("{}：{e}", file.display()))?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        println!("{}", report.summary());
        for e in report.errors.iter().take(20) {
            println!("  第{}行 {}：{}", e.row, e.column, e.message);
        }
        if report.errors.len() > 20 {
            println!("  ……共{}处错误", report.errors.len());
        }
        if let Some(p) = &report.errors_file {
            println!("错误行已写入 {}，改正后可再次导入。", p.display());
        }
    }
    Ok(if report.committed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub async fn export(g: &Global, cmd: ExportCommand) -> CmdResult {
    let ExportCommand::Persons { region, out } = cmd;
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let mut filter = PersonFilter::new(today());
    filter.region = region;
    let n = export_persons(&store, &scope, &filter, &out)
        .await
        .map_err(|e| e.to_string())?;
    store.close().await;
    println!("已导出{n}条档案到 {}", out.display());
    Ok(ExitCode::SUCCESS)
}

pub fn generate(cmd: GenCommand) -> CmdResult {
    let GenCommand::Persons { rows, out, seed } = cmd;
    let n = generate_persons(rows, seed, &out, today())?;
    println!("已生成{n}条档案到 {}", out.display());
    Ok(ExitCode::SUCCESS)
}
