//! Certificate applications through the API: list, take, read with their steps, and step.

use anju_domain::application::{Action, AppKind, Assessment};
use anju_domain::certificate::{Category, Components, Grade};
use anju_domain::person::parse_date;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body;
use super::doc::Failure;
use crate::auth::ApiUser;
use crate::pages::persons::show::parse_id;
use crate::{App, AppError};
use anju_store::{
    ApplicationRecord, AssessmentSession, Campaign, Rejection, StepRecord, TownProgress,
};

fn date(s: &str, what: &str) -> Result<chrono::NaiveDate, AppError> {
    parse_date(s).ok_or_else(|| AppError::BadRequest(format!("{what}“{s}”不是有效的日期")))
}

/// Applicants' ID numbers masked unless the role may see them whole.
fn masked(scope: &anju_store::Scope, mut list: Vec<ApplicationRecord>) -> Vec<ApplicationRecord> {
    if !scope.role().sees_identifiers() {
        for a in &mut list {
            a.id_number = anju_domain::mask::id_number(&a.id_number);
        }
    }
    list
}

/// Records that the caller read applicants' data (`what` names which).
async fn viewed(
    app: &App,
    scope: &anju_store::Scope,
    what: String,
    n: usize,
) -> Result<(), AppError> {
    super::viewed(app, scope, "certificate.applications_view", what, n).await
}

#[derive(Serialize, ToSchema)]
pub struct Applications {
    applications: Vec<ApplicationRecord>,
}

/// The certificate applications of the caller's subtree.
#[utoipa::path(get, path = "/applications", tag = "办证", security(("bearer" = [])),
    responses((status = 200, body = Applications), Failure))]
pub async fn list(
    State(app): State<App>,
    ApiUser(s): ApiUser,
) -> Result<Json<Applications>, AppError> {
    let scope = s.scope();
    let applications = masked(scope, app.store.applications().list(scope, None).await?);
    viewed(&app, scope, "applications".into(), applications.len()).await?;
    Ok(Json(Applications { applications }))
}

#[derive(Deserialize, ToSchema)]
pub struct ApplyBody {
    #[schema(example = "320102194901010013")]
    id_number: String,
    /// new, renewal, change, transfer or reissue.
    #[schema(example = "renewal")]
    kind: String,
    /// The application's date, YYYY-MM-DD.
    #[schema(format = Date, example = "2026-01-15")]
    date: String,
    /// For a transfer: the new household region's 12-digit code.
    #[serde(default)]
    target_household: Option<String>,
    #[serde(default)]
    note: String,
    /// 新办 for someone without a file: the new file's fields (name, household_code, phone,
    /// address…; the ID number is `id_number`, the category and grade come from the
    /// assessment). The file is opened with the application, in one step.
    #[serde(default)]
    #[schema(value_type = Option<super::doc::PersonFields>)]
    file: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Takes an application for a person on file, or with `file`, 新办 that opens the file.
#[utoipa::path(post, path = "/applications", tag = "办证", security(("bearer" = [])),
    request_body = ApplyBody,
    responses((status = 200, body = ApplicationRecord), Failure))]
pub async fn apply(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    b: Result<Json<ApplyBody>, JsonRejection>,
) -> Result<Json<ApplicationRecord>, AppError> {
    let b = body(b)?;
    let kind = AppKind::parse(&b.kind)
        .ok_or_else(|| AppError::BadRequest(format!("申请类型“{}”无效", b.kind)))?;
    if let Some(file) = &b.file {
        if kind != AppKind::New {
            return Err(AppError::BadRequest(
                "只有新办可同时建立档案（file 字段仅用于新办）".into(),
            ));
        }
        let mut input = super::persons::input_of(file)?;
        input.set(anju_domain::person::Field::IdNumber, &b.id_number);
        let person = anju_domain::person::validate(&input, anju_domain::RegionTable::jiangsu())
            .map_err(AppError::Invalid)?;
        let r = app
            .store
            .applications()
            .apply_new(
                s.scope(),
                person,
                date(&b.date, "申请日期")?,
                &b.note,
                anju_store::Source::Api,
            )
            .await
            .map_err(super::persons::store_refusal)?;
        return Ok(Json(one(s.scope(), r)));
    }
    let r = app
        .store
        .applications()
        .apply(
            s.scope(),
            &parse_id(&b.id_number)?,
            kind,
            date(&b.date, "申请日期")?,
            b.target_household.as_deref(),
            &b.note,
        )
        .await?;
    Ok(Json(one(s.scope(), r)))
}

