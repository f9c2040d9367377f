//! Programmes (服务项目) as rows: each a name and kind with versions (steps, conditions,
//! cap, second approval, prices), the Jiangsu set seeded on first start; the diagnoses and
//! enrolments a file records; and who is eligible for a programme on a date, every condition
//! explained (reference §6-§8).
//!
//! A change to a programme is a new version: a case keeps the version it was opened under.

use anju_domain::audit::Outcome;
use anju_domain::money::Fen;
use anju_domain::month::Month;
use anju_domain::programme::{
    Condition, Explained, Price, Programme, ProgrammeKind, parse_steps, steps_text,
};
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::{Result, Scope, Store, StoreError};

mod eligible;
mod file_facts;

/// A programme as it stands now: its current version.
#[derive(Debug, Clone)]
pub struct ProgrammeRecord {
    pub id: i64,
    pub version_id: i64,
    pub programme: Programme,
    pub changed_at_ms: i64,
    pub changed_by: String,
}

/// What an import of programmes did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProgrammeImport {
    pub inserted: u64,
    /// Programmes given a new version.
    pub updated: u64,
    pub unchanged: u64,
}

/// One person found eligible, with every condition explained.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EligiblePerson {
    pub person_id: i64,
    /// Masked unless the role may see it whole.
    pub id_number: String,
    pub name: String,
    pub household_code: String,
    pub conditions: Vec<Explained>,
}

/// A diagnosis recorded on a file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiagnosisRecord {
    pub name: String,
    pub hospital: String,
    pub diagnosed_on: String,
    pub created_by: String,
}

pub struct Programmes<'a> {
    store: &'a Store,
}

impl Store {
    pub fn programmes(&self) -> Programmes<'_> {
        Programmes { store: self }
    }
}

