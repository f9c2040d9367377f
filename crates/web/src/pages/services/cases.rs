//! Cases: the list (filtered, paged, exported), a case's page with the form for the action
//! now open to the user, opening a case from the person's file (its conditions explained, an
//! override by a county with its reason), and recording a diagnosis on the file.

use anju_domain::person::parse_date;
use anju_domain::programme::{CaseAction, CaseState, Explained, may_act};
use anju_store::{CaseFilter, CaseRecord, PersonRecord};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::HERE;
use crate::auth::{PageUser, Session};
use crate::pages::Key;
use crate::pages::{Layout, beijing};
use crate::{App, AppError};

/// A case as the file's services section lists it.
pub struct FileCase {
    pub href: String,
    pub programme: String,
    pub state: &'static str,
    pub opened_on: String,
    pub now: String,
    pub due: String,
    pub overdue: bool,
}

/// What the file's services section shows: its cases, its diagnoses, and the choices of the
/// forms that open a case and record a diagnosis.
pub struct FileServices {
    pub cases: Vec<FileCase>,
    pub diagnoses: Vec<(String, String, String)>,
    pub programmes: Vec<String>,
    pub kinds: Vec<String>,
}

fn now_text(c: &CaseRecord) -> String {
    match (c.state, c.current()) {
        (CaseState::Open, Some(s)) => format!("待{}（{}）", s.name, s.actor.label()),
        (CaseState::Open, None) => "各步骤已办理，待结案".into(),
        (_, _) => c.outcome.clone().unwrap_or_default(),
    }
}

pub async fn file_cases(
    app: &App,
    s: &Session,
    rec: &PersonRecord,
) -> Result<FileServices, AppError> {
    let scope = s.scope();
    let today = app.store.today();
    let cases = app
        .store
        .cases()
        .list(
            scope,
            &CaseFilter {
                person: Some(rec.id),
                ..Default::default()
            },
        )
        .await?
        .iter()
        .map(|c| FileCase {
            href: format!("/cases/{}", c.id),
            programme: c.programme.clone(),
            state: c.state.label(),
            opened_on: c.opened_on.clone(),
            now: now_text(c),
            due: c.due_on.clone().unwrap_or_default(),
            overdue: c.overdue(today),
        })
        .collect();
    let p = app.store.programmes();
    Ok(FileServices {
        cases,
        diagnoses: p
            .diagnoses(scope, rec.id)
            .await?
            .into_iter()
            .map(|d| (d.name, d.hospital, d.diagnosed_on))
            .collect(),
        programmes: p
            .list(scope)
            .await?
            .into_iter()
            .map(|r| r.programme.name)
            .collect(),
        kinds: p
            .diagnosis_kinds()
            .await?
            .into_iter()
            .map(|(k, _)| k)
            .collect(),
    })
}

#[derive(Deserialize, Default, Clone)]
pub struct CaseQuery {
    #[serde(default)]
    programme: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    page: String,
}

impl CaseQuery {
    fn filter(&self) -> CaseFilter {
        CaseFilter {
            programme: Some(self.programme.trim().to_owned()).filter(|p| !p.is_empty()),
            state: CaseState::parse(&self.state),
            person: None,
            overdue: self.overdue == "1",
        }
    }
}

pub struct CaseRow {
    pub href: String,
    pub name: String,
    pub id_number: String,
    pub programme: String,
    pub state: &'static str,
    pub opened_on: String,
    pub now: String,
    pub due: String,
    pub overdue: bool,
}

const PER_PAGE: usize = 50;

#[derive(Template, WebTemplate)]
#[template(path = "cases.html")]
pub struct ListPage {
    layout: Layout,
    q: CaseQuery,
    programmes: Vec<String>,
    states: Vec<(&'static str, &'static str)>,
    rows: Vec<CaseRow>,
    total: usize,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    export_query: String,
    /// Staff see the links to the programmes, providers, settlement and reports.
    staff: bool,
}

async fn viewed(app: &App, s: &Session, what: &str, n: usize) -> Result<(), AppError> {
    if n > 0 {
        app.store
            .persons()
            .record_view(s.scope(), "case.view", what.to_owned(), format!("{n}条"))
            .await?;
    }
    Ok(())
}

