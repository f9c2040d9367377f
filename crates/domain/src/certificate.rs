//! The disability certificate (残疾人证) and its categories and grades, GB/T 26341-2010
//! (reference §3).
//!
//! Categories 1 视力 … 7 多重; grades 一级 (1, most severe) … 四级 (4); severe = grade 1 or 2.
//! A multiple disability takes the grade of its most severe component. The second-generation
//! number is the holder's 18-character ID, the category digit and the grade digit, with an
//! optional reissue suffix B1, B2, … (local practice). Status follows from the dates and the
//! recorded state: valid, expiring within 90 days, expired, frozen, cancelled.

use std::fmt;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::id_number::IdNumber;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Category(u8);

const CATEGORY_NAMES: [&str; 7] = ["视力", "听力", "言语", "肢体", "智力", "精神", "多重"];

impl Category {
    pub const MULTIPLE: Category = Category(7);

    pub fn new(code: u8) -> Option<Category> {
        (1..=7).contains(&code).then_some(Category(code))
    }

    pub fn all() -> impl Iterator<Item = Category> {
        (1..=7).map(Category)
    }

    pub fn code(self) -> u8 {
        self.0
    }

    pub fn name(self) -> &'static str {
        CATEGORY_NAMES[usize::from(self.0 - 1)]
    }

    /// "视力残疾"
    pub fn label(self) -> String {
        format!("{}残疾", self.name())
    }

    /// Reads a code ("4"), a name ("肢体", "肢体残疾") or a synonym ("视力残疾").
    pub fn parse(s: &str) -> Option<Category> {
        let s = s.trim();
        if let Ok(n) = s.parse::<u8>() {
            return Category::new(n);
        }
        let base = s.trim_end_matches("残疾").trim_end_matches("类");
        let base = match base {
            "视力" | "视觉" | "盲" => "视力",
            "语言" => "言语",
            "多重残疾" => "多重",
            b => b,
        };
        CATEGORY_NAMES
            .iter()
            .position(|n| *n == base)
            .map(|i| Category(i as u8 + 1))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Grade(u8);

const GRADE_NAMES: [&str; 4] = ["一级", "二级", "三级", "四级"];

impl Grade {
    pub fn new(code: u8) -> Option<Grade> {
        (1..=4).contains(&code).then_some(Grade(code))
    }

    pub fn all() -> impl Iterator<Item = Grade> {
        (1..=4).map(Grade)
    }

    pub fn code(self) -> u8 {
        self.0
    }

    pub fn name(self) -> &'static str {
        GRADE_NAMES[usize::from(self.0 - 1)]
    }

    pub fn is_severe(self) -> bool {
        self.0 <= 2
    }

    /// Reads "1", "一级", "一", "1级", "壹级".
    pub fn parse(s: &str) -> Option<Grade> {
        let s = s.trim().trim_end_matches('级').trim_start_matches('第');
        let n = match s {
            "1" | "一" | "壹" | "Ⅰ" => 1,
            "2" | "二" | "贰" | "Ⅱ" => 2,
            "3" | "三" | "叁" | "Ⅲ" => 3,
            "4" | "四" | "肆" | "Ⅳ" => 4,
            _ => return None,
        };
        Some(Grade(n))
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The components of a multiple disability, as (category, grade) pairs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct Components(pub Vec<(Category, Grade)>);

impl Components {
    /// Reads "肢体二级、智力三级" or "4:2,5:3".
    pub fn parse(s: &str) -> Option<Components> {
        let s = s.trim();
        if s.is_empty() {
            return Some(Components::default());
        }
        let mut out = Vec::new();
        for part in s.split(['、', ',', '，', ';', '；', '/']) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (c, g) = if let Some((c, g)) = part.split_once(':') {
                (Category::parse(c)?, Grade::parse(g)?)
            } else {
                let split = part
                    .char_indices()
                    .find(|(_, ch)| ch.is_ascii_digit() || "一二三四壹贰叁肆".contains(*ch))?;
                (
                    Category::parse(&part[..split.0])?,
                    Grade::parse(&part[split.0..])?,
                )
            };
            if c == Category::MULTIPLE {
                return None;
            }
            out.push((c, g));
        }
        out.sort();
        out.dedup_by_key(|p| p.0);
        Some(Components(out))
    }

    /// The stored form: "4:2,5:3".
    pub fn encode(&self) -> String {
        self.0
            .iter()
            .map(|(c, g)| format!("{}:{}", c.code(), g.code()))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The Chinese form: "肢体二级、智力三级".
    pub fn label(&self) -> String {
        self.0
            .iter()
            .map(|(c, g)| format!("{}{}", c.name(), g.name()))
            .collect::<Vec<_>>()
            .join("、")
    }

    /// The grade of the most severe component.
    pub fn most_severe(&self) -> Option<Grade> {
        self.0.iter().map(|p| p.1).min()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("残疾人证号应为身份证号加类别、等级两位数字（20位），补发证可加B1、B2等后缀")]
    Format,
    #[error("残疾人证号中的身份证号与持证人身份证号不一致")]
    HolderMismatch,
    #[error("残疾人证号中的类别、等级数字与残疾类别、等级不一致")]
    DigitsMismatch,
    #[error("多重残疾须列出至少两个组成类别及等级")]
    ComponentsMissing,
    #[error("多重残疾的等级应与最重组成类别的等级一致")]
    ComponentGrade,
    #[error("非多重残疾不应填写组成类别")]
    ComponentsNotMultiple,
    #[error("有效期至不能早于发证日期")]
    Dates,
}

impl CertificateError {
    pub fn code(&self) -> &'static str {
        match self {
            CertificateError::Format => "cert_format",
            CertificateError::HolderMismatch => "cert_holder",
            CertificateError::DigitsMismatch => "cert_digits",
            CertificateError::ComponentsMissing => "cert_components_missing",
            CertificateError::ComponentGrade => "cert_component_grade",
            CertificateError::ComponentsNotMultiple => "cert_components_not_multiple",
            CertificateError::Dates => "cert_dates",
        }
    }
}

/// A certificate number checked against its own shape (not yet against a holder).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct CertificateNumber(String);

impl CertificateNumber {
    pub fn parse(s: &str) -> Result<CertificateNumber, CertificateError> {
        let s = s.trim().to_ascii_uppercase();
        if s.len() < 20 || !s.is_ascii() {
            return Err(CertificateError::Format);
        }
        IdNumber::parse(&s[..18]).map_err(|_| CertificateError::Format)?;
        let digits = &s.as_bytes()[18..20];
        if !(b'1'..=b'7').contains(&digits[0]) || !(b'1'..=b'4').contains(&digits[1]) {
            return Err(CertificateError::Format);
        }
        let suffix = &s[20..];
        let ok_suffix = suffix.is_empty()
            || (suffix.len() >= 2
                && suffix.starts_with('B')
                && suffix[1..].bytes().all(|b| b.is_ascii_digit())
                && !suffix[1..].starts_with('0'));
        if !ok_suffix {
            return Err(CertificateError::Format);
        }
        Ok(CertificateNumber(s))
    }

    /// The number a holder's certificate gets: ID + category + grade.
    pub fn for_holder(id: &IdNumber, category: Category, grade: Grade) -> CertificateNumber {
        CertificateNumber(format!(
            "{}{}{}",
            id.as_str(),
            category.code(),
            grade.code()
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn id_part(&self) -> &str {
        &self.0[..18]
    }

    /// Checks that the number belongs to `holder` and encodes `category` and `grade`.
    pub fn check(
        &self,
        holder: &IdNumber,
        category: Category,
        grade: Grade,
    ) -> Result<(), CertificateError> {
        if self.id_part() != holder.as_str() {
            return Err(CertificateError::HolderMismatch);
        }
        let b = self.0.as_bytes();
        if b[18] - b'0' != category.code() || b[19] - b'0' != grade.code() {
            return Err(CertificateError::DigitsMismatch);
        }
        Ok(())
    }
}

impl fmt::Display for CertificateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a multiple disability's components against its category and grade.
pub fn check_components(
    category: Category,
    grade: Grade,
    components: &Components,
) -> Result<(), CertificateError> {
    if category == Category::MULTIPLE {
        if components.0.len() < 2 {
            return Err(CertificateError::ComponentsMissing);
        }
        if components.most_severe() != Some(grade) {
            return Err(CertificateError::ComponentGrade);
        }
    } else if !components.is_empty() {
        return Err(CertificateError::ComponentsNotMultiple);
    }
    Ok(())
}

/// The recorded state of a certificate; the shown status also depends on the dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CertState {
    Active,
    Frozen,
    Cancelled,
}

impl CertState {
    pub fn as_str(self) -> &'static str {
        match self {
            CertState::Active => "active",
            CertState::Frozen => "frozen",
            CertState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<CertState> {
        match s {
            "active" => Some(CertState::Active),
            "frozen" => Some(CertState::Frozen),
            "cancelled" => Some(CertState::Cancelled),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CertStatus {
    Valid,
    Expiring,
    Expired,
    Frozen,
    Cancelled,
    /// The file holds no certificate (not yet assessed, or filed from another list).
    None,
}

/// Days before the end of validity from which a certificate counts as expiring.
pub const EXPIRING_DAYS: u64 = 90;

impl CertStatus {
    pub const ALL: [CertStatus; 6] = [
        CertStatus::Valid,
        CertStatus::Expiring,
        CertStatus::Expired,
        CertStatus::Frozen,
        CertStatus::Cancelled,
        CertStatus::None,
    ];

    /// The status of a file's certificate: [`CertStatus::None`] when it holds none.
    pub fn of_file(
        has_certificate: bool,
        state: CertState,
        valid_to: Option<NaiveDate>,
        today: NaiveDate,
        expiring_days: u32,
    ) -> CertStatus {
        if has_certificate {
            Self::within(state, valid_to, today, expiring_days)
        } else {
            CertStatus::None
        }
    }

    /// Whether the certificate is in force (valid, or valid and expiring): what a department
    /// verifying it, or a list expecting its holders, asks.
    pub fn in_force(self) -> bool {
        matches!(self, CertStatus::Valid | CertStatus::Expiring)
    }

    /// The status on `today` of a certificate in `state` valid to `valid_to` (inclusive), with
    /// the default window of [`EXPIRING_DAYS`].
    pub fn on(state: CertState, valid_to: Option<NaiveDate>, today: NaiveDate) -> CertStatus {
        Self::within(state, valid_to, today, EXPIRING_DAYS as u32)
    }

    /// The status, "expiring" counting `expiring_days` ahead (the rules' window).
    pub fn within(
        state: CertState,
        valid_to: Option<NaiveDate>,
        today: NaiveDate,
        expiring_days: u32,
    ) -> CertStatus {
        match state {
            CertState::Cancelled => CertStatus::Cancelled,
            CertState::Frozen => CertStatus::Frozen,
            CertState::Active => match valid_to {
                Some(v) if v < today => CertStatus::Expired,
                Some(v) if v <= today + Days::new(u64::from(expiring_days)) => CertStatus::Expiring,
                _ => CertStatus::Valid,
            },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CertStatus::Valid => "valid",
            CertStatus::Expiring => "expiring",
            CertStatus::Expired => "expired",
            CertStatus::Frozen => "frozen",
            CertStatus::Cancelled => "cancelled",
            CertStatus::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<CertStatus> {
        CertStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            CertStatus::Valid => "有效",
            CertStatus::Expiring => "即将到期",
            CertStatus::Expired => "已过期",
            CertStatus::Frozen => "已冻结",
            CertStatus::Cancelled => "已注销",
            CertStatus::None => "未办证",
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn categories_and_grades_read_names_and_codes() {
        assert_eq!(Category::parse("肢体").unwrap().code(), 4);
        assert_eq!(Category::parse("肢体残疾").unwrap().code(), 4);
        assert_eq!(Category::parse("7").unwrap().name(), "多重");
        assert_eq!(Category::parse("语言残疾").unwrap().code(), 3);
        assert_eq!(Category::parse("8"), None);
        assert_eq!(Category::parse("其他"), None);
        assert_eq!(Grade::parse("二级").unwrap().code(), 2);
        assert_eq!(Grade::parse("4").unwrap().name(), "四级");
        assert_eq!(Grade::parse("叁级").unwrap().code(), 3);
        assert_eq!(Grade::parse("五级"), None);
        assert!(Grade::parse("2").unwrap().is_severe());
        assert!(!Grade::parse("3").unwrap().is_severe());
    }

    #[test]
    fn certificate_numbers_match_their_holder() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        let (c, g) = (Category::parse("4").unwrap(), Grade::parse("2").unwrap());
        let n = CertificateNumber::parse("11010519491231002x42").unwrap();
        assert_eq!(n.as_str(), "11010519491231002X42");
        assert_eq!(n.check(&id, c, g), Ok(()));
        assert_eq!(
            n.check(&id, c, Grade::parse("3").unwrap()),
            Err(CertificateError::DigitsMismatch)
        );
        let other = IdNumber::parse("320102194901010013").unwrap();
        assert_eq!(n.check(&other, c, g), Err(CertificateError::HolderMismatch));
        assert!(CertificateNumber::parse("11010519491231002X42B1").is_ok());
        assert!(CertificateNumber::parse("11010519491231002X42B0").is_err());
        assert!(CertificateNumber::parse("11010519491231002X42C1").is_err());
        assert!(CertificateNumber::parse("11010519491231002X82").is_err());
        assert!(CertificateNumber::parse("11010519491231002X4").is_err());
        assert_eq!(CertificateNumber::for_holder(&id, c, g), n);
    }

    #[test]
    fn multiple_disability_takes_its_most_severe_grade() {
        let comps = Components::parse("肢体二级、智力三级").unwrap();
        assert_eq!(comps.encode(), "4:2,5:3");
        assert_eq!(Components::parse("4:2,5:3").unwrap(), comps);
        assert_eq!(comps.label(), "肢体二级、智力三级");
        let multi = Category::MULTIPLE;
        assert_eq!(
            check_components(multi, Grade::parse("2").unwrap(), &comps),
            Ok(())
        );
        assert_eq!(
            check_components(multi, Grade::parse("3").unwrap(), &comps),
            Err(CertificateError::ComponentGrade)
        );
        assert_eq!(
            check_components(multi, Grade::parse("2").unwrap(), &Components::default()),
            Err(CertificateError::ComponentsMissing)
        );
        assert_eq!(
            check_components(
                Category::parse("4").unwrap(),
                Grade::parse("2").unwrap(),
                &comps
            ),
            Err(CertificateError::ComponentsNotMultiple)
        );
        assert_eq!(Components::parse("多重一级"), None);
        assert_eq!(Components::parse("肢体"), None);
    }

    #[test]
    fn status_follows_dates_and_state() {
        let today = d(2026, 11, 24);
        let on = |v| CertStatus::on(CertState::Active, Some(v), today);
        assert_eq!(on(d(2030, 1, 1)), CertStatus::Valid);
        assert_eq!(on(d(2027, 2, 22)), CertStatus::Expiring);
        assert_eq!(on(d(2027, 2, 23)), CertStatus::Valid);
        assert_eq!(on(today), CertStatus::Expiring);
        assert_eq!(on(d(2026, 11, 23)), CertStatus::Expired);
        assert_eq!(
            CertStatus::on(CertState::Frozen, Some(d(2030, 1, 1)), today),
            CertStatus::Frozen
        );
        assert_eq!(
            CertStatus::on(CertState::Cancelled, None, today),
            CertStatus::Cancelled
        );
    }

    proptest! {
        #[test]
        fn component_lists_round_trip(pairs in proptest::collection::btree_map(1u8..=6, 1u8..=4, 0..6)) {
            let comps = Components(pairs.iter().map(|(c, g)| (Category::new(*c).unwrap(), Grade::new(*g).unwrap())).collect());
            prop_assert_eq!(Components::parse(&comps.encode()).unwrap(), comps.clone());
            prop_assert_eq!(Components::parse(&comps.label()).unwrap(), comps);
        }
    }
}
