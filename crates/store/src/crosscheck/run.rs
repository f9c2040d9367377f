//! Running a cross-check: the registry read (into memory for a large list), each chunk of the
//! list looked up and decided while the previous chunk is written, the registry-only people
//! found, the batch kept with its counts per class and town.

use std::collections::{HashMap, HashSet};

use anju_domain::certificate::{CertState, CertStatus};
use anju_domain::crosscheck::{
    self, Difference, Facts, ListKind, ListRow, TaskRule, Then, rule_for,
};
use anju_domain::id_number::Sex;
use anju_domain::month::Month;
use anju_domain::person::LifeStatus;
use anju_domain::subsidy::{Assistance, AssistanceKind};
use chrono::NaiveDate;
use sqlx::Row;

use super::{Batch, Classes, Crosschecks, Item, RowFault, RunResult, encode};
use crate::audit::{NewEntry, append};
use crate::sql::{Arg, Where, insert_rows};
use crate::{Result, Scope, StoreError};
use anju_domain::audit::Outcome;

/// A town's code as a key that costs no allocation: the household's first nine characters,
/// zero-filled to twelve.
type TownKey = [u8; 12];

fn town_key(household: &str) -> TownKey {
    let mut k = [b'0'; 12];
    let b = household.as_bytes();
    let n = b.len().min(9);
    k[..n].copy_from_slice(&b[..n]);
    k
}

/// Rows per (town, class).
type TownCounts = HashMap<(TownKey, &'static str), i64>;

/// The people matched so far: a bit per person id (ids are dense), a set for any beyond.
#[derive(Default)]
struct Seen {
    bits: Vec<u64>,
    far: HashSet<i64>,
}

impl Seen {
    const DENSE: i64 = 1 << 26;

    fn insert(&mut self, id: i64) {
        if (0..Self::DENSE).contains(&id) {
            let (w, b) = ((id / 64) as usize, id % 64);
            if self.bits.len() <= w {
                self.bits.resize(w + 1, 0);
            }
            self.bits[w] |= 1 << b;
        } else {
            self.far.insert(id);
        }
    }

    fn contains(&self, id: i64) -> bool {
        if (0..Self::DENSE).contains(&id) {
            self.bits
                .get((id / 64) as usize)
                .is_some_and(|w| w & (1 << (id % 64)) != 0)
        } else {
            self.far.contains(&id)
        }
    }
}

/// A registry file as matching needs it (its household is `facts.household`).
#[derive(Clone)]
struct Found {
    id: i64,
    id_number: String,
    facts: Facts,
}

/// A file's facts packed into one text column: a million rows are decoded as one value each,
/// not ten (the cost of matching is mostly the decoding).
const FOUND_COLUMNS: &str = "CAST(id AS TEXT) || '|' || id_number || '|' || sex || '|' || \
    birth_date || '|' || household_code || '|' || life_status || '|' || COALESCE(life_date, '') \
    || '|' || cert_state || '|' || COALESCE(cert_valid_to, '') || '|' || CASE WHEN \
    cert_number IS NULL AND cert_issued IS NULL AND cert_valid_to IS NULL THEN '0' ELSE '1' END \
    || '|' || name AS packed";

/// The files `where_sql` selects (`limit` at most), their facts packed and the lines joined
/// by the database into one value: one value decoded for a chunk, not a row per file.
async fn fetch_found(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    where_sql: &str,
    args: Vec<Arg>,
    limit: Option<usize>,
    today: NaiveDate,
) -> Result<Vec<Found>> {
    let agg = match backend {
        crate::Backend::Sqlite => "group_concat(packed, char(10))",
        crate::Backend::Postgres => "string_agg(packed, chr(10))",
    };
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    let sql = format!(
        "SELECT {agg} FROM (SELECT {FOUND_COLUMNS} FROM persons WHERE {where_sql}{limit}) t"
    );
    let mut q = sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql));
    for a in args {
        q = a.bind_owned_scalar(q);
    }
    let text = q.fetch_one(&mut *conn).await?.unwrap_or_default();
    text.lines().map(|l| found(l, today)).collect()
}

