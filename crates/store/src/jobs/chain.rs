//! The service chain 四定三包二保 per person: the steps recorded by hand (post developed,
//! training tailored, referral), placements (each recorded on the file as an employment
//! status), their return visits at the months the schedule gives, and the adjustment when a
//! placement fails. The visits due are on the worklist.

use anju_domain::audit::Outcome;
use anju_domain::employment::{EmploymentForm, EmploymentRules, Status};
use anju_domain::jobs::chain::{StepKind, VisitDue, VisitSchedule};
use anju_domain::{RegionTable, mask};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use super::Jobs;
use crate::audit::{NewEntry, append};
use crate::sql::{Arg, Where};
use crate::worklist::WorkItem;
use crate::{PersonRecord, Result, Scope, Store, StoreError};

/// A step of the chain as recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobStep {
    pub kind: StepKind,
    pub placement_id: Option<i64>,
    pub visit_no: Option<i64>,
    pub on_date: String,
    pub note: String,
    pub created_by: String,
}

/// A placement with its visits.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlacementRecord {
    pub id: i64,
    pub person_id: i64,
    pub posting_id: Option<i64>,
    pub employer_code: Option<String>,
    pub employer_name: String,
    pub post: String,
    pub form: EmploymentForm,
    pub placed_on: String,
    /// active or failed.
    pub status: String,
    pub ended_on: Option<String>,
    pub end_reason: String,
    pub visits: Vec<VisitDue>,
    pub created_by: String,
}

/// The person's chain: steps (the latest first) and placements (the latest first).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Chain {
    pub steps: Vec<JobStep>,
    pub placements: Vec<PlacementRecord>,
}

/// A placement as typed: a posting's id, or the employer and post by hand.
#[derive(Debug, Clone, Default)]
pub struct PlacementInput {
    pub posting_id: Option<i64>,
    pub employer_code: String,
    pub employer_name: String,
    pub post: String,
    pub form: String,
    pub date: String,
    pub note: String,
}

/// A return visit due, for the list of visits.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueVisit {
    pub placement_id: i64,
    pub person_id: i64,
    pub name: String,
    pub id_number: String,
    pub town: String,
    pub employer_name: String,
    pub post: String,
    pub placed_on: String,
    pub visit: VisitDue,
    pub overdue: bool,
}

fn schedule() -> Result<VisitSchedule> {
    VisitSchedule::shipped().map_err(StoreError::Internal)
}

fn date(field: &str, s: &str, today: NaiveDate) -> Result<NaiveDate> {
    match anju_domain::person::parse_date(s) {
        None => Err(StoreError::Invalid(format!(
            "{field}：“{}”不是有效的日期",
            s.trim()
        ))),
        Some(d) if d > today => Err(StoreError::Invalid(format!("{field}：不能晚于今天"))),
        Some(d) => Ok(d),
    }
}

fn note(s: &str) -> Result<String> {
    let s = s.trim();
    if s.chars().count() > 500 {
        return Err(StoreError::Invalid("说明：不能超过500个字".into()));
    }
    Ok(s.to_owned())
}

