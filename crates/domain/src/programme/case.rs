//! A service case (个案): one person served by one programme, moving through the programme's
//! steps. Who may take a step, in what order, on which dates, what it must record, and when
//! the step now due falls due on the working-day calendar.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Actor, Step};
use crate::Role;
use crate::calendar::WorkCalendar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    Open,
    Closed,
    Refused,
}

impl CaseState {
    pub const ALL: [CaseState; 3] = [CaseState::Open, CaseState::Closed, CaseState::Refused];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Open => "open",
            CaseState::Closed => "closed",
            CaseState::Refused => "refused",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseState::Open => "办理中",
            CaseState::Closed => "已结案",
            CaseState::Refused => "不予办理",
        }
    }

    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim() || c.label() == s.trim())
    }
}

/// What is done to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseAction {
    /// The step now due is done on `date`, recording a value for each of its fields.
    Step {
        date: NaiveDate,
        values: Vec<(String, String)>,
        attachments: Vec<String>,
        note: String,
    },
    /// Not to be served, with the reason (at any step).
    Refuse { date: NaiveDate, reason: String },
    /// Every step done: the case ends with its outcome.
    Close { date: NaiveDate, outcome: String },
}

impl CaseAction {
    pub fn date(&self) -> NaiveDate {
        match self {
            CaseAction::Step { date, .. }
            | CaseAction::Refuse { date, .. }
            | CaseAction::Close { date, .. } => *date,
        }
    }
}

