//! The import page: upload a sheet, follow its progress, read the report, download the
//! rejected rows. The upload is kept in the work directory only while the job runs.

use std::path::PathBuf;

use anju_io::{EncodingChoice, ReadOptions};
use anju_jobs::{ImportOptions, ImportReport, Outcome, Progress, RowError};
use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::auth::{PageUser, Session};
use crate::jobs::{Job, JobState};
use crate::pages::Layout;
use crate::{App, AppError};

#[derive(Template, WebTemplate)]
#[template(path = "person_import.html")]
pub struct UploadPage {
    layout: Layout,
    error: Option<String>,
}

fn may_import(s: &Session) -> Result<(), AppError> {
    if s.scope().role().imports_persons() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The import template: every column of a person's file, an example row, and what each
/// column takes.
pub async fn template(PageUser(s): PageUser) -> Result<Response, AppError> {
    may_import(&s)?;
    let columns: Vec<anju_io::TemplateColumn> = anju_domain::person::Field::ALL
        .into_iter()
        .map(|f| anju_io::TemplateColumn {
            header: f.header(),
            required: anju_domain::person::Field::REQUIRED.contains(&f),
            allowed: f.allowed(),
            example: f.example(),
        })
        .collect();
    let bytes = anju_io::template_xlsx(&columns).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::pages::xlsx_download(
        "template.xlsx",
        "残疾人档案导入模板.xlsx",
        bytes,
    ))
}

pub async fn form(PageUser(s): PageUser) -> Result<UploadPage, AppError> {
    may_import(&s)?;
    Ok(UploadPage {
        layout: Layout::for_session(&s, "导入残疾人档案", "/persons"),
        error: None,
    })
}

fn bad_upload(s: &Session, msg: &str) -> Response {
    (
        axum::http::StatusCode::BAD_REQUEST,
        UploadPage {
            layout: Layout::for_session(s, "导入残疾人档案", "/persons"),
            error: Some(msg.to_owned()),
        },
    )
        .into_response()
}

/// A sheet received from the upload form, saved in the work directory.
#[derive(Debug, Clone)]
pub struct Upload {
    pub id: String,
    pub path: PathBuf,
    pub file_name: String,
    pub strict: bool,
    pub replace: bool,
    pub read: ReadOptions,
    /// Preview first: show what the import would do, write nothing.
    pub dry_run: bool,
    /// Take the file's values over ones changed by hand since they were last imported.
    pub overwrite_conflicts: bool,
    /// The year the sheet's figures describe, where the form asks for it.
    pub data_year: Option<String>,
    /// The kind of list, where the form asks for it (a cross-check).
    pub kind: Option<String>,
}

/// Receives the upload form (file, sheet, encoding, strict, replace) with its CSRF check.
/// `Err(msg)` when no file was chosen.
pub async fn receive(
    app: &App,
    s: &Session,
    mut multipart: Multipart,
) -> Result<Result<Upload, &'static str>, AppError> {
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let id = anju_store::random_token();
    let path = app.work_dir.join(format!("upload-{id}"));
    let mut csrf = String::new();
    let mut file_name = None;
    let mut strict = false;
    let mut replace = false;
    let mut dry_run = false;
    let mut overwrite_conflicts = false;
    let mut sheet = None;
    let mut encoding = EncodingChoice::Auto;
    let mut data_year = None;
    let mut kind = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("上传未完成：{e}")))?
    {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "strict" => strict = true,
            "replace" => replace = true,
            "preview" => dry_run = true,
            "overwrite" => overwrite_conflicts = true,
            "data_year" => data_year = Some(field.text().await.unwrap_or_default()),
            "kind" => kind = Some(field.text().await.unwrap_or_default()),
            "sheet" => {
                sheet =
                    Some(field.text().await.unwrap_or_default()).filter(|s| !s.trim().is_empty())
            }
            "encoding" => {
                encoding = EncodingChoice::parse(&field.text().await.unwrap_or_default())
                    .unwrap_or_default();
            }
            "file" => {
                file_name = field
                    .file_name()
                    .map(str::to_owned)
                    .filter(|n| !n.is_empty());
                let mut out = tokio::fs::File::from_std(
                    anju_io::private::create_file(&path)
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                );
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| AppError::BadRequest(format!("上传未完成：{e}")))?
                {
                    out.write_all(&chunk)
                        .await
                        .map_err(|e| AppError::Internal(e.to_string()))?;
                }
                out.flush()
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?;
            }
            _ => {}
        }
    }
    if let Err(e) = s.check_csrf(&csrf) {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    let Some(file_name) = file_name else {
        let _ = tokio::fs::remove_file(&path).await;
        return Ok(Err("请选择要导入的文件"));
    };
    Ok(Ok(Upload {
        id,
        path,
        file_name,
        strict,
        replace,
        read: ReadOptions {
            sheet,
            encoding,
            ..Default::default()
        },
        dry_run,
        overwrite_conflicts,
        data_year,
        kind,
    }))
}

