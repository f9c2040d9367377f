//! Session and login-lockout rules (reference §11: lockout after failed logins, idle timeout).
//!
//! Times are seconds since the Unix epoch, passed in by the caller. The values are settings
//! with these defaults: 30 minutes idle, 12 hours at most; 5 failed passwords from one address
//! lock the account for that address for 15 minutes, and 50 in a row from any addresses lock
//! it everywhere (so that nobody can lock an administrator out by guessing from afar, and a
//! spray from many addresses still ends); 30 login attempts a minute from one address at most;
//! a user whose searches by whole ID number miss more than 20 times in an hour is flagged to
//! the auditors (someone confirming guessed numbers).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle_secs: i64,
    pub absolute_secs: i64,
    /// Failed passwords for one account from one address before that address is locked out.
    pub max_failures: i64,
    /// Failed passwords for one account, from any addresses, before it is locked everywhere.
    pub max_failures_any_address: i64,
    pub lockout_secs: i64,
    /// Login attempts one address may make in a minute, whatever the accounts.
    pub attempts_per_minute: i64,
    /// Searches by whole ID number that found nothing, in an hour, before a user is flagged.
    pub id_search_misses_per_hour: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_secs: 30 * 60,
            absolute_secs: 12 * 60 * 60,
            max_failures: 5,
            max_failures_any_address: 50,
            lockout_secs: 15 * 60,
            attempts_per_minute: 30,
            id_search_misses_per_hour: 20,
        }
    }
}

/// The settings an administrator may change, by name: (name, Chinese label).
pub const SETTINGS: [(&str, &str); 7] = [
    ("idle_minutes", "会话空闲超时（分钟）"),
    ("absolute_hours", "会话最长时间（小时）"),
    ("lock_after_failures", "同一地址连续密码错误几次锁定"),
    (
        "lock_everywhere_after_failures",
        "所有地址累计连续密码错误几次全面锁定",
    ),
    ("lockout_minutes", "锁定时长（分钟）"),
    (
        "login_attempts_per_minute",
        "同一地址每分钟最多登录尝试次数",
    ),
    (
        "id_search_misses_per_hour",
        "每小时按身份证号查询未命中超过几次提示审计",
    ),
];

impl SessionPolicy {
    /// A session created at `created` and last used at `last_seen` is still alive at `now`.
    pub fn is_alive(&self, created: i64, last_seen: i64, now: i64) -> bool {
        now - last_seen < self.idle_secs && now - created < self.absolute_secs
    }

    /// After `failures` consecutive failed logins from one address ending at `now`, the
    /// account is locked for that address until the returned time (if at all).
    pub fn lock_after(&self, failures: i64, now: i64) -> Option<i64> {
        (failures >= self.max_failures).then_some(now + self.lockout_secs)
    }

    /// After `failures` consecutive failed logins from any addresses, the account is locked
    /// for every address until the returned time (if at all).
    pub fn lock_everywhere_after(&self, failures: i64, now: i64) -> Option<i64> {
        (failures >= self.max_failures_any_address).then_some(now + self.lockout_secs)
    }

    /// The value of a setting by its name in [`SETTINGS`].
    pub fn get(&self, name: &str) -> Option<i64> {
        Some(match name {
            "idle_minutes" => self.idle_secs / 60,
            "absolute_hours" => self.absolute_secs / 3600,
            "lock_after_failures" => self.max_failures,
            "lock_everywhere_after_failures" => self.max_failures_any_address,
            "lockout_minutes" => self.lockout_secs / 60,
            "login_attempts_per_minute" => self.attempts_per_minute,
            "id_search_misses_per_hour" => self.id_search_misses_per_hour,
            _ => return None,
        })
    }

    /// Sets a setting by name; values out of their sensible range are refused.
    pub fn set(&mut self, name: &str, value: i64) -> Result<(), String> {
        let within = |lo: i64, hi: i64| {
            if (lo..=hi).contains(&value) {
                Ok(value)
            } else {
                Err(format!("{name} 应在 {lo} 到 {hi} 之间"))
            }
        };
        match name {
            "idle_minutes" => self.idle_secs = within(1, 24 * 60)? * 60,
            "absolute_hours" => self.absolute_secs = within(1, 72)? * 3600,
            "lock_after_failures" => self.max_failures = within(1, 100)?,
            "lock_everywhere_after_failures" => {
                self.max_failures_any_address = within(1, 100_000)?;
            }
            "lockout_minutes" => self.lockout_secs = within(1, 24 * 60)? * 60,
            "login_attempts_per_minute" => self.attempts_per_minute = within(1, 10_000)?,
            "id_search_misses_per_hour" => self.id_search_misses_per_hour = within(1, 10_000)?,
            _ => {
                let names: Vec<&str> = SETTINGS.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "没有名为 {name} 的设置（可设：{}）",
                    names.join("、")
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
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
    fn settings_are_read_and_set_by_name_within_range() {
        let mut p = SessionPolicy::default();
        for (name, _) in SETTINGS {
            let v = p.get(name).unwrap();
            p.set(name, v).unwrap();
        }
        assert_eq!(p, SessionPolicy::default());
        p.set("lock_everywhere_after_failures", 80).unwrap();
        assert_eq!(p.lock_everywhere_after(79, 0), None);
        assert_eq!(p.lock_everywhere_after(80, 0), Some(900));
        assert!(p.set("lock_after_failures", 0).is_err());
        assert!(p.set("no_such", 1).is_err());
    }

    #[test]
    fn the_fifth_failure_locks_for_fifteen_minutes() {
        let p = SessionPolicy::default();
        assert_eq!(p.lock_after(4, 100), None);
        assert_eq!(p.lock_after(5, 100), Some(100 + 900));
    }
}