fn found(packed: &str, today: NaiveDate) -> Result<Found> {
    let bad = || StoreError::Internal("档案无法读取".into());
    let mut p = packed.splitn(11, '|');
    let mut next = || p.next().ok_or_else(bad);
    let id: i64 = next()?.parse().map_err(|_| bad())?;
    let id_number = next()?.to_owned();
    let sex = next()?;
    let birth = next()?.parse().ok();
    let household = next()?.to_owned();
    let life = LifeStatus::parse(next()?);
    let life_date = next()?.parse().ok();
    let state = next()?;
    let valid = next()?;
    let holds = next()? == "1";
    let name = next()?.to_owned();
    Ok(Found {
        id,
        id_number,
        facts: Facts {
            name,
            sex: Some(if sex == "m" { Sex::Male } else { Sex::Female }),
            birth,
            household,
            life_status: life,
            life_date,
            // The domain's rule: a certificate held and in force on the day.
            certified: CertStatus::of_file(
                holds,
                CertState::parse(state).unwrap_or(CertState::Cancelled),
                valid.parse().ok(),
                today,
                0,
            )
            .in_force(),
            assistance: Vec::new(),
            care_fen: None,
        },
    })
}

/// Lists of at least this many rows are matched against the registry read into memory.
const IN_MEMORY_FROM: u64 = 100_000;

/// An ID number's first 17 digits (the 18th is their check character): its key in memory.
fn id_key(id: &str) -> Option<u64> {
    id.get(..17)?.parse().ok()
}

/// The scope's files in memory: their packed lines end to end in one text, found by the ID
/// number's key (no allocation per file: a million take about 100 MB).
#[derive(Default)]
struct Registry {
    text: String,
    at: HashMap<u64, (usize, u32), FastHash>,
}

/// Keys are ID numbers, not chosen by an attacker against the hash: a fast hasher will do.
type FastHash = std::hash::BuildHasherDefault<rustc_hash::FxHasher>;

impl Registry {
    fn push(&mut self, key: u64, line: &str) {
        let start = self.text.len();
        self.text.push_str(line);
        self.at.insert(key, (start, line.len() as u32));
    }

    fn get(&self, key: u64) -> Option<&str> {
        let (start, len) = *self.at.get(&key)?;
        self.text.get(start..start + len as usize)
    }

    fn len(&self) -> usize {
        self.at.len()
    }

    fn lines(&self) -> impl Iterator<Item = &str> {
        self.at
            .values()
            .filter_map(|&(start, len)| self.text.get(start..start + len as usize))
    }
}

