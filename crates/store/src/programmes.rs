//! Programmes (服务项目) as rows: each a name and kind with versions (steps, conditions,
//! cap, second approval, prices), the Jiangsu set seeded on first start; the diagnoses and
//! enrolments a file records; and who is eligible for a programme on a date, every condition
//! explained (reference §6-§8).
//!
//! A change to a programme is a new version: a case keeps the version it was opened under.

use std::collections::HashMap;

use anju_domain::audit::Outcome;
use anju_domain::mask;
use anju_domain::money::Fen;
use anju_domain::month::Month;
use anju_domain::programme::{
    Condition, Explained, Price, Programme, ProgrammeKind, Subject, parse_steps, steps_text,
};
use anju_domain::subsidy::{Assistance, AssistanceKind};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::persons::{COLUMNS as PERSON_COLUMNS, record_from_row};
use crate::sql::{Arg, Where};
use crate::{Result, Scope, Store, StoreError};

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
    let mut sql = "SELECT p.id, p.name, p.kind, v.id AS version_id, v.steps, v.conditions, \
                   v.yearly_cap_fen, v.second_approval, v.created_at, v.created_by \
                   FROM programmes p JOIN programme_versions v ON v.programme_id = p.id \
                   WHERE v.id = (SELECT MAX(id) FROM programme_versions WHERE programme_id = p.id)"
        .to_owned();
    if name.is_some() {
        sql.push_str(" AND p.name = $1");
    }
    sql.push_str(" ORDER BY p.id");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    if let Some(n) = name {
        q = q.bind(n.to_owned());
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

    /// The diagnoses a file may record.
    pub async fn diagnosis_kinds(&self) -> Result<Vec<(String, String)>> {
        sqlx::query("SELECT name, note FROM diagnosis_kinds ORDER BY name")
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| Ok((r.try_get("name")?, r.try_get("note")?)))
            .collect()
    }

    /// Records a diagnosis on the file with row id `person` (in the scope): a name from the
    /// list, the hospital and the date (not in the future).
    pub async fn add_diagnosis(
        &self,
        scope: &Scope,
        person: i64,
        name: &str,
        hospital: &str,
        on: NaiveDate,
    ) -> Result<()> {
        scope.require(scope.role().writes_persons())?;
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let kinds = self.diagnosis_kinds().await?;
        let name = name.trim();
        if !kinds.iter().any(|(k, _)| k == name) {
            return Err(StoreError::invalid(format!(
                "诊断“{name}”不在诊断目录中（{}）",
                kinds
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            )));
        }
        let hospital = hospital.trim();
        if hospital.is_empty() || hospital.chars().count() > 60 {
            return Err(StoreError::invalid("诊断医院应为1至60个字"));
        }
        if on > self.store.today() {
            return Err(StoreError::invalid("诊断日期不能晚于今天"));
        }
        if on < rec.person.birth_date {
            return Err(StoreError::invalid("诊断日期早于出生日期"));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO diagnoses (person_id, name, hospital, diagnosed_on, created_at, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(rec.id)
        .bind(name.to_owned())
        .bind(hospital.to_owned())
        .bind(on.to_string())
        .bind(now)
        .bind(scope.username.clone())
        .execute(&mut *tx)
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.diagnosis",
                rec.audit_object(),
                Outcome::Success,
            )
            .detail(name.to_owned()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The diagnoses on a file (the caller has the file in its scope).
    pub async fn diagnoses(&self, scope: &Scope, person: i64) -> Result<Vec<DiagnosisRecord>> {
        scope.require(scope.role().reads_persons())?;
        let rec = self.store.persons().get_by_key(scope, person).await?;
        sqlx::query(
            "SELECT name, hospital, diagnosed_on, created_by FROM diagnoses \
             WHERE person_id = $1 ORDER BY diagnosed_on, id",
        )
        .bind(rec.id)
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(DiagnosisRecord {
                name: r.try_get("name")?,
                hospital: r.try_get("hospital")?,
                diagnosed_on: r.try_get("diagnosed_on")?,
                created_by: r.try_get("created_by")?,
            })
        })
        .collect()
    }

    /// Records that the file with row id `person` is enrolled as a student from `from`
    /// (to `to`, if it ended).
    pub async fn add_enrolment(
        &self,
        scope: &Scope,
        person: i64,
        stage: &str,
        school: &str,
        from: NaiveDate,
        to: Option<NaiveDate>,
    ) -> Result<()> {
        scope.require(scope.role().writes_persons())?;
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let (stage, school) = (stage.trim(), school.trim());
        if stage.is_empty() || school.is_empty() {
            return Err(StoreError::invalid("学段和学校不能为空"));
        }
        if to.is_some_and(|t| t < from) {
            return Err(StoreError::invalid("离校日期早于入学日期"));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO enrolments (person_id, stage, school, from_date, to_date, created_at, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(rec.id)
        .bind(stage.to_owned())
        .bind(school.to_owned())
        .bind(from.to_string())
        .bind(to.map(|d| d.to_string()))
        .bind(now)
        .bind(scope.username.clone())
        .execute(&mut *tx)
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.enrolment",
                rec.audit_object(),
                Outcome::Success,
            )
            .detail(format!("{stage} {school}")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Everyone in the scope (under `region`, if given) eligible for `programme` on `date`,
    /// each with every condition explained. The view is audited.
    pub async fn eligible(
        &self,
        scope: &Scope,
        programme: &str,
        date: NaiveDate,
        region: Option<&str>,
    ) -> Result<Vec<EligiblePerson>> {
        scope.require(scope.role().reads_persons())?;
        let rec = self.get(scope, programme).await?;
        let whole = scope.role().sees_identifiers();
        let mut out = Vec::new();
        self.pass(scope, date, region, &[&rec], |s, _, person_id| {
            let conditions = match &rec.programme.conditions {
                Condition::AllOf(list) => list.iter().map(|c| c.explain(s, date)).collect(),
                c => vec![c.explain(s, date)],
            };
            let id = s.person.id_number.as_str();
            out.push(EligiblePerson {
                person_id,
                id_number: if whole {
                    id.to_owned()
                } else {
                    mask::id_number(id)
                },
                name: s.person.name.clone(),
                household_code: s.person.household_code.to_string(),
                conditions,
            });
        })
        .await?;
        self.store
            .audit()
            .record(
                NewEntry::by(
                    scope,
                    "programme.eligible",
                    format!("programme:{}", rec.id),
                    Outcome::Success,
                )
                .detail(format!("{} {date} {}人", rec.programme.name, out.len())),
            )
            .await?;
        Ok(out)
    }

    /// How many people in the scope each programme serves on `date`, every programme decided
    /// for every living file in one pass over the registry.
    pub async fn eligible_counts(
        &self,
        scope: &Scope,
        date: NaiveDate,
        region: Option<&str>,
    ) -> Result<Vec<(String, u64)>> {
        let all = self.list(scope).await?;
        let refs: Vec<&ProgrammeRecord> = all.iter().collect();
        let mut counts = vec![0u64; refs.len()];
        self.pass(scope, date, region, &refs, |_, i, _| counts[i] += 1)
            .await?;
        Ok(all
            .iter()
            .zip(counts)
            .map(|(r, n)| (r.programme.name.clone(), n))
            .collect())
    }

    /// Walks the living files of the scope (under `region`), gathering what the conditions
    /// read, and calls `found` for each (person, programme index) whose conditions hold.
    async fn pass(
        &self,
        scope: &Scope,
        date: NaiveDate,
        region: Option<&str>,
        programmes: &[&ProgrammeRecord],
        mut found: impl FnMut(&Subject<'_>, usize, i64),
    ) -> Result<()> {
        use futures_util::TryStreamExt;
        let prefix = match region {
            Some(code) => {
                let r = anju_domain::RegionTable::jiangsu().current(code)?;
                if !scope.covers(&r.code) {
                    return Err(StoreError::NotFound("区划".into()));
                }
                r.prefix().to_owned()
            }
            None => scope.prefix().to_owned(),
        };
        let backend = self.store.backend();
        let mut conn = self.store.pool().acquire().await?;
        // The facts beside the file, keyed by person: assistance, diagnoses, enrolment on the
        // date, and the cases of each programme asked about.
        // Each query: the files under the prefix, then its own conditions.
        let query = |sql: &str, dated: bool| {
            let mut w = Where::default();
            w.push_prefix(backend, "p.household_code", &prefix);
            let date_arg = dated.then(|| w.arg(Arg::Text(date.to_string())));
            let sql = sql
                .replace("{under}", &w.sql())
                .replace("{date}", date_arg.as_deref().unwrap_or(""));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in w.args {
                q = a.bind_owned(q);
            }
            q
        };
        let mut assistance: HashMap<i64, Vec<Assistance>> = HashMap::new();
        let q = query(
            "SELECT a.person_id, a.kind, a.from_month, a.to_month FROM assistance a \
             JOIN persons p ON p.id = a.person_id WHERE {under}",
            false,
        );
        let mut rows = q.fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            let kind: String = r.try_get("kind")?;
            let from: String = r.try_get("from_month")?;
            let to: Option<String> = r.try_get("to_month")?;
            let (Some(kind), Ok(from)) = (AssistanceKind::parse(&kind), Month::parse(&from)) else {
                continue;
            };
            assistance
                .entry(r.try_get("person_id")?)
                .or_default()
                .push(Assistance {
                    kind,
                    from,
                    to: to.and_then(|t| Month::parse(&t).ok()),
                    amount: None,
                });
        }
        drop(rows);
        let mut diagnoses: HashMap<i64, Vec<String>> = HashMap::new();
        let q = query(
            "SELECT d.person_id, d.name FROM diagnoses d JOIN persons p ON p.id = d.person_id \
             WHERE {under} AND d.diagnosed_on <= {date}",
            true,
        );
        let mut rows = q.fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            diagnoses
                .entry(r.try_get("person_id")?)
                .or_default()
                .push(r.try_get("name")?);
        }
        drop(rows);
        let mut students: std::collections::HashSet<i64> = std::collections::HashSet::new();
        let q = query(
            "SELECT e.person_id FROM enrolments e JOIN persons p ON p.id = e.person_id \
             WHERE {under} AND e.from_date <= {date} \
             AND (e.to_date IS NULL OR e.to_date >= {date})",
            true,
        );
        let mut rows = q.fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            students.insert(r.try_get("person_id")?);
        }
        drop(rows);
        let index: HashMap<i64, usize> = programmes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i))
            .collect();
        let mut served: HashMap<(i64, usize), Vec<NaiveDate>> = HashMap::new();
        let q = query(
            "SELECT c.person_id, c.programme_id, c.opened_on FROM cases c \
             JOIN persons p ON p.id = c.person_id WHERE {under} AND c.state <> 'refused'",
            false,
        );
        let mut rows = q.fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            let Some(&i) = index.get(&r.try_get::<i64, _>("programme_id")?) else {
                continue;
            };
            if let Ok(d) = r.try_get::<String, _>("opened_on")?.parse::<NaiveDate>() {
                served
                    .entry((r.try_get("person_id")?, i))
                    .or_default()
                    .push(d);
            }
        }
        drop(rows);
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM persons p WHERE {{under}} AND p.life_status = 'living' \
             ORDER BY p.household_code, p.id"
        );
        let q = query(&sql, false);
        let mut rows = q.fetch(&mut *conn);
        let none: Vec<NaiveDate> = Vec::new();
        while let Some(r) = rows.try_next().await? {
            let rec = record_from_row(&r)?;
            let id = rec.id;
            for (i, p) in programmes.iter().enumerate() {
                let s = Subject {
                    person: &rec.person,
                    assistance: assistance.get(&id).map_or(&[], Vec::as_slice),
                    student: students.contains(&id),
                    diagnoses: diagnoses.get(&id).map_or(&[], Vec::as_slice),
                    served: served.get(&(id, i)).unwrap_or(&none),
                };
                if p.programme.conditions.holds(&s, date) {
                    found(&s, i, id);
                }
            }
        }
        Ok(())
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
