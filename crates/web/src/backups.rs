//! The server's daily backup (`serve --backup-dir DIR --backup-keep N`): taken when the newest
//! backup in the directory is a day old or there is none, the oldest beyond N removed.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anju_store::Store;

const PREFIX: &str = "anju-backup-";

/// The backups in `dir`, oldest first (their names sort by time).
pub fn list(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(".zip"))
        })
        .collect();
    found.sort();
    found
}

fn newest_age(dir: &Path) -> Option<Duration> {
    let newest = list(dir).pop()?;
    let modified = std::fs::metadata(newest).ok()?.modified().ok()?;
    SystemTime::now().duration_since(modified).ok()
}

/// Takes today's backup if it is due, and keeps the newest `keep`.
pub async fn daily(store: &Store, dir: &Path, keep: usize) {
    if newest_age(dir).is_some_and(|age| age < Duration::from_secs(23 * 3600)) {
        return;
    }
    if let Err(e) = anju_io::private::create_dir(dir) {
        tracing::error!("backup directory not made: {e}");
        return;
    }
    let stamp = chrono::DateTime::from_timestamp_millis(store.now_ms() + 8 * 3_600_000)
        .map(|t| t.format("%Y%m%d-%H%M%S").to_string())
        .unwrap_or_default();
    let out = dir.join(format!("{PREFIX}{stamp}.zip"));
    match store.backup(&out).await {
        Ok(m) => {
            tracing::info!(file = %out.display(), audit_seq = m.audit_seq, "daily backup taken")
        }
        Err(e) => {
            tracing::error!("daily backup failed: {e}");
            return;
        }
    }
    let all = list(dir);
    for old in all.iter().take(all.len().saturating_sub(keep)) {
        let _ = std::fs::remove_file(old);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use anju_store::Backend;
    use anju_store::testing::TestDb;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_backup_a_day_and_only_the_newest_kept() {
        let db = TestDb::new(Backend::Sqlite).await.unwrap();
        let store = db.open().await;
        let dir = std::env::temp_dir().join(format!("anju-daily-{}", anju_store::random_token()));
        super::daily(&store, &dir, 2).await;
        super::daily(&store, &dir, 2).await;
        assert_eq!(super::list(&dir).len(), 1, "not again the same day");
        // The one taken made to look two days old, beside two older: a new one is due, and
        // the two newest are kept.
        let taken = super::list(&dir).pop().unwrap();
        let aged = dir.join("anju-backup-20200103-000000.zip");
        std::fs::rename(&taken, &aged).unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(&aged)
            .unwrap()
            .set_modified(old)
            .unwrap();
        for name in [
            "anju-backup-20200101-000000.zip",
            "anju-backup-20200102-000000.zip",
        ] {
            std::fs::copy(&aged, dir.join(name)).unwrap();
        }
        super::daily(&store, &dir, 2).await;
        let kept = super::list(&dir);
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert_eq!(kept[0], aged);
        let age = std::fs::metadata(&kept[1])
            .unwrap()
            .modified()
            .unwrap()
            .elapsed()
            .unwrap();
        assert!(age.as_secs() < 3600, "a fresh one was taken");
        let _ = std::fs::remove_dir_all(dir);
    }
}