/// The scope's files, packed, by ID number key: read in storage order, 50,000 a statement,
/// each slice joined by the database into one value.
async fn load_registry(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    scope: &Scope,
) -> Result<Registry> {
    let agg = match backend {
        crate::Backend::Sqlite => "group_concat(packed, char(10))",
        crate::Backend::Postgres => "string_agg(packed, chr(10))",
    };
    let mut out = Registry::default();
    let mut last = 0i64;
    loop {
        let mut w = Where::default();
        w.push("id > ?", Arg::Int(last));
        w.push_prefix_filter_only(backend, "household_code", scope.prefix());
        let sql = format!(
            "SELECT {agg} AS lines, MAX(id) AS last FROM (SELECT id, {FOUND_COLUMNS} FROM persons \
             WHERE {} ORDER BY id LIMIT 50000) t",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let r = q.fetch_one(&mut *conn).await?;
        let Some(next) = r.try_get::<Option<i64>, _>("last")? else {
            break;
        };
        let lines: String = r.try_get::<Option<String>, _>("lines")?.unwrap_or_default();
        for line in lines.lines() {
            let id = line.split('|').nth(1).unwrap_or("");
            if let Some(k) = id_key(id) {
                out.push(k, line);
            }
        }
        last = next;
    }
    Ok(out)
}

/// A task to write, and the row's class and differences.
#[derive(Default)]
struct Pending {
    rows: Vec<Vec<Arg>>,
    /// Consistent rows, packed a line each (row|id number|person|household|name): most of a
    /// list, kept as one value a chunk rather than a row each.
    consistent: String,
    first_consistent: Option<i64>,
    tasks: Vec<Vec<Arg>>,
    /// Rows matched to a file, by town and class.
    towns: TownCounts,
    /// An insurance list's statuses by (person, kind): what the indicators read.
    insurance: std::collections::BTreeMap<(i64, &'static str), (bool, String, String)>,
}

impl Pending {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        batch: i64,
        row: i64,
        class: &'static str,
        id_number: &str,
        name: &str,
        person: Option<i64>,
        household: &str,
        diffs: &[Difference],
    ) {
        if !household.is_empty() {
            *self.towns.entry((town_key(household), class)).or_default() += 1;
        }
        if class == "consistent" {
            use std::fmt::Write;
            if self.first_consistent.is_none() {
                self.first_consistent = Some(row);
            } else {
                self.consistent.push('\n');
            }
            let _ = write!(
                self.consistent,
                "{row}|{id_number}|{}|{household}|{name}",
                person.unwrap_or(0)
            );
        } else {
            self.rows.push(row_args(
                batch, row, class, id_number, name, person, household, diffs,
            ));
        }
    }
}

const ROW_COLUMNS: &[&str] = &[
    "batch_id",
    "row_no",
    "class",
    "id_number",
    "name",
    "person_id",
    "household_code",
    "diffs",
];

const TASK_COLUMNS: &[&str] = &[
    "batch_id",
    "kind",
    "code",
    "task",
    "person_id",
    "household_code",
    "due_on",
    "status",
    "action",
    "fingerprint",
    "detail",
    "reason",
    "created_at",
];

/// Rows are matched this many at a time.
const CHUNK: usize = 5000;

impl Crosschecks<'_> {
    /// Matches a list against the registry of the scope's subtree and keeps the batch (all or
    /// nothing: a read error from `items` leaves no trace). Staff who import files.
    pub async fn run(
        &self,
        scope: &Scope,
        kind: ListKind,
        file_name: &str,
        digest: &str,
        expected_rows: Option<u64>,
        items: impl IntoIterator<Item = std::result::Result<Item, String>>,
    ) -> Result<RunResult> {
        scope.require(scope.role().imports_persons())?;
        let store = self.store;
        let rules = crosscheck::task_rules().map_err(StoreError::Internal)?;
        let band =
            anju_domain::employment::EmploymentRules::shipped().map_err(StoreError::Internal)?;
        let calendar = store.certificates().calendar().await?;
        let today = store.today();
        let now = store.now_ms();
        let started = std::time::Instant::now();
        let mut tx = store.begin_write().await?;
        let batch: i64 = sqlx::query_scalar(
            "INSERT INTO crosscheck_batches (kind, file_name, digest, run_by, run_at, region_code, \
             rows, consistent, different, list_only, registry_only, weak, rejected, tasks) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0, 0, 0, 0, 0) RETURNING id",
        )
        .bind(kind.as_str())
        .bind(file_name.to_owned())
        .bind(digest.to_owned())
        .bind(scope.username.clone())
        .bind(now)
        .bind(scope.region().code.to_string())
        .fetch_one(&mut *tx)
        .await?;
        // A large list reads the registry once, in storage order (a lookup per number costs a
        // random page read each); a small one looks its numbers up.
        let registry = if expected_rows.is_some_and(|n| n >= IN_MEMORY_FROM) {
            Some(load_registry(&mut tx, store.backend(), scope).await?)
        } else {
            None
        };
        tracing::debug!(
            in_memory = registry.as_ref().map(Registry::len),
            ms = started.elapsed().as_millis() as u64,
            "crosscheck: registry ready"
        );
        let ctx = Ctx {
            registry,
            batch,
            kind,
            rules: &rules,
            due: |days: u32| calendar.add_working_days(today, days).to_string(),
            now,
        };
        let mut classes = Classes::default();
        let mut errors = Vec::new();
        let mut matched = Seen::default();
        let mut towns = TownCounts::new();
        let mut rows = 0i64;
        let mut chunk: Vec<Item> = Vec::with_capacity(CHUNK);
        let mut items = items.into_iter();
        let (mut reading, mut looking, mut deciding) = (
            std::time::Duration::ZERO,
            std::time::Duration::ZERO,
            std::time::Duration::ZERO,
        );
        // A chunk decided and not yet written.
        let mut writing: Option<Pending> = None;
        loop {
            let t = std::time::Instant::now();
            let next = items.next();
            reading += t.elapsed();
            let end = next.is_none();
            if let Some(item) = next {
                chunk.push(item.map_err(StoreError::Invalid)?);
            }
            if chunk.len() >= CHUNK || (end && !chunk.is_empty()) {
                rows += chunk.len() as i64;
                let t = std::time::Instant::now();
                let chunk = std::mem::take(&mut chunk);
                let looked = self.lookup(&mut tx, scope, &ctx, &chunk).await?;
                looking += t.elapsed();
                // The previous chunk is written while this one is decided: the database works
                // (its own thread or process) while this thread compares.
                let t = std::time::Instant::now();
                let previous = writing.take();
                let mut p = Pending::default();
                let (written, decided) = tokio::join!(
                    async {
                        match previous {
                            Some(w) => write(&mut tx, store.backend(), batch, &mut towns, w).await,
                            None => Ok(()),
                        }
                    },
                    decide(
                        &ctx,
                        chunk,
                        looked,
                        &mut p,
                        &mut classes,
                        &mut errors,
                        &mut matched,
                        today
                    )
                );
                written?;
                decided?;
                writing = Some(p);
                deciding += t.elapsed();
            }
            if end {
                break;
            }
        }
        let t = std::time::Instant::now();
        if let Some(w) = writing.take() {
            write(&mut tx, store.backend(), batch, &mut towns, w).await?;
        }
        deciding += t.elapsed();
        tracing::debug!(
            batch,
            rows,
            ms = started.elapsed().as_millis() as u64,
            reading_ms = reading.as_millis() as u64,
            looking_ms = looking.as_millis() as u64,
            deciding_and_writing_ms = deciding.as_millis() as u64,
            "crosscheck: rows read, matched and kept"
        );
        // The people the list should have held and does not: those the kind expects (for
        // insurance, certificate holders of working age) it did not name.
        if kind == ListKind::Insurance {
            let t = today;
            // The candidates: living holders of a certificate in date the list did not name
            // (the rule then decides each, by age among other things).
            let mut candidates: Vec<Found> = Vec::new();
            if let Some(reg) = &ctx.registry {
                for line in reg.lines() {
                    // A cheap first sieve; the rule decides each candidate.
                    let mut f = line.splitn(9, '|');
                    let id: Option<i64> = f.next().and_then(|i| i.parse().ok());
                    let live = f.nth(4) == Some("living") && f.nth(1) == Some("active");
                    if live && id.is_some_and(|id| !matched.contains(id)) {
                        candidates.push(found(line, t)?);
                    }
                }
            } else {
                let mut w = Where::default();
                w.push_prefix(store.backend(), "household_code", scope.prefix());
                // A sieve (living, certificate active, of working age); the rule decides each.
                w.push_plain("life_status = 'living' AND cert_state = 'active'");
                // Born within the working-age band on today.
                let years = |n: u32| today.checked_sub_months(chrono::Months::new(n * 12));
                if let (Some(youngest), Some(oldest)) =
                    (years(band.age_from), years(band.age_to + 1))
                {
                    w.push("birth_date <= ?", Arg::Text(youngest.to_string()));
                    w.push("birth_date > ?", Arg::Text(oldest.to_string()));
                }
                // The ids as one value (a decode per row would cost more than the scan).
                let agg = match store.backend() {
                    crate::Backend::Sqlite => "group_concat(CAST(id AS TEXT), ',')",
                    crate::Backend::Postgres => "string_agg(CAST(id AS TEXT), ',')",
                };
                let sql = format!("SELECT {agg} FROM persons WHERE {}", w.sql());
                let mut q = sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql));
                for a in w.args {
                    q = a.bind_owned_scalar(q);
                }
                let ids = q.fetch_one(&mut *tx).await?.unwrap_or_default();
                let missing: Vec<i64> = ids
                    .split(',')
                    .filter_map(|i| i.parse().ok())
                    .filter(|id| !matched.contains(*id))
                    .collect();
                for part in missing.chunks(500) {
                    let list: Vec<String> = part.iter().map(i64::to_string).collect();
                    candidates.extend(
                        fetch_found(
                            &mut tx,
                            store.backend(),
                            &format!("id IN ({})", list.join(",")),
                            Vec::new(),
                            None,
                            t,
                        )
                        .await?,
                    );
                }
            }
            let mut p = Pending::default();
            for f in &candidates {
                if let Some(d) = crosscheck::registry_only(kind, &f.facts, today, &band) {
                    classes.add("registry_only");
                    ctx.task(&mut p, f, &d, "");
                    p.add(
                        batch,
                        0,
                        "registry_only",
                        &f.id_number,
                        &f.facts.name,
                        Some(f.id),
                        &f.facts.household,
                        &[d],
                    );
                }
                if p.rows.len() >= CHUNK {
                    let full = std::mem::take(&mut p);
                    write(&mut tx, store.backend(), batch, &mut towns, full).await?;
                }
            }
            write(&mut tx, store.backend(), batch, &mut towns, p).await?;
            tracing::debug!(
                batch,
                candidates = candidates.len(),
                ms = started.elapsed().as_millis() as u64,
                "crosscheck: registry-only people found"
            );
        }
        let town_rows: Vec<Vec<Arg>> = towns
            .into_iter()
            .map(|((town, class), n)| {
                vec![
                    Arg::Int(batch),
                    Arg::Text(String::from_utf8_lossy(&town).into_owned()),
                    Arg::Text(class.into()),
                    Arg::Int(n),
                ]
            })
            .collect();
        insert_rows(
            &mut tx,
            store.backend(),
            "crosscheck_towns",
            &["batch_id", "town_code", "class", "n"],
            town_rows,
        )
        .await?;
        let tasks: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM crosscheck_tasks WHERE batch_id = $1",
        )
        .bind(batch)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE crosscheck_batches SET rows = $1, consistent = $2, different = $3, \
             list_only = $4, registry_only = $5, weak = $6, rejected = $7, tasks = $8 WHERE id = $9",
        )
        .bind(rows)
        .bind(classes.consistent)
        .bind(classes.different)
        .bind(classes.list_only)
        .bind(classes.registry_only)
        .bind(classes.weak)
        .bind(classes.rejected)
        .bind(tasks)
        .bind(batch)
        .execute(&mut *tx)
        .await?;
        append(
            store,
            &mut tx,
            now,
            NewEntry::by(scope, "crosscheck.run", format!("batch:{batch}"), Outcome::Success)
                .detail(format!(
                    "{} {file_name}：{rows}行，有差异{}，仅名单有{}，仅档案有{}，弱匹配{}，无法比对{}，任务{tasks}",
                    kind.as_str(),
                    classes.different,
                    classes.list_only,
                    classes.registry_only,
                    classes.weak,
                    classes.rejected
                )),
        )
        .await?;
        tx.commit().await?;
        tracing::debug!(
            batch,
            ms = started.elapsed().as_millis() as u64,
            "crosscheck: committed"
        );
        errors.sort_by_key(|e: &RowFault| e.row);
        Ok(RunResult {
            batch: Batch {
                id: batch,
                kind,
                file_name: file_name.to_owned(),
                digest: digest.to_owned(),
                run_by: scope.username.clone(),
                run_at: now,
                region_code: scope.region().code.to_string(),
                rows,
                classes,
                tasks,
            },
            errors,
        })
    }

    /// The files a chunk's rows match: by ID number (unless each row looks its own up as it
    /// is decided), by name for the rows without one, with what the kind compares beyond the
    /// file.
    async fn lookup<F: Fn(u32) -> String>(
        &self,
        tx: &mut sqlx::AnyConnection,
        scope: &Scope,
        ctx: &Ctx<'_, F>,
        chunk: &[Item],
    ) -> Result<Looked> {
        let backend = self.store.backend();
        let today = self.store.today();
        let direct = ctx.direct();
        // The files of the chunk's ID numbers in the scope.
        let mut ids: Vec<String> = if direct {
            Vec::new()
        } else {
            chunk
                .iter()
                .filter_map(|i| match i {
                    Item::Row(r) => r.id.as_ref().map(|id| id.as_str().to_owned()),
                    Item::Bad(..) => None,
                })
                .collect()
        };
        // In order, the index's pages are visited once each.
        ids.sort_unstable();
        ids.dedup();
        let t0 = std::time::Instant::now();
        let mut by_id: HashMap<String, Found> = HashMap::with_capacity(ids.len());
        if ctx.registry.is_some() {
            for id in &ids {
                if let Some(f) = in_memory(ctx.registry.as_ref(), id, today)? {
                    by_id.insert(f.id_number.clone(), f);
                }
            }
        } else {
            for part in ids.chunks(500) {
                let mut w = Where::default();
                let ps: Vec<String> = part.iter().map(|i| w.arg(Arg::Text(i.clone()))).collect();
                w.push_plain(format!("id_number IN ({})", ps.join(",")));
                // The ID number's index drives; the region only filters.
                w.push_prefix_filter_only(backend, "household_code", scope.prefix());
                let sql = w.sql();
                for f in fetch_found(&mut *tx, backend, &sql, w.args, None, today).await? {
                    by_id.insert(f.id_number.clone(), f);
                }
            }
        }
        let t1 = std::time::Instant::now();
        // Weak matches: name, birth date (and sex when given), exactly one file.
        // The chunk's names looked up together (the name's index drives; the region only
        // filters), then each row's name, birth date and sex must single out one file.
        let mut weak: HashMap<usize, Found> = HashMap::new();
        let wanted: Vec<&ListRow> = chunk
            .iter()
            .filter_map(|i| match i {
                Item::Row(r) if r.id.is_none() && r.birth.is_some() => Some(r),
                _ => None,
            })
            .collect();
        if !wanted.is_empty() {
            let names: HashSet<&str> = wanted.iter().map(|r| r.name.as_str()).collect();
            let mut candidates: Vec<Found> = Vec::new();
            let names: Vec<&str> = names.into_iter().collect();
            for part in names.chunks(500) {
                let mut w = Where::default();
                let ps: Vec<String> = part
                    .iter()
                    .map(|n| w.arg(Arg::Text((*n).to_owned())))
                    .collect();
                w.push_plain(format!("name IN ({})", ps.join(",")));
                w.push_prefix_filter_only(backend, "household_code", scope.prefix());
                let sql = w.sql();
                candidates.extend(fetch_found(&mut *tx, backend, &sql, w.args, None, today).await?);
            }
            for r in wanted {
                let mut hits = candidates.iter().filter(|f| {
                    f.facts.name == r.name
                        && f.facts.birth == r.birth
                        && r.sex.is_none_or(|s| f.facts.sex == Some(s))
                });
                if let (Some(f), None) = (hits.next(), hits.next()) {
                    weak.insert(r.row, f.clone());
                }
            }
        }
        let t2 = std::time::Instant::now();
        // What the kind compares beyond the file: assistance, the care subsidy paid.
        if matches!(ctx.kind, ListKind::Assistance | ListKind::ElderlyAllowance) {
            let persons: Vec<i64> = by_id.values().chain(weak.values()).map(|f| f.id).collect();
            let mut assistance: HashMap<i64, Vec<Assistance>> = HashMap::new();
            let mut care: HashMap<i64, (String, i64)> = HashMap::new();
            for part in persons.chunks(500) {
                let list: Vec<String> = part.iter().map(i64::to_string).collect();
                let sql = format!(
                    "SELECT person_id, kind, from_month, to_month, amount_fen FROM assistance \
                     WHERE person_id IN ({})",
                    list.join(",")
                );
                for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&mut *tx)
                    .await?
                {
                    let k: String = r.try_get("kind")?;
                    let Some(kind) = AssistanceKind::ALL.into_iter().find(|x| x.as_str() == k)
                    else {
                        continue;
                    };
                    let from: String = r.try_get("from_month")?;
                    let to: Option<String> = r.try_get("to_month")?;
                    let Ok(from) = Month::parse(&from) else {
                        continue;
                    };
                    assistance
                        .entry(r.try_get("person_id")?)
                        .or_default()
                        .push(Assistance {
                            kind,
                            from,
                            to: to.and_then(|t| Month::parse(&t).ok()),
                            amount: r
                                .try_get::<Option<i64>, _>("amount_fen")?
                                .map(anju_domain::money::Fen),
                        });
                }
                if ctx.kind == ListKind::ElderlyAllowance {
                    let sql = format!(
                        "SELECT person_id, pay_month, amount_fen FROM roll_lines \
                         WHERE kind = 'care' AND person_id IN ({})",
                        list.join(",")
                    );
                    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                        .fetch_all(&mut *tx)
                        .await?
                    {
                        let m: String = r.try_get("pay_month")?;
                        let a: i64 = r.try_get("amount_fen")?;
                        let e = care
                            .entry(r.try_get("person_id")?)
                            .or_insert((String::new(), 0));
                        if m > e.0 {
                            *e = (m, a);
                        }
                    }
                }
            }
            for f in by_id.values_mut().chain(weak.values_mut()) {
                f.facts.assistance = assistance.remove(&f.id).unwrap_or_default();
                f.facts.care_fen = care.get(&f.id).map(|c| c.1);
            }
        }
        tracing::trace!(
            by_id_ms = (t1 - t0).as_millis() as u64,
            weak_ms = (t2 - t1).as_millis() as u64,
            extra_ms = t2.elapsed().as_millis() as u64,
            "crosscheck: a chunk looked up"
        );
        Ok(Looked { by_id, weak })
    }
}

