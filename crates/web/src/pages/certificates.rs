//! Certificate work (残疾人证办理): the applications of the subtree, taking a new one, each
//! application's steps with the form for the step now due, and the working-day calendar.

use anju_domain::application::{AppKind, AppState};
use anju_domain::certificate::{Category, Grade};
use anju_domain::person::parse_date;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::api::applications::StepData;
use crate::auth::{PageUser, Session};
use crate::pages::persons::show::parse_id;
use crate::pages::{Layout, beijing};
use crate::{App, AppError};

const HERE: &str = "/certificates/applications";

pub struct AppRow {
    pub href: String,
    pub name: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub applied_on: String,
    pub deadline: String,
    pub overdue: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "applications.html")]
pub struct ListPage {
    layout: Layout,
    rows: Vec<AppRow>,
    can_apply: bool,
    kinds: Vec<Choice>,
    today: String,
    error: Option<String>,
}

fn kinds() -> Vec<Choice> {
    AppKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: k.label().into(),
        })
        .collect()
}

async fn list_page(app: &App, s: &Session, error: Option<String>) -> Result<ListPage, AppError> {
    let scope = s.scope();
    if !scope.role().reads_persons() {
        return Err(AppError::Forbidden);
    }
    let today = app.store.today();
    let rows = app
        .store
        .applications()
        .list(scope, None)
        .await?
        .into_iter()
        .map(|a| AppRow {
            href: format!("/certificates/applications/{}", a.id),
            name: a.name,
            kind: a.kind.label(),
            state: a.state.label(),
            applied_on: a.applied_on.to_string(),
            overdue: a.deadline.is_some_and(|d| d < today),
            deadline: a.deadline.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect();
    Ok(ListPage {
        layout: Layout::for_session(s, "残疾人证办理", HERE),
        rows,
        can_apply: scope.role().writes_persons(),
        kinds: kinds(),
        today: today.to_string(),
        error,
    })
}

pub async fn list(State(app): State<App>, PageUser(s): PageUser) -> Result<ListPage, AppError> {
    list_page(&app, &s, None).await
}

#[derive(Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    target_household: String,
    #[serde(default)]
    note: String,
}

pub async fn apply(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<ApplyForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    if !s.scope().role().writes_persons() {
        return Err(AppError::Forbidden);
    }
    let refuse = |msg: String| async {
        Ok::<Response, AppError>(
            (
                axum::http::StatusCode::BAD_REQUEST,
                list_page(&app, &s, Some(msg)).await?,
            )
                .into_response(),
        )
    };
    let Some(kind) = AppKind::parse(&f.kind) else {
        return refuse("请选择申请类型".into()).await;
    };
    let Some(date) = parse_date(&f.date) else {
        return refuse(format!("申请日期“{}”无效", f.date)).await;
    };
    let id = match parse_id(f.id_number.trim()) {
        Ok(id) => id,
        Err(_) => return refuse("身份证号无效".into()).await,
    };
    match app
        .store
        .applications()
        .apply(
            s.scope(),
            &id,
            kind,
            date,
            Some(&f.target_household),
            &f.note,
        )
        .await
    {
        Ok(a) => Ok(Redirect::to(&format!("/certificates/applications/{}", a.id)).into_response()),
        // Outside the subtree the file does not exist (404), as everywhere else.
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(msg) => refuse(msg).await,
            other => Err(other),
        },
    }
}

pub struct StepRow {
    pub on_date: String,
    pub action: &'static str,
    pub detail: String,
    pub actor: String,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "application.html")]
pub struct DetailPage {
    layout: Layout,
    id: i64,
    name: String,
    person_href: String,
    kind: &'static str,
    state: &'static str,
    applied_on: String,
    deadline: String,
    note: String,
    steps: Vec<StepRow>,
    /// The form for the step now due: assess, notice, review, appeal, decide_appeal, or none.
    form: &'static str,
    categories: Vec<Choice>,
    grades: Vec<Choice>,
    today: String,
    error: Option<String>,
}

fn action_label(a: &str) -> &'static str {
    match a {
        "apply" => "受理申请",
        "assess" => "评定",
        "notice" => "公示",
        "review" => "审核",
        "appeal" => "申诉",
        "decide_appeal" => "申诉处理",
        _ => "其他",
    }
}

