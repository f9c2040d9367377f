//! One pass over the files of some villages (a region's subtree, or a list of villages):
//! what the measures read beside each file is gathered first, then each file is tallied by
//! the domain and the tallies are added up per village. The same pass lists the people behind
//! one indicator (the drill-down).

use std::collections::{BTreeMap, HashMap, HashSet};

use anju_domain::employment::{EmploymentRules, Status, newly_employed};
use anju_domain::indicator::{CaseFact, CaseState, Definitions, PersonFacts, Tally};
use anju_domain::month::Month;
use anju_domain::needs::{NeedItems, NeedServices};
use anju_domain::person::LifeStatus;
use anju_domain::programme::{ProgrammeKind, Subject};
use anju_domain::subsidy::{Assistance, SubsidyKind};
use chrono::{Datelike, NaiveDate};
use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Row};

use crate::persons::{COLUMNS as PERSON_COLUMNS, PersonRecord, record_from_row};
use crate::sql::{Arg, Where};
use crate::{Backend, Result, StoreError};

/// Which files a pass reads.
#[derive(Debug, Clone)]
pub(crate) enum Files {
    /// Every file whose household lies under this prefix.
    Under(String),
    /// The files of these villages (household codes).
    Villages(Vec<String>),
}

impl Files {
    fn push(&self, backend: Backend, w: &mut Where) {
        match self {
            Files::Under(prefix) => w.push_prefix(backend, "p.household_code", prefix),
            Files::Villages(v) if v.is_empty() => w.push_plain("FALSE"),
            Files::Villages(v) => {
                let list: Vec<String> = v.iter().map(|c| w.arg(Arg::Text(c.clone()))).collect();
                w.push_plain(format!("p.household_code IN ({})", list.join(", ")));
            }
        }
    }
}

/// The facts beside the files, keyed by person.
#[derive(Default)]
struct Beside {
    assistance: HashMap<i64, Vec<Assistance>>,
    diagnoses: HashMap<i64, Vec<String>>,
    facts: HashMap<i64, PersonFacts>,
}

