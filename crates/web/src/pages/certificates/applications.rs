//! The applications of the subtree, taking a new one, and each application's steps with the
//! form for the step now due.

use anju_domain::application::{AppKind, AppState};
use anju_domain::person::parse_date;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Choice, HERE, category_choices, grade_choices};
use crate::api::applications::StepData;
use crate::auth::{PageUser, Session};
use crate::pages::persons::show::parse_id;
use crate::pages::{Layout, beijing};
use crate::{App, AppError};

pub struct AppRow {
    pub href: String,
    pub name: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub applied_on: String,
    pub deadline: String,
    /// Who acts next.
    pub waiting: &'static str,
    pub overdue: bool,
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
    /// What was typed, kept when the form is refused.
    typed: ApplyForm,
    /// Towns and villages of the subtree, for the new file's household.
    households: Vec<(String, String)>,
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

async fn list_page(
    app: &App,
    s: &Session,
    error: Option<String>,
    typed: ApplyForm,
) -> Result<ListPage, AppError> {
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
        .map(|a| {
            let rules = anju_domain::application::Application {
                kind: a.kind,
                state: a.state,
                since: a.since,
                current: None,
            };
            AppRow {
                href: format!("/certificates/applications/{}", a.id),
                name: a.name,
                kind: a.kind.label(),
                state: a.state.label(),
                waiting: rules.waiting_for(),
                applied_on: a.applied_on.to_string(),
                overdue: a.deadline.is_some_and(|d| d < today),
                deadline: a
                    .deadline
                    .map(|d| format!("{}：{d}", rules.deadline_label()))
                    .unwrap_or_default(),
            }
        })
        .collect();
    Ok(ListPage {
        layout: Layout::for_session(s, "残疾人证办理", HERE),
        rows,
        can_apply: scope.role().writes_persons(),
        kinds: kinds(),
        today: if typed.date.is_empty() {
            today.to_string()
        } else {
            typed.date.clone()
        },
        error,
        households: crate::pages::region_choices(
            &scope.region().code,
            &[anju_domain::Level::Town, anju_domain::Level::Village],
            3000,
        ),
        typed,
    })
}

pub async fn list(State(app): State<App>, PageUser(s): PageUser) -> Result<ListPage, AppError> {
    list_page(&app, &s, None, ApplyForm::default()).await
}

#[derive(Deserialize, Default)]
pub struct ApplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id_number: String,
    /// The file's row id, when the form comes from the person's file (the ID number need
    /// not be shown whole there).
    #[serde(default)]
    person: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    target_household: String,
    #[serde(default)]
    note: String,
    /// 新办 for someone without a file: the file's first fields (the assessment gives the
    /// category and grade).
    #[serde(default)]
    name: String,
    #[serde(default)]
    household_code: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
}

