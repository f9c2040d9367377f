//! Employment services through the API: postings and the seekers each fits, a person's
//! job-seeker registration, service chain, matching postings and placement, return visits,
//! training courses and attendance. Scoped as the pages are; personal data masked by role.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::doc::Failure;
use super::{body, query};
use crate::auth::ApiUser;
use crate::{App, AppError};

fn key(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

async fn person_key(app: &App, s: &crate::auth::Session, id_number: &str) -> Result<i64, AppError> {
    let id = crate::pages::persons::show::parse_id(id_number)?;
    Ok(app.store.persons().lookup(s.scope(), &id).await?.id)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostingsQuery {
    /// Closed postings too.
    #[serde(default)]
    all: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Postings {
    postings: Vec<anju_store::PostingRecord>,
}

/// The postings the caller sees: its subtree's and those of the regions above it.
#[utoipa::path(get, path = "/job-postings", tag = "就业", security(("bearer" = [])),
    params(PostingsQuery), responses((status = 200, body = Postings), Failure))]
pub async fn postings(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    q: Result<Query<PostingsQuery>, QueryRejection>,
) -> Result<Json<Postings>, AppError> {
    let q = query(q)?;
    Ok(Json(Postings {
        postings: app.store.jobs().postings(s.scope(), !q.all).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct PostingBody {
    #[serde(default)]
    employer_code: String,
    #[schema(example = "苏州某电子有限公司")]
    employer_name: String,
    #[schema(example = "包装工")]
    post: String,
    /// How many people.
    #[schema(example = "2")]
    openings: String,
    /// The monthly wage in yuan.
    #[schema(example = "2800")]
    wage: String,
    /// Where the work is: a region code in the caller's subtree.
    #[schema(example = "320102001000")]
    region_code: String,
    /// 全日制, 非全日制 or 均可.
    #[serde(default)]
    hours: String,
    #[serde(default)]
    skills: String,
    /// The categories the post suits (肢体、听力…); empty: any.
    #[serde(default)]
    categories: String,
    /// The grades the post suits (三级、四级…); empty: any.
    #[serde(default)]
    grades: String,
    /// 是 or 否.
    #[serde(default)]
    accessible: String,
    #[serde(default)]
    closes_on: String,
}

/// Posts a job (town, county, city staff and the administrator); the posting.
#[utoipa::path(post, path = "/job-postings", tag = "就业", security(("bearer" = [])),
    request_body = PostingBody, responses((status = 200, body = anju_store::PostingRecord), Failure))]
pub async fn create_posting(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    b: Result<Json<PostingBody>, JsonRejection>,
) -> Result<Json<anju_store::PostingRecord>, AppError> {
    let b = body(b)?;
    let input = anju_domain::jobs::PostingInput {
        employer_code: b.employer_code,
        employer_name: b.employer_name,
        post: b.post,
        openings: b.openings,
        wage: b.wage,
        region_code: b.region_code,
        hours: b.hours,
        skills: b.skills,
        categories: b.categories,
        grades: b.grades,
        accessible: b.accessible,
        closes_on: b.closes_on,
    };
    let jobs = app.store.jobs();
    let id = jobs.post(s.scope(), &input).await?;
    Ok(Json(jobs.posting(s.scope(), id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct SeekerMatches {
    matches: Vec<anju_store::SeekerMatch>,
}

/// The seekers of the caller's subtree a posting fits, best first, with the reasons.
#[utoipa::path(get, path = "/job-postings/{id}/matches", tag = "就业", security(("bearer" = [])),
    params(("id" = String, Path, description = "岗位编号")),
    responses((status = 200, body = SeekerMatches), Failure))]
pub async fn posting_matches(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<SeekerMatches>, AppError> {
    Ok(Json(SeekerMatches {
        matches: app
            .store
            .jobs()
            .matches_for_posting(s.scope(), key(&id)?)
            .await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct SeekerFile {
    /// The registration, if there is one.
    seeker: Option<anju_store::SeekerRecord>,
    /// The service chain: steps and placements with their visits.
    chain: anju_store::Chain,
}

async fn seeker_file(
    app: &App,
    s: &crate::auth::Session,
    person: i64,
) -> Result<Json<SeekerFile>, AppError> {
    let jobs = app.store.jobs();
    Ok(Json(SeekerFile {
        seeker: jobs.seeker(s.scope(), person).await?,
        chain: jobs.chain(s.scope(), person).await?,
    }))
}

/// A person's job-seeker registration and service chain.
#[utoipa::path(get, path = "/persons/{id}/job-seeker", tag = "就业", security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号", example = "320102194901010013")),
    responses((status = 200, body = SeekerFile), Failure))]
pub async fn seeker(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id_number): Path<String>,
) -> Result<Json<SeekerFile>, AppError> {
    let person = person_key(&app, &s, &id_number).await?;
    seeker_file(&app, &s, person).await
}

#[derive(Deserialize, ToSchema)]
pub struct SeekerBody {
    /// The work wanted (意向岗位), separated by 、.
    #[schema(example = "客服、收银")]
    wanted: String,
    #[serde(default)]
    skills: String,
    /// Where the person will work: a region code of any level.
    #[schema(example = "320102")]
    region_code: String,
    /// 全日制, 非全日制 or 均可.
    #[serde(default)]
    hours: String,
    /// The lowest monthly wage, in yuan.
    #[serde(default)]
    min_wage: String,
}

/// Registers a person as a job seeker, or updates the registration.
#[utoipa::path(post, path = "/persons/{id}/job-seeker", tag = "就业", security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号", example = "320102194901010013")),
    request_body = SeekerBody, responses((status = 200, body = SeekerFile), Failure))]
pub async fn register(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id_number): Path<String>,
    b: Result<Json<SeekerBody>, JsonRejection>,
) -> Result<Json<SeekerFile>, AppError> {
    let b = body(b)?;
    let person = person_key(&app, &s, &id_number).await?;
    let input = anju_domain::jobs::SeekerInput {
        wanted: b.wanted,
        skills: b.skills,
        region_code: b.region_code,
        hours: b.hours,
        min_wage: b.min_wage,
    };
    app.store.jobs().register(s.scope(), person, &input).await?;
    seeker_file(&app, &s, person).await
}

#[derive(Serialize, ToSchema)]
pub struct PostingMatches {
    matches: Vec<anju_store::PostingMatch>,
}

/// The open postings that fit a registered seeker, best first, with the reasons.
#[utoipa::path(get, path = "/persons/{id}/job-matches", tag = "就业", security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号", example = "320102194901010013")),
    responses((status = 200, body = PostingMatches), Failure))]
pub async fn seeker_matches(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id_number): Path<String>,
) -> Result<Json<PostingMatches>, AppError> {
    let person = person_key(&app, &s, &id_number).await?;
    Ok(Json(PostingMatches {
        matches: app
            .store
            .jobs()
            .matches_for_seeker(s.scope(), person)
            .await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct PlacementBody {
    /// A posting to place the person in; or the employer and post below.
    #[serde(default)]
    posting_id: Option<i64>,
    #[serde(default)]
    employer_code: String,
    #[serde(default)]
    employer_name: String,
    #[serde(default)]
    post: String,
    /// The form of the work (按比例, 集中, …).
    #[schema(example = "按比例")]
    form: String,
    #[schema(format = Date, example = "2025-03-01")]
    date: String,
    #[serde(default)]
    note: String,
}

/// Places a person in work (town, county, city staff and the administrator): recorded on
/// the file as employment, the return visits due from the date.
#[utoipa::path(post, path = "/persons/{id}/placements", tag = "就业", security(("bearer" = [])),
    params(("id" = String, Path, description = "身份证号", example = "320102194901010013")),
    request_body = PlacementBody, responses((status = 200, body = SeekerFile), Failure))]
pub async fn place(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id_number): Path<String>,
    b: Result<Json<PlacementBody>, JsonRejection>,
) -> Result<Json<SeekerFile>, AppError> {
    let b = body(b)?;
    let person = person_key(&app, &s, &id_number).await?;
    let input = anju_store::PlacementInput {
        posting_id: b.posting_id,
        employer_code: b.employer_code,
        employer_name: b.employer_name,
        post: b.post,
        form: b.form,
        date: b.date,
        note: b.note,
    };
    app.store.jobs().place(s.scope(), person, &input).await?;
    seeker_file(&app, &s, person).await
}

#[derive(Deserialize, ToSchema)]
pub struct VisitBody {
    /// Which visit (1, 2, 3 by the schedule).
    #[schema(example = 1)]
    no: i64,
    #[schema(format = Date, example = "2025-04-01")]
    date: String,
    #[serde(default)]
    note: String,
}

#[derive(Serialize, ToSchema)]
pub struct Recorded {
    ok: bool,
}

/// Records a return visit of a placement (once each).
#[utoipa::path(post, path = "/job-placements/{id}/visits", tag = "就业", security(("bearer" = [])),
    params(("id" = String, Path, description = "安置编号")),
    request_body = VisitBody, responses((status = 200, body = Recorded), Failure))]
