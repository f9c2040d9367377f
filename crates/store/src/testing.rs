//! Fresh databases for tests: a temporary SQLite file, or a uniquely named PostgreSQL
//! database on the server named by `ANJU_TEST_POSTGRES_URL`, dropped when the test ends.
//!
//! The PostgreSQL suite runs when that variable is set. Asked for and unreachable, it fails:
//! it never skips silently.

use std::path::PathBuf;
use std::sync::Arc;

use anju_domain::session::SessionPolicy;
use rand::Rng;
use sqlx::Connection;

use crate::{Backend, Clock, Store, SystemClock};

pub const ENV_POSTGRES: &str = "ANJU_TEST_POSTGRES_URL";
/// The first administrator's password in tests.
pub const ADMIN_PASSWORD: &str = "Test-Root-Pass-2026";

/// A test database; removed (file) or dropped (PostgreSQL) on drop.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    file: Option<PathBuf>,
    pg_admin: Option<(String, String)>,
}

fn unique(prefix: &str) -> String {
    let n: u64 = rand::thread_rng().r#gen();
    format!("{prefix}_{}_{n:016x}", std::process::id())
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl TestDb {
    /// A database of `backend`, or `None` for PostgreSQL when its suite was not asked for.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let file = std::env::temp_dir().join(format!("{}.db", unique("anju_test")));
                Some(TestDb {
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                    backend,
                    file: Some(file),
                    pg_admin: None,
                })
            }
            Backend::Postgres => {
                let admin = std::env::var(ENV_POSTGRES).ok().filter(|s| !s.is_empty())?;
                let name = unique("anju_test");
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("{ENV_POSTGRES} is set but PostgreSQL cannot be reached: {e}")
                    });
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
                let _ = conn.close().await;
                Some(TestDb {
                    url: with_database(&admin, &name),
                    backend,
                    file: None,
                    pg_admin: Some((admin, name)),
                })
            }
        }
    }

    pub async fn open(&self) -> Store {
        self.open_with(Arc::new(SystemClock)).await
    }

    pub async fn open_with(&self, clock: Arc<dyn Clock>) -> Store {
        let store = Store::open_with(&self.url, clock, SessionPolicy::default())
            .await
            .unwrap_or_else(|e| panic!("cannot open test database: {e}"));
        store
            .users()
            .bootstrap(Some(ADMIN_PASSWORD.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("cannot bootstrap test database: {e}"));
        store
    }

    /// Runs `sql` directly, bypassing the store (tests that play a rogue administrator).
    pub async fn execute_raw(&self, sql: &str) {
        execute_raw(&self.url, sql).await;
    }
}

/// Runs `sql` on the database at `url`, bypassing the store.
pub async fn execute_raw(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("raw SQL failed: {e}\n{sql}"));
    pool.close().await;
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(f) = &self.file {
            for suffix in [
                "",
                "-wal",
                "-shm",
                ".audit-spool",
                ".audit-spool-wal",
                ".audit-spool-shm",
            ] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
        if let Some((admin, name)) = self.pg_admin.take() {
            // Drop may run inside a runtime; a thread of its own keeps it out of the way.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async {
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut c)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Declares a test that runs on SQLite and, when asked for, again on PostgreSQL:
/// `contract!(name, |db: TestDb| async move { ... });`
#[macro_export]
macro_rules! contract {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::testing::TestDb::new($crate::Backend::Sqlite)
                    .await
                    .expect("SQLite is always available");
                ($body)(db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::testing::TestDb::new($crate::Backend::Postgres).await else {
                    eprintln!(
                        "PostgreSQL suite not requested ({} unset)",
                        $crate::testing::ENV_POSTGRES
                    );
                    return;
                };
                ($body)(db).await;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_swapped() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "y"),
            "postgres://u:p@h/y?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "z"), "postgres://h/z");
    }
}
