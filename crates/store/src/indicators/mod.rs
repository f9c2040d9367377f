//! Plan indicators for a region: the values now (from tallies kept per village and recounted
//! where files changed), on any date (counted afresh), and at a year's end (from the frozen
//! snapshot); each against its target, per child region, with the people behind a count.
//!
//! Exactness: the triggers of migration 0034 mark a village in `indicator_dirty` in the
//! transaction of any change an indicator reads; a reading first recounts the marked villages
//! (taking the marks in its own transaction, so that a change made meanwhile marks again), and
//! recounts everything when the day or the definitions changed.

pub mod people;
mod report;
mod snapshots;
mod tally;
mod targets;

pub use people::{BehindPage, BehindPerson};
pub use report::{CaseLine, CertLine, Report, SubsidyLine};
pub use snapshots::SnapshotTaken;
pub use targets::{TargetImport, TargetLine, TargetRow, TargetSheet};

use std::collections::{BTreeMap, HashMap};

use anju_domain::Region;
use anju_domain::RegionTable;
use anju_domain::indicator::{Definition, Definitions, Fact, Measure, Tally, TargetValue, Unit};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sqlx::Row;

use crate::sql::{Arg, Where};
use crate::{Result, Scope, Store, StoreError};
use tally::Files;

/// More marked villages than this are recounted by a full pass.
const RECOUNT_ALL_ABOVE: usize = 2000;

pub struct Indicators<'a> {
    store: &'a Store,
}

impl Store {
    pub fn indicators(&self) -> Indicators<'_> {
        Indicators { store: self }
    }
}

/// Which values: now, on a date, or at a year's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Now,
    Date(NaiveDate),
    Year(i32),
}

/// Where the values come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Kept up to date with every change.
    Live,
    /// Counted afresh for a date.
    Counted,
    /// The year-end snapshot, frozen when it was taken.
    Snapshot { taken_at_ms: i64, taken_by: String },
}

impl Basis {
    pub fn label(&self) -> String {
        match self {
            Basis::Live => "实时数据".into(),
            Basis::Counted => "按所选日期现有档案统计".into(),
            Basis::Snapshot { taken_at_ms, .. } => format!(
                "年末快照（{}固定，之后档案变动不影响）",
                anju_domain::time::beijing_date(*taken_at_ms)
                    .map_or_else(String::new, |d| d.to_string())
            ),
        }
    }
}

/// One child region's value.
#[derive(Debug, Clone, Serialize)]
pub struct ChildValue {
    pub code: String,
    pub name: String,
    pub tally: Tally,
    pub value: Option<f64>,
    pub display: String,
    pub target: Option<TargetValue>,
    pub behind: bool,
}

/// One indicator for a region.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorValue {
    pub key: String,
    pub name: String,
    pub unit: Unit,
    pub explain: String,
    pub note: String,
    pub no_data: bool,
    /// Counted for a share: the denominator is meaningful.
    pub share: bool,
    pub tally: Tally,
    pub value: Option<f64>,
    pub display: String,
    pub target: Option<TargetValue>,
    /// What the target asks by the date (a count of the year pro rata; otherwise the target).
    pub expected: Option<f64>,
    pub behind: bool,
    pub children: Vec<ChildValue>,
}

impl IndicatorValue {
    pub fn target_text(&self) -> String {
        self.target.map_or_else(
            || "未设定".to_owned(),
            |t| format!("{}{}", t.text(), self.unit.label()),
        )
    }

    /// How far the value has come towards the target, in per cent (capped at 100).
    pub fn progress(&self) -> Option<f64> {
        let (v, t) = (self.value?, self.target?.as_f64());
        if t <= 0.0 {
            return Some(100.0);
        }
        Some((v / t * 100.0).clamp(0.0, 100.0))
    }
}

