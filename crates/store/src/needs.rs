//! Needs against services (需求未满足预警): every need the latest home visit of a living person
//! records (since the first visit of its unbroken run) or the person's latest survey form
//! records (since the day it was saved) is looked for among the services the
//! person holds (`data/needs/services.tsv`: a case of the programme kind, assistance or a
//! grant this month, employment, a placement, training); a need without its service is a
//! warning for the town of the household. Warnings are computed, not kept: one closes when
//! its service appears.

use std::collections::{BTreeMap, HashMap};

use anju_domain::needs::{Held, NeedItems, NeedServices};
use anju_domain::{RegionTable, mask};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use crate::sql::Where;
use crate::worklist::WorkItem;
use crate::{Result, Scope, Store, StoreError};

/// One need without its service.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Gap {
    pub person_id: i64,
    pub name: String,
    /// Masked unless the role may see it whole.
    pub id_number: String,
    pub need_code: String,
    pub need: String,
    pub town_code: String,
    pub town: String,
    /// The need has been recorded since this day.
    pub since: NaiveDate,
}

/// Warnings per town and need item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GapCount {
    pub town_code: String,
    pub town: String,
    pub need: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Gaps {
    /// The region looked at (its 12-digit code).
    pub region: String,
    pub warnings: Vec<Gap>,
    pub counts: Vec<GapCount>,
}

pub struct Needs<'a> {
    store: &'a Store,
}

impl Store {
    pub fn needs(&self) -> Needs<'_> {
        Needs { store: self }
    }
}

fn town_of(household: &str) -> String {
    format!("{:0<12}", household.get(..9).unwrap_or(household))
}