async fn detail_page(
    app: &App,
    s: &Session,
    id: i64,
    error: Option<String>,
) -> Result<DetailPage, AppError> {
    let (a, steps) = app.store.applications().get(s.scope(), id).await?;
    let role = s.scope().role();
    let form = match a.state {
        AppState::Applied if a.kind.needs_assessment() => "assess",
        AppState::Applied | AppState::Noticed => "review",
        AppState::Assessed => "notice",
        AppState::Refused => "appeal",
        AppState::Appealed => "decide_appeal",
        _ => "",
    };
    let allowed = match form {
        "assess" | "review" => matches!(role, anju_domain::Role::Admin | anju_domain::Role::County),
        "notice" | "appeal" => role.writes_persons() && role != anju_domain::Role::City,
        "decide_appeal" => matches!(role, anju_domain::Role::Admin | anju_domain::Role::City),
        _ => false,
    };
    Ok(DetailPage {
        layout: Layout::for_session(s, &format!("{}的{}申请", a.name, a.kind.label()), HERE),
        id,
        person_href: format!("/persons/{}", a.person_id),
        name: a.name.clone(),
        kind: a.kind.label(),
        state: a.state.label(),
        applied_on: a.applied_on.to_string(),
        deadline: a.deadline.map(|d| d.to_string()).unwrap_or_default(),
        note: a.note.clone(),
        steps: steps
            .iter()
            .map(|st| StepRow {
                on_date: st.on_date.clone(),
                action: action_label(&st.action),
                detail: st.detail.clone(),
                actor: st.actor.clone(),
                at: beijing(st.at_ms),
            })
            .collect(),
        form: if allowed { form } else { "" },
        categories: Category::all()
            .map(|c| Choice {
                value: c.name().into(),
                label: c.name().into(),
            })
            .collect(),
        grades: Grade::all()
            .map(|g| Choice {
                value: g.name().into(),
                label: g.name().into(),
            })
            .collect(),
        today: app.store.today().to_string(),
        error,
    })
}

pub async fn show(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
) -> Result<DetailPage, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    detail_page(&app, &s, id, None).await
}

/// The step form (fields listed, not flattened: forms carry every value as text).
#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    hospital: String,
    #[serde(default)]
    doctor: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    components: String,
    #[serde(default)]
    approve: String,
    #[serde(default)]
    uphold: String,
    #[serde(default)]
    reason: String,
}

impl StepForm {
    fn data(self) -> StepData {
        StepData {
            action: self.action,
            date: self.date,
            hospital: self.hospital,
            doctor: self.doctor,
            category: self.category,
            grade: self.grade,
            components: self.components,
            approve: self.approve == "true",
            uphold: self.uphold == "true",
            reason: self.reason,
        }
    }
}

