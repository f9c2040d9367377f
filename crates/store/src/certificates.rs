//! The certificate's calendar and rules as data, and the daily sweep that applies the rules:
//! deaths cancel, moves without transfer freeze and then cancel, certificates near or past
//! their end are noted once. Every change is recorded with the rule that made it, in the
//! file's history and in `certificate_events`.

use anju_domain::audit::Outcome;
use anju_domain::calendar::{CalendarDay, DayKind, WorkCalendar, shipped_days};
use anju_domain::cert_rules::{CertRules, ValidityRule};
use anju_domain::certificate::{Category, CertState};
use anju_domain::person::{Field, LifeStatus};
use chrono::{Days, NaiveDate};
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::persons::{HistoryRow, write_history};
use crate::subsidy::{Apply, Rejection, TableResult};
use crate::{Result, Scope, Store, StoreError};

pub struct Certificates<'a> {
    store: &'a Store,
}

impl Store {
    pub fn certificates(&self) -> Certificates<'_> {
        Certificates { store: self }
    }
}

/// One change or notice of a sweep.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SweepChange {
    pub id_number: String,
    pub from: String,
    pub to: String,
    pub rule: String,
}

/// What a sweep did on a date.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SweepReport {
    pub date: String,
    pub frozen: u64,
    pub cancelled: u64,
    pub expiring: u64,
    pub expired: u64,
    /// Certificates that had an issue date and no end date: given the rules' end date.
    pub derived: u64,
    pub changes: Vec<SweepChange>,
}

fn state_text(s: CertState) -> &'static str {
    match s {
        CertState::Active => "",
        CertState::Frozen => "冻结",
        CertState::Cancelled => "注销",
    }
}