impl Needs<'_> {
    /// The warnings of the scope's subtree, or of `region` within it; by town, need and
    /// person. Not audited here: the callers that show or export names record it.
    pub async fn gaps(&self, scope: &Scope, region: Option<&str>) -> Result<Gaps> {
        scope.require(scope.role().reads_persons())?;
        let (prefix, code) = match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                // A code may be given short (320102 for 320102000000).
                let full = if r.len() < 12 && r.bytes().all(|b| b.is_ascii_digit()) {
                    format!("{r:0<12}")
                } else {
                    r.to_owned()
                };
                let c = RegionTable::jiangsu().current(&full)?;
                if !scope.covers(&c.code) {
                    return Err(StoreError::Forbidden);
                }
                (c.prefix().to_owned(), c.code.to_string())
            }
            None => (scope.prefix().to_owned(), scope.region().code.to_string()),
        };
        let items = NeedItems::shipped().map_err(StoreError::Internal)?;
        let map = NeedServices::shipped(&items).map_err(StoreError::Internal)?;
        let backend = self.store.backend();
        // Every visit of the living people of the subtree that named a need, the latest first.
        let mut w = Where::default();
        w.push_prefix(backend, "p.household_code", &prefix);
        w.push_plain("p.life_status = 'living'");
        let sql = format!(
            "SELECT v.person_id, v.visited_on, v.needs, p.name, p.id_number, p.household_code \
             FROM visits v JOIN persons p ON p.id = v.person_id WHERE {} \
             ORDER BY v.person_id, v.visited_on DESC, v.id DESC",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        struct Who {
            name: String,
            id_number: String,
            household: String,
            visits: Vec<(NaiveDate, Vec<String>)>,
        }
        let mut people: BTreeMap<i64, Who> = BTreeMap::new();
        for r in q.fetch_all(self.store.pool()).await? {
            let id: i64 = r.try_get("person_id")?;
            let on: String = r.try_get("visited_on")?;
            let needs: String = r.try_get("needs")?;
            let who = people.entry(id).or_insert_with(|| Who {
                name: r.try_get("name").unwrap_or_default(),
                id_number: r.try_get("id_number").unwrap_or_default(),
                household: r.try_get("household_code").unwrap_or_default(),
                visits: Vec::new(),
            });
            who.visits.push((
                on.parse()
                    .map_err(|_| StoreError::Internal("走访记录无法读取".into()))?,
                needs
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ));
        }
        // Each person's latest survey form: its needs count from the day it was saved, unless
        // a visit recorded them earlier.
        let mut w = Where::default();
        w.push_prefix(backend, "p.household_code", &prefix);
        w.push_plain("p.life_status = 'living'");
        let sql = format!(
            "SELECT f.person_id, f.updated_at, f.answers, p.name, p.id_number, p.household_code \
             FROM survey_forms f JOIN persons p ON p.id = f.person_id WHERE {} \
             AND NOT EXISTS (SELECT 1 FROM survey_forms g WHERE g.person_id = f.person_id \
             AND g.year > f.year)",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let mut surveyed: BTreeMap<i64, Vec<(String, NaiveDate)>> = BTreeMap::new();
        for r in q.fetch_all(self.store.pool()).await? {
            let id: i64 = r.try_get("person_id")?;
            let answers: BTreeMap<String, String> =
                serde_json::from_str(&r.try_get::<String, _>("answers")?).unwrap_or_default();
            let on = anju_domain::time::beijing_date(r.try_get("updated_at")?)
                .unwrap_or_else(|| self.store.today());
            let codes: Vec<(String, NaiveDate)> = answers
                .get("needs")
                .map(|v| {
                    v.split('、')
                        .filter_map(|n| items.find(n).map(|i| (i.code.clone(), on)))
                        .collect()
                })
                .unwrap_or_default();
            if codes.is_empty() {
                continue;
            }
            people.entry(id).or_insert_with(|| Who {
                name: r.try_get("name").unwrap_or_default(),
                id_number: r.try_get("id_number").unwrap_or_default(),
                household: r.try_get("household_code").unwrap_or_default(),
                visits: Vec::new(),
            });
            surveyed.insert(id, codes);
        }
        // The needs still recorded, watched by the map.
        let open: Vec<(i64, Vec<(String, NaiveDate)>)> = people
            .iter()
            .map(|(id, w)| {
                let mut needs = NeedServices::current(&w.visits);
                for (n, on) in surveyed.get(id).into_iter().flatten() {
                    match needs.iter_mut().find(|(m, _)| m == n) {
                        Some((_, since)) => *since = (*since).min(*on),
                        None => needs.push((n.clone(), *on)),
                    }
                }
                (
                    *id,
                    needs
                        .into_iter()
                        .filter(|(n, _)| map.watched(n))
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, n)| !n.is_empty())
            .collect();
        let ids: Vec<i64> = open.iter().map(|(id, _)| *id).collect();
        let held = self.held(&ids).await?;
        let whole = scope.role().sees_identifiers();
        let regions = RegionTable::jiangsu();
        let mut warnings = Vec::new();
        let empty = Held::default();
        for (id, needs) in open {
            let who = &people[&id];
            let h = held.get(&id).unwrap_or(&empty);
            for (need, since) in needs {
                if map.answered(&need, since, h) {
                    continue;
                }
                let town_code = town_of(&who.household);
                warnings.push(Gap {
                    person_id: id,
                    name: who.name.clone(),
                    id_number: if whole {
                        who.id_number.clone()
                    } else {
                        mask::id_number(&who.id_number)
                    },
                    need: items.name_of(&need),
                    need_code: need,
                    town: regions.name_of(&town_code),
                    town_code,
                    since,
                });
            }
        }
        warnings.sort_by(|a, b| {
            (&a.town_code, &a.need_code, a.since, a.person_id).cmp(&(
                &b.town_code,
                &b.need_code,
                b.since,
                b.person_id,
            ))
        });
        let mut counts: BTreeMap<(String, String), (String, i64)> = BTreeMap::new();
        for g in &warnings {
            counts
                .entry((g.town_code.clone(), g.need.clone()))
                .or_insert_with(|| (g.town.clone(), 0))
                .1 += 1;
        }
        Ok(Gaps {
            region: code,
            warnings,
            counts: counts
                .into_iter()
                .map(|((town_code, need), (town, count))| GapCount {
                    town_code,
                    town,
                    need,
                    count,
                })
                .collect(),
        })
    }

    /// The services the people hold, 500 at a time.
    async fn held(&self, ids: &[i64]) -> Result<HashMap<i64, Held>> {
        let mut out: HashMap<i64, Held> = HashMap::new();
        let month = anju_domain::month::Month::of(self.store.today()).to_string();
        let pool = self.store.pool();
        for part in ids.chunks(500) {
            let list = part
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let date = |s: String| -> Result<NaiveDate> {
                s.parse()
                    .map_err(|_| StoreError::Internal("服务记录无法读取".into()))
            };
            let sql = format!(
                "SELECT c.person_id, g.kind, c.state, c.opened_on FROM cases c \
                 JOIN programmes g ON g.id = c.programme_id \
                 WHERE c.state <> 'refused' AND c.person_id IN ({list})"
            );
            for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await?
            {
                let state: String = r.try_get("state")?;
                out.entry(r.try_get("person_id")?).or_default().cases.push((
                    r.try_get("kind")?,
                    state == "open",
                    date(r.try_get("opened_on")?)?,
                ));
            }
            for (table, field) in [("assistance", 0), ("grants", 1)] {
                let sql = format!(
                    "SELECT person_id, kind FROM {table} WHERE person_id IN ({list}) \
                     AND from_month <= $1 AND (to_month IS NULL OR to_month >= $2)"
                );
                for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(month.clone())
                    .bind(month.clone())
                    .fetch_all(pool)
                    .await?
                {
                    let h = out.entry(r.try_get("person_id")?).or_default();
                    let kind: String = r.try_get("kind")?;
                    if field == 0 {
                        h.assistance.push(kind);
                    } else {
                        h.grants.push(kind);
                    }
                }
            }
            // Employed now: the latest status by date is a form of work.
            let sql = format!(
                "SELECT e.person_id, e.form FROM employment_records e WHERE e.person_id IN \
                 ({list}) AND NOT EXISTS (SELECT 1 FROM employment_records x WHERE \
                 x.person_id = e.person_id AND (x.since > e.since OR (x.since = e.since \
                 AND x.id > e.id)))"
            );
            for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await?
            {
                let form: String = r.try_get("form")?;
                out.entry(r.try_get("person_id")?).or_default().employed = form != "unemployed";
            }
            let sql = format!(
                "SELECT DISTINCT person_id FROM job_placements WHERE status = 'active' \
                 AND person_id IN ({list})"
            );
            for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await?
            {
                out.entry(r.try_get("person_id")?).or_default().placed = true;
            }
            let sql = format!(
                "SELECT a.person_id, c.ends_on FROM training_attendance a \
                 JOIN training_courses c ON c.id = a.course_id WHERE a.person_id IN ({list})"
            );
            for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await?
            {
                let end = date(r.try_get("ends_on")?)?;
                out.entry(r.try_get("person_id")?)
                    .or_default()
                    .trained
                    .push(end);
            }
        }
        Ok(out)
    }
}

/// The worklist's line: warnings open in the subtree (town staff and above).
pub(crate) async fn work_items(store: &Store, scope: &Scope) -> Result<Vec<WorkItem>> {
    if !scope.role().runs_job_services() {
        return Ok(Vec::new());
    }
    let g = store.needs().gaps(scope, None).await?;
    Ok(match g.warnings.iter().map(|w| w.since).min() {
        Some(first) => vec![WorkItem {
            kind: "needs_gap",
            label: format!("{} 条需求未满足预警", g.warnings.len()),
            count: g.warnings.len() as i64,
            due: Some(first),
            overdue: false,
            href: "/needs/gaps".into(),
        }],
        None => Vec::new(),
    })
}
