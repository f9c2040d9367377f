//! Home visits (入户访视): each worker's list of the people the visit rules name in their
//! subtree with the next visit's date, the visits recorded (once per form, whatever a phone
//! that lost its connection sends again), the person's visits on the file, and what a visit
//! asks the town to follow up, on the worklist until closed.

use anju_domain::audit::Outcome;
use anju_domain::certificate::{CertState, CertStatus};
use anju_domain::needs::NeedItems;
use anju_domain::visit::{Due, Situation, Visit, VisitFacts, VisitInput, VisitRules};
use anju_domain::{RegionTable, mask};
use chrono::{Days, NaiveDate};
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::sql::{Arg, Where};
use crate::worklist::WorkItem;
use crate::{Result, Scope, Store, StoreError};

/// A person on a visit list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitDue {
    pub person_id: i64,
    pub name: String,
    /// Masked unless the role may see it whole.
    pub id_number: String,
    pub household_code: String,
    pub village: String,
    pub last_visit: Option<NaiveDate>,
    #[serde(flatten)]
    pub due: Due,
}

/// A visit as kept.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitRecord {
    pub id: i64,
    pub person_id: i64,
    #[serde(flatten)]
    pub visit: Visit,
    pub created_by: String,
    /// The follow-up it raised, when it raised one.
    pub followup_id: Option<i64>,
}

impl VisitRecord {
    /// The structured answers in words.
    pub fn labels(&self) -> VisitLabels {
        let s = Situation::shipped().unwrap_or(Situation {
            met: Vec::new(),
            living: Vec::new(),
            health: Vec::new(),
            income: Vec::new(),
        });
        let needs = NeedItems::shipped().ok();
        VisitLabels {
            met: Situation::name_of(&s.met, &self.visit.met),
            living: Situation::name_of(&s.living, &self.visit.living),
            health: Situation::name_of(&s.health, &self.visit.health),
            income: Situation::name_of(&s.income, &self.visit.income),
            needs: self
                .visit
                .needs
                .iter()
                .map(|n| needs.as_ref().map_or_else(|| n.clone(), |x| x.name_of(n)))
                .collect::<Vec<_>>()
                .join("、"),
        }
    }
}

/// A visit's choices by name, for pages and exports.
#[derive(Debug, Clone)]
pub struct VisitLabels {
    pub met: String,
    pub living: String,
    pub health: String,
    pub income: String,
    pub needs: String,
}

/// What a visit asked the town to follow up.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Followup {
    pub id: i64,
    pub visit_id: i64,
    pub person_id: i64,
    pub name: String,
    /// Masked unless the role may see it whole.
    pub id_number: String,
    pub town: String,
    pub what: String,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub status: String,
    pub outcome: String,
    pub raised_by: String,
    pub visited_on: NaiveDate,
}

/// Filters of a visit list.
#[derive(Debug, Clone, Default)]
pub struct DueFilter {
    /// Only the people whose visit is due by this day (overdue included).
    pub by: Option<NaiveDate>,
    pub overdue_only: bool,
    /// Only under this rule (its name).
    pub rule: Option<String>,
}

pub struct Visits<'a> {
    store: &'a Store,
}

impl Store {
    pub fn visits(&self) -> Visits<'_> {
        Visits { store: self }
    }
}

fn rules() -> Result<VisitRules> {
    VisitRules::shipped().map_err(StoreError::Internal)
}

fn bad() -> StoreError {
    StoreError::Internal("走访记录无法读取".into())
}

fn date(s: &str) -> Result<NaiveDate> {
    s.parse().map_err(|_| bad())
}

const VISIT_COLUMNS: &str = "v.id, v.person_id, v.visited_on, v.met, v.living, v.health, \
    v.income, v.needs, v.note, v.created_by, f.id AS followup_id, f.what AS followup";