/// One record, masked for the scope.
fn one(scope: &anju_store::Scope, r: ApplicationRecord) -> ApplicationRecord {
    let mut list = masked(scope, vec![r]);
    list.remove(0)
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationWithSteps {
    application: ApplicationRecord,
    steps: Vec<StepRecord>,
}

/// An application with every step recorded on it.
#[utoipa::path(get, path = "/applications/{id}", tag = "办证", security(("bearer" = [])),
    params(("id" = String, Path, description = "申请编号", example = "1")),
    responses((status = 200, body = ApplicationWithSteps), Failure))]
pub async fn show(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ApplicationWithSteps>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let scope = s.scope();
    let (r, steps) = app.store.applications().get(scope, id).await?;
    viewed(&app, scope, format!("application:{id}"), 1).await?;
    Ok(Json(ApplicationWithSteps {
        application: one(scope, r),
        steps,
    }))
}

/// A step's data, from JSON or a form.
#[derive(Deserialize, ToSchema)]
pub struct StepData {
    /// assess, notice, review, appeal or decide_appeal.
    #[schema(example = "review")]
    pub action: String,
    /// YYYY-MM-DD.
    #[schema(format = Date, example = "2026-02-01")]
    pub date: String,
    #[serde(default)]
    pub hospital: String,
    #[serde(default)]
    pub doctor: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub grade: String,
    #[serde(default)]
    pub components: String,
    #[serde(default)]
    pub approve: bool,
    #[serde(default)]
    pub uphold: bool,
    #[serde(default)]
    pub reason: String,
}

impl StepData {
    /// The step as the domain's action.
    pub fn action(&self) -> Result<Action, AppError> {
        let bad = |w: &str, v: &str| AppError::BadRequest(format!("{w}“{v}”无效"));
        let date = date(&self.date, "日期")?;
        let reason = self.reason.clone();
        Ok(match self.action.as_str() {
            "assess" => Action::Assess(Assessment {
                hospital: self.hospital.clone(),
                doctor: self.doctor.clone(),
                date,
                category: Category::parse(&self.category)
                    .ok_or_else(|| bad("残疾类别", &self.category))?,
                grade: Grade::parse(&self.grade).ok_or_else(|| bad("残疾等级", &self.grade))?,
                components: if self.components.trim().is_empty() {
                    Components(Vec::new())
                } else {
                    Components::parse(&self.components)
                        .ok_or_else(|| bad("多重残疾组成", &self.components))?
                },
            }),
            "notice" => Action::Notice { date },
            "review" => Action::Review {
                date,
                approve: self.approve,
                reason,
            },
            "appeal" => Action::Appeal { date, reason },
            "decide_appeal" => Action::DecideAppeal {
                date,
                uphold: self.uphold,
                reason,
            },
            other => return Err(bad("步骤", other)),
        })
    }
}

/// Takes the application's next step.
#[utoipa::path(post, path = "/applications/{id}/steps", tag = "办证", security(("bearer" = [])),
    params(("id" = String, Path, description = "申请编号", example = "1")),
    request_body = StepData,
    responses((status = 200, body = ApplicationRecord), Failure))]
pub async fn step(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    b: Result<Json<StepData>, JsonRejection>,
) -> Result<Json<ApplicationRecord>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let action = body(b)?.action()?;
    let r = app.store.applications().step(s.scope(), id, action).await?;
    Ok(Json(one(s.scope(), r)))
}

/// Verification campaigns the caller takes part in, with the caller's progress.
#[derive(Serialize, ToSchema)]
pub struct Campaigns {
    campaigns: Vec<Campaign>,
}