/// What a chunk's rows match.
struct Looked {
    by_id: HashMap<String, Found>,
    weak: HashMap<usize, Found>,
}

/// The file with this ID number in the registry in memory.
fn in_memory(registry: Option<&Registry>, id: &str, today: NaiveDate) -> Result<Option<Found>> {
    let Some(line) = registry.and_then(|r| r.get(id_key(id)?)) else {
        return Ok(None);
    };
    let f = found(line, today)?;
    Ok((f.id_number == id).then_some(f))
}

/// Classifies a chunk's rows on what [`Crosschecks::lookup`] found, giving way to the
/// chunk being written every few hundred rows.
#[allow(clippy::too_many_arguments)]
async fn decide<F: Fn(u32) -> String>(
    ctx: &Ctx<'_, F>,
    chunk: Vec<Item>,
    looked: Looked,
    p: &mut Pending,
    classes: &mut Classes,
    errors: &mut Vec<RowFault>,
    matched: &mut Seen,
    today: NaiveDate,
) -> Result<()> {
    let Looked { by_id, weak } = looked;
    let direct = ctx.direct();
    for (i, item) in chunk.into_iter().enumerate() {
        if i % 500 == 499 {
            tokio::task::yield_now().await;
        }
        match item {
            Item::Bad(row, faults) => {
                classes.add("rejected");
                let id = String::new();
                p.add(ctx.batch, row as i64, "rejected", &id, "", None, "", &[]);
                for f in faults {
                    errors.push(RowFault {
                        row,
                        column: f.column,
                        reason: f.reason,
                    });
                }
            }
            Item::Row(r) => {
                let id_text =
                    r.id.as_ref()
                        .map_or(r.id_text.clone(), |i| i.as_str().to_owned());
                let looked_up;
                let hit = match &r.id {
                    Some(i) if direct => {
                        looked_up = in_memory(ctx.registry.as_ref(), i.as_str(), today)?;
                        looked_up.as_ref()
                    }
                    Some(i) => by_id.get(i.as_str()),
                    None => None,
                };
                match (hit, weak.get(&r.row)) {
                    (Some(f), _) => {
                        matched.insert(f.id);
                        let diffs = crosscheck::compare(&r, &f.facts);
                        let class = if diffs.is_empty() {
                            "consistent"
                        } else {
                            "different"
                        };
                        classes.add(class);
                        let action = crosscheck::action_text(&r);
                        for d in &diffs {
                            ctx.task(p, f, d, &action);
                        }
                        if let crosscheck::Payload::Insurance {
                            kind,
                            status,
                            month,
                        } = &r.payload
                        {
                            let kind = if kind == "养老" {
                                "pension"
                            } else {
                                "medical"
                            };
                            p.insurance.insert(
                                (f.id, kind),
                                (status == "参保缴费", status.clone(), month.to_string()),
                            );
                        }
                        p.add(
                            ctx.batch,
                            r.row as i64,
                            class,
                            &id_text,
                            &r.name,
                            Some(f.id),
                            &f.facts.household,
                            &diffs,
                        );
                    }
                    (None, Some(f)) => {
                        matched.insert(f.id);
                        classes.add("weak");
                        let mut diffs = crosscheck::compare(&r, &f.facts);
                        diffs.insert(
                            0,
                            Difference {
                                code: "weak".into(),
                                field: "身份证号".into(),
                                registry: f.id_number.clone(),
                                list: if r.id_text.is_empty() {
                                    "（无）".into()
                                } else {
                                    r.id_text.clone()
                                },
                            },
                        );
                        ctx.task(p, f, &diffs[0], "");
                        p.add(
                            ctx.batch,
                            r.row as i64,
                            "weak",
                            &id_text,
                            &r.name,
                            Some(f.id),
                            &f.facts.household,
                            &diffs,
                        );
                    }
                    (None, None) => {
                        classes.add("list_only");
                        p.add(
                            ctx.batch,
                            r.row as i64,
                            "list_only",
                            &id_text,
                            &r.name,
                            None,
                            "",
                            &[],
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

struct Ctx<'a, F: Fn(u32) -> String> {
    /// The scope's files by the first 17 digits of their ID numbers, packed.
    registry: Option<Registry>,
    batch: i64,
    kind: ListKind,
    rules: &'a [TaskRule],
    due: F,
    now: i64,
}

impl<F: Fn(u32) -> String> Ctx<'_, F> {
    /// With the registry in memory and nothing to add to the files, each row looks its file
    /// up as it is decided.
    fn direct(&self) -> bool {
        self.registry.is_some()
            && !matches!(self.kind, ListKind::Assistance | ListKind::ElderlyAllowance)
    }

    /// The task a difference raises, if the rules name one. Its fingerprint (kind,
    /// difference, person and what the list says) keeps it from being raised twice.
    fn task(&self, p: &mut Pending, f: &Found, d: &Difference, action: &str) {
        let Some(rule) = rule_for(self.rules, self.kind, &d.code) else {
            return;
        };
        let action = match (&rule.programme, rule.then) {
            (Some(name), _) => format!("programme|{name}"),
            (None, Then::Nothing) => String::new(),
            (None, _) => action.to_owned(),
        };
        p.tasks.push(vec![
            Arg::Int(self.batch),
            Arg::Text(self.kind.as_str().into()),
            Arg::Text(d.code.clone()),
            Arg::Text(rule.task.clone()),
            Arg::Int(f.id),
            Arg::Text(f.facts.household.clone()),
            Arg::Text((self.due)(rule.days)),
            Arg::Text("open".into()),
            Arg::Text(action),
            Arg::Text(format!(
                "{}|{}|{}|{}",
                self.kind.as_str(),
                d.code,
                f.id,
                d.list
            )),
            Arg::Text(format!(
                "{}：档案为“{}”，名单为“{}”",
                d.field, d.registry, d.list
            )),
            Arg::Text(String::new()),
            Arg::Int(self.now),
        ]);
    }
}

#[allow(clippy::too_many_arguments)]
fn row_args(
    batch: i64,
    row: i64,
    class: &str,
    id_number: &str,
    name: &str,
    person: Option<i64>,
    household: &str,
    diffs: &[Difference],
) -> Vec<Arg> {
    vec![
        Arg::Int(batch),
        Arg::Int(row),
        Arg::Text(class.into()),
        Arg::Text(id_number.into()),
        Arg::Text(name.into()),
        Arg::OptInt(person),
        Arg::Text(household.into()),
        Arg::Text(if diffs.is_empty() {
            String::new()
        } else {
            encode(diffs)
        }),
    ]
}

async fn write(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    batch: i64,
    towns: &mut TownCounts,
    p: Pending,
) -> Result<()> {
    for (t, n) in p.towns {
        *towns.entry(t).or_default() += n;
    }
    insert_rows(conn, backend, "crosscheck_rows", ROW_COLUMNS, p.rows).await?;
    if let Some(first) = p.first_consistent {
        sqlx::query(
            "INSERT INTO crosscheck_consistent (batch_id, first_row, packed) VALUES ($1, $2, $3)",
        )
        .bind(batch)
        .bind(first)
        .bind(p.consistent)
        .execute(&mut *conn)
        .await?;
    }
    if !p.insurance.is_empty() {
        let rows = p
            .insurance
            .into_iter()
            .map(|((person, kind), (paying, status, month))| {
                vec![
                    Arg::Int(person),
                    Arg::Text(kind.into()),
                    Arg::Int(i64::from(paying)),
                    Arg::Text(status),
                    Arg::Text(month),
                    Arg::Int(batch),
                ]
            })
            .collect();
        crate::sql::insert_rows_then(
            conn,
            backend,
            "insurance_status",
            &["person_id", "kind", "paying", "status", "month", "batch_id"],
            rows,
            " ON CONFLICT (person_id, kind) DO UPDATE SET paying = excluded.paying, \
             status = excluded.status, month = excluded.month, batch_id = excluded.batch_id",
        )
        .await?;
    }
    // A difference already tasked (open, confirmed or rejected) is not raised again.
    crate::sql::insert_rows_ignoring(conn, backend, "crosscheck_tasks", TASK_COLUMNS, p.tasks).await
}