fn visit_from_row(r: &sqlx::any::AnyRow) -> Result<VisitRecord> {
    let needs: String = r.try_get("needs")?;
    Ok(VisitRecord {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        visit: Visit {
            visited_on: date(&r.try_get::<String, _>("visited_on")?)?,
            met: r.try_get("met")?,
            living: r.try_get("living")?,
            health: r.try_get("health")?,
            income: r.try_get("income")?,
            needs: needs
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            note: r.try_get("note")?,
            followup: r.try_get("followup")?,
        },
        created_by: r.try_get("created_by")?,
        followup_id: r.try_get("followup_id")?,
    })
}

impl Visits<'_> {
    /// Records a visit to a person of the scope (staff who write files, village workers
    /// first); with a `token`, a form sent again returns the visit first kept. A follow-up
    /// it raises goes to the town of the household with the rules' deadline. Audited.
    pub async fn record(
        &self,
        scope: &Scope,
        person: i64,
        input: &VisitInput,
        token: Option<&str>,
    ) -> Result<VisitRecord> {
        scope.require(scope.role().writes_persons())?;
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let token = token.map(str::trim).filter(|t| !t.is_empty());
        if let Some(t) = token
            && let Some(v) = self.by_token(person, t).await?
        {
            return Ok(v);
        }
        let situation = Situation::shipped().map_err(StoreError::Internal)?;
        let needs = NeedItems::shipped().map_err(StoreError::Internal)?;
        let today = self.store.today();
        let v = input
            .validate(&situation, &needs, today)
            .map_err(crate::jobs::faults)?;
        let rules = rules()?;
        let calendar = self.store.certificates().calendar().await?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        // A token already kept (the same form sent twice at once) keeps nothing new.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO visits (person_id, visited_on, met, living, health, income, needs, note, \
             token, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (token) DO NOTHING RETURNING id",
        )
        .bind(rec.id)
        .bind(v.visited_on.to_string())
        .bind(v.met.clone())
        .bind(v.living.clone())
        .bind(v.health.clone())
        .bind(v.income.clone())
        .bind(v.needs.join(","))
        .bind(v.note.clone())
        .bind(token.map(str::to_owned))
        .bind(now)
        .bind(scope.username.clone())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            drop(tx);
            return self
                .by_token(person, token.unwrap_or_default())
                .await?
                .ok_or_else(|| StoreError::Invalid("这份走访记录已提交".into()));
        };
        if let Some(what) = &v.followup {
            let due = calendar.add_working_days(today, rules.followup_days);
            sqlx::query(
                "INSERT INTO visit_followups (visit_id, person_id, household_code, what, due_on, \
                 status, outcome, created_at) VALUES ($1, $2, $3, $4, $5, 'open', '', $6)",
            )
            .bind(id)
            .bind(rec.id)
            .bind(rec.person.household_code.as_str().to_owned())
            .bind(what.clone())
            .bind(due.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "visit.record",
                format!("person:{}", rec.id),
                Outcome::Success,
            )
            .detail(format!(
                "{} 入户访视 {}{}",
                mask::id_number(rec.person.id_number.as_str()),
                v.visited_on,
                if v.followup.is_some() {
                    "，提出跟进事项"
                } else {
                    ""
                }
            )),
        )
        .await?;
        tx.commit().await?;
        self.one(id).await
    }

    /// Records many checked visits at once (visits filled elsewhere, generated data), each
    /// to the person with that ID number in the scope; all or nothing: a number outside the
    /// scope refuses the whole batch. No follow-ups. Audited once.
    pub async fn record_many(
        &self,
        scope: &Scope,
        visits: Vec<(anju_domain::id_number::IdNumber, Visit)>,
    ) -> Result<u64> {
        scope.require(scope.role().writes_persons())?;
        let backend = self.store.backend();
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let mut n = 0u64;
        for part in visits.chunks(500) {
            let mut w = Where::default();
            let ps: Vec<String> = part
                .iter()
                .map(|(id, _)| w.arg(Arg::Text(id.as_str().to_owned())))
                .collect();
            w.push_plain(format!("id_number IN ({})", ps.join(",")));
            w.push_prefix(backend, "household_code", scope.prefix());
            let sql = format!("SELECT id, id_number FROM persons WHERE {}", w.sql());
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in w.args {
                q = a.bind_owned(q);
            }
            let keys: std::collections::HashMap<String, i64> = q
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("id_number")?, r.try_get("id")?)))
                .collect::<Result<_>>()?;
            let mut rows = Vec::with_capacity(part.len());
            for (id, v) in part {
                let Some(key) = keys.get(id.as_str()) else {
                    return Err(StoreError::Invalid(format!(
                        "身份证号 {}：不在您的管辖范围内的档案中",
                        mask::id_number(id.as_str())
                    )));
                };
                rows.push(vec![
                    Arg::Int(*key),
                    Arg::Text(v.visited_on.to_string()),
                    Arg::Text(v.met.clone()),
                    Arg::Text(v.living.clone()),
                    Arg::Text(v.health.clone()),
                    Arg::Text(v.income.clone()),
                    Arg::Text(v.needs.join(",")),
                    Arg::Text(v.note.clone()),
                    Arg::Int(now),
                    Arg::Text(scope.username.clone()),
                ]);
            }
            n += rows.len() as u64;
            crate::sql::insert_rows(
                &mut tx,
                backend,
                "visits",
                &[
                    "person_id",
                    "visited_on",
                    "met",
                    "living",
                    "health",
                    "income",
                    "needs",
                    "note",
                    "created_at",
                    "created_by",
                ],
                rows,
            )
            .await?;
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(scope, "visit.record_many", "visits", Outcome::Success)
                .detail(format!("{n}条走访记录")),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn by_token(&self, person: i64, token: &str) -> Result<Option<VisitRecord>> {
        let sql = format!(
            "SELECT {VISIT_COLUMNS} FROM visits v LEFT JOIN visit_followups f ON f.visit_id = v.id \
             WHERE v.token = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token.to_owned())
            .fetch_optional(self.store.pool())
            .await?;
        match row.as_ref().map(visit_from_row).transpose()? {
            Some(v) if v.person_id == person => Ok(Some(v)),
            Some(_) => Err(StoreError::Invalid(
                "这份表单已用于另一人的走访记录，请重新打开表单".into(),
            )),
            None => Ok(None),
        }
    }

    async fn one(&self, id: i64) -> Result<VisitRecord> {
        let sql = format!(
            "SELECT {VISIT_COLUMNS} FROM visits v LEFT JOIN visit_followups f ON f.visit_id = v.id \
             WHERE v.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(self.store.pool())
            .await?;
        visit_from_row(&row)
    }

    /// A person's visits, the latest first (the person must be in the scope).
    pub async fn of_person(&self, scope: &Scope, person: i64) -> Result<Vec<VisitRecord>> {
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let sql = format!(
            "SELECT {VISIT_COLUMNS} FROM visits v LEFT JOIN visit_followups f ON f.visit_id = v.id \
             WHERE v.person_id = $1 ORDER BY v.visited_on DESC, v.id DESC LIMIT 200"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(rec.id)
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(visit_from_row)
            .collect()
    }

    /// The people of the scope the visit rules name, with their next visit, the nearest
    /// first. Not audited here: the pages that show names record the view.
    pub async fn due(&self, scope: &Scope, filter: &DueFilter) -> Result<Vec<VisitDue>> {
        scope.require(scope.role().reads_persons())?;
        let rules = rules()?;
        let today = self.store.today();
        let month = anju_domain::month::Month::of(today).to_string();
        let backend = self.store.backend();
        let mut w = Where::default();
        w.push_prefix(backend, "p.household_code", scope.prefix());
        w.push_plain("p.life_status = 'living'");
        let m1 = w.arg(Arg::Text(month.clone()));
        let m2 = w.arg(Arg::Text(month));
        let sql = format!(
            "SELECT * FROM (SELECT p.id, p.name, p.id_number, p.household_code, p.grade, \
             p.cert_state, p.cert_valid_to, CASE WHEN p.cert_number IS NULL AND p.cert_issued IS \
             NULL AND p.cert_valid_to IS NULL THEN 0 ELSE 1 END AS holds, \
             (SELECT MAX(v.visited_on) FROM visits v WHERE v.person_id = p.id) AS last_visit, \
             (SELECT v.living FROM visits v WHERE v.person_id = p.id \
              ORDER BY v.visited_on DESC, v.id DESC LIMIT 1) AS living, \
             CASE WHEN EXISTS (SELECT 1 FROM assistance a WHERE a.person_id = p.id \
              AND a.kind IN ('dibao', 'dibao_edge', 'tekun') AND a.from_month <= {m1} \
              AND (a.to_month IS NULL OR a.to_month >= {m2})) THEN 1 ELSE 0 END AS hardship, \
             CASE WHEN EXISTS (SELECT 1 FROM cases c JOIN programmes g ON g.id = c.programme_id \
              JOIN care_plans cp ON cp.case_id = c.id WHERE c.person_id = p.id \
              AND c.state = 'open' AND g.kind = 'care' AND cp.visits_a_month IS NOT NULL) \
              THEN 1 ELSE 0 END AS home_care \
             FROM persons p WHERE {}) t \
             WHERE t.grade IN (1, 2) OR t.hardship = 1 OR t.home_care = 1 OR t.living = 'alone'",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let whole = scope.role().sees_identifiers();
        let regions = RegionTable::jiangsu();
        let mut out = Vec::new();
        for r in q.fetch_all(self.store.pool()).await? {
            let grade: Option<i64> = r.try_get("grade")?;
            let valid: Option<String> = r.try_get("cert_valid_to")?;
            let in_force = CertStatus::of_file(
                r.try_get::<i64, _>("holds")? == 1,
                CertState::parse(&r.try_get::<String, _>("cert_state")?)
                    .unwrap_or(CertState::Cancelled),
                valid.and_then(|v| v.parse().ok()),
                today,
                0,
            )
            .in_force();
            let facts = VisitFacts {
                hardship: r.try_get::<i64, _>("hardship")? == 1,
                alone: r.try_get::<Option<String>, _>("living")?.as_deref() == Some("alone"),
                severe: in_force && matches!(grade, Some(1 | 2)),
                home_care: r.try_get::<i64, _>("home_care")? == 1,
            };
            let last = r
                .try_get::<Option<String>, _>("last_visit")?
                .and_then(|d| d.parse().ok());
            let Some(due) = rules.due(&facts, last, today) else {
                continue;
            };
            if filter.by.is_some_and(|by| due.due_on > by)
                || (filter.overdue_only && !due.overdue)
                || filter.rule.as_ref().is_some_and(|x| *x != due.rule)
            {
                continue;
            }
            let id_number: String = r.try_get("id_number")?;
            let household: String = r.try_get("household_code")?;
            out.push(VisitDue {
                person_id: r.try_get("id")?,
                name: r.try_get("name")?,
                id_number: if whole {
                    id_number
                } else {
                    mask::id_number(&id_number)
                },
                village: regions.name_of(&household),
                household_code: household,
                last_visit: last,
                due,
            });
        }
        out.sort_by(|a, b| {
            (a.due.due_on, &a.household_code, a.person_id).cmp(&(
                b.due.due_on,
                &b.household_code,
                b.person_id,
            ))
        });
        Ok(out)
    }

    /// Follow-ups raised in the scope (open ones when `open`), the nearest deadline first.
    pub async fn followups(&self, scope: &Scope, open: bool) -> Result<Vec<Followup>> {
        scope.require(scope.role().reads_persons())?;
        let mut w = Where::default();
        w.push_prefix(self.store.backend(), "f.household_code", scope.prefix());
        if open {
            w.push_plain("f.status = 'open'");
        }
        let sql = format!(
            "SELECT f.id, f.visit_id, f.person_id, f.household_code, f.what, f.due_on, f.status, \
             f.outcome, v.created_by, v.visited_on, p.name, p.id_number FROM visit_followups f \
             JOIN visits v ON v.id = f.visit_id JOIN persons p ON p.id = f.person_id WHERE {} \
             ORDER BY f.status DESC, f.due_on, f.id LIMIT 5000",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let today = self.store.today();
        let whole = scope.role().sees_identifiers();
        let regions = RegionTable::jiangsu();
        q.fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| {
                let household: String = r.try_get("household_code")?;
                let due_on = date(&r.try_get::<String, _>("due_on")?)?;
                let status: String = r.try_get("status")?;
                let id_number: String = r.try_get("id_number")?;
                Ok(Followup {
                    id: r.try_get("id")?,
                    visit_id: r.try_get("visit_id")?,
                    person_id: r.try_get("person_id")?,
                    name: r.try_get("name")?,
                    id_number: if whole {
                        id_number
                    } else {
                        mask::id_number(&id_number)
                    },
                    town: regions
                        .name_of(&format!("{:0<12}", &household[..9.min(household.len())])),
                    what: r.try_get("what")?,
                    overdue: status == "open" && due_on < today,
                    due_on,
                    status,
                    outcome: r.try_get("outcome")?,
                    raised_by: r.try_get("created_by")?,
                    visited_on: date(&r.try_get::<String, _>("visited_on")?)?,
                })
            })
            .collect()
    }

    /// Closes a follow-up with what was done (town staff and above, in their subtree); once,
    /// even when two close it at once. Audited.
    pub async fn close_followup(&self, scope: &Scope, id: i64, outcome: &str) -> Result<()> {
        scope.require(scope.role().runs_job_services())?;
        let outcome = outcome.trim();
        if outcome.is_empty() {
            return Err(StoreError::Invalid("办理结果：请填写如何处理".into()));
        }
        if outcome.chars().count() > 2000 {
            return Err(StoreError::Invalid("办理结果：不能超过2000字".into()));
        }
        let household: Option<String> =
            sqlx::query_scalar("SELECT household_code FROM visit_followups WHERE id = $1")
                .bind(id)
                .fetch_optional(self.store.pool())
                .await?;
        match household {
            Some(h) if scope.covers_code(&h) => {}
            _ => return Err(StoreError::NotFound("跟进事项".into())),
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let done = sqlx::query(
            "UPDATE visit_followups SET status = 'closed', outcome = $1, closed_by = $2, \
             closed_at = $3 WHERE id = $4 AND status = 'open'",
        )
        .bind(outcome.to_owned())
        .bind(scope.username.clone())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Invalid("这条跟进事项已办结".into()));
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "visit.followup",
                format!("followup:{id}"),
                Outcome::Success,
            )
            .detail(outcome.to_owned()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The worklist's lines: visits due within the rules' notice, follow-ups open in the towns.
pub(crate) async fn work_items(
    store: &Store,
    scope: &Scope,
    today: NaiveDate,
) -> Result<Vec<WorkItem>> {
    let rules = rules()?;
    let mut out = Vec::new();
    let by = today + Days::new(u64::from(rules.notice_days));
    let due = store
        .visits()
        .due(
            scope,
            &DueFilter {
                by: Some(by),
                ..DueFilter::default()
            },
        )
        .await?;
    if let Some(first) = due.first() {
        let overdue = due.iter().filter(|v| v.due.overdue).count();
        out.push(WorkItem {
            kind: "visit",
            label: if overdue > 0 {
                format!("{} 人入户访视到期（其中 {overdue} 人已逾期）", due.len())
            } else {
                format!("{} 人入户访视到期", due.len())
            },
            count: due.len() as i64,
            due: Some(first.due.due_on),
            overdue: overdue > 0,
            href: "/visits".into(),
        });
    }
    if scope.role().runs_job_services() {
        let open = store.visits().followups(scope, true).await?;
        if let Some(first) = open.first() {
            let overdue = open.iter().filter(|f| f.overdue).count();
            out.push(WorkItem {
                kind: "visit_followup",
                label: if overdue > 0 {
                    format!(
                        "{} 条走访发现的问题待跟进（其中 {overdue} 条已逾期）",
                        open.len()
                    )
                } else {
                    format!("{} 条走访发现的问题待跟进", open.len())
                },
                count: open.len() as i64,
                due: Some(first.due_on),
                overdue: overdue > 0,
                href: "/visits/followups".into(),
            });
        }
    }
    Ok(out)
}
