//! Resident ID numbers (公民身份号码), GB 11643-1999 (reference §2).
//!
//! 18 characters: a 6-digit address code, the birth date YYYYMMDD, a 3-digit sequence (odd for
//! men, even for women) and a check character by ISO 7064 MOD 11-2. Lower-case `x` is read as
//! `X`. A legacy 15-digit number (no century, no check character) becomes the 18-character
//! number by inserting "19" and computing the check character; the caller keeps the original.
//! The address code is the code at first registration and is never checked against today's
//! region table.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [u8; 11] = *b"10X98765432";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("身份证号应为18位（或旧版15位）")]
    Length,
    #[error("身份证号含有非法字符")]
    Characters,
    #[error("身份证号中的出生日期无效")]
    BirthDate,
    #[error("身份证号校验位错误")]
    Checksum,
}

impl IdError {
    /// A stable code for reports and the API.
    pub fn code(self) -> &'static str {
        match self {
            IdError::Length => "id_length",
            IdError::Characters => "id_characters",
            IdError::BirthDate => "id_birth_date",
            IdError::Checksum => "id_checksum",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "m",
            Sex::Female => "f",
        }
    }

    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim() {
            "男" | "m" | "M" | "1" | "男性" => Some(Sex::Male),
            "女" | "f" | "F" | "2" | "女性" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// A valid 18-character ID number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct IdNumber(String);

/// The check character of the first 17 digits.
pub fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

fn birth(digits8: &str) -> Result<NaiveDate, IdError> {
    // Eight ASCII digits (the caller checked), read by hand: chrono's format parser would cost
    // more than the rest of the number's checks together.
    let n = |r: std::ops::Range<usize>| digits8.get(r).and_then(|s| s.parse::<u32>().ok());
    let date = (|| NaiveDate::from_ymd_opt(i32::try_from(n(0..4)?).ok()?, n(4..6)?, n(6..8)?))();
    date.ok_or(IdError::BirthDate)
}

impl IdNumber {
    /// Parses an ID number; returns it with the legacy 15-digit original when converted.
    pub fn parse_with_legacy(s: &str) -> Result<(IdNumber, Option<String>), IdError> {
        let s = s.trim();
        match s.len() {
            18 => {
                let upper = s.to_ascii_uppercase();
                let b = upper.as_bytes();
                if !b[..17].iter().all(u8::is_ascii_digit)
                    || !(b[17].is_ascii_digit() || b[17] == b'X')
                {
                    return Err(IdError::Characters);
                }
                birth(&upper[6..14])?;
                if check_char(&b[..17]) != b[17] {
                    return Err(IdError::Checksum);
                }
                Ok((IdNumber(upper), None))
            }
            15 => {
                if !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(IdError::Characters);
                }
                let mut first17 = String::with_capacity(18);
                first17.push_str(&s[..6]);
                first17.push_str("19");
                first17.push_str(&s[6..15]);
                birth(&first17[6..14])?;
                let c = check_char(first17.as_bytes());
                first17.push(c as char);
                Ok((IdNumber(first17), Some(s.to_owned())))
            }
            _ if s.chars().count() != s.len() => Err(IdError::Characters),
            _ => Err(IdError::Length),
        }
    }

    pub fn parse(s: &str) -> Result<IdNumber, IdError> {
        Self::parse_with_legacy(s).map(|(id, _)| id)
    }

    /// The number of a person registered at `address` (6 digits), born on `birth`, with the
    /// 3-digit sequence `seq` (odd for men): used to generate test and benchmark data.
    pub fn compose(address: &str, birth: NaiveDate, seq: u16) -> Result<IdNumber, IdError> {
        if address.len() != 6 || !address.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::Characters);
        }
        let first17 = format!("{address}{}{:03}", birth.format("%Y%m%d"), seq % 1000);
        if first17.len() != 17 {
            return Err(IdError::BirthDate);
        }
        let c = check_char(first17.as_bytes());
        IdNumber::parse(&format!("{first17}{}", c as char))
    }

    /// The number as an integer: its first 17 digits, which decide the check character. One
    /// number, one key (for sets of millions of numbers without a string each).
    pub fn key(&self) -> u64 {
        self.0.as_bytes()[..17]
            .iter()
            .fold(0, |k, b| k * 10 + u64::from(b - b'0'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        // Checked at parse time.
        birth(&self.0[6..14]).unwrap_or_default()
    }

    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The address code at first registration (may no longer exist).
    pub fn address_code(&self) -> &str {
        &self.0[..6]
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Age in whole years on `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_standards_vector_is_valid() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.address_code(), "110105");
    }

    #[test]
    fn the_key_is_the_first_seventeen_digits() {
        let a = IdNumber::parse("11010519491231002X").unwrap();
        let b = IdNumber::parse("320102194901010013").unwrap();
        assert_eq!(a.key(), 11_010_519_491_231_002);
        assert_eq!(b.key(), 32_010_219_490_101_001);
        assert_ne!(a.key(), b.key());
    }

    #[test]
    fn lower_case_x_is_normalised() {
        assert_eq!(
            IdNumber::parse("11010519491231002x").unwrap().as_str(),
            "11010519491231002X"
        );
    }

    #[test]
    fn errors_are_told_apart() {
        assert_eq!(
            IdNumber::parse("110105194912310021"),
            Err(IdError::Checksum)
        );
        assert_eq!(
            IdNumber::parse("110105194913310021"),
            Err(IdError::BirthDate)
        );
        assert_eq!(IdNumber::parse("1101051949123100"), Err(IdError::Length));
        assert_eq!(
            IdNumber::parse("11010519491231002Y"),
            Err(IdError::Characters)
        );
        assert_eq!(
            IdNumber::parse("11010519491231OO2X"),
            Err(IdError::Characters)
        );
        assert_eq!(
            IdNumber::parse("１１０１０５１９４９１２３１００２X"),
            Err(IdError::Characters)
        );
        assert_eq!(IdNumber::parse(""), Err(IdError::Length));
    }

    #[test]
    fn legacy_numbers_are_converted_and_kept() {
        let (id, legacy) = IdNumber::parse_with_legacy("320102490101001").unwrap();
        assert_eq!(legacy.as_deref(), Some("320102490101001"));
        assert_eq!(&id.as_str()[..17], "32010219490101001");
        assert!(IdNumber::parse(id.as_str()).is_ok());
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(IdNumber::parse("320102491301001"), Err(IdError::BirthDate));
    }

    #[test]
    fn ages_count_whole_years() {
        let b = NaiveDate::from_ymd_opt(2000, 6, 15).unwrap();
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2026, 6, 14).unwrap()), 25);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()), 26);
    }

    proptest! {
        #[test]
        fn a_computed_check_character_always_validates(
            addr in 110000u32..660000, y in 1900i32..2025, doy in 0u32..365, seq in 0u32..1000
        ) {
            let d = NaiveDate::from_yo_opt(y, doy + 1).unwrap();
            let first17 = format!("{addr:06}{}{seq:03}", d.format("%Y%m%d"));
            let id = format!("{first17}{}", check_char(first17.as_bytes()) as char);
            let parsed = IdNumber::parse(&id).unwrap();
            prop_assert_eq!(parsed.birth_date(), d);
            // Any other check character is refused.
            for c in b"0123456789X" {
                if *c != id.as_bytes()[17] {
                    let bad = format!("{first17}{}", *c as char);
                    prop_assert_eq!(IdNumber::parse(&bad), Err(IdError::Checksum));
                }
            }
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,20}") {
            let _ = IdNumber::parse(&s);
        }
    }
}
