//! Care supervision (托养监管): each care case's plan, the federation's return checks (回访,
//! on any case, with a satisfaction score 1-5), and the monthly report per provider and town
//! that sets each plan against what the provider recorded and names every shortfall.

use std::collections::{BTreeMap, HashMap};

use anju_domain::mask;
use anju_domain::month::Month;
use anju_domain::programme::care::{CarePlan, CarePlanInput, Supervision, supervise};
use anju_domain::programme::delivery::{Delivery, DeliveryKind};
use anju_domain::programme::{CaseState, ProgrammeKind, closes};
use anju_domain::region::RegionTable;
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use crate::{Result, Scope, Store, StoreError};

/// A return check as recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReturnCheck {
    pub on_date: String,
    pub satisfaction: i64,
    pub note: String,
    pub created_by: String,
}

/// One care case in a month's supervision report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupervisionLine {
    pub case_id: i64,
    pub name: String,
    /// Masked unless the role may see it whole.
    pub id_number: String,
    pub programme: String,
    pub provider: String,
    pub town: String,
    pub plan: Option<CarePlan>,
    #[serde(flatten)]
    pub month: Supervision,
    pub checks: usize,
    /// The month's average satisfaction in hundredths (e.g. 450 for 4.50), if checked.
    pub satisfaction: Option<i64>,
}

/// The report's totals for one provider in one town.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SupervisionTotal {
    pub provider: String,
    pub town: String,
    pub cases: usize,
    pub short_cases: usize,
    pub planned_visits: u32,
    pub visits: u32,
    pub planned_days: u32,
    pub days: u32,
    pub checks: usize,
    pub satisfaction: Option<i64>,
}

/// Which part of a month's report.
#[derive(Debug, Clone, Default)]
pub struct SupervisionFilter {
    pub provider: Option<i64>,
    /// A town's code (9 digits, or the whole 12).
    pub town: Option<String>,
}

pub struct Care<'a> {
    store: &'a Store,
}

impl Store {
    pub fn care(&self) -> Care<'_> {
        Care { store: self }
    }
}

fn plan_from_row(r: &sqlx::any::AnyRow) -> Result<Option<CarePlan>> {
    let n = |c: &str| -> Result<Option<u32>> {
        Ok(r.try_get::<Option<i64>, _>(c)?
            .and_then(|v| u32::try_from(v).ok()))
    };
    let aux: Option<i64> = r.try_get("auxiliary_employment")?;
    aux.map(|a| -> Result<CarePlan> {
        Ok(CarePlan {
            visits_a_month: n("visits_a_month")?,
            minutes_a_visit: n("minutes_a_visit")?,
            days_a_month: n("days_a_month")?,
            auxiliary_employment: a == 1,
        })
    })
    .transpose()
}

/// The average of scores in hundredths, rounded half up.
fn average(scores: &[i64]) -> Option<i64> {
    let n = i64::try_from(scores.len()).ok().filter(|n| *n > 0)?;
    Some((scores.iter().sum::<i64>() * 200 + n) / (2 * n))
}

/// The town of a household code, by name.
fn town_of(code: &str) -> String {
    let town = format!("{:0<12}", code.get(..9).unwrap_or(code));
    RegionTable::jiangsu().name_of(&town).to_owned()
}