/// Seeds the shipped Jiangsu programmes once, on a registry's first start.
pub(crate) async fn seed(store: &Store) -> Result<()> {
    let mut tx = store.begin_write().await?;
    let done: Option<String> =
        sqlx::query_scalar("SELECT what FROM seeded WHERE what = 'programmes'")
            .fetch_optional(&mut *tx)
            .await?;
    if done.is_some() {
        return Ok(());
    }
    let list = anju_domain::programme::jiangsu().map_err(StoreError::Internal)?;
    let now = store.now_ms();
    for p in &list {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO programmes (name, kind, created_at, created_by) \
             VALUES ($1, $2, $3, 'system') RETURNING id",
        )
        .bind(p.name.clone())
        .bind(p.kind.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        insert_version(&mut tx, id, p, "shipped", now, "system").await?;
    }
    sqlx::query("INSERT INTO seeded (what, at_ms) VALUES ('programmes', $1)")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_version(
    conn: &mut sqlx::AnyConnection,
    programme_id: i64,
    p: &Programme,
    source: &str,
    now: i64,
    actor: &str,
) -> Result<i64> {
    let version: i64 = sqlx::query_scalar(
        "INSERT INTO programme_versions (programme_id, steps, conditions, yearly_cap_fen, \
         second_approval, source, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(programme_id)
    .bind(steps_text(&p.steps))
    .bind(p.condition_text.clone())
    .bind(p.yearly_cap.map(Fen::fen))
    .bind(i64::from(p.second_approval))
    .bind(source.to_owned())
    .bind(now)
    .bind(actor.to_owned())
    .fetch_one(&mut *conn)
    .await?;
    for price in &p.prices {
        sqlx::query(
            "INSERT INTO programme_prices (version_id, region_prefix, unit, amount_fen, \
             from_month, to_month) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(version)
        .bind(price.region_prefix.clone())
        .bind(price.unit.clone())
        .bind(price.amount.fen())
        .bind(price.from.to_string())
        .bind(price.to.map(|m| m.to_string()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(version)
}

fn bad(what: &str) -> StoreError {
    StoreError::Internal(format!("服务项目的{what}无法读取"))
}

/// The current version of every programme (or of the one named), read back into the domain.
async fn load(conn: &mut sqlx::AnyConnection, name: Option<&str>) -> Result<Vec<ProgrammeRecord>> {
    load_where(conn, Which::Current(name)).await
}

/// One version of a programme, as a case opened under it reads it.
pub(crate) async fn load_version(
    conn: &mut sqlx::AnyConnection,
    version: i64,
) -> Result<ProgrammeRecord> {
    load_where(conn, Which::Version(version))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound("服务项目版本".into()))
}

enum Which<'a> {
    /// The current version of every programme, or of the one named.
    Current(Option<&'a str>),
    Version(i64),
}

async fn load_where(
    conn: &mut sqlx::AnyConnection,
    which: Which<'_>,
) -> Result<Vec<ProgrammeRecord>> {
    let mut sql = "SELECT p.id, p.name, p.kind, v.id AS version_id, v.steps, v.conditions, \
                   v.yearly_cap_fen, v.second_approval, v.created_at, v.created_by \
                   FROM programmes p JOIN programme_versions v ON v.programme_id = p.id WHERE "
        .to_owned();
    match which {
        Which::Current(None) => sql
            .push_str("v.id = (SELECT MAX(id) FROM programme_versions WHERE programme_id = p.id)"),
        Which::Current(Some(_)) => sql.push_str(
            "v.id = (SELECT MAX(id) FROM programme_versions WHERE programme_id = p.id) \
             AND p.name = $1",
        ),
        Which::Version(_) => sql.push_str("v.id = $1"),
    }
    sql.push_str(" ORDER BY p.id");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    match which {
        Which::Current(Some(n)) => q = q.bind(n.to_owned()),
        Which::Version(v) => q = q.bind(v),
        Which::Current(None) => {}
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let version_id: i64 = r.try_get("version_id")?;
        let prices = sqlx::query(
            "SELECT region_prefix, unit, amount_fen, from_month, to_month FROM programme_prices \
             WHERE version_id = $1 ORDER BY id",
        )
        .bind(version_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|p| {
            Ok(Price {
                region_prefix: p.try_get("region_prefix")?,
                unit: p.try_get("unit")?,
                amount: Fen(p.try_get("amount_fen")?),
                from: Month::parse(&p.try_get::<String, _>("from_month")?)
                    .map_err(|_| bad("起始月份"))?,
                to: p
                    .try_get::<Option<String>, _>("to_month")?
                    .map(|m| Month::parse(&m).map_err(|_| bad("终止月份")))
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let kind: String = r.try_get("kind")?;
        let steps: String = r.try_get("steps")?;
        let condition_text: String = r.try_get("conditions")?;
        out.push(ProgrammeRecord {
            id: r.try_get("id")?,
            version_id,
            programme: Programme {
                name: r.try_get("name")?,
                kind: ProgrammeKind::parse(&kind).ok_or_else(|| bad("类别"))?,
                steps: parse_steps(&steps).map_err(|_| bad("步骤"))?,
                conditions: Condition::parse(&condition_text).map_err(|_| bad("资格条件"))?,
                condition_text,
                prices,
                yearly_cap: r.try_get::<Option<i64>, _>("yearly_cap_fen")?.map(Fen),
                second_approval: r.try_get::<i64, _>("second_approval")? == 1,
            },
            changed_at_ms: r.try_get("created_at")?,
            changed_by: r.try_get("created_by")?,
        });
    }
    Ok(out)
}

impl Programmes<'_> {
    /// Every programme as it stands. Programmes are policy, readable by every staff role.
    pub async fn list(&self, scope: &Scope) -> Result<Vec<ProgrammeRecord>> {
        scope.require(scope.role().reads_persons() || scope.role().sets_policy())?;
        let mut conn = self.store.pool().acquire().await?;
        load(&mut conn, None).await
    }

    /// One programme by name.
    pub async fn get(&self, scope: &Scope, name: &str) -> Result<ProgrammeRecord> {
        scope.require(scope.role().reads_persons() || scope.role().sets_policy())?;
        let mut conn = self.store.pool().acquire().await?;
        load(&mut conn, Some(name))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(format!("服务项目“{name}”")))
    }

    /// One programme by its row id.
    pub async fn by_id(&self, scope: &Scope, id: i64) -> Result<ProgrammeRecord> {
        self.list(scope)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| StoreError::NotFound("服务项目".into()))
    }

    /// Replaces the programmes the file names with the file's definitions (policy: an
    /// administrator or a city user). A programme that differs gets a new version, which
    /// cases opened from now on follow; one the same is left as it is; programmes the file
    /// does not name are kept. All or nothing.
    pub async fn import(
        &self,
        scope: &Scope,
        label: &str,
        programmes: &[Programme],
    ) -> Result<ProgrammeImport> {
        scope.require(scope.role().sets_policy())?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let current = load(&mut tx, None).await?;
        let mut counts = ProgrammeImport::default();
        for p in programmes {
            match current.iter().find(|r| r.programme.name == p.name) {
                Some(r) if same(&r.programme, p) => counts.unchanged += 1,
                Some(r) => {
                    if r.programme.kind != p.kind {
                        sqlx::query("UPDATE programmes SET kind = $1 WHERE id = $2")
                            .bind(p.kind.as_str())
                            .bind(r.id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    insert_version(&mut tx, r.id, p, "import", now, &scope.username).await?;
                    counts.updated += 1;
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO programmes (name, kind, created_at, created_by) \
                         VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(p.name.clone())
                    .bind(p.kind.as_str())
                    .bind(now)
                    .bind(scope.username.clone())
                    .fetch_one(&mut *tx)
                    .await?;
                    insert_version(&mut tx, id, p, "import", now, &scope.username).await?;
                    counts.inserted += 1;
                }
            }
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "programme.import",
                label.to_owned(),
                Outcome::Success,
            )
            .detail(format!(
                "新增{} 修改{} 未变{}",
                counts.inserted, counts.updated, counts.unchanged
            )),
        )
        .await?;
        tx.commit().await?;
        Ok(counts)
    }
}

/// Whether two definitions of a programme are the same (the stored one, the file's).
fn same(a: &Programme, b: &Programme) -> bool {
    a.kind == b.kind
        && a.steps == b.steps
        && a.condition_text == b.condition_text
        && a.prices == b.prices
        && a.yearly_cap == b.yearly_cap
        && a.second_approval == b.second_approval
}
