//! Online assessment sessions (线上评定): a county schedules a day with a designated hospital
//! and its doctors, puts applicants waiting for assessment on it, and records their outcomes
//! together; each outcome is the application's assessment step, so the same rules hold.

use anju_domain::application::{Action, AppState, Assessment};
use anju_domain::audit::Outcome;
use anju_domain::certificate::{Category, Components, Grade};
use anju_domain::{RegionCode, RegionTable};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use crate::audit::NewEntry;
use crate::sql::Where;
use crate::subsidy::Rejection;
use crate::{ApplicationRecord, Result, Scope, Store, StoreError};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssessmentSession {
    pub id: i64,
    pub held_on: NaiveDate,
    pub hospital: String,
    pub doctors: String,
    pub region_code: String,
    pub created_by: String,
    pub applicants: Vec<ApplicationRecord>,
}

/// One applicant's outcome.
#[derive(Debug, Clone)]
pub struct SessionOutcome {
    pub application_id: i64,
    pub category: Category,
    pub grade: Grade,
    pub components: Components,
}

pub struct AssessmentSessions<'a> {
    store: &'a Store,
}

impl Store {
    pub fn assessment_sessions(&self) -> AssessmentSessions<'_> {
        AssessmentSessions { store: self }
    }
}

fn may_run(scope: &Scope) -> Result<()> {
    scope.require(matches!(
        scope.role,
        anju_domain::Role::Admin | anju_domain::Role::County
    ))
}

impl AssessmentSessions<'_> {
    /// Schedules a session in the scope's region.
    pub async fn schedule(
        &self,
        scope: &Scope,
        held_on: NaiveDate,
        hospital: &str,
        doctors: &str,
    ) -> Result<AssessmentSession> {
        may_run(scope)?;
        if hospital.trim().is_empty() || doctors.trim().is_empty() {
            return Err(StoreError::invalid("请填写评定机构和评定医生"));
        }
        let now = self.store.now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO assessment_sessions (held_on, hospital, doctors, region_code, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(held_on.to_string())
        .bind(hospital.trim().to_owned())
        .bind(doctors.trim().to_owned())
        .bind(scope.region.code.to_string())
        .bind(scope.username.clone())
        .bind(now)
        .fetch_one(self.store.pool())
        .await?;
        self.store
            .audit()
            .record(
                NewEntry::by(
                    scope,
                    "assessment_session.schedule",
                    format!("session:{id}"),
                    Outcome::Success,
                )
                .detail(format!("{held_on} {}", hospital.trim())),
            )
            .await?;
        self.get(scope, id).await
    }

    /// Sessions of the scope's subtree, latest first.
    pub async fn list(&self, scope: &Scope) -> Result<Vec<AssessmentSession>> {
        scope.require(scope.role.reads_persons())?;
        let mut w = Where::default();
        w.push_prefix(self.store.backend(), "region_code", scope.prefix());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM assessment_sessions WHERE {} ORDER BY held_on DESC, id DESC LIMIT 200",
            w.sql()
        )));
        for a in &w.args {
            q = a.bind(q);
        }
        let ids: Vec<i64> = q
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        let mut out = Vec::new();
        for id in ids {
            out.push(self.get(scope, id).await?);
        }
        Ok(out)
    }

    /// One session with its applicants.
    pub async fn get(&self, scope: &Scope, id: i64) -> Result<AssessmentSession> {
        scope.require(scope.role.reads_persons())?;
        let r = sqlx::query(
            "SELECT id, held_on, hospital, doctors, region_code, created_by FROM \
             assessment_sessions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound("评定场次".into()))?;
        let region: String = r.try_get("region_code")?;
        let code = RegionTable::jiangsu().current(&region)?.code.clone();
        if !scope.covers(&code) {
            return Err(StoreError::NotFound("评定场次".into()));
        }
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT application_id FROM session_applicants WHERE session_id = $1 \
             ORDER BY application_id",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?;
        let mut applicants = Vec::new();
        for a in ids {
            applicants.push(self.store.applications().get(scope, a).await?.0);
        }
        let held: String = r.try_get("held_on")?;
        Ok(AssessmentSession {
            id,
            held_on: held
                .parse()
                .map_err(|_| StoreError::Internal("评定日期无法读取".into()))?,
            hospital: r.try_get("hospital")?,
            doctors: r.try_get("doctors")?,
            region_code: region,
            created_by: r.try_get("created_by")?,
            applicants,
        })
    }

    /// Puts an application waiting for assessment on the session.
    pub async fn add(&self, scope: &Scope, id: i64, application: i64) -> Result<AssessmentSession> {
        may_run(scope)?;
        let session = self.get(scope, id).await?;
        let (a, _) = self.store.applications().get(scope, application).await?;
        if a.state != AppState::Applied || !a.kind.needs_assessment() {
            return Err(StoreError::invalid("只有待评定的申请可以安排评定"));
        }
        let code = RegionCode::parse(&a.household_code)
            .map_err(|_| StoreError::Internal("户籍地无法读取".into()))?;
        if !RegionTable::jiangsu()
            .current(&session.region_code)?
            .covers(&code)
        {
            return Err(StoreError::invalid("申请人不在本场次的区域内"));
        }
        sqlx::query(
            "INSERT INTO session_applicants (session_id, application_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(application)
        .execute(self.store.pool())
        .await?;
        self.get(scope, id).await
    }

    /// Records outcomes together: each is the application's assessment step on the session's
    /// day by its hospital and doctors. Returns the refusals, by applicant.
    pub async fn record(
        &self,
        scope: &Scope,
        id: i64,
        outcomes: Vec<SessionOutcome>,
    ) -> Result<Vec<Rejection>> {
        may_run(scope)?;
        let session = self.get(scope, id).await?;
        let mut refused = Vec::new();
        for (i, o) in outcomes.into_iter().enumerate() {
            if !session.applicants.iter().any(|a| a.id == o.application_id) {
                refused.push(Rejection::new(
                    i + 1,
                    "申请",
                    "not_on_session",
                    format!("申请#{} 不在本场次", o.application_id),
                ));
                continue;
            }
            let action = Action::Assess(Assessment {
                hospital: session.hospital.clone(),
                doctor: session.doctors.clone(),
                date: session.held_on,
                category: o.category,
                grade: o.grade,
                components: o.components,
            });
            if let Err(e) = self
                .store
                .applications()
                .step(scope, o.application_id, action)
                .await
            {
                match e {
                    StoreError::Invalid(m) => {
                        refused.push(Rejection::new(i + 1, "评定结果", "refused", m))
                    }
                    other => return Err(other),
                }
            }
        }
        Ok(refused)
    }
}
