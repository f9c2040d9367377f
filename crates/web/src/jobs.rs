//! Imports started from a page run in the background; the page that follows shows their
//! progress (refreshing itself, no script needed) and then their report. A job is visible only
//! to the account that started it. Imports run one at a time per server (one database): the
//! others wait in line, each page showing its place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anju_jobs::{ImportReport, Progress};

#[derive(Debug, Clone)]
pub enum JobState {
    /// Waiting for the imports before it.
    Queued,
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
    /// After a preview: the upload, kept until it is imported for real or swept.
    pub kept: Option<crate::pages::persons::import::Upload>,
    /// Where the job's page sends its owner once the work is done (a cross-check's batch).
    pub next: Option<String>,
}

#[derive(Clone)]
pub struct Jobs(
    Arc<Mutex<HashMap<String, Job>>>,
    /// One import at a time.
    Arc<tokio::sync::Semaphore>,
    /// The jobs waiting for their turn, first first.
    Arc<Mutex<std::collections::VecDeque<String>>>,
);

impl Default for Jobs {
    fn default() -> Self {
        Self(
            Arc::default(),
            Arc::new(tokio::sync::Semaphore::new(1)),
            Arc::default(),
        )
    }
}

impl Jobs {
    /// Runs `work` for job `id` when the imports before it have finished; until then the
    /// job is queued. The work runs on a thread of its own, not on the threads that answer
    /// requests: an import's parsing and checking must not starve the pages.
    pub async fn in_turn<F>(&self, id: &str, work: F) -> F::Output
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if let Ok(mut w) = self.2.lock() {
            w.push_back(id.to_owned());
        }
        self.update(id, |j| j.state = JobState::Queued);
        let permit = self.1.acquire().await;
        if let Ok(mut w) = self.2.lock() {
            w.retain(|x| x != id);
        }
        self.update(id, |j| j.state = JobState::Running(Progress::default()));
        let handle = tokio::runtime::Handle::current();
        let out = match tokio::task::spawn_blocking(move || handle.block_on(work)).await {
            Ok(out) => out,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        drop(permit);
        out
    }

    /// A queued job's place in line, from 1.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.2
            .lock()
            .ok()
            .and_then(|w| w.iter().position(|x| x == id))
            .map(|i| i + 1)
    }

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

    fn job() -> Job {
        Job {
            owner: 1,
            file_name: "a.csv".into(),
            state: JobState::Running(Progress::default()),
            errors_file: None,
            back: "/".into(),
            kept: None,
            next: None,
        }
    }

    #[tokio::test]
    async fn imports_run_one_at_a_time_in_the_order_they_came() {
        let jobs = Jobs::default();
        for id in ["a", "b", "c"] {
            jobs.insert(id.into(), job());
        }
        let (release_a, hold_a) = tokio::sync::oneshot::channel::<()>();
        let order = Arc::new(Mutex::new(Vec::new()));
        let run = |id: &'static str, hold: Option<tokio::sync::oneshot::Receiver<()>>| {
            let jobs = jobs.clone();
            let order = order.clone();
            tokio::spawn(async move {
                jobs.clone()
                    .in_turn(id, async move {
                        order.lock().unwrap().push(id);
                        if let Some(h) = hold {
                            let _ = h.await;
                        }
                    })
                    .await;
            })
        };
        let a = run("a", Some(hold_a));
        while order.lock().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
        let b = run("b", None);
        let c = run("c", None);
        while jobs.position("c").is_none() || jobs.position("b").is_none() {
            tokio::task::yield_now().await;
        }
        assert_eq!((jobs.position("b"), jobs.position("c")), (Some(1), Some(2)));
        assert!(matches!(jobs.get("c", 1).unwrap().state, JobState::Queued));
        assert_eq!(jobs.running(), 1);
        release_a.send(()).unwrap();
        for t in [a, b, c] {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec!["a", "b", "c"]);
        assert_eq!(jobs.position("c"), None);
    }

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
