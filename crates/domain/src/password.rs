//! The password policy (reference §11: MLPS level 3 asks for strong passwords).
//!
//! At least 8 characters, at most 128, not the account name, not on the list of common
//! passwords (`data/common-passwords.txt`: the most used passwords in public breach corpora,
//! Chinese keyboard and pinyin favourites included), and not guessable by pattern: zxcvbn
//! (Wheeler, USENIX Security 2016) must rate it at least 3 of 4 ("safely unguessable"), which
//! refuses one repeated character, keyboard walks, sequences, dates and dictionary words with
//! digits. Hashing lives in the store; this module only decides whether a new password may
//! be used.

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
    #[error("密码不能全是空格或同一个字符")]
    Repeated,
    #[error(
        "密码过于简单（如键盘顺序、连续数字、日期或常见单词加数字），请用几个不相关的词、数字和符号组合"
    )]
    Weak,
}

/// The least zxcvbn score a new password must have (0-4).
pub const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

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
    let mut chars = password.chars();
    let first = chars.next();
    if password.trim().is_empty() || chars.all(|c| Some(c) == first) {
        return Err(PasswordError::Repeated);
    }
    if zxcvbn::zxcvbn(password, &[username.trim()]).score() < MIN_SCORE {
        return Err(PasswordError::Weak);
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
    fn repeated_blank_and_patterned_passwords_are_refused() {
        assert_eq!(check("wang", "aaaaaaaaaaaa"), Err(PasswordError::Repeated));
        assert_eq!(check("wang", "          "), Err(PasswordError::Repeated));
        assert_eq!(
            check(
                "wang",
                "\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}"
            ),
            Err(PasswordError::Repeated)
        );
        for weak in [
            "qwertyuiop",
            "1q2w3e4r5t",
            "abcdefgh1",
            "20260101",
            "asdfghjkl;",
            "Password2026",
        ] {
            assert!(
                matches!(
                    check("wang", weak),
                    Err(PasswordError::Weak | PasswordError::Common)
                ),
                "{weak} should be refused"
            );
        }
    }

    #[test]
    fn a_long_unusual_password_is_accepted() {
        for strong in [
            "Test-Root-Pass-2026",
            "Registry-Web-2026",
            "Wuxi-Clerk-12",
            "Chiu-Village-8",
        ] {
            assert_eq!(check("wang", strong), Ok(()), "{strong}");
        }
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
