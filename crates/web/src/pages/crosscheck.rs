//! Cross-checks in the pages: a department's list uploaded and matched, the batches over
//! time, a batch's classes per town with its rows (masked by role) and their export, and the
//! tasks the differences raised, confirmed or rejected by the town.

use anju_domain::crosscheck::{self, KindSpec, ListKind};
use anju_store::{Batch, ResultRow, Task, TownClasses};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::auth::{PageUser, Session};
use crate::pages::Key;
use crate::pages::Layout;
use crate::{App, AppError};

pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/crosscheck",
            get(batches)
                .post(upload)
                .layer(axum::extract::DefaultBodyLimit::max(512 << 20)),
        )
        .route("/crosscheck/tasks", get(tasks))
        .route("/crosscheck/tasks/{id}/confirm", post(confirm))
        .route("/crosscheck/tasks/{id}/reject", post(reject))
        .route("/crosscheck/{id}", get(batch))
        .route("/crosscheck/{id}/export.xlsx", get(export))
}

pub fn kind_name(kind: &ListKind) -> String {
    crosscheck::spec(*kind).map(|s| s.name).unwrap_or_default()
}

#[derive(Template, WebTemplate)]
#[template(path = "crosscheck.html")]
pub struct BatchesPage {
    layout: Layout,
    batches: Vec<Batch>,
    kinds: Vec<KindSpec>,
    can_run: bool,
    error: Option<String>,
}

async fn batches_page(
    app: &App,
    s: &Session,
    error: Option<String>,
) -> Result<BatchesPage, AppError> {
    Ok(BatchesPage {
        layout: Layout::for_session(s, "数据比对", "/crosscheck"),
        batches: app.store.crosschecks().batches(s.scope()).await?,
        kinds: crosscheck::specs().map_err(AppError::Internal)?,
        can_run: s.scope().role().imports_persons(),
        error,
    })
}

pub async fn batches(
    State(app): State<App>,
    PageUser(s): PageUser,
) -> Result<BatchesPage, AppError> {
    batches_page(&app, &s, None).await
}

