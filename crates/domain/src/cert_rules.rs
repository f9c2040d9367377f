//! The certificate's rules as data (reference §3): how long a certificate is valid, when it
//! counts as expiring, when a move without transfer freezes and then cancels it, and how long
//! after a cancellation no new application is taken. The daily sweep applies them; each change
//! it makes names the rule that made it.

use chrono::{Datelike, Months, NaiveDate};

use crate::certificate::{Category, CertState};
use crate::person::LifeStatus;

/// A validity rule: the first whose conditions match decides the years.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidityRule {
    pub category: Option<Category>,
    /// Age at issue, both ends included.
    pub age_from: Option<u32>,
    pub age_to: Option<u32>,
    pub years: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRules {
    pub expiring_days: u32,
    pub freeze_after_months: u32,
    pub cancel_after_months: u32,
    pub reapply_after_months: u32,
    pub validity: Vec<ValidityRule>,
}

impl Default for CertRules {
    /// 残疾人证管理办法: 10 years; expiring within 90 days; moved without transfer: frozen after
    /// 6 months, cancelled after a year (local practice); no new application for a year after
    /// a cancellation.
    fn default() -> CertRules {
        CertRules {
            expiring_days: 90,
            freeze_after_months: 6,
            cancel_after_months: 12,
            reapply_after_months: 12,
            validity: vec![ValidityRule {
                category: None,
                age_from: None,
                age_to: None,
                years: 10,
            }],
        }
    }
}

/// A change the sweep makes to a certificate's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateChange {
    pub to: CertState,
    /// The rule's stable name, recorded with the change.
    pub rule: &'static str,
}

impl StateChange {
    pub fn rule_label(rule: &str) -> &'static str {
        match rule {
            "death" => "死亡注销",
            "moved_out_freeze" => "户籍迁出未办理迁移，冻结",
            "moved_out_cancel" => "户籍迁出未办理迁移满期，注销",
            "expiring" => "即将到期",
            "expired" => "已过有效期",
            _ => "自动规则",
        }
    }
}

fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

impl CertRules {
    /// Years of validity of a certificate issued on `issued` to someone born on `birth`.
    pub fn validity_years(&self, category: Category, birth: NaiveDate, issued: NaiveDate) -> u32 {
        let age = age_on(birth, issued);
        self.validity
            .iter()
            .find(|r| {
                r.category.is_none_or(|c| c == category)
                    && r.age_from.is_none_or(|a| age >= a)
                    && r.age_to.is_none_or(|a| age <= a)
            })
            .map_or(10, |r| r.years)
    }

    /// The last day of validity of a certificate issued on `issued`.
    pub fn valid_to(&self, category: Category, birth: NaiveDate, issued: NaiveDate) -> NaiveDate {
        let years = self.validity_years(category, birth, issued);
        issued
            .checked_add_months(Months::new(12 * years))
            .and_then(|d| d.pred_opt())
            .unwrap_or(issued)
    }

    /// A certificate with an issue date and no end date gets the end date the validity rules
    /// give (by its category and the holder's age at issue); whether it did. A certificate
    /// without an issue date, or with its end date, is left as it is.
    pub fn derive_valid_to(&self, p: &mut crate::person::Person) -> bool {
        match (p.cert_issued, p.cert_valid_to, p.category) {
            (Some(issued), None, Some(category)) => {
                p.cert_valid_to = Some(self.valid_to(category, p.birth_date, issued));
                true
            }
            _ => false,
        }
    }