async fn gather(
    conn: &mut AnyConnection,
    backend: Backend,
    files: &Files,
    date: NaiveDate,
) -> Result<Beside> {
    let year = date.year();
    let mut b = Beside::default();
    let query = |sql: &str, args: &[Arg]| {
        let mut w = Where::default();
        files.push(backend, &mut w);
        let mut sql = sql.replace("{under}", &w.sql());
        for (i, a) in args.iter().enumerate() {
            let p = w.arg(a.clone());
            sql = sql.replace(&format!("{{{i}}}"), &p);
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        q
    };
    let day = Arg::Text(date.to_string());
    let jan1 = Arg::Text(format!("{year}-01-01"));

    let mut rows = query(
        "SELECT a.person_id, a.kind, a.from_month, a.to_month, a.amount_fen FROM assistance a \
         JOIN persons p ON p.id = a.person_id WHERE {under}",
        &[],
    )
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        b.assistance
            .entry(r.try_get("person_id")?)
            .or_default()
            .push(crate::subsidy::assistance_from_row(&r)?);
    }
    drop(rows);

    let mut rows = query(
        "SELECT d.person_id, d.name FROM diagnoses d JOIN persons p ON p.id = d.person_id \
         WHERE {under} AND d.diagnosed_on <= {0}",
        std::slice::from_ref(&day),
    )
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        b.diagnoses
            .entry(r.try_get("person_id")?)
            .or_default()
            .push(r.try_get("name")?);
    }
    drop(rows);

    let mut rows = query(
        "SELECT e.person_id FROM enrolments e JOIN persons p ON p.id = e.person_id \
         WHERE {under} AND e.from_date <= {0} AND (e.to_date IS NULL OR e.to_date >= {0})",
        std::slice::from_ref(&day),
    )
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        b.facts.entry(r.try_get("person_id")?).or_default().student = true;
    }
    drop(rows);

    let mut rows = query(
        "SELECT s.person_id, s.kind FROM insurance_status s JOIN persons p ON p.id = s.person_id \
         WHERE {under} AND s.paying = 1",
        &[],
    )
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let f = b.facts.entry(r.try_get("person_id")?).or_default();
        match r.try_get::<String, _>("kind")?.as_str() {
            "pension" => f.pension = true,
            _ => f.medical = true,
        }
    }
    drop(rows);

    let mut rows = query(
        "SELECT c.person_id, g.kind, c.opened_on, c.state, c.since FROM cases c \
         JOIN programmes g ON g.id = c.programme_id JOIN persons p ON p.id = c.person_id \
         WHERE {under} AND c.opened_on <= {0}",
        std::slice::from_ref(&day),
    )
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let kind: String = r.try_get("kind")?;
        let state: String = r.try_get("state")?;
        let opened: String = r.try_get("opened_on")?;
        let since: String = r.try_get("since")?;
        let (Some(kind), Some(state), Ok(opened_on), Ok(since)) = (
            ProgrammeKind::parse(&kind),
            CaseState::parse(&state),
            opened.parse::<NaiveDate>(),
            since.parse::<NaiveDate>(),
        ) else {
            return Err(StoreError::Internal("个案记录无法读取".into()));
        };
        b.facts
            .entry(r.try_get("person_id")?)
            .or_default()
            .cases
            .push(CaseFact {
                kind,
                opened_on,
                state,
                since,
            });
    }
    drop(rows);

    let mut rows = query(
        "SELECT a.person_id, c.ends_on FROM training_attendance a \
         JOIN training_courses c ON c.id = a.course_id JOIN persons p ON p.id = a.person_id \
         WHERE {under} AND a.completed = 1 AND c.ends_on >= {0} AND c.ends_on <= {1}",
        &[jan1.clone(), day.clone()],
    )
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        if let Ok(d) = r.try_get::<String, _>("ends_on")?.parse::<NaiveDate>() {
            b.facts
                .entry(r.try_get("person_id")?)
                .or_default()
                .trained
                .push(d);
        }
    }
    drop(rows);

    // Employment: the whole history of everyone who started work in the year decides.
    let rules = EmploymentRules::shipped().map_err(StoreError::Internal)?;
    let mut rows = query(
        "SELECT e.person_id, e.form, e.since, e.employer_code, e.employer_name, e.reason, \
         e.means FROM employment_records e JOIN persons p ON p.id = e.person_id \
         WHERE {under} AND e.since <= {1} AND e.person_id IN (SELECT person_id FROM \
         employment_records WHERE since >= {0} AND since <= {1} AND form <> 'unemployed') \
         ORDER BY e.person_id, e.since, e.id",
        &[jan1.clone(), day.clone()],
    )
    .fetch(&mut *conn);
    let mut history: Vec<Status> = Vec::new();
    let mut current: Option<i64> = None;
    let mut employed: Vec<(i64, NaiveDate)> = Vec::new();
    let mut flush = |person: Option<i64>, history: &mut Vec<Status>| {
        if let Some(p) = person
            && let Some(since) = newly_employed(history, year, rules.window_months)
        {
            employed.push((p, since));
        }
        history.clear();
    };
    while let Some(r) = rows.try_next().await? {
        let person: i64 = r.try_get("person_id")?;
        if current != Some(person) {
            flush(current, &mut history);
            current = Some(person);
        }
        history.push(crate::employment::status_from_row(&r)?);
    }
    flush(current, &mut history);
    drop(rows);
    for (p, since) in employed {
        b.facts.entry(p).or_default().newly_employed = Some(since);
    }

    let mut rows = query(
        "SELECT y.person_id, y.kind, y.pay_month, y.amount_fen FROM payments y \
         JOIN persons p ON p.id = y.person_id WHERE {under} AND y.status <> 'failed' \
         AND y.pay_month >= {0} AND y.pay_month <= {1}",
        &[
            Arg::Text(format!("{year}-01")),
            Arg::Text(Month::of(date).to_string()),
        ],
    )
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let kind: String = r.try_get("kind")?;
        let month: String = r.try_get("pay_month")?;
        let (Some(kind), Ok(month)) = (SubsidyKind::parse(&kind), Month::parse(&month)) else {
            continue;
        };
        b.facts
            .entry(r.try_get("person_id")?)
            .or_default()
            .paid
            .push((kind, month, r.try_get("amount_fen")?));
    }
    drop(rows);

    // Needs: the latest visit's (as the needs-gap warnings read them), and the latest survey
    // form's, both as recorded by the date.
    let items = NeedItems::shipped().map_err(StoreError::Internal)?;
    let mut visits: BTreeMap<i64, Vec<(NaiveDate, Vec<String>)>> = BTreeMap::new();
    let mut rows = query(
        "SELECT v.person_id, v.visited_on, v.needs FROM visits v \
         JOIN persons p ON p.id = v.person_id WHERE {under} AND v.visited_on <= {0} \
         ORDER BY v.person_id, v.visited_on DESC, v.id DESC",
        std::slice::from_ref(&day),
    )
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let on: String = r.try_get("visited_on")?;
        let needs: String = r.try_get("needs")?;
        let Ok(on) = on.parse::<NaiveDate>() else {
            continue;
        };
        visits.entry(r.try_get("person_id")?).or_default().push((
            on,
            needs
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ));
    }
    drop(rows);
    for (id, v) in visits {
        let needs: Vec<String> = NeedServices::current(&v)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        if !needs.is_empty() {
            b.facts.entry(id).or_default().needs = needs;
        }
    }
    let mut rows = query(
        "SELECT f.person_id, f.answers FROM survey_forms f JOIN persons p ON p.id = f.person_id \
         WHERE {under} AND f.year <= {0} AND NOT EXISTS (SELECT 1 FROM survey_forms g \
         WHERE g.person_id = f.person_id AND g.year > f.year AND g.year <= {0})",
        &[Arg::Int(i64::from(year))],
    )
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let answers: BTreeMap<String, String> =
            serde_json::from_str(&r.try_get::<String, _>("answers")?).unwrap_or_default();
        let Some(list) = answers.get("needs") else {
            continue;
        };
        let f = b.facts.entry(r.try_get("person_id")?).or_default();
        for n in list.split('、').filter_map(|n| items.find(n)) {
            if !f.needs.contains(&n.code) {
                f.needs.push(n.code.clone());
            }
        }
    }
    drop(rows);
    Ok(b)
}

