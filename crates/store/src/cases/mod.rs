//! Service cases (个案): opened for a person and a programme after its conditions are checked
//! (or, by a county, against them with a written reason), moved through the programme's steps
//! by the hands the steps name, refused or closed; every action kept. Deadlines are working
//! days on the calendar; the step now due and when it falls due are stored for the worklist.

use anju_domain::audit::Outcome;
use anju_domain::mask;
use anju_domain::programme::{
    Case, CaseAction, CaseState, Explained, ProgrammeKind, Step, Subject, parse_steps,
};
use anju_domain::subsidy::{Assistance, AssistanceKind};
use anju_domain::{Role, month::Month};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::programmes::ProgrammeRecord;
use crate::sql::{Arg, Where};
use crate::{PersonRecord, Result, Scope, Store, StoreError};

mod delivery;
mod import;
mod report;
mod worklist;
pub use delivery::{DeliveryRecord, DeliveryRow};
pub use import::CaseRow;
pub use report::ReportLine;
pub(crate) use worklist::work_items;

/// A case as lists and pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseRecord {
    pub id: i64,
    pub person_id: i64,
    /// Masked unless the role may see it whole.
    pub id_number: String,
    pub name: String,
    pub programme: String,
    pub kind: ProgrammeKind,
    pub state: CaseState,
    pub opened_on: String,
    pub household_code: String,
    /// Steps done, of `steps`.
    pub done: usize,
    pub steps: Vec<Step>,
    /// The date of the last action (the opening date before any step).
    pub since: String,
    /// When the step now due must be done.
    pub due_on: Option<String>,
    pub outcome: Option<String>,
    /// Why a county opened the case against the programme's conditions.
    pub override_reason: Option<String>,
    pub created_by: String,
    /// Changes with every action: an action sent with an older version is refused.
    pub version: i64,
    /// The provider the case is assigned to, if any: its row id and name.
    pub provider_id: Option<i64>,
    pub provider: Option<String>,
    /// The quote or budget (报价、预算) and the final cost, in fen, where the programme keeps
    /// them (devices, renovation).
    pub budget_fen: Option<i64>,
    pub cost_fen: Option<i64>,
}

impl CaseRecord {
    /// Whether the step now due is past its date on `today` (the list's `overdue` filter
    /// says the same in SQL; the contract test compares them).
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.state == CaseState::Open
            && self
                .due_on
                .as_deref()
                .and_then(|d| d.parse::<NaiveDate>().ok())
                .is_some_and(|d| d < today)
    }

    /// The step now due, if any.
    pub fn current(&self) -> Option<&Step> {
        (self.state == CaseState::Open)
            .then(|| self.steps.get(self.done))
            .flatten()
    }
}

/// One action on a case.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseStepRecord {
    pub action: String,
    pub step_name: String,
    pub on_date: String,
    pub detail: String,
    pub attachments: String,
    pub actor: String,
    pub at_ms: i64,
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub programme: Option<String>,
    pub state: Option<CaseState>,
    /// The file's row id.
    pub person: Option<i64>,
    /// Only open cases whose step now due is past its date.
    pub overdue: bool,
}

pub struct Cases<'a> {
    store: &'a Store,
}

impl Store {
    pub fn cases(&self) -> Cases<'_> {
        Cases { store: self }
    }
}

const COLUMNS: &str = "c.id, c.person_id, p.id_number, p.name, g.name AS programme, c.state, \
    c.opened_on, c.household_code, c.step_index, c.since, c.due_on, c.outcome, \
    c.override_reason, c.created_by, c.version, v.steps, c.provider_id, o.name AS provider, \
    g.kind, c.budget_fen, c.cost_fen";
const FROM: &str = "cases c JOIN persons p ON p.id = c.person_id \
    JOIN programmes g ON g.id = c.programme_id JOIN programme_versions v ON v.id = c.version_id \
    LEFT JOIN providers o ON o.id = c.provider_id";

fn bad(what: &str) -> StoreError {
    StoreError::Internal(format!("个案的{what}无法读取"))
}

