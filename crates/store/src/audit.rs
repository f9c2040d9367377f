//! The append-only audit log (reference §11), chained by hashes (`anju_domain::audit`).
//!
//! Entries are appended inside the transaction of the change they record, so a change and its
//! record commit together or not at all. Appending first bumps the single `audit_head` row,
//! which serialises concurrent writers on both engines and keeps sequence numbers gapless.
//! Database triggers refuse UPDATE and DELETE on `audit_log`; `verify` catches what a database
//! administrator could still do behind the application's back.

use anju_domain::audit::{Anchor, ChainError, Entry, Outcome, Verifier};
use anju_domain::mask;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::sql::Arg;
use crate::{Result, Scope, Store, StoreError};

/// The file in the anchor directory that holds the anchored heads, one a line.
pub const ANCHOR_FILE: &str = "audit-anchor.log";

/// An entry to append; sequence, time and hashes are filled in by the store.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub actor: Option<String>,
    pub actor_region: Option<String>,
    pub action: String,
    pub object: String,
    pub outcome: Outcome,
    pub client: String,
    pub detail: String,
}

impl NewEntry {
    /// An entry for an action taken by the holder of `scope`.
    pub fn by(scope: &Scope, action: &str, object: impl Into<String>, outcome: Outcome) -> Self {
        Self {
            actor: Some(scope.username.clone()),
            actor_region: Some(scope.region.code.to_string()),
            action: action.to_owned(),
            object: object.into(),
            outcome,
            client: scope.client.clone(),
            detail: String::new(),
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// Filters of the auditor's list; empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<Outcome>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<Entry>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

pub struct Audit<'a> {
    store: &'a Store,
}

const COLUMNS: &str =
    "seq, at_ms, actor, actor_region, action, object, outcome, client, detail, prev_hash, hash";

fn entry_from_row(row: &AnyRow) -> Result<Entry> {
    let outcome: String = row.try_get("outcome")?;
    Ok(Entry {
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at_ms")?,
        actor: row.try_get("actor")?,
        actor_region: row.try_get("actor_region")?,
        action: row.try_get("action")?,
        object: row.try_get("object")?,
        // An unknown outcome can only come from a tampered row; `verify` reports it there.
        outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Denied),
        client: row.try_get("client")?,
        detail: row.try_get("detail")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Appends `e` on `conn`, which must be inside a write transaction, chained with the store's
/// audit key when it has one.
pub(crate) async fn append(
    store: &Store,
    conn: &mut AnyConnection,
    now_ms: i64,
    e: NewEntry,
) -> Result<Entry> {
    let row = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let mut entry = Entry {
        seq: row.try_get("seq")?,
        at_ms: now_ms,
        actor: e.actor,
        actor_region: e.actor_region,
        action: e.action,
        // Whatever the caller passed, no whole ID number or bank account is kept.
        object: mask::long_numbers(&e.object).into_owned(),
        outcome: e.outcome,
        client: e.client,
        detail: mask::long_numbers(&e.detail).into_owned(),
        prev_hash: row.try_get("hash")?,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash_with(store.audit_key());
    sqlx::query(
        "INSERT INTO audit_log (seq, at_ms, actor, actor_region, action, object, outcome, client, \
         detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(entry.seq)
    .bind(entry.at_ms)
    .bind(entry.actor.clone())
    .bind(entry.actor_region.clone())
    .bind(entry.action.clone())
    .bind(entry.object.clone())
    .bind(entry.outcome.as_str())
    .bind(entry.client.clone())
    .bind(entry.detail.clone())
    .bind(entry.prev_hash.clone())
    .bind(entry.hash.clone())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(entry.hash.clone())
        .execute(&mut *conn)
        .await?;
    Ok(entry)
}

impl<'a> Audit<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Checks the store's audit key against the database at open: a chain never keyed starts
    /// being keyed with the next entry; a keyed chain needs its own key.
    pub(crate) async fn start_keyed(&self) -> Result<()> {
        let check: Option<String> =
            sqlx::query_scalar("SELECT key_check FROM audit_head WHERE id = 1")
                .fetch_one(self.store.pool())
                .await?;
        match (self.store.audit_key(), check) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(StoreError::Config(
                "此数据库的审计日志以密钥保护，请提供审计密钥（ANJU_AUDIT_KEY，或 --audit-key-file 指向的密钥文件）"
                    .into(),
            )),
            (Some(key), Some(check)) if check == key.check_value() => Ok(()),
            (Some(_), Some(_)) => Err(StoreError::Config(
                "审计密钥与此数据库的审计日志不符：请使用建立审计链时的密钥".into(),
            )),
            (Some(key), None) => {
                let mut tx = self.store.begin_write().await?;
                sqlx::query(
                    "UPDATE audit_head SET key_check = $1, keyed_from = seq + 1 \
                     WHERE id = 1 AND key_check IS NULL",
                )
                .bind(key.check_value())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                // Another process may have started the chain with another key meanwhile.
                Box::pin(self.start_keyed()).await
            }
        }
    }

    /// Writes the chain's head to the anchor file in `dir` (appended, synced to disk) and
    /// returns it. The directory is best on another volume than the database.
    pub async fn anchor_to(&self, dir: &std::path::Path) -> Result<Anchor> {
        use std::io::Write;
        let (seq, hash) = self.head().await?;
        let anchor = Anchor {
            at_ms: self.store.now_ms(),
            seq,
            hash,
        };
        let io = |e: std::io::Error| StoreError::Internal(format!("无法写入审计锚定文件：{e}"));
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(dir.join(ANCHOR_FILE)).map_err(io)?;
        writeln!(f, "{}", anchor.to_line()).map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok(anchor)
    }

    /// Checks that the log still holds every head anchored in `dir`: `Ok(n)` with the number
    /// of anchors, or why not (a log cut short, or an anchored entry changed).
    pub async fn check_anchors(
        &self,
        dir: &std::path::Path,
    ) -> Result<std::result::Result<usize, String>> {
        let path = dir.join(ANCHOR_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => return Ok(Err(format!("无法读取锚定文件 {ANCHOR_FILE}：{e}"))),
        };
        let mut n = 0;
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let Some(a) = Anchor::parse_line(line) else {
                return Ok(Err(format!("锚定文件第{}行格式不对", i + 1)));
            };
            n += 1;
            if a.seq == 0 {
                continue;
            }
            let hash: Option<String> =
                sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                    .bind(a.seq)
                    .fetch_optional(self.store.pool())
                    .await?;
            match hash {
                None => {
                    return Ok(Err(format!(
                        "审计日志已不含锚定的第{}条记录（{}锚定）：日志在此之后被截断",
                        a.seq,
                        crate::beijing_date(a.at_ms)
                    )));
                }
                Some(h) if h != a.hash => {
                    return Ok(Err(format!(
                        "审计日志第{}条与{}锚定的哈希不符：日志被改写",
                        a.seq,
                        crate::beijing_date(a.at_ms)
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(Ok(n))
    }

    /// How many entries of these actions were recorded at or after `since_ms` (benchmarks).
    pub async fn count_since(&self, actions: &[&str], since_ms: i64) -> Result<usize> {
        let mut n = 0;
        for a in actions {
            let c: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND at_ms >= $2",
            )
            .bind((*a).to_owned())
            .bind(since_ms)
            .fetch_one(self.store.pool())
            .await?;
            n += usize::try_from(c).unwrap_or(0);
        }
        Ok(n)
    }

    /// The head of the chain: (sequence, hash) of the last entry.
    pub async fn head(&self) -> Result<(i64, String)> {
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(self.store.pool())
            .await?;
        Ok((head.try_get(0)?, head.try_get(1)?))
    }

    /// Records an action that changed nothing else (a view, an export, a refusal) in a
    /// transaction of its own.
    ///
    /// On SQLite the entry is committed to the audit spool first and taken into the chain at
    /// once if the database is free, later if a long job holds it: a view never waits for an
    /// import, and its record is never lost.
    pub async fn record(&self, entry: NewEntry) -> Result<()> {
        let now = self.store.now_ms();
        if let Some(spool) = self.store.spool() {
            spool.push(now, entry).await?;
            if let Err(e) = self
                .store
                .drain_audit_spool(crate::spool::DRAIN_WAIT_MS)
                .await
            {
                tracing::warn!("audit spool not drained: {e}");
            }
            return Ok(());
        }
        let mut tx = self.store.begin_write().await?;
        append(self.store, &mut tx, now, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The entries an auditor may read: those of actors in the auditor's subtree (entries
    /// with no region, such as failed logins under unknown names, only at province level).
    pub async fn list(&self, scope: &Scope, f: &AuditFilter) -> Result<AuditPage> {
        scope.require(scope.role.reads_audit())?;
        // What waits in the spool is shown too, if the database lets it in now.
        let _ = self.store.drain_audit_spool(200).await;
        let per_page = f.per_page.clamp(1, 500);
        let mut conds = vec![String::from("(actor_region LIKE $1 || '%'")];
        if scope.region.parent.is_none() {
            conds[0].push_str(" OR actor_region IS NULL)");
        } else {
            conds[0].push(')');
        }
        let mut args: Vec<Arg> = vec![Arg::Text(scope.prefix().to_owned())];
        if let Some(a) = f.actor.as_ref().filter(|s| !s.is_empty()) {
            args.push(Arg::Text(a.clone()));
            conds.push(format!("actor = ${}", args.len()));
        }
        if let Some(a) = f.action.as_ref().filter(|s| !s.is_empty()) {
            args.push(Arg::Text(a.clone()));
            conds.push(format!("action LIKE ${} || '%'", args.len()));
        }
        if let Some(o) = f.outcome {
            args.push(Arg::Text(o.as_str().to_owned()));
            conds.push(format!("outcome = ${}", args.len()));
        }
        if let Some(t) = f.from_ms {
            args.push(Arg::Int(t));
            conds.push(format!("at_ms >= ${}", args.len()));
        }
        if let Some(t) = f.to_ms {
            args.push(Arg::Int(t));
            conds.push(format!("at_ms < ${}", args.len()));
        }
        let wh = conds.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) FROM audit_log WHERE {wh}");
        let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql));
        for a in &args {
            q = a.bind_scalar(q);
        }
        let total: i64 = q.fetch_one(self.store.pool()).await?;
        let (page, offset) = crate::sql::clamp_page(f.page, per_page, total);
        let list_sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE {wh} ORDER BY seq DESC LIMIT {per_page} OFFSET {offset}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(list_sql));
        for a in &args {
            q = a.bind(q);
        }
        let rows = q.fetch_all(self.store.pool()).await?;
        let entries = rows.iter().map(entry_from_row).collect::<Result<_>>()?;
        Ok(AuditPage {
            entries,
            total,
            page,
            per_page,
        })
    }

    /// Walks the whole chain in order, in batches. `Ok(n)` when all `n` entries are intact;
    /// otherwise the first broken entry.
    pub async fn verify(&self) -> Result<Result<i64, ChainError>> {
        self.store
            .drain_audit_spool(crate::spool::BUSY_TIMEOUT_MS)
            .await?;
        let head = sqlx::query("SELECT seq, hash, keyed_from FROM audit_head WHERE id = 1")
            .fetch_one(self.store.pool())
            .await?;
        let (head_seq, head_hash): (i64, String) = (head.try_get(0)?, head.try_get(1)?);
        let keyed_from: Option<i64> = head.try_get(2)?;
        let mut verifier = match (keyed_from, self.store.audit_key()) {
            (Some(from), Some(key)) => Verifier::keyed(key.clone(), from),
            _ => Verifier::default(),
        };
        let mut after = i64::MIN;
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000"
            )))
            .bind(after)
            .fetch_all(self.store.pool())
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let e = entry_from_row(row)?;
                if Outcome::parse(&row.try_get::<String, _>("outcome")?).is_none() {
                    return Ok(Err(ChainError::Altered { seq: e.seq }));
                }
                if let Err(err) = verifier.push(&e) {
                    return Ok(Err(err));
                }
                after = e.seq;
            }
        }
        Ok(verifier.finish(head_seq, &head_hash))
    }
}
