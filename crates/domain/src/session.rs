//! Session and login-lockout rules (reference §11: lockout after failed logins, idle timeout).
//!
//! Times are seconds since the Unix epoch, passed in by the caller. The values are settings
//! with these defaults: 30 minutes idle, 12 hours at most, 5 failures lock for 15 minutes.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle_secs: i64,
    pub absolute_secs: i64,
    pub max_failures: i64,
    pub lockout_secs: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_secs: 30 * 60,
            absolute_secs: 12 * 60 * 60,
            max_failures: 5,
            lockout_secs: 15 * 60,
        }
    }
}

impl SessionPolicy {
    /// A session created at `created` and last used at `last_seen` is still alive at `now`.
    pub fn is_alive(&self, created: i64, last_seen: i64, now: i64) -> bool {
        now - last_seen < self.idle_secs && now - created < self.absolute_secs
    }

    /// After `failures` consecutive failed logins ending at `now`, the account is locked
    /// until the returned time (if at all).
    pub fn lock_after(&self, failures: i64, now: i64) -> Option<i64> {
        (failures >= self.max_failures).then_some(now + self.lockout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_and_absolute_limits() {
        let p = SessionPolicy::default();
        assert!(p.is_alive(0, 0, 29 * 60));
        assert!(!p.is_alive(0, 0, 30 * 60));
        // Kept busy, a session still ends after twelve hours.
        assert!(p.is_alive(0, 12 * 3600 - 60, 12 * 3600 - 1));
        assert!(!p.is_alive(0, 12 * 3600 - 60, 12 * 3600));
    }

    #[test]
    fn the_fifth_failure_locks_for_fifteen_minutes() {
        let p = SessionPolicy::default();
        assert_eq!(p.lock_after(4, 100), None);
        assert_eq!(p.lock_after(5, 100), Some(100 + 900));
    }
}
