//! Service providers: registered by a county or city federation (or an administrator) for
//! the regions under it, seen by the staff of every region a provider serves.

use anju_domain::RegionCode;
use anju_domain::RegionTable;
use anju_domain::audit::Outcome;
use anju_domain::credit_code::CreditCode;
use anju_domain::provider::{Provider, ProviderKind};
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::{Result, Scope, Store, StoreError};

/// A provider as registered, with who keeps it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderRecord {
    pub id: i64,
    #[serde(flatten)]
    pub provider: Provider,
    /// The federation that registered it and keeps it.
    pub region_code: String,
    pub created_by: String,
}

pub struct Providers<'a> {
    store: &'a Store,
}

impl Store {
    pub fn providers(&self) -> Providers<'_> {
        Providers { store: self }
    }
}

fn bad(what: &str) -> StoreError {
    StoreError::Internal(format!("服务机构的{what}无法读取"))
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<ProviderRecord> {
    let regions: String = r.try_get("regions_served")?;
    let programmes: String = r.try_get("programmes")?;
    let kind: String = r.try_get("kind")?;
    let date = |c: &str| -> Result<chrono::NaiveDate> {
        r.try_get::<String, _>(c)?
            .parse()
            .map_err(|_| bad("协议日期"))
    };
    Ok(ProviderRecord {
        id: r.try_get("id")?,
        provider: Provider {
            credit_code: CreditCode::parse(&r.try_get::<String, _>("credit_code")?)
                .map_err(|_| bad("统一社会信用代码"))?,
            name: r.try_get("name")?,
            kind: ProviderKind::parse(&kind).ok_or_else(|| bad("类型"))?,
            regions: regions
                .split(',')
                .filter(|x| !x.is_empty())
                .map(RegionCode::parse)
                .collect::<std::result::Result<_, _>>()?,
            programmes: programmes
                .split('、')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect(),
            agreement_from: date("agreement_from")?,
            agreement_to: date("agreement_to")?,
            star_level: r
                .try_get::<Option<i64>, _>("star_level")?
                .and_then(|s| u8::try_from(s).ok()),
        },
        region_code: r.try_get("region_code")?,
        created_by: r.try_get("created_by")?,
    })
}

/// Whether the scope and a provider's regions meet: a region it serves lies in the scope, or
/// the scope lies in one.
fn visible(scope: &Scope, p: &Provider) -> bool {
    let mine = scope.prefix();
    p.regions.iter().any(|r| {
        let theirs = RegionTable::jiangsu()
            .get(r)
            .map_or(r.as_str(), |x| x.prefix());
        theirs.starts_with(mine) || mine.starts_with(theirs)
    })
}

impl Providers<'_> {
    /// The providers serving some part of the scope, by name.
    pub async fn list(&self, scope: &Scope) -> Result<Vec<ProviderRecord>> {
        scope.require(scope.role().reads_persons())?;
        let rows = sqlx::query("SELECT * FROM providers ORDER BY name, id")
            .fetch_all(self.store.pool())
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let p = from_row(r)?;
            if visible(scope, &p.provider) {
                out.push(p);
            }
        }
        Ok(out)
    }

    pub async fn get(&self, scope: &Scope, id: i64) -> Result<ProviderRecord> {
        self.list(scope)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| StoreError::NotFound("服务机构".into()))
    }

    /// Registers a provider (county, city, administrator) for regions inside the scope, or
    /// changes the one with the same credit code that this scope keeps.
    pub async fn register(&self, scope: &Scope, p: Provider) -> Result<(ProviderRecord, bool)> {
        scope.require(scope.role().manages_services())?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let (id, created) = self.upsert(&mut tx, scope, &p, now).await?;
        tx.commit().await?;
        Ok((self.get(scope, id).await?, created))
    }

    /// Registers or changes every provider of a sheet in one transaction: all of them, or
    /// (with `Apply::IfClean` and a bad row) none. Rows at fault are reported by row.
    pub async fn import(
        &self,
        scope: &Scope,
        label: &str,
        rows: Vec<(usize, Provider)>,
        apply: crate::Apply,
    ) -> Result<crate::TableResult> {
        scope.require(scope.role().manages_services())?;
        let now = self.store.now_ms();
        let mut out = crate::TableResult::default();
        let mut tx = self.store.begin_write().await?;
        for (row, p) in rows {
            if let Some(r) = p.regions.iter().find(|r| !scope.covers(r)) {
                out.rejected.push(crate::Rejection::new(
                    row,
                    "服务区域",
                    "region_outside",
                    format!(
                        "服务区域 {r}（{}）不在您的管辖范围内",
                        RegionTable::jiangsu().name_of(r.as_str())
                    ),
                ));
                continue;
            }
            match self.upsert(&mut tx, scope, &p, now).await {
                Ok((_, true)) => out.inserted += 1,
                Ok((_, false)) => out.updated += 1,
                Err(StoreError::Invalid(m)) => out.rejected.push(crate::Rejection::new(
                    row,
                    "统一社会信用代码",
                    "provider_refused",
                    m,
                )),
                Err(e) => return Err(e),
            }
        }
        let keep = match apply {
            crate::Apply::Always => true,
            crate::Apply::IfClean => out.rejected.is_empty(),
            crate::Apply::Never => false,
        };
        if keep {
            append(
                self.store,
                &mut tx,
                now,
                NewEntry::by(scope, "provider.import", label.to_owned(), Outcome::Success)
                    .detail(format!("新增{} 修改{}", out.inserted, out.updated)),
            )
            .await?;
            tx.commit().await?;
            out.committed = true;
        }
        Ok(out)
    }

    /// Inserts or changes one provider inside `tx`; its row id and whether it is new.
    async fn upsert(
        &self,
        tx: &mut sqlx::AnyConnection,
        scope: &Scope,
        p: &Provider,
        now: i64,
    ) -> Result<(i64, bool)> {
        for r in &p.regions {
            if !scope.covers(r) {
                return Err(StoreError::invalid(format!(
                    "服务区域 {}（{}）不在您的管辖范围内",
                    r,
                    RegionTable::jiangsu().name_of(r.as_str())
                )));
            }
        }
        let existing = sqlx::query("SELECT * FROM providers WHERE credit_code = $1")
            .bind(p.credit_code.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()?;
        let regions = p
            .regions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let programmes = p.programmes.join("、");
        let (id, created) = match existing {
            Some(e) if !scope.covers_code(&e.region_code) => {
                return Err(StoreError::invalid(format!(
                    "统一社会信用代码 {} 已由{}登记，请联系该残联修改",
                    p.credit_code,
                    RegionTable::jiangsu().name_of(&e.region_code)
                )));
            }
            Some(e) => {
                sqlx::query(
                    "UPDATE providers SET name = $1, kind = $2, regions_served = $3, \
                     programmes = $4, agreement_from = $5, agreement_to = $6, star_level = $7, \
                     updated_at = $8 WHERE id = $9",
                )
                .bind(p.name.clone())
                .bind(p.kind.as_str())
                .bind(regions)
                .bind(programmes)
                .bind(p.agreement_from.to_string())
                .bind(p.agreement_to.to_string())
                .bind(p.star_level.map(i64::from))
                .bind(now)
                .bind(e.id)
                .execute(&mut *tx)
                .await?;
                (e.id, false)
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO providers (credit_code, name, kind, region_code, regions_served, \
                     programmes, agreement_from, agreement_to, star_level, created_at, created_by, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10) \
                     RETURNING id",
                )
                .bind(p.credit_code.to_string())
                .bind(p.name.clone())
                .bind(p.kind.as_str())
                .bind(scope.region().code.to_string())
                .bind(regions)
                .bind(programmes)
                .bind(p.agreement_from.to_string())
                .bind(p.agreement_to.to_string())
                .bind(p.star_level.map(i64::from))
                .bind(now)
                .bind(scope.username.clone())
                .fetch_one(&mut *tx)
                .await?;
                (id, true)
            }
        };
        append(
            self.store,
            &mut *tx,
            now,
            NewEntry::by(
                scope,
                "provider.register",
                format!("provider:{id}"),
                Outcome::Success,
            )
            .detail(format!("{} {}", p.credit_code, p.name)),
        )
        .await?;
        Ok((id, created))
    }
}
