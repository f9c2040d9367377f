//! Anju's data layer: one schema and one set of queries for SQLite (the embedded default) and
//! PostgreSQL (large deployments).
//!
//! Every query goes through sqlx's `Any` driver with `$n` placeholders, which both engines
//! accept, so there is a single code path; the schema differs only where the engines do
//! (identity columns, trigger syntax) and lives in `migrations/{sqlite,postgres}`. Functions
//! that read or change people's data, accounts or the audit log take a [`Scope`], which only
//! this crate can make (from a login, a session, or a named local account for the CLI).
//! Every change writes its audit entry in the same transaction.

mod applications;
mod audit;
mod backup;
mod care;
mod cases;
mod certificates;
mod clock;
mod crosscheck;
mod dept_keys;
mod devices;
mod employment;
mod error;
mod homes;
mod indicators;
mod jobs;
mod levy;
mod needs;
mod persons;
mod programmes;
mod providers;
mod scope;
mod security;
mod sessions;
mod sessions_assess;
mod settlement;
mod spool;
mod sql;
mod subsidy;
mod survey;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod training;
mod users;
mod verification;
mod visits;
mod worklist;

#[cfg(test)]
mod applications_tests;
#[cfg(test)]
mod certificates_tests;
#[cfg(test)]
mod contract_tests;
#[cfg(test)]
mod crosscheck_tests;
#[cfg(test)]
mod indicators_tests;
#[cfg(test)]
mod jobs_tests;
#[cfg(test)]
mod levy_tests;
#[cfg(test)]
mod persons_tests;
#[cfg(test)]
mod programmes_tests;
#[cfg(test)]
mod services_tests;
#[cfg(test)]
mod subsidy_tests;
#[cfg(test)]
mod survey_tests;
#[cfg(test)]
mod visits_tests;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anju_domain::RegionTable;
use anju_domain::audit::AuditKey;
use anju_domain::session::SessionPolicy;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

pub use applications::{ApplicationRecord, Applications, StepRecord};
pub use audit::{ANCHOR_FILE, Audit, AuditFilter, AuditPage, NewEntry};
pub use backup::{Manifest, RestoreTarget, restore};
pub use care::{
    Care, ReturnCheck, SupervisionFilter, SupervisionLine, SupervisionTotal, plan_text,
};
pub use cases::{
    CaseFilter, CaseRecord, CaseRow, CaseStepRecord, Cases, DeliveryRecord, DeliveryRow, ReportLine,
};
pub use certificates::{Certificates, SweepChange, SweepReport};
pub use clock::{Clock, ManualClock, SystemClock};
pub use crosscheck::{
    Batch, CLASSES, Classes, Crosschecks, Item, ResultRow, RowFault, RunResult, Task, TownClasses,
    class_label,
};
pub use dept_keys::{DeptKey, DeptKeys, MAX_IDS, Purpose, Verified};
pub use devices::{CaseDevice, DeviceItemRecord, Devices, is_rental};
pub use employment::{Employment, NewlyEmployed, StatusRecord};
pub use error::StoreError;
pub use homes::{Evaluation, HomeLine, Homes, SchemeRecord};
pub use indicators::{
    Basis, BehindPage, BehindPerson, Board, BoardJson, CaseLine, CertLine, ChildJson, ChildValue,
    IndicatorJson, IndicatorValue, Indicators, Report, SnapshotTaken, SubsidyLine, TargetImport,
    TargetLine, TargetRow, TargetSheet, When, people::Which,
};
pub use jobs::chain::{Chain, DueVisit, JobStep, PlacementInput, PlacementRecord};
pub use jobs::{Jobs, MATCH_LIMIT, PostingMatch, PostingRecord, SeekerMatch, SeekerRecord};
pub use levy::{Levies, LevyLine, LevyRun};
pub use needs::{Gap, GapCount, Gaps, Needs};
pub use persons::{
    Conflict, HistoryEntry, ImportBatch, ImportCounts, ImportRules, PersonFilter, PersonPage,
    PersonRecord, Persons, RowOutcome, Sort, Source,
};
pub use programmes::{
    DiagnosisRecord, EligiblePerson, ProgrammeImport, ProgrammeRecord, Programmes,
};
pub use providers::{ProviderRecord, Providers};
pub use scope::Scope;
pub use security::{IdSearchFlag, Security};
pub use sessions::{Authenticated, LoginError, LoginOk, SessionKind, Sessions, random_token};
pub use sessions_assess::{AssessmentSession, AssessmentSessions, SessionOutcome};
pub use settlement::{Bill, BillLine, Draft, Settlements};
pub use subsidy::{
    Apply, AssistanceRow, BankLine, EventRow, FailedLine, GrantRow, GrantView, HeldLine,
    LineFilter, LineView, PaidLine, PersonSubsidies, RecoveryRecord, Rejection, ReturnRow, Roll,
    RollDiff, RollLine, RollOutcome, RollSummary, StoppedLine, Subsidies, TableResult, TownTotal,
};
pub use survey::{Survey, SurveyForm, SurveyProgress};
pub use training::{AttendanceRecord, CourseRecord, TrainedCount, Training};
pub use users::{Bootstrap, NewUser, User, Users};
pub use verification::{
    Campaign, RESULTS, TownProgress, Verification, VerificationItem, result_label,
};
pub use visits::{DueFilter, Followup, VisitDue, VisitLabels, VisitRecord, Visits};
pub use worklist::{TownLoad, WorkItem, Worklist};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "数据库地址应以 sqlite:// 或 postgres:// 开头：{}",
                redact_url(url)
            )))
        }
    }
}