pub async fn list(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<CaseQuery>,
) -> Result<ListPage, AppError> {
    let all = app.store.cases().list(s.scope(), &q.filter()).await?;
    let today = app.store.today();
    let total = all.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = q.page.parse::<usize>().unwrap_or(1).clamp(1, pages);
    let rows: Vec<CaseRow> = all
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|c| CaseRow {
            href: format!("/cases/{}", c.id),
            name: c.name.clone(),
            id_number: c.id_number.clone(),
            programme: c.programme.clone(),
            state: c.state.label(),
            opened_on: c.opened_on.clone(),
            now: now_text(c),
            due: c.due_on.clone().unwrap_or_default(),
            overdue: c.overdue(today),
        })
        .collect();
    viewed(&app, &s, "cases", rows.len()).await?;
    let query = |page: usize| {
        serde_urlencoded::to_string([
            ("programme", q.programme.as_str()),
            ("state", q.state.as_str()),
            ("overdue", q.overdue.as_str()),
            ("page", &page.to_string()),
        ])
        .unwrap_or_default()
    };
    let export_query = serde_urlencoded::to_string([
        ("programme", q.programme.as_str()),
        ("state", q.state.as_str()),
        ("overdue", q.overdue.as_str()),
    ])
    .unwrap_or_default();
    Ok(ListPage {
        layout: Layout::for_session(&s, "服务个案", HERE),
        // A provider's account filters its own cases without the programme list.
        programmes: app
            .store
            .programmes()
            .list(s.scope())
            .await
            .map(|l| l.into_iter().map(|r| r.programme.name).collect())
            .unwrap_or_default(),
        states: CaseState::ALL
            .into_iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        rows,
        total,
        page,
        pages,
        prev: (page > 1).then(|| format!("/cases?{}", query(page - 1))),
        next: (page < pages).then(|| format!("/cases?{}", query(page + 1))),
        export_query,
        staff: s.scope().role().reads_persons(),
        q,
    })
}

pub async fn export(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<CaseQuery>,
) -> Result<Response, AppError> {
    let all = app.store.cases().list(s.scope(), &q.filter()).await?;
    let path = app
        .work_dir
        .join(format!("cases-{}.xlsx", anju_store::random_token()));
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let headers = [
        "个案编号",
        "姓名",
        "身份证号",
        "户籍地",
        "服务项目",
        "状态",
        "受理日期",
        "当前",
        "期限",
    ];
    let write = || -> Result<(), anju_io::WriteError> {
        let mut w = anju_io::SheetWriter::create(&path, &headers)?;
        for c in &all {
            let place = anju_domain::RegionTable::jiangsu().name_of(&c.household_code);
            w.write_row(&[
                c.id.to_string().as_str(),
                &c.name,
                &c.id_number,
                &place,
                &c.programme,
                c.state.label(),
                &c.opened_on,
                &now_text(c),
                c.due_on.as_deref().unwrap_or(""),
            ])?;
        }
        w.finish()
    };
    write().map_err(|e| AppError::Internal(e.to_string()))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let _ = tokio::fs::remove_file(&path).await;
    app.store
        .persons()
        .record_view(
            s.scope(),
            "case.export",
            "cases".into(),
            format!("{}条", all.len()),
        )
        .await?;
    Ok(crate::pages::xlsx_download(
        "cases.xlsx",
        "服务个案.xlsx",
        bytes,
    ))
}

