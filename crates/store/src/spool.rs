//! The audit spool: records of views, searches, exports and logins go first to a spool, and
//! from there into the hash chain, in order, as soon as the chain takes a write.
//!
//! SQLite has one writer at a time. While a long job (an import, a roll) holds the main
//! database, a page view must still answer at once, and its audit record must still not be
//! lost: it is committed to the spool (its own file, its own lock, synchronous) before the
//! view is answered, and drained into the chain in order, in one transaction with a marker
//! in `audit_head` (`spooled_upto`), so that a crash between the two never appends an entry
//! twice. PostgreSQL locks rows, not the database, but every append locks the chain's head:
//! there the spool is a table (`audit_spool`) that fifty views write at once, and a drain
//! takes hundreds of them into the chain under one lock of the head.
//!
//! The same file holds what logins write on SQLite (sessions and failed passwords), so that
//! a person can log in while an import runs: [`Store::live`] is that file's pool on SQLite
//! and the main pool on PostgreSQL, where the same tables live in the main schema.

use std::time::Duration;

use anju_domain::audit::Outcome;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};

use crate::audit::{NewEntry, append};
use crate::{Result, Store, StoreError};

/// How long a drain after a record waits for the main database before leaving the spool for
/// the server's drain every two seconds: not at all, so a view never waits for a long job.
pub(crate) const DRAIN_WAIT_MS: u64 = 0;
/// The main database's wait for a write lock, restored after a drain's shorter one.
pub(crate) const BUSY_TIMEOUT_MS: u64 = 5_000;

pub(crate) struct Spool {
    pool: AnyPool,
    /// The spool is the main PostgreSQL database's table (or a SQLite file of its own).
    postgres: bool,
    /// One drain at a time.
    draining: tokio::sync::Mutex<()>,
}

/// The spool's file for a main SQLite URL (`sqlite://path?…`), or none for a database in
/// memory.
fn spool_url(main: &str) -> Option<String> {
    let path = main.strip_prefix("sqlite://")?.split('?').next()?;
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    Some(format!("sqlite://{path}.audit-spool?mode=rwc"))
}

impl Spool {
    /// The spool of a PostgreSQL database: its own table.
    pub(crate) fn postgres(pool: AnyPool) -> Spool {
        Spool {
            pool,
            postgres: true,
            draining: tokio::sync::Mutex::new(()),
        }
    }

