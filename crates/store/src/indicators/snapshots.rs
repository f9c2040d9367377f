//! Year-end snapshots: every region's tallies on 31 December, counted once after the year has
//! ended and kept, so that a year's values do not move when files change later.

use std::collections::{BTreeMap, HashMap};

use anju_domain::Region;
use anju_domain::audit::Outcome;
use anju_domain::indicator::{Definitions, Tally, pack, unpack_add};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sqlx::Row;

use super::tally::{self, Files};
use super::{Basis, Indicators, add};
use crate::audit::{NewEntry, append};
use crate::{Result, Scope, StoreError};

/// What taking a snapshot did.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotTaken {
    pub year: i32,
    pub as_of: NaiveDate,
    /// Whether this call took it (false: it had been taken before, and stays as it was).
    pub taken: bool,
    pub regions: usize,
}

type Sums = (Vec<Tally>, HashMap<String, Vec<Tally>>);

impl Indicators<'_> {
    /// Takes the snapshot of `year` (administrators, and the server when a year ends). A year
    /// not yet ended is refused; a year already taken is left as it was.
    pub async fn take_snapshot(&self, scope: &Scope, year: i32) -> Result<SnapshotTaken> {
        scope.require(scope.role().manages_users())?;
        let today = self.store.today();
        let as_of = NaiveDate::from_ymd_opt(year, 12, 31)
            .filter(|_| year >= 2000)
            .ok_or_else(|| StoreError::invalid(format!("年度“{year}”无效")))?;
        if as_of >= today {
            return Err(StoreError::invalid(format!(
                "{year}年尚未结束，不能生成年末快照（年末快照在次年1月1日起生成）"
            )));
        }
        if self.snapshot_of(year).await?.is_some() {
            return Ok(SnapshotTaken {
                year,
                as_of,
                taken: false,
                regions: 0,
            });
        }
        let defs = self.definitions()?;
        let cells = {
            let mut conn = self.store.pool().acquire().await?;
            tally::per_village(
                &mut conn,
                self.store.backend(),
                &defs,
                &Files::Under(String::new()),
                as_of,
            )
            .await?
        };
        // Every level of the tree, summed from its villages.
        let mut regions: BTreeMap<String, Vec<Tally>> = BTreeMap::new();
        for (village, t) in &cells {
            for len in [2, 4, 6, 9, 12] {
                let code = format!("{:0<12}", village.get(..len).unwrap_or(village));
                add(
                    regions
                        .entry(code)
                        .or_insert_with(|| vec![Tally::default(); defs.len()]),
                    t,
                );
            }
        }
        let keys: Vec<&str> = defs.all().iter().map(|d| d.key.as_str()).collect();
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO indicator_snapshots (year, as_of, keys, taken_by, taken_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (year) DO NOTHING",
        )
        .bind(i64::from(year))
        .bind(as_of.to_string())
        .bind(keys.join(","))
        .bind(scope.username().to_owned())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // Taken meanwhile by another: that one stands.
            tx.rollback().await?;
            return Ok(SnapshotTaken {
                year,
                as_of,
                taken: false,
                regions: 0,
            });
        }
        let backend = self.store.backend();
        let rows: Vec<(String, String)> =
            regions.iter().map(|(c, t)| (c.clone(), pack(t))).collect();
        for chunk in rows.chunks(300) {
            let mut n = 0;
            let values: Vec<String> = chunk
                .iter()
                .map(|_| {
                    let p: Vec<String> = (1..=3)
                        .map(|k| crate::sql::placeholder(backend, n + k))
                        .collect();
                    n += 3;
                    format!("({})", p.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO indicator_snapshot_cells (year, region_code, tallies) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (code, t) in chunk {
                q = q.bind(i64::from(year)).bind(code.clone()).bind(t.clone());
            }
            q.execute(&mut *tx).await?;
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "indicator.snapshot",
                format!("year:{year}"),
                Outcome::Success,
            )
            .detail(format!("{year}年末指标快照，{}个区划", rows.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(SnapshotTaken {
            year,
            as_of,
            taken: true,
            regions: rows.len(),
        })
    }

    /// What the server does when the day turns: counts the day's tallies, and in January takes
    /// the snapshot of the year just ended if nobody has.
    pub async fn daily(&self) -> Result<Option<SnapshotTaken>> {
        let scope = Scope {
            user_id: 0,
            username: "system".into(),
            role: anju_domain::Role::Admin,
            region: anju_domain::RegionTable::jiangsu().root().clone(),
            client: "system".into(),
            provider: None,
        };
        let defs = self.definitions()?;
        self.refresh(&defs).await?;
        let today = self.store.today();
        if today.month() == 1 && self.snapshot_of(today.year() - 1).await?.is_none() {
            return Ok(Some(self.take_snapshot(&scope, today.year() - 1).await?));
        }
        Ok(None)
    }

    /// The years whose snapshots have been taken, oldest first.
    pub async fn snapshot_years(&self) -> Result<Vec<i32>> {
        let years: Vec<i64> =
            sqlx::query_scalar("SELECT year FROM indicator_snapshots ORDER BY year")
                .fetch_all(self.store.pool())
                .await?;
        Ok(years
            .into_iter()
            .filter_map(|y| i32::try_from(y).ok())
            .collect())
    }

    async fn snapshot_of(&self, year: i32) -> Result<Option<(String, Basis, NaiveDate)>> {
        let Some(r) = sqlx::query(
            "SELECT keys, as_of, taken_by, taken_at FROM indicator_snapshots WHERE year = $1",
        )
        .bind(i64::from(year))
        .fetch_optional(self.store.pool())
        .await?
        else {
            return Ok(None);
        };
        let as_of: String = r.try_get("as_of")?;
        Ok(Some((
            r.try_get("keys")?,
            Basis::Snapshot {
                taken_at_ms: r.try_get("taken_at")?,
                taken_by: r.try_get("taken_by")?,
            },
            as_of
                .parse()
                .map_err(|_| StoreError::Internal("快照日期无法读取".into()))?,
        )))
    }

    /// The snapshot's tallies for `region` and its `children`, in the order of the current
    /// definitions (an indicator the snapshot did not hold reads as zero).
    pub(crate) async fn snapshot_sums(
        &self,
        year: i32,
        region: &Region,
        children: &[Region],
        defs: &Definitions,
    ) -> Result<Option<(Basis, NaiveDate, Sums)>> {
        let Some((keys, basis, as_of)) = self.snapshot_of(year).await? else {
            return Ok(None);
        };
        let keys: Vec<&str> = keys.split(',').collect();
        let mut codes: Vec<String> = children.iter().map(|c| c.code.to_string()).collect();
        codes.push(region.code.to_string());
        let mut found: HashMap<String, Vec<Tally>> = HashMap::new();
        for r in super::rows_of_regions(
            self.store,
            "SELECT region_code, tallies FROM indicator_snapshot_cells",
            year,
            &codes,
        )
        .await?
        {
            let mut stored = vec![Tally::default(); keys.len()];
            unpack_add(&r.try_get::<String, _>("tallies")?, &mut stored)
                .map_err(StoreError::Internal)?;
            let mapped: Vec<Tally> = defs
                .all()
                .iter()
                .map(|d| {
                    keys.iter()
                        .position(|k| *k == d.key)
                        .map_or_else(Tally::default, |i| stored[i])
                })
                .collect();
            found.insert(r.try_get("region_code")?, mapped);
        }
        let total = found
            .remove(region.code.as_str())
            .unwrap_or_else(|| vec![Tally::default(); defs.len()]);
        Ok(Some((basis, as_of, (total, found))))
    }

    /// Each snapshot year's tallies of `region` (inside the scope), oldest first (for trends).
    pub async fn history(
        &self,
        scope: &Scope,
        region: &Region,
        defs: &Definitions,
    ) -> Result<Vec<(i32, Vec<Tally>)>> {
        scope.require(scope.role().reads_persons())?;
        if !scope.covers(&region.code) {
            return Err(StoreError::NotFound("区划".into()));
        }
        let mut out = Vec::new();
        for y in self.snapshot_years().await? {
            if let Some((_, _, (t, _))) = self.snapshot_sums(y, region, &[], defs).await? {
                out.push((y, t));
            }
        }
        Ok(out)
    }
}
