//! Targets per region, year and indicator, and a county's task split among its towns. A sheet
//! or a form is kept whole or not at all: every bad row is reported and nothing changes.

use std::collections::{HashMap, HashSet};

use anju_domain::audit::Outcome;
use anju_domain::indicator::{Allocation, Measure, TargetValue, allocation};
use anju_domain::{Region, RegionTable};
use chrono::Datelike;
use serde::Serialize;
use sqlx::Row;

use super::{Indicators, region_in};
use crate::audit::{NewEntry, append};
use crate::{Rejection, Result, Scope, TableResult};

/// One target as typed: region code, year, indicator (code or name), value ("" removes it).
#[derive(Debug, Clone)]
pub struct TargetLine {
    pub row: usize,
    pub region: String,
    pub year: String,
    pub indicator: String,
    pub value: String,
}

/// A stored target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetRow {
    pub region_code: String,
    pub region_name: String,
    pub indicator: String,
    pub value: TargetValue,
}

/// One indicator's target for a region and its children's shares.
#[derive(Debug, Clone, Serialize)]
pub struct TargetSheetLine {
    pub key: String,
    pub name: String,
    pub unit: &'static str,
    pub additive: bool,
    pub no_data: bool,
    pub own: Option<TargetValue>,
    /// By child, in the region table's order.
    pub shares: Vec<Option<TargetValue>>,
    /// For a count or a sum: how the shares stand against the task.
    pub allocation: Option<Allocation>,
}

/// A region's targets for a year, with its children's.
#[derive(Debug, Clone, Serialize)]
pub struct TargetSheet {
    pub region: Region,
    pub year: i32,
    pub children: Vec<Region>,
    pub lines: Vec<TargetSheetLine>,
}

impl TargetSheet {
    /// Each child's share of `line`: code, name and the value as typed ("" when none).
    pub fn cells(&self, line: &TargetSheetLine) -> Vec<(String, String, String)> {
        self.children
            .iter()
            .zip(&line.shares)
            .map(|(c, v)| {
                (
                    c.code.to_string(),
                    c.name.clone(),
                    v.map_or_else(String::new, |v| v.text()),
                )
            })
            .collect()
    }

    /// The lines whose shares do not add up to the task.
    pub fn unbalanced(&self) -> Vec<&TargetSheetLine> {
        self.lines
            .iter()
            .filter(|l| {
                l.allocation
                    .as_ref()
                    .is_some_and(|a| a.task.is_some() && !a.balanced())
            })
            .collect()
    }
}

/// What an import did.
pub type TargetImport = TableResult;