pub struct StepLine {
    pub on_date: String,
    pub action: String,
    pub detail: String,
    pub attachments: String,
    pub actor: String,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
pub struct CasePage {
    layout: Layout,
    c: CaseRecord,
    person_href: String,
    /// Each step with where it stands: done, current or to come.
    path: Vec<(String, &'static str)>,
    now: String,
    conditions: Vec<String>,
    /// The form open to this user: the step now due (with its fields), or none.
    step_form: Option<(String, Vec<(usize, String)>)>,
    can_refuse: bool,
    can_close: bool,
    /// The providers the case may be assigned to (open cases, from the town up).
    providers: Vec<(i64, String)>,
    /// What the provider delivered, and whether this user may record more.
    deliveries: Vec<Vec<String>>,
    can_deliver: bool,
    delivery_kinds: Vec<&'static str>,
    lines: Vec<StepLine>,
    today: String,
    error: Option<String>,
    d: super::case_details::Details,
}

pub(super) async fn case_page(
    app: &App,
    s: &Session,
    id: i64,
    error: Option<String>,
) -> Result<CasePage, AppError> {
    let scope = s.scope();
    let (c, steps) = app.store.cases().get(scope, id).await?;
    let opened: chrono::NaiveDate = c
        .opened_on
        .parse()
        .map_err(|_| AppError::Internal("受理日期无法读取".into()))?;
    let conditions = match app
        .store
        .cases()
        .check(scope, c.person_id, &c.programme, opened)
        .await
    {
        Ok((_, parts, _)) => parts.iter().flat_map(Explained::lines).collect(),
        Err(_) => Vec::new(),
    };
    app.store
        .persons()
        .record_view(
            scope,
            "case.view",
            format!("case:{}", c.id),
            c.programme.clone(),
        )
        .await?;
    let staff = anju_domain::programme::closes(scope.role());
    let open = c.state == CaseState::Open;
    let providers = if open && staff {
        let today = app.store.today();
        app.store
            .providers()
            .list(scope)
            .await?
            .into_iter()
            .filter(|p| {
                p.provider
                    .takes(&c.household_code, &c.programme, today)
                    .is_ok()
            })
            .map(|p| (p.id, p.provider.name))
            .collect()
    } else {
        Vec::new()
    };
    let step_form = c
        .current()
        .filter(|st| may_act(st.actor, scope.role()))
        .map(|st| {
            (
                st.name.clone(),
                st.fields.iter().cloned().enumerate().collect(),
            )
        });
    let path = c
        .steps
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let at = if i < c.done {
                "done"
            } else if open && i == c.done {
                "current"
            } else {
                "todo"
            };
            (format!("{}（{}）", st.name, st.actor.label()), at)
        })
        .collect();
    Ok(CasePage {
        layout: Layout::for_session(s, &format!("{}的{}个案", c.name, c.programme), HERE),
        person_href: format!("/persons/{}", c.person_id),
        path,
        now: now_text(&c),
        conditions,
        step_form,
        can_refuse: open && staff,
        providers,
        deliveries: app
            .store
            .cases()
            .deliveries(scope, id)
            .await?
            .into_iter()
            .map(|d| {
                let x = d.delivery;
                let time = match (x.start, x.end) {
                    (Some(a), Some(b)) => format!(
                        "{}-{}（{}分钟）",
                        a.format("%H:%M"),
                        b.format("%H:%M"),
                        (b - a).num_minutes()
                    ),
                    _ => String::new(),
                };
                vec![
                    x.date.to_string(),
                    x.kind.label().to_owned(),
                    x.units.to_string(),
                    time,
                    x.note,
                    d.provider,
                    d.created_by,
                ]
            })
            .collect(),
        can_deliver: open && c.provider_id.is_some() && scope.role().records_deliveries(),
        delivery_kinds: anju_domain::programme::delivery::DeliveryKind::ALL
            .map(anju_domain::programme::delivery::DeliveryKind::label)
            .to_vec(),
        can_close: open && staff && c.current().is_none(),
        lines: steps
            .into_iter()
            .map(|st| StepLine {
                on_date: st.on_date,
                action: match st.action.as_str() {
                    "open" => "受理".into(),
                    "assign" => "指派服务机构".into(),
                    "refuse" => "不予办理".into(),
                    "close" => "结案".into(),
                    _ => st.step_name,
                },
                detail: st.detail,
                attachments: st.attachments,
                actor: st.actor,
                at: beijing(st.at_ms),
            })
            .collect(),
        today: app.store.today().to_string(),
        error,
        d: super::case_details::details(app, s, &c).await?,
        c,
    })
}

pub async fn show(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
) -> Result<CasePage, AppError> {
    case_page(&app, &s, id, None).await
}

/// The case form: the action, its date, the step's fields (`f0`, `f1`, … in the step's
/// order), attachments' names, a note, a reason or an outcome, and the version seen.
#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    attachments: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    outcome: String,
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

pub async fn act(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let refuse = |msg: String| async {
        let page = case_page(&app, &s, id, Some(msg)).await?;
        Ok::<Response, AppError>((StatusCode::BAD_REQUEST, page).into_response())
    };
    let Some(date) = parse_date(&f.date) else {
        return refuse(format!("日期“{}”无效", f.date)).await;
    };
    let (c, _) = app.store.cases().get(s.scope(), id).await?;
    let action = match f.action.as_str() {
        "step" => {
            let fields = c.current().map(|st| st.fields.clone()).unwrap_or_default();
            CaseAction::Step {
                date,
                values: fields
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        (
                            name.clone(),
                            f.rest.get(&format!("f{i}")).cloned().unwrap_or_default(),
                        )
                    })
                    .collect(),
                attachments: f
                    .attachments
                    .split(['、', ',', '，', '\n'])
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect(),
                note: f.note.clone(),
            }
        }
        "refuse" => CaseAction::Refuse {
            date,
            reason: f.reason.clone(),
        },
        "close" => CaseAction::Close {
            date,
            outcome: f.outcome.clone(),
        },
        _ => return refuse("请选择要办理的事项".into()).await,
    };
    let version = f.version.parse::<i64>().ok();
    match app.store.cases().act(s.scope(), id, version, action).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(msg) => refuse(msg).await,
            other => Err(other),
        },
    }
}

