//! The password policy (reference §11: MLPS level 3 asks for strong passwords).
//!
//! At least 8 characters, at most 128, not the account name, and not on the list of common
//! passwords (`data/common-passwords.txt`: the most used passwords in public breach corpora,
//! Chinese keyboard and pinyin favourites included). Hashing lives in the store; this module
//! only decides whether a new password may be used.

use std::collections::HashSet;
use std::sync::OnceLock;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

const COMMON: &str = include_str!("../data/common-passwords.txt");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("密码至少需要{MIN_LEN}个字符")]
    TooShort,
    #[error("密码不能超过{MAX_LEN}个字符")]
    TooLong,
    #[error("密码不能与用户名相同或包含用户名")]
    ContainsUsername,
    #[error("该密码过于常见，请换一个不易猜到的密码")]
    Common,
}

fn common() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_lowercase)
            .collect()
    })
}

/// Checks a new password for `username` against the policy.
pub fn check(username: &str, password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_LEN {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    let user = username.trim().to_lowercase();
    if !user.is_empty() && lower.contains(&user) {
        return Err(PasswordError::ContainsUsername);
    }
    if common().contains(&lower) {
        return Err(PasswordError::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_common_and_self_naming_passwords_are_refused() {
        assert_eq!(check("wang", "abc123"), Err(PasswordError::TooShort));
        assert_eq!(check("wang", "12345678"), Err(PasswordError::Common));
        assert_eq!(check("wang", "PASSWORD1"), Err(PasswordError::Common));
        assert_eq!(check("wang", "woaini1314"), Err(PasswordError::Common));
        assert_eq!(
            check("wangfang", "xx-WangFang-99"),
            Err(PasswordError::ContainsUsername)
        );
        assert_eq!(check("a", &"x".repeat(129)), Err(PasswordError::TooLong));
    }

    #[test]
    fn a_long_unusual_password_is_accepted() {
        assert_eq!(check("wang", "青山绿水-2026-安居"), Ok(()));
        assert_eq!(check("wang", "Tr1cky-Harbour-88"), Ok(()));
    }

    #[test]
    fn the_list_is_substantial() {
        assert!(common().len() >= 300, "{}", common().len());
    }

    proptest! {
        #[test]
        fn anything_shorter_than_eight_is_refused(p in "\\PC{0,7}") {
            prop_assert_eq!(check("zz", &p), Err(PasswordError::TooShort));
        }
    }
}
