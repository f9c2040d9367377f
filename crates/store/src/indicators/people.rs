//! The people behind an indicator's count: one click from any value, scoped to the user's
//! region, masked for the role, and audited like every other view of personal data.

use anju_domain::RegionTable;
use anju_domain::audit::Outcome;
use anju_domain::indicator::Measure;
use anju_domain::mask;
use anju_domain::money::Fen;
use chrono::NaiveDate;
use serde::Serialize;

use super::tally::{self, Files};
use super::{Indicators, region_in};
use crate::audit::NewEntry;
use crate::{Result, Scope, StoreError};

/// One person an indicator counts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BehindPerson {
    pub person_id: i64,
    pub name: String,
    /// Masked unless the role sees whole numbers.
    pub id_number: String,
    pub household_code: String,
    pub village: String,
    /// In the numerator (has the fact; for a count, every one listed).
    pub counted: bool,
    /// What the person adds: 计入 / 未计入, or the money paid.
    pub detail: String,
}

/// A page of the people behind an indicator.
#[derive(Debug, Clone, Serialize)]
pub struct BehindPage {
    pub key: String,
    pub name: String,
    pub explain: String,
    pub region_code: String,
    pub region_name: String,
    pub as_of: NaiveDate,
    pub share: bool,
    /// Everyone listed (the population, for a share).
    pub total: usize,
    pub counted: usize,
    pub page: usize,
    pub pages: usize,
    pub rows: Vec<BehindPerson>,
}

/// Which of the people: all, those counted, or (for a share) those not yet counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    All,
    Counted,
    NotCounted,
}

impl Which {
    pub fn parse(s: &str) -> Which {
        match s {
            "counted" => Which::Counted,
            "not_counted" => Which::NotCounted,
            _ => Which::All,
        }
    }
}

impl Indicators<'_> {
    /// Everyone behind indicator `key` in `region` on `date` (today when none), filtered by
    /// `which`. The view is audited (`export` names an export).
    pub async fn behind(
        &self,
        scope: &Scope,
        region: Option<&str>,
        key: &str,
        date: Option<NaiveDate>,
        which: Which,
        export: bool,
    ) -> Result<(BehindPage, Vec<BehindPerson>)> {
        scope.require(scope.role().reads_persons())?;
        let region = region_in(scope, region)?;
        let defs = self.definitions()?;
        let (index, def) = defs
            .find(key)
            .ok_or_else(|| StoreError::NotFound("指标".into()))?;
        let today = self.store.today();
        let date = date.unwrap_or(today);
        if date > today {
            return Err(StoreError::invalid(format!("日期{date}晚于今天")));
        }
        let mut conn = self.store.pool().acquire().await?;
        let people = tally::people(
            &mut conn,
            self.store.backend(),
            &defs,
            index,
            &Files::Under(region.prefix().to_owned()),
            date,
        )
        .await?;
        drop(conn);
        let whole = scope.role().sees_identifiers();
        let table = RegionTable::jiangsu();
        let share = matches!(def.measure, Measure::Share(_));
        let paid = matches!(def.measure, Measure::Paid(_));
        let all: Vec<BehindPerson> = people
            .into_iter()
            .map(|b| {
                let counted = b.tally.n != 0;
                BehindPerson {
                    person_id: b.id,
                    name: b.name,
                    id_number: if whole {
                        b.id_number
                    } else {
                        mask::id_number(&b.id_number)
                    },
                    village: table.name_of(&b.household_code),
                    household_code: b.household_code,
                    counted,
                    detail: if paid {
                        format!("{}元", Fen(b.tally.n).yuan())
                    } else if counted {
                        "计入".into()
                    } else {
                        "未计入".into()
                    },
                }
            })
            .collect();
        let counted = all.iter().filter(|p| p.counted).count();
        let total = all.len();
        let chosen: Vec<BehindPerson> = all
            .into_iter()
            .filter(|p| match which {
                Which::All => true,
                Which::Counted => p.counted,
                Which::NotCounted => !p.counted,
            })
            .collect();
        self.store
            .audit()
            .record(
                NewEntry::by(
                    scope,
                    if export {
                        "indicator.export"
                    } else {
                        "indicator.people"
                    },
                    format!("indicator:{}", def.key),
                    Outcome::Success,
                )
                .detail(format!(
                    "{} {} {date} {}人",
                    region.name,
                    def.name,
                    chosen.len()
                )),
            )
            .await?;
        Ok((
            BehindPage {
                key: def.key.clone(),
                name: def.name.clone(),
                explain: def.explain(),
                region_code: region.code.to_string(),
                region_name: region.name.clone(),
                as_of: date,
                share,
                total,
                counted,
                page: 1,
                pages: 1,
                rows: Vec::new(),
            },
            chosen,
        ))
    }
}
