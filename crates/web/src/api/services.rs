//! Services through the API: programmes, who one could serve on a date, cases (list, read,
//! open, act on), and diagnoses on a file. Scoped and masked as the pages are.

use std::collections::BTreeMap;

use anju_domain::person::parse_date;
use anju_domain::programme::{
    CaseAction, CaseState, Explained, Price, ProgrammeKind, Step, steps_text,
};
use anju_store::{CaseFilter, CaseRecord, CaseStepRecord, ProgrammeRecord};
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::doc::Failure;
use super::{body, query};
use crate::auth::ApiUser;
use crate::pages::persons::show::parse_id;
use crate::{App, AppError};

fn date(s: &str, what: &str) -> Result<chrono::NaiveDate, AppError> {
    parse_date(s).ok_or_else(|| AppError::BadRequest(format!("{what}“{s}”不是有效的日期")))
}

/// A programme as it stands.
#[derive(Serialize, ToSchema)]
pub struct ProgrammeView {
    id: i64,
    name: String,
    kind: ProgrammeKind,
    steps: Vec<Step>,
    /// The steps as the sheet writes them.
    steps_text: String,
    conditions: String,
    prices: Vec<Price>,
    yearly_cap_fen: Option<i64>,
    second_approval: bool,
}

impl From<&ProgrammeRecord> for ProgrammeView {
    fn from(r: &ProgrammeRecord) -> Self {
        let p = &r.programme;
        ProgrammeView {
            id: r.id,
            name: p.name.clone(),
            kind: p.kind,
            steps: p.steps.clone(),
            steps_text: steps_text(&p.steps),
            conditions: p.condition_text.clone(),
            prices: p.prices.clone(),
            yearly_cap_fen: p.yearly_cap.map(anju_domain::money::Fen::fen),
            second_approval: p.second_approval,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Programmes {
    programmes: Vec<ProgrammeView>,
}

/// Every programme as it stands.
#[utoipa::path(get, path = "/programmes", tag = "服务", security(("bearer" = [])),
    responses((status = 200, body = Programmes), Failure))]
pub async fn programmes(
    State(app): State<App>,
    ApiUser(s): ApiUser,
) -> Result<Json<Programmes>, AppError> {
    let list = app.store.programmes().list(s.scope()).await?;
    Ok(Json(Programmes {
        programmes: list.iter().map(ProgrammeView::from).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EligibleQuery {
    /// The date the conditions are read on, YYYY-MM-DD.
    #[param(example = "2025-09-01")]
    date: String,
    /// Only files under this region code.
    #[serde(default)]
    region: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EligibleOne {
    id_number: String,
    conditions: Vec<Explained>,
}

/// Who a programme could serve on a date (the same as `anju cases eligible --json`).
#[derive(Serialize, ToSchema)]
pub struct Eligible {
    programme: String,
    date: String,
    count: usize,
    eligible: Vec<EligibleOne>,
}

/// Everyone in the caller's subtree eligible for a programme on a date, each condition
/// explained (identifiers masked by role; audited).
#[utoipa::path(get, path = "/programmes/{id}/eligible", tag = "服务", security(("bearer" = [])),
    params(("id" = String, Path, description = "服务项目编号", example = "1"), EligibleQuery),
    responses((status = 200, body = Eligible), Failure))]
pub async fn eligible(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    q: Result<Query<EligibleQuery>, QueryRejection>,
) -> Result<Json<Eligible>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let q = query(q)?;
    let on = date(&q.date, "日期")?;
    let rec = app.store.programmes().by_id(s.scope(), id).await?;
    let list = app
        .store
        .programmes()
        .eligible(
            s.scope(),
            &rec.programme.name,
            on,
            q.region.as_deref().filter(|r| !r.trim().is_empty()),
        )
        .await?;
    Ok(Json(Eligible {
        programme: rec.programme.name,
        date: on.to_string(),
        count: list.len(),
        eligible: list
            .into_iter()
            .map(|e| EligibleOne {
                id_number: e.id_number,
                conditions: e.conditions,
            })
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// A programme's name.
    #[serde(default)]
    programme: Option<String>,
    /// open, closed or refused.
    #[serde(default)]
    state: Option<String>,
    /// Only open cases past the date of their step now due.
    #[serde(default)]
    overdue: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct Cases {
    cases: Vec<CaseRecord>,
}

async fn viewed(
    app: &App,
    s: &crate::auth::Session,
    what: String,
    n: usize,
) -> Result<(), AppError> {
    super::viewed(app, s.scope(), "case.view", what, n).await
}

/// The cases of the caller's subtree, open ones first by when they fall due.
#[utoipa::path(get, path = "/cases", tag = "服务", security(("bearer" = [])),
    params(CaseQuery), responses((status = 200, body = Cases), Failure))]
pub async fn cases(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    q: Result<Query<CaseQuery>, QueryRejection>,
) -> Result<Json<Cases>, AppError> {
    let q = query(q)?;
    let state = match q.state.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        Some(x) => Some(
            CaseState::parse(x)
                .ok_or_else(|| AppError::BadRequest(format!("个案状态“{x}”无效")))?,
        ),
        None => None,
    };
    let cases = app
        .store
        .cases()
        .list(
            s.scope(),
            &CaseFilter {
                programme: q.programme.filter(|p| !p.trim().is_empty()),
                state,
                person: None,
                overdue: q.overdue.unwrap_or(false),
            },
        )
        .await?;
    viewed(&app, &s, "cases".into(), cases.len()).await?;
    Ok(Json(Cases { cases }))
}

#[derive(Serialize, ToSchema)]
pub struct CaseWithSteps {
    case: CaseRecord,
    actions: Vec<CaseStepRecord>,
}

/// One case and every action on it.
#[utoipa::path(get, path = "/cases/{id}", tag = "服务", security(("bearer" = [])),
    params(("id" = String, Path, description = "个案编号", example = "1")),
    responses((status = 200, body = CaseWithSteps), Failure))]
pub async fn case(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<CaseWithSteps>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (case, actions) = app.store.cases().get(s.scope(), id).await?;
    viewed(&app, &s, format!("case:{id}"), 1).await?;
    Ok(Json(CaseWithSteps { case, actions }))
}

#[derive(Deserialize, ToSchema)]
pub struct OpenBody {
    #[schema(example = "320102194901010013")]
    id_number: String,
    #[schema(example = "成人社区康复")]
    programme: String,
    /// YYYY-MM-DD.
    #[schema(format = Date, example = "2025-09-01")]
    date: String,
    /// Why a case is opened against the programme's conditions (county users only).
    #[serde(default)]
    override_reason: Option<String>,
}

/// Opens a case; when the conditions do not hold, the 400 names each one not met.
#[utoipa::path(post, path = "/cases", tag = "服务", security(("bearer" = [])),
    request_body = OpenBody, responses((status = 200, body = CaseRecord), Failure))]
