//! The file (一人一档): basic data, certificate, history, and the sections later work fills.
//! Each view is audited; revealing the whole numbers is a separate, audited action.

use anju_domain::id_number::IdNumber;
use anju_domain::person::Field;
use anju_store::{HistoryEntry, PersonRecord};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};

use crate::auth::{PageUser, Session};
use crate::pages::session::CsrfForm;
use crate::pages::{Layout, beijing, region_crumbs};
use crate::view::PersonView;
use crate::{App, AppError};

pub struct HistoryRow {
    at: String,
    actor: String,
    source: &'static str,
    field: String,
    before: String,
    after: String,
}

/// A grant, status, paid line or recovery as the file's subsidy section shows it.
pub struct SubsidyRow {
    cells: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "person.html")]
pub struct FilePage {
    layout: Layout,
    p: PersonView,
    applications: Vec<SubsidyRow>,
    grants: Vec<SubsidyRow>,
    statuses: Vec<SubsidyRow>,
    paid: Vec<SubsidyRow>,
    recoveries: Vec<SubsidyRow>,
    history: Vec<HistoryRow>,
    can_reveal: bool,
    can_write: bool,
    saved: bool,
    /// An application under way (a first 新办, a renewal…): its page, its kind and where it
    /// stands.
    under_way: Option<(String, &'static str, &'static str)>,
    /// The certificate is expiring or expired and no renewal is under way: 发起换领 here.
    can_renew: bool,
    today: String,
    /// Cases, diagnoses, and the forms to open a case and record a diagnosis.
    services: crate::pages::services::FileServices,
    /// Employment: every status recorded, and the form's choices.
    employment: crate::pages::employment::FileEmployment,
    /// Employment services: the registration and the service chain.
    jobs: crate::pages::jobs::FileJobs,
    /// Home visits.
    visits: crate::pages::visits::FileVisits,
}

fn field_label(key: &str) -> String {
    match key {
        "created" => "建档".into(),
        "legacy_id" => "旧15位身份证号".into(),
        k => Field::from_key(k).map_or_else(|| k.to_owned(), |f| f.header().to_owned()),
    }
}

fn masked_value(key: &str, v: &str, whole: bool) -> String {
    if whole {
        return v.to_owned();
    }
    match key {
        // The legacy number's history row holds the old and the new ID number.
        "legacy_id" => Field::IdNumber.masked(v),
        k => Field::from_key(k).map_or_else(|| v.to_owned(), |f| f.masked(v)),
    }
}

/// The history as the page shows it, staff by their names (`names`: account → name).
pub fn history_rows(
    h: &[HistoryEntry],
    whole: bool,
    names: &std::collections::HashMap<String, String>,
) -> Vec<HistoryRow> {
    h.iter()
        .map(|e| HistoryRow {
            at: beijing(e.at_ms),
            actor: names
                .get(&e.actor)
                .cloned()
                .unwrap_or_else(|| e.actor.clone()),
            source: anju_domain::person::source_label(&e.source),
            field: field_label(&e.field),
            before: masked_value(&e.field, e.before.as_deref().unwrap_or(""), whole),
            after: masked_value(&e.field, e.after.as_deref().unwrap_or(""), whole),
        })
        .collect()
}

/// A recovery's reason in words.
pub fn recovery_reason(code: &str) -> &'static str {
    match code {
        "deceased" => "死亡后仍发放",
        "moved_out" => "迁出后仍发放",
        _ => "不符合发放条件",
    }
}

pub fn parse_id(id: &str) -> Result<IdNumber, AppError> {
    IdNumber::parse(id).map_err(|_| AppError::NotFound)
}

/// A page's file key (the row id).
pub fn parse_key(key: &str) -> Result<i64, AppError> {
    key.parse().map_err(|_| AppError::NotFound)
}