    /// What the sweep does on `date` to a certificate in `state` whose holder has `life`
    /// (since `life_date`): a death cancels; a move freezes after `freeze_after_months` and
    /// cancels after `cancel_after_months`. `None`: nothing to change.
    pub fn sweep(
        &self,
        state: CertState,
        life: LifeStatus,
        life_date: Option<NaiveDate>,
        date: NaiveDate,
    ) -> Option<StateChange> {
        if state == CertState::Cancelled {
            return None;
        }
        // Only what had happened by `date` counts: a sweep over a past day must not act on a
        // death or a move recorded since with a later date.
        if life_date.is_some_and(|d| d > date) {
            return None;
        }
        match life {
            LifeStatus::Living => None,
            LifeStatus::Deceased => Some(StateChange {
                to: CertState::Cancelled,
                rule: "death",
            }),
            LifeStatus::MovedOut => {
                let moved = life_date?;
                let after = |m: u32| moved.checked_add_months(Months::new(m)).unwrap_or(moved);
                if date >= after(self.cancel_after_months) {
                    Some(StateChange {
                        to: CertState::Cancelled,
                        rule: "moved_out_cancel",
                    })
                } else if date >= after(self.freeze_after_months) && state == CertState::Active {
                    Some(StateChange {
                        to: CertState::Frozen,
                        rule: "moved_out_freeze",
                    })
                } else {
                    None
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_issue_date_without_an_end_gets_the_rules_end() {
        let mut rules = CertRules::default();
        // Children's certificates run five years here (an example of a local rule).
        rules.validity.insert(
            0,
            ValidityRule {
                category: None,
                age_from: None,
                age_to: Some(15),
                years: 5,
            },
        );
        let mut input = crate::person::PersonInput::default();
        for (f, v) in [
            (crate::person::Field::IdNumber, "11010519491231002X"),
            (crate::person::Field::Name, "张三"),
            (crate::person::Field::Category, "肢体"),
            (crate::person::Field::Grade, "二级"),
            (crate::person::Field::HouseholdCode, "320102002001"),
            (crate::person::Field::CertIssued, "2016-04-01"),
        ] {
            input.set(f, v);
        }
        let mut p = crate::person::validate(&input, crate::RegionTable::jiangsu()).unwrap();
        assert!(rules.derive_valid_to(&mut p));
        assert_eq!(p.cert_valid_to, Some(d("2026-03-31")));
        assert!(!rules.derive_valid_to(&mut p), "an end date is kept");
        // Issued at 10: the children's rule.
        p.cert_valid_to = None;
        p.birth_date = d("2006-01-01");
        assert!(rules.derive_valid_to(&mut p));
        assert_eq!(p.cert_valid_to, Some(d("2021-03-31")));
        // No issue date: nothing to derive from.
        p.cert_issued = None;
        p.cert_valid_to = None;
        assert!(!rules.derive_valid_to(&mut p));
        assert_eq!(p.cert_valid_to, None);
    }

    #[test]
    fn a_sweep_over_a_past_day_ignores_what_happened_after_it() {
        let r = CertRules::default();
        let a = CertState::Active;
        // A death dated after the day swept: nothing yet; on or after it: cancelled.
        assert_eq!(
            r.sweep(
                a,
                LifeStatus::Deceased,
                Some(d("2026-03-10")),
                d("2026-03-09")
            ),
            None
        );
        assert_eq!(
            r.sweep(
                a,
                LifeStatus::Deceased,
                Some(d("2026-03-10")),
                d("2026-03-10")
            )
            .map(|c| c.rule),
            Some("death")
        );
        // A move dated after the day swept freezes nothing, however long the rules' wait.
        assert_eq!(
            r.sweep(
                a,
                LifeStatus::MovedOut,
                Some(d("2026-05-01")),
                d("2026-04-30")
            ),
            None
        );
    }

    #[test]
    fn deaths_cancel_and_moves_freeze_then_cancel() {
        let r = CertRules::default();
        let active = CertState::Active;
        assert_eq!(
            r.sweep(active, LifeStatus::Living, None, d("2026-01-01")),
            None
        );
        assert_eq!(
            r.sweep(
                active,
                LifeStatus::Deceased,
                Some(d("2025-05-01")),
                d("2025-05-02")
            ),
            Some(StateChange {
                to: CertState::Cancelled,
                rule: "death"
            })
        );
        let moved = Some(d("2025-03-15"));
        assert_eq!(
            r.sweep(active, LifeStatus::MovedOut, moved, d("2025-09-14")),
            None
        );
        assert_eq!(
            r.sweep(active, LifeStatus::MovedOut, moved, d("2025-09-15")),
            Some(StateChange {
                to: CertState::Frozen,
                rule: "moved_out_freeze"
            })
        );
        // Frozen: nothing more until the year is out, then cancelled.
        let frozen = CertState::Frozen;
        assert_eq!(
            r.sweep(frozen, LifeStatus::MovedOut, moved, d("2026-03-14")),
            None
        );
        assert_eq!(
            r.sweep(frozen, LifeStatus::MovedOut, moved, d("2026-03-15")),
            Some(StateChange {
                to: CertState::Cancelled,
                rule: "moved_out_cancel"
            })
        );
        // A sweep that missed the freeze cancels directly.
        assert_eq!(
            r.sweep(active, LifeStatus::MovedOut, moved, d("2026-06-01"))
                .unwrap()
                .to,
            CertState::Cancelled
        );
        assert_eq!(
            r.sweep(
                CertState::Cancelled,
                LifeStatus::Deceased,
                moved,
                d("2026-06-01")
            ),
            None
        );
    }

    #[test]
    fn validity_is_ten_years_unless_a_rule_says_otherwise() {
        let mut r = CertRules::default();
        let physical = Category::new(4).unwrap();
        let mental = Category::new(6).unwrap();
        assert_eq!(
            r.valid_to(physical, d("1980-01-01"), d("2025-03-01")),
            d("2035-02-28")
        );
        // A city's rule: mental disability certificates for 5 years, and for the over-60s 20.
        r.validity.insert(
            0,
            ValidityRule {
                category: Some(mental),
                age_from: None,
                age_to: None,
                years: 5,
            },
        );
        r.validity.insert(
            1,
            ValidityRule {
                category: None,
                age_from: Some(60),
                age_to: None,
                years: 20,
            },
        );
        assert_eq!(
            r.validity_years(mental, d("1950-01-01"), d("2025-01-01")),
            5
        );
        assert_eq!(
            r.validity_years(physical, d("1950-01-01"), d("2025-01-01")),
            20
        );
        assert_eq!(
            r.validity_years(physical, d("1965-06-02"), d("2025-06-01")),
            10,
            "59 on the day"
        );
        assert_eq!(
            r.validity_years(physical, d("1965-06-01"), d("2025-06-01")),
            20,
            "60 on the day"
        );
    }
}
