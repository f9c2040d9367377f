//! Yearly verification (审验核查): an administrator opens a campaign for the certificates whose
//! validity ends in a year; each town works through its list, recording a result per
//! certificate; the campaign shows progress per town.

use anju_domain::audit::Outcome;
use anju_domain::{RegionCode, RegionTable};
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::sql::{Arg, Where};
use crate::{Result, Scope, Store, StoreError};

/// The results a worker records.
pub const RESULTS: [(&str, &str); 5] = [
    ("confirmed", "核实无误"),
    ("renewal_started", "已启动换领"),
    ("deceased", "已死亡"),
    ("moved", "已迁出"),
    ("not_found", "查无此人"),
];

pub fn result_label(code: &str) -> &'static str {
    RESULTS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("未核查", |(_, l)| l)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub year: i64,
    pub region_code: String,
    pub opened_by: String,
    pub opened_at: i64,
    /// Items in the viewer's subtree, and how many have a result.
    pub total: i64,
    pub done: i64,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct TownProgress {
    pub town_code: String,
    pub town_name: String,
    pub total: i64,
    pub done: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerificationItem {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub id_number: String,
    pub household_code: String,
    pub town_name: String,
    pub valid_to: String,
    pub result: Option<String>,
    pub note: Option<String>,
    pub recorded_by: Option<String>,
}

pub struct Verification<'a> {
    store: &'a Store,
}

impl Store {
    pub fn verification(&self) -> Verification<'_> {
        Verification { store: self }
    }
}

fn town_name(code9: &str) -> String {
    RegionTable::jiangsu().name_of(&format!("{code9}000"))
}

