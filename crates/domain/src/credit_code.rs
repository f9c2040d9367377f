//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a
//! 31-character set (no I, O, S, V, Z) — the registering authority, the kind of body, the
//! 6-digit region, the 9-character organisation code of GB 11714 (its own check character
//! last), and the check character of the whole.

use std::fmt;

use serde::Serialize;

/// The characters a code is written in, in the order of their values (0-30).
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A checked unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[schema(value_type = String, example = "91350100M000100Y43")]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("统一社会信用代码应为18位（此处{0}位）")]
    Length(usize),
    #[error("统一社会信用代码第{0}位“{1}”不是允许的字符（数字和除I、O、S、V、Z外的大写字母）")]
    Char(usize, char),
    #[error("统一社会信用代码第1位（登记管理部门）“{0}”无效")]
    Authority(char),
    #[error("统一社会信用代码第2位（机构类别）“{0}”与登记管理部门不符")]
    Class(char),
    #[error("统一社会信用代码第9至17位（组织机构代码）校验位错误")]
    OrgCheck,
    #[error("统一社会信用代码校验位（第18位）错误")]
    Check,
}

impl CreditCodeError {
    pub fn code(&self) -> &'static str {
        match self {
            CreditCodeError::Length(_) => "credit_length",
            CreditCodeError::Char(..) => "credit_char",
            CreditCodeError::Authority(_) => "credit_authority",
            CreditCodeError::Class(_) => "credit_class",
            CreditCodeError::OrgCheck => "credit_org_check",
            CreditCodeError::Check => "credit_checksum",
        }
    }
}

fn value(c: u8) -> Option<u32> {
    CHARSET.iter().position(|&x| x == c).map(|p| p as u32)
}

/// The check character of GB 11714 over an organisation code's first 8 characters.
fn org_check(code: &[u8]) -> u8 {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let v = |c: u8| match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        _ => u32::from(c - b'A') + 10,
    };
    let sum: u32 = code.iter().zip(W).map(|(&c, w)| v(c) * w).sum();
    match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        n => b'0' + n as u8,
    }
}

impl CreditCode {
    /// Reads a code (lower case and spaces around it accepted) and checks both check
    /// characters and the authority and class.
    pub fn parse(s: &str) -> Result<CreditCode, CreditCodeError> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if s.chars().count() != 18 {
            return Err(CreditCodeError::Length(s.chars().count()));
        }
        for (i, &c) in b.iter().enumerate() {
            if value(c).is_none() {
                return Err(CreditCodeError::Char(i + 1, char::from(c)));
            }
        }
        let classes: &[u8] = match b[0] {
            b'1' => b"1239",
            b'5' => b"1239",
            b'9' => b"123",
            b'2' | b'3' | b'4' | b'6' | b'7' | b'8' | b'A' | b'N' | b'Y' => b"123456789",
            c => return Err(CreditCodeError::Authority(char::from(c))),
        };
        if !classes.contains(&b[1]) {
            return Err(CreditCodeError::Class(char::from(b[1])));
        }
        if org_check(&b[8..16]) != b[16] {
            return Err(CreditCodeError::OrgCheck);
        }
        let sum: u32 = b[..17]
            .iter()
            .enumerate()
            .map(|(i, &c)| value(c).unwrap_or(0) * 3u32.pow(i as u32) % 31)
            .sum();
        let check = CHARSET[((31 - sum % 31) % 31) as usize];
        if check != b[17] {
            return Err(CreditCodeError::Check);
        }
        Ok(CreditCode(s))
    }

    /// The code of a body registered by `head` (authority and class, e.g. "91"), in
    /// `region` (6 digits), with the organisation code's first 8 characters `org`: both check
    /// characters computed. `None` when the parts are not of the code's alphabet.
    pub fn compose(head: &str, region: &str, org: &str) -> Option<CreditCode> {
        if head.len() != 2 || region.len() != 6 || org.len() != 8 {
            return None;
        }
        let mut s = format!("{head}{region}{org}");
        s.push(char::from(org_check(org.as_bytes())));
        let sum: u32 = s
            .bytes()
            .enumerate()
            .map(|(i, c)| value(c).unwrap_or(0) * 3u32.pow(i as u32) % 31)
            .sum();
        s.push(char::from(CHARSET[((31 - sum % 31) % 31) as usize]));
        CreditCode::parse(&s).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit region code at positions 3-8.
    pub fn region(&self) -> &str {
        &self.0[2..8]
    }

    /// What kind of body the authority and class say it is.
    pub fn kind_label(&self) -> &'static str {
        match &self.0.as_bytes()[..2] {
            b"11" => "机关",
            b"12" => "事业单位",
            b"13" => "群众团体",
            b"51" => "社会团体",
            b"52" => "民办非企业单位（社会服务机构）",
            b"53" => "基金会",
            b"91" => "企业",
            b"92" => "个体工商户",
            b"93" => "农民专业合作社",
            _ => "其他",
        }
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn published_codes_are_read_and_their_parts_named() {
        let c = CreditCode::parse(" 91350100m000100y43 ").unwrap();
        assert_eq!(c.as_str(), "91350100M000100Y43");
        assert_eq!(c.region(), "350100");
        assert_eq!(c.kind_label(), "企业");
        assert!(CreditCode::parse("91110108551385082Q").is_ok());
    }

    #[test]
    fn a_composed_code_reads_back() {
        let c = CreditCode::compose("11", "320102", "00000001").unwrap();
        assert_eq!(c.as_str(), "113201020000000197");
        assert_eq!(
            CreditCode::compose("91", "350100", "M000100Y")
                .unwrap()
                .as_str(),
            "91350100M000100Y43"
        );
        assert!(CreditCode::compose("91", "35010", "M000100Y").is_none());
    }

    #[test]
    fn every_fault_is_named() {
        assert_eq!(
            CreditCode::parse("9135010"),
            Err(CreditCodeError::Length(7))
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y4I"),
            Err(CreditCodeError::Char(18, 'I'))
        );
        assert_eq!(
            CreditCode::parse("C1350100M000100Y43"),
            Err(CreditCodeError::Authority('C'))
        );
        assert_eq!(
            CreditCode::parse("94350100M000100Y43"),
            Err(CreditCodeError::Class('4'))
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y53"),
            Err(CreditCodeError::OrgCheck)
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::Check)
        );
    }

    #[test]
    fn one_changed_character_is_always_caught() {
        let good = "91350100M000100Y43";
        for i in 0..18 {
            for &c in CHARSET {
                let mut b = good.as_bytes().to_vec();
                if b[i] == c {
                    continue;
                }
                b[i] = c;
                let s = String::from_utf8(b).unwrap();
                assert!(CreditCode::parse(&s).is_err(), "{s}");
            }
        }
    }
}
