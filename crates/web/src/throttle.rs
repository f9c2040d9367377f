//! Login attempts per client address and minute (the `login_attempts_per_minute` setting):
//! guessing across many accounts from one address is slowed down before any account's
//! lockout is reached. Kept in memory: one server process answers all logins.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct LoginThrottle {
    /// Address → (start of its window in seconds, attempts in it). A window is the sixty
    /// seconds from an address's first attempt, so that no alignment of the clock lets a
    /// burst through twice.
    seen: Mutex<HashMap<String, (i64, i64)>>,
}

impl LoginThrottle {
    /// Counts an attempt from `client` at `now_secs`; `Err(seconds to wait)` when the address
    /// has used up its `limit` for this minute.
    pub fn attempt(&self, client: &str, now_secs: i64, limit: i64) -> Result<(), u64> {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.len() > 100_000 {
            seen.retain(|_, (start, _)| now_secs - *start < 60);
        }
        let entry = seen.entry(client.to_owned()).or_insert((now_secs, 0));
        if now_secs - entry.0 >= 60 {
            *entry = (now_secs, 0);
        }
        if entry.1 >= limit {
            return Err(u64::try_from(60 - (now_secs - entry.0))
                .unwrap_or(60)
                .max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::LoginThrottle;

    #[test]
    fn an_address_gets_its_limit_a_minute() {
        let t = LoginThrottle::default();
        for _ in 0..3 {
            assert_eq!(t.attempt("10.0.0.1", 120, 3), Ok(()));
        }
        assert_eq!(t.attempt("10.0.0.1", 150, 3), Err(30));
        assert_eq!(t.attempt("10.0.0.2", 150, 3), Ok(()), "another address");
        assert_eq!(
            t.attempt("10.0.0.1", 179, 3),
            Err(1),
            "the window is sixty seconds"
        );
        assert_eq!(t.attempt("10.0.0.1", 180, 3), Ok(()), "a new window");
    }
}