/// The Beijing date of an instant given in ms since the epoch.
pub fn beijing_date(ms: i64) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms.saturating_add(8 * 3_600_000))
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// The URL of the embedded database inside a data directory.
pub fn sqlite_url_for(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("anju.db").display())
}

/// A URL with any password replaced, fit for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

struct Inner {
    pool: AnyPool,
    /// The URL the store was opened with (backups hand it to pg_dump).
    url: String,
    backend: Backend,
    clock: Arc<dyn Clock>,
    /// The defaults given at open, with the administrator's settings applied.
    policy: std::sync::RwLock<SessionPolicy>,
    /// The secret the audit chain is keyed with, kept outside the database.
    audit_key: Option<AuditKey>,
    /// Where audit records wait while the main SQLite database is busy.
    spool: Option<spool::Spool>,
    touches: sessions::Touches,
    /// Serialises reading and changing the security settings.
    settings: tokio::sync::Mutex<()>,
    worklists: worklist::WorklistCache,
    /// One recount of the indicators' village tallies at a time.
    indicators: tokio::sync::Mutex<()>,
}

/// The handle every layer above holds. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl Store {
    /// Connects, switches SQLite to WAL, and runs the embedded migrations. Running it again on
    /// the same database changes nothing.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, Arc::new(SystemClock), SessionPolicy::default()).await
    }

    /// Opens with the audit key the deployment keeps outside the database (see
    /// [`Audit::start_keyed`]).
    pub async fn open_keyed(url: &str, audit_key: Option<AuditKey>) -> Result<Self> {
        Self::open_full(
            url,
            Arc::new(SystemClock),
            SessionPolicy::default(),
            audit_key,
        )
        .await
    }

    pub async fn open_with(
        url: &str,
        clock: Arc<dyn Clock>,
        policy: SessionPolicy,
    ) -> Result<Self> {
        Self::open_full(url, clock, policy, None).await
    }

    pub async fn open_full(
        url: &str,
        clock: Arc<dyn Clock>,
        policy: SessionPolicy,
        audit_key: Option<AuditKey>,
    ) -> Result<Self> {
        install_default_drivers();
        let backend = Backend::from_url(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "PRAGMA busy_timeout = {}",
                            spool::BUSY_TIMEOUT_MS
                        )))
                        .execute(conn)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(|e| StoreError::Connect(format!("{}：{}", redact_url(url), e)))?;
        if backend == Backend::Sqlite {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&pool)
                .await?;
            if !mode.eq_ignore_ascii_case("wal") {
                sqlx::query("PRAGMA journal_mode = WAL")
                    .execute(&pool)
                    .await?;
            }
        }
        let migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        let spool = match backend {
            Backend::Sqlite => {
                let upto: i64 =
                    sqlx::query_scalar("SELECT spooled_upto FROM audit_head WHERE id = 1")
                        .fetch_one(&pool)
                        .await?;
                spool::Spool::open(url, upto).await?
            }
            Backend::Postgres => Some(spool::Spool::postgres(pool.clone())),
        };
        let store = Self {
            inner: Arc::new(Inner {
                pool,
                url: url.to_owned(),
                backend,
                clock,
                policy: std::sync::RwLock::new(policy),
                audit_key,
                spool,
                touches: sessions::Touches::default(),
                settings: tokio::sync::Mutex::new(()),
                worklists: worklist::WorklistCache::default(),
                indicators: tokio::sync::Mutex::new(()),
            }),
        };
        store.audit().start_keyed().await?;
        // Whatever a crash left in the spool joins the chain now.
        store.drain_audit_spool(spool::BUSY_TIMEOUT_MS).await?;
        certificates::seed(&store).await?;
        programmes::seed(&store).await?;
        devices::seed(&store).await?;
        homes::seed(&store).await?;
        store.security().load().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The official region table (embedded in the binary).
    pub fn regions(&self) -> &'static RegionTable {
        RegionTable::jiangsu()
    }

    /// The session, lockout and flagging rules in force.
    pub fn policy(&self) -> SessionPolicy {
        *self
            .inner
            .policy
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn set_policy(&self, policy: SessionPolicy) {
        *self
            .inner
            .policy
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = policy;
    }

    pub(crate) async fn settings_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.settings.lock().await
    }

    pub(crate) fn worklist_cache(&self) -> &worklist::WorklistCache {
        &self.inner.worklists
    }

    pub(crate) fn touches(&self) -> &sessions::Touches {
        &self.inner.touches
    }

    pub(crate) fn spool(&self) -> Option<&spool::Spool> {
        self.inner.spool.as_ref()
    }

    pub(crate) fn url(&self) -> &str {
        &self.inner.url
    }

    pub(crate) fn audit_key(&self) -> Option<&AuditKey> {
        self.inner.audit_key.as_ref()
    }

    pub fn security(&self) -> Security<'_> {
        Security::new(self)
    }

    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// Today's date in Beijing (UTC+8, all year), the date of the federation's work.
    pub fn today(&self) -> chrono::NaiveDate {
        beijing_date(self.now_ms())
    }

    pub fn users(&self) -> Users<'_> {
        Users::new(self)
    }

    pub fn sessions(&self) -> Sessions<'_> {
        Sessions::new(self)
    }

    pub fn persons(&self) -> Persons<'_> {
        Persons::new(self)
    }

    pub fn audit(&self) -> Audit<'_> {
        Audit::new(self)
    }

    /// A transaction that holds the write lock from its first statement. SQLite's default
    /// deferred transactions fail, not wait, when a read turns into a write under concurrency.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.inner.backend {
            Backend::Sqlite => self.inner.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.inner.pool.begin().await?,
        })
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    /// Where sessions and failed passwords live: the spool's file on SQLite (free while a
    /// long job holds the main database), the main database on PostgreSQL.
    pub(crate) fn live(&self) -> &AnyPool {
        self.spool().map_or(&self.inner.pool, spool::Spool::pool)
    }

    /// A write transaction on [`Self::live`].
    pub(crate) async fn begin_live(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match (self.backend(), self.spool()) {
            (Backend::Sqlite, Some(s)) => s.pool().begin_with("BEGIN IMMEDIATE").await?,
            _ => self.begin_write().await?,
        })
    }

    /// Settings and checks of the open database, for health reports and tests.
    pub async fn pragma_report(&self) -> Result<Vec<(String, String)>> {
        match self.inner.backend {
            Backend::Sqlite => {
                let jm: String = sqlx::query_scalar("PRAGMA journal_mode")
                    .fetch_one(self.pool())
                    .await?;
                let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                    .fetch_one(self.pool())
                    .await?;
                Ok(vec![
                    ("journal_mode".into(), jm.to_lowercase()),
                    ("foreign_keys".into(), fk.to_string()),
                ])
            }
            Backend::Postgres => {
                let row = sqlx::query("SELECT version()")
                    .fetch_one(self.pool())
                    .await?;
                Ok(vec![("version".into(), row.try_get::<String, _>(0)?)])
            }
        }
    }

    /// The connection pool: (connections open, idle), for metrics.
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.inner.pool.size(), self.inner.pool.num_idle())
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }

    /// Takes what waits in the audit spool into the chain, and closes.
    pub async fn close(&self) {
        let _ = self.sessions().flush_touches().await;
        if let Err(e) = self.drain_audit_spool(spool::BUSY_TIMEOUT_MS).await {
            tracing::warn!("audit spool not drained at close: {e}");
        }
        if let Some(s) = self.spool() {
            s.close().await;
        }
        self.inner.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_apart_and_redacted() {
        assert_eq!(
            Backend::from_url("sqlite://x.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::from_url("postgresql://a@b/c").ok(),
            Some(Backend::Postgres)
        );
        assert!(Backend::from_url("mysql://x").is_err());
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/d"),
            "postgres://u:***@h:5432/d"
        );
        assert_eq!(redact_url("postgres://u@h/d"), "postgres://u@h/d");
    }
}