#[utoipa::path(get, path = "/verification", tag = "办证", security(("bearer" = [])),
    responses((status = 200, body = Campaigns), Failure))]
pub async fn campaigns(
    State(app): State<App>,
    ApiUser(s): ApiUser,
) -> Result<Json<Campaigns>, AppError> {
    let campaigns = app.store.verification().campaigns(s.scope()).await?;
    Ok(Json(Campaigns { campaigns }))
}

#[derive(Deserialize, ToSchema)]
pub struct OpenBody {
    #[schema(example = 2026)]
    year: i32,
}

/// Opens the year's verification of certificate holders in the caller's subtree.
#[utoipa::path(post, path = "/verification", tag = "办证", security(("bearer" = [])),
    request_body = OpenBody,
    responses((status = 200, body = Campaign), Failure))]
pub async fn open_campaign(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    b: Result<Json<OpenBody>, JsonRejection>,
) -> Result<Json<Campaign>, AppError> {
    let c = app
        .store
        .verification()
        .open(s.scope(), body(b)?.year)
        .await?;
    Ok(Json(c))
}

#[derive(Serialize, ToSchema)]
pub struct CampaignProgress {
    campaign: Campaign,
    towns: Vec<TownProgress>,
}

/// A verification campaign with each town's progress.
#[utoipa::path(get, path = "/verification/{id}", tag = "办证", security(("bearer" = [])),
    params(("id" = String, Path, description = "核查编号", example = "1")),
    responses((status = 200, body = CampaignProgress), Failure))]
pub async fn campaign(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<CampaignProgress>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (campaign, towns) = app.store.verification().campaign(s.scope(), id).await?;
    Ok(Json(CampaignProgress { campaign, towns }))
}

#[derive(Deserialize, ToSchema)]
pub struct RecordBody {
    /// confirmed, renewal_started, deceased, moved or not_found.
    #[schema(example = "confirmed")]
    result: String,
    #[serde(default)]
    note: String,
}

#[derive(Serialize, ToSchema)]
pub struct Done {
    ok: bool,
}

/// Records the result of verifying one holder.
#[utoipa::path(post, path = "/verification/items/{item}", tag = "办证", security(("bearer" = [])),
    params(("item" = String, Path, description = "核查条目编号", example = "1")),
    request_body = RecordBody,
    responses((status = 200, body = Done), Failure))]
pub async fn record(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(item): Path<String>,
    b: Result<Json<RecordBody>, JsonRejection>,
) -> Result<Json<Done>, AppError> {
    let item: i64 = item.parse().map_err(|_| AppError::NotFound)?;
    let b = body(b)?;
    app.store
        .verification()
        .record(s.scope(), item, &b.result, &b.note)
        .await?;
    Ok(Json(Done { ok: true }))
}

#[derive(Serialize, ToSchema)]
pub struct Sessions {
    sessions: Vec<AssessmentSession>,
}

/// Assessment sessions (集中评定) of the caller's subtree with their applicants.
#[utoipa::path(get, path = "/sessions", tag = "办证", security(("bearer" = [])),
    responses((status = 200, body = Sessions), Failure))]
pub async fn sessions(
    State(app): State<App>,
    ApiUser(s): ApiUser,
) -> Result<Json<Sessions>, AppError> {
    let scope = s.scope();
    let mut list = app.store.assessment_sessions().list(scope).await?;
    for x in &mut list {
        x.applicants = masked(scope, std::mem::take(&mut x.applicants));
    }
    let n = list.iter().map(|x| x.applicants.len()).sum();
    viewed(&app, scope, "sessions".into(), n).await?;
    Ok(Json(Sessions { sessions: list }))
}

#[derive(Deserialize, ToSchema)]
pub struct ScheduleBody {
    /// YYYY-MM-DD.
    #[schema(format = Date, example = "2026-03-01")]
    held_on: String,
    #[schema(example = "南京市鼓楼医院")]
    hospital: String,
    doctors: String,
}

/// Schedules an assessment session.
#[utoipa::path(post, path = "/sessions", tag = "办证", security(("bearer" = [])),
    request_body = ScheduleBody,
    responses((status = 200, body = AssessmentSession), Failure))]
