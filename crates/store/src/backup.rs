//! Backups that can be trusted, and restores that check them before they say so.
//!
//! A backup is one ZIP file: the database (SQLite's `VACUUM INTO`, a consistent copy taken
//! while the server runs; on PostgreSQL, `pg_dump --format=custom` of a snapshot) and
//! `manifest.json` with the row count of every table and the audit chain's head, read from
//! that same copy or snapshot. A restore goes into an empty target only; it unpacks, checks
//! the payload's SHA-256, the row counts, the audit chain (with the deployment's audit key)
//! and its head against the manifest, and only then puts the database in place. Anything
//! amiss leaves the target as it was. The audit key is not in the backup: keep it apart.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anju_domain::audit::AuditKey;
use anju_domain::session::SessionPolicy;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Connection, Row};

use crate::{Backend, Result, Store, StoreError, SystemClock};

const MANIFEST: &str = "manifest.json";
/// The files SQLite and the audit spool keep beside a database file.
const SIDE_FILES: [&str; 5] = [
    "-wal",
    "-shm",
    ".audit-spool",
    ".audit-spool-wal",
    ".audit-spool-shm",
];
const SQLITE_PAYLOAD: &str = "anju.db";
const POSTGRES_PAYLOAD: &str = "anju.pgdump";

/// What a backup holds, written beside the database in the archive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Manifest {
    pub format: u32,
    pub engine: String,
    pub anju_version: String,
    pub created_at_ms: i64,
    /// Rows per table, as the copy holds them.
    pub tables: BTreeMap<String, i64>,
    pub audit_seq: i64,
    pub audit_hash: String,
    /// The database file's name in the archive and its SHA-256.
    pub payload: String,
    pub payload_sha256: String,
}

/// Where a restore goes: a SQLite file that does not exist yet (or is empty), or an empty
/// PostgreSQL database.
#[derive(Debug, Clone)]
pub enum RestoreTarget {
    Sqlite(PathBuf),
    Postgres(String),
}

fn io(what: &str) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Internal(format!("{what}：{e}"))
}

fn zip_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::invalid(format!("备份文件不是完整的安居备份：{e}"))
}

/// Row counts of every table and the audit head, on one connection (inside whatever
/// transaction or snapshot it holds).
async fn census(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<(BTreeMap<String, i64>, i64, String)> {
    let names: Vec<String> = match backend {
        Backend::Sqlite => {
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(&mut *conn)
            .await?
        }
        Backend::Postgres => {
            sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                 ORDER BY table_name",
            )
            .fetch_all(&mut *conn)
            .await?
        }
    };
    let mut tables = BTreeMap::new();
    for name in names {
        // Names come from the catalogue, quoted as identifiers.
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM \"{}\"",
            name.replace('"', "\"\"")
        )))
        .fetch_one(&mut *conn)
        .await?;
        tables.insert(name, n);
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok((tables, head.try_get(0)?, head.try_get(1)?))
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(io("无法读取备份内容"))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io("无法读取备份内容"))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Packs the manifest and the payload into `out` (written beside it, then renamed).
fn pack(out: &Path, manifest: &Manifest, payload: &Path) -> Result<()> {
    let part = out.with_extension("zip.part");
    let result = (|| {
        let file = anju_create_private(&part)?;
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true)
            .unix_permissions(0o600);
        zip.start_file(MANIFEST, opts).map_err(zip_err)?;
        let json =
            serde_json::to_vec_pretty(manifest).map_err(|e| StoreError::Internal(e.to_string()))?;
        zip.write_all(&json).map_err(io("无法写入备份"))?;
        zip.start_file(manifest.payload.as_str(), opts)
            .map_err(zip_err)?;
        let mut src = std::fs::File::open(payload).map_err(io("无法读取数据库副本"))?;
        std::io::copy(&mut src, &mut zip).map_err(io("无法写入备份"))?;
        let mut inner = zip.finish().map_err(zip_err)?;
        inner.flush().map_err(io("无法写入备份"))?;
        inner
            .into_inner()
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .sync_all()
            .map_err(io("无法写入备份"))?;
        std::fs::rename(&part, out).map_err(io("无法写入备份"))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result
}

/// A file only its owner may read (the store does not depend on the io crate).
fn anju_create_private(path: &Path) -> Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path).map_err(io("无法创建备份文件"))
}

