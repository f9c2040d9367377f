//! The list of files: filters, search, sort, pages, and export of the filtered list.

use anju_domain::certificate::{Category, CertStatus, Grade};
use anju_domain::person::LifeStatus;
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ListQuery;
use crate::auth::PageUser;
use crate::pages::Layout;
use crate::view::PersonView;
use crate::{App, AppError};

pub struct Opt {
    pub value: String,
    pub label: String,
}

fn opts(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<Opt> {
    pairs
        .into_iter()
        .map(|(value, label)| Opt { value, label })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "persons.html")]
pub struct ListPage {
    layout: Layout,
    q: ListQuery,
    rows: Vec<PersonView>,
    total: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
    export_query: String,
    categories: Vec<Opt>,
    grades: Vec<Opt>,
    statuses: Vec<Opt>,
    lives: Vec<Opt>,
    sorts: Vec<Opt>,
    error: Option<String>,
    can_write: bool,
    can_import: bool,
    /// The regions of the scope, picked by name for the region filter.
    regions: Vec<(String, String)>,
}

impl ListPage {
    /// Whether a filter beyond the search box is set (the order is not a filter): the folded
    /// filters then show open.
    fn filtered(&self) -> bool {
        let q = &self.q;
        [
            &q.region,
            &q.category,
            &q.grade,
            &q.severe,
            &q.age_min,
            &q.age_max,
            &q.sex,
            &q.cert_status,
            &q.life_status,
            &q.quality,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }
}

pub async fn list(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let scope = s.scope();
    if !scope.role().reads_persons() {
        return Err(AppError::Forbidden);
    }
    let today = app.store.today();
    let (page, error) = match q.filter(today, 50) {
        Ok(f) => match app.store.persons().list(scope, &f).await {
            Ok(p) => (Some(p), None),
            Err(anju_store::StoreError::Forbidden) => return Err(AppError::Forbidden),
            Err(e) if e.is_client_error() => (None, Some(e.to_string())),
            Err(e) => return Err(e.into()),
        },
        Err(AppError::BadRequest(m)) => (None, Some(m)),
        Err(e) => return Err(e),
    };
    let (rows, total, page_no, per_page) = match page {
        Some(p) => (p.rows, p.total, p.page, p.per_page),
        None => (Vec::new(), 0, 1, 50),
    };
    if !rows.is_empty() {
        app.store
            .persons()
            .record_view(
                scope,
                "person.list",
                "persons".into(),
                format!("{}条，{}", rows.len(), q.encoded_without_page()),
            )
            .await?;
    }
    let pages = ((total + per_page - 1) / per_page).max(1);
    let base = q.encoded_without_page();
    let link = |n: i64| format!("/persons?{base}&page={n}");
    let days = app.expiring_days().await?;
    Ok(ListPage {
        layout: Layout::for_session(&s, "残疾人档案", "/persons"),
        rows: rows
            .iter()
            .map(|r| PersonView::new(r, false, today, days))
            .collect(),
        total,
        page: page_no,
        pages,
        prev: (page_no > 1).then(|| link(page_no - 1)),
        next: (page_no < pages).then(|| link(page_no + 1)),
        export_query: base,
        categories: opts(Category::all().map(|c| (c.code().to_string(), c.label()))),
        grades: opts(Grade::all().map(|g| (g.code().to_string(), g.name().to_owned()))),
        statuses: opts(CertStatus::ALL.map(|c| (c.as_str().to_owned(), c.label().to_owned()))),
        lives: opts(LifeStatus::ALL.map(|l| (l.as_str().to_owned(), l.label().to_owned()))),
        sorts: opts(
            [
                ("region", "户籍地"),
                ("name", "姓名拼音"),
                ("id_number", "身份证号"),
                ("birth_date", "出生日期"),
                ("valid_to", "证件有效期"),
                ("updated", "最近更新"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned())),
        ),
        error,
        can_write: scope.role().writes_persons(),
        can_import: scope.role().imports_persons(),
        regions: crate::pages::region_choices(
            &scope.region().code,
            &[
                anju_domain::Level::City,
                anju_domain::Level::County,
                anju_domain::Level::Town,
                anju_domain::Level::Village,
            ],
            3000,
        ),
        q,
    })
}

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
    #[serde(flatten)]
    q: ListQuery,
}

/// The filtered list as XLSX (or CSV), masked by role and audited.
pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(eq): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let scope = s.scope();
    if !scope.role().reads_persons() {
        return Err(AppError::Forbidden);
    }
    let filter = eq.q.filter(app.store.today(), 50)?;
    let csv = eq.format == "csv";
    let ext = if csv { "csv" } else { "xlsx" };
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let path = app
        .work_dir
        .join(format!("export-{}.{ext}", anju_store::random_token()));
    let result = anju_jobs::export_persons(&app.store, scope, &filter, &path).await;
    let bytes = std::fs::read(&path);
    let _ = std::fs::remove_file(&path);
    match result {
        Ok(_) => {}
        Err(anju_jobs::ExportError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(AppError::Internal(e.to_string())),
    }
    let bytes = bytes.map_err(|e| AppError::Internal(e.to_string()))?;
    let content_type = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    };
    let name = format!("残疾人档案-{}.{ext}", app.store.today().format("%Y%m%d"));
    let disposition = format!(
        "attachment; filename=\"persons.{ext}\"; filename*=UTF-8''{}",
        utf8_percent(&name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// RFC 5987 encoding for a download's file name.
pub(crate) fn utf8_percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
