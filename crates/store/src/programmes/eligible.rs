//! Who a programme could serve on a date: one pass over the living files of a scope, with
//! what the conditions read beside each file gathered first.

use std::collections::HashMap;

use anju_domain::audit::Outcome;
use anju_domain::mask;
use anju_domain::programme::{Condition, Subject};
use anju_domain::subsidy::Assistance;
use chrono::NaiveDate;
use sqlx::Row;

use super::{EligiblePerson, ProgrammeRecord, Programmes};
use crate::audit::NewEntry;
use crate::persons::{COLUMNS as PERSON_COLUMNS, record_from_row};
use crate::sql::{Arg, Where};
use crate::{Result, Scope, StoreError};

impl Programmes<'_> {
    /// Everyone in the scope (under `region`, if given) eligible for `programme` on `date`,
    /// each with every condition explained. The view is audited.
    pub async fn eligible(
        &self,
        scope: &Scope,
        programme: &str,
        date: NaiveDate,
        region: Option<&str>,
    ) -> Result<Vec<EligiblePerson>> {
        scope.require(scope.role().reads_persons())?;
        let rec = self.get(scope, programme).await?;
        let whole = scope.role().sees_identifiers();
        let mut out = Vec::new();
        self.pass(scope, date, region, &[&rec], |s, _, person_id| {
            let conditions = match &rec.programme.conditions {
                Condition::AllOf(list) => list.iter().map(|c| c.explain(s, date)).collect(),
                c => vec![c.explain(s, date)],
            };
            let id = s.person.id_number.as_str();
            out.push(EligiblePerson {
                person_id,
                id_number: if whole {
                    id.to_owned()
                } else {
                    mask::id_number(id)
                },
                name: s.person.name.clone(),
                household_code: s.person.household_code.to_string(),
                conditions,
            });
        })
        .await?;
        self.store
            .audit()
            .record(
                NewEntry::by(
                    scope,
                    "programme.eligible",
                    format!("programme:{}", rec.id),
                    Outcome::Success,
                )
                .detail(format!("{} {date} {}人", rec.programme.name, out.len())),
            )
            .await?;
        Ok(out)
    }

    /// How many people in the scope each programme serves on `date`, every programme decided
    /// for every living file in one pass over the registry.
    pub async fn eligible_counts(
        &self,
        scope: &Scope,
        date: NaiveDate,
        region: Option<&str>,
    ) -> Result<Vec<(String, u64)>> {
        let all = self.list(scope).await?;
        let refs: Vec<&ProgrammeRecord> = all.iter().collect();
        let mut counts = vec![0u64; refs.len()];
        self.pass(scope, date, region, &refs, |_, i, _| counts[i] += 1)
            .await?;
        Ok(all
            .iter()
            .zip(counts)
            .map(|(r, n)| (r.programme.name.clone(), n))
            .collect())
    }

    /// Walks the living files of the scope (under `region`), gathering what the conditions
    /// read, and calls `found` for each (person, programme index) whose conditions hold.
    async fn pass(
        &self,
        scope: &Scope,
        date: NaiveDate,
        region: Option<&str>,
        programmes: &[&ProgrammeRecord],
        mut found: impl FnMut(&Subject<'_>, usize, i64),
    ) -> Result<()> {
        use futures_util::TryStreamExt;
        let prefix = match region {
            Some(code) => {
                let r = anju_domain::RegionTable::jiangsu().current(code)?;
                if !scope.covers(&r.code) {
                    return Err(StoreError::NotFound("区划".into()));
                }
                r.prefix().to_owned()
            }
            None => scope.prefix().to_owned(),
        };
        let backend = self.store.backend();
        let mut conn = self.store.pool().acquire().await?;
        // The facts beside the file, keyed by person: assistance, diagnoses, enrolment on the
        // date, and the cases of each programme asked about.
        // Each query: the files under the prefix, then its own conditions.
        let query = |sql: &str, dated: bool| {
            let mut w = Where::default();
            w.push_prefix(backend, "p.household_code", &prefix);
            let date_arg = dated.then(|| w.arg(Arg::Text(date.to_string())));
            let sql = sql
                .replace("{under}", &w.sql())
                .replace("{date}", date_arg.as_deref().unwrap_or(""));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in w.args {
                q = a.bind_owned(q);
            }
            q
        };
        let mut assistance: HashMap<i64, Vec<Assistance>> = HashMap::new();
        let q = query(
            "SELECT a.person_id, a.kind, a.from_month, a.to_month, a.amount_fen \
             FROM assistance a JOIN persons p ON p.id = a.person_id WHERE {under}",
            false,
        );
        let mut rows = q.fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            assistance
                .entry(r.try_get("person_id")?)
                .or_default()
                .push(crate::subsidy::assistance_from_row(&r)?);
        }
        drop(rows);
        let mut diagnoses: HashMap<i64, Vec<String>> = HashMap::new();
        let q = query(
            "SELECT d.person_id, d.name FROM diagnoses d JOIN persons p ON p.id = d.person_id \
             WHERE {under} AND d.diagnosed_on <= {date}",
            true,
        );
        let mut rows = q.fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            diagnoses
                .entry(r.try_get("person_id")?)
                .or_default()
                .push(r.try_get("name")?);
        }
        drop(rows);
        let mut students: std::collections::HashSet<i64> = std::collections::HashSet::new();
        let q = query(
            "SELECT e.person_id FROM enrolments e JOIN persons p ON p.id = e.person_id \
             WHERE {under} AND e.from_date <= {date} \
             AND (e.to_date IS NULL OR e.to_date >= {date})",
            true,
        );
        let mut rows = q.fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            students.insert(r.try_get("person_id")?);
        }
        drop(rows);
        let index: HashMap<i64, usize> = programmes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i))
            .collect();
        let mut served: HashMap<(i64, usize), Vec<NaiveDate>> = HashMap::new();
        let q = query(
            "SELECT c.person_id, c.programme_id, c.opened_on FROM cases c \
             JOIN persons p ON p.id = c.person_id WHERE {under} AND c.state <> 'refused'",
            false,
        );
        let mut rows = q.fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            let Some(&i) = index.get(&r.try_get::<i64, _>("programme_id")?) else {
                continue;
            };
            if let Ok(d) = r.try_get::<String, _>("opened_on")?.parse::<NaiveDate>() {
                served
                    .entry((r.try_get("person_id")?, i))
                    .or_default()
                    .push(d);
            }
        }
        drop(rows);
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM persons p WHERE {{under}} AND p.life_status = 'living' \
             ORDER BY p.household_code, p.id"
        );
        let q = query(&sql, false);
        let mut rows = q.fetch(&mut *conn);
        let none: Vec<NaiveDate> = Vec::new();
        while let Some(r) = rows.try_next().await? {
            let rec = record_from_row(&r)?;
            let id = rec.id;
            for (i, p) in programmes.iter().enumerate() {
                let s = Subject {
                    person: &rec.person,
                    assistance: assistance.get(&id).map_or(&[], Vec::as_slice),
                    student: students.contains(&id),
                    diagnoses: diagnoses.get(&id).map_or(&[], Vec::as_slice),
                    served: served.get(&(id, i)).unwrap_or(&none),
                };
                if p.programme.conditions.holds(&s, date) {
                    found(&s, i, id);
                }
            }
        }
        Ok(())
    }
}
