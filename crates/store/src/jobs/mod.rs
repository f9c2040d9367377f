//! Employment services in the registry: job-seeker registrations (one per person, kept up to
//! date), employers' postings, and matching either way with the reasons each fits. The
//! service chain and placements are in [`chain`]; training courses in `training`.
//!
//! Scope: a seeker is a person, seen in the subtree of the person's household. A posting
//! (and a course) is seen by the users of its region's subtree and by those below it: a
//! county's posting is open to its towns and villages, a town's is not seen by the next town.

pub mod chain;

use anju_domain::audit::Outcome;
use anju_domain::certificate::{Category, Grade};
use anju_domain::jobs::matching::{self, Fit, MatchRules, Profile};
use anju_domain::jobs::{Hours, Posting, PostingInput, Seeker, SeekerInput, region_prefix, words};
use anju_domain::{RegionTable, mask};
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::sql::{Arg, Where};
use crate::{PersonRecord, Result, Scope, Store, StoreError};

/// A seeker's registration with the person it belongs to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeekerRecord {
    pub person_id: i64,
    pub name: String,
    /// Masked unless the role may see it whole.
    pub id_number: String,
    pub household_code: String,
    /// 肢体残疾三级, or empty before an assessment.
    pub disability: String,
    #[serde(flatten)]
    pub seeker: Seeker,
    /// seeking, placed or withdrawn.
    pub status: String,
    pub registered_on: String,
    pub updated_by: String,
}

impl SeekerRecord {
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "seeking" => "求职中",
            "placed" => "已安置",
            _ => "已撤销",
        }
    }
}

/// A posting with its place in the registry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PostingRecord {
    pub id: i64,
    #[serde(flatten)]
    pub posting: Posting,
    /// People placed in it and still there.
    pub filled: i64,
    /// open or closed.
    pub status: String,
    pub posted_on: String,
    pub created_by: String,
}

impl PostingRecord {
    pub fn region_name(&self) -> String {
        RegionTable::jiangsu().name_of(&self.posting.region_code)
    }

    pub fn suits(&self) -> String {
        anju_domain::jobs::suits_label(&self.posting.categories, &self.posting.grades)
    }

    pub fn wage_yuan(&self) -> String {
        anju_domain::money::Fen(self.posting.wage_fen).yuan()
    }
}

/// A posting that fits a seeker.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PostingMatch {
    pub posting: PostingRecord,
    pub fit: Fit,
}

/// A seeker that fits a posting.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeekerMatch {
    pub seeker: SeekerRecord,
    pub fit: Fit,
}

pub struct Jobs<'a> {
    store: &'a Store,
}

impl Store {
    pub fn jobs(&self) -> Jobs<'_> {
        Jobs { store: self }
    }
}

