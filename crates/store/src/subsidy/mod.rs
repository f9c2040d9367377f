//! The two subsidies' data: inputs (life events, assistance statuses, grants), the policy
//! (standards, 低保 standards, combination rules) and the monthly rolls (`roll`).
//!
//! Each input arrives as a file of rows already parsed by the jobs layer. A file is applied in
//! one transaction: a row is matched to the person's file by ID number (a person outside the
//! user's subtree is as unknown as one without a file), to an existing row by its key, and
//! then inserted, updated or left alone, so importing a file twice changes nothing the second
//! time. A bad row is reported with its row number, column and reason; with `strict`, one bad
//! row leaves everything as it was.

mod bank;
mod file;
mod inputs;
mod policy;
mod recoveries;
mod roll;

use std::collections::HashMap;

use anju_domain::id_number::IdNumber;
use anju_domain::person::LifeStatus;
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

pub use file::{GrantView, PaidLine, PersonSubsidies};
pub use inputs::{AssistanceRow, EventRow, GrantRow};
pub(crate) use inputs::{assistance_from_row, open_recoveries};

pub use bank::{BankLine, FailedLine, ReturnRow};
pub use recoveries::RecoveryRecord;
pub use roll::{
    HeldLine, LineFilter, LineView, Roll, RollDiff, RollLine, RollOutcome, RollSummary,
    StoppedLine, TownTotal,
};

use crate::{Result, Scope, Store};

/// A row refused: its number in the sheet (header = 1), the column at fault, a stable code and
/// a Chinese reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Rejection {
    pub row: usize,
    pub column: String,
    pub code: String,
    pub message: String,
}

impl Rejection {
    pub fn new(row: usize, column: &str, code: &str, message: impl Into<String>) -> Self {
        Rejection {
            row,
            column: column.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// What a file did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TableResult {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: Vec<Rejection>,
    /// Whether the rows were written (false when `strict` refused the file).
    pub committed: bool,
}

/// Whether an imported file is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    /// The good rows are kept, the bad ones reported.
    Always,
    /// Kept only when no row is bad (`--strict`).
    IfClean,
    /// Checked and reported, never kept (a strict file whose rows already failed to parse).
    Never,
}

impl From<bool> for Apply {
    /// `strict`: [`Apply::IfClean`]; otherwise [`Apply::Always`].
    fn from(strict: bool) -> Apply {
        if strict {
            Apply::IfClean
        } else {
            Apply::Always
        }
    }
}

/// The subsidy functions of the store.
pub struct Subsidies<'a> {
    store: &'a Store,
}

impl Store {
    pub fn subsidies(&self) -> Subsidies<'_> {
        Subsidies { store: self }
    }
}

/// What the subsidy rules read of a person's file.
#[derive(Debug, Clone)]
pub(crate) struct PersonFacts {
    pub id: i64,
    pub life_status: LifeStatus,
    pub life_date: Option<NaiveDate>,
}

/// The files of `ids` that lie in the scope, by ID number.
pub(crate) async fn persons_in_scope(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    scope: &Scope,
    ids: &[&IdNumber],
) -> Result<HashMap<String, PersonFacts>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let ps: Vec<String> = (1..=chunk.len())
            .map(|i| crate::sql::placeholder(backend, i))
            .collect();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, id_number, household_code, life_status, life_date FROM persons \
             WHERE id_number IN ({})",
            ps.join(",")
        )));
        for id in chunk {
            q = q.bind(id.to_string());
        }
        for r in q.fetch_all(&mut *conn).await? {
            let household: String = r.try_get("household_code")?;
            let Ok(code) = anju_domain::RegionCode::parse(&household) else {
                continue;
            };
            if !scope.covers(&code) {
                continue;
            }
            let life: String = r.try_get("life_status")?;
            let date: Option<String> = r.try_get("life_date")?;
            out.insert(
                r.try_get("id_number")?,
                PersonFacts {
                    id: r.try_get("id")?,
                    life_status: LifeStatus::parse(&life).unwrap_or(LifeStatus::Living),
                    life_date: date.and_then(|d| d.parse().ok()),
                },
            );
        }
    }
    Ok(out)
}

/// The reason given for an ID number with no file in the user's subtree.
pub(crate) fn unknown_person(row: usize) -> Rejection {
    Rejection::new(
        row,
        "身份证号",
        "unknown_person",
        "该身份证号在您的管辖范围内没有档案，请先建档",
    )
}
