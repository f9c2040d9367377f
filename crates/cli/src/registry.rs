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
pub(crate) fn default_errors_path(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map_or_else(|| "导入".into(), |s| s.to_string_lossy().into_owned());
    file.with_file_name(format!("{stem}-错误行.xlsx"))
}

pub async fn import(g: &Global, cmd: ImportCommand) -> CmdResult {
    use anju_jobs::Table;
    let (file, sheet, encoding, strict, json, errors_out, overwrite_conflicts, dry_run) = match cmd
    {
        ImportCommand::Persons {
            file,
            sheet,
            encoding,
            strict,
            json,
            errors_out,
            overwrite_conflicts,
            dry_run,
        } => (
            file,
            sheet,
            encoding,
            strict,
            json,
            errors_out,
            overwrite_conflicts,
            dry_run,
        ),
        ImportCommand::Events(a) => {
            return crate::subsidy::import(g, Table::Events, a, false).await;
        }
        ImportCommand::Assistance(a) => {
            return crate::subsidy::import(g, Table::Assistance, a, false).await;
        }
        ImportCommand::Programmes(a) => {
            return crate::services::import_programmes(g, a).await;
        }
        ImportCommand::Cases(a) => {
            return crate::services::import_cases(g, a).await;
        }
        ImportCommand::Providers(a) => {
            return crate::services::import_sheet(g, a, anju_jobs::import_providers).await;
        }
        ImportCommand::Deliveries(a) => {
            return crate::services::import_sheet(g, a, anju_jobs::import_deliveries).await;
        }
        ImportCommand::Targets(sheet) => {
            let store = open_store(g).await?;
            let scope = acting_scope(&store, g).await?;
            let opts = crate::subsidy::options(&sheet);
            let result =
                anju_jobs::indicators::import_targets(&store, &scope, &sheet.file, &opts).await;
            store.close().await;
            let report = result.map_err(|e| format!("{}：{e}", sheet.file.display()))?;
            return print_report(&report, sheet.json);
        }
        ImportCommand::Survey { sheet, year } => {
            let store = open_store(g).await?;
            let scope = acting_scope(&store, g).await?;
            let opts = crate::subsidy::options(&sheet);
            let result = anju_jobs::survey::import(&store, &scope, &sheet.file, year, &opts).await;
            store.close().await;
            let report = result.map_err(|e| format!("{}：{e}", sheet.file.display()))?;
            return print_report(&report, sheet.json);
        }
        ImportCommand::Employers { sheet, data_year } => {
            return crate::employment::import_year(
                g,
                sheet,
                data_year,
                anju_jobs::levy::import_employers,
            )
            .await;
        }
        ImportCommand::EmployerStaff { sheet, data_year } => {
            return crate::employment::import_year(
                g,
                sheet,
                data_year,
                anju_jobs::levy::import_staff,
            )
            .await;
        }
        ImportCommand::LevyParams(a) => {
            return crate::services::import_sheet(g, a, anju_jobs::levy::import_params).await;
        }
        ImportCommand::Devices(a) => {
            return crate::services::import_sheet(g, a, anju_jobs::import_devices).await;
        }
        ImportCommand::Grants(a) => {
            return crate::subsidy::import(g, Table::Grants, a, false).await;
        }
        ImportCommand::Standards { sheet, replace } => {
            return crate::subsidy::import(g, Table::Standards, sheet, replace).await;
        }
        ImportCommand::Dibao { sheet, replace } => {
            return crate::subsidy::import(g, Table::Dibao, sheet, replace).await;
        }
    };
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let opts = ImportOptions {
        read: ReadOptions {
            sheet,
            encoding: EncodingChoice::parse(&encoding).unwrap_or_default(),
            ..Default::default()
        },
        strict,
        errors_out: Some(errors_out.unwrap_or_else(|| default_errors_path(&file))),
        label: None,
        pace: None,
        overwrite_conflicts,
        dry_run,
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
    print_report(&report, json)
}

/// Prints an import's result (JSON or a Chinese summary with the first errors); the exit
/// status says whether anything was written.
pub(crate) fn print_report(report: &anju_jobs::ImportReport, json: bool) -> CmdResult {
    if json {
        println!(
            "{}",
            serde_json::to_string(report).map_err(|e| e.to_string())?
        );
    } else {
        println!("{}", report.summary());
        let reasons = report.reasons();
        if !reasons.is_empty() {
            println!("拒绝原因：");
            for r in &reasons {
                println!("  {}：{}（{}行）", r.column, r.example, r.rows);
            }
            println!("明细：");
        }
        for e in report.errors.iter().take(20) {
            println!("  第{}行 {}：{}", e.row, e.column, e.message);
        }
        if report.errors.len() > 20 {
            println!("  ……共{}处错误", report.errors.len());
        }
        for e in report.warnings.iter().take(20) {
            println!("  第{}行 {}（已导入）：{}", e.row, e.column, e.message);
        }
        if report.warnings.len() > 20 {
            println!("  ……共{}行需补录", report.warned);
        }
        for c in report.conflicts.iter().take(20) {
            println!(
                "  第{}行 {}：保留现有值“{}”（{} 于 {} 经{}修改），文件中为“{}”",
                c.row,
                c.column,
                c.stored,
                c.changed_by,
                anju_domain::time::beijing(c.changed_at_ms),
                anju_domain::person::source_label(&c.source),
                c.file
            );
        }
        if report.conflicts.len() > 20 {
            println!("  ……共{}处冲突", report.conflicts.len());
        }
        if !report.conflicts.is_empty() && !report.dry_run {
            println!("如确认以文件为准，请加 --overwrite-conflicts 重新导入。");
        }
        for c in report.changes.iter().take(50) {
            println!("  第{}行将更新：{}", c.row, c.columns.join("、"));
        }
        if report.changes.len() > 50 {
            println!("  ……共{}行将更新", report.changes.len());
        }
        if let Some(p) = &report.errors_file {
            println!("错误行已写入 {}，改正后可再次导入。", p.display());
        }
    }
    Ok(if report.committed || report.dry_run {
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
