//! The bank's side of an approved roll: the payment file it is sent (full accounts, by town,
//! audited) and the return it sends back, whose failed lines the next roll pays again.

use std::collections::HashMap;

use anju_domain::audit::Outcome;
use anju_domain::money::Fen;
use anju_domain::month::Month;
use anju_domain::subsidy::SubsidyKind;
use serde::Serialize;
use sqlx::Row;

use super::Subsidies;
use super::roll::{RollSummary, town_name, town_of};
use crate::audit::NewEntry;
use crate::{Result, Scope, StoreError};

/// One line of the bank's payment file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BankLine {
    pub town_code: String,
    pub town_name: String,
    pub name: String,
    pub id_number: String,
    pub bank_account: String,
    pub bank_name: String,
    pub kind: SubsidyKind,
    pub month: String,
    pub amount: Fen,
    pub arrears: bool,
}

/// A line the bank returned as failed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FailedLine {
    pub town_name: String,
    pub name: String,
    pub id_number: String,
    pub bank_account: String,
    pub kind: SubsidyKind,
    pub month: String,
    pub amount: Fen,
    pub reason: String,
}

/// One row of the bank's return.
#[derive(Debug, Clone)]
pub struct ReturnRow {
    pub row: usize,
    pub bank_account: String,
    pub amount: Fen,
    pub ok: bool,
    pub reason: String,
}