pub(crate) fn faults(f: Vec<(&'static str, String)>) -> StoreError {
    StoreError::Invalid(
        f.into_iter()
            .map(|(f, m)| format!("{f}：{m}"))
            .collect::<Vec<_>>()
            .join("；"),
    )
}

fn disability(category: Option<i64>, grade: Option<i64>) -> String {
    let c = category
        .and_then(|c| u8::try_from(c).ok())
        .and_then(Category::new);
    let g = grade
        .and_then(|g| u8::try_from(g).ok())
        .and_then(Grade::new);
    match (c, g) {
        (Some(c), Some(g)) => format!("{}{}", c.label(), g.name()),
        _ => String::new(),
    }
}

const SEEKER_COLUMNS: &str = "s.person_id, s.wanted, s.skills, s.region_code, s.hours, \
    s.min_wage_fen, s.status, s.registered_on, s.updated_by, p.name, p.id_number, \
    p.household_code, p.category, p.grade, p.components";

fn seeker_from_row(r: &sqlx::any::AnyRow, whole: bool) -> Result<(SeekerRecord, Vec<u8>)> {
    let id_number: String = r.try_get("id_number")?;
    let category: Option<i64> = r.try_get("category")?;
    let grade: Option<i64> = r.try_get("grade")?;
    let components: String = r.try_get("components")?;
    let mut categories: Vec<u8> = category
        .and_then(|c| u8::try_from(c).ok())
        .into_iter()
        .collect();
    if let Some(c) = anju_domain::certificate::Components::parse(&components) {
        categories.extend(c.0.iter().map(|(c, _)| c.code()));
    }
    Ok((
        SeekerRecord {
            person_id: r.try_get("person_id")?,
            name: r.try_get("name")?,
            id_number: if whole {
                id_number
            } else {
                mask::id_number(&id_number)
            },
            household_code: r.try_get("household_code")?,
            disability: disability(category, grade),
            seeker: Seeker {
                wanted: words(&r.try_get::<String, _>("wanted")?),
                skills: words(&r.try_get::<String, _>("skills")?),
                region_code: r.try_get("region_code")?,
                hours: Hours::parse(&r.try_get::<String, _>("hours")?).unwrap_or(Hours::Any),
                min_wage_fen: r.try_get("min_wage_fen")?,
            },
            status: r.try_get("status")?,
            registered_on: r.try_get("registered_on")?,
            updated_by: r.try_get("updated_by")?,
        },
        categories,
    ))
}

pub(crate) const POSTING_COLUMNS: &str = "j.id, j.employer_code, j.employer_name, j.post, \
    j.openings, j.wage_fen, j.region_code, j.hours, j.skills, j.categories, j.grades, \
    j.accessible, j.posted_on, j.closes_on, j.status, j.created_by, \
    (SELECT COUNT(*) FROM job_placements x WHERE x.posting_id = j.id AND x.status = 'active') \
    AS filled";

fn codes(s: &str) -> Vec<u8> {
    s.split(',').filter_map(|c| c.trim().parse().ok()).collect()
}

fn join_codes(c: &[u8]) -> String {
    c.iter().map(u8::to_string).collect::<Vec<_>>().join(",")
}

pub(crate) fn posting_from_row(r: &sqlx::any::AnyRow) -> Result<PostingRecord> {
    let closes: Option<String> = r.try_get("closes_on")?;
    Ok(PostingRecord {
        id: r.try_get("id")?,
        posting: Posting {
            employer_code: r.try_get("employer_code")?,
            employer_name: r.try_get("employer_name")?,
            post: r.try_get("post")?,
            openings: u32::try_from(r.try_get::<i64, _>("openings")?).unwrap_or(0),
            wage_fen: r.try_get("wage_fen")?,
            region_code: r.try_get("region_code")?,
            hours: Hours::parse(&r.try_get::<String, _>("hours")?).unwrap_or(Hours::Any),
            skills: words(&r.try_get::<String, _>("skills")?),
            categories: codes(&r.try_get::<String, _>("categories")?),
            grades: codes(&r.try_get::<String, _>("grades")?),
            accessible: r.try_get::<i64, _>("accessible")? == 1,
            closes_on: closes.and_then(|d| d.parse().ok()),
        },
        filled: r.try_get("filled")?,
        status: r.try_get("status")?,
        posted_on: r.try_get("posted_on")?,
        created_by: r.try_get("created_by")?,
    })
}

/// How many matches a list shows at most.
pub const MATCH_LIMIT: usize = 50;

impl Jobs<'_> {
    fn rules() -> Result<MatchRules> {
        MatchRules::shipped().map_err(StoreError::Internal)
    }

    /// Registers the person with row id `person` as a job seeker, or updates the registration
    /// (a withdrawn one seeks again); anyone who writes files in the subtree. Audited.
    pub async fn register(
        &self,
        scope: &Scope,
        person: i64,
        input: &SeekerInput,
    ) -> Result<SeekerRecord> {
        scope.require(scope.role().writes_persons())?;
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let seeker = input.validate(RegionTable::jiangsu()).map_err(faults)?;
        let rules =
            anju_domain::employment::EmploymentRules::shipped().map_err(StoreError::Internal)?;
        let today = self.store.today();
        if !rules.of_working_age(rec.person.birth_date, today) {
            return Err(StoreError::Invalid(format!(
                "此人不在劳动年龄段（{}至{}周岁），不作就业需求登记",
                rules.age_from, rules.age_to
            )));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let args = (
            seeker.wanted.join("、"),
            seeker.skills.join("、"),
            seeker.region_code.clone(),
            region_prefix(&seeker.region_code),
            seeker.hours.as_str(),
            seeker.min_wage_fen,
        );
        let updated = sqlx::query(
            "UPDATE job_seekers SET wanted = $1, skills = $2, region_code = $3, \
             region_prefix = $4, hours = $5, min_wage_fen = $6, updated_at = $7, updated_by = $8, \
             status = CASE WHEN status = 'withdrawn' THEN 'seeking' ELSE status END \
             WHERE person_id = $9",
        )
        .bind(args.0.clone())
        .bind(args.1.clone())
        .bind(args.2.clone())
        .bind(args.3.clone())
        .bind(args.4)
        .bind(args.5)
        .bind(now)
        .bind(scope.username.clone())
        .bind(rec.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            sqlx::query(
                "INSERT INTO job_seekers (person_id, wanted, skills, region_code, region_prefix, \
                 hours, min_wage_fen, status, registered_on, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'seeking', $8, $9, $10)",
            )
            .bind(rec.id)
            .bind(args.0)
            .bind(args.1)
            .bind(args.2)
            .bind(args.3)
            .bind(args.4)
            .bind(args.5)
            .bind(today.to_string())
            .bind(now)
            .bind(scope.username.clone())
            .execute(&mut *tx)
            .await?;
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.job_seeker",
                rec.audit_object(),
                Outcome::Success,
            )
            .detail(format!(
                "意向：{}；地区：{}",
                seeker.wanted.join("、"),
                RegionTable::jiangsu().name_of(&seeker.region_code)
            )),
        )
        .await?;
        tx.commit().await?;
        self.seeker(scope, person)
            .await?
            .ok_or_else(|| StoreError::Internal("就业需求登记未能保存".into()))
    }

    /// Withdraws a registration (the person no longer seeks work); audited.
    pub async fn withdraw(&self, scope: &Scope, person: i64) -> Result<()> {
        scope.require(scope.role().writes_persons())?;
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let n = sqlx::query(
            "UPDATE job_seekers SET status = 'withdrawn', updated_at = $1, updated_by = $2 \
             WHERE person_id = $3 AND status = 'seeking'",
        )
        .bind(now)
        .bind(scope.username.clone())
        .bind(rec.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Invalid("此人没有求职中的就业需求登记".into()));
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.job_seeker_withdrawn",
                rec.audit_object(),
                Outcome::Success,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The person's registration, if any.
    pub async fn seeker(&self, scope: &Scope, person: i64) -> Result<Option<SeekerRecord>> {
        let rec = self.store.persons().get_by_key(scope, person).await?;
        Ok(self.seeker_of(scope, &rec).await?.map(|s| s.0))
    }

    async fn seeker_of(
        &self,
        scope: &Scope,
        rec: &PersonRecord,
    ) -> Result<Option<(SeekerRecord, Vec<u8>)>> {
        let sql = format!(
            "SELECT {SEEKER_COLUMNS} FROM job_seekers s JOIN persons p ON p.id = s.person_id \
             WHERE s.person_id = $1"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(rec.id)
            .fetch_optional(self.store.pool())
            .await?
            .map(|r| seeker_from_row(&r, scope.role().sees_identifiers()))
            .transpose()
    }

    /// The registrations in the scope (with `status` when given), the latest first; the
    /// view is audited.
    pub async fn seekers(&self, scope: &Scope, status: Option<&str>) -> Result<Vec<SeekerRecord>> {
        scope.require(scope.role().reads_persons())?;
        let mut w = Where::default();
        w.push_prefix(self.store.backend(), "p.household_code", scope.prefix());
        if let Some(s) = status {
            w.push("s.status = ?", Arg::Text(s.to_owned()));
        }
        let sql = format!(
            "SELECT {SEEKER_COLUMNS} FROM job_seekers s JOIN persons p ON p.id = s.person_id \
             WHERE {} ORDER BY s.registered_on DESC, s.id DESC LIMIT 5000",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let whole = scope.role().sees_identifiers();
        let out: Vec<SeekerRecord> = q
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| seeker_from_row(r, whole).map(|s| s.0))
            .collect::<Result<_>>()?;
        if !out.is_empty() {
            self.store
                .persons()
                .record_view(
                    scope,
                    "jobs.seekers",
                    format!("region:{}", scope.region().code),
                    format!("{}人", out.len()),
                )
                .await?;
        }
        Ok(out)
    }

    /// Posts a job (staff above the village, for a workplace in their subtree); audited.
    pub async fn post(&self, scope: &Scope, input: &PostingInput) -> Result<i64> {
        scope.require(scope.role().runs_job_services())?;
        let p = input
            .validate(RegionTable::jiangsu(), self.store.today())
            .map_err(faults)?;
        if !scope.covers_code(&p.region_code) {
            // As a file outside the subtree: not the user's to write.
            return Err(StoreError::Forbidden);
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO job_postings (employer_code, employer_name, post, openings, wage_fen, \
             region_code, hours, skills, categories, grades, accessible, posted_on, closes_on, \
             status, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, 'open', $14, $15) RETURNING id",
        )
        .bind(p.employer_code.clone())
        .bind(p.employer_name.clone())
        .bind(p.post.clone())
        .bind(i64::from(p.openings))
        .bind(p.wage_fen)
        .bind(p.region_code.clone())
        .bind(p.hours.as_str())
        .bind(p.skills.join("、"))
        .bind(join_codes(&p.categories))
        .bind(join_codes(&p.grades))
        .bind(i64::from(p.accessible))
        .bind(self.store.today().to_string())
        .bind(p.closes_on.map(|d| d.to_string()))
        .bind(now)
        .bind(scope.username.clone())
        .fetch_one(&mut *tx)
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "jobs.post",
                format!("posting:{id}"),
                Outcome::Success,
            )
            .detail(format!("{} {} {}人", p.employer_name, p.post, p.openings)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Posts many jobs at once (a bulk load: one transaction, one audit entry); the same
    /// checks as [`Jobs::post`] for each. Returns how many were posted.
    pub async fn post_many(&self, scope: &Scope, postings: &[Posting]) -> Result<usize> {
        scope.require(scope.role().runs_job_services())?;
        if postings.iter().any(|p| !scope.covers_code(&p.region_code)) {
            return Err(StoreError::Forbidden);
        }
        let now = self.store.now_ms();
        let today = self.store.today().to_string();
        let rows: Vec<Vec<Arg>> = postings
            .iter()
            .map(|p| {
                vec![
                    Arg::OptText(p.employer_code.clone()),
                    Arg::Text(p.employer_name.clone()),
                    Arg::Text(p.post.clone()),
                    Arg::Int(i64::from(p.openings)),
                    Arg::Int(p.wage_fen),
                    Arg::Text(p.region_code.clone()),
                    Arg::Text(p.hours.as_str().into()),
                    Arg::Text(p.skills.join("、")),
                    Arg::Text(join_codes(&p.categories)),
                    Arg::Text(join_codes(&p.grades)),
                    Arg::Int(i64::from(p.accessible)),
                    Arg::Text(today.clone()),
                    Arg::OptText(p.closes_on.map(|d| d.to_string())),
                    Arg::Text("open".into()),
                    Arg::Int(now),
                    Arg::Text(scope.username.clone()),
                ]
            })
            .collect();
        let mut tx = self.store.begin_write().await?;
        crate::sql::insert_rows(
            &mut tx,
            self.store.backend(),
            "job_postings",
            &[
                "employer_code",
                "employer_name",
                "post",
                "openings",
                "wage_fen",
                "region_code",
                "hours",
                "skills",
                "categories",
                "grades",
                "accessible",
                "posted_on",
                "closes_on",
                "status",
                "created_at",
                "created_by",
            ],
            rows,
        )
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(scope, "jobs.post_many", "postings", Outcome::Success)
                .detail(format!("{}个岗位", postings.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(postings.len())
    }

    /// For every seeker of the scope still seeking: how many open postings it sees fit, and
    /// the best score (person row id → (count, best)). Postings are sorted by region once, so
    /// each seeker looks only at those under its wanted region.
    pub async fn match_counts(
        &self,
        scope: &Scope,
    ) -> Result<std::collections::HashMap<i64, (usize, u32)>> {
        scope.require(scope.role().reads_persons())?;
        let backend = self.store.backend();
        let mut w = Where::default();
        w.push_prefix(backend, "p.household_code", scope.prefix());
        w.push_plain("s.status = 'seeking'");
        let sql = format!(
            "SELECT {SEEKER_COLUMNS} FROM job_seekers s JOIN persons p ON p.id = s.person_id \
             WHERE {}",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let seekers = q.fetch_all(self.store.pool()).await?;
        let mut w = Where::default();
        let v = scope.shared_sql(&mut w, backend, "j.region_code");
        w.push_plain(v);
        w.push_plain("j.status = 'open'");
        w.push(
            "(j.closes_on IS NULL OR j.closes_on >= ?)",
            Arg::Text(self.store.today().to_string()),
        );
        let sql = format!(
            "SELECT * FROM (SELECT {POSTING_COLUMNS} FROM job_postings j WHERE {}) t \
             WHERE t.filled < t.openings",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let mut postings: Vec<PostingRecord> = q
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(posting_from_row)
            .collect::<Result<_>>()?;
        postings.sort_by(|a, b| a.posting.region_code.cmp(&b.posting.region_code));
        let rules = Self::rules()?;
        let mut out = std::collections::HashMap::with_capacity(seekers.len());
        for r in &seekers {
            let (s, categories) = seeker_from_row(r, false)?;
            let grade: Option<i64> = r.try_get("grade")?;
            let who = Profile::new(
                &s.seeker,
                &s.household_code,
                categories,
                grade.and_then(|g| u8::try_from(g).ok()),
            );
            let from = postings.partition_point(|p| p.posting.region_code < who.wanted_prefix);
            let mut count = 0;
            let mut best = 0;
            for p in postings[from..]
                .iter()
                .take_while(|p| p.posting.region_code.starts_with(&who.wanted_prefix))
            {
                if let Some(f) = matching::fit(&rules, &who, &p.posting) {
                    count += 1;
                    best = best.max(f.score);
                }
            }
            out.insert(s.person_id, (count, best));
        }
        Ok(out)
    }

    /// Closes a posting (no more matches); staff of its subtree.
    pub async fn close(&self, scope: &Scope, id: i64) -> Result<()> {
        scope.require(scope.role().runs_job_services())?;
        let p = self.posting(scope, id).await?;
        if !scope.covers_code(&p.posting.region_code) {
            return Err(StoreError::Forbidden);
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query("UPDATE job_postings SET status = 'closed' WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "jobs.close",
                format!("posting:{id}"),
                Outcome::Success,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The postings the scope sees (open ones only when asked), the latest first.
    pub async fn postings(&self, scope: &Scope, open_only: bool) -> Result<Vec<PostingRecord>> {
        scope.require(scope.role().reads_persons())?;
        let mut w = Where::default();
        let v = scope.shared_sql(&mut w, self.store.backend(), "j.region_code");
        w.push_plain(v);
        if open_only {
            w.push_plain("j.status = 'open'");
        }
        let sql = format!(
            "SELECT {POSTING_COLUMNS} FROM job_postings j WHERE {} ORDER BY j.id DESC LIMIT 5000",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        q.fetch_all(self.store.pool())
            .await?
            .iter()
            .map(posting_from_row)
            .collect()
    }

    /// One posting the scope sees.
    pub async fn posting(&self, scope: &Scope, id: i64) -> Result<PostingRecord> {
        scope.require(scope.role().reads_persons())?;
        let sql = format!("SELECT {POSTING_COLUMNS} FROM job_postings j WHERE j.id = $1");
        let p = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?
            .map(|r| posting_from_row(&r))
            .transpose()?
            .filter(|p| scope.shares(&p.posting.region_code))
            .ok_or_else(|| StoreError::NotFound("岗位".into()))?;
        Ok(p)
    }

    /// The open postings that fit the seeker with row id `person`, best first (at most
    /// [`MATCH_LIMIT`]): those in the wanted region the scope sees, not yet filled nor past
    /// their closing date.
    pub async fn matches_for_seeker(
        &self,
        scope: &Scope,
        person: i64,
    ) -> Result<Vec<PostingMatch>> {
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let (s, categories) = self
            .seeker_of(scope, &rec)
            .await?
            .ok_or_else(|| StoreError::NotFound("就业需求登记".into()))?;
        let mut w = Where::default();
        let backend = self.store.backend();
        let v = scope.shared_sql(&mut w, backend, "j.region_code");
        w.push_plain(v);
        w.push_prefix(
            backend,
            "j.region_code",
            &region_prefix(&s.seeker.region_code),
        );
        w.push_plain("j.status = 'open'");
        w.push(
            "(j.closes_on IS NULL OR j.closes_on >= ?)",
            Arg::Text(self.store.today().to_string()),
        );
        let sql = format!(
            "SELECT * FROM (SELECT {POSTING_COLUMNS} FROM job_postings j WHERE {}) t \
             WHERE t.filled < t.openings",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let postings: Vec<PostingRecord> = q
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(posting_from_row)
            .collect::<Result<_>>()?;
        let rules = Self::rules()?;
        let who = Profile::new(
            &s.seeker,
            &s.household_code,
            categories,
            rec.person.grade.map(Grade::code),
        );
        let best = matching::best(
            &rules,
            &who,
            postings.iter().map(|p| (p.id, &p.posting)),
            MATCH_LIMIT,
        );
        let mut by_id: std::collections::HashMap<i64, PostingRecord> =
            postings.into_iter().map(|p| (p.id, p)).collect();
        Ok(best
            .into_iter()
            .filter_map(|(id, fit)| {
                by_id
                    .remove(&id)
                    .map(|posting| PostingMatch { posting, fit })
            })
            .collect())
    }

    /// The seekers in the scope that a posting fits, best first (at most [`MATCH_LIMIT`]);
    /// the view is audited.
    pub async fn matches_for_posting(&self, scope: &Scope, id: i64) -> Result<Vec<SeekerMatch>> {
        let p = self.posting(scope, id).await?;
        let mut w = Where::default();
        let backend = self.store.backend();
        w.push_prefix(backend, "p.household_code", scope.prefix());
        w.push_plain("s.status = 'seeking'");
        w.push_plain("p.life_status = 'living'");
        // The posting's region lies under the seeker's wanted region.
        let region = w.arg(Arg::Text(p.posting.region_code.clone()));
        w.push_plain(format!(
            "substr({region}, 1, length(s.region_prefix)) = s.region_prefix"
        ));
        let sql = format!(
            "SELECT {SEEKER_COLUMNS} FROM job_seekers s JOIN persons p ON p.id = s.person_id \
             WHERE {}",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let whole = scope.role().sees_identifiers();
        let rules = Self::rules()?;
        let mut out = Vec::new();
        for r in q.fetch_all(self.store.pool()).await? {
            let (s, categories) = seeker_from_row(&r, whole)?;
            let grade: Option<i64> = r.try_get("grade")?;
            let who = Profile::new(
                &s.seeker,
                &s.household_code,
                categories,
                grade.and_then(|g| u8::try_from(g).ok()),
            );
            if let Some(fit) = matching::fit(&rules, &who, &p.posting) {
                out.push(SeekerMatch { seeker: s, fit });
            }
        }
        out.sort_by_key(|m| m.fit.rank_key(0, m.seeker.person_id));
        out.truncate(MATCH_LIMIT);
        if !out.is_empty() {
            self.store
                .persons()
                .record_view(
                    scope,
                    "jobs.matches",
                    format!("posting:{id}"),
                    format!("{}人", out.len()),
                )
                .await?;
        }
        Ok(out)
    }
}