#[derive(Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    programme: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    override_reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "case_open.html")]
pub struct OpenPage {
    layout: Layout,
    person_key: i64,
    name: String,
    programme: String,
    date: String,
    conditions: Vec<(bool, String)>,
    can_override: bool,
    override_reason: String,
    error: String,
}

/// Opens a case from the file. When the conditions do not hold, the page shows each one met
/// or not with the person's value, and (to a county) the form to open it with a reason.
pub async fn open(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(key): Key,
    Form(f): Form<OpenForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let scope = s.scope();
    let rec = app.store.persons().get_by_key(scope, key).await?;
    let date = parse_date(&f.date);
    let reason = Some(f.override_reason.as_str()).filter(|r| !r.trim().is_empty());
    let result = match date {
        Some(d) => app
            .store
            .cases()
            .open(scope, key, &f.programme, d, reason)
            .await
            .map_err(AppError::from),
        None => Err(AppError::BadRequest(format!("受理日期“{}”无效", f.date))),
    };
    let msg = match result {
        Ok(c) => return Ok(Redirect::to(&format!("/cases/{}", c.id)).into_response()),
        Err(AppError::BadRequest(msg)) => msg,
        Err(other) => return Err(other),
    };
    let conditions = match date {
        Some(d) => match app.store.cases().check(scope, key, &f.programme, d).await {
            Ok((_, parts, _)) => parts
                .iter()
                .flat_map(|p| {
                    let met = p.met;
                    p.lines().into_iter().map(move |l| (met, l))
                })
                .collect(),
            Err(_) => Vec::new(),
        },
        None => Vec::new(),
    };
    let page = OpenPage {
        layout: Layout::for_session(&s, "受理服务个案", HERE),
        person_key: key,
        name: rec.person.name.clone(),
        programme: f.programme.clone(),
        date: f.date.clone(),
        conditions,
        can_override: scope.role().manages_services(),
        override_reason: f.override_reason.clone(),
        error: msg,
    };
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

#[derive(Deserialize)]
pub struct DiagnosisForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    hospital: String,
    #[serde(default)]
    date: String,
}

pub async fn diagnose(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(key): Key,
    Form(f): Form<DiagnosisForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let date = parse_date(&f.date)
        .ok_or_else(|| AppError::BadRequest(format!("诊断日期“{}”无效", f.date)))?;
    app.store
        .programmes()
        .add_diagnosis(s.scope(), key, &f.name, &f.hospital, date)
        .await?;
    Ok(Redirect::to(&format!("/persons/{key}#services-h")).into_response())
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    date: String,
}

/// Assigns the case to a provider (from the town up).
pub async fn assign(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<AssignForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let refuse = |msg: String| async {
        let page = case_page(&app, &s, id, Some(msg)).await?;
        Ok::<Response, AppError>((StatusCode::BAD_REQUEST, page).into_response())
    };
    let Some(date) = parse_date(&f.date) else {
        return refuse(format!("日期“{}”无效", f.date)).await;
    };
    let Ok(provider) = f.provider.parse::<i64>() else {
        return refuse("请选择服务机构".into()).await;
    };
    match app
        .store
        .cases()
        .assign(s.scope(), id, provider, date)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(msg) => refuse(msg).await,
            other => Err(other),
        },
    }
}

#[derive(Deserialize)]
pub struct DeliveryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    units: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    note: String,
}

/// Records what the provider delivered on the case.
pub async fn deliver(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<DeliveryForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let input = anju_domain::programme::delivery::DeliveryInput {
        kind: f.kind,
        date: f.date,
        units: f.units,
        start: f.start,
        end: f.end,
        note: f.note,
    };
    match app
        .store
        .cases()
        .record_delivery(s.scope(), id, &input)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}#deliveries-h")).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(msg) => {
                let page = case_page(&app, &s, id, Some(msg)).await?;
                Ok((StatusCode::BAD_REQUEST, page).into_response())
            }
            other => Err(other),
        },
    }
}
