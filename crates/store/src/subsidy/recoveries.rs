//! Recoveries (应退则退): opened when a death or move falls before months already paid,
//! listed for the scope and closed with a note.

use anju_domain::RegionCode;
use anju_domain::audit::Outcome;
use anju_domain::money::Fen;
use anju_domain::subsidy::SubsidyKind;
use serde::Serialize;
use sqlx::Row;

use super::Subsidies;
use crate::audit::{NewEntry, append};
use crate::sql::{Arg, Where};
use crate::{Result, Scope, StoreError};

/// A recovery record (应退则退).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecoveryRecord {
    pub id: i64,
    pub person_id: i64,
    pub id_number: String,
    pub name: String,
    pub household_code: String,
    pub kind: SubsidyKind,
    pub month: String,
    pub amount: Fen,
    pub reason: String,
    pub status: String,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub closed_by: Option<String>,
    pub note: Option<String>,
}

impl Subsidies<'_> {
    /// Recovery records of the scope's people, open ones first.
    pub async fn recoveries(&self, scope: &Scope) -> Result<Vec<RecoveryRecord>> {
        self.recovery_list(scope, None).await
    }

    pub(super) async fn recovery_list(
        &self,
        scope: &Scope,
        person: Option<i64>,
    ) -> Result<Vec<RecoveryRecord>> {
        scope.require(scope.role.reads_persons())?;
        let mut w = Where::default();
        w.push_prefix(self.store.backend(), "p.household_code", scope.prefix());
        if let Some(id) = person {
            w.push("r.person_id = ?", Arg::Int(id));
        }
        let sql = format!(
            "SELECT r.id, r.person_id, p.id_number, p.name, p.household_code, r.kind, r.pay_month, \
             r.amount_fen, r.reason, r.status, r.opened_at, r.closed_at, r.closed_by, r.note \
             FROM recoveries r JOIN persons p ON p.id = r.person_id WHERE {} \
             ORDER BY r.status DESC, r.opened_at DESC, r.id LIMIT 2000",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in &w.args {
            q = a.bind(q);
        }
        q.fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                Ok(RecoveryRecord {
                    id: r.try_get("id")?,
                    person_id: r.try_get("person_id")?,
                    id_number: r.try_get("id_number")?,
                    name: r.try_get("name")?,
                    household_code: r.try_get("household_code")?,
                    kind: SubsidyKind::parse(&kind)
                        .ok_or_else(|| StoreError::Internal("补贴类型无法读取".into()))?,
                    month: r.try_get("pay_month")?,
                    amount: Fen(r.try_get("amount_fen")?),
                    reason: r.try_get("reason")?,
                    status: r.try_get("status")?,
                    opened_at: r.try_get("opened_at")?,
                    closed_at: r.try_get("closed_at")?,
                    closed_by: r.try_get("closed_by")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    /// Closes a recovery record (the money came back, or the case was settled otherwise).
    pub async fn close_recovery(&self, scope: &Scope, id: i64, note: &str) -> Result<()> {
        scope.require(scope.role.runs_rolls())?;
        let note = note.trim();
        if note.is_empty() {
            return Err(StoreError::invalid(
                "请填写办结说明（如：已退回，凭证号……）",
            ));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let household: Option<String> = sqlx::query_scalar(
            "SELECT p.household_code FROM recoveries r JOIN persons p ON p.id = r.person_id \
             WHERE r.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let in_scope = household
            .and_then(|h| RegionCode::parse(&h).ok())
            .is_some_and(|c| scope.covers(&c));
        if !in_scope {
            return Err(StoreError::NotFound("追回记录".into()));
        }
        let done = sqlx::query(
            "UPDATE recoveries SET status = 'closed', closed_at = $1, closed_by = $2, note = $3 \
             WHERE id = $4 AND status = 'open'",
        )
        .bind(now)
        .bind(scope.username.clone())
        .bind(note.to_owned())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::invalid("该追回记录已办结"));
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "subsidy.recovery_close",
                format!("recovery:{id}"),
                Outcome::Success,
            )
            .detail(note.to_owned()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
