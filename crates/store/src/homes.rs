//! 残疾人之家 (disability homes): star-rating schemes held as data (the shipped Jiangsu scheme,
//! or one a federation imports from a year on), each home's yearly evaluation against the
//! scheme of that year (which sets the home's star level), and a month's overview: members in
//! day care, days attended and members in auxiliary employment.

use anju_domain::audit::Outcome;
use anju_domain::month::Month;
use anju_domain::provider::ProviderKind;
use anju_domain::star_rating::{self, StarScheme};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::{Result, Scope, Store, StoreError};

/// A scheme as stored.
#[derive(Debug, Clone, Serialize)]
pub struct SchemeRecord {
    pub id: i64,
    pub scheme: StarScheme,
    pub created_by: String,
}

/// A home's evaluation of a year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Evaluation {
    pub year: i64,
    pub scheme: String,
    /// Each item's name, score and most points.
    pub scores: Vec<(String, u32, u32)>,
    pub total: i64,
    pub star_level: Option<i64>,
    pub evaluated_on: String,
    pub note: String,
    pub created_by: String,
}

/// A home in a month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HomeLine {
    pub provider_id: i64,
    pub name: String,
    pub star_level: Option<u8>,
    /// Care cases open with the home (its day-care members).
    pub members: i64,
    /// Members who attended at least one day in the month.
    pub attending: i64,
    pub days: i64,
    pub auxiliary_employment: i64,
    /// The latest evaluation's year and total.
    pub evaluated: Option<(i64, i64)>,
}

pub struct Homes<'a> {
    store: &'a Store,
}

impl Store {
    pub fn homes(&self) -> Homes<'_> {
        Homes { store: self }
    }
}

