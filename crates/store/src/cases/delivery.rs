//! Delivery records on a case: kept by the provider the case is assigned to (or by a county
//! from its papers), only while the case is open.

use anju_domain::Role;
use anju_domain::audit::Outcome;
use anju_domain::programme::CaseState;
use anju_domain::programme::delivery::{Delivery, DeliveryInput, DeliveryKind};
use serde::Serialize;
use sqlx::Row;

use super::Cases;
use crate::audit::{NewEntry, append};
use crate::{Result, Scope, StoreError};

/// A delivery as recorded, with who recorded it and for which provider.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryRecord {
    pub id: i64,
    #[serde(flatten)]
    pub delivery: Delivery,
    pub provider: String,
    pub created_by: String,
}

impl Cases<'_> {
    /// Records what the case's provider delivered. Refused on a case that is not open or not
    /// assigned, and (the fields at fault named) for a bad date, count or time.
    pub async fn record_delivery(
        &self,
        scope: &Scope,
        id: i64,
        input: &DeliveryInput,
    ) -> Result<DeliveryRecord> {
        let (c, _) = self.get(scope, id).await?;
        if !matches!(
            scope.role(),
            Role::Provider | Role::County | Role::City | Role::Admin
        ) {
            return Err(StoreError::Forbidden);
        }
        if c.state != CaseState::Open {
            return Err(StoreError::invalid(format!(
                "个案{}，不能再记录服务",
                c.state.label()
            )));
        }
        let Some(provider) = c.provider_id else {
            return Err(StoreError::invalid("个案尚未指派服务机构，不能记录服务"));
        };
        let opened = c
            .opened_on
            .parse()
            .map_err(|_| StoreError::Internal("受理日期无法读取".into()))?;
        let d = input
            .validate(opened, self.store.today())
            .map_err(|faults| {
                StoreError::Invalid(
                    faults
                        .into_iter()
                        .map(|(f, m)| format!("{f}：{m}"))
                        .collect::<Vec<_>>()
                        .join("；"),
                )
            })?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let rid: i64 = sqlx::query_scalar(
            "INSERT INTO deliveries (case_id, provider_id, kind, on_date, units, start_time, \
             end_time, note, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(id)
        .bind(provider)
        .bind(d.kind.as_str())
        .bind(d.date.to_string())
        .bind(i64::from(d.units))
        .bind(d.start.map(|t| t.format("%H:%M").to_string()))
        .bind(d.end.map(|t| t.format("%H:%M").to_string()))
        .bind(d.note.clone())
        .bind(now)
        .bind(scope.username.clone())
        .fetch_one(&mut *tx)
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "case.delivery",
                format!("case:{id}"),
                Outcome::Success,
            )
            .detail(format!("{} {} {}", d.kind.label(), d.date, d.units)),
        )
        .await?;
        tx.commit().await?;
        Ok(DeliveryRecord {
            id: rid,
            delivery: d,
            provider: c.provider.unwrap_or_default(),
            created_by: scope.username.clone(),
        })
    }

    /// The deliveries recorded on a case the scope sees, in date order.
    pub async fn deliveries(&self, scope: &Scope, id: i64) -> Result<Vec<DeliveryRecord>> {
        self.get(scope, id).await?;
        let bad = || StoreError::Internal("服务记录无法读取".into());
        sqlx::query(
            "SELECT d.id, d.kind, d.on_date, d.units, d.start_time, d.end_time, d.note, \
             d.created_by, o.name AS provider FROM deliveries d \
             JOIN providers o ON o.id = d.provider_id WHERE d.case_id = $1 ORDER BY d.on_date, d.id",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| {
            let time = |c: &str| -> Result<Option<chrono::NaiveTime>> {
                Ok(r.try_get::<Option<String>, _>(c)?
                    .and_then(|t| chrono::NaiveTime::parse_from_str(&t, "%H:%M").ok()))
            };
            Ok(DeliveryRecord {
                id: r.try_get("id")?,
                delivery: Delivery {
                    kind: DeliveryKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(bad)?,
                    date: r
                        .try_get::<String, _>("on_date")?
                        .parse()
                        .map_err(|_| bad())?,
                    units: u32::try_from(r.try_get::<i64, _>("units")?).map_err(|_| bad())?,
                    start: time("start_time")?,
                    end: time("end_time")?,
                    note: r.try_get("note")?,
                },
                provider: r.try_get("provider")?,
                created_by: r.try_get("created_by")?,
            })
        })
        .collect()
    }
}