/// A region's indicators.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub region: Region,
    pub as_of: NaiveDate,
    pub year: i32,
    pub basis: Basis,
    pub children: Vec<Region>,
    pub indicators: Vec<IndicatorValue>,
}

/// Whether a count grows through the year (so that by a date its target is due pro rata).
fn accumulates(m: &Measure) -> bool {
    match m {
        Measure::Paid(_) => true,
        Measure::CountWith(f) => matches!(
            f,
            Fact::ServedInYear(_)
                | Fact::DeviceFitted
                | Fact::NewlyEmployed
                | Fact::Trained
                | Fact::Paid(_)
                | Fact::CertIssued
        ),
        _ => false,
    }
}

fn expected_by(def: &Definition, target: Option<TargetValue>, as_of: NaiveDate) -> Option<f64> {
    let t = target?.as_f64();
    if !accumulates(&def.measure) {
        return Some(t);
    }
    let days = if NaiveDate::from_ymd_opt(as_of.year(), 2, 29).is_some() {
        366.0
    } else {
        365.0
    };
    Some(t * f64::from(as_of.ordinal()) / days)
}

fn behind(value: Option<f64>, expected: Option<f64>) -> bool {
    match (value, expected) {
        (_, None) => false,
        // No data, or nobody to count (a share of an empty population): not behind.
        (None, Some(_)) => false,
        (Some(v), Some(e)) => v + 1e-9 < e,
    }
}

/// The region a user asks about (a code may be given short), inside the user's scope.
pub(crate) fn region_in(scope: &Scope, region: Option<&str>) -> Result<&'static Region> {
    let table = RegionTable::jiangsu();
    match region.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => {
            let full = if r.len() < 12 && r.bytes().all(|b| b.is_ascii_digit()) {
                format!("{r:0<12}")
            } else {
                r.to_owned()
            };
            let c = table.current(&full)?;
            if !scope.covers(&c.code) {
                return Err(StoreError::NotFound("区划".into()));
            }
            Ok(c)
        }
        None => table
            .get(&scope.region().code)
            .ok_or_else(|| StoreError::NotFound("区划".into())),
    }
}

