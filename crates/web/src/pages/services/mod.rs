//! Services (服务项目 and 个案): the programmes as the federation keeps them (and their
//! import), who a programme could serve on a date, the case list, a case's page with the
//! step now due, and on the person's file, opening a case and recording a diagnosis.

mod cases;
mod programmes;
mod providers;
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
        .route(
            "/programmes/{id}/eligible.xlsx",
            get(programmes::export_eligible),
        )
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
        .route("/persons/{id}/cases", post(cases::open))
        .route("/persons/{id}/diagnoses", post(cases::diagnose))
}