pub async fn step(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let result = match f.data().action() {
        Ok(action) => app
            .store
            .applications()
            .step(s.scope(), id, action)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/certificates/applications/{id}")).into_response()),
        Err(AppError::BadRequest(msg)) => Ok((
            axum::http::StatusCode::BAD_REQUEST,
            detail_page(&app, &s, id, Some(msg)).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

pub struct DayRow {
    pub date: String,
    pub kind: &'static str,
    pub name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "calendar.html")]
pub struct CalendarPage {
    layout: Layout,
    year: i32,
    days: Vec<DayRow>,
    known: bool,
    can_edit: bool,
}

#[derive(Deserialize)]
pub struct DayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

/// Sets one day of the calendar (administrators): 放假, 上班, or back to the weekday rule.
pub async fn set_day(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<DayForm>,
) -> Result<Response, AppError> {
    use chrono::Datelike;
    s.check_csrf(&f.csrf)?;
    if !s.scope().role().manages_users() {
        return Err(AppError::Forbidden);
    }
    let date =
        parse_date(&f.date).ok_or_else(|| AppError::BadRequest(format!("日期“{}”无效", f.date)))?;
    let kind = match f.kind.as_str() {
        "holiday" => Some(anju_domain::calendar::DayKind::Holiday),
        "workday" => Some(anju_domain::calendar::DayKind::Workday),
        _ => None,
    };
    app.store
        .certificates()
        .set_calendar_days(
            s.scope(),
            "页面",
            vec![(1, date, kind, f.name.trim().to_owned())],
            true,
        )
        .await?;
    Ok(Redirect::to(&format!("/certificates/calendar?year={}", date.year())).into_response())
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

pub async fn calendar(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<YearQuery>,
) -> Result<CalendarPage, AppError> {
    use chrono::Datelike;
    let year = q.year.unwrap_or_else(|| app.store.today().year());
    let days = app.store.certificates().calendar_days(Some(year)).await?;
    Ok(CalendarPage {
        layout: Layout::for_session(&s, &format!("{year}年工作日历"), HERE),
        year,
        known: !days.is_empty(),
        can_edit: s.scope().role().manages_users(),
        days: days
            .into_iter()
            .map(|d| DayRow {
                date: d.date.to_string(),
                kind: d.kind.label(),
                name: d.name,
            })
            .collect(),
    })
}

pub struct CampaignRow {
    pub href: String,
    pub year: i64,
    pub region: String,
    pub total: i64,
    pub done: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "verifications.html")]
pub struct CampaignsPage {
    layout: Layout,
    rows: Vec<CampaignRow>,
    can_open: bool,
    next_year: i32,
}

pub async fn campaigns(
    State(app): State<App>,
    PageUser(s): PageUser,
) -> Result<CampaignsPage, AppError> {
    use chrono::Datelike;
    let scope = s.scope();
    let rows = app
        .store
        .verification()
        .campaigns(scope)
        .await?
        .into_iter()
        .map(|c| CampaignRow {
            href: format!("/certificates/verification/{}", c.id),
            year: c.year,
            region: anju_domain::RegionTable::jiangsu()
                .current(&c.region_code)
                .map_or_else(|_| c.region_code.clone(), |r| r.name.clone()),
            total: c.total,
            done: c.done,
        })
        .collect();
    Ok(CampaignsPage {
        layout: Layout::for_session(&s, "审验核查", HERE),
        rows,
        can_open: scope.role().manages_users(),
        next_year: app.store.today().year() + 1,
    })
}

#[derive(Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    year: String,
}

pub async fn open_campaign(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<OpenForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let year: i32 = f
        .year
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest(format!("年份“{}”无效", f.year)))?;
    let c = app.store.verification().open(s.scope(), year).await?;
    Ok(Redirect::to(&format!("/certificates/verification/{}", c.id)).into_response())
}

pub struct ItemRow {
    pub id: i64,
    pub person_href: String,
    pub name: String,
    pub id_number: String,
    pub town: String,
    pub valid_to: String,
    pub result: &'static str,
    pub note: String,
    pub pending: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "verification.html")]
pub struct CampaignPage {
    layout: Layout,
    id: i64,
    year: i64,
    total: i64,
    done: i64,
    towns: Vec<anju_store::TownProgress>,
    items: Vec<ItemRow>,
    results: Vec<Choice>,
    can_record: bool,
}

fn masked_id(id: &str, whole: bool) -> String {
    if whole {
        id.to_owned()
    } else {
        anju_domain::mask::id_number(id)
    }
}

pub async fn campaign(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
) -> Result<CampaignPage, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let scope = s.scope();
    let v = app.store.verification();
    let (c, towns) = v.campaign(scope, id).await?;
    let whole = scope.role().sees_identifiers();
    let items: Vec<ItemRow> = v
        .items(scope, id, false, 300)
        .await?
        .into_iter()
        .map(|i| ItemRow {
            id: i.id,
            person_href: format!("/persons/{}", i.person_id),
            id_number: masked_id(&i.id_number, whole),
            name: i.name,
            town: i.town_name,
            valid_to: i.valid_to,
            result: anju_store::result_label(i.result.as_deref().unwrap_or("")),
            note: i.note.unwrap_or_default(),
            pending: i.result.is_none(),
        })
        .collect();
    if !items.is_empty() {
        app.store
            .persons()
            .record_view(
                scope,
                "verification.view",
                format!("campaign:{id}"),
                format!("{}条", items.len()),
            )
            .await?;
    }
    Ok(CampaignPage {
        layout: Layout::for_session(&s, &format!("{}年审验核查", c.year), HERE),
        id,
        year: c.year,
        total: c.total,
        done: c.done,
        towns,
        items,
        results: anju_store::RESULTS
            .iter()
            .map(|(v, l)| Choice {
                value: (*v).into(),
                label: (*l).into(),
            })
            .collect(),
        can_record: scope.role().writes_persons(),
    })
}

#[derive(Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    note: String,
}