async fn insert_scheme(
    tx: &mut sqlx::AnyConnection,
    s: &StarScheme,
    now: i64,
    by: &str,
) -> Result<i64> {
    let (items, levels) = s.to_text();
    Ok(sqlx::query_scalar(
        "INSERT INTO star_schemes (name, from_year, items, levels, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(s.name.clone())
    .bind(i64::from(s.from_year))
    .bind(items)
    .bind(levels)
    .bind(now)
    .bind(by.to_owned())
    .fetch_one(&mut *tx)
    .await?)
}

/// Writes the shipped scheme once, into a new registry.
pub(crate) async fn seed(store: &Store) -> Result<()> {
    let mut tx = store.begin_write().await?;
    let done: Option<String> =
        sqlx::query_scalar("SELECT what FROM seeded WHERE what = 'star_scheme'")
            .fetch_optional(&mut *tx)
            .await?;
    if done.is_some() {
        return Ok(());
    }
    let now = store.now_ms();
    insert_scheme(
        &mut tx,
        &star_rating::jiangsu().map_err(StoreError::Internal)?,
        now,
        "system",
    )
    .await?;
    sqlx::query("INSERT INTO seeded (what, at_ms) VALUES ('star_scheme', $1)")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

fn scheme_from_row(r: &sqlx::any::AnyRow) -> Result<SchemeRecord> {
    let name: String = r.try_get("name")?;
    let year: i64 = r.try_get("from_year")?;
    let items: String = r.try_get("items")?;
    let levels: String = r.try_get("levels")?;
    Ok(SchemeRecord {
        id: r.try_get("id")?,
        scheme: StarScheme::from_text(&name, i32::try_from(year).unwrap_or(0), &items, &levels)
            .ok_or_else(|| StoreError::Internal("星级评定方案无法读取".into()))?,
        created_by: r.try_get("created_by")?,
    })
}

impl Homes<'_> {
    /// Every scheme, the newest first.
    pub async fn schemes(&self, scope: &Scope) -> Result<Vec<SchemeRecord>> {
        scope.require(scope.role().reads_persons())?;
        sqlx::query("SELECT * FROM star_schemes ORDER BY from_year DESC, id DESC")
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(scheme_from_row)
            .collect()
    }

    /// The scheme in force for `year`: the latest from that year or before.
    pub async fn scheme_for(&self, scope: &Scope, year: i32) -> Result<SchemeRecord> {
        self.schemes(scope)
            .await?
            .into_iter()
            .find(|s| s.scheme.from_year <= year)
            .ok_or_else(|| StoreError::invalid(format!("{year}年没有适用的星级评定方案")))
    }

    /// Adds a scheme (a county, city or administrator); it applies from its year on.
    pub async fn add_scheme(&self, scope: &Scope, s: &StarScheme) -> Result<i64> {
        scope.require(scope.role().manages_services())?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let id = insert_scheme(&mut tx, s, now, &scope.username).await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "star.scheme",
                format!("star_scheme:{id}"),
                Outcome::Success,
            )
            .detail(format!("{} {}年起", s.name, s.from_year)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records (or redoes) a home's evaluation of `year` on `date` against the scheme of that
    /// year, scoring each item in the scheme's order; the home takes the level reached when
    /// this is its latest year evaluated. A county, city or administrator; audited.
    pub async fn evaluate(
        &self,
        scope: &Scope,
        provider: i64,
        year: i32,
        date: NaiveDate,
        scores: &[String],
        note: &str,
    ) -> Result<Evaluation> {
        scope.require(scope.role().manages_services())?;
        let home = self.store.providers().get(scope, provider).await?;
        if home.provider.kind != ProviderKind::DisabilityHome {
            return Err(StoreError::invalid(format!(
                "{}不是残疾人之家",
                home.provider.name
            )));
        }
        let today = self.store.today();
        if date > today || year > today.year() || year < 2000 {
            return Err(StoreError::invalid("评定年度和评定日期不能晚于今天"));
        }
        let scheme = self.scheme_for(scope, year).await?;
        let mut points = Vec::with_capacity(scores.len());
        for ((name, most), s) in scheme.scheme.items.iter().zip(scores) {
            match s.trim().parse::<u32>() {
                Ok(p) => points.push(p),
                Err(_) => {
                    return Err(StoreError::invalid(format!(
                        "{name}：“{}”应为0至{most}的整数",
                        s.trim()
                    )));
                }
            }
        }
        let (total, level) = scheme
            .scheme
            .evaluate(&points)
            .map_err(StoreError::Invalid)?;
        let text = scheme
            .scheme
            .items
            .iter()
            .zip(&points)
            .map(|((n, _), p)| format!("{n}\t{p}"))
            .collect::<Vec<_>>()
            .join("\n");
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query("DELETE FROM star_evaluations WHERE provider_id = $1 AND year = $2")
            .bind(provider)
            .bind(i64::from(year))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO star_evaluations (provider_id, year, scheme_id, scores, total, star_level, \
             evaluated_on, note, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(provider)
        .bind(i64::from(year))
        .bind(scheme.id)
        .bind(text)
        .bind(i64::from(total))
        .bind(level.map(i64::from))
        .bind(date.to_string())
        .bind(note.trim().to_owned())
        .bind(now)
        .bind(scope.username.clone())
        .execute(&mut *tx)
        .await?;
        let latest: Option<i64> =
            sqlx::query_scalar("SELECT MAX(year) FROM star_evaluations WHERE provider_id = $1")
                .bind(provider)
                .fetch_one(&mut *tx)
                .await?;
        if latest == Some(i64::from(year)) {
            sqlx::query("UPDATE providers SET star_level = $1, updated_at = $2 WHERE id = $3")
                .bind(level.map(i64::from))
                .bind(now)
                .bind(provider)
                .execute(&mut *tx)
                .await?;
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "star.evaluate",
                format!("provider:{provider}"),
                Outcome::Success,
            )
            .detail(format!(
                "{year}年 {}分 {}",
                total,
                level.map_or("未达星级", star_rating::stars_label)
            )),
        )
        .await?;
        tx.commit().await?;
        self.evaluations(scope, provider)
            .await?
            .into_iter()
            .find(|e| e.year == i64::from(year))
            .ok_or_else(|| StoreError::Internal("评定未能保存".into()))
    }

    /// A home's evaluations, the latest year first.
    pub async fn evaluations(&self, scope: &Scope, provider: i64) -> Result<Vec<Evaluation>> {
        self.store.providers().get(scope, provider).await?;
        let rows = sqlx::query(
            "SELECT e.*, s.name AS scheme, s.items, s.levels, s.from_year FROM star_evaluations e \
             JOIN star_schemes s ON s.id = e.scheme_id WHERE e.provider_id = $1 ORDER BY e.year DESC",
        )
        .bind(provider)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let items: String = r.try_get("items")?;
                let most: std::collections::HashMap<&str, u32> = items
                    .lines()
                    .filter_map(|l| {
                        let (n, p) = l.split_once('\t')?;
                        Some((n, p.parse().ok()?))
                    })
                    .collect();
                let scores: String = r.try_get("scores")?;
                Ok(Evaluation {
                    year: r.try_get("year")?,
                    scheme: r.try_get("scheme")?,
                    scores: scores
                        .lines()
                        .filter_map(|l| {
                            let (n, p) = l.split_once('\t')?;
                            Some((
                                n.to_owned(),
                                p.parse().ok()?,
                                most.get(n).copied().unwrap_or(0),
                            ))
                        })
                        .collect(),
                    total: r.try_get("total")?,
                    star_level: r.try_get("star_level")?,
                    evaluated_on: r.try_get("evaluated_on")?,
                    note: r.try_get("note")?,
                    created_by: r.try_get("created_by")?,
                })
            })
            .collect()
    }

    /// The homes serving the scope in `month`: members (care cases open with the home
    /// during the month), those who attended, days attended, members in auxiliary
    /// employment, and the latest evaluation.
    pub async fn overview(&self, scope: &Scope, month: Month) -> Result<Vec<HomeLine>> {
        let first = month.first_day().to_string();
        let next = month.next().first_day().to_string();
        let mut out = Vec::new();
        for p in self.store.providers().list(scope).await? {
            if p.provider.kind != ProviderKind::DisabilityHome {
                continue;
            }
            let mut w = crate::sql::Where::default();
            w.push("c.provider_id = ?", crate::sql::Arg::Int(p.id));
            w.push_prefix(self.store.backend(), "c.household_code", scope.prefix());
            w.push("c.opened_on < ?", crate::sql::Arg::Text(next.clone()));
            let since = w.arg(crate::sql::Arg::Text(first.clone()));
            w.push_plain(format!("(c.state = 'open' OR c.since >= {since})"));
            let a = w.arg(crate::sql::Arg::Text(first.clone()));
            let b = w.arg(crate::sql::Arg::Text(next.clone()));
            let sql = format!(
                "SELECT COUNT(*) AS members, \
                 CAST(COALESCE(SUM(CASE WHEN cp.auxiliary_employment = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS aux, \
                 CAST(COALESCE(SUM(CASE WHEN att.days > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS attending, \
                 CAST(COALESCE(SUM(att.days), 0) AS BIGINT) AS days \
                 FROM cases c JOIN programmes g ON g.id = c.programme_id AND g.kind = 'care' \
                 LEFT JOIN care_plans cp ON cp.case_id = c.id \
                 LEFT JOIN (SELECT case_id, SUM(units) AS days FROM deliveries \
                 WHERE kind = 'attendance' AND on_date >= {a} AND on_date < {b} GROUP BY case_id) att \
                 ON att.case_id = c.id WHERE {}",
                w.sql()
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for arg in w.args {
                q = arg.bind_owned(q);
            }
            let r = q.fetch_one(self.store.pool()).await?;
            let last = sqlx::query(
                "SELECT year, total FROM star_evaluations WHERE provider_id = $1 \
                 ORDER BY year DESC LIMIT 1",
            )
            .bind(p.id)
            .fetch_optional(self.store.pool())
            .await?;
            out.push(HomeLine {
                provider_id: p.id,
                name: p.provider.name,
                star_level: p.provider.star_level,
                members: r.try_get("members")?,
                attending: r.try_get("attending")?,
                days: r.try_get("days")?,
                auxiliary_employment: r.try_get("aux")?,
                evaluated: last
                    .map(|l| -> Result<(i64, i64)> {
                        Ok((l.try_get("year")?, l.try_get("total")?))
                    })
                    .transpose()?,
            });
        }
        Ok(out)
    }
}