pub async fn schedule(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    b: Result<Json<ScheduleBody>, JsonRejection>,
) -> Result<Json<AssessmentSession>, AppError> {
    let b = body(b)?;
    let x = app
        .store
        .assessment_sessions()
        .schedule(
            s.scope(),
            date(&b.held_on, "评定日期")?,
            &b.hospital,
            &b.doctors,
        )
        .await?;
    Ok(Json(x))
}

#[utoipa::path(get, path = "/sessions/{id}", tag = "办证", security(("bearer" = [])),
    params(("id" = String, Path, description = "评定场次编号", example = "1")),
    responses((status = 200, body = AssessmentSession), Failure))]
pub async fn session(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<AssessmentSession>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let scope = s.scope();
    let mut x = app.store.assessment_sessions().get(scope, id).await?;
    x.applicants = masked(scope, std::mem::take(&mut x.applicants));
    viewed(&app, scope, format!("session:{id}"), x.applicants.len()).await?;
    Ok(Json(x))
}

#[derive(Deserialize, ToSchema)]
pub struct AddBody {
    #[schema(example = 1)]
    application_id: i64,
}

/// Adds an application waiting for assessment to a session.
#[utoipa::path(post, path = "/sessions/{id}/applicants", tag = "办证", security(("bearer" = [])),
    params(("id" = String, Path, description = "评定场次编号", example = "1")),
    request_body = AddBody,
    responses((status = 200, body = AssessmentSession), Failure))]
pub async fn add_applicant(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    b: Result<Json<AddBody>, JsonRejection>,
) -> Result<Json<AssessmentSession>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let x = app
        .store
        .assessment_sessions()
        .add(s.scope(), id, body(b)?.application_id)
        .await?;
    let mut x = x;
    x.applicants = masked(s.scope(), std::mem::take(&mut x.applicants));
    Ok(Json(x))
}

#[derive(Deserialize, ToSchema)]
pub struct OutcomeRow {
    #[schema(example = 1)]
    application_id: i64,
    /// 视力, 听力, 言语, 肢体, 智力, 精神 or 多重 (or its code, 1-7).
    #[schema(example = "肢体")]
    category: String,
    /// 一级 to 四级 (or 1-4).
    #[schema(example = "二级")]
    grade: String,
    /// For 多重: its components, as 肢体二级、智力三级.
    #[serde(default)]
    components: String,
}

#[derive(Deserialize, ToSchema)]
pub struct OutcomesBody {
    outcomes: Vec<OutcomeRow>,
}

#[derive(Serialize, ToSchema)]
pub struct Refused {
    refused: Vec<Rejection>,
}

/// Outcomes in bulk; answers the refused ones by their place in the list (from 1).
#[utoipa::path(post, path = "/sessions/{id}/outcomes", tag = "办证", security(("bearer" = [])),
    params(("id" = String, Path, description = "评定场次编号", example = "1")),
    request_body = OutcomesBody,
    responses((status = 200, body = Refused), Failure))]
pub async fn record_outcomes(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    b: Result<Json<OutcomesBody>, JsonRejection>,
) -> Result<Json<Refused>, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let mut outcomes = Vec::new();
    for (i, o) in body(b)?.outcomes.into_iter().enumerate() {
        let bad = |w: &str| AppError::BadRequest(format!("第{}项的{w}无效", i + 1));
        outcomes.push(anju_store::SessionOutcome {
            application_id: o.application_id,
            category: Category::parse(&o.category).ok_or_else(|| bad("残疾类别"))?,
            grade: Grade::parse(&o.grade).ok_or_else(|| bad("残疾等级"))?,
            components: if o.components.trim().is_empty() {
                Components(Vec::new())
            } else {
                Components::parse(&o.components).ok_or_else(|| bad("多重残疾组成"))?
            },
        });
    }
    let refused = app
        .store
        .assessment_sessions()
        .record(s.scope(), id, outcomes)
        .await?;
    Ok(Json(Refused { refused }))
}