pub async fn record_item(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(item): Path<String>,
    Form(f): Form<RecordForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let item: i64 = item.parse().map_err(|_| AppError::NotFound)?;
    app.store
        .verification()
        .record(s.scope(), item, &f.result, &f.note)
        .await?;
    let back = f.campaign.parse::<i64>().map_or_else(
        |_| "/certificates/verification".to_owned(),
        |c| format!("/certificates/verification/{c}"),
    );
    Ok(Redirect::to(&back).into_response())
}

/// The campaign's list for the viewer's subtree as XLSX (identifiers masked unless the role
/// may see them), audited.
pub async fn export_campaign(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let scope = s.scope();
    let items = app
        .store
        .verification()
        .items(scope, id, false, 1_000_000)
        .await?;
    let whole = scope.role().sees_identifiers();
    std::fs::create_dir_all(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let path = app
        .work_dir
        .join(format!("verification-{}.xlsx", anju_store::random_token()));
    let write = || -> Result<(), anju_io::WriteError> {
        let mut w = anju_io::SheetWriter::create(
            &path,
            &[
                "镇（街道）",
                "姓名",
                "身份证号",
                "户籍地区划代码",
                "有效期至",
                "核查结果",
                "备注",
            ],
        )?;
        for i in &items {
            w.write_row(&[
                i.town_name.as_str(),
                &i.name,
                &masked_id(&i.id_number, whole),
                &i.household_code,
                &i.valid_to,
                anju_store::result_label(i.result.as_deref().unwrap_or("")),
                i.note.as_deref().unwrap_or(""),
            ])?;
        }
        w.finish()
    };
    let written = write();
    let bytes = std::fs::read(&path);
    let _ = std::fs::remove_file(&path);
    written.map_err(|e| AppError::Internal(e.to_string()))?;
    let bytes = bytes.map_err(|e| AppError::Internal(e.to_string()))?;
    app.store
        .persons()
        .record_view(
            scope,
            "verification.export",
            format!("campaign:{id}"),
            format!("{}条", items.len()),
        )
        .await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"verification.xlsx\"; filename*=UTF-8''{}",
                    crate::pages::persons::list::utf8_percent("审验核查名单.xlsx")
                ),
            ),
        ],
        axum::body::Body::from(bytes),
    )
        .into_response())
}

pub struct SessionRow {
    pub href: String,
    pub held_on: String,
    pub hospital: String,
    pub doctors: String,
    pub applicants: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "sessions.html")]
pub struct SessionsPage {
    layout: Layout,
    rows: Vec<SessionRow>,
    can_schedule: bool,
    today: String,
}

fn runs_sessions(s: &Session) -> bool {
    matches!(
        s.scope().role(),
        anju_domain::Role::Admin | anju_domain::Role::County
    )
}

pub async fn sessions(
    State(app): State<App>,
    PageUser(s): PageUser,
) -> Result<SessionsPage, AppError> {
    let rows = app
        .store
        .assessment_sessions()
        .list(s.scope())
        .await?
        .into_iter()
        .map(|x| SessionRow {
            href: format!("/certificates/sessions/{}", x.id),
            held_on: x.held_on.to_string(),
            hospital: x.hospital,
            doctors: x.doctors,
            applicants: x.applicants.len(),
        })
        .collect();
    Ok(SessionsPage {
        layout: Layout::for_session(&s, "线上评定", HERE),
        rows,
        can_schedule: runs_sessions(&s),
        today: app.store.today().to_string(),
    })
}

#[derive(Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    hospital: String,
    #[serde(default)]
    doctors: String,
}

pub async fn schedule(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<ScheduleForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let date = parse_date(&f.held_on)
        .ok_or_else(|| AppError::BadRequest(format!("评定日期“{}”无效", f.held_on)))?;
    let x = app
        .store
        .assessment_sessions()
        .schedule(s.scope(), date, &f.hospital, &f.doctors)
        .await?;
    Ok(Redirect::to(&format!("/certificates/sessions/{}", x.id)).into_response())
}

pub struct ApplicantRow {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub pending: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "session.html")]
pub struct SessionPage {
    layout: Layout,
    id: i64,
    held_on: String,
    hospital: String,
    doctors: String,
    applicants: Vec<ApplicantRow>,
    waiting: Vec<Choice>,
    categories: Vec<Choice>,
    grades: Vec<Choice>,
    can_run: bool,
    refused: Vec<String>,
}