impl Indicators<'_> {
    pub fn definitions(&self) -> Result<Definitions> {
        Definitions::shipped().map_err(StoreError::Internal)
    }

    /// The indicators of `region` (the user's own when none) at `when`, against the targets of
    /// its year, with the values of its child regions.
    pub async fn board(&self, scope: &Scope, region: Option<&str>, when: When) -> Result<Board> {
        scope.require(scope.role().reads_persons())?;
        let region = region_in(scope, region)?;
        let defs = self.definitions()?;
        let today = self.store.today();
        let table = RegionTable::jiangsu();
        let children: Vec<Region> = table.children(&region.code).cloned().collect();
        let child_len = region.level.child().map(|l| l.prefix_len());
        let (as_of, basis, sums) = match when {
            When::Year(y) if y > today.year() => {
                return Err(StoreError::invalid(format!("{y}年尚未开始，没有指标数据")));
            }
            When::Year(y) => match self.snapshot_sums(y, region, &children, &defs).await? {
                Some((basis, as_of, sums)) => (as_of, basis, sums),
                None if y == today.year() => (
                    today,
                    Basis::Live,
                    self.live_sums(region, child_len, &defs).await?,
                ),
                None => {
                    let as_of = NaiveDate::from_ymd_opt(y, 12, 31)
                        .ok_or_else(|| StoreError::invalid("年度无效"))?;
                    (
                        as_of,
                        Basis::Counted,
                        self.counted_sums(region, child_len, &defs, as_of).await?,
                    )
                }
            },
            When::Date(d) if d > today => {
                return Err(StoreError::invalid(format!("日期{d}晚于今天")));
            }
            When::Date(d) if d != today => (
                d,
                Basis::Counted,
                self.counted_sums(region, child_len, &defs, d).await?,
            ),
            When::Now | When::Date(_) => (
                today,
                Basis::Live,
                self.live_sums(region, child_len, &defs).await?,
            ),
        };
        let year = as_of.year();
        let targets = self.targets_of(region, &children, year).await?;
        let (total, per_child) = sums;
        let indicators = defs
            .all()
            .iter()
            .enumerate()
            .map(|(i, def)| {
                let target = targets
                    .get(&(region.code.to_string(), def.key.clone()))
                    .copied();
                let value = def.value(total[i]);
                let expected = expected_by(def, target, as_of);
                IndicatorValue {
                    key: def.key.clone(),
                    name: def.name.clone(),
                    unit: def.measure.unit(),
                    explain: def.explain(),
                    note: def.note.clone(),
                    no_data: def.measure == Measure::NoData,
                    share: matches!(def.measure, Measure::Share(_)),
                    tally: total[i],
                    value,
                    display: def.display(total[i]),
                    target,
                    expected,
                    behind: behind(value, expected),
                    children: children
                        .iter()
                        .map(|c| {
                            let t = per_child
                                .get(c.code.as_str())
                                .map_or_else(Tally::default, |v| v[i]);
                            let target =
                                targets.get(&(c.code.to_string(), def.key.clone())).copied();
                            let value = def.value(t);
                            ChildValue {
                                code: c.code.to_string(),
                                name: c.name.clone(),
                                tally: t,
                                value,
                                display: def.display(t),
                                target,
                                behind: behind(value, expected_by(def, target, as_of)),
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(Board {
            region: region.clone(),
            as_of,
            year,
            basis,
            children,
            indicators,
        })
    }

    /// The live tallies of the region and of each child (keyed by child code).
    async fn live_sums(
        &self,
        region: &Region,
        child_len: Option<usize>,
        defs: &Definitions,
    ) -> Result<(Vec<Tally>, HashMap<String, Vec<Tally>>)> {
        self.refresh(defs).await?;
        let backend = self.store.backend();
        let mut w = Where::default();
        w.push_prefix(backend, "village", region.prefix());
        let sql = format!(
            "SELECT village, tallies FROM indicator_cells WHERE {}",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let mut cells = BTreeMap::new();
        for r in q.fetch_all(self.store.pool()).await? {
            let mut t = vec![Tally::default(); defs.len()];
            anju_domain::indicator::unpack_add(&r.try_get::<String, _>("tallies")?, &mut t)
                .map_err(StoreError::Internal)?;
            cells.insert(r.try_get::<String, _>("village")?, t);
        }
        Ok(sum_cells(&cells, child_len, defs.len()))
    }

    /// The tallies of the region and each child, counted afresh for `date`.
    pub(crate) async fn counted_sums(
        &self,
        region: &Region,
        child_len: Option<usize>,
        defs: &Definitions,
        date: NaiveDate,
    ) -> Result<(Vec<Tally>, HashMap<String, Vec<Tally>>)> {
        let mut conn = self.store.pool().acquire().await?;
        let cells = tally::per_village(
            &mut conn,
            self.store.backend(),
            defs,
            &Files::Under(region.prefix().to_owned()),
            date,
        )
        .await?;
        Ok(sum_cells(&cells, child_len, defs.len()))
    }

    /// Forgets the village tallies: the next reading counts everything again (what a new
    /// day does; benchmarks and administrators after changing a rule).
    pub async fn invalidate(&self, scope: &Scope) -> Result<()> {
        scope.require(scope.role().manages_users())?;
        let _one = self.store.inner.indicators.lock().await;
        sqlx::query("DELETE FROM indicator_meta")
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Brings the village tallies up to today: everything when the day or the definitions
    /// changed, else the villages marked since the last reading.
    pub(crate) async fn refresh(&self, defs: &Definitions) -> Result<()> {
        let _one = self.store.inner.indicators.lock().await;
        let today = self.store.today();
        let digest = defs.digest();
        let meta = sqlx::query("SELECT day, digest FROM indicator_meta WHERE id = 1")
            .fetch_optional(self.store.pool())
            .await?;
        let fresh = match meta {
            Some(r) => {
                r.try_get::<String, _>("day")? == today.to_string()
                    && r.try_get::<String, _>("digest")? == digest
            }
            None => false,
        };
        if !fresh {
            return self.recount_all(defs, today, &digest).await;
        }
        let marked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM indicator_dirty")
            .fetch_one(self.store.pool())
            .await?;
        if marked == 0 {
            return Ok(());
        }
        let mut tx = self.store.begin_write().await?;
        let villages: Vec<String> =
            sqlx::query_scalar("DELETE FROM indicator_dirty RETURNING village")
                .fetch_all(&mut *tx)
                .await?;
        let mut villages: Vec<String> = villages;
        villages.sort();
        villages.dedup();
        if villages.len() > RECOUNT_ALL_ABOVE {
            tx.commit().await?;
            return self.recount_all(defs, today, &digest).await;
        }
        let mut cells = BTreeMap::new();
        for chunk in villages.chunks(500) {
            cells.extend(
                tally::per_village(
                    &mut tx,
                    self.store.backend(),
                    defs,
                    &Files::Villages(chunk.to_vec()),
                    today,
                )
                .await?,
            );
        }
        for chunk in villages.chunks(500) {
            let mut w = Where::default();
            let list: Vec<String> = chunk.iter().map(|v| w.arg(Arg::Text(v.clone()))).collect();
            let sql = format!(
                "DELETE FROM indicator_cells WHERE village IN ({})",
                list.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in w.args {
                q = a.bind_owned(q);
            }
            q.execute(&mut *tx).await?;
        }
        write_cells(&mut tx, self.store.backend(), &cells).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn recount_all(&self, defs: &Definitions, today: NaiveDate, digest: &str) -> Result<()> {
        // The marks go first: a change committed before this reads in the count below, one
        // made while it runs marks its village again for the next reading. The count runs
        // outside the write transaction, so writers go on meanwhile.
        sqlx::query("DELETE FROM indicator_dirty")
            .execute(self.store.pool())
            .await?;
        let cells = {
            let mut conn = self.store.pool().acquire().await?;
            tally::per_village(
                &mut conn,
                self.store.backend(),
                defs,
                &Files::Under(String::new()),
                today,
            )
            .await?
        };
        let mut tx = self.store.begin_write().await?;
        sqlx::query("DELETE FROM indicator_cells")
            .execute(&mut *tx)
            .await?;
        write_cells(&mut tx, self.store.backend(), &cells).await?;
        sqlx::query("DELETE FROM indicator_meta")
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO indicator_meta (id, day, digest) VALUES (1, $1, $2)")
            .bind(today.to_string())
            .bind(digest.to_owned())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn add(into: &mut [Tally], t: &[Tally]) {
    for (a, b) in into.iter_mut().zip(t) {
        *a += *b;
    }
}

/// Village tallies summed for the region and per child prefix.
fn sum_cells(
    cells: &BTreeMap<String, Vec<Tally>>,
    child_len: Option<usize>,
    n: usize,
) -> (Vec<Tally>, HashMap<String, Vec<Tally>>) {
    let mut total = vec![Tally::default(); n];
    let mut per_child: HashMap<String, Vec<Tally>> = HashMap::new();
    for (village, t) in cells {
        add(&mut total, t);
        if let Some(len) = child_len {
            let code = format!("{:0<12}", village.get(..len).unwrap_or(village));
            add(
                per_child
                    .entry(code)
                    .or_insert_with(|| vec![Tally::default(); n]),
                t,
            );
        }
    }
    (total, per_child)
}

async fn write_cells(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    cells: &BTreeMap<String, Vec<Tally>>,
) -> Result<()> {
    let rows: Vec<(&String, String)> = cells
        .iter()
        .map(|(v, t)| (v, anju_domain::indicator::pack(t)))
        .collect();
    for chunk in rows.chunks(400) {
        let mut n = 0;
        let values: Vec<String> = chunk
            .iter()
            .map(|_| {
                let a = crate::sql::placeholder(backend, n + 1);
                let b = crate::sql::placeholder(backend, n + 2);
                n += 2;
                format!("({a}, {b})")
            })
            .collect();
        // Another process (the command line beside the server) may recount the same village
        // at the same time: the later count stands, neither fails.
        let sql = format!(
            "INSERT INTO indicator_cells (village, tallies) VALUES {} \
             ON CONFLICT (village) DO UPDATE SET tallies = excluded.tallies",
            values.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (v, t) in chunk {
            q = q.bind((*v).clone()).bind(t.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A number as JSON: whole values without a decimal point.
fn number(v: Option<f64>) -> Option<serde_json::Number> {
    let x = v?;
    if x.fract() == 0.0 && x.abs() < 9e15 {
        Some(serde_json::Number::from(x as i64))
    } else {
        serde_json::Number::from_f64(x)
    }
}

/// A child region's value in the JSON the command line prints and the API answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChildJson {
    /// The child region's code.
    pub region: String,
    #[schema(value_type = Option<f64>)]
    pub value: Option<serde_json::Number>,
    #[schema(value_type = Option<f64>)]
    pub target: Option<serde_json::Number>,
}

/// One indicator: its value in its unit (people, per cent, yuan; null where there is no
/// data), the numerator and denominator of a share (a count's or a sum's numerator is its
/// value), its target, and its child regions'.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IndicatorJson {
    pub name: String,
    #[schema(value_type = Option<f64>)]
    pub value: Option<serde_json::Number>,
    #[schema(value_type = Option<f64>)]
    pub numerator: Option<serde_json::Number>,
    #[schema(value_type = Option<i64>)]
    pub denominator: Option<serde_json::Number>,
    #[schema(value_type = Option<f64>)]
    pub target: Option<serde_json::Number>,
    pub children: Vec<ChildJson>,
}

/// A region's indicators as `anju indicators --json` prints them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BoardJson {
    pub region: String,
    /// The day the values are for (YYYY-MM-DD).
    pub as_of: String,
    pub indicators: Vec<IndicatorJson>,
}

impl Board {
    pub fn json(&self) -> BoardJson {
        BoardJson {
            region: self.region.code.to_string(),
            as_of: self.as_of.to_string(),
            indicators: self
                .indicators
                .iter()
                .map(|i| {
                    let (numerator, denominator) = if i.no_data {
                        (None, None)
                    } else if i.share {
                        (
                            Some(serde_json::Number::from(i.tally.n)),
                            Some(serde_json::Number::from(i.tally.d)),
                        )
                    } else {
                        (number(i.value), None)
                    };
                    IndicatorJson {
                        name: i.name.clone(),
                        value: number(i.value),
                        numerator,
                        denominator,
                        target: number(i.target.map(|t| t.as_f64())),
                        children: i
                            .children
                            .iter()
                            .map(|c| ChildJson {
                                region: c.code.clone(),
                                value: number(c.value),
                                target: number(c.target.map(|t| t.as_f64())),
                            })
                            .collect(),
                    }
                })
                .collect(),
        }
    }
}

/// The rows of a year's table (`select` up to its `WHERE`, naming `region_code` and `year`)
/// for the regions `codes`, 400 codes a statement.
pub(crate) async fn rows_of_regions(
    store: &Store,
    select: &str,
    year: i32,
    codes: &[String],
) -> Result<Vec<sqlx::any::AnyRow>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(400) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "{select} WHERE year = $1 AND region_code IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(i64::from(year));
        for c in chunk {
            q = q.bind(c.clone());
        }
        out.extend(q.fetch_all(store.pool()).await?);
    }
    Ok(out)
}