pub async fn file_page(
    app: &App,
    s: &Session,
    rec: &PersonRecord,
    whole: bool,
    saved: bool,
) -> Result<FilePage, AppError> {
    let scope = s.scope();
    let history = app.store.persons().history(scope, rec).await?;
    let subs = app.store.subsidies().of_person(scope, rec).await?;
    let records = app.store.applications().list(scope, Some(rec.id)).await?;
    let under_way = records.iter().find(|a| a.state.is_open()).map(|a| {
        (
            format!("/certificates/applications/{}", a.id),
            a.kind.label(),
            a.state.label(),
        )
    });
    let today = app.store.today();
    let due = matches!(
        rec.cert_status(today, app.expiring_days().await?),
        anju_domain::certificate::CertStatus::Expiring
            | anju_domain::certificate::CertStatus::Expired
    );
    let can_renew = due && under_way.is_none() && scope.role().writes_persons();
    let applications = records
        .iter()
        .map(|a| SubsidyRow {
            cells: vec![
                a.applied_on.to_string(),
                a.kind.label().into(),
                a.state.label().into(),
                a.deadline.map(|d| d.to_string()).unwrap_or_default(),
                a.created_by.clone(),
            ],
        })
        .collect();
    let row = |cells: Vec<String>| SubsidyRow { cells };
    let account = |a: &str| {
        if whole {
            a.to_owned()
        } else {
            Field::BankAccount.masked(a)
        }
    };
    let grants = subs
        .grants
        .iter()
        .map(|g| {
            row(vec![
                g.kind.label().into(),
                g.locality.into(),
                format!("{} 至 {}", g.from, g.to.as_deref().unwrap_or("今")),
                if g.long_term_care { "是" } else { "否" }.into(),
                format!("{} {}", g.bank_name, account(&g.bank_account)),
            ])
        })
        .collect();
    let statuses = subs
        .assistance
        .iter()
        .map(|a| {
            row(vec![
                a.kind.label().into(),
                format!(
                    "{} 至 {}",
                    a.from,
                    a.to.map_or_else(|| "今".to_owned(), |m| m.to_string())
                ),
                a.amount
                    .map(|f| format!("{} 元/月", f.yuan()))
                    .unwrap_or_default(),
            ])
        })
        .collect();
    let paid = subs
        .paid
        .iter()
        .map(|l| {
            row(vec![
                l.month.clone(),
                l.kind.label().into(),
                l.amount.yuan(),
                format!(
                    "{}名册{}",
                    l.roll_month,
                    if l.arrears { "（补发）" } else { "" }
                ),
                match l.status.as_str() {
                    "failed" => format!("银行退回：{}", l.bank_reason.as_deref().unwrap_or("")),
                    _ => "已发放".into(),
                },
            ])
        })
        .collect();
    let recoveries = subs
        .recoveries
        .iter()
        .map(|r| {
            row(vec![
                r.month.clone(),
                r.kind.label().into(),
                r.amount.yuan(),
                recovery_reason(&r.reason).into(),
                if r.status == "open" {
                    "待追回"
                } else {
                    "已办结"
                }
                .into(),
            ])
        })
        .collect();
    let action = if whole {
        "person.reveal"
    } else {
        "person.view"
    };
    app.store
        .persons()
        .record_view(scope, action, rec.audit_object(), String::new())
        .await?;
    Ok(FilePage {
        layout: Layout::for_session(s, &format!("{}的档案", rec.person.name), "/persons")
            .with_crumbs(region_crumbs(scope, &rec.person.household_code, false)),
        p: PersonView::new(rec, whole, app.store.today(), app.expiring_days().await?),
        applications,
        grants,
        statuses,
        paid,
        recoveries,
        history: history_rows(&history, whole, &app.store.users().display_names().await?),
        can_reveal: scope.role().sees_identifiers() && !whole,
        can_write: scope.role().writes_persons(),
        under_way,
        can_renew,
        today: today.to_string(),
        saved,
        services: crate::pages::services::file_cases(app, s, rec).await?,
        employment: crate::pages::employment::file_employment(app, s, rec).await?,
        jobs: crate::pages::jobs::file_jobs(app, s, rec).await?,
        visits: crate::pages::visits::file_visits(app, s, rec).await?,
    })
}

pub async fn show(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<FilePage, AppError> {
    let rec = app
        .store
        .persons()
        .get_by_key(s.scope(), parse_key(&id)?)
        .await?;
    file_page(&app, &s, &rec, false, q.contains_key("saved")).await
}

pub async fn reveal(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<FilePage, AppError> {
    s.check_csrf(&f.csrf)?;
    if !s.scope().role().sees_identifiers() {
        return Err(AppError::Forbidden);
    }
    let rec = app
        .store
        .persons()
        .get_by_key(s.scope(), parse_key(&id)?)
        .await?;
    file_page(&app, &s, &rec, true, false).await
}