#[allow(clippy::too_many_arguments)]
async fn insert_step(
    tx: &mut sqlx::AnyConnection,
    person: i64,
    placement: Option<i64>,
    kind: StepKind,
    visit_no: Option<i64>,
    on: NaiveDate,
    note: &str,
    now: i64,
    by: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO job_steps (person_id, placement_id, kind, visit_no, on_date, note, \
         created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(person)
    .bind(placement)
    .bind(kind.as_str())
    .bind(visit_no)
    .bind(on.to_string())
    .bind(note.to_owned())
    .bind(now)
    .bind(by.to_owned())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Jobs<'_> {
    /// Records a step of the chain by hand (定岗, 定向培训, 推荐上岗) on the file with row id
    /// `person`; anyone who writes files in its subtree. Audited.
    pub async fn record_step(
        &self,
        scope: &Scope,
        person: i64,
        kind: &str,
        on: &str,
        text: &str,
    ) -> Result<()> {
        scope.require(scope.role().writes_persons())?;
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let kind = StepKind::parse(kind)
            .filter(|k| StepKind::MANUAL.contains(k))
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "服务环节：“{}”应为{}",
                    kind.trim(),
                    StepKind::MANUAL.map(StepKind::label).join("、")
                ))
            })?;
        let on = date("日期", on, self.store.today())?;
        let text = note(text)?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        insert_step(
            &mut tx,
            rec.id,
            None,
            kind,
            None,
            on,
            &text,
            now,
            &scope.username,
        )
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.job_step",
                rec.audit_object(),
                Outcome::Success,
            )
            .detail(format!("{} {on}", kind.label())),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Places the person with row id `person` in work: in a posting (which must be open, seen
    /// and not full) or with an employer typed by hand. Staff above the village. The placement
    /// is recorded on the file as an employment status, the registration becomes 已安置, and
    /// the return visits are due from its date. Audited. Returns the placement's id.
    pub async fn place(&self, scope: &Scope, person: i64, input: &PlacementInput) -> Result<i64> {
        scope.require(scope.role().runs_job_services())?;
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let today = self.store.today();
        let on = date("安置日期", &input.date, today)?;
        let rules = EmploymentRules::shipped().map_err(StoreError::Internal)?;
        if !rules.of_working_age(rec.person.birth_date, on) {
            return Err(StoreError::Invalid(format!(
                "安置日期：此人不在劳动年龄段（{}至{}周岁）",
                rules.age_from, rules.age_to
            )));
        }
        let form = EmploymentForm::parse(&input.form)
            .filter(|f| f.is_employed())
            .ok_or_else(|| {
                StoreError::Invalid(format!("就业形式：“{}”不是就业形式", input.form.trim()))
            })?;
        let (employer_code, employer_name, post) = match input.posting_id {
            Some(id) => {
                let p = self.posting(scope, id).await?;
                if p.status != "open" {
                    return Err(StoreError::Invalid("该岗位已关闭".into()));
                }
                if p.filled >= i64::from(p.posting.openings) {
                    return Err(StoreError::Invalid(format!(
                        "该岗位招聘{}人，已安置满",
                        p.posting.openings
                    )));
                }
                (
                    p.posting.employer_code,
                    p.posting.employer_name,
                    p.posting.post,
                )
            }
            None => {
                let status = anju_domain::employment::StatusInput {
                    form: input.form.clone(),
                    since: on.to_string(),
                    employer_code: input.employer_code.clone(),
                    employer_name: input.employer_name.clone(),
                    ..Default::default()
                }
                .validate(rec.person.birth_date, today)
                .map_err(super::faults)?;
                let post = input.post.trim();
                if post.is_empty() || post.chars().count() > 100 {
                    return Err(StoreError::Invalid(
                        "岗位：请填写岗位（不超过100个字）".into(),
                    ));
                }
                (status.employer_code, status.employer_name, post.to_owned())
            }
        };
        let text = note(&input.note)?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO job_placements (person_id, posting_id, employer_code, employer_name, \
             post, form, placed_on, status, end_reason, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', '', $8, $9) RETURNING id",
        )
        .bind(rec.id)
        .bind(input.posting_id)
        .bind(employer_code.clone())
        .bind(employer_name.clone())
        .bind(post.clone())
        .bind(form.as_str())
        .bind(on.to_string())
        .bind(now)
        .bind(scope.username.clone())
        .fetch_one(&mut *tx)
        .await?;
        if let Some(pid) = input.posting_id {
            // Two placements racing for the last opening: the no-op update locks the posting's
            // row on PostgreSQL (SQLite writes one at a time), and the count after the insert
            // refuses the second.
            sqlx::query("UPDATE job_postings SET openings = openings WHERE id = $1")
                .bind(pid)
                .execute(&mut *tx)
                .await?;
            let (filled, openings): (i64, i64) = sqlx::query_as(
                "SELECT CAST((SELECT COUNT(*) FROM job_placements x WHERE x.posting_id = j.id \
                 AND x.status = 'active') AS BIGINT), openings FROM job_postings j WHERE j.id = $1",
            )
            .bind(pid)
            .fetch_one(&mut *tx)
            .await?;
            if filled > openings {
                return Err(StoreError::Invalid(format!(
                    "该岗位招聘{openings}人，已安置满"
                )));
            }
        }
        crate::employment::insert_status(
            &mut tx,
            rec.id,
            &Status {
                form,
                since: on,
                employer_code,
                employer_name: employer_name.clone(),
                reason: String::new(),
                means: String::new(),
            },
            now,
            &scope.username,
        )
        .await?;
        sqlx::query(
            "UPDATE job_seekers SET status = 'placed', updated_at = $1, updated_by = $2 \
             WHERE person_id = $3",
        )
        .bind(now)
        .bind(scope.username.clone())
        .bind(rec.id)
        .execute(&mut *tx)
        .await?;
        if !text.is_empty() {
            insert_step(
                &mut tx,
                rec.id,
                Some(id),
                StepKind::Referral,
                None,
                on,
                &text,
                now,
                &scope.username,
            )
            .await?;
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.job_placed",
                rec.audit_object(),
                Outcome::Success,
            )
            .detail(format!(
                "{employer_name} {post} {} {on}（安置{id}）",
                form.label()
            )),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn placement_person(
        &self,
        scope: &Scope,
        placement: i64,
    ) -> Result<(PersonRecord, String, String, String)> {
        let row = sqlx::query(
            "SELECT person_id, placed_on, status, employer_name FROM job_placements WHERE id = $1",
        )
        .bind(placement)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound("安置记录".into()))?;
        let rec = self
            .store
            .persons()
            .get_by_key(scope, row.try_get("person_id")?)
            .await?;
        Ok((
            rec,
            row.try_get("placed_on")?,
            row.try_get("status")?,
            row.try_get("employer_name")?,
        ))
    }

    /// Records return visit number `no` of a placement (once each); anyone who writes files
    /// in the person's subtree. Audited.
    pub async fn record_visit(
        &self,
        scope: &Scope,
        placement: i64,
        no: i64,
        on: &str,
        text: &str,
    ) -> Result<()> {
        scope.require(scope.role().writes_persons())?;
        let (rec, placed_on, status, _) = self.placement_person(scope, placement).await?;
        let sched = schedule()?;
        if u32::try_from(no).ok().and_then(|n| sched.rule(n)).is_none() {
            return Err(StoreError::Invalid(format!(
                "回访次序：应为1至{}",
                sched.0.len()
            )));
        }
        if status != "active" {
            return Err(StoreError::Invalid("该安置已失败并调整，不再回访".into()));
        }
        let on = date("回访日期", on, self.store.today())?;
        if on.to_string() < placed_on {
            return Err(StoreError::Invalid(format!(
                "回访日期：早于安置日期{placed_on}"
            )));
        }
        let text = note(text)?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let done: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM job_steps WHERE placement_id = $1 AND visit_no = $2",
        )
        .bind(placement)
        .bind(no)
        .fetch_optional(&mut *tx)
        .await?;
        if done.is_some() {
            return Err(StoreError::Invalid(format!("第{no}次回访已登记")));
        }
        insert_step(
            &mut tx,
            rec.id,
            Some(placement),
            StepKind::Visit,
            Some(no),
            on,
            &text,
            now,
            &scope.username,
        )
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.job_visit",
                rec.audit_object(),
                Outcome::Success,
            )
            .detail(format!("安置{placement}第{no}次回访 {on}")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A placement failed: it ends on `on` with the reason, the file records 未就业 (the reason
    /// and what the person lives on), an adjustment step opens and the registration seeks
    /// again. Staff above the village. Audited.
    pub async fn fail(
        &self,
        scope: &Scope,
        placement: i64,
        on: &str,
        reason: &str,
        means: &str,
    ) -> Result<()> {
        scope.require(scope.role().runs_job_services())?;
        let (rec, placed_on, status, employer) = self.placement_person(scope, placement).await?;
        if status != "active" {
            return Err(StoreError::Invalid("该安置已登记为失败".into()));
        }
        let today = self.store.today();
        let st = anju_domain::employment::StatusInput {
            form: EmploymentForm::Unemployed.label().into(),
            since: on.to_owned(),
            reason: reason.to_owned(),
            means: means.to_owned(),
            ..Default::default()
        }
        .validate(rec.person.birth_date, today)
        .map_err(super::faults)?;
        if st.since.to_string() < placed_on {
            return Err(StoreError::Invalid(format!(
                "起始日期：早于安置日期{placed_on}"
            )));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let n = sqlx::query(
            "UPDATE job_placements SET status = 'failed', ended_on = $1, end_reason = $2 \
             WHERE id = $3 AND status = 'active'",
        )
        .bind(st.since.to_string())
        .bind(st.reason.clone())
        .bind(placement)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Invalid("该安置已登记为失败".into()));
        }
        crate::employment::insert_status(&mut tx, rec.id, &st, now, &scope.username).await?;
        insert_step(
            &mut tx,
            rec.id,
            Some(placement),
            StepKind::Adjustment,
            None,
            st.since,
            &format!("{employer}安置失败：{}", st.reason),
            now,
            &scope.username,
        )
        .await?;
        sqlx::query(
            "UPDATE job_seekers SET status = 'seeking', updated_at = $1, updated_by = $2 \
             WHERE person_id = $3",
        )
        .bind(now)
        .bind(scope.username.clone())
        .bind(rec.id)
        .execute(&mut *tx)
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.job_failed",
                rec.audit_object(),
                Outcome::Success,
            )
            .detail(format!("安置{placement}失败 {}：{}", st.since, st.reason)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The person's chain.
    pub async fn chain(&self, scope: &Scope, person: i64) -> Result<Chain> {
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let steps = sqlx::query(
            "SELECT kind, placement_id, visit_no, on_date, note, created_by FROM job_steps \
             WHERE person_id = $1 ORDER BY on_date DESC, id DESC",
        )
        .bind(rec.id)
        .fetch_all(self.store.pool())
        .await?;
        let mut out = Chain::default();
        let mut visits: Vec<(i64, u32, NaiveDate)> = Vec::new();
        for r in &steps {
            let kind = StepKind::parse(&r.try_get::<String, _>("kind")?)
                .ok_or_else(|| StoreError::Internal("服务环节无法读取".into()))?;
            let s = JobStep {
                kind,
                placement_id: r.try_get("placement_id")?,
                visit_no: r.try_get("visit_no")?,
                on_date: r.try_get("on_date")?,
                note: r.try_get("note")?,
                created_by: r.try_get("created_by")?,
            };
            if let (StepKind::Visit, Some(p), Some(n), Ok(d)) =
                (kind, s.placement_id, s.visit_no, s.on_date.parse())
            {
                visits.push((p, u32::try_from(n).unwrap_or(0), d));
            }
            out.steps.push(s);
        }
        let sched = schedule()?;
        for r in sqlx::query(
            "SELECT * FROM job_placements WHERE person_id = $1 ORDER BY placed_on DESC, id DESC",
        )
        .bind(rec.id)
        .fetch_all(self.store.pool())
        .await?
        {
            let id: i64 = r.try_get("id")?;
            let placed_on: String = r.try_get("placed_on")?;
            let done: Vec<(u32, NaiveDate)> = visits
                .iter()
                .filter(|v| v.0 == id)
                .map(|v| (v.1, v.2))
                .collect();
            let status: String = r.try_get("status")?;
            out.placements.push(PlacementRecord {
                id,
                person_id: rec.id,
                posting_id: r.try_get("posting_id")?,
                employer_code: r.try_get("employer_code")?,
                employer_name: r.try_get("employer_name")?,
                post: r.try_get("post")?,
                form: EmploymentForm::parse(&r.try_get::<String, _>("form")?)
                    .unwrap_or(EmploymentForm::Flexible),
                visits: match placed_on.parse() {
                    Ok(d) if status == "active" => sched.visits(d, &done),
                    // A failed placement keeps the visits made, none due.
                    Ok(d) => sched
                        .visits(d, &done)
                        .into_iter()
                        .filter(|v| v.done.is_some())
                        .collect(),
                    Err(_) => Vec::new(),
                },
                placed_on,
                status,
                ended_on: r.try_get("ended_on")?,
                end_reason: r.try_get("end_reason")?,
                created_by: r.try_get("created_by")?,
            });
        }
        Ok(out)
    }

    /// The return visits on the worklist in the scope on `today` (each active placement's
    /// next visit, once within its notice), the earliest due first.
    pub async fn due_visits(&self, scope: &Scope) -> Result<Vec<DueVisit>> {
        scope.require(scope.role().reads_persons())?;
        due_visits(self.store, scope, self.store.today()).await
    }
}

async fn due_visits(store: &Store, scope: &Scope, today: NaiveDate) -> Result<Vec<DueVisit>> {
    let sched = schedule()?;
    let mut w = Where::default();
    w.push_prefix(store.backend(), "p.household_code", scope.prefix());
    w.push_plain("x.status = 'active'");
    w.push_plain("p.life_status = 'living'");
    // Placements whose last visit is not yet made: placed within the schedule's reach.
    let last = sched.0.iter().map(|r| r.months).max().unwrap_or(0);
    let oldest = today
        .checked_sub_months(chrono::Months::new(last + 12))
        .unwrap_or(today);
    w.push("x.placed_on >= ?", Arg::Text(oldest.to_string()));
    let sql = format!(
        "SELECT x.id, x.person_id, x.placed_on, x.employer_name, x.post, p.name, p.id_number, \
         p.household_code, (SELECT COUNT(*) FROM job_steps v WHERE v.placement_id = x.id \
         AND v.kind = 'visit') AS made FROM job_placements x JOIN persons p ON p.id = x.person_id \
         WHERE {} ORDER BY x.placed_on",
        w.sql()
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in w.args {
        q = a.bind_owned(q);
    }
    let rows = q.fetch_all(store.pool()).await?;
    let whole = scope.role().sees_identifiers();
    let mut out = Vec::new();
    for r in rows {
        let made: i64 = r.try_get("made")?;
        if made >= sched.0.len() as i64 {
            continue;
        }
        let id: i64 = r.try_get("id")?;
        let done: Vec<(u32, NaiveDate)> = sqlx::query(
            "SELECT visit_no, on_date FROM job_steps WHERE placement_id = $1 AND kind = 'visit'",
        )
        .bind(id)
        .fetch_all(store.pool())
        .await?
        .iter()
        .filter_map(|v| {
            let n: i64 = v.try_get("visit_no").ok()?;
            let d: String = v.try_get("on_date").ok()?;
            Some((u32::try_from(n).ok()?, d.parse().ok()?))
        })
        .collect();
        let placed_on: String = r.try_get("placed_on")?;
        let Ok(placed) = placed_on.parse::<NaiveDate>() else {
            continue;
        };
        if let Some(visit) = sched.next_on_worklist(placed, &done, today) {
            let household: String = r.try_get("household_code")?;
            let id_number: String = r.try_get("id_number")?;
            let town = format!("{:0<12}", household.get(..9).unwrap_or(&household));
            out.push(DueVisit {
                placement_id: id,
                person_id: r.try_get("person_id")?,
                name: r.try_get("name")?,
                id_number: if whole {
                    id_number
                } else {
                    mask::id_number(&id_number)
                },
                town: RegionTable::jiangsu().name_of(&town),
                employer_name: r.try_get("employer_name")?,
                post: r.try_get("post")?,
                placed_on,
                overdue: visit.due < today,
                visit,
            });
        }
    }
    out.sort_by_key(|v| (v.visit.due, v.placement_id));
    Ok(out)
}

/// The worklist's line for the return visits due in the scope.
pub(crate) async fn work_items(
    store: &Store,
    scope: &Scope,
    today: NaiveDate,
) -> Result<Vec<WorkItem>> {
    let due = due_visits(store, scope, today).await?;
    let Some(first) = due.first() else {
        return Ok(Vec::new());
    };
    let overdue = due.iter().filter(|v| v.overdue).count();
    Ok(vec![WorkItem {
        kind: "job_visit",
        label: if overdue > 0 {
            format!(
                "{} 次就业跟踪回访到期（其中 {overdue} 次已逾期）",
                due.len()
            )
        } else {
            format!("{} 次就业跟踪回访到期", due.len())
        },
        count: due.len() as i64,
        due: Some(first.visit.due),
        overdue: overdue > 0,
        href: "/jobs/visits".into(),
    }])
}
