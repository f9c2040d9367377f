//! Imports started from a page run in the background; the page that follows shows their
//! progress (refreshing itself, no script needed) and then their report. A job is visible only
//! to the account that started it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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

    /// The job, if it exists and belongs to `owner`.
    pub fn get(&self, id: &str, owner: i64) -> Option<Job> {
        self.0
            .lock()
            .ok()
            .and_then(|m| m.get(id).filter(|j| j.owner == owner).cloned())
    }
}