fn case_from_row(r: &sqlx::any::AnyRow, whole: bool) -> Result<CaseRecord> {
    let id_number: String = r.try_get("id_number")?;
    let state: String = r.try_get("state")?;
    let steps: String = r.try_get("steps")?;
    Ok(CaseRecord {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        id_number: if whole {
            id_number
        } else {
            mask::id_number(&id_number)
        },
        name: r.try_get("name")?,
        programme: r.try_get("programme")?,
        kind: ProgrammeKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(|| bad("类别"))?,
        state: CaseState::parse(&state).ok_or_else(|| bad("状态"))?,
        opened_on: r.try_get("opened_on")?,
        household_code: r.try_get("household_code")?,
        done: usize::try_from(r.try_get::<i64, _>("step_index")?).map_err(|_| bad("步骤"))?,
        steps: parse_steps(&steps).map_err(|_| bad("步骤"))?,
        since: r.try_get("since")?,
        due_on: r.try_get("due_on")?,
        outcome: r.try_get("outcome")?,
        override_reason: r.try_get("override_reason")?,
        created_by: r.try_get("created_by")?,
        version: r.try_get("version")?,
        provider_id: r.try_get("provider_id")?,
        provider: r.try_get("provider")?,
        budget_fen: r.try_get("budget_fen")?,
        cost_fen: r.try_get("cost_fen")?,
    })
}

/// Whether the scope sees a case: staff, when its household is in their subtree; a
/// provider's account, while it is open and assigned to that provider.
fn sees(scope: &Scope, c: &CaseRecord) -> bool {
    if scope.role() == Role::Provider {
        scope.provider().is_some()
            && c.provider_id == scope.provider()
            && c.state == CaseState::Open
    } else {
        scope.role().reads_persons() && scope.covers_code(&c.household_code)
    }
}

fn may_read(scope: &Scope) -> Result<()> {
    scope.require(scope.role().reads_persons() || scope.provider().is_some())
}

/// What the conditions read of one file beside the file itself.
pub(crate) struct Facts {
    pub assistance: Vec<Assistance>,
    pub diagnoses: Vec<String>,
    pub student: bool,
    pub served: Vec<NaiveDate>,
}

pub(crate) async fn facts_of(
    conn: &mut sqlx::AnyConnection,
    person: i64,
    programme: i64,
    date: NaiveDate,
) -> Result<Facts> {
    let on = date.to_string();
    let assistance =
        sqlx::query("SELECT kind, from_month, to_month FROM assistance WHERE person_id = $1")
            .bind(person)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .filter_map(|r| {
                let kind = AssistanceKind::parse(&r.try_get::<String, _>("kind").ok()?)?;
                let from = Month::parse(&r.try_get::<String, _>("from_month").ok()?).ok()?;
                let to = r.try_get::<Option<String>, _>("to_month").ok()?;
                Some(Assistance {
                    kind,
                    from,
                    to: to.and_then(|t| Month::parse(&t).ok()),
                    amount: None,
                })
            })
            .collect();
    let diagnoses = sqlx::query_scalar::<_, String>(
        "SELECT name FROM diagnoses WHERE person_id = $1 AND diagnosed_on <= $2",
    )
    .bind(person)
    .bind(on.clone())
    .fetch_all(&mut *conn)
    .await?;
    let student: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM enrolments WHERE person_id = $1 AND from_date <= $2 \
         AND (to_date IS NULL OR to_date >= $2) LIMIT 1",
    )
    .bind(person)
    .bind(on)
    .fetch_optional(&mut *conn)
    .await?;
    let served = sqlx::query_scalar::<_, String>(
        "SELECT opened_on FROM cases WHERE person_id = $1 AND programme_id = $2 \
         AND state <> 'refused'",
    )
    .bind(person)
    .bind(programme)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .filter_map(|d| d.parse().ok())
    .collect();
    Ok(Facts {
        assistance,
        diagnoses,
        student: student.is_some(),
        served,
    })
}

/// Each of the programme's conditions explained for one file on `date`, and whether all hold.
pub(crate) fn explain(
    programme: &ProgrammeRecord,
    rec: &PersonRecord,
    facts: &Facts,
    date: NaiveDate,
) -> (Vec<Explained>, bool) {
    let s = Subject {
        person: &rec.person,
        assistance: &facts.assistance,
        student: facts.student,
        diagnoses: &facts.diagnoses,
        served: &facts.served,
    };
    let c = &programme.programme.conditions;
    let parts = match c {
        anju_domain::programme::Condition::AllOf(list) => {
            list.iter().map(|x| x.explain(&s, date)).collect()
        }
        other => vec![other.explain(&s, date)],
    };
    (parts, c.holds(&s, date))
}