/// Why an action on a case is refused, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("您的角色不能办理“{step}”：此步骤由{actor}办理")]
    Role { step: String, actor: &'static str },
    #[error("只有镇（街道）及以上残联可以结案或不予办理")]
    NotStaff,
    #[error("个案{0}，不能再办理")]
    NotOpen(&'static str),
    #[error("办理日期不能晚于今天")]
    Future,
    #[error("办理日期不能早于上一步（{0}）")]
    Backwards(NaiveDate),
    #[error("请填写“{0}”")]
    Missing(String),
    #[error("“{0}”不是此步骤记录的内容")]
    Unknown(String),
    #[error("各步骤均已办理，请结案")]
    AllDone,
    #[error("还有步骤未办理：{0}")]
    StepsRemain(String),
    #[error("请填写{0}")]
    Reason(&'static str),
}

/// Whether `role` may take a step whose actor is `actor`: the tier named or one above it
/// (a county records a village's step); a provider's step by the provider, or by a county
/// recording it from the provider's papers.
pub fn may_act(actor: Actor, role: Role) -> bool {
    match actor {
        Actor::Village => matches!(
            role,
            Role::Village | Role::Town | Role::County | Role::City | Role::Admin
        ),
        Actor::Town => matches!(role, Role::Town | Role::County | Role::City | Role::Admin),
        Actor::County => matches!(role, Role::County | Role::City | Role::Admin),
        Actor::City => matches!(role, Role::City | Role::Admin),
        Actor::Provider => matches!(
            role,
            Role::Provider | Role::County | Role::City | Role::Admin
        ),
    }
}

/// Whether `role` may close a case or refuse it: the federation from the town up.
pub fn closes(role: Role) -> bool {
    matches!(role, Role::Town | Role::County | Role::City | Role::Admin)
}

/// A case as its rules read it.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    pub steps: &'a [Step],
    pub state: CaseState,
    /// How many steps are done.
    pub done: usize,
    /// The date of the last step (the opening date before any).
    pub since: NaiveDate,
}

impl Case<'_> {
    /// The step now due, if the case is open and a step remains.
    pub fn current(&self) -> Option<&Step> {
        (self.state == CaseState::Open)
            .then(|| self.steps.get(self.done))
            .flatten()
    }

    /// When the step now due must be done: its limit in working days from the last step.
    pub fn due(&self, cal: &WorkCalendar) -> Option<NaiveDate> {
        self.current()
            .and_then(|s| s.limit_days)
            .map(|n| cal.add_working_days(self.since, n))
    }

    /// Checks `action` by `role` on `today`; the state and the count of steps done after it.
    pub fn take(
        &self,
        action: &CaseAction,
        role: Role,
        today: NaiveDate,
    ) -> Result<(CaseState, usize), CaseError> {
        if self.state != CaseState::Open {
            return Err(CaseError::NotOpen(self.state.label()));
        }
        let date = action.date();
        if date > today {
            return Err(CaseError::Future);
        }
        if date < self.since {
            return Err(CaseError::Backwards(self.since));
        }
        match action {
            CaseAction::Step { values, .. } => {
                let step = self.current().ok_or(CaseError::AllDone)?;
                if !may_act(step.actor, role) {
                    return Err(CaseError::Role {
                        step: step.name.clone(),
                        actor: step.actor.label(),
                    });
                }
                for (k, _) in values {
                    if !step.fields.contains(k) {
                        return Err(CaseError::Unknown(k.clone()));
                    }
                }
                for f in &step.fields {
                    let given = values.iter().any(|(k, v)| k == f && !v.trim().is_empty());
                    if !given {
                        return Err(CaseError::Missing(f.clone()));
                    }
                }
                Ok((CaseState::Open, self.done + 1))
            }
            CaseAction::Refuse { reason, .. } => {
                if !closes(role) {
                    return Err(CaseError::NotStaff);
                }
                if reason.trim().is_empty() {
                    return Err(CaseError::Reason("不予办理的原因"));
                }
                Ok((CaseState::Refused, self.done))
            }
            CaseAction::Close { outcome, .. } => {
                if !closes(role) {
                    return Err(CaseError::NotStaff);
                }
                if let Some(s) = self.current() {
                    return Err(CaseError::StepsRemain(s.name.clone()));
                }
                if outcome.trim().is_empty() {
                    return Err(CaseError::Reason("结案结果"));
                }
                Ok((CaseState::Closed, self.done))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::programme::parse_steps;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn step(date: &str, values: &[(&str, &str)]) -> CaseAction {
        CaseAction::Step {
            date: d(date),
            values: values
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            attachments: Vec::new(),
            note: String::new(),
        }
    }

    #[test]
    fn a_case_goes_through_its_steps_by_the_right_hands() {
        let steps = parse_steps("申请（村，5）→评估（县，10，评估结论）→服务（机构）").unwrap();
        let today = d("2025-10-31");
        let cal = WorkCalendar::shipped();
        let mut case = Case {
            steps: &steps,
            state: CaseState::Open,
            done: 0,
            since: d("2025-09-01"),
        };
        // 2025-09-01 is a Monday: five working days later is the 8th.
        assert_eq!(case.due(&cal), Some(d("2025-09-08")));
        assert_eq!(
            case.take(&step("2025-09-02", &[]), Role::Village, today),
            Ok((CaseState::Open, 1))
        );
        case.done = 1;
        case.since = d("2025-09-02");
        assert_eq!(
            case.take(
                &step("2025-09-03", &[("评估结论", "适合")]),
                Role::Village,
                today
            ),
            Err(CaseError::Role {
                step: "评估".into(),
                actor: "县（区）残联"
            })
        );
        assert_eq!(
            case.take(&step("2025-09-03", &[]), Role::County, today),
            Err(CaseError::Missing("评估结论".into()))
        );
        assert_eq!(
            case.take(
                &step("2025-09-01", &[("评估结论", "适合")]),
                Role::County,
                today
            ),
            Err(CaseError::Backwards(d("2025-09-02")))
        );
        assert_eq!(
            case.take(
                &step("2025-11-01", &[("评估结论", "适合")]),
                Role::County,
                today
            ),
            Err(CaseError::Future)
        );
        assert_eq!(
            case.take(&step("2025-09-03", &[("价格", "1")]), Role::County, today),
            Err(CaseError::Unknown("价格".into()))
        );
        assert!(
            case.take(
                &step("2025-09-03", &[("评估结论", "适合")]),
                Role::County,
                today
            )
            .is_ok()
        );
        case.done = 2;
        assert_eq!(case.due(&cal), None, "the service step has no limit");
        // A provider's step: the provider, or a county from its papers; not a village.
        assert!(
            case.take(&step("2025-09-04", &[]), Role::Provider, today)
                .is_ok()
        );
        assert!(
            case.take(&step("2025-09-04", &[]), Role::Village, today)
                .is_err()
        );
        let close = CaseAction::Close {
            date: d("2025-09-05"),
            outcome: "已服务".into(),
        };
        assert_eq!(
            case.take(&close, Role::County, today),
            Err(CaseError::StepsRemain("服务".into()))
        );
        case.done = 3;
        assert_eq!(
            case.take(&step("2025-09-05", &[]), Role::County, today),
            Err(CaseError::AllDone)
        );
        assert_eq!(
            case.take(&close, Role::Village, today),
            Err(CaseError::NotStaff)
        );
        assert_eq!(
            case.take(&close, Role::County, today),
            Ok((CaseState::Closed, 3))
        );
        let refuse = CaseAction::Refuse {
            date: d("2025-09-05"),
            reason: " ".into(),
        };
        assert_eq!(
            case.take(&refuse, Role::County, today),
            Err(CaseError::Reason("不予办理的原因"))
        );
        case.state = CaseState::Closed;
        assert_eq!(
            case.take(&close, Role::County, today),
            Err(CaseError::NotOpen("已结案"))
        );
    }
}
