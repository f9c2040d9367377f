//! Certificate applications: made for a file in the user's subtree, moved step by step by the
//! roles the domain allows, each step recorded with who, when and what. Issuing writes the
//! certificate to the person's file with history; a cancellation is remembered for the year in
//! which no new application is taken. Two staff acting at once: exactly one step is recorded.

use anju_domain::RegionTable;
use anju_domain::application::{Action, AppKind, AppState, Application, StepError};
use anju_domain::audit::Outcome;
use anju_domain::certificate::{Category, CertState, CertificateNumber, Components, Grade};
use anju_domain::id_number::IdNumber;
use anju_domain::mask;
use anju_domain::person::Person;
use chrono::{Months, NaiveDate};
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::persons::{HistoryRow, Persons, Source, changes, update_one, write_history};
use crate::sql::Where;
use crate::{Result, Scope, Store, StoreError};

/// An application as lists and pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApplicationRecord {
    pub id: i64,
    pub person_id: i64,
    pub id_number: String,
    pub name: String,
    pub kind: AppKind,
    pub state: AppState,
    pub since: NaiveDate,
    pub applied_on: NaiveDate,
    pub household_code: String,
    pub target_household: Option<String>,
    pub note: String,
    pub created_by: String,
    /// When the step now due must be taken, if it has a limit.
    pub deadline: Option<NaiveDate>,
}

/// One recorded step.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepRecord {
    pub action: String,
    pub on_date: String,
    pub detail: String,
    pub from_state: String,
    pub to_state: String,
    pub actor: String,
    pub at_ms: i64,
}

pub struct Applications<'a> {
    store: &'a Store,
}

impl Store {
    pub fn applications(&self) -> Applications<'_> {
        Applications { store: self }
    }
}

fn step_error(e: StepError) -> StoreError {
    StoreError::Invalid(e.to_string())
}

const COLUMNS: &str = "a.id, a.person_id, p.id_number, p.name, a.kind, a.state, a.since, \
    a.applied_on, a.household_code, a.target_household, a.note, a.created_by, a.version, \
    p.category AS p_category, p.grade AS p_grade";

struct Loaded {
    record: ApplicationRecord,
    version: i64,
    /// The file's category and grade (none before its first assessment).
    current: Option<(Category, Grade)>,
}

fn load_row(r: &sqlx::any::AnyRow) -> Result<Loaded> {
    let bad = |w: &str| StoreError::Internal(format!("申请的{w}无法读取"));
    let date = |s: String| s.parse::<NaiveDate>().map_err(|_| bad("日期"));
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    let category = r
        .try_get::<Option<i64>, _>("p_category")?
        .map(|c| {
            u8::try_from(c)
                .ok()
                .and_then(Category::new)
                .ok_or_else(|| bad("类别"))
        })
        .transpose()?;
    let grade = r
        .try_get::<Option<i64>, _>("p_grade")?
        .map(|g| {
            u8::try_from(g)
                .ok()
                .and_then(Grade::new)
                .ok_or_else(|| bad("等级"))
        })
        .transpose()?;
    Ok(Loaded {
        record: ApplicationRecord {
            id: r.try_get("id")?,
            person_id: r.try_get("person_id")?,
            id_number: r.try_get("id_number")?,
            name: r.try_get("name")?,
            kind: AppKind::parse(&kind).ok_or_else(|| bad("类型"))?,
            state: AppState::parse(&state).ok_or_else(|| bad("状态"))?,
            since: date(r.try_get("since")?)?,
            applied_on: date(r.try_get("applied_on")?)?,
            household_code: r.try_get("household_code")?,
            target_household: r.try_get("target_household")?,
            note: r.try_get("note")?,
            created_by: r.try_get("created_by")?,
            deadline: None,
        },
        version: r.try_get("version")?,
        current: category.zip(grade),
    })
}

