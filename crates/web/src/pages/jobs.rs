//! Employment services in the pages: employers' postings and the seekers each fits, job-seeker
//! registrations and the postings each fits (ranked, with the reasons), placement, the return
//! visits due, and on the person's file the registration and the service chain 四定三包二保.

use anju_domain::employment::EmploymentForm;
use anju_domain::jobs::chain::StepKind;
use anju_domain::jobs::{Hours, PostingInput, SeekerInput};
use anju_store::{
    Chain, DueVisit, PersonRecord, PlacementInput, PostingMatch, PostingRecord, SeekerMatch,
    SeekerRecord,
};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
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
        .route("/jobs", get(postings))
        .route("/jobs/postings", post(create_posting))
        .route("/jobs/postings/{id}", get(posting))
        .route("/jobs/postings/{id}/close", post(close_posting))
        .route("/jobs/seekers", get(seekers))
        .route("/jobs/seekers/export.xlsx", get(export_seekers))
        .route("/jobs/seekers/{person}", get(seeker))
        .route("/jobs/visits", get(visits))
        .route("/jobs/placements/{id}/visits", post(record_visit))
        .route("/jobs/placements/{id}/fail", post(fail))
        .route("/persons/{id}/job-seeker", post(register))
        .route("/persons/{id}/job-seeker/withdraw", post(withdraw))
        .route("/persons/{id}/job-steps", post(record_step))
        .route("/persons/{id}/placements", post(place))
}

/// The file's employment services: the registration, the chain, and what the viewer may do.
pub struct FileJobs {
    pub seeker: Option<SeekerRecord>,
    pub chain: Chain,
    pub hours: Vec<&'static str>,
    pub steps: Vec<&'static str>,
    pub forms: Vec<&'static str>,
    pub can_place: bool,
}

pub async fn file_jobs(app: &App, s: &Session, rec: &PersonRecord) -> Result<FileJobs, AppError> {
    let jobs = app.store.jobs();
    Ok(FileJobs {
        seeker: jobs.seeker(s.scope(), rec.id).await?,
        chain: jobs.chain(s.scope(), rec.id).await?,
        hours: Hours::ALL.map(Hours::label).to_vec(),
        steps: StepKind::MANUAL.map(StepKind::label).to_vec(),
        forms: EmploymentForm::ALL
            .into_iter()
            .filter(|f| f.is_employed())
            .map(EmploymentForm::label)
            .collect(),
        can_place: s.scope().role().runs_job_services(),
    })
}

/// A path to return to after a form: only a path of this site.
fn back(to: &str, fallback: &str) -> String {
    if to.starts_with('/') && !to.starts_with("//") && !to.contains('\\') {
        to.to_owned()
    } else {
        fallback.to_owned()
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    all: String,
    #[serde(default)]
    status: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "jobs.html")]
pub struct PostingsPage {
    layout: Layout,
    postings: Vec<PostingRecord>,
    all: bool,
    can_post: bool,
    hours: Vec<&'static str>,
    today: String,
}

pub async fn postings(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<PostingsPage, AppError> {
    let all = q.all == "1";
    Ok(PostingsPage {
        layout: Layout::for_session(&s, "就业服务：岗位信息", "/jobs"),
        postings: app.store.jobs().postings(s.scope(), !all).await?,
        all,
        can_post: s.scope().role().runs_job_services(),
        hours: Hours::ALL.map(Hours::label).to_vec(),
        today: app.store.today().to_string(),
    })
}

#[derive(Deserialize)]
pub struct PostingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    employer_code: String,
    #[serde(default)]
    employer_name: String,
    #[serde(default)]
    post: String,
    #[serde(default)]
    openings: String,
    #[serde(default)]
    wage: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    skills: String,
    #[serde(default)]
    categories: String,
    #[serde(default)]
    grades: String,
    #[serde(default)]
    accessible: String,
    #[serde(default)]
    closes_on: String,
}

impl From<PostingForm> for PostingInput {
    fn from(f: PostingForm) -> Self {
        PostingInput {
            employer_code: f.employer_code,
            employer_name: f.employer_name,
            post: f.post,
            openings: f.openings,
            wage: f.wage,
            region_code: f.region_code,
            hours: f.hours,
            skills: f.skills,
            categories: f.categories,
            grades: f.grades,
            accessible: f.accessible,
            closes_on: f.closes_on,
        }
    }
}