impl Indicators<'_> {
    /// The targets of `region` and of its children for `year`.
    pub(crate) async fn targets_of(
        &self,
        region: &Region,
        children: &[Region],
        year: i32,
    ) -> Result<HashMap<(String, String), TargetValue>> {
        let mut codes: Vec<String> = children.iter().map(|c| c.code.to_string()).collect();
        codes.push(region.code.to_string());
        let mut out = HashMap::new();
        for r in super::rows_of_regions(
            self.store,
            "SELECT region_code, indicator, value_x100 FROM indicator_targets",
            year,
            &codes,
        )
        .await?
        {
            out.insert(
                (r.try_get("region_code")?, r.try_get("indicator")?),
                TargetValue(r.try_get("value_x100")?),
            );
        }
        Ok(out)
    }

    /// A region's targets for `year` with its children's shares and how they add up.
    pub async fn target_sheet(
        &self,
        scope: &Scope,
        region: Option<&str>,
        year: i32,
    ) -> Result<TargetSheet> {
        scope.require(scope.role().reads_persons())?;
        let region = region_in(scope, region)?;
        let defs = self.definitions()?;
        let children: Vec<Region> = RegionTable::jiangsu()
            .children(&region.code)
            .cloned()
            .collect();
        let targets = self.targets_of(region, &children, year).await?;
        let lines = defs
            .all()
            .iter()
            .map(|d| {
                let own = targets
                    .get(&(region.code.to_string(), d.key.clone()))
                    .copied();
                let shares: Vec<Option<TargetValue>> = children
                    .iter()
                    .map(|c| targets.get(&(c.code.to_string(), d.key.clone())).copied())
                    .collect();
                let additive = d.measure.additive();
                let given: Vec<TargetValue> = shares.iter().flatten().copied().collect();
                TargetSheetLine {
                    key: d.key.clone(),
                    name: d.name.clone(),
                    unit: d.measure.unit().label(),
                    additive,
                    no_data: d.measure == Measure::NoData,
                    own,
                    allocation: (additive
                        && !children.is_empty()
                        && (own.is_some() || !given.is_empty()))
                    .then(|| allocation(own, &given)),
                    shares,
                }
            })
            .collect();
        Ok(TargetSheet {
            region: region.clone(),
            year,
            children,
            lines,
        })
    }

    /// Keeps the targets typed in a form or read from a sheet, all or none: every bad line is
    /// reported with its row and field, and then nothing is changed. An empty value removes
    /// the target.
    pub async fn set_targets(
        &self,
        scope: &Scope,
        lines: Vec<TargetLine>,
        source: &str,
    ) -> Result<TargetImport> {
        scope.require(scope.role().sets_targets())?;
        let defs = self.definitions()?;
        let table = RegionTable::jiangsu();
        let this_year = self.store.today().year();
        let mut out = TableResult::default();
        let mut good: Vec<(String, i64, String, Option<TargetValue>)> = Vec::new();
        let mut seen = HashSet::new();
        for l in lines {
            let reject = |out: &mut TableResult, col: &str, code: &str, m: String| {
                out.rejected.push(Rejection::new(l.row, col, code, m));
            };
            let region = {
                let t = l.region.trim();
                let full = if !t.is_empty() && t.len() < 12 && t.bytes().all(|b| b.is_ascii_digit())
                {
                    format!("{t:0<12}")
                } else {
                    t.to_owned()
                };
                match table.current(&full) {
                    Ok(r) if scope.covers(&r.code) => r,
                    Ok(r) => {
                        reject(
                            &mut out,
                            "区划代码",
                            "region_outside",
                            format!("{}（{}）不在您的管辖范围内", r.name, r.code),
                        );
                        continue;
                    }
                    Err(_) => {
                        reject(
                            &mut out,
                            "区划代码",
                            "region_unknown",
                            format!("区划代码“{t}”不是江苏省的现行区划"),
                        );
                        continue;
                    }
                }
            };
            let year: i64 = match l.year.trim().trim_end_matches('年').parse::<i32>() {
                Ok(y) if (2016..=this_year + 10).contains(&y) => i64::from(y),
                _ => {
                    reject(
                        &mut out,
                        "年度",
                        "year_invalid",
                        format!(
                            "年度“{}”无效（应为2016至{}之间的年份）",
                            l.year.trim(),
                            this_year + 10
                        ),
                    );
                    continue;
                }
            };
            let Some((_, def)) = defs.find(&l.indicator) else {
                reject(
                    &mut out,
                    "指标",
                    "indicator_unknown",
                    format!("指标“{}”不在指标定义中", l.indicator.trim()),
                );
                continue;
            };
            if def.measure == Measure::NoData {
                reject(
                    &mut out,
                    "指标",
                    "indicator_no_data",
                    format!("指标“{}”暂无数据，不能设定目标", def.name),
                );
                continue;
            }
            let value = if l.value.trim().is_empty() {
                None
            } else {
                match TargetValue::parse(&l.value, matches!(def.measure, Measure::Share(_))) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        reject(&mut out, "目标值", "value_invalid", e.to_string());
                        continue;
                    }
                }
            };
            if !seen.insert((region.code.to_string(), year, def.key.clone())) {
                reject(
                    &mut out,
                    "指标",
                    "duplicate",
                    format!("{} {year}年“{}”的目标重复", region.name, def.name),
                );
                continue;
            }
            good.push((region.code.to_string(), year, def.key.clone(), value));
        }
        out.rejected.sort_by_key(|r| r.row);
        if !out.rejected.is_empty() {
            return Ok(out);
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        for (region, year, key, value) in &good {
            let before: Option<i64> = sqlx::query_scalar(
                "SELECT value_x100 FROM indicator_targets WHERE region_code = $1 AND year = $2 \
                 AND indicator = $3",
            )
            .bind(region.clone())
            .bind(*year)
            .bind(key.clone())
            .fetch_optional(&mut *tx)
            .await?;
            if before == value.map(|v| v.0) {
                out.unchanged += 1;
                continue;
            }
            // Removed or replaced: the old row goes, a new value comes in its place.
            if before.is_some() {
                sqlx::query(
                    "DELETE FROM indicator_targets WHERE region_code = $1 AND year = $2 \
                     AND indicator = $3",
                )
                .bind(region.clone())
                .bind(*year)
                .bind(key.clone())
                .execute(&mut *tx)
                .await?;
            }
            if let Some(v) = value {
                sqlx::query(
                    "INSERT INTO indicator_targets (region_code, year, indicator, value_x100, \
                     updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(region.clone())
                .bind(*year)
                .bind(key.clone())
                .bind(v.0)
                .bind(scope.username().to_owned())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            if before.is_some() {
                out.updated += 1;
            } else {
                out.inserted += 1;
            }
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "indicator.targets",
                format!("region:{}", scope.region().code),
                Outcome::Success,
            )
            .detail(format!(
                "{source}：新增{}项，修改{}项，未变{}项",
                out.inserted, out.updated, out.unchanged
            )),
        )
        .await?;
        tx.commit().await?;
        out.committed = true;
        Ok(out)
    }
}