impl Store {
    /// Takes a consistent backup into `out` while the platform runs. Returns its manifest.
    pub async fn backup(&self, out: &Path) -> Result<Manifest> {
        // What waits in the audit spool belongs in the copy.
        self.drain_audit_spool(crate::spool::BUSY_TIMEOUT_MS)
            .await?;
        let dir = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let copy = dir.join(format!(".anju-backup-{}.tmp", crate::random_token()));
        let result = match self.backend() {
            Backend::Sqlite => self.backup_sqlite(&copy).await,
            Backend::Postgres => self.backup_postgres(&copy).await,
        };
        let result = match result {
            Ok(mut manifest) => {
                manifest.payload_sha256 = sha256_file(&copy)?;
                pack(out, &manifest, &copy).map(|()| manifest)
            }
            Err(e) => Err(e),
        };
        let _ = std::fs::remove_file(&copy);
        result
    }

    fn manifest(
        &self,
        tables: BTreeMap<String, i64>,
        seq: i64,
        hash: String,
        payload: &str,
    ) -> Manifest {
        Manifest {
            format: 1,
            engine: self.backend().as_str().to_owned(),
            anju_version: env!("CARGO_PKG_VERSION").to_owned(),
            created_at_ms: self.now_ms(),
            tables,
            audit_seq: seq,
            audit_hash: hash,
            payload: payload.to_owned(),
            payload_sha256: String::new(),
        }
    }

    async fn backup_sqlite(&self, copy: &Path) -> Result<Manifest> {
        sqlx::query("VACUUM INTO $1")
            .bind(copy.display().to_string())
            .execute(self.pool())
            .await?;
        let url = format!("sqlite://{}?mode=ro", copy.display());
        let mut conn = AnyConnection::connect(&url).await?;
        let (tables, seq, hash) = census(&mut conn, Backend::Sqlite).await?;
        conn.close().await?;
        Ok(self.manifest(tables, seq, hash, SQLITE_PAYLOAD))
    }