impl Care<'_> {
    /// The plan of case `id`, if set.
    pub async fn plan(&self, scope: &Scope, id: i64) -> Result<Option<CarePlan>> {
        self.store.cases().get(scope, id).await?;
        let row = sqlx::query(
            "SELECT visits_a_month, minutes_a_visit, days_a_month, auxiliary_employment \
             FROM care_plans WHERE case_id = $1",
        )
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?;
        match row {
            Some(r) => plan_from_row(&r),
            None => Ok(None),
        }
    }

    /// Sets (or changes) the plan of an open care case, from the town up; audited.
    pub async fn set_plan(
        &self,
        scope: &Scope,
        id: i64,
        input: &CarePlanInput,
    ) -> Result<CarePlan> {
        scope.require(closes(scope.role()))?;
        let (c, _) = self.store.cases().get(scope, id).await?;
        if c.kind != ProgrammeKind::Care {
            return Err(StoreError::invalid(format!(
                "“{}”不是托养项目",
                c.programme
            )));
        }
        if c.state != CaseState::Open {
            return Err(StoreError::invalid(format!(
                "个案{}，不能再修改计划",
                c.state.label()
            )));
        }
        let plan = input.validate().map_err(|faults| {
            StoreError::Invalid(
                faults
                    .into_iter()
                    .map(|(f, m)| format!("{f}：{m}"))
                    .collect::<Vec<_>>()
                    .join("；"),
            )
        })?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query("DELETE FROM care_plans WHERE case_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO care_plans (case_id, visits_a_month, minutes_a_visit, days_a_month, \
             auxiliary_employment, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(plan.visits_a_month.map(i64::from))
        .bind(plan.minutes_a_visit.map(i64::from))
        .bind(plan.days_a_month.map(i64::from))
        .bind(i64::from(plan.auxiliary_employment))
        .bind(now)
        .bind(scope.username.clone())
        .execute(&mut *tx)
        .await?;
        let detail = plan_text(&plan);
        crate::cases::note(
            self.store,
            &mut tx,
            scope,
            id,
            "托养计划",
            self.store.today(),
            &detail,
            "case.care_plan",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Records a return check on case `id` (from the town up): the date (from the opening
    /// to today), a satisfaction score 1-5 and a note; audited.
    pub async fn check(
        &self,
        scope: &Scope,
        id: i64,
        date: NaiveDate,
        satisfaction: &str,
        note: &str,
    ) -> Result<()> {
        scope.require(closes(scope.role()))?;
        let (c, _) = self.store.cases().get(scope, id).await?;
        let opened: NaiveDate = c
            .opened_on
            .parse()
            .map_err(|_| StoreError::Internal("受理日期无法读取".into()))?;
        if date < opened || date > self.store.today() {
            return Err(StoreError::invalid(format!(
                "回访日期：应在受理日期{opened}至今天之间"
            )));
        }
        let score = satisfaction
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|s| (1..=5).contains(s))
            .ok_or_else(|| {
                StoreError::invalid(format!("满意度：“{}”应为1至5", satisfaction.trim()))
            })?;
        if note.chars().count() > 500 {
            return Err(StoreError::invalid("回访情况：不能超过500个字"));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO return_checks (case_id, on_date, satisfaction, note, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(date.to_string())
        .bind(score)
        .bind(note.trim().to_owned())
        .bind(now)
        .bind(scope.username.clone())
        .execute(&mut *tx)
        .await?;
        let detail = format!("满意度{score}分 {}", note.trim());
        crate::cases::note(
            self.store,
            &mut tx,
            scope,
            id,
            "回访",
            date,
            &detail,
            "case.return_check",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The return checks of case `id`, by date.
    pub async fn checks(&self, scope: &Scope, id: i64) -> Result<Vec<ReturnCheck>> {
        self.store.cases().get(scope, id).await?;
        sqlx::query(
            "SELECT on_date, satisfaction, note, created_by FROM return_checks WHERE case_id = $1 \
             ORDER BY on_date, id",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(ReturnCheck {
                on_date: r.try_get("on_date")?,
                satisfaction: r.try_get("satisfaction")?,
                note: r.try_get("note")?,
                created_by: r.try_get("created_by")?,
            })
        })
        .collect()
    }

    /// The month's supervision report of the scope (staff only): every care case assigned to
    /// a provider and open during the month, its plan against what was recorded, and the
    /// totals per provider and town. The view of personal data is audited.
    pub async fn supervision(
        &self,
        scope: &Scope,
        month: Month,
        f: &SupervisionFilter,
    ) -> Result<(Vec<SupervisionLine>, Vec<SupervisionTotal>)> {
        scope.require(scope.role().reads_persons())?;
        let whole = scope.role().sees_identifiers();
        let first = month.first_day().to_string();
        let next = month.next().first_day().to_string();
        let mut w = crate::sql::Where::default();
        w.push_prefix(self.store.backend(), "c.household_code", scope.prefix());
        w.push("g.kind = ?", crate::sql::Arg::Text("care".into()));
        w.push("c.opened_on < ?", crate::sql::Arg::Text(next.clone()));
        let open = w.arg(crate::sql::Arg::Text(first.clone()));
        w.push_plain(format!("(c.state = 'open' OR c.since >= {open})"));
        if let Some(p) = f.provider {
            w.push("c.provider_id = ?", crate::sql::Arg::Int(p));
        }
        if let Some(t) = f.town.as_deref().filter(|t| !t.is_empty()) {
            let t = t.get(..9).unwrap_or(t).to_owned();
            w.push_prefix_filter_only(self.store.backend(), "c.household_code", &t);
        }
        let sql = format!(
            "SELECT c.id, p.name, p.id_number, g.name AS programme, o.name AS provider, \
             c.household_code, cp.visits_a_month, cp.minutes_a_visit, cp.days_a_month, \
             cp.auxiliary_employment FROM cases c JOIN persons p ON p.id = c.person_id \
             JOIN programmes g ON g.id = c.programme_id JOIN providers o ON o.id = c.provider_id \
             LEFT JOIN care_plans cp ON cp.case_id = c.id WHERE {} ORDER BY o.name, c.household_code, c.id",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let rows = q.fetch_all(self.store.pool()).await?;
        // The month's deliveries and return checks of those cases.
        let ids: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        let mut delivered: HashMap<i64, Vec<Delivery>> = HashMap::new();
        let mut scores: HashMap<i64, Vec<i64>> = HashMap::new();
        for chunk in ids.chunks(500) {
            let list = chunk
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",");
            for r in sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT case_id, kind, on_date, units, start_time, end_time FROM deliveries \
                 WHERE case_id IN ({list}) AND on_date >= $1 AND on_date < $2"
            )))
            .bind(first.clone())
            .bind(next.clone())
            .fetch_all(self.store.pool())
            .await?
            {
                let time = |c: &str| -> Result<Option<chrono::NaiveTime>> {
                    Ok(r.try_get::<Option<String>, _>(c)?
                        .and_then(|t| chrono::NaiveTime::parse_from_str(&t, "%H:%M").ok()))
                };
                let Some(kind) = DeliveryKind::parse(&r.try_get::<String, _>("kind")?) else {
                    continue;
                };
                delivered
                    .entry(r.try_get("case_id")?)
                    .or_default()
                    .push(Delivery {
                        kind,
                        date: r
                            .try_get::<String, _>("on_date")?
                            .parse()
                            .map_err(|_| StoreError::Internal("服务日期无法读取".into()))?,
                        units: u32::try_from(r.try_get::<i64, _>("units")?).unwrap_or(0),
                        start: time("start_time")?,
                        end: time("end_time")?,
                        note: String::new(),
                    });
            }
            for r in sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT case_id, satisfaction FROM return_checks \
                 WHERE case_id IN ({list}) AND on_date >= $1 AND on_date < $2"
            )))
            .bind(first.clone())
            .bind(next.clone())
            .fetch_all(self.store.pool())
            .await?
            {
                scores
                    .entry(r.try_get("case_id")?)
                    .or_default()
                    .push(r.try_get("satisfaction")?);
            }
        }
        let mut lines = Vec::with_capacity(rows.len());
        let mut totals: BTreeMap<(String, String), (SupervisionTotal, Vec<i64>)> = BTreeMap::new();
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let plan = plan_from_row(r)?;
            let s = supervise(
                plan.as_ref(),
                delivered.get(&id).map_or(&[][..], Vec::as_slice),
            );
            let id_number: String = r.try_get("id_number")?;
            let household: String = r.try_get("household_code")?;
            let provider: String = r.try_get("provider")?;
            let town = town_of(&household);
            let checks = scores.get(&id).cloned().unwrap_or_default();
            let (t, all) = totals
                .entry((provider.clone(), town.clone()))
                .or_insert_with(|| {
                    (
                        SupervisionTotal {
                            provider: provider.clone(),
                            town: town.clone(),
                            ..SupervisionTotal::default()
                        },
                        Vec::new(),
                    )
                });
            t.cases += 1;
            t.short_cases += usize::from(!s.shortfalls.is_empty());
            t.planned_visits += s.planned_visits;
            t.visits += s.visits;
            t.planned_days += s.planned_days;
            t.days += s.days;
            t.checks += checks.len();
            all.extend(&checks);
            lines.push(SupervisionLine {
                case_id: id,
                name: r.try_get("name")?,
                id_number: if whole {
                    id_number
                } else {
                    mask::id_number(&id_number)
                },
                programme: r.try_get("programme")?,
                provider,
                town,
                plan,
                month: s,
                checks: checks.len(),
                satisfaction: average(&checks),
            });
        }
        let totals = totals
            .into_values()
            .map(|(mut t, all)| {
                t.satisfaction = average(&all);
                t
            })
            .collect();
        self.store
            .persons()
            .record_view(
                scope,
                "care.supervision",
                format!("month:{month}"),
                format!("{}个托养个案", lines.len()),
            )
            .await?;
        Ok((lines, totals))
    }
}

/// A plan in words.
pub fn plan_text(p: &CarePlan) -> String {
    let mut parts = Vec::new();
    if let (Some(v), Some(m)) = (p.visits_a_month, p.minutes_a_visit) {
        parts.push(format!("每月上门{v}次、每次{m}分钟"));
    }
    if let Some(d) = p.days_a_month {
        parts.push(format!("每月出勤{d}天"));
    }
    if p.auxiliary_employment {
        parts.push("参加辅助性就业".into());
    }
    parts.join("，")
}

#[cfg(test)]
mod tests {
    #[test]
    fn satisfaction_averages_in_hundredths_half_up() {
        assert_eq!(super::average(&[5, 4]), Some(450));
        assert_eq!(super::average(&[5, 4, 4]), Some(433));
        assert_eq!(super::average(&[5, 5, 4]), Some(467));
        assert_eq!(super::average(&[]), None);
    }
}