pub async fn open(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    b: Result<Json<OpenBody>, JsonRejection>,
) -> Result<Json<CaseRecord>, AppError> {
    let b = body(b)?;
    let id = parse_id(&b.id_number)?;
    let rec = app.store.persons().lookup(s.scope(), &id).await?;
    let c = app
        .store
        .cases()
        .open(
            s.scope(),
            rec.id,
            &b.programme,
            date(&b.date, "受理日期")?,
            b.override_reason.as_deref(),
        )
        .await?;
    Ok(Json(c))
}

#[derive(Deserialize, ToSchema)]
pub struct ActBody {
    /// step, refuse or close.
    #[schema(example = "step")]
    action: String,
    #[schema(format = Date, example = "2025-09-02")]
    date: String,
    /// For a step: a value for each field the step records.
    #[serde(default)]
    values: BTreeMap<String, String>,
    #[serde(default)]
    attachments: Vec<String>,
    #[serde(default)]
    note: String,
    /// For a refusal.
    #[serde(default)]
    reason: String,
    /// For closing.
    #[serde(default)]
    outcome: String,
    /// The case's version the caller saw: refused when another action came first.
    #[serde(default)]
    version: Option<i64>,
}

/// Takes the step now due, refuses the case, or closes it.
#[utoipa::path(post, path = "/cases/{id}/actions", tag = "服务", security(("bearer" = [])),
    params(("id" = String, Path, description = "个案编号", example = "1")),
    request_body = ActBody, responses((status = 200, body = CaseRecord), Failure))]