    async fn backup_postgres(&self, copy: &Path) -> Result<Manifest> {
        let url = self.url().to_owned();
        let mut conn = self.pool().acquire().await?;
        sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *conn)
            .await?;
        let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut *conn)
            .await?;
        let (tables, seq, hash) = census(&mut conn, Backend::Postgres).await?;
        // pg_dump reads the very snapshot counted above, while this transaction holds it.
        let dumped = tokio::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--no-privileges"])
            .arg(format!("--snapshot={snapshot}"))
            .arg("--file")
            .arg(copy)
            .arg("--dbname")
            .arg(&url)
            .output()
            .await;
        let _ = sqlx::query("COMMIT").execute(&mut *conn).await;
        let out = dumped.map_err(|e| {
            StoreError::Config(format!(
                "PostgreSQL 的备份需要 pg_dump（Debian 的 postgresql-client 软件包）：{e}"
            ))
        })?;
        if !out.status.success() {
            return Err(StoreError::Internal(format!(
                "pg_dump 失败：{}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(self.manifest(tables, seq, hash, POSTGRES_PAYLOAD))
    }
}

/// Reads a backup's manifest and unpacks its payload to `to`.
fn unpack(file: &Path, to: &Path) -> Result<Manifest> {
    let f = std::fs::File::open(file)
        .map_err(|e| StoreError::invalid(format!("无法打开备份文件：{e}")))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(f)).map_err(zip_err)?;
    let manifest: Manifest = {
        let m = zip.by_name(MANIFEST).map_err(zip_err)?;
        let mut text = String::new();
        m.take(1 << 20).read_to_string(&mut text).map_err(zip_err)?;
        serde_json::from_str(&text).map_err(zip_err)?
    };
    if manifest.format != 1
        || ![SQLITE_PAYLOAD, POSTGRES_PAYLOAD].contains(&manifest.payload.as_str())
    {
        return Err(StoreError::invalid("备份文件的格式不是本版本能恢复的"));
    }
    let mut payload = zip.by_name(&manifest.payload).map_err(zip_err)?;
    let mut out = anju_create_private(to)?;
    std::io::copy(&mut payload, &mut out).map_err(zip_err)?;
    out.sync_all().map_err(io("无法写入恢复的数据库"))?;
    if sha256_file(to)? != manifest.payload_sha256 {
        return Err(StoreError::invalid(
            "备份中的数据库与清单的校验值不符：备份已损坏或被改动",
        ));
    }
    Ok(manifest)
}

/// Compares a restored database with its manifest: every table's rows, the audit head, and
/// the whole audit chain (keyed when the deployment keys it).
async fn check_restored(
    url: &str,
    backend: Backend,
    m: &Manifest,
    key: Option<AuditKey>,
) -> Result<i64> {
    let mut conn = AnyConnection::connect(url).await?;
    let (tables, seq, hash) = census(&mut conn, backend).await?;
    conn.close().await?;
    for (table, n) in &m.tables {
        let found = tables.get(table).copied();
        if found != Some(*n) {
            return Err(StoreError::invalid(format!(
                "恢复的表 {table} 有{}行，清单记录为{n}行",
                found.map_or_else(|| "0（表不存在）".to_owned(), |f| f.to_string())
            )));
        }
    }
    if seq != m.audit_seq || hash != m.audit_hash {
        return Err(StoreError::invalid("恢复的审计日志末尾与清单不符"));
    }
    let store = Store::open_full(url, Arc::new(SystemClock), SessionPolicy::default(), key).await?;
    let verified = store.audit().verify().await;
    store.close().await;
    match verified? {
        Ok(n) => Ok(n),
        Err(e) => Err(StoreError::invalid(format!("恢复的审计日志校验失败：{e}"))),
    }
}

/// Restores a backup into an empty target, checking it before it is put in place. Returns the
/// manifest and the number of audit entries verified.
pub async fn restore(
    file: &Path,
    target: &RestoreTarget,
    key: Option<AuditKey>,
) -> Result<(Manifest, i64)> {
    sqlx::any::install_default_drivers();
    match target {
        RestoreTarget::Sqlite(db) => {
            if std::fs::metadata(db).is_ok_and(|m| m.len() > 0) {
                return Err(StoreError::invalid(format!(
                    "目标数据目录中已有数据库（{}），恢复只写入空的数据目录",
                    db.file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                )));
            }
            let staged = db.with_extension("db.restoring");
            let result = async {
                let m = unpack(file, &staged)?;
                if m.engine != "sqlite" {
                    return Err(StoreError::invalid("这是 PostgreSQL 的备份，请用 --database-url 指定一个空的 PostgreSQL 数据库来恢复"));
                }
                let url = format!("sqlite://{}", staged.display());
                let n = check_restored(&url, Backend::Sqlite, &m, key).await?;
                for suffix in SIDE_FILES {
                    let _ = std::fs::remove_file(format!("{}{suffix}", staged.display()));
                }
                std::fs::rename(&staged, db).map_err(io("无法放置恢复的数据库"))?;
                Ok((m, n))
            }
            .await;
            if result.is_err() {
                let _ = std::fs::remove_file(&staged);
                for suffix in SIDE_FILES {
                    let _ = std::fs::remove_file(format!("{}{suffix}", staged.display()));
                }
            }
            result
        }
        RestoreTarget::Postgres(url) => {
            let mut conn = AnyConnection::connect(url).await?;
            let existing: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
            )
            .fetch_one(&mut conn)
            .await?;
            conn.close().await?;
            if existing > 0 {
                return Err(StoreError::invalid(
                    "目标 PostgreSQL 数据库不是空的，恢复只写入空数据库",
                ));
            }
            let staged =
                std::env::temp_dir().join(format!("anju-restore-{}.pgdump", crate::random_token()));
            let result = async {
                let m = unpack(file, &staged)?;
                if m.engine != "postgres" {
                    return Err(StoreError::invalid(
                        "这是 SQLite 的备份，请恢复到空的数据目录（不指定 --database-url）",
                    ));
                }
                let out = tokio::process::Command::new("pg_restore")
                    .args([
                        "--no-owner",
                        "--no-privileges",
                        "--exit-on-error",
                        "--dbname",
                    ])
                    .arg(url)
                    .arg(&staged)
                    .output()
                    .await
                    .map_err(|e| {
                        StoreError::Config(format!("恢复 PostgreSQL 备份需要 pg_restore：{e}"))
                    })?;
                if !out.status.success() {
                    return Err(StoreError::Internal(format!(
                        "pg_restore 失败：{}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    )));
                }
                let n = check_restored(url, Backend::Postgres, &m, key).await?;
                Ok((m, n))
            }
            .await;
            let _ = std::fs::remove_file(&staged);
            if result.is_err() {
                // Back to empty, as it was.
                if let Ok(mut conn) = AnyConnection::connect(url).await {
                    let _ = sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            }
            result
        }
    }
}