/// Runs the uploaded list and shows its batch; a list that cannot be read, or lacks its
/// columns, is refused on the same page with nothing kept.
pub async fn upload(
    State(app): State<App>,
    PageUser(s): PageUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    if !s.scope().role().imports_persons() {
        return Err(AppError::Forbidden);
    }
    let multipart =
        multipart.map_err(|_| AppError::BadRequest("请以上传表单提交名单文件".into()))?;
    let u = match crate::pages::persons::import::receive(&app, &s, multipart).await? {
        Ok(u) => u,
        Err(msg) => {
            let page = batches_page(&app, &s, Some(msg.to_owned())).await?;
            return Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let Some(kind) = u.kind.as_deref().and_then(ListKind::parse) else {
        let _ = tokio::fs::remove_file(&u.path).await;
        let page = batches_page(
            &app,
            &s,
            Some(format!(
                "名单类型“{}”不存在",
                u.kind.as_deref().unwrap_or("")
            )),
        )
        .await?;
        return Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response());
    };
    // The run goes in turn with the imports; its page shows how far it has come, then the
    // batch (or why the list was refused, with nothing kept).
    app.jobs.insert(
        u.id.clone(),
        crate::jobs::Job {
            owner: s.scope().user_id(),
            file_name: u.file_name.clone(),
            state: crate::jobs::JobState::Running(anju_jobs::Progress::default()),
            errors_file: None,
            back: "/crosscheck".into(),
            kept: None,
            next: None,
        },
    );
    let scope = s.scope().clone();
    let id = u.id.clone();
    tokio::spawn(async move {
        let work = {
            let (store, path, name, jobs, id) = (
                app.store.clone(),
                u.path.clone(),
                u.file_name.clone(),
                app.jobs.clone(),
                u.id.clone(),
            );
            async move {
                anju_jobs::crosscheck::run_with_progress(
                    &store,
                    &scope,
                    kind,
                    &path,
                    &name,
                    move |p| {
                        jobs.update(&id, |j| j.state = crate::jobs::JobState::Running(p));
                    },
                )
                .await
            }
        };
        let result = app.jobs.in_turn(&u.id, work).await;
        let _ = tokio::fs::remove_file(&u.path).await;
        app.jobs.update(&u.id, |j| match result {
            Ok(r) => {
                j.next = Some(format!("/crosscheck/{}", r.batch.id));
                j.state = crate::jobs::JobState::Done(anju_jobs::ImportReport {
                    rows: u64::try_from(r.batch.rows).unwrap_or(0),
                    rejected: u64::try_from(r.batch.classes.rejected).unwrap_or(0),
                    committed: true,
                    ..Default::default()
                });
            }
            Err(e) => j.state = crate::jobs::JobState::Failed(e.to_string()),
        });
    });
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

#[derive(Deserialize, Default)]
pub struct RowsQuery {
    #[serde(default)]
    class: String,
    #[serde(default)]
    page: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "crosscheck_batch.html")]
pub struct BatchPage {
    layout: Layout,
    b: Batch,
    towns: Vec<TownClasses>,
    class: String,
    rows: Vec<ResultRow>,
    total: i64,
    page: i64,
    pages: i64,
}

impl BatchPage {
    fn classes(&self) -> Vec<(&'static str, &'static str, i64)> {
        anju_store::CLASSES
            .iter()
            .map(|(c, l)| (*c, *l, self.b.classes.get(c)))
            .collect()
    }
}

const PER_PAGE: i64 = 100;

fn class_of(q: &RowsQuery) -> Result<Option<String>, AppError> {
    match q.class.trim() {
        "" => Ok(None),
        c if anju_store::CLASSES.iter().any(|x| x.0 == c) => Ok(Some(c.to_owned())),
        c => Err(AppError::BadRequest(format!("“{c}”不是比对类别"))),
    }
}

pub async fn batch(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Query(q): Query<RowsQuery>,
) -> Result<BatchPage, AppError> {
    let class = class_of(&q)?;
    let c = app.store.crosschecks();
    let (b, towns) = c.batch(s.scope(), id).await?;
    let page = q.page.unwrap_or(1).max(1);
    let (rows, total) = match &class {
        Some(cl) => c.rows(s.scope(), id, Some(cl), page, PER_PAGE).await?,
        None => (Vec::new(), 0),
    };
    Ok(BatchPage {
        layout: Layout::for_session(
            &s,
            &format!("比对批次 {id}：{}", kind_name(&b.kind)),
            "/crosscheck",
        ),
        b,
        towns,
        class: class.unwrap_or_default(),
        rows,
        total,
        page,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
    })
}

pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Query(q): Query<RowsQuery>,
) -> Result<Response, AppError> {
    let class = class_of(&q)?;
    let (rows, _) = app
        .store
        .crosschecks()
        .rows(s.scope(), id, class.as_deref(), 1, 1_000_000)
        .await?;
    let lines: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| {
            vec![
                r.row_no.to_string(),
                r.id_number,
                r.name,
                r.town,
                anju_store::class_label(&r.class).to_owned(),
                r.differences
                    .iter()
                    .map(|d| format!("{}：档案“{}”，名单“{}”", d.field, d.registry, d.list))
                    .collect::<Vec<_>>()
                    .join("；"),
            ]
        })
        .collect();
    let label = class.as_deref().map_or("全部", anju_store::class_label);
    crate::pages::sheet_download(
        &app,
        "crosscheck.xlsx",
        &format!("比对批次{id}-{label}.xlsx"),
        &["行号", "身份证号", "姓名", "镇（街道）", "类别", "差异"],
        &lines,
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct TasksQuery {
    #[serde(default)]
    status: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "crosscheck_tasks.html")]
pub struct TasksPage {
    layout: Layout,
    tasks: Vec<Task>,
    status: String,
    can_resolve: bool,
}

pub async fn tasks(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<TasksQuery>,
) -> Result<TasksPage, AppError> {
    let status = match q.status.trim() {
        "" => "open",
        st @ ("open" | "confirmed" | "rejected" | "all") => st,
        st => return Err(AppError::BadRequest(format!("“{st}”不是任务状态"))),
    };
    Ok(TasksPage {
        layout: Layout::for_session(&s, "数据比对核查任务", "/crosscheck"),
        tasks: app
            .store
            .crosschecks()
            .tasks(s.scope(), (status != "all").then_some(status))
            .await?,
        status: status.to_owned(),
        can_resolve: s.scope().role().imports_persons(),
    })
}

#[derive(Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn confirm(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<ResolveForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    app.store.crosschecks().confirm(s.scope(), id).await?;
    Ok(Redirect::to("/crosscheck/tasks").into_response())
}

pub async fn reject(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<ResolveForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    app.store
        .crosschecks()
        .reject(s.scope(), id, &f.reason)
        .await?;
    Ok(Redirect::to("/crosscheck/tasks").into_response())
}