pub async fn create_posting(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<PostingForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let id = app.store.jobs().post(s.scope(), &f.into()).await?;
    Ok(Redirect::to(&format!("/jobs/postings/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "job_posting.html")]
pub struct PostingPage {
    layout: Layout,
    p: PostingRecord,
    matches: Vec<SeekerMatch>,
    can_place: bool,
    can_close: bool,
    today: String,
}

pub async fn posting(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
) -> Result<PostingPage, AppError> {
    let jobs = app.store.jobs();
    let p = jobs.posting(s.scope(), id).await?;
    let matches = if p.status == "open" {
        jobs.matches_for_posting(s.scope(), id).await?
    } else {
        Vec::new()
    };
    let role = s.scope().role();
    Ok(PostingPage {
        layout: Layout::for_session(
            &s,
            &format!("{}：{}", p.posting.employer_name, p.posting.post),
            "/jobs",
        ),
        can_place: role.runs_job_services(),
        can_close: role.runs_job_services()
            && s.scope().covers_code(&p.posting.region_code)
            && p.status == "open",
        p,
        matches,
        today: app.store.today().to_string(),
    })
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn close_posting(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    app.store.jobs().close(s.scope(), id).await?;
    Ok(Redirect::to(&format!("/jobs/postings/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "job_seekers.html")]
pub struct SeekersPage {
    layout: Layout,
    rows: Vec<SeekerRecord>,
    status: String,
    /// For each seeker still seeking: the postings that fit and the best score.
    counts: std::collections::HashMap<i64, (usize, u32)>,
}

impl SeekersPage {
    fn matched(&self, person: &i64) -> String {
        match self.counts.get(person) {
            Some((0, _)) => "无".into(),
            Some((n, best)) => format!("{n}个（最高{best}分）"),
            None => String::new(),
        }
    }
}

fn status_filter(q: &ListQuery) -> Result<Option<&str>, AppError> {
    match q.status.trim() {
        "" => Ok(None),
        s @ ("seeking" | "placed" | "withdrawn") => Ok(Some(s)),
        s => Err(AppError::BadRequest(format!("“{s}”不是登记状态"))),
    }
}

pub async fn seekers(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<SeekersPage, AppError> {
    let status = status_filter(&q)?;
    let jobs = app.store.jobs();
    Ok(SeekersPage {
        layout: Layout::for_session(&s, "就业服务：求职登记", "/jobs"),
        rows: jobs.seekers(s.scope(), status).await?,
        status: q.status.trim().to_owned(),
        counts: jobs.match_counts(s.scope()).await?,
    })
}

pub async fn export_seekers(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let status = status_filter(&q)?;
    let rows = app.store.jobs().seekers(s.scope(), status).await?;
    let table = anju_domain::RegionTable::jiangsu();
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.id_number.clone(),
                r.disability.clone(),
                table.name_of(&r.household_code),
                r.seeker.wanted.join("、"),
                r.seeker.skills.join("、"),
                table.name_of(&r.seeker.region_code),
                r.seeker.hours.label().to_owned(),
                anju_domain::money::Fen(r.seeker.min_wage_fen).yuan(),
                r.status_label().to_owned(),
                r.registered_on.clone(),
            ]
        })
        .collect();
    app.store
        .persons()
        .record_view(
            s.scope(),
            "jobs.seekers_export",
            format!("region:{}", s.scope().region().code),
            format!("导出{}人", rows.len()),
        )
        .await?;
    crate::pages::sheet_download(
        &app,
        "job-seekers.xlsx",
        "求职登记.xlsx",
        &[
            "姓名",
            "身份证号",
            "残疾类别等级",
            "户籍地",
            "意向岗位",
            "技能特长",
            "意向地区",
            "工时",
            "期望月工资（元）",
            "状态",
            "登记日期",
        ],
        &lines,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "job_seeker.html")]
pub struct SeekerPage {
    layout: Layout,
    person_id: i64,
    s: SeekerRecord,
    matches: Vec<PostingMatch>,
    can_place: bool,
    forms: Vec<&'static str>,
    today: String,
}

pub async fn seeker(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(person): Key,
) -> Result<SeekerPage, AppError> {
    let jobs = app.store.jobs();
    let rec = jobs
        .seeker(s.scope(), person)
        .await?
        .ok_or(AppError::NotFound)?;
    let matches = jobs.matches_for_seeker(s.scope(), person).await?;
    Ok(SeekerPage {
        layout: Layout::for_session(&s, &format!("{}的匹配岗位", rec.name), "/jobs"),
        person_id: person,
        s: rec,
        matches,
        can_place: s.scope().role().runs_job_services(),
        forms: EmploymentForm::ALL
            .into_iter()
            .filter(|f| f.is_employed())
            .map(EmploymentForm::label)
            .collect(),
        today: app.store.today().to_string(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "job_visits.html")]
pub struct VisitsPage {
    layout: Layout,
    rows: Vec<DueVisit>,
    can_write: bool,
    today: String,
}

pub async fn visits(State(app): State<App>, PageUser(s): PageUser) -> Result<VisitsPage, AppError> {
    Ok(VisitsPage {
        layout: Layout::for_session(&s, "就业跟踪回访", "/jobs"),
        rows: app.store.jobs().due_visits(s.scope()).await?,
        can_write: s.scope().role().writes_persons(),
        today: app.store.today().to_string(),
    })
}

#[derive(Deserialize)]
pub struct VisitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    no: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
}

pub async fn record_visit(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<VisitForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let no =
        f.no.trim()
            .parse()
            .map_err(|_| AppError::BadRequest(format!("回访次序“{}”不是数字", f.no.trim())))?;
    app.store
        .jobs()
        .record_visit(s.scope(), id, no, &f.date, &f.note)
        .await?;
    Ok(Redirect::to(&back(&f.back, "/jobs/visits")).into_response())
}

#[derive(Deserialize)]
pub struct FailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    means: String,
    #[serde(default)]
    back: String,
}

pub async fn fail(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<FailForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    app.store
        .jobs()
        .fail(s.scope(), id, &f.date, &f.reason, &f.means)
        .await?;
    Ok(Redirect::to(&back(&f.back, "/jobs/visits")).into_response())
}

#[derive(Deserialize)]
pub struct SeekerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    wanted: String,
    #[serde(default)]
    skills: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    min_wage: String,
}

pub async fn register(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(key): Key,
    Form(f): Form<SeekerForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let input = SeekerInput {
        wanted: f.wanted,
        skills: f.skills,
        region_code: f.region_code,
        hours: f.hours,
        min_wage: f.min_wage,
    };
    app.store.jobs().register(s.scope(), key, &input).await?;
    Ok(Redirect::to(&format!("/persons/{key}#jobs-h")).into_response())
}

pub async fn withdraw(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(key): Key,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    app.store.jobs().withdraw(s.scope(), key).await?;
    Ok(Redirect::to(&format!("/persons/{key}#jobs-h")).into_response())
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    note: String,
}

pub async fn record_step(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(key): Key,
    Form(f): Form<StepForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    app.store
        .jobs()
        .record_step(s.scope(), key, &f.kind, &f.date, &f.note)
        .await?;
    Ok(Redirect::to(&format!("/persons/{key}#jobs-h")).into_response())
}

#[derive(Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    posting_id: String,
    #[serde(default)]
    employer_code: String,
    #[serde(default)]
    employer_name: String,
    #[serde(default)]
    post: String,
    #[serde(default)]
    form: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    note: String,
}

pub async fn place(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(key): Key,
    Form(f): Form<PlaceForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let posting_id = match f.posting_id.trim() {
        "" => None,
        p => Some(
            p.parse()
                .map_err(|_| AppError::BadRequest(format!("岗位编号“{p}”不是数字")))?,
        ),
    };
    let input = PlacementInput {
        posting_id,
        employer_code: f.employer_code,
        employer_name: f.employer_name,
        post: f.post,
        form: f.form,
        date: f.date,
        note: f.note,
    };
    app.store.jobs().place(s.scope(), key, &input).await?;
    Ok(Redirect::to(&format!("/persons/{key}#jobs-h")).into_response())
}