    /// Opens (or creates) the spool beside the main database; its numbering continues after
    /// whatever the chain has already taken from a spool, even if the file was lost.
    pub(crate) async fn open(main_url: &str, spooled_upto: i64) -> Result<Option<Spool>> {
        let Some(url) = spool_url(main_url) else {
            return Ok(None);
        };
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(&url)
            .await
            .map_err(|e| StoreError::Connect(format!("审计暂存库：{e}")))?;
        sqlx::raw_sql(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             CREATE TABLE IF NOT EXISTS audit_spool (id INTEGER PRIMARY KEY AUTOINCREMENT, \
             at_ms BIGINT NOT NULL, actor TEXT, actor_region TEXT, action TEXT NOT NULL, \
             object TEXT NOT NULL, outcome TEXT NOT NULL, client TEXT NOT NULL, \
             detail TEXT NOT NULL); \
             CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, \
             user_id BIGINT NOT NULL, kind TEXT NOT NULL, csrf_token TEXT NOT NULL, \
             created_at BIGINT NOT NULL, last_seen_at BIGINT NOT NULL); \
             CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id); \
             CREATE TABLE IF NOT EXISTS login_failures (user_id BIGINT NOT NULL, \
             client TEXT NOT NULL, failures BIGINT NOT NULL DEFAULT 0, locked_until BIGINT, \
             last_at BIGINT NOT NULL, PRIMARY KEY (user_id, client));",
        )
        .execute(&pool)
        .await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = 'audit_spool'")
                .fetch_optional(&pool)
                .await?;
        if last.unwrap_or(0) < spooled_upto {
            sqlx::query("DELETE FROM sqlite_sequence WHERE name = 'audit_spool'")
                .execute(&pool)
                .await?;
            sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES ('audit_spool', $1)")
                .bind(spooled_upto)
                .execute(&pool)
                .await?;
        }
        Ok(Some(Spool {
            pool,
            postgres: false,
            draining: tokio::sync::Mutex::new(()),
        }))
    }

    /// Commits an entry to the spool (long numbers masked already: the spool is on disk).
    pub(crate) async fn push(&self, at_ms: i64, e: NewEntry) -> Result<()> {
        let object = anju_domain::mask::long_numbers(&e.object).into_owned();
        let detail = anju_domain::mask::long_numbers(&e.detail).into_owned();
        sqlx::query(
            "INSERT INTO audit_spool (at_ms, actor, actor_region, action, object, outcome, client, \
             detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(at_ms)
        .bind(e.actor)
        .bind(e.actor_region)
        .bind(e.action)
        .bind(object)
        .bind(e.outcome.as_str())
        .bind(e.client)
        .bind(detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn pending(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_spool")
            .fetch_one(&self.pool)
            .await?)
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

impl Store {
    /// Moves spooled entries into the chain, waiting at most `wait_ms` for the main database.
    /// Returns how many moved (0 when the database stayed busy: they wait for the next try).
    /// One drain runs at a time: a call that may not wait (`wait_ms` 0) returns at once while
    /// another runs; one that may, waits for it and drains what is left.
    pub async fn drain_audit_spool(&self, wait_ms: u64) -> Result<usize> {
        let Some(spool) = self.spool() else {
            return Ok(0);
        };
        let _turn = if wait_ms == 0 {
            match spool.draining.try_lock() {
                Ok(g) => g,
                Err(_) => return Ok(0),
            }
        } else {
            spool.draining.lock().await
        };
        let mut moved = 0;
        loop {
            match self.drain_once(spool, wait_ms).await {
                Ok(n) => {
                    moved += n;
                    if n < 1000 {
                        return Ok(moved);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn drain_once(&self, spool: &Spool, wait_ms: u64) -> Result<usize> {
        let mut conn = self.pool().acquire().await?;
        if !spool.postgres {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "PRAGMA busy_timeout = {wait_ms}"
            )))
            .execute(&mut *conn)
            .await?;
        }
        let result = async {
            let begin = if spool.postgres {
                "BEGIN"
            } else {
                "BEGIN IMMEDIATE"
            };
            let mut tx = match sqlx::Connection::begin_with(&mut *conn, begin).await {
                Ok(tx) => tx,
                Err(e) => {
                    return match StoreError::from(e) {
                        StoreError::Busy => Ok(0),
                        e => Err(e),
                    };
                }
            };
            // The chain's head, locked (PostgreSQL; SQLite's lock is the whole database).
            let lock = match (spool.postgres, wait_ms) {
                (false, _) => "",
                (true, 0) => " FOR UPDATE NOWAIT",
                (true, _) => " FOR UPDATE",
            };
            let upto = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT spooled_upto FROM audit_head WHERE id = 1{lock}"
            )))
            .fetch_one(&mut *tx)
            .await;
            let upto = match upto {
                Ok(u) => u,
                Err(e) => {
                    return match StoreError::from(e) {
                        StoreError::Busy => Ok(0),
                        e => Err(e),
                    };
                }
            };
            const COLUMNS: &str =
                "id, at_ms, actor, actor_region, action, object, outcome, client, detail";
            let mut rows = if spool.postgres {
                // In the same database: taken out of the spool in the chain's own transaction.
                // (Concurrent inserts may commit out of id order there, so no high-water mark.)
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM audit_spool WHERE id IN \
                     (SELECT id FROM audit_spool ORDER BY id LIMIT 1000) RETURNING {COLUMNS}"
                )))
                .fetch_all(&mut *tx)
                .await?
            } else {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM audit_spool WHERE id > $1 ORDER BY id LIMIT 1000"
                )))
                .bind(upto)
                .fetch_all(&spool.pool)
                .await?
            };
            rows.sort_by_key(|r| r.try_get::<i64, _>("id").unwrap_or_default());
            let Some(last) = rows.last().map(|r| r.try_get::<i64, _>("id")).transpose()? else {
                return Ok(0);
            };
            for r in &rows {
                let outcome: String = r.try_get("outcome")?;
                let entry = NewEntry {
                    actor: r.try_get("actor")?,
                    actor_region: r.try_get("actor_region")?,
                    action: r.try_get("action")?,
                    object: r.try_get("object")?,
                    outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Failure),
                    client: r.try_get("client")?,
                    detail: r.try_get("detail")?,
                };
                append(self, &mut tx, r.try_get("at_ms")?, entry).await?;
            }
            sqlx::query("UPDATE audit_head SET spooled_upto = $1 WHERE id = 1")
                .bind(last)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            if !spool.postgres {
                // Taken into the chain: the spool's copies may go (again, after a crash).
                sqlx::query("DELETE FROM audit_spool WHERE id <= $1")
                    .bind(last)
                    .execute(&spool.pool)
                    .await?;
            }
            Ok(rows.len())
        }
        .await;
        if !spool.postgres {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"
            )))
            .execute(&mut *conn)
            .await;
        }
        result
    }

    /// Entries waiting in the spool.
    pub async fn audit_spool_pending(&self) -> Result<i64> {
        match self.spool() {
            Some(s) => s.pending().await,
            None => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::spool_url;

    #[test]
    fn the_spool_lives_beside_the_database_file() {
        assert_eq!(
            spool_url("sqlite:///d/anju.db?mode=rwc").as_deref(),
            Some("sqlite:///d/anju.db.audit-spool?mode=rwc")
        );
        assert_eq!(spool_url("sqlite::memory:"), None);
        assert_eq!(spool_url("postgres://h/d"), None);
    }
}