pub async fn act(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    b: Result<Json<ActBody>, JsonRejection>,
) -> Result<Json<CaseRecord>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let b = body(b)?;
    let on = date(&b.date, "办理日期")?;
    let action = match b.action.as_str() {
        "step" => CaseAction::Step {
            date: on,
            values: b.values.into_iter().collect(),
            attachments: b.attachments,
            note: b.note,
        },
        "refuse" => CaseAction::Refuse {
            date: on,
            reason: b.reason,
        },
        "close" => CaseAction::Close {
            date: on,
            outcome: b.outcome,
        },
        other => {
            return Err(AppError::BadRequest(format!(
                "办理事项“{other}”无效，应为step、refuse或close"
            )));
        }
    };
    Ok(Json(
        app.store
            .cases()
            .act(s.scope(), id, b.version, action)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct DiagnosisBody {
    #[schema(example = "孤独症")]
    name: String,
    #[schema(example = "南京市儿童医院")]
    hospital: String,
    #[schema(format = Date, example = "2024-05-01")]
    date: String,
}

#[derive(Serialize, ToSchema)]
pub struct Diagnoses {
    diagnoses: Vec<anju_store::DiagnosisRecord>,
}

/// Records a diagnosis (from the list held as data) on a file; the file's diagnoses.
#[utoipa::path(post, path = "/persons/{id}/diagnoses", tag = "服务", security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号", example = "320102194901010013")),
    request_body = DiagnosisBody, responses((status = 200, body = Diagnoses), Failure))]