impl ApplyForm {
    /// The new file the form describes, when 新办 comes with a name.
    fn new_file(&self) -> Option<Result<anju_domain::person::Person, String>> {
        use anju_domain::person::{Field, PersonInput, validate};
        if self.name.trim().is_empty() && self.household_code.trim().is_empty() {
            return None;
        }
        let mut input = PersonInput::default();
        input.set(Field::IdNumber, &self.id_number);
        input.set(Field::Name, &self.name);
        input.set(Field::HouseholdCode, &self.household_code);
        input.set(Field::Phone, &self.phone);
        input.set(Field::Address, &self.address);
        Some(
            validate(&input, anju_domain::RegionTable::jiangsu()).map_err(|errors| {
                let reasons: Vec<String> = errors.into_iter().map(|e| e.message).collect();
                format!("新建档案未能保存：{}", reasons.join("；"))
            }),
        )
    }
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
    let (page_app, page_session) = (&app, &s);
    let answer = move |status: StatusCode, msg: String, typed: ApplyForm| async move {
        let page = list_page(page_app, page_session, Some(msg), typed).await?;
        Ok::<Response, AppError>((status, page).into_response())
    };
    let refuse = move |msg: String, typed: ApplyForm| answer(StatusCode::BAD_REQUEST, msg, typed);
    let Some(kind) = AppKind::parse(&f.kind) else {
        return refuse("请选择申请类型".into(), f).await;
    };
    let Some(date) = parse_date(&f.date) else {
        let msg = format!("申请日期“{}”无效", f.date);
        return refuse(msg, f).await;
    };
    // 新办 with the new file's fields: the file is opened with the application.
    if kind == AppKind::New && f.person.trim().is_empty() {
        match f.new_file() {
            Some(Ok(person)) => {
                let r = app
                    .store
                    .applications()
                    .apply_new(s.scope(), person, date, &f.note, anju_store::Source::Web)
                    .await;
                return match r {
                    Ok(a) => Ok(
                        Redirect::to(&format!("/certificates/applications/{}", a.id))
                            .into_response(),
                    ),
                    Err(e) => match AppError::from(e) {
                        AppError::BadRequest(msg) => refuse(msg, f).await,
                        AppError::Forbidden => {
                            refuse("户籍地不在您的管辖范围内，不能在此建档".into(), f).await
                        }
                        other => Err(other),
                    },
                };
            }
            Some(Err(msg)) => return refuse(msg, f).await,
            None => {}
        }
    }
    let id = if let Ok(key) = f.person.trim().parse::<i64>() {
        app.store
            .persons()
            .get_by_key(s.scope(), key)
            .await?
            .person
            .id_number
    } else {
        match parse_id(f.id_number.trim()) {
            Ok(id) => id,
            Err(_) => {
                let msg = format!("身份证号“{}”无效", f.id_number.trim());
                return refuse(msg, f).await;
            }
        }
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
        // No file in the subtree (404, as everywhere else, with the form and what to do):
        // 新办 opens one with the application (the form's 新建档案 part); any other kind
        // needs a file.
        Err(anju_store::StoreError::NotFound(_)) => {
            let msg = if kind == AppKind::New {
                "辖区内没有此身份证号的档案：新办时请在“无档案的新办”中填写姓名和户籍地，\
                 受理时同时建立档案"
            } else {
                "辖区内没有此身份证号的档案，请先建档或核对身份证号"
            };
            answer(StatusCode::NOT_FOUND, msg.into(), f).await
        }
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(msg) => refuse(msg, f).await,
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
    /// Every step of the application with where it stands: done, current or to come.
    path: Vec<(&'static str, &'static str)>,
    /// Who acts next, in words.
    waiting: &'static str,
    /// What the deadline is (县残联审核截止, 申诉截止).
    deadline_label: &'static str,
    /// The assessment starts from the holder's current (or applied) category and grade.
    current_category: String,
    current_grade: String,
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
    let staff = app.store.users().display_names().await?;
    let role = s.scope().role();
    let rules = anju_domain::application::Application {
        kind: a.kind,
        state: a.state,
        since: a.since,
        current: None,
    };
    let (names, now) = rules.steps();
    let path = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let at = match now {
                Some(k) if i < k => "done",
                Some(k) if i == k => "current",
                Some(_) => "todo",
                None => "done",
            };
            (*n, at)
        })
        .collect();
    let holder = match anju_domain::id_number::IdNumber::parse(&a.id_number) {
        Ok(id) => app.store.persons().lookup(s.scope(), &id).await.ok(),
        Err(_) => None,
    };
    let (current_category, current_grade) = holder
        .and_then(|h| h.person.disability())
        .map(|(c, g)| (c.name().to_owned(), g.name().to_owned()))
        .unwrap_or_default();
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
                actor: staff
                    .get(&st.actor)
                    .cloned()
                    .unwrap_or_else(|| st.actor.clone()),
                at: beijing(st.at_ms),
            })
            .collect(),
        form: if allowed { form } else { "" },
        path,
        waiting: rules.waiting_for(),
        deadline_label: rules.deadline_label(),
        current_category,
        current_grade,
        categories: category_choices(),
        grades: grade_choices(),
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