/// Registers the job of an upload for its owner; `back` is the page to import another.
pub fn register(app: &App, s: &Session, u: &Upload, back: &str) -> (ImportOptions, PathBuf) {
    let errors_file = app.work_dir.join(format!("errors-{}.xlsx", u.id));
    app.jobs.insert(
        u.id.clone(),
        Job {
            owner: s.scope().user_id(),
            file_name: u.file_name.clone(),
            state: JobState::Running(Progress::default()),
            errors_file: None,
            back: back.to_owned(),
            kept: None,
            next: None,
        },
    );
    let opts = ImportOptions {
        read: u.read.clone(),
        strict: u.strict,
        errors_out: Some(errors_file.clone()),
        label: Some(u.file_name.clone()),
        pace: Some(app.in_flight.clone()),
        overwrite_conflicts: u.overwrite_conflicts,
        dry_run: u.dry_run,
    };
    (opts, errors_file)
}

/// Records a finished job and removes its upload (kept after a preview, to be imported).
pub async fn finish(
    app: &App,
    id: &str,
    path: &std::path::Path,
    result: Result<ImportReport, anju_jobs::ImportError>,
) {
    finish_upload(app, id, path, None, result).await;
}

async fn finish_upload(
    app: &App,
    id: &str,
    path: &std::path::Path,
    upload: Option<Upload>,
    result: Result<ImportReport, anju_jobs::ImportError>,
) {
    let keep = matches!(&result, Ok(r) if r.dry_run) && upload.is_some();
    if !keep {
        let _ = tokio::fs::remove_file(path).await;
    }
    app.jobs.update(id, |j| match result {
        Ok(report) => {
            j.errors_file.clone_from(&report.errors_file);
            j.state = JobState::Done(report);
            if keep {
                j.kept = upload;
            }
        }
        Err(e) => j.state = JobState::Failed(e.to_string()),
    });
}

pub async fn upload(
    State(app): State<App>,
    PageUser(s): PageUser,
    multipart: Multipart,
) -> Result<Response, AppError> {
    may_import(&s)?;
    let u = match receive(&app, &s, multipart).await? {
        Ok(u) => u,
        Err(msg) => return Ok(bad_upload(&s, msg)),
    };
    Ok(start(app, &s, u))
}

/// Runs an upload's import in turn and answers with its progress page.
fn start(app: App, s: &Session, u: Upload) -> Response {
    let (opts, _) = register(&app, s, &u, "/persons/import");
    let scope = s.scope().clone();
    let job_id = u.id.clone();
    let page = job_id.clone();
    tokio::spawn(async move {
        let work = {
            let (store, jobs, id, path) = (
                app.store.clone(),
                app.jobs.clone(),
                job_id.clone(),
                u.path.clone(),
            );
            async move {
                anju_jobs::import_persons(&store, &scope, &path, &opts, |p| {
                    jobs.update(&id, |j| j.state = JobState::Running(p));
                })
                .await
            }
        };
        let result = app.jobs.in_turn(&job_id, work).await;
        let path = u.path.clone();
        finish_upload(&app, &job_id, &path, Some(u), result).await;
    });
    Redirect::to(&format!("/imports/{page}")).into_response()
}

/// The form confirming a previewed import.
#[derive(serde::Deserialize)]
pub struct Confirm {
    csrf: String,
    #[serde(default)]
    overwrite: Option<String>,
}

/// Imports a previewed file for real (with conflicts overwritten when asked).
pub async fn confirm(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Confirm>,
) -> Result<Response, AppError> {
    may_import(&s)?;
    s.check_csrf(&f.csrf)?;
    let job = app
        .jobs
        .get(&id, s.scope().user_id())
        .ok_or(AppError::NotFound)?;
    let mut u = job.kept.ok_or(AppError::NotFound)?;
    app.jobs.update(&id, |j| j.kept = None);
    // The kept file moves to the new job's name, so that each job owns its upload.
    let new_id = anju_store::random_token();
    let path = app.work_dir.join(format!("upload-{new_id}"));
    tokio::fs::rename(&u.path, &path)
        .await
        .map_err(|_| AppError::BadRequest("预览的文件已过期，请重新选择文件导入".into()))?;
    u.id = new_id;
    u.path = path;
    u.dry_run = false;
    u.overwrite_conflicts = f.overwrite.is_some();
    Ok(start(app, &s, u))
}

