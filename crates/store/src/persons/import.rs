//! Bulk import: rows already validated by the domain are matched by ID number and inserted,
//! updated (with history) or left alone, in one transaction for the whole file, so that an
//! interrupted import leaves the database as it was. Rows go in as multi-row statements.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use anju_domain::audit::Outcome;
use anju_domain::person::{Field, FieldError, Person};
use serde::Serialize;
use sqlx::Row;

use super::{
    COLUMNS, HistoryRow, Persons, Value, WRITE_COLUMNS, changes, record_from_row, write_history,
    write_values,
};
use crate::audit::{NewEntry, append};
use crate::sql::placeholder;
use crate::{Backend, Result, Scope, Store};

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    Inserted,
    Updated(Vec<Field>),
    Unchanged,
    Rejected(FieldError),
}

/// A value the file would change that was last changed by hand (a page, the API, a
/// certificate's issue or an expiry sweep), not by an import: left as it is stored unless the
/// import was asked to overwrite conflicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    /// The row's number in the sheet (the header is row 1).
    pub row: usize,
    pub field: Field,
    /// The field's column in the sheet.
    pub column: &'static str,
    /// The stored value (masked unless the importer's role sees identifiers).
    pub stored: String,
    /// The file's value (masked likewise).
    pub file: String,
    /// Who changed the stored value, when (ms since the epoch, UTC) and how (web, api,
    /// certificate, sweep).
    pub changed_by: String,
    pub changed_at_ms: i64,
    pub source: String,
}

/// How an import treats what is stored.
#[derive(Debug, Clone, Default)]
pub struct ImportRules {
    /// Take the file's value even where it was changed by hand since it was last imported.
    pub overwrite_conflicts: bool,
    /// The fields the file has columns for (`None`: all). A field without a column is left as
    /// it is stored: a sheet without 联系电话 does not clear anyone's phone.
    pub carried: Option<Vec<Field>>,
}

/// The last change of each (file, field): who, when, how.
struct LastChange {
    actor: String,
    at_ms: i64,
    source: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// The indexes of `persons` as the database itself describes them: (name, statement that
/// makes it). A bulk load into an empty table drops them and makes them again, by sorting,
/// before it commits: whatever the migrations have made, nothing more and nothing less.
/// (PostgreSQL's primary key is a constraint and stays.)
async fn persons_indexes(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
) -> Result<Vec<(String, String)>> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' \
             AND sql IS NOT NULL ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT i.indexname::text, i.indexdef::text FROM pg_indexes i \
             WHERE i.tablename = 'persons' AND i.schemaname = current_schema() \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) \
             ORDER BY i.indexname"
        }
    };
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
        .collect()
}

/// Rows per INSERT statement on SQLite: 28 parameters a row stays under its 32,766.
const INSERT_CHUNK: usize = 400;
/// Rows per INSERT statement on PostgreSQL, where each column travels as one array.
const ARRAY_CHUNK: usize = 2000;

/// Inserts the files; their row ids, or 0 where not needed: ids are fetched for a single
/// creation, for files with a legacy number and where `want_id` (aligned with `people`, or
/// empty) says so, for the history rows they get.
pub(crate) async fn insert_many(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    people: &[Person],
    want_id: &[bool],
    now: i64,
    actor: &str,
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(people.len());
    let rows_per_statement = match backend {
        Backend::Sqlite => INSERT_CHUNK,
        Backend::Postgres => ARRAY_CHUNK,
    };
    for (i, chunk) in people.chunks(rows_per_statement).enumerate() {
        // Row ids are needed only for history rows and single creations.
        let start = i * rows_per_statement;
        let wanted = want_id
            .get(start..(start + chunk.len()).min(want_id.len()))
            .is_some_and(|w| w.iter().any(|&b| b));
        let want_ids = people.len() == 1 || wanted || chunk.iter().any(|p| p.legacy_id.is_some());
        let returning = if want_ids {
            " RETURNING id, id_number"
        } else {
            ""
        };
        let q = match backend {
            Backend::Sqlite => values_insert(backend, chunk, now, actor, returning),
            Backend::Postgres => arrays_insert(chunk, now, actor, returning),
        };
        if !want_ids {
            q.execute(&mut *conn).await?;
            ids.extend(std::iter::repeat_n(0, chunk.len()));
            continue;
        }
        let rows = q.fetch_all(&mut *conn).await?;
        // RETURNING's order is not promised: match by ID number.
        let by_id: HashMap<String, i64> = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("id_number")?,
                    r.try_get::<i64, _>("id")?,
                ))
            })
            .collect::<Result<_>>()?;
        for p in chunk {
            ids.push(by_id.get(p.id_number.as_str()).copied().unwrap_or_default());
        }
    }
    Ok(ids)
}

