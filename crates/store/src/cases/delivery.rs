//! Delivery records on a case: kept by the provider the case is assigned to (or by a county
//! from its papers), only while the case is open.

use anju_domain::Role;
use anju_domain::audit::Outcome;
use anju_domain::programme::delivery::{Delivery, DeliveryInput, DeliveryKind};
use anju_domain::programme::{CaseState, ProgrammeKind};
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
        if !scope.role().records_deliveries() {
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
        if d.kind == DeliveryKind::Fitting && c.kind == ProgrammeKind::Device {
            self.store
                .devices()
                .fit(&mut tx, &c, d.date, now, &scope.username)
                .await?;
        }
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

/// A delivery row of a sheet: the person and programme find the case.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub row: usize,
    pub id_number: String,
    pub programme: String,
    pub input: DeliveryInput,
}

impl Cases<'_> {
    /// Brings a sheet of delivery records in, in one transaction: each row goes to the latest
    /// case of its person and programme in the scope, which must be open and assigned.
    pub async fn import_deliveries(
        &self,
        scope: &Scope,
        label: &str,
        rows: Vec<DeliveryRow>,
        apply: crate::Apply,
    ) -> Result<crate::TableResult> {
        scope.require(scope.role().records_deliveries())?;
        let today = self.store.today();
        let now = self.store.now_ms();
        let mut out = crate::TableResult::default();
        let mut tx = self.store.begin_write().await?;
        // The scope's cases by (ID number, programme): the latest of each.
        let mut w = crate::sql::Where::default();
        if scope.role() == Role::Provider {
            w.push(
                "c.provider_id = ?",
                crate::sql::Arg::Int(scope.provider().unwrap_or(0)),
            );
        } else {
            w.push_prefix(self.store.backend(), "c.household_code", scope.prefix());
        }
        let sql = format!(
            "SELECT c.id, p.id_number, g.name AS programme, c.opened_on, c.state, c.provider_id \
             FROM cases c JOIN persons p ON p.id = c.person_id \
             JOIN programmes g ON g.id = c.programme_id WHERE {} ORDER BY c.id",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        /// A case as a delivery row finds it: id, opening date, state, provider.
        type Found = (i64, String, String, Option<i64>);
        let mut latest: std::collections::HashMap<(String, String), Found> =
            std::collections::HashMap::new();
        for r in q.fetch_all(&mut *tx).await? {
            latest.insert(
                (r.try_get("id_number")?, r.try_get("programme")?),
                (
                    r.try_get("id")?,
                    r.try_get("opened_on")?,
                    r.try_get("state")?,
                    r.try_get("provider_id")?,
                ),
            );
        }
        let mut good = Vec::new();
        for r in rows {
            let reject = |column: &str, code: &str, msg: String| {
                crate::Rejection::new(r.row, column, code, msg)
            };
            let Some((case, opened, state, provider)) =
                latest.get(&(r.id_number.clone(), r.programme.trim().to_owned()))
            else {
                out.rejected.push(reject(
                    "服务项目",
                    "unknown_case",
                    format!("辖区内没有此人的“{}”个案", r.programme),
                ));
                continue;
            };
            if state != "open" {
                out.rejected.push(reject(
                    "服务项目",
                    "case_not_open",
                    "个案已结案或不予办理，不能再记录服务".into(),
                ));
                continue;
            }
            let Some(provider) = provider else {
                out.rejected.push(reject(
                    "服务项目",
                    "case_unassigned",
                    "个案尚未指派服务机构".into(),
                ));
                continue;
            };
            let Ok(opened) = opened.parse() else {
                continue;
            };
            match r.input.validate(opened, today) {
                Ok(d) => good.push((*case, *provider, d)),
                Err(faults) => {
                    for (f, m) in faults {
                        out.rejected.push(reject(f, "value_invalid", m));
                    }
                }
            }
        }
        let keep = match apply {
            crate::Apply::Always => true,
            crate::Apply::IfClean => out.rejected.is_empty(),
            crate::Apply::Never => false,
        };
        if !keep {
            return Ok(out);
        }
        let backend = self.store.backend();
        for chunk in good.chunks(500) {
            let mut sql = String::from(
                "INSERT INTO deliveries (case_id, provider_id, kind, on_date, units, start_time, \
                 end_time, note, created_at, created_by) VALUES ",
            );
            let mut n = 0;
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                let ps: Vec<String> = (0..10)
                    .map(|_| {
                        n += 1;
                        crate::sql::placeholder(backend, n)
                    })
                    .collect();
                sql.push_str(&format!("({})", ps.join(",")));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (case, provider, d) in chunk {
                q = q
                    .bind(*case)
                    .bind(*provider)
                    .bind(d.kind.as_str())
                    .bind(d.date.to_string())
                    .bind(i64::from(d.units))
                    .bind(d.start.map(|t| t.format("%H:%M").to_string()))
                    .bind(d.end.map(|t| t.format("%H:%M").to_string()))
                    .bind(d.note.clone())
                    .bind(now)
                    .bind(scope.username.clone());
            }
            q.execute(&mut *tx).await?;
        }
        out.inserted = good.len() as u64;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "case.delivery_import",
                label.to_owned(),
                Outcome::Success,
            )
            .detail(format!("新增{} 拒绝{}", out.inserted, out.rejected.len())),
        )
        .await?;
        tx.commit().await?;
        out.committed = true;
        Ok(out)
    }
}