pub async fn visit(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    b: Result<Json<VisitBody>, JsonRejection>,
) -> Result<Json<Recorded>, AppError> {
    let b = body(b)?;
    app.store
        .jobs()
        .record_visit(s.scope(), key(&id)?, b.no, &b.date, &b.note)
        .await?;
    Ok(Json(Recorded { ok: true }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoursesQuery {
    /// The courses ending in this year (all when absent).
    #[serde(default)]
    year: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct Courses {
    courses: Vec<anju_store::CourseRecord>,
    /// People of the caller's subtree who finished a course ending in the year, per town
    /// (only with a year).
    trained: Vec<anju_store::TrainedCount>,
}

/// Training courses the caller sees, with the attendance of its subtree.
#[utoipa::path(get, path = "/training-courses", tag = "就业", security(("bearer" = [])),
    params(CoursesQuery), responses((status = 200, body = Courses), Failure))]
pub async fn courses(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    q: Result<Query<CoursesQuery>, QueryRejection>,
) -> Result<Json<Courses>, AppError> {
    let q = query(q)?;
    if let Some(y) = q.year
        && !(2000..=2100).contains(&y)
    {
        return Err(AppError::BadRequest(format!("年度“{y}”应在2000至2100之间")));
    }
    let t = app.store.training();
    Ok(Json(Courses {
        courses: t.courses(s.scope(), q.year).await?,
        trained: match q.year {
            Some(y) => t.trained(s.scope(), y, None).await?,
            None => Vec::new(),
        },
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct CourseBody {
    #[schema(example = "电子商务")]
    name: String,
    /// 职业技能培训 or 创业培训.
    #[schema(example = "职业技能培训")]
    kind: String,
    #[schema(example = "区职业培训中心")]
    provider: String,
    #[schema(example = "320102000000")]
    region_code: String,
    #[schema(format = Date, example = "2025-03-01")]
    starts_on: String,
    #[schema(format = Date, example = "2025-03-20")]
    ends_on: String,
    #[schema(example = "40")]
    hours: String,
}

/// Adds a training course (town, county, city staff and the administrator).
#[utoipa::path(post, path = "/training-courses", tag = "就业", security(("bearer" = [])),
    request_body = CourseBody, responses((status = 200, body = anju_store::CourseRecord), Failure))]
pub async fn create_course(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    b: Result<Json<CourseBody>, JsonRejection>,
) -> Result<Json<anju_store::CourseRecord>, AppError> {
    let b = body(b)?;
    let input = anju_domain::training::CourseInput {
        name: b.name,
        kind: b.kind,
        provider: b.provider,
        region_code: b.region_code,
        starts_on: b.starts_on,
        ends_on: b.ends_on,
        hours: b.hours,
    };
    let t = app.store.training();
    let id = t.create(s.scope(), &input).await?;
    Ok(Json(t.course(s.scope(), id).await?.0))
}

#[derive(Deserialize, ToSchema)]
pub struct AttendBody {
    #[schema(example = "320102194901010013")]
    id_number: String,
    #[schema(example = "40")]
    hours: String,
    /// 是 or 否.
    #[schema(example = "是")]
    completed: String,
}

#[derive(Serialize, ToSchema)]
pub struct CourseAttendance {
    course: anju_store::CourseRecord,
    people: Vec<anju_store::AttendanceRecord>,
}

/// Records (or corrects) a person's attendance of a course; the course's attendance.
#[utoipa::path(post, path = "/training-courses/{id}/attendance", tag = "就业", security(("bearer" = [])),
    params(("id" = String, Path, description = "课程编号")),
    request_body = AttendBody, responses((status = 200, body = CourseAttendance), Failure))]
pub async fn attend(
    State(app): State<App>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    b: Result<Json<AttendBody>, JsonRejection>,
) -> Result<Json<CourseAttendance>, AppError> {
    let b = body(b)?;
    let id = key(&id)?;
    let t = app.store.training();
    t.attend(s.scope(), id, &b.id_number, &b.hours, &b.completed)
        .await?;
    let (course, people) = t.course(s.scope(), id).await?;
    Ok(Json(CourseAttendance { course, people }))
}
