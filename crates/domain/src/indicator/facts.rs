//! What a measure asks of one person: a closed vocabulary of facts read from the file and the
//! records beside it, each decided on a date (its year runs from 1 January to that date).

use chrono::{Datelike, NaiveDate};

use crate::month::Month;
use crate::person::Person;
use crate::programme::ProgrammeKind;
use crate::subsidy::SubsidyKind;

/// A fact a measure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// The latest insurance list says 参保缴费 for pension (养老) insurance.
    PensionInsured,
    /// … for medical (医疗) insurance.
    MedicalInsured,
    /// Enrolled as a student on the date.
    Student,
    /// A care case open on the date.
    InCare,
    /// A case of a programme of this kind served in the year: opened by the date and either
    /// still open or closed in the year (refused ones not counted).
    ServedInYear(ProgrammeKind),
    /// A device case closed (fitted) in the year.
    DeviceFitted,
    /// A renovation case closed by the date.
    Renovated,
    /// 实名制新增就业 in the year, by the date.
    NewlyEmployed,
    /// Finished a training course that ended in the year, by the date.
    Trained,
    /// Paid this subsidy for a month of the year, by the date's month.
    Paid(SubsidyKind),
    /// The certificate was issued in the year, by the date.
    CertIssued,
}

impl Fact {
    pub fn parse(text: &str) -> Result<Fact, String> {
        let t = text.trim();
        let f = match t {
            "参加养老保险" | "养老保险参保" => Fact::PensionInsured,
            "参加医疗保险" | "医疗保险参保" => Fact::MedicalInsured,
            "在读" | "在读学生" => Fact::Student,
            "在托养" => Fact::InCare,
            "当年适配辅具" => Fact::DeviceFitted,
            "已无障碍改造" => Fact::Renovated,
            "当年新增就业" => Fact::NewlyEmployed,
            "当年培训结业" => Fact::Trained,
            "当年领取生活补贴" => Fact::Paid(SubsidyKind::Living),
            "当年领取护理补贴" => Fact::Paid(SubsidyKind::Care),
            "当年发证" => Fact::CertIssued,
            _ => {
                let kind = t
                    .strip_prefix("当年")
                    .and_then(|r| r.strip_suffix("服务"))
                    .and_then(ProgrammeKind::parse)
                    .ok_or_else(|| {
                        format!(
                            "事实“{t}”无法识别：可用 参加养老保险、参加医疗保险、在读、在托养、\
                             当年康复服务（或其他服务类型）、当年适配辅具、已无障碍改造、\
                             当年新增就业、当年培训结业、当年领取生活补贴、当年领取护理补贴、当年发证"
                        )
                    })?;
                Fact::ServedInYear(kind)
            }
        };
        Ok(f)
    }

    pub fn label(self) -> String {
        match self {
            Fact::PensionInsured => "参加养老保险".into(),
            Fact::MedicalInsured => "参加医疗保险".into(),
            Fact::Student => "在读".into(),
            Fact::InCare => "在托养".into(),
            Fact::ServedInYear(k) => format!("当年接受{}服务", k.label()),
            Fact::DeviceFitted => "当年适配辅助器具".into(),
            Fact::Renovated => "已完成家庭无障碍改造".into(),
            Fact::NewlyEmployed => "当年实名制新增就业".into(),
            Fact::Trained => "当年培训结业".into(),
            Fact::Paid(k) => format!("当年领取{}", k.short_label()),
            Fact::CertIssued => "当年办证".into(),
        }
    }

    /// Whether the person has the fact on `date`.
    pub fn holds(self, p: &Person, f: &PersonFacts, date: NaiveDate) -> bool {
        let jan1 = NaiveDate::from_ymd_opt(date.year(), 1, 1).unwrap_or(date);
        let in_year = |d: NaiveDate| d >= jan1 && d <= date;
        match self {
            Fact::PensionInsured => f.pension,
            Fact::MedicalInsured => f.medical,
            Fact::Student => f.student,
            Fact::InCare => f.cases.iter().any(|c| {
                c.kind == ProgrammeKind::Care
                    && c.opened_on <= date
                    && (c.state == CaseState::Open
                        || c.state == CaseState::Closed && c.since > date)
            }),
            Fact::ServedInYear(kind) => f.cases.iter().any(|c| {
                c.kind == kind
                    && c.opened_on <= date
                    && match c.state {
                        CaseState::Open => true,
                        CaseState::Closed => c.since >= jan1,
                        CaseState::Refused => false,
                    }
            }),
            Fact::DeviceFitted => f.cases.iter().any(|c| {
                c.kind == ProgrammeKind::Device && c.state == CaseState::Closed && in_year(c.since)
            }),
            Fact::Renovated => f.cases.iter().any(|c| {
                c.kind == ProgrammeKind::Renovation
                    && c.state == CaseState::Closed
                    && c.since <= date
            }),
            Fact::NewlyEmployed => f.newly_employed.is_some_and(in_year),
            Fact::Trained => f.trained.iter().any(|d| in_year(*d)),
            Fact::Paid(kind) => {
                let (from, to) = year_months(date);
                f.paid
                    .iter()
                    .any(|(k, m, _)| *k == kind && *m >= from && *m <= to)
            }
            Fact::CertIssued => p.cert_issued.is_some_and(in_year),
        }
    }
}

fn year_months(date: NaiveDate) -> (Month, Month) {
    let to = Month::of(date);
    let from = Month::new(date.year(), 1).unwrap_or(to);
    (from, to)
}

/// A case's state as a fact reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseState {
    Open,
    Closed,
    Refused,
}

impl CaseState {
    pub fn parse(s: &str) -> Option<CaseState> {
        match s {
            "open" => Some(CaseState::Open),
            "closed" => Some(CaseState::Closed),
            "refused" => Some(CaseState::Refused),
            _ => None,
        }
    }
}

/// One case of a person: its programme's kind, when it was opened, its state and the date
/// of its last action (for a closed case, when it was closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFact {
    pub kind: ProgrammeKind,
    pub opened_on: NaiveDate,
    pub state: CaseState,
    pub since: NaiveDate,
}

/// What the measures read of one person beside the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonFacts {
    pub pension: bool,
    pub medical: bool,
    /// Enrolled as a student on the date asked about.
    pub student: bool,
    pub cases: Vec<CaseFact>,
    /// The start of 实名制新增就业 in the year asked about, if any.
    pub newly_employed: Option<NaiveDate>,
    /// End dates of the courses the person finished.
    pub trained: Vec<NaiveDate>,
    /// Subsidy payments: kind, month paid for, fen.
    pub paid: Vec<(SubsidyKind, Month, i64)>,
    /// Need item codes the latest visit or survey recorded.
    pub needs: Vec<String>,
}

impl PersonFacts {
    /// Fen paid for months of the date's year up to its month (one subsidy, or both).
    pub fn paid_in_year(&self, kind: Option<SubsidyKind>, date: NaiveDate) -> i64 {
        let (from, to) = year_months(date);
        self.paid
            .iter()
            .filter(|(k, m, _)| kind.is_none_or(|x| x == *k) && *m >= from && *m <= to)
            .map(|(_, _, fen)| fen)
            .sum()
    }
}