impl Applications<'_> {
    /// Takes an application for the file with `id_number` (in the scope) on `date`.
    pub async fn apply(
        &self,
        scope: &Scope,
        id_number: &IdNumber,
        kind: AppKind,
        date: NaiveDate,
        target_household: Option<&str>,
        note: &str,
    ) -> Result<ApplicationRecord> {
        scope.require(scope.role.writes_persons())?;
        if date > self.store.today() {
            return Err(StoreError::invalid("申请日期不能晚于今天"));
        }
        let target = match (
            kind,
            target_household.map(str::trim).filter(|t| !t.is_empty()),
        ) {
            (AppKind::Transfer, Some(t)) => {
                Some(RegionTable::jiangsu().current(t)?.code.to_string())
            }
            (AppKind::Transfer, None) => {
                return Err(StoreError::invalid("迁移申请须填写迁入地区划代码"));
            }
            _ => None,
        };
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let rec = Persons::new(self.store)
            .find(&mut tx, id_number)
            .await?
            .filter(|r| scope.covers(&r.person.household_code))
            .ok_or_else(|| StoreError::NotFound("档案".into()))?;
        let id = self
            .open_in(&mut tx, scope, &rec, kind, date, target, note, now)
            .await?;
        tx.commit().await?;
        self.get(scope, id).await.map(|(a, _)| a)
    }

    /// 新办 for someone who may have no file yet: opens the file from `person` (not yet
    /// assessed: the assessment gives the category and grade) and the application in one
    /// transaction, so that neither exists without the other. A file already in the scope
    /// under the same name takes the application as [`Self::apply`] would; under another name
    /// the clerk is told whose file the number opens; outside the scope it is refused as a
    /// new file would be.
    pub async fn apply_new(
        &self,
        scope: &Scope,
        person: Person,
        date: NaiveDate,
        note: &str,
        source: Source,
    ) -> Result<ApplicationRecord> {
        scope.require(scope.role.writes_persons())?;
        if !scope.covers(&person.household_code) {
            return Err(StoreError::Forbidden);
        }
        if date > self.store.today() {
            return Err(StoreError::invalid("申请日期不能晚于今天"));
        }
        let persons = Persons::new(self.store);
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let rec = match persons.find(&mut tx, &person.id_number).await? {
            Some(existing) if !scope.covers(&existing.person.household_code) => {
                drop(tx);
                return Err(persons.filed_already(scope, &existing).await);
            }
            Some(existing) if existing.person.name != person.name => {
                return Err(StoreError::invalid(format!(
                    "身份证号 {} 已有档案，姓名为“{}”，与填写的“{}”不一致：请核对身份证号，\
                     或打开该档案受理",
                    mask::id_number(person.id_number.as_str()),
                    existing.person.name,
                    person.name
                )));
            }
            Some(existing) => existing,
            None => {
                let id = persons
                    .insert_new(&mut tx, scope, &person, source, false, now)
                    .await?;
                crate::PersonRecord {
                    id,
                    person,
                    created_at_ms: now,
                    created_by: scope.username.clone(),
                    updated_at_ms: now,
                }
            }
        };
        let id = self
            .open_in(&mut tx, scope, &rec, AppKind::New, date, None, note, now)
            .await?;
        tx.commit().await?;
        self.get(scope, id).await.map(|(a, _)| a)
    }

    /// The checks an application must pass against the file and the applications under way,
    /// then the application itself, its first step and its audit record, inside `tx`.
    #[allow(clippy::too_many_arguments)]
    async fn open_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        scope: &Scope,
        rec: &crate::PersonRecord,
        kind: AppKind,
        date: NaiveDate,
        target: Option<String>,
        note: &str,
        now: i64,
    ) -> Result<i64> {
        let p = &rec.person;
        let open: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM certificate_applications WHERE person_id = $1 \
             AND state IN {} LIMIT 1",
            AppState::open_sql()
        )))
        .bind(rec.id)
        .fetch_optional(&mut *tx)
        .await?;
        if open.is_some() {
            return Err(StoreError::invalid("此人已有办理中的申请，请先办结"));
        }
        let holds = p.holds_certificate() && p.cert_state != CertState::Cancelled;
        match kind {
            AppKind::New => {
                if holds && p.cert_valid_to.is_none_or(|v| v >= date) {
                    return Err(StoreError::invalid(
                        "此人已持有残疾人证，请办理换领、变更或补办",
                    ));
                }
                if p.cert_state == CertState::Cancelled {
                    let rules = self.store.certificates().rules().await?;
                    let cancelled: Option<String> = sqlx::query_scalar(
                        "SELECT MAX(on_date) FROM certificate_events WHERE person_id = $1 \
                         AND kind = 'cancelled'",
                    )
                    .bind(rec.id)
                    .fetch_one(&mut *tx)
                    .await?;
                    if let Some(on) = cancelled.and_then(|d| d.parse::<NaiveDate>().ok()) {
                        let open_on = on
                            .checked_add_months(Months::new(rules.reapply_after_months))
                            .unwrap_or(on);
                        if date < open_on {
                            return Err(StoreError::invalid(format!(
                                "残疾人证于 {on} 注销，{} 个月内不得重新申请（{open_on} 起可申请）",
                                rules.reapply_after_months
                            )));
                        }
                    }
                }
            }
            _ if !holds => {
                return Err(StoreError::invalid(format!(
                    "此人没有可{}的残疾人证",
                    kind.label()
                )));
            }
            _ => {}
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO certificate_applications (person_id, kind, state, since, applied_on, \
             household_code, target_household, note, created_at, created_by, version) \
             VALUES ($1, $2, 'applied', $3, $3, $4, $5, $6, $7, $8, 1) RETURNING id",
        )
        .bind(rec.id)
        .bind(kind.as_str())
        .bind(date.to_string())
        .bind(p.household_code.to_string())
        .bind(target)
        .bind(note.trim().to_owned())
        .bind(now)
        .bind(scope.username.clone())
        .fetch_one(&mut *tx)
        .await?;
        record_step(
            &mut *tx,
            id,
            "apply",
            date,
            kind.label(),
            "",
            "applied",
            scope,
            now,
        )
        .await?;
        append(
            self.store,
            &mut *tx,
            now,
            NewEntry::by(
                scope,
                "certificate.apply",
                rec.audit_object(),
                Outcome::Success,
            )
            .detail(format!("申请#{id} {}", kind.label())),
        )
        .await?;
        Ok(id)
    }

    /// One application and its steps, if it is in the scope.
    pub async fn get(
        &self,
        scope: &Scope,
        id: i64,
    ) -> Result<(ApplicationRecord, Vec<StepRecord>)> {
        scope.require(scope.role.reads_persons())?;
        let mut conn = self.store.pool().acquire().await?;
        let loaded = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM certificate_applications a JOIN persons p ON p.id = a.person_id \
             WHERE a.id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(load_row)
        .transpose()?
        .filter(|l| scope.covers_code(&l.record.household_code))
        .ok_or_else(|| StoreError::NotFound("申请".into()))?;
        let steps = sqlx::query(
            "SELECT action, on_date, detail, from_state, to_state, actor, at_ms FROM \
             application_steps WHERE application_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(StepRecord {
                action: r.try_get("action")?,
                on_date: r.try_get("on_date")?,
                detail: r.try_get("detail")?,
                from_state: r.try_get("from_state")?,
                to_state: r.try_get("to_state")?,
                actor: r.try_get("actor")?,
                at_ms: r.try_get("at_ms")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        drop(conn);
        let mut record = loaded.record;
        record.deadline = self.deadline(&record).await?;
        Ok((record, steps))
    }

    async fn deadline(&self, r: &ApplicationRecord) -> Result<Option<NaiveDate>> {
        let cal = self.store.certificates().calendar().await?;
        Ok(Application {
            kind: r.kind,
            state: r.state,
            since: r.since,
            current: None,
        }
        .deadline(&cal))
    }

    /// Applications in the scope's subtree, open ones first, newest first (up to 500); of one
    /// person when `person` is given.
    pub async fn list(&self, scope: &Scope, person: Option<i64>) -> Result<Vec<ApplicationRecord>> {
        scope.require(scope.role.reads_persons())?;
        let mut w = Where::default();
        w.push_prefix(self.store.backend(), "a.household_code", scope.prefix());
        if let Some(id) = person {
            w.push("a.person_id = ?", crate::sql::Arg::Int(id));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM certificate_applications a JOIN persons p ON p.id = a.person_id \
             WHERE {} ORDER BY CASE WHEN a.state IN ('issued', 'closed') THEN 1 ELSE 0 END, \
             a.id DESC LIMIT 500",
            w.sql()
        )));
        for a in &w.args {
            q = a.bind(q);
        }
        let rows = q.fetch_all(self.store.pool()).await?;
        let cal = self.store.certificates().calendar().await?;
        rows.iter()
            .map(|r| {
                let mut rec = load_row(r)?.record;
                rec.deadline = Application {
                    kind: rec.kind,
                    state: rec.state,
                    since: rec.since,
                    current: None,
                }
                .deadline(&cal);
                Ok(rec)
            })
            .collect()
    }

    /// Takes a step on application `id`.
    pub async fn step(&self, scope: &Scope, id: i64, action: Action) -> Result<ApplicationRecord> {
        let cal = self.store.certificates().calendar().await?;
        let rules = self.store.certificates().rules().await?;
        let today = self.store.today();
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let loaded = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM certificate_applications a JOIN persons p ON p.id = a.person_id \
             WHERE a.id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(load_row)
        .transpose()?
        .filter(|l| scope.covers_code(&l.record.household_code))
        .ok_or_else(|| StoreError::NotFound("申请".into()))?;
        let a = &loaded.record;
        let app = Application {
            kind: a.kind,
            state: a.state,
            since: a.since,
            current: loaded.current,
        };
        let next = app
            .step(&action, scope.role, today, &cal)
            .map_err(step_error)?;
        let date = action.date();
        let done = sqlx::query(
            "UPDATE certificate_applications SET state = $1, since = $2, version = version + 1 \
             WHERE id = $3 AND version = $4",
        )
        .bind(next.as_str())
        .bind(date.to_string())
        .bind(id)
        .bind(loaded.version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::invalid("该申请刚由他人办理，请刷新后查看"));
        }
        let detail = match &action {
            Action::Assess(x) => {
                sqlx::query(
                    "UPDATE certificate_applications SET category = $1, grade = $2, \
                     components = $3 WHERE id = $4",
                )
                .bind(i64::from(x.category.code()))
                .bind(i64::from(x.grade.code()))
                .bind(x.components.encode())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                // The doctor as entered ("王医生" or "王某"): no title added to it.
                format!(
                    "{}（评定医生：{}）：{}{}",
                    x.hospital.trim(),
                    x.doctor.trim(),
                    x.category.name(),
                    x.grade.name()
                )
            }
            Action::Notice { date } => format!("公示至 {}", Application::notice_end(&cal, *date)),
            Action::Review {
                approve, reason, ..
            } => {
                if *approve {
                    "准予办理".to_owned()
                } else {
                    format!("不予办理：{reason}")
                }
            }
            Action::Appeal { reason, .. } => format!("申诉：{reason}"),
            Action::DecideAppeal { uphold, reason, .. } => {
                format!(
                    "{}：{reason}",
                    if *uphold {
                        "申诉成立"
                    } else {
                        "维持原决定"
                    }
                )
            }
        };
        record_step(
            &mut tx,
            id,
            action.name(),
            date,
            &detail,
            a.state.as_str(),
            next.as_str(),
            scope,
            now,
        )
        .await?;
        if next == AppState::Issued {
            self.issue(&mut tx, scope, &loaded, date, &rules, now)
                .await?;
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "certificate.step",
                format!("application:{id}"),
                Outcome::Success,
            )
            .detail(format!(
                "{}：{} → {}",
                action.label(),
                a.state.label(),
                next.label()
            )),
        )
        .await?;
        tx.commit().await?;
        self.get(scope, id).await.map(|(a, _)| a)
    }

    /// Writes what was granted to the person's file, with history.
    async fn issue(
        &self,
        conn: &mut sqlx::AnyConnection,
        scope: &Scope,
        l: &Loaded,
        date: NaiveDate,
        rules: &anju_domain::cert_rules::CertRules,
        now: i64,
    ) -> Result<()> {
        let persons = Persons::new(self.store);
        let id_number = IdNumber::parse(&l.record.id_number)
            .map_err(|_| StoreError::Internal("身份证号无法读取".into()))?;
        let rec = persons
            .find(&mut *conn, &id_number)
            .await?
            .ok_or_else(|| StoreError::NotFound("档案".into()))?;
        let mut p = rec.person.clone();
        match l.record.kind {
            AppKind::New | AppKind::Renewal | AppKind::Change => {
                let row = sqlx::query(
                    "SELECT category, grade, components FROM certificate_applications WHERE id = $1",
                )
                .bind(l.record.id)
                .fetch_one(&mut *conn)
                .await?;
                let bad = || StoreError::Internal("评定结果无法读取".into());
                let category = row
                    .try_get::<Option<i64>, _>("category")?
                    .and_then(|c| u8::try_from(c).ok())
                    .and_then(Category::new)
                    .ok_or_else(bad)?;
                let grade = row
                    .try_get::<Option<i64>, _>("grade")?
                    .and_then(|c| u8::try_from(c).ok())
                    .and_then(Grade::new)
                    .ok_or_else(bad)?;
                p.category = Some(category);
                p.grade = Some(grade);
                p.components = row
                    .try_get::<Option<String>, _>("components")?
                    .and_then(|c| Components::parse(&c))
                    .unwrap_or(Components(Vec::new()));
                p.cert_number = Some(CertificateNumber::for_holder(&p.id_number, category, grade));
                p.cert_issued = Some(date);
                p.cert_valid_to = Some(rules.valid_to(category, p.birth_date, date));
                p.cert_state = CertState::Active;
            }
            AppKind::Transfer => {
                if let Some(t) = &l.record.target_household {
                    p.household_code = RegionTable::jiangsu().current(t)?.code.clone();
                }
                p.cert_state = CertState::Active;
            }
            AppKind::Reissue => {
                if let Some(n) = &p.cert_number {
                    let text = n.as_str();
                    let (base, k) = match text.find('B') {
                        Some(i) => (&text[..i], text[i + 1..].parse::<u32>().unwrap_or(0)),
                        None => (text, 0),
                    };
                    p.cert_number = CertificateNumber::parse(&format!("{base}B{}", k + 1)).ok();
                }
            }
            AppKind::Cancel => {
                p.cert_state = CertState::Cancelled;
                sqlx::query(
                    "INSERT INTO certificate_events (person_id, on_date, kind, rule, before_state, \
                     after_state, period_key, created_at, created_by) VALUES ($1, $2, 'cancelled', \
                     'application', $3, 'cancelled', $2, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(rec.id)
                .bind(date.to_string())
                .bind(rec.person.cert_state.as_str())
                .bind(now)
                .bind(scope.username.clone())
                .execute(&mut *conn)
                .await?;
            }
        }
        let diff = changes(&rec.person, &p);
        if diff.is_empty() {
            return Ok(());
        }
        update_one(&mut *conn, rec.id, &p, now).await?;
        let history: Vec<HistoryRow> = diff
            .into_iter()
            .map(|(f, b, a)| HistoryRow {
                person_id: rec.id,
                field: f.key().into(),
                before: Some(b),
                after: Some(a),
            })
            .collect();
        write_history(
            &mut *conn,
            self.store.backend(),
            scope,
            "certificate",
            now,
            &history,
        )
        .await
    }
}

#[allow(clippy::too_many_arguments)]
async fn record_step(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    action: &str,
    date: NaiveDate,
    detail: &str,
    from: &str,
    to: &str,
    scope: &Scope,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO application_steps (application_id, action, on_date, detail, from_state, \
         to_state, actor, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(action.to_owned())
    .bind(date.to_string())
    .bind(detail.to_owned())
    .bind(from.to_owned())
    .bind(to.to_owned())
    .bind(scope.username.clone())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