impl Verification<'_> {
    /// Opens the campaign of `year` over the administrator's region: one item for every active
    /// certificate valid to a day of that year.
    pub async fn open(&self, scope: &Scope, year: i32) -> Result<Campaign> {
        scope.require(scope.role.manages_users())?;
        if !(2000..=2100).contains(&year) {
            return Err(StoreError::invalid(format!("年份 {year} 无效")));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM verification_campaigns WHERE year = $1 AND region_code = $2",
        )
        .bind(i64::from(year))
        .bind(scope.region.code.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if exists.is_some() {
            return Err(StoreError::invalid(format!("{year}年的审验核查已开启")));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO verification_campaigns (year, region_code, opened_by, opened_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(i64::from(year))
        .bind(scope.region.code.to_string())
        .bind(scope.username.clone())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let mut w = Where::default();
        let c = w.arg(Arg::Int(id));
        w.push_prefix(self.store.backend(), "household_code", scope.prefix());
        w.push("cert_valid_to >= ?", Arg::Text(format!("{year:04}-01-01")));
        w.push("cert_valid_to <= ?", Arg::Text(format!("{year:04}-12-31")));
        w.push_plain("cert_state = 'active'");
        w.push_plain("life_status = 'living'");
        let sql = format!(
            "INSERT INTO verification_items (campaign_id, person_id, household_code, valid_to) \
             SELECT {c}, id, household_code, cert_valid_to FROM persons WHERE {}",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in &w.args {
            q = a.bind(q);
        }
        let n = q.execute(&mut *tx).await?.rows_affected();
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "verification.open",
                format!("campaign:{id}"),
                Outcome::Success,
            )
            .detail(format!("{year}年审验核查：{n}本证")),
        )
        .await?;
        tx.commit().await?;
        self.campaign(scope, id).await.map(|(c, _)| c)
    }

    /// Campaigns the scope takes part in, newest first, with its own progress.
    pub async fn campaigns(&self, scope: &Scope) -> Result<Vec<Campaign>> {
        scope.require(scope.role.reads_persons())?;
        let rows = sqlx::query("SELECT id FROM verification_campaigns ORDER BY year DESC, id DESC")
            .fetch_all(self.store.pool())
            .await?;
        let mut out = Vec::new();
        for r in rows {
            if let Ok((c, _)) = self.campaign(scope, r.try_get("id")?).await {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// One campaign with the progress of each town in the scope.
    pub async fn campaign(&self, scope: &Scope, id: i64) -> Result<(Campaign, Vec<TownProgress>)> {
        scope.require(scope.role.reads_persons())?;
        let row = sqlx::query(
            "SELECT id, year, region_code, opened_by, opened_at FROM verification_campaigns \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound("审验核查".into()))?;
        let region: String = row.try_get("region_code")?;
        // A campaign concerns the scope when one region lies in the other.
        let table = RegionTable::jiangsu();
        let campaign_region = table.current(&region)?;
        let related =
            scope.covers(&campaign_region.code) || campaign_region.covers(&scope.region.code);
        if !related {
            return Err(StoreError::NotFound("审验核查".into()));
        }
        let mut w = Where::default();
        let c = w.arg(Arg::Int(id));
        w.push_prefix(self.store.backend(), "household_code", scope.prefix());
        let sql = format!(
            "SELECT substr(household_code, 1, 9) AS town, COUNT(*) AS total, \
             COUNT(result) AS done FROM verification_items WHERE campaign_id = {c} AND {} \
             GROUP BY substr(household_code, 1, 9) ORDER BY town",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in &w.args {
            q = a.bind(q);
        }
        let towns: Vec<TownProgress> = q
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| {
                let town: String = r.try_get("town")?;
                Ok(TownProgress {
                    town_name: town_name(&town),
                    town_code: format!("{town}000"),
                    total: r.try_get("total")?,
                    done: r.try_get("done")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok((
            Campaign {
                id,
                year: row.try_get("year")?,
                region_code: region,
                opened_by: row.try_get("opened_by")?,
                opened_at: row.try_get("opened_at")?,
                total: towns.iter().map(|t| t.total).sum(),
                done: towns.iter().map(|t| t.done).sum(),
            },
            towns,
        ))
    }

    /// The items of a campaign in the scope (pending first), up to `limit`.
    pub async fn items(
        &self,
        scope: &Scope,
        id: i64,
        pending_only: bool,
        limit: i64,
    ) -> Result<Vec<VerificationItem>> {
        self.campaign(scope, id).await?;
        let mut w = Where::default();
        let c = w.arg(Arg::Int(id));
        w.push_prefix(self.store.backend(), "v.household_code", scope.prefix());
        if pending_only {
            w.push_plain("v.result IS NULL");
        }
        let lim = w.arg(Arg::Int(limit));
        let sql = format!(
            "SELECT v.id, v.person_id, p.name, p.id_number, v.household_code, v.valid_to, \
             v.result, v.note, v.recorded_by FROM verification_items v \
             JOIN persons p ON p.id = v.person_id WHERE v.campaign_id = {c} AND {} \
             ORDER BY CASE WHEN v.result IS NULL THEN 0 ELSE 1 END, v.household_code, v.valid_to \
             LIMIT {lim}",
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
                let household: String = r.try_get("household_code")?;
                Ok(VerificationItem {
                    id: r.try_get("id")?,
                    person_id: r.try_get("person_id")?,
                    name: r.try_get("name")?,
                    id_number: r.try_get("id_number")?,
                    town_name: town_name(household.get(..9).unwrap_or(&household)),
                    household_code: household,
                    valid_to: r.try_get("valid_to")?,
                    result: r.try_get("result")?,
                    note: r.try_get("note")?,
                    recorded_by: r.try_get("recorded_by")?,
                })
            })
            .collect()
    }

    /// Records the result of one item (again: the later result stands).
    pub async fn record(&self, scope: &Scope, item: i64, result: &str, note: &str) -> Result<()> {
        scope.require(scope.role.writes_persons())?;
        if !RESULTS.iter().any(|(c, _)| *c == result) {
            return Err(StoreError::invalid("请选择核查结果"));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let household: Option<String> =
            sqlx::query_scalar("SELECT household_code FROM verification_items WHERE id = $1")
                .bind(item)
                .fetch_optional(&mut *tx)
                .await?;
        let in_scope = household
            .and_then(|h| RegionCode::parse(&h).ok())
            .is_some_and(|c| scope.covers(&c));
        if !in_scope {
            return Err(StoreError::NotFound("核查项".into()));
        }
        sqlx::query(
            "UPDATE verification_items SET result = $1, note = $2, recorded_by = $3, \
             recorded_at = $4 WHERE id = $5",
        )
        .bind(result.to_owned())
        .bind(Some(note.trim().to_owned()).filter(|n| !n.is_empty()))
        .bind(scope.username.clone())
        .bind(now)
        .bind(item)
        .execute(&mut *tx)
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "verification.record",
                format!("verification_item:{item}"),
                Outcome::Success,
            )
            .detail(result_label(result)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