impl Cases<'_> {
    /// The programme's conditions for the file with row id `person` on `date`, each
    /// explained, and whether all hold (the form shows them before a case is opened).
    pub async fn check(
        &self,
        scope: &Scope,
        person: i64,
        programme: &str,
        date: NaiveDate,
    ) -> Result<(ProgrammeRecord, Vec<Explained>, bool)> {
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let prog = self.store.programmes().get(scope, programme).await?;
        let mut conn = self.store.pool().acquire().await?;
        let facts = facts_of(&mut conn, rec.id, prog.id, date).await?;
        let (parts, ok) = explain(&prog, &rec, &facts, date);
        Ok((prog, parts, ok))
    }

    /// Opens a case for the file with row id `person` on `date`. The conditions must hold,
    /// unless a county (or city) user gives the reason to serve the person all the same; the
    /// override is audited. One case of a programme is open for a person at a time.
    pub async fn open(
        &self,
        scope: &Scope,
        person: i64,
        programme: &str,
        date: NaiveDate,
        override_reason: Option<&str>,
    ) -> Result<CaseRecord> {
        scope.require(scope.role().writes_persons())?;
        if date > self.store.today() {
            return Err(StoreError::invalid("申请日期不能晚于今天"));
        }
        let rec = self.store.persons().get_by_key(scope, person).await?;
        if date < rec.person.birth_date {
            return Err(StoreError::invalid("申请日期早于出生日期"));
        }
        let prog = self.store.programmes().get(scope, programme).await?;
        let cal = self.store.certificates().calendar().await?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM cases WHERE person_id = $1 AND programme_id = $2 AND state = 'open' \
             LIMIT 1",
        )
        .bind(rec.id)
        .bind(prog.id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = open {
            return Err(StoreError::invalid(format!(
                "此人已有办理中的“{}”个案（#{id}），请先办结",
                prog.programme.name
            )));
        }
        let facts = facts_of(&mut tx, rec.id, prog.id, date).await?;
        let (parts, ok) = explain(&prog, &rec, &facts, date);
        let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
        if !ok {
            let unmet: Vec<String> = parts
                .iter()
                .filter(|p| !p.met)
                .map(Explained::unmet)
                .collect();
            match reason {
                None => {
                    return Err(StoreError::invalid(format!(
                        "不符合“{}”的条件：{}。如确需办理，须由县（区）残联填写理由",
                        prog.programme.name,
                        unmet.join("；")
                    )));
                }
                Some(_) if !scope.role().manages_services() => {
                    return Err(StoreError::invalid(
                        "不符合条件的个案只能由县（区）及以上残联填写理由后办理",
                    ));
                }
                Some(_) => {}
            }
        }
        let reason = if ok { None } else { reason };
        let case = Case {
            steps: &prog.programme.steps,
            state: CaseState::Open,
            done: 0,
            since: date,
        };
        let due = case.due(&cal).map(|d| d.to_string());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cases (person_id, programme_id, version_id, state, opened_on, \
             household_code, step_index, since, due_on, override_reason, created_at, created_by, \
             version) VALUES ($1, $2, $3, 'open', $4, $5, 0, $4, $6, $7, $8, $9, 1) RETURNING id",
        )
        .bind(rec.id)
        .bind(prog.id)
        .bind(prog.version_id)
        .bind(date.to_string())
        .bind(rec.person.household_code.to_string())
        .bind(due)
        .bind(reason.map(str::to_owned))
        .bind(now)
        .bind(scope.username.clone())
        .fetch_one(&mut *tx)
        .await?;
        let detail = match reason {
            Some(r) => format!("不符合条件，经县级同意办理：{r}"),
            None => "符合条件".to_owned(),
        };
        record(
            &mut tx,
            id,
            "open",
            &prog.programme.name,
            date,
            &detail,
            "",
            scope,
            now,
        )
        .await?;
        let mut entry = NewEntry::by(
            scope,
            if reason.is_some() {
                "case.override"
            } else {
                "case.open"
            },
            rec.audit_object(),
            Outcome::Success,
        );
        entry = entry.detail(format!("个案#{id} {} {detail}", prog.programme.name));
        append(self.store, &mut tx, now, entry).await?;
        tx.commit().await?;
        self.get(scope, id).await.map(|(c, _)| c)
    }

    /// Takes `action` on case `id`. `version` is the case's version the user saw: when
    /// another user acted since, the action is refused (one step, not two).
    pub async fn act(
        &self,
        scope: &Scope,
        id: i64,
        version: Option<i64>,
        action: CaseAction,
    ) -> Result<CaseRecord> {
        let (c, _) = self.get(scope, id).await?;
        if version.is_some_and(|v| v != c.version) {
            return Err(StoreError::invalid(
                "此个案已由他人办理了新的步骤，请刷新后再办理",
            ));
        }
        let since: NaiveDate = c.since.parse().map_err(|_| bad("日期"))?;
        let rules = Case {
            steps: &c.steps,
            state: c.state,
            done: c.done,
            since,
        };
        let (state, done) = rules
            .take(&action, scope.role(), self.store.today())
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let cal = self.store.certificates().calendar().await?;
        let date = action.date();
        let next = Case {
            steps: &c.steps,
            state,
            done,
            since: date,
        };
        let due = next.due(&cal).map(|d| d.to_string());
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let outcome = match &action {
            CaseAction::Close { outcome, .. } => Some(outcome.trim().to_owned()),
            CaseAction::Refuse { reason, .. } => Some(reason.trim().to_owned()),
            CaseAction::Step { .. } => None,
        };
        let changed = sqlx::query(
            "UPDATE cases SET state = $1, step_index = $2, since = $3, due_on = $4, \
             outcome = COALESCE($5, outcome), version = version + 1 \
             WHERE id = $6 AND version = $7",
        )
        .bind(state.as_str())
        .bind(i64::try_from(done).unwrap_or(i64::MAX))
        .bind(date.to_string())
        .bind(due)
        .bind(outcome)
        .bind(id)
        .bind(c.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::invalid(
                "此个案已由他人办理了新的步骤，请刷新后再办理",
            ));
        }
        let (kind, name, detail, attachments) = match &action {
            CaseAction::Step {
                values,
                attachments,
                note,
                ..
            } => {
                let mut parts: Vec<String> = values
                    .iter()
                    .map(|(k, v)| format!("{k}：{}", v.trim()))
                    .collect();
                if !note.trim().is_empty() {
                    parts.push(format!("备注：{}", note.trim()));
                }
                (
                    "step",
                    c.steps
                        .get(c.done)
                        .map(|s| s.name.clone())
                        .unwrap_or_default(),
                    parts.join("；"),
                    attachments.join("、"),
                )
            }
            CaseAction::Refuse { reason, .. } => (
                "refuse",
                "不予办理".into(),
                reason.trim().to_owned(),
                String::new(),
            ),
            CaseAction::Close { outcome, .. } => (
                "close",
                "结案".into(),
                outcome.trim().to_owned(),
                String::new(),
            ),
        };
        record(
            &mut tx,
            id,
            kind,
            &name,
            date,
            &detail,
            &attachments,
            scope,
            now,
        )
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(scope, "case.step", format!("case:{id}"), Outcome::Success)
                .detail(format!("{} {name}", c.programme)),
        )
        .await?;
        tx.commit().await?;
        self.get(scope, id).await.map(|(c, _)| c)
    }

    /// Assigns an open case to a provider (from the town up): one that serves the household,
    /// delivers the programme and has an agreement in force on `date`. The provider's users
    /// see the case from then on; the one it leaves no longer does.
    pub async fn assign(
        &self,
        scope: &Scope,
        id: i64,
        provider: i64,
        date: NaiveDate,
    ) -> Result<CaseRecord> {
        scope.require(anju_domain::programme::closes(scope.role()))?;
        let (c, _) = self.get(scope, id).await?;
        if c.state != CaseState::Open {
            return Err(StoreError::invalid(format!(
                "个案{}，不能再指派",
                c.state.label()
            )));
        }
        if date > self.store.today() {
            return Err(StoreError::invalid("指派日期不能晚于今天"));
        }
        let p = self.store.providers().get(scope, provider).await?;
        if let Err(why) = p.provider.takes(&c.household_code, &c.programme, date) {
            return Err(StoreError::invalid(format!("{}{why}", p.provider.name)));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE cases SET provider_id = $1, version = version + 1 WHERE id = $2 AND version = $3",
        )
        .bind(p.id)
        .bind(id)
        .bind(c.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::invalid(
                "此个案已由他人办理了新的步骤，请刷新后再办理",
            ));
        }
        let detail = match &c.provider {
            Some(before) => format!("由{before}改派{}", p.provider.name),
            None => format!("指派{}", p.provider.name),
        };
        record(
            &mut tx,
            id,
            "assign",
            "指派服务机构",
            date,
            &detail,
            "",
            scope,
            now,
        )
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(scope, "case.assign", format!("case:{id}"), Outcome::Success)
                .detail(detail),
        )
        .await?;
        tx.commit().await?;
        self.get(scope, id).await.map(|(c, _)| c)
    }

    /// Writes a case's quote or budget (`budget_fen`) or its final cost (`cost_fen`): by the
    /// case's provider or from the town up, while the case is open; audited.
    pub async fn set_amount(
        &self,
        scope: &Scope,
        c: &CaseRecord,
        column: &'static str,
        label: &str,
        amount: anju_domain::money::Fen,
    ) -> Result<()> {
        crate::devices::acts_on(scope, c)?;
        if c.state != CaseState::Open {
            return Err(StoreError::invalid(format!(
                "个案{}，不能再修改",
                c.state.label()
            )));
        }
        let column = match column {
            "budget_fen" => "budget_fen",
            _ => "cost_fen",
        };
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE cases SET {column} = $1, version = version + 1 WHERE id = $2"
        )))
        .bind(amount.fen())
        .bind(c.id)
        .execute(&mut *tx)
        .await?;
        let detail = format!("{label}{}元", amount.yuan());
        note(
            self.store,
            &mut tx,
            scope,
            c.id,
            label,
            self.store.today(),
            &detail,
            "case.amount",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One case and its actions, if its household is in the scope.
    pub async fn get(&self, scope: &Scope, id: i64) -> Result<(CaseRecord, Vec<CaseStepRecord>)> {
        may_read(scope)?;
        let whole = scope.role().sees_identifiers();
        let mut conn = self.store.pool().acquire().await?;
        let case = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE c.id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(|r| case_from_row(r, whole))
        .transpose()?
        .filter(|c| sees(scope, c))
        .ok_or_else(|| StoreError::NotFound("个案".into()))?;
        let steps = sqlx::query(
            "SELECT action, step_name, on_date, detail, attachments, actor, at_ms FROM case_steps \
             WHERE case_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(CaseStepRecord {
                action: r.try_get("action")?,
                step_name: r.try_get("step_name")?,
                on_date: r.try_get("on_date")?,
                detail: r.try_get("detail")?,
                attachments: r.try_get("attachments")?,
                actor: r.try_get("actor")?,
                at_ms: r.try_get("at_ms")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok((case, steps))
    }

    /// The cases of the scope, open ones first (by when they fall due), then the most recent.
    pub async fn list(&self, scope: &Scope, f: &CaseFilter) -> Result<Vec<CaseRecord>> {
        may_read(scope)?;
        let whole = scope.role().sees_identifiers();
        let mut w = Where::default();
        if scope.role() == Role::Provider {
            w.push(
                "c.provider_id = ? AND c.state = 'open'",
                Arg::Int(scope.provider().unwrap_or(0)),
            );
        } else {
            w.push_prefix(self.store.backend(), "c.household_code", scope.prefix());
        }
        if let Some(p) = &f.programme {
            w.push("g.name = ?", Arg::Text(p.clone()));
        }
        if let Some(s) = f.state {
            w.push("c.state = ?", Arg::Text(s.as_str().into()));
        }
        if let Some(p) = f.person {
            w.push("c.person_id = ?", Arg::Int(p));
        }
        if f.overdue {
            w.push(
                "c.state = 'open' AND c.due_on < ?",
                Arg::Text(self.store.today().to_string()),
            );
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {} ORDER BY CASE WHEN c.state = 'open' THEN 0 \
             ELSE 1 END, c.due_on, c.id DESC",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        q.fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| case_from_row(r, whole))
            .collect()
    }
}

/// Keeps a detail of case `case` (a device chosen, a quote, a plan, a return check) as a step
/// of its record on `on` and in the audit chain under `action`, with the same words.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn note(
    store: &Store,
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    case: i64,
    step: &str,
    on: NaiveDate,
    detail: &str,
    action: &str,
    now: i64,
) -> Result<()> {
    record(conn, case, "step", step, on, detail, "", scope, now).await?;
    append(
        store,
        conn,
        now,
        NewEntry::by(scope, action, format!("case:{case}"), Outcome::Success)
            .detail(detail.to_owned()),
    )
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    conn: &mut sqlx::AnyConnection,
    case: i64,
    action: &str,
    step: &str,
    on: NaiveDate,
    detail: &str,
    attachments: &str,
    scope: &Scope,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_steps (case_id, action, step_name, on_date, detail, attachments, actor, \
         at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(case)
    .bind(action.to_owned())
    .bind(step.to_owned())
    .bind(on.to_string())
    .bind(detail.to_owned())
    .bind(attachments.to_owned())
    .bind(scope.username.clone())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