/// Whether the file reads as living on `date`: living now, or dead or gone since.
fn alive_on(rec: &PersonRecord, date: NaiveDate) -> bool {
    rec.person.life_status == LifeStatus::Living || rec.person.life_date.is_some_and(|d| d > date)
}

/// Walks the files, calling `each` with every file's record, its subject and facts, and
/// whether it was living on the date.
async fn walk(
    conn: &mut AnyConnection,
    backend: Backend,
    files: &Files,
    date: NaiveDate,
    ordered: bool,
    mut each: impl FnMut(&PersonRecord, &Subject<'_>, &PersonFacts, bool),
) -> Result<()> {
    let beside = gather(conn, backend, files, date).await?;
    let mut w = Where::default();
    files.push(backend, &mut w);
    // Unordered, a province is one pass over the table; sorting a million files by household
    // took SQLite 13 of its 14 seconds.
    let sql = format!(
        "SELECT {PERSON_COLUMNS} FROM persons p WHERE {}{}",
        w.sql(),
        if ordered {
            " ORDER BY p.household_code, p.id"
        } else {
            ""
        }
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in w.args {
        q = a.bind_owned(q);
    }
    let mut rows = q.fetch(&mut *conn);
    let none = PersonFacts::default();
    while let Some(r) = rows.try_next().await? {
        let mut rec = record_from_row(&r)?;
        let alive = alive_on(&rec, date);
        if alive {
            rec.person.life_status = LifeStatus::Living;
        }
        let id = rec.id;
        let facts = beside.facts.get(&id).unwrap_or(&none);
        let s = Subject {
            person: &rec.person,
            assistance: beside.assistance.get(&id).map_or(&[], Vec::as_slice),
            student: facts.student,
            diagnoses: beside.diagnoses.get(&id).map_or(&[], Vec::as_slice),
            served: &[],
        };
        each(&rec, &s, facts, alive);
    }
    Ok(())
}

/// Every indicator's tallies per village, on `date`. Villages without files are absent.
pub(crate) async fn per_village(
    conn: &mut AnyConnection,
    backend: Backend,
    defs: &Definitions,
    files: &Files,
    date: NaiveDate,
) -> Result<BTreeMap<String, Vec<Tally>>> {
    let mut out: HashMap<String, Vec<Tally>> = HashMap::new();
    walk(conn, backend, files, date, false, |rec, s, f, alive| {
        let village = rec.person.household_code.as_str();
        let t = match out.get_mut(village) {
            Some(t) => t,
            None => out
                .entry(village.to_owned())
                .or_insert_with(|| vec![Tally::default(); defs.len()]),
        };
        defs.tally_all(s, f, date, alive, t);
    })
    .await?;
    Ok(out.into_iter().collect())
}

/// One person behind an indicator (what a list shows of the file) and what the person adds.
pub(crate) struct Behind {
    pub id: i64,
    pub name: String,
    pub id_number: String,
    pub household_code: String,
    pub tally: Tally,
}

/// The people an indicator counts on `date` (in its population, for a share; with a
/// non-zero numerator otherwise), in household order.
pub(crate) async fn people(
    conn: &mut AnyConnection,
    backend: Backend,
    defs: &Definitions,
    index: usize,
    files: &Files,
    date: NaiveDate,
) -> Result<Vec<Behind>> {
    let def = &defs.all()[index];
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    walk(conn, backend, files, date, true, |rec, s, f, alive| {
        let t = def.tally(s, f, date, alive);
        if (t.n != 0 || t.d != 0) && seen.insert(rec.id) {
            out.push(Behind {
                id: rec.id,
                name: rec.person.name.clone(),
                id_number: rec.person.id_number.to_string(),
                household_code: rec.person.household_code.to_string(),
                tally: t,
            });
        }
    })
    .await?;
    Ok(out)
}