/// Writes the shipped calendar and rules once, on the first start with this migration.
pub(crate) async fn seed(store: &Store) -> Result<()> {
    let mut tx = store.begin_write().await?;
    let done: Option<String> =
        sqlx::query_scalar("SELECT what FROM seeded WHERE what = 'certificates'")
            .fetch_optional(&mut *tx)
            .await?;
    if done.is_some() {
        return Ok(());
    }
    let now = store.now_ms();
    for d in shipped_days() {
        sqlx::query(
            "INSERT INTO work_calendar (day, kind, name, updated_by, updated_at) \
             VALUES ($1, $2, $3, 'system', $4) ON CONFLICT DO NOTHING",
        )
        .bind(d.date.to_string())
        .bind(d.kind.as_str())
        .bind(d.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let r = CertRules::default();
    for (rule, value) in [
        ("expiring_days", r.expiring_days),
        ("freeze_after_months", r.freeze_after_months),
        ("cancel_after_months", r.cancel_after_months),
        ("reapply_after_months", r.reapply_after_months),
    ] {
        sqlx::query("INSERT INTO certificate_rules (rule, value) VALUES ($1, $2)")
            .bind(rule)
            .bind(i64::from(value))
            .execute(&mut *tx)
            .await?;
    }
    for (i, v) in r.validity.iter().enumerate() {
        sqlx::query(
            "INSERT INTO certificate_validity (seq, category, age_from, age_to, years) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(i as i64 + 1)
        .bind(v.category.map(|c| i64::from(c.code())))
        .bind(v.age_from.map(i64::from))
        .bind(v.age_to.map(i64::from))
        .bind(i64::from(v.years))
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("INSERT INTO seeded (what, at_ms) VALUES ('certificates', $1)")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

impl Certificates<'_> {
    /// The working-day calendar.
    pub async fn calendar(&self) -> Result<WorkCalendar> {
        Ok(WorkCalendar::new(
            self.calendar_days(None)
                .await?
                .into_iter()
                .map(|d| (d.date, d.kind)),
        ))
    }

    /// The listed days, of one year or all.
    pub async fn calendar_days(&self, year: Option<i32>) -> Result<Vec<CalendarDay>> {
        let rows = match year {
            Some(y) => sqlx::query(
                "SELECT day, kind, name FROM work_calendar WHERE day >= $1 AND day <= $2 ORDER BY day",
            )
            .bind(format!("{y:04}-01-01"))
            .bind(format!("{y:04}-12-31")),
            None => sqlx::query(
                "SELECT day, kind, name FROM work_calendar WHERE day >= $1 AND day <= $2 ORDER BY day",
            )
            .bind("0000-01-01".to_owned())
            .bind("9999-12-31".to_owned()),
        }
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let day: String = r.try_get("day")?;
                let kind: String = r.try_get("kind")?;
                Ok(CalendarDay {
                    date: day
                        .parse()
                        .map_err(|_| StoreError::Internal(format!("日历日期无法读取：{day}")))?,
                    kind: DayKind::parse(&kind)
                        .ok_or_else(|| StoreError::Internal("日历类型无法读取".into()))?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    /// Sets listed days (`kind` None: back to the weekday rule), each row keyed by its date.
    /// Administrators only.
    pub async fn set_calendar_days(
        &self,
        scope: &Scope,
        label: &str,
        rows: Vec<(usize, NaiveDate, Option<DayKind>, String)>,
        apply: impl Into<Apply>,
    ) -> Result<TableResult> {
        scope.require(scope.role.manages_users())?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let mut res = TableResult::default();
        let mut seen = std::collections::HashSet::new();
        for (row, date, kind, name) in rows {
            if !seen.insert(date) {
                res.rejected.push(Rejection::new(
                    row,
                    "日期",
                    "duplicate_in_file",
                    "同一日期在本文件中重复出现",
                ));
                continue;
            }
            let current: Option<(String, String)> =
                sqlx::query_as("SELECT kind, name FROM work_calendar WHERE day = $1")
                    .bind(date.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            match (kind, current) {
                (None, None) => res.unchanged += 1,
                (None, Some(_)) => {
                    sqlx::query("DELETE FROM work_calendar WHERE day = $1")
                        .bind(date.to_string())
                        .execute(&mut *tx)
                        .await?;
                    res.updated += 1;
                }
                (Some(k), Some((ck, cn))) if ck == k.as_str() && cn == name => res.unchanged += 1,
                (Some(k), current) => {
                    sqlx::query(
                        "INSERT INTO work_calendar (day, kind, name, updated_by, updated_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (day) DO UPDATE SET \
                         kind = excluded.kind, name = excluded.name, \
                         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                    )
                    .bind(date.to_string())
                    .bind(k.as_str())
                    .bind(name)
                    .bind(scope.username.clone())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    if current.is_some() {
                        res.updated += 1;
                    } else {
                        res.inserted += 1;
                    }
                }
            }
        }
        self.store
            .subsidies()
            .finish(tx, scope, "calendar.import", label, apply.into(), res)
            .await
    }

    /// Sets one of the certificate rules (expiring_days, freeze_after_months,
    /// cancel_after_months, reapply_after_months). Administrators only; audited.
    pub async fn set_rule(&self, scope: &Scope, rule: &str, value: u32) -> Result<()> {
        scope.require(scope.role.manages_users())?;
        const RULES: [&str; 4] = [
            "expiring_days",
            "freeze_after_months",
            "cancel_after_months",
            "reapply_after_months",
        ];
        if !RULES.contains(&rule) {
            return Err(StoreError::invalid(format!(
                "没有规则“{rule}”（可设：{}）",
                RULES.join("、")
            )));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO certificate_rules (rule, value) VALUES ($1, $2) \
             ON CONFLICT (rule) DO UPDATE SET value = excluded.value",
        )
        .bind(rule.to_owned())
        .bind(i64::from(value))
        .execute(&mut *tx)
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(scope, "certificate.rule", rule.to_owned(), Outcome::Success)
                .detail(value.to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The certificate rules in force.
    pub async fn rules(&self) -> Result<CertRules> {
        let mut r = CertRules::default();
        for row in sqlx::query("SELECT rule, value FROM certificate_rules")
            .fetch_all(self.store.pool())
            .await?
        {
            let rule: String = row.try_get("rule")?;
            let value = u32::try_from(row.try_get::<i64, _>("value")?).unwrap_or(0);
            match rule.as_str() {
                "expiring_days" => r.expiring_days = value,
                "freeze_after_months" => r.freeze_after_months = value,
                "cancel_after_months" => r.cancel_after_months = value,
                "reapply_after_months" => r.reapply_after_months = value,
                _ => {}
            }
        }
        let opt = |v: Option<i64>| v.and_then(|x| u32::try_from(x).ok());
        r.validity = sqlx::query(
            "SELECT category, age_from, age_to, years FROM certificate_validity ORDER BY seq",
        )
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|row| {
            Ok(ValidityRule {
                category: row
                    .try_get::<Option<i64>, _>("category")?
                    .and_then(|c| u8::try_from(c).ok())
                    .and_then(Category::new),
                age_from: opt(row.try_get("age_from")?),
                age_to: opt(row.try_get("age_to")?),
                years: opt(Some(row.try_get("years")?)).unwrap_or(10),
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(r)
    }

    /// The server's daily run: the rules applied for today, as the system (province-wide).
    pub async fn sweep_today(&self) -> Result<SweepReport> {
        let table = self.store.regions();
        let scope = Scope {
            user_id: 0,
            username: "system".into(),
            role: anju_domain::Role::Admin,
            region: table.root().clone(),
            client: "system".into(),
            provider: None,
        };
        self.sweep(&scope, self.store.today()).await
    }

    /// Applies the rules for `date` (not after today): idempotent, one transaction, one audit
    /// entry. Administrators, and the server's own daily run.
    pub async fn sweep(&self, scope: &Scope, date: NaiveDate) -> Result<SweepReport> {
        scope.require(scope.role.manages_users())?;
        if date > self.store.today() {
            return Err(StoreError::invalid(format!(
                "规则只能按今天或以前的日期执行（{date} 晚于今天）"
            )));
        }
        let rules = self.rules().await?;
        let now = self.store.now_ms();
        let backend = self.store.backend();
        let mut tx = self.store.begin_write().await?;
        let horizon = date + Days::new(u64::from(rules.expiring_days));
        let mut report = SweepReport {
            date: date.to_string(),
            ..SweepReport::default()
        };
        // An issue date without an end date never expired: the rules give the end date first
        // (recorded as derived), and the sweep then applies to it like any other.
        let open = sqlx::query(
            "SELECT id, category, birth_date, cert_issued FROM persons \
             WHERE cert_issued IS NOT NULL AND cert_valid_to IS NULL",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut derived = Vec::new();
        for r in &open {
            let id: i64 = r.try_get("id")?;
            let category = r
                .try_get::<Option<i64>, _>("category")?
                .and_then(|c| u8::try_from(c).ok())
                .and_then(Category::new);
            let birth = r
                .try_get::<String, _>("birth_date")?
                .parse::<NaiveDate>()
                .ok();
            let issued = r
                .try_get::<String, _>("cert_issued")?
                .parse::<NaiveDate>()
                .ok();
            let (Some(category), Some(birth), Some(issued)) = (category, birth, issued) else {
                continue;
            };
            let valid_to = rules.valid_to(category, birth, issued).to_string();
            sqlx::query("UPDATE persons SET cert_valid_to = $1, updated_at = $2 WHERE id = $3")
                .bind(valid_to.clone())
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            derived.push(HistoryRow {
                person_id: id,
                field: Field::CertValidTo.key().into(),
                before: None,
                after: Some(valid_to),
            });
        }
        report.derived = derived.len() as u64;
        write_history(&mut tx, backend, scope, "rule", now, &derived).await?;
        let rows = sqlx::query(
            "SELECT id, id_number, cert_state, cert_valid_to, life_status, life_date FROM persons \
             WHERE cert_state <> 'cancelled' AND (life_status <> 'living' OR \
             (cert_state = 'active' AND cert_valid_to IS NOT NULL AND cert_valid_to <= $1))",
        )
        .bind(horizon.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let mut history = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let id_number: String = r.try_get("id_number")?;
            let state = CertState::parse(&r.try_get::<String, _>("cert_state")?)
                .unwrap_or(CertState::Active);
            let life = LifeStatus::parse(&r.try_get::<String, _>("life_status")?)
                .unwrap_or(LifeStatus::Living);
            let life_date: Option<NaiveDate> = r
                .try_get::<Option<String>, _>("life_date")?
                .and_then(|d| d.parse().ok());
            let valid_to: Option<NaiveDate> = r
                .try_get::<Option<String>, _>("cert_valid_to")?
                .and_then(|d| d.parse().ok());
            if let Some(change) = rules.sweep(state, life, life_date, date) {
                sqlx::query("UPDATE persons SET cert_state = $1, updated_at = $2 WHERE id = $3")
                    .bind(change.to.as_str())
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                history.push(HistoryRow {
                    person_id: id,
                    field: Field::CertState.key().into(),
                    before: Some(state_text(state).into()),
                    after: Some(state_text(change.to).into()),
                });
                record(
                    &mut tx,
                    id,
                    date,
                    change.to.as_str(),
                    change.rule,
                    Some(state),
                    Some(change.to),
                    &date.to_string(),
                    now,
                )
                .await?;
                match change.to {
                    CertState::Frozen => report.frozen += 1,
                    _ => report.cancelled += 1,
                }
                report.changes.push(SweepChange {
                    id_number,
                    from: state.as_str().into(),
                    to: change.to.as_str().into(),
                    rule: change.rule.into(),
                });
                continue;
            }
            // Expiry is noted for everyone whose certificate is still active that day: a holder
            // who has moved out but is not yet frozen, or whose death is dated later, too.
            let _ = life;
            let (Some(v), CertState::Active) = (valid_to, state) else {
                continue;
            };
            if v > horizon {
                continue;
            }
            let kind = if v < date { "expired" } else { "expiring" };
            if record(
                &mut tx,
                id,
                date,
                kind,
                kind,
                None,
                None,
                &v.to_string(),
                now,
            )
            .await?
            {
                if kind == "expired" {
                    report.expired += 1;
                } else {
                    report.expiring += 1;
                }
                report.changes.push(SweepChange {
                    id_number,
                    from: "active".into(),
                    to: kind.into(),
                    rule: kind.into(),
                });
            }
        }
        write_history(&mut tx, backend, scope, "sweep", now, &history).await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(scope, "certificate.sweep", "certificates", Outcome::Success).detail(
                format!(
                    "{date}：冻结{}，注销{}，即将到期{}，已过期{}，推算有效期{}",
                    report.frozen,
                    report.cancelled,
                    report.expiring,
                    report.expired,
                    report.derived
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// Records a change or notice once; whether it was new.
#[allow(clippy::too_many_arguments)]
async fn record(
    conn: &mut sqlx::AnyConnection,
    person: i64,
    date: NaiveDate,
    kind: &str,
    rule: &str,
    before: Option<CertState>,
    after: Option<CertState>,
    key: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO certificate_events (person_id, on_date, kind, rule, before_state, \
         after_state, period_key, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sweep') ON CONFLICT DO NOTHING",
    )
    .bind(person)
    .bind(date.to_string())
    .bind(kind.to_owned())
    .bind(rule.to_owned())
    .bind(before.map(|s| s.as_str()))
    .bind(after.map(|s| s.as_str()))
    .bind(key.to_owned())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
