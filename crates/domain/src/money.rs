//! Money in integer fen (分), and shares of it: no floating point anywhere near a payment.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub};

/// An amount of money in fen (1 yuan = 100 fen).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("“{0}”不是有效的金额（元，最多两位小数）")]
    Amount(String),
    #[error("“{0}”不是有效的比例（百分数，最多四位小数）")]
    Percent(String),
}

/// Splits `12.5` into (12, 5000) with `scale` decimal places; `None` when not a plain decimal.
fn decimal(s: &str, scale: u32) -> Option<i64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > scale as usize || int.len() > 12 {
        return None;
    }
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut frac_v: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    frac_v *= 10_i64.pow(scale - frac.len() as u32);
    Some(int * 10_i64.pow(scale) + frac_v)
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// Reads yuan as a clerk writes them: `130`, `130.5`, `130.50`, `1,300.00`, `130元`,
    /// `¥130`. Negative amounts and more than two decimals are refused.
    pub fn parse_yuan(s: &str) -> Result<Fen, MoneyError> {
        let t: String = s
            .trim()
            .trim_start_matches(['¥', '￥'])
            .trim_end_matches('元')
            .chars()
            .filter(|c| *c != ',' && *c != '，')
            .collect();
        decimal(t.trim(), 2)
            .map(Fen)
            .ok_or_else(|| MoneyError::Amount(s.trim().to_owned()))
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    /// `130.50`: yuan with two decimals, as the bank file and the pages show it.
    pub fn yuan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", a / 100, a % 100)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.yuan())
    }
}

/// Serialised as integer fen (`amount_fen` in JSON).
impl serde::Serialize for Fen {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl utoipa::PartialSchema for Fen {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .description(Some("金额，单位为分"))
            .into()
    }
}

impl utoipa::ToSchema for Fen {}

impl Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        Fen(self.0 + o.0)
    }
}

impl AddAssign for Fen {
    fn add_assign(&mut self, o: Fen) {
        self.0 += o.0;
    }
}

impl Sub for Fen {
    type Output = Fen;
    fn sub(self, o: Fen) -> Fen {
        Fen(self.0 - o.0)
    }
}

impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(-self.0)
    }
}

impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        Fen(iter.map(|f| f.0).sum())
    }
}

/// A percentage with up to four decimals, kept as millionths (30 % = 300,000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(i64);

impl Percent {
    const SCALE: i64 = 10_000;

    /// Reads `30`, `30%`, `32.5`, `33.3333`.
    pub fn parse(s: &str) -> Result<Percent, MoneyError> {
        let t = s.trim().trim_end_matches(['%', '％']).trim();
        decimal(t, 4)
            .filter(|v| *v <= 1000 * Self::SCALE)
            .map(Percent)
            .ok_or_else(|| MoneyError::Percent(s.trim().to_owned()))
    }

    pub fn from_millionths(v: i64) -> Percent {
        Percent(v)
    }

    pub fn millionths(self) -> i64 {
        self.0
    }

    /// `amount × self`, rounded half up to the fen.
    pub fn of(self, amount: Fen) -> Fen {
        let denom = 100 * Self::SCALE as i128;
        let v = amount.0 as i128 * self.0 as i128;
        Fen(((v + denom / 2).div_euclid(denom)) as i64)
    }
}

impl fmt::Display for Percent {
    /// `30`, `32.5`, `33.3333`: no trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.0 / Self::SCALE;
        let frac = self.0 % Self::SCALE;
        if frac == 0 {
            write!(f, "{int}")
        } else {
            let s = format!("{frac:04}");
            write!(f, "{int}.{}", s.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn yuan_are_read_exactly() {
        for (s, fen) in [
            ("130", 13000),
            ("130.5", 13050),
            ("130.50", 13050),
            ("0.01", 1),
            (".5", 50),
            ("1,300.00", 130000),
            ("130元", 13000),
            ("￥90", 9000),
            (" 90 ", 9000),
        ] {
            assert_eq!(Fen::parse_yuan(s), Ok(Fen(fen)), "{s}");
        }
        for s in ["", "-5", "1.234", "abc", "1e3", ".", "12.3.4"] {
            assert!(Fen::parse_yuan(s).is_err(), "{s}");
        }
        assert_eq!(Fen(13050).yuan(), "130.50");
        assert_eq!(Fen(7).yuan(), "0.07");
        assert_eq!(Fen(-7).yuan(), "-0.07");
    }

    #[test]
    fn shares_round_half_up_to_the_fen() {
        let p = |s: &str| Percent::parse(s).unwrap();
        // 30 % of 745.00 = 223.50 exactly.
        assert_eq!(p("30").of(Fen(74500)), Fen(22350));
        // 25 % of 745.02 = 186.255 → 186.26 (half up).
        assert_eq!(p("25").of(Fen(74502)), Fen(18626));
        // 25 % of 745.01 = 186.2525 → 186.25.
        assert_eq!(p("25").of(Fen(74501)), Fen(18625));
        // 33.3333 % of 100.00 = 33.3333 → 33.33.
        assert_eq!(p("33.3333").of(Fen(10000)), Fen(3333));
        assert_eq!(p("100%").of(Fen(81000)), Fen(81000));
        assert_eq!(p("32.5").to_string(), "32.5");
        assert_eq!(p("40").to_string(), "40");
        for s in ["", "abc", "1.23456", "-3", "1001"] {
            assert!(Percent::parse(s).is_err(), "{s}");
        }
    }

    proptest! {
        #[test]
        fn yuan_text_reads_back(fen in 0i64..1_000_000_000) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(fen).yuan()), Ok(Fen(fen)));
        }

        #[test]
        fn a_share_is_the_exact_product_rounded_half_up(fen in 0i64..10_000_000, m in 0i64..1_000_000) {
            let got = Percent::from_millionths(m).of(Fen(fen)).0 as i128;
            // got is the nearest integer to fen × m / 10^6, ties upward.
            let exact2 = 2 * fen as i128 * m as i128; // 2 × product × 10^6
            let d = 1_000_000i128;
            prop_assert!(2 * got * d - d <= exact2 && exact2 < 2 * got * d + d);
        }
    }
}
