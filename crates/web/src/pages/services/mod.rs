//! Services (服务项目 and 个案): the programmes as the federation keeps them (and their
//! import), who a programme could serve on a date, the case list, a case's page with the
//! step now due, and on the person's file, opening a case and recording a diagnosis.

mod care;
mod case_details;
mod cases;
mod devices;
mod homes;
mod programmes;
mod providers;
mod report;
mod settlement;

use axum::Router;
use axum::routing::{get, post};

use crate::App;

pub use cases::{FileServices, file_cases};

/// The navigation entry the services pages mark current.
const HERE: &str = "/cases";

pub fn routes() -> Router<App> {
    Router::new()
        .route("/programmes", get(programmes::list))
        .route(
            "/programmes/import",
            post(programmes::import_upload).layer(axum::extract::DefaultBodyLimit::max(16 << 20)),
        )
        .route("/programmes/template.xlsx", get(programmes::template))
        .route("/programmes/{id}", get(programmes::show))
        .route("/programmes/{id}/report", get(report::page))
        .route("/programmes/{id}/report.xlsx", get(report::export))
        .route(
            "/programmes/{id}/eligible.xlsx",
            get(programmes::export_eligible),
        )
        .route("/care", get(care::page))
        .route("/care/export.xlsx", get(care::export))
        .route("/homes", get(homes::list))
        .route("/homes/schemes", post(homes::add_scheme))
        .route("/homes/{id}", get(homes::show))
        .route("/homes/{id}/evaluations", post(homes::evaluate))
        .route("/devices", get(devices::list))
        .route(
            "/devices/import",
            post(devices::import_upload).layer(axum::extract::DefaultBodyLimit::max(16 << 20)),
        )
        .route("/devices/template.xlsx", get(devices::template))
        .route("/providers", get(providers::list).post(providers::register))
        .route(
            "/settlements",
            get(settlement::list).post(settlement::draft),
        )
        .route("/settlements/{id}", get(settlement::show))
        .route("/settlements/{id}/approve", post(settlement::approve))
        .route("/settlements/{id}/payment.xlsx", get(settlement::export))
        .route("/cases", get(cases::list))
        .route("/cases/export.xlsx", get(cases::export))
        .route("/cases/{id}", get(cases::show).post(cases::act))
        .route("/cases/{id}/assign", post(cases::assign))
        .route("/cases/{id}/deliveries", post(cases::deliver))
        .route("/cases/{id}/device", post(case_details::choose))
        .route("/cases/{id}/amount", post(case_details::amount))
        .route("/cases/{id}/rental", post(case_details::rent))
        .route("/cases/{id}/return", post(case_details::give_back))
        .route("/cases/{id}/care-plan", post(case_details::plan))
        .route("/cases/{id}/return-checks", post(case_details::check))
        .route("/persons/{id}/cases", post(cases::open))
        .route("/persons/{id}/diagnoses", post(cases::diagnose))
}

/// Receives an uploaded sheet and runs `job` on it in turn as the user, answering with the
/// import's progress page; a file that cannot be received gives its message back.
pub(crate) async fn upload<F, Fut>(
    app: &App,
    s: &crate::auth::Session,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
    back: &str,
    job: F,
) -> Result<Result<axum::response::Response, String>, crate::AppError>
where
    F: FnOnce(
            anju_store::Store,
            anju_store::Scope,
            std::path::PathBuf,
            anju_jobs::ImportOptions,
            Option<String>,
        ) -> Fut
        + Send
        + 'static,
    Fut: std::future::Future<Output = Result<anju_jobs::ImportReport, anju_jobs::ImportError>>
        + Send
        + 'static,
{
    use crate::pages::persons::import::{finish, receive, register};
    use axum::response::IntoResponse;
    let multipart =
        multipart.map_err(|_| crate::AppError::BadRequest("请以表格文件上传".into()))?;
    let u = match receive(app, s, multipart).await? {
        Ok(u) => u,
        Err(msg) => return Ok(Err(msg.to_owned())),
    };
    let (opts, _) = register(app, s, &u, back);
    let scope = s.scope().clone();
    let id = u.id.clone();
    let app = app.clone();
    tokio::spawn(async move {
        let work = job(
            app.store.clone(),
            scope,
            u.path.clone(),
            opts,
            u.data_year.clone(),
        );
        let result = app.jobs.in_turn(&u.id, work).await;
        finish(&app, &u.id, &u.path, result).await;
    });
    Ok(Ok(
        axum::response::Redirect::to(&format!("/imports/{id}")).into_response()
    ))
}

/// A template sheet of `columns` with what each takes and an example.
fn template_of(
    columns: &[(&'static str, &'static [&'static str], bool)],
    help: fn(&str) -> (&'static str, &'static str),
    file: &str,
) -> Result<axum::response::Response, crate::AppError> {
    let columns: Vec<anju_io::TemplateColumn> = columns
        .iter()
        .map(|(h, _, required)| {
            let (allowed, example) = help(h);
            anju_io::TemplateColumn {
                header: h,
                required: *required,
                allowed,
                example,
            }
        })
        .collect();
    let bytes =
        anju_io::template_xlsx(&columns).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    Ok(crate::pages::xlsx_download("template.xlsx", file, bytes))
}