#[derive(Template, WebTemplate)]
#[template(path = "person_job.html")]
pub struct JobPage {
    layout: Layout,
    id: String,
    back: String,
    file_name: String,
    running: Option<Progress>,
    /// Place in line while waiting for other imports.
    queued: Option<usize>,
    report: Option<ImportReport>,
    shown_errors: Vec<RowError>,
    /// The rejected rows counted by reason, shown before the list.
    reasons: Vec<anju_jobs::ReasonCount>,
    /// The conflicts shown (stored values changed by hand), each with its time in words.
    shown_conflicts: Vec<(anju_store::Conflict, String, &'static str)>,
    shown_changes: Vec<anju_jobs::RowChange>,
    /// A preview whose file can be imported now.
    can_confirm: bool,
    failed: Option<String>,
    has_errors_file: bool,
}

pub async fn job(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let job = app
        .jobs
        .get(&id, s.scope().user_id())
        .ok_or(AppError::NotFound)?;
    if let (JobState::Done(_), Some(next)) = (&job.state, &job.next) {
        return Ok(Redirect::to(next).into_response());
    }
    job_page(&app, &s, id, job).map(IntoResponse::into_response)
}

fn job_page(
    app: &App,
    s: &Session,
    id: String,
    job: crate::jobs::Job,
) -> Result<JobPage, AppError> {
    let queued = match job.state {
        JobState::Queued => Some(app.jobs.position(&id).unwrap_or(1)),
        _ => None,
    };
    let (running, report, failed) = match job.state {
        JobState::Queued => (None, None, None),
        JobState::Running(p) => (Some(p), None, None),
        JobState::Done(r) => (None, Some(r), None),
        JobState::Failed(e) => (None, None, Some(e)),
    };
    let shown_errors = report
        .as_ref()
        .map(|r| r.errors.iter().take(200).cloned().collect())
        .unwrap_or_default();
    let shown_conflicts = report
        .as_ref()
        .map(|r| {
            r.conflicts
                .iter()
                .take(200)
                .map(|c| {
                    (
                        c.clone(),
                        anju_domain::time::beijing(c.changed_at_ms),
                        anju_domain::person::source_label(&c.source),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let shown_changes = report
        .as_ref()
        .map(|r| r.changes.iter().take(200).cloned().collect())
        .unwrap_or_default();
    Ok(JobPage {
        layout: Layout::for_session(s, "导入结果", ""),
        id,
        back: job.back.clone(),
        file_name: job.file_name,
        running,
        queued,
        reasons: report
            .as_ref()
            .map(ImportReport::reasons)
            .unwrap_or_default(),
        shown_errors,
        shown_conflicts,
        shown_changes,
        can_confirm: job.kept.is_some(),
        report,
        failed,
        has_errors_file: job.errors_file.is_some(),
    })
}

/// The job's state for the page's progress script.
pub async fn job_json(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let job = app
        .jobs
        .get(&id, s.scope().user_id())
        .ok_or(AppError::NotFound)?;
    Ok(Json(match job.state {
        JobState::Queued => json!({"state": "queued", "position": app.jobs.position(&id)}),
        JobState::Running(p) => json!({"state": "running", "rows": p.rows, "total": p.total}),
        JobState::Done(r) => json!({"state": "done", "rows": r.rows}),
        JobState::Failed(_) => json!({"state": "failed"}),
    }))
}

pub async fn errors_file(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let job = app
        .jobs
        .get(&id, s.scope().user_id())
        .ok_or(AppError::NotFound)?;
    let path: PathBuf = job.errors_file.ok_or(AppError::NotFound)?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| AppError::NotFound)?;
    app.store
        .persons()
        .record_view(
            s.scope(),
            "person.export",
            "import_errors".into(),
            job.file_name.clone(),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"import-errors.xlsx\"; filename*=UTF-8''%E9%94%99%E8%AF%AF%E8%A1%8C.xlsx"),
        ],
        Body::from(bytes),
    )
        .into_response())
}