pub async fn diagnose(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id_number): Path<String>,
    b: Result<Json<DiagnosisBody>, JsonRejection>,
) -> Result<Json<Diagnoses>, AppError> {
    let id = parse_id(&id_number)?;
    let b = body(b)?;
    let rec = app.store.persons().lookup(s.scope(), &id).await?;
    let p = app.store.programmes();
    p.add_diagnosis(
        s.scope(),
        rec.id,
        &b.name,
        &b.hospital,
        date(&b.date, "诊断日期")?,
    )
    .await?;
    Ok(Json(Diagnoses {
        diagnoses: p.diagnoses(s.scope(), rec.id).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Providers {
    providers: Vec<anju_store::ProviderRecord>,
}

/// The providers serving some part of the caller's region.
#[utoipa::path(get, path = "/providers", tag = "服务", security(("bearer" = [])),
    responses((status = 200, body = Providers), Failure))]
pub async fn providers(
    State(app): State<App>,
    ApiUser(s): ApiUser,
) -> Result<Json<Providers>, AppError> {
    Ok(Json(Providers {
        providers: app.store.providers().list(s.scope()).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ProviderBody {
    #[schema(example = "91350100M000100Y43")]
    credit_code: String,
    #[schema(example = "玄武区残疾人康复中心")]
    name: String,
    /// rehab_institution, device_supplier, care_provider, disability_home, contractor, other.
    #[schema(example = "rehab_institution")]
    kind: String,
    /// Region codes served.
    #[schema(example = json!(["320102000000"]))]
    regions: Vec<String>,
    /// Programme names delivered.
    #[serde(default)]
    #[schema(example = json!(["成人社区康复"]))]
    programmes: Vec<String>,
    #[schema(format = Date, example = "2025-01-01")]
    agreement_from: String,
    #[schema(format = Date, example = "2025-12-31")]
    agreement_to: String,
    /// A 残疾人之家's star level, 1-5.
    #[serde(default)]
    star_level: Option<u8>,
}

/// Registers a provider (county, city, administrator), or changes one the caller keeps.
#[utoipa::path(post, path = "/providers", tag = "服务", security(("bearer" = [])),
    request_body = ProviderBody,
    responses((status = 200, body = anju_store::ProviderRecord), Failure))]
pub async fn register_provider(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    b: Result<Json<ProviderBody>, JsonRejection>,
) -> Result<Json<anju_store::ProviderRecord>, AppError> {
    let b = body(b)?;
    if !s.scope().role().manages_services() {
        return Err(AppError::Forbidden);
    }
    let known: Vec<String> = app
        .store
        .programmes()
        .list(s.scope())
        .await?
        .into_iter()
        .map(|r| r.programme.name)
        .collect();
    let input = anju_domain::provider::ProviderInput {
        credit_code: b.credit_code,
        name: b.name,
        kind: b.kind,
        regions: b.regions.join(","),
        programmes: b.programmes.join("、"),
        agreement_from: b.agreement_from,
        agreement_to: b.agreement_to,
        star_level: b.star_level.map(|n| n.to_string()).unwrap_or_default(),
    };
    let p = input.validate(&known).map_err(|faults| {
        AppError::BadRequest(
            faults
                .into_iter()
                .map(|(f, m)| format!("{f}：{m}"))
                .collect::<Vec<_>>()
                .join("；"),
        )
    })?;
    Ok(Json(app.store.providers().register(s.scope(), p).await?.0))
}

#[derive(Deserialize, ToSchema)]
pub struct AssignBody {
    /// The provider's row id (`GET /api/providers`).
    #[schema(example = 1)]
    provider_id: i64,
    #[schema(format = Date, example = "2025-09-04")]
    date: String,
}

/// Assigns an open case to a provider that serves the household, delivers the programme and
/// has an agreement in force (from the town up).
#[utoipa::path(post, path = "/cases/{id}/assign", tag = "服务", security(("bearer" = [])),
    params(("id" = String, Path, description = "个案编号", example = "1")),
    request_body = AssignBody, responses((status = 200, body = CaseRecord), Failure))]
pub async fn assign(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    b: Result<Json<AssignBody>, JsonRejection>,
) -> Result<Json<CaseRecord>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let b = body(b)?;
    let on = date(&b.date, "指派日期")?;
    Ok(Json(
        app.store
            .cases()
            .assign(s.scope(), id, b.provider_id, on)
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Deliveries {
    deliveries: Vec<anju_store::DeliveryRecord>,
}

/// What the provider delivered on a case.
#[utoipa::path(get, path = "/cases/{id}/deliveries", tag = "服务", security(("bearer" = [])),
    params(("id" = String, Path, description = "个案编号", example = "1")),
    responses((status = 200, body = Deliveries), Failure))]
pub async fn deliveries(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Deliveries>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    Ok(Json(Deliveries {
        deliveries: app.store.cases().deliveries(s.scope(), id).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct DeliveryBody {
    /// session, fitting, follow_up, visit, attendance, works_stage or other.
    #[schema(example = "session")]
    kind: String,
    #[schema(format = Date, example = "2025-09-10")]
    date: String,
    /// Units delivered (default 1; a visit is 1).
    #[serde(default)]
    units: Option<u32>,
    /// A visit's start and end, HH:MM.
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
    #[serde(default)]
    note: String,
}

/// Records a delivery on an open, assigned case (the provider's account, or a county).
#[utoipa::path(post, path = "/cases/{id}/deliveries", tag = "服务", security(("bearer" = [])),
    params(("id" = String, Path, description = "个案编号", example = "1")),
    request_body = DeliveryBody,
    responses((status = 200, body = anju_store::DeliveryRecord), Failure))]
pub async fn deliver(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    b: Result<Json<DeliveryBody>, JsonRejection>,
) -> Result<Json<anju_store::DeliveryRecord>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let b = body(b)?;
    let input = anju_domain::programme::delivery::DeliveryInput {
        kind: b.kind,
        date: b.date,
        units: b.units.map(|u| u.to_string()).unwrap_or_default(),
        start: b.start.unwrap_or_default(),
        end: b.end.unwrap_or_default(),
        note: b.note,
    };
    Ok(Json(
        app.store
            .cases()
            .record_delivery(s.scope(), id, &input)
            .await?,
    ))
}
