//! Imports started from a page run in the background; the page that follows shows their
//! progress (refreshing itself, no script needed) and then their report. A job is visible only
//! to the account that started it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anju_jobs::{ImportReport, Progress};

#[derive(Debug, Clone)]
pub enum JobState {
    Running(Progress),
    Done(ImportReport),
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct Job {
    pub owner: i64,
    pub file_name: String,
    pub state: JobState,
    pub errors_file: Option<PathBuf>,
    /// The page to import another file from.
    pub back: String,
}

#[derive(Clone, Default)]
pub struct Jobs(Arc<Mutex<HashMap<String, Job>>>);

impl Jobs {
    pub fn insert(&self, id: String, job: Job) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(id, job);
        }
    }

    pub fn update(&self, id: &str, f: impl FnOnce(&mut Job)) {
        if let Ok(mut m) = self.0.lock()
            && let Some(j) = m.get_mut(id)
        {
            f(j);
        }
    }

    /// How many jobs are running now.
    pub fn running(&self) -> usize {
        self.0.lock().map_or(0, |m| {
            m.values()
                .filter(|j| matches!(j.state, JobState::Running(_)))
                .count()
        })
    }

    /// The job, if it exists and belongs to `owner`.
    pub fn get(&self, id: &str, owner: i64) -> Option<Job> {
        self.0
            .lock()
            .ok()
            .and_then(|m| m.get(id).filter(|j| j.owner == owner).cloned())
    }
}

/// How long uploads, error sheets and exports may stay in the work directory.
pub const WORK_FILE_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Deletes files in `dir` last changed longer than `max_age` ago; returns how many. Error
/// sheets hold personal data: they are kept a day for the clerk to download, no longer.
pub fn sweep_work_dir(dir: &Path, max_age: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    entries
        .flatten()
        .filter(|e| {
            e.metadata()
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| m.modified().ok())
                .is_some_and(|t| now.duration_since(t).is_ok_and(|age| age > max_age))
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn old_work_files_are_swept_and_new_ones_kept() {
        let dir = std::env::temp_dir().join(format!("anju-sweep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let old = dir.join("errors-old.xlsx");
        let new = dir.join("errors-new.xlsx");
        std::fs::write(&old, b"x").unwrap();
        std::fs::write(&new, b"x").unwrap();
        let f = std::fs::File::options().write(true).open(&old).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(2 * 24 * 3600))
            .unwrap();
        assert_eq!(sweep_work_dir(&dir, WORK_FILE_LIFETIME), 1);
        assert!(!old.exists() && new.exists());
        assert_eq!(sweep_work_dir(&dir.join("missing"), WORK_FILE_LIFETIME), 0);
        let _ = std::fs::remove_dir_all(dir);
    }
}