impl Subsidies<'_> {
    /// The bank's payment file of an approved roll, by town; audited.
    pub async fn export_roll(
        &self,
        scope: &Scope,
        month: Month,
        region: Option<&str>,
    ) -> Result<(RollSummary, Vec<BankLine>)> {
        let region = self.roll_region(scope, region)?;
        let mut conn = self.store.pool().acquire().await?;
        let roll = Self::find_roll(&mut conn, month, &region)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("{} {} 的名册", region.name, month)))?;
        if !roll.is_approved() {
            return Err(StoreError::invalid("名册尚未审批，不能导出银行发放文件"));
        }
        let rows = sqlx::query(
            "SELECT household_code, name, id_number, bank_account, bank_name, kind, pay_month, \
             amount_fen, arrears FROM roll_lines WHERE roll_id = $1 \
             ORDER BY household_code, id_number, kind, pay_month",
        )
        .bind(roll.id)
        .fetch_all(&mut *conn)
        .await?;
        let mut names: HashMap<String, String> = HashMap::new();
        let lines = rows
            .iter()
            .map(|r| {
                let household: String = r.try_get("household_code")?;
                let town = town_of(&household);
                let town_name = names
                    .entry(town.clone())
                    .or_insert_with(|| town_name(&town))
                    .clone();
                let kind: String = r.try_get("kind")?;
                Ok(BankLine {
                    town_code: town,
                    town_name,
                    name: r.try_get("name")?,
                    id_number: r.try_get("id_number")?,
                    bank_account: r.try_get("bank_account")?,
                    bank_name: r.try_get("bank_name")?,
                    kind: SubsidyKind::parse(&kind)
                        .ok_or_else(|| StoreError::Internal("补贴类型无法读取".into()))?,
                    month: r.try_get("pay_month")?,
                    amount: Fen(r.try_get("amount_fen")?),
                    arrears: r.try_get::<i64, _>("arrears")? != 0,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.store
            .audit()
            .record(
                NewEntry::by(
                    scope,
                    "subsidy.roll_export",
                    format!("roll:{}", roll.id),
                    Outcome::Success,
                )
                .detail(format!(
                    "{} {} 银行发放文件：{}行，合计{}元（含完整银行账号）",
                    region.name,
                    month,
                    lines.len(),
                    Fen(roll.total_fen).yuan()
                )),
            )
            .await?;
        Ok((roll, lines))
    }
}

impl Subsidies<'_> {
    /// Applies the bank's return to an approved roll: each row is matched to a line of the
    /// roll by account and amount; a failed line's payment gives way, so that the next roll
    /// pays it again (to the account the grant then has), and the roll page lists it.
    pub async fn reconcile_roll(
        &self,
        scope: &Scope,
        month: Month,
        region: Option<&str>,
        label: &str,
        rows: Vec<ReturnRow>,
        apply: impl Into<super::Apply>,
    ) -> Result<super::TableResult> {
        use super::{Rejection, TableResult};
        let region = self.roll_region(scope, region)?;
        let mut tx = self.store.begin_write().await?;
        let roll = Self::find_roll(&mut tx, month, &region)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("{} {} 的名册", region.name, month)))?;
        if !roll.is_approved() {
            return Err(StoreError::invalid("名册尚未审批，没有可对账的发放"));
        }
        // Lines by account, each matched at most once a file.
        struct Sent {
            id: i64,
            amount: i64,
            status: Option<String>,
            reason: Option<String>,
        }
        let mut by_account: HashMap<String, Vec<Sent>> = HashMap::new();
        for r in sqlx::query(
            "SELECT id, bank_account, amount_fen, bank_status, bank_reason FROM roll_lines \
             WHERE roll_id = $1 ORDER BY id",
        )
        .bind(roll.id)
        .fetch_all(&mut *tx)
        .await?
        {
            by_account
                .entry(r.try_get("bank_account")?)
                .or_default()
                .push(Sent {
                    id: r.try_get("id")?,
                    amount: r.try_get("amount_fen")?,
                    status: r.try_get("bank_status")?,
                    reason: r.try_get("bank_reason")?,
                });
        }
        let mut res = TableResult::default();
        for row in rows {
            let Some(lines) = by_account.get_mut(&row.bank_account) else {
                res.rejected.push(Rejection::new(
                    row.row,
                    "账号",
                    "no_line",
                    "该名册中没有发往此账号的款项",
                ));
                continue;
            };
            let Some(i) = lines.iter().position(|l| l.amount == row.amount.fen()) else {
                res.rejected.push(Rejection::new(
                    row.row,
                    "金额",
                    "amount_mismatch",
                    format!("该名册发往此账号的款项中没有 {} 元", row.amount.yuan()),
                ));
                continue;
            };
            let Sent {
                id, status, reason, ..
            } = lines.remove(i);
            let new_status = if row.ok { "paid" } else { "failed" };
            let new_reason = (!row.ok).then(|| row.reason.clone());
            if status.as_deref() == Some(new_status) && reason == new_reason {
                res.unchanged += 1;
                continue;
            }
            sqlx::query("UPDATE roll_lines SET bank_status = $1, bank_reason = $2 WHERE id = $3")
                .bind(new_status)
                .bind(new_reason)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE payments SET status = $1 WHERE line_id = $2")
                .bind(new_status)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            res.updated += 1;
        }
        let failed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM roll_lines WHERE roll_id = $1 AND bank_status = 'failed'",
        )
        .bind(roll.id)
        .fetch_one(&mut *tx)
        .await?;
        self.finish(
            tx,
            scope,
            "subsidy.roll_reconcile",
            &format!("{label}（{} {}，失败{failed}笔）", region.name, month),
            apply.into(),
            res,
        )
        .await
    }

    /// The lines of a roll the bank returned as failed (for correction and re-payment).
    pub async fn failed_lines(
        &self,
        scope: &Scope,
        month: Month,
        region: &str,
    ) -> Result<Vec<FailedLine>> {
        scope.require(scope.role.reads_persons())?;
        let region = self.store.regions().current(region)?.clone();
        if !scope.covers(&region.code) {
            return Err(StoreError::NotFound("名册".into()));
        }
        let mut conn = self.store.pool().acquire().await?;
        let roll = Self::find_roll(&mut conn, month, &region)
            .await?
            .ok_or_else(|| StoreError::NotFound("名册".into()))?;
        sqlx::query(
            "SELECT household_code, name, id_number, bank_account, bank_name, kind, pay_month, \
             amount_fen, arrears, bank_reason FROM roll_lines WHERE roll_id = $1 \
             AND bank_status = 'failed' ORDER BY household_code, id_number LIMIT 2000",
        )
        .bind(roll.id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            let household: String = r.try_get("household_code")?;
            let town = town_of(&household);
            let kind: String = r.try_get("kind")?;
            Ok(FailedLine {
                town_name: town_name(&town),
                name: r.try_get("name")?,
                id_number: r.try_get("id_number")?,
                bank_account: r.try_get("bank_account")?,
                kind: SubsidyKind::parse(&kind)
                    .ok_or_else(|| StoreError::Internal("补贴类型无法读取".into()))?,
                month: r.try_get("pay_month")?,
                amount: Fen(r.try_get("amount_fen")?),
                reason: r
                    .try_get::<Option<String>, _>("bank_reason")?
                    .unwrap_or_default(),
            })
        })
        .collect()
    }
}