/// The text of a multi-row `INSERT … VALUES` for `rows` rows, made once per shape: an import
/// sends thousands of statements of the same few shapes (12,000 placeholders each).
fn insert_sql(backend: Backend, rows: usize, returning: &str) -> Arc<str> {
    type Cache = Mutex<HashMap<(Backend, usize, String), Arc<str>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (backend, rows, returning.to_owned());
    let cache = CACHE.get_or_init(Cache::default);
    if let Some(sql) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return sql;
    }
    let cols = WRITE_COLUMNS.join(", ");
    let per_row = WRITE_COLUMNS.len() + 2;
    let mut sql = format!("INSERT INTO persons ({cols}, created_at, created_by) VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for j in 0..per_row {
            if j > 0 {
                sql.push(',');
            }
            sql.push_str(&placeholder(backend, i * per_row + j + 1));
        }
        sql.push(')');
    }
    sql.push_str(returning);
    let sql: Arc<str> = sql.into();
    if let Ok(mut c) = cache.lock() {
        c.insert(key, sql.clone());
    }
    sql
}

/// A multi-row `INSERT … VALUES`.
fn values_insert<'q>(
    backend: Backend,
    chunk: &[Person],
    now: i64,
    actor: &str,
    returning: &str,
) -> crate::sql::AnyQuery<'q> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(insert_sql(
        backend,
        chunk.len(),
        returning,
    )));
    for p in chunk {
        for v in write_values(p, now) {
            q = v.bind(q);
        }
        q = q.bind(now).bind(actor.to_owned());
    }
    q
}

/// The columns of [`WRITE_COLUMNS`] stored as integers.
const INT_COLUMNS: [&str; 3] = ["category", "grade", "updated_at"];

/// PostgreSQL's `INSERT … SELECT FROM unnest(…)` with one array parameter a column: a few
/// dozen parameters a statement instead of tens of thousands, which PostgreSQL would each
/// turn into an expression to plan and evaluate (two thirds of an import's time).
fn arrays_insert<'q>(
    chunk: &[Person],
    now: i64,
    actor: &str,
    returning: &str,
) -> crate::sql::AnyQuery<'q> {
    let mut columns: Vec<String> = (0..WRITE_COLUMNS.len())
        .map(|_| String::with_capacity(chunk.len() * 16))
        .collect();
    for p in chunk {
        for (column, v) in columns.iter_mut().zip(write_values(p, now)) {
            column.push(if column.is_empty() { '{' } else { ',' });
            push_array_element(column, v);
        }
    }
    let unnest: Vec<String> = WRITE_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let ty = if INT_COLUMNS.contains(c) {
                "bigint"
            } else {
                "text"
            };
            format!("${}::{ty}[]", i + 1)
        })
        .collect();
    let n = WRITE_COLUMNS.len();
    let sql = format!(
        "INSERT INTO persons ({}, created_at, created_by) \
         SELECT u.*, ${}::bigint, ${}::text FROM unnest({}) AS u{returning}",
        WRITE_COLUMNS.join(", "),
        n + 1,
        n + 2,
        unnest.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for mut column in columns {
        column.push('}');
        q = q.bind(column);
    }
    q.bind(now).bind(actor.to_owned())
}

