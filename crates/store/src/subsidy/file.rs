//! The subsidies' part of a person's file: grants, assistance statuses, every line paid, and
//! recoveries.

use anju_domain::money::Fen;
use anju_domain::subsidy::{Assistance, SubsidyKind};
use serde::Serialize;
use sqlx::Row;

use super::inputs::{assistance_from_row, grant_from_row};
use super::{RecoveryRecord, Subsidies};
use crate::{PersonRecord, Result, Scope, StoreError};

/// A grant as the file shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GrantView {
    pub kind: SubsidyKind,
    pub locality: &'static str,
    pub from: String,
    pub to: Option<String>,
    pub long_term_care: bool,
    pub bank_account: String,
    pub bank_name: String,
}

/// A line paid by an approved roll (the bank's result when reconciled).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaidLine {
    pub kind: SubsidyKind,
    pub month: String,
    pub amount: Fen,
    pub roll_month: String,
    pub arrears: bool,
    pub status: String,
    pub bank_reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct PersonSubsidies {
    pub grants: Vec<GrantView>,
    #[serde(skip)]
    pub assistance: Vec<Assistance>,
    pub paid: Vec<PaidLine>,
    pub recoveries: Vec<RecoveryRecord>,
}

impl Subsidies<'_> {
    /// The subsidy sections of a file the scope may read.
    pub async fn of_person(&self, scope: &Scope, rec: &PersonRecord) -> Result<PersonSubsidies> {
        scope.require(scope.role.reads_persons())?;
        if !scope.covers(&rec.person.household_code) {
            return Err(StoreError::NotFound("档案".into()));
        }
        let mut conn = self.store.pool().acquire().await?;
        let grants = sqlx::query(
            "SELECT id, person_id, kind, locality, from_month, to_month, bank_account, bank_name, \
             long_term_care FROM grants WHERE person_id = $1 ORDER BY kind, from_month",
        )
        .bind(rec.id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            let g = grant_from_row(r)?;
            Ok(GrantView {
                kind: g.grant.kind,
                locality: g.grant.locality.label(),
                from: g.grant.from.to_string(),
                to: g.grant.to.map(|m| m.to_string()),
                long_term_care: g.grant.long_term_care,
                bank_account: g.bank_account,
                bank_name: g.bank_name,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let assistance = sqlx::query(
            "SELECT kind, from_month, to_month, amount_fen FROM assistance WHERE person_id = $1 \
             ORDER BY from_month",
        )
        .bind(rec.id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(assistance_from_row)
        .collect::<Result<Vec<_>>>()?;
        let paid = sqlx::query(
            "SELECT y.kind, y.pay_month, y.amount_fen, y.status, r.month AS roll_month, \
             l.arrears, l.bank_reason FROM payments y JOIN rolls r ON r.id = y.roll_id \
             JOIN roll_lines l ON l.id = y.line_id WHERE y.person_id = $1 \
             ORDER BY y.pay_month DESC, y.kind LIMIT 600",
        )
        .bind(rec.id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(PaidLine {
                kind: SubsidyKind::parse(&kind)
                    .ok_or_else(|| StoreError::Internal("补贴类型无法读取".into()))?,
                month: r.try_get("pay_month")?,
                amount: Fen(r.try_get("amount_fen")?),
                roll_month: r.try_get("roll_month")?,
                arrears: r.try_get::<i64, _>("arrears")? != 0,
                status: r.try_get("status")?,
                bank_reason: r.try_get("bank_reason")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        drop(conn);
        let recoveries = self.recovery_list(scope, Some(rec.id)).await?;
        Ok(PersonSubsidies {
            grants,
            assistance,
            paid,
            recoveries,
        })
    }
}