async fn session_page(
    app: &App,
    s: &Session,
    id: i64,
    refused: Vec<String>,
) -> Result<SessionPage, AppError> {
    let scope = s.scope();
    let x = app.store.assessment_sessions().get(scope, id).await?;
    let on: Vec<i64> = x.applicants.iter().map(|a| a.id).collect();
    let waiting = app
        .store
        .applications()
        .list(scope, None)
        .await?
        .into_iter()
        .filter(|a| {
            a.state == AppState::Applied && a.kind.needs_assessment() && !on.contains(&a.id)
        })
        .map(|a| Choice {
            value: a.id.to_string(),
            label: format!("{}（{}，{}受理）", a.name, a.kind.label(), a.applied_on),
        })
        .collect();
    Ok(SessionPage {
        layout: Layout::for_session(s, &format!("{} 线上评定", x.held_on), HERE),
        id,
        held_on: x.held_on.to_string(),
        hospital: x.hospital,
        doctors: x.doctors,
        applicants: x
            .applicants
            .iter()
            .map(|a| ApplicantRow {
                id: a.id,
                name: a.name.clone(),
                kind: a.kind.label(),
                state: a.state.label(),
                pending: a.state == AppState::Applied,
            })
            .collect(),
        waiting,
        categories: Category::all()
            .map(|c| Choice {
                value: c.name().into(),
                label: c.name().into(),
            })
            .collect(),
        grades: Grade::all()
            .map(|g| Choice {
                value: g.name().into(),
                label: g.name().into(),
            })
            .collect(),
        can_run: runs_sessions(s),
        refused,
    })
}

pub async fn session(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
) -> Result<SessionPage, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    session_page(&app, &s, id, Vec::new()).await
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    application: String,
}

pub async fn add_applicant(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
    Form(f): Form<AddForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let application: i64 = f
        .application
        .parse()
        .map_err(|_| AppError::BadRequest("请选择申请".into()))?;
    app.store
        .assessment_sessions()
        .add(s.scope(), id, application)
        .await?;
    Ok(Redirect::to(&format!("/certificates/sessions/{id}")).into_response())
}

/// The bulk form: `category_{application}`, `grade_{application}`, `components_{application}`;
/// rows left without a category are skipped.
pub async fn record_outcomes(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    s.check_csrf(f.get("csrf").map_or("", String::as_str))?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let mut outcomes = Vec::new();
    let mut bad = Vec::new();
    let mut keys: Vec<&String> = f.keys().filter(|k| k.starts_with("category_")).collect();
    keys.sort();
    for k in keys {
        let app_id = &k["category_".len()..];
        let category = f.get(k).map_or("", String::as_str);
        if category.is_empty() {
            continue;
        }
        let grade = f.get(&format!("grade_{app_id}")).map_or("", String::as_str);
        let components = f
            .get(&format!("components_{app_id}"))
            .map_or("", String::as_str);
        let (Ok(application_id), Some(category), Some(grade)) = (
            app_id.parse::<i64>(),
            Category::parse(category),
            Grade::parse(grade),
        ) else {
            bad.push(format!("申请#{app_id}：类别或等级无效"));
            continue;
        };
        let components = if components.trim().is_empty() {
            Some(anju_domain::certificate::Components(Vec::new()))
        } else {
            anju_domain::certificate::Components::parse(components)
        };
        let Some(components) = components else {
            bad.push(format!("申请#{app_id}：多重残疾组成无效"));
            continue;
        };
        outcomes.push(anju_store::SessionOutcome {
            application_id,
            category,
            grade,
            components,
        });
    }
    let ids: Vec<i64> = outcomes.iter().map(|o| o.application_id).collect();
    let refused = app
        .store
        .assessment_sessions()
        .record(s.scope(), id, outcomes)
        .await?;
    bad.extend(refused.iter().map(|r| {
        format!(
            "申请#{}：{}",
            ids.get(r.row - 1).copied().unwrap_or(0),
            r.message
        )
    }));
    if bad.is_empty() {
        Ok(Redirect::to(&format!("/certificates/sessions/{id}")).into_response())
    } else {
        Ok((
            axum::http::StatusCode::BAD_REQUEST,
            session_page(&app, &s, id, bad).await?,
        )
            .into_response())
    }
}