/// One element of a PostgreSQL array literal: text quoted (with `"` and `\` escaped), so that
/// any value, commas, braces and the word NULL included, comes back as it went in.
fn push_array_element(out: &mut String, v: Value<'_>) {
    use std::fmt::Write;
    match v {
        Value::Text(t) => {
            out.push('"');
            for ch in t.chars() {
                if ch == '"' || ch == '\\' {
                    out.push('\\');
                }
                out.push(ch);
            }
            out.push('"');
        }
        Value::Null | Value::NullInt => out.push_str("NULL"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
    }
}

pub(crate) async fn update_one(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    p: &Person,
    now: i64,
) -> Result<()> {
    let sets: Vec<String> = WRITE_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE persons SET {} WHERE id = ${}",
        sets.join(", "),
        WRITE_COLUMNS.len() + 1
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in write_values(p, now) {
        q = v.bind(q);
    }
    q.bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// An import in progress: one open transaction.
pub struct ImportBatch<'a> {
    store: &'a Store,
    scope: Scope,
    tx: sqlx::Transaction<'static, sqlx::Any>,
    now: i64,
    counts: ImportCounts,
    label: String,
    /// The table was empty when the import began: its indexes are off until commit, and no
    /// row can match an existing file.
    bulk: bool,
    /// The indexes dropped for a bulk load, made again at commit.
    indexes: Vec<(String, String)>,
    rules: ImportRules,
    conflicts: Vec<Conflict>,
    /// The certificate rules: an issue date without an end date gets the rules' end date.
    cert_rules: anju_domain::cert_rules::CertRules,
}

impl<'a> Persons<'a> {
    /// Starts an import of the file named `label` (for the audit log).
    pub async fn begin_import(&self, scope: &Scope, label: &str) -> Result<ImportBatch<'a>> {
        scope.require(scope.role.imports_persons())?;
        let cert_rules = self.store.certificates().rules().await?;
        let mut tx = self.store.begin_write().await?;
        if self.store.backend() == Backend::Sqlite {
            // A large import touches many index pages: 64 MiB of page cache for this
            // connection keeps them in memory instead of spilling to the WAL mid-way.
            sqlx::query("PRAGMA cache_size = -65536")
                .execute(&mut *tx)
                .await?;
        }
        let any: Option<i64> = sqlx::query_scalar("SELECT id FROM persons LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
        let bulk = any.is_none();
        let mut indexes = Vec::new();
        if bulk {
            indexes = persons_indexes(&mut tx, self.store.backend()).await?;
            for (name, _) in &indexes {
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                    .execute(&mut *tx)
                    .await?;
            }
            if self.store.backend() == Backend::Postgres {
                // Every village changes: the indicators' tallies are counted afresh at commit
                // rather than a village marked per batch (the transition tables cost a quarter
                // of a million-row load). Undone with the transaction if it fails.
                sqlx::query("ALTER TABLE persons DISABLE TRIGGER persons_indicators_insert")
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(ImportBatch {
            store: self.store,
            scope: scope.clone(),
            tx,
            now: self.store.now_ms(),
            counts: ImportCounts::default(),
            label: label.to_owned(),
            bulk,
            indexes,
            rules: ImportRules::default(),
            conflicts: Vec::new(),
            cert_rules,
        })
    }
}

impl ImportBatch<'_> {
    pub fn counts(&self) -> ImportCounts {
        self.counts
    }

    /// Sets how the import treats what is stored (before the first `apply`).
    pub fn set_rules(&mut self, rules: ImportRules) {
        self.rules = rules;
    }

    /// The conflicts found since the last call, in row order within each batch.
    pub fn take_conflicts(&mut self) -> Vec<Conflict> {
        std::mem::take(&mut self.conflicts)
    }

    /// The last change of each field of these files that a hand made: a history row not
    /// written by an import, or, for a field never changed since, the file's creation by hand.
    async fn last_changes(&mut self, ids: &[i64]) -> Result<HashMap<(i64, String), LastChange>> {
        let backend = self.store.backend();
        let mut out: HashMap<(i64, String), LastChange> = HashMap::new();
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> =
                (1..=chunk.len()).map(|i| placeholder(backend, i)).collect();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT person_id, field, actor, at_ms, source FROM person_history \
                 WHERE person_id IN ({}) ORDER BY at_ms, id",
                placeholders.join(",")
            )));
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&mut *self.tx).await? {
                let key = (row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?);
                out.insert(
                    key,
                    LastChange {
                        actor: row.try_get(2)?,
                        at_ms: row.try_get(3)?,
                        source: row.try_get(4)?,
                    },
                );
            }
        }
        Ok(out)
    }

    /// What the file's row becomes: fields without a column keep their stored values, and
    /// so do fields last changed by hand (reported as conflicts) unless asked otherwise.
    fn merge(
        &mut self,
        row: usize,
        stored: &super::PersonRecord,
        mut p: Person,
        last: &HashMap<(i64, String), LastChange>,
    ) -> Person {
        if let Some(carried) = &self.rules.carried {
            for f in Field::ALL {
                if !carried.contains(&f) {
                    p.take_field(&stored.person, f);
                }
            }
        }
        if self.rules.overwrite_conflicts {
            return p;
        }
        let whole = self.scope.role.sees_identifiers();
        for (f, before, after) in changes(&stored.person, &p) {
            let by_hand = last
                .get(&(stored.id, f.key().to_owned()))
                .or_else(|| last.get(&(stored.id, "created".to_owned())))
                .filter(|c| !matches!(c.source.as_str(), "import" | "rule"));
            if let Some(c) = by_hand {
                let shown = |v: &str| if whole { v.to_owned() } else { f.masked(v) };
                self.conflicts.push(Conflict {
                    row,
                    field: f,
                    column: f.header(),
                    stored: shown(&before),
                    file: shown(&after),
                    changed_by: c.actor.clone(),
                    changed_at_ms: c.at_ms,
                    source: c.source.clone(),
                });
            }
        }
        let kept: Vec<Field> = self
            .conflicts
            .iter()
            .filter(|c| c.row == row)
            .map(|c| c.field)
            .collect();
        for f in kept {
            p.take_field(&stored.person, f);
        }
        p
    }

    /// Applies validated rows (row number, person). Rows are distinct by ID number.
    pub async fn apply(&mut self, rows: Vec<(usize, Person)>) -> Result<Vec<(usize, RowOutcome)>> {
        let mut out = Vec::with_capacity(rows.len());
        let mut candidates = Vec::with_capacity(rows.len());
        for (n, p) in rows {
            if self.scope.covers(&p.household_code) {
                candidates.push((n, p));
            } else {
                out.push((
                    n,
                    RowOutcome::Rejected(FieldError::new(
                        Field::HouseholdCode,
                        "region_out_of_scope",
                        format!("户籍地 {} 不在您的管辖范围内", p.household_code),
                    )),
                ));
            }
        }
        if candidates.is_empty() {
            return Ok(out);
        }
        let backend = self.store.backend();
        let mut existing = HashMap::new();
        // In a bulk load the table held nothing and the rows are distinct: nothing to match.
        let lookups = if self.bulk {
            &candidates[..0]
        } else {
            &candidates[..]
        };
        for chunk in lookups.chunks(500) {
            let placeholders: Vec<String> =
                (1..=chunk.len()).map(|i| placeholder(backend, i)).collect();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM persons WHERE id_number IN ({})",
                placeholders.join(",")
            )));
            for (_, p) in chunk {
                q = q.bind(p.id_number.to_string());
            }
            for row in q.fetch_all(&mut *self.tx).await? {
                let r = record_from_row(&row)?;
                existing.insert(r.person.id_number.to_string(), r);
            }
        }
        let mut new_people = Vec::new();
        let mut new_rows = Vec::new();
        let mut history = Vec::new();
        // End dates the rules gave (written with the source "rule").
        let mut derived_history = Vec::new();
        let mut new_derived = Vec::new();
        // Who last changed the fields this file would change, for the files it changes.
        let touched: Vec<i64> = candidates
            .iter()
            .filter_map(|(_, p)| {
                existing
                    .get(p.id_number.as_str())
                    .filter(|r| r.person != *p)
                    .map(|r| r.id)
            })
            .collect();
        let last = if touched.is_empty() {
            HashMap::new()
        } else {
            self.last_changes(&touched).await?
        };
        for (n, p) in candidates {
            match existing.get(p.id_number.as_str()) {
                None => {
                    let mut p = p;
                    new_derived.push(self.cert_rules.derive_valid_to(&mut p));
                    new_rows.push(n);
                    new_people.push(p);
                }
                Some(r) if !self.scope.covers(&r.person.household_code) => out.push((
                    n,
                    RowOutcome::Rejected(FieldError::new(
                        Field::IdNumber,
                        "person_out_of_scope",
                        "该身份证号已在其他辖区建档，须由上级部门办理户籍迁移",
                    )),
                )),
                // The same file again: most rows come back as they are stored.
                Some(r) if r.person == p => {
                    self.counts.unchanged += 1;
                    out.push((n, RowOutcome::Unchanged));
                }
                Some(r) => {
                    let mut p = self.merge(n, r, p, &last);
                    let derived = self.cert_rules.derive_valid_to(&mut p);
                    let diff = changes(&r.person, &p);
                    if diff.is_empty() {
                        self.counts.unchanged += 1;
                        out.push((n, RowOutcome::Unchanged));
                    } else {
                        update_one(&mut self.tx, r.id, &p, self.now).await?;
                        for (f, b, a) in &diff {
                            let row = HistoryRow {
                                person_id: r.id,
                                field: f.key().into(),
                                before: Some(b.clone()),
                                after: Some(a.clone()),
                            };
                            if derived && *f == Field::CertValidTo {
                                derived_history.push(row);
                            } else {
                                history.push(row);
                            }
                        }
                        self.counts.updated += 1;
                        out.push((
                            n,
                            RowOutcome::Updated(diff.into_iter().map(|d| d.0).collect()),
                        ));
                    }
                }
            }
        }
        if !new_people.is_empty() {
            let ids = insert_many(
                &mut self.tx,
                backend,
                &new_people,
                &new_derived,
                self.now,
                &self.scope.username,
            )
            .await?;
            for (((id, p), n), derived) in
                ids.iter().zip(&new_people).zip(new_rows).zip(&new_derived)
            {
                if *derived {
                    derived_history.push(HistoryRow {
                        person_id: *id,
                        field: Field::CertValidTo.key().into(),
                        before: None,
                        after: Some(p.field_text(Field::CertValidTo)),
                    });
                }
                if let Some(legacy) = &p.legacy_id {
                    history.push(HistoryRow {
                        person_id: *id,
                        field: "legacy_id".into(),
                        before: Some(legacy.clone()),
                        after: Some(p.id_number.to_string()),
                    });
                }
                self.counts.inserted += 1;
                out.push((n, RowOutcome::Inserted));
            }
        }
        write_history(
            &mut self.tx,
            backend,
            &self.scope,
            "import",
            self.now,
            &history,
        )
        .await?;
        write_history(
            &mut self.tx,
            backend,
            &self.scope,
            "rule",
            self.now,
            &derived_history,
        )
        .await?;
        Ok(out)
    }

    /// Commits everything, with one audit entry for the file.
    pub async fn commit(mut self, rows: u64, rejected: u64) -> Result<ImportCounts> {
        let started = std::time::Instant::now();
        for (_, make) in std::mem::take(&mut self.indexes) {
            sqlx::query(sqlx::AssertSqlSafe(make))
                .execute(&mut *self.tx)
                .await?;
        }
        if self.bulk {
            if self.store.backend() == Backend::Postgres {
                sqlx::query("ALTER TABLE persons ENABLE TRIGGER persons_indicators_insert")
                    .execute(&mut *self.tx)
                    .await?;
            }
            // A registry loaded whole: the next reading counts every village.
            sqlx::query("DELETE FROM indicator_meta")
                .execute(&mut *self.tx)
                .await?;
        }
        let c = self.counts;
        let detail = format!(
            "{}：共{rows}行，新增{}，更新{}，未变{}，拒绝{rejected}",
            self.label, c.inserted, c.updated, c.unchanged
        );
        append(
            self.store,
            &mut self.tx,
            self.store.now_ms(),
            NewEntry::by(&self.scope, "person.import", "persons", Outcome::Success).detail(detail),
        )
        .await?;
        let indexed = started.elapsed();
        self.tx.commit().await?;
        let committed = started.elapsed();
        if self.bulk || c.inserted > 10_000 {
            // Fresh statistics, so that the planner picks the selective index for searches
            // (without them SQLite may scan a whole province by household code).
            let analyze = match self.store.backend() {
                Backend::Sqlite => "PRAGMA analysis_limit = 1000; ANALYZE persons;",
                // VACUUM also marks the pages all-visible, so searches can be answered from
                // the index alone.
                Backend::Postgres => "VACUUM (ANALYZE) persons",
            };
            sqlx::raw_sql(analyze).execute(self.store.pool()).await?;
        }
        tracing::info!(
            indexes_ms = indexed.as_millis() as u64,
            commit_ms = (committed - indexed).as_millis() as u64,
            statistics_ms = (started.elapsed() - committed).as_millis() as u64,
            "persons import committed"
        );
        Ok(c)
    }

    /// Undoes everything written after a trial run (`--dry-run`), recording that the file
    /// was previewed with what it would have done.
    pub async fn discard_preview(self, rows: u64, rejected: u64) -> Result<()> {
        let c = self.counts;
        let Self {
            store,
            scope,
            tx,
            label,
            conflicts,
            ..
        } = self;
        tx.rollback().await?;
        store
            .audit()
            .record(
                NewEntry::by(&scope, "person.import_preview", "persons", Outcome::Success).detail(
                    format!(
                        "{label}：共{rows}行，将新增{}，更新{}，未变{}，拒绝{rejected}，冲突{}",
                        c.inserted,
                        c.updated,
                        c.unchanged,
                        conflicts.len()
                    ),
                ),
            )
            .await?;
        Ok(())
    }

    /// Undoes everything written, and records the refused import.
    pub async fn abandon(self, why: &str) -> Result<()> {
        let Self {
            store,
            scope,
            tx,
            label,
            ..
        } = self;
        tx.rollback().await?;
        store
            .audit()
            .record(
                NewEntry::by(&scope, "person.import", "persons", Outcome::Failure)
                    .detail(format!("{label}：{why}")),
            )
            .await?;
        Ok(())
    }
}
