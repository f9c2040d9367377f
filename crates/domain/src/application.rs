//! Certificate applications (残疾人证办理) through their steps (reference §3): application →
//! assessment by a designated hospital → public notice in the village (5 working days) →
//! county review (10 working days) → issued or refused → appeal to the city within 10
//! working days of a refusal. The state machine is here, pure: who may take a step, in which
//! state, and what a step's data must say; the store records each step and applies an issue to
//! the person's file.

use chrono::NaiveDate;
use serde::Serialize;

use crate::Role;
use crate::calendar::WorkCalendar;
use crate::certificate::{Category, Components, Grade};

/// What is applied for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// 新办
    New,
    /// 换领 (at the end of validity; re-assessed)
    Renewal,
    /// 类别、等级变更 (re-assessed)
    Change,
    /// 迁移 (household moved)
    Transfer,
    /// 挂失补办
    Reissue,
    /// 注销
    Cancel,
}

impl AppKind {
    pub const ALL: [AppKind; 6] = [
        AppKind::New,
        AppKind::Renewal,
        AppKind::Change,
        AppKind::Transfer,
        AppKind::Reissue,
        AppKind::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppKind::New => "new",
            AppKind::Renewal => "renewal",
            AppKind::Change => "change",
            AppKind::Transfer => "transfer",
            AppKind::Reissue => "reissue",
            AppKind::Cancel => "cancel",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AppKind::New => "新办",
            AppKind::Renewal => "换领",
            AppKind::Change => "类别等级变更",
            AppKind::Transfer => "迁移",
            AppKind::Reissue => "挂失补办",
            AppKind::Cancel => "注销",
        }
    }

    pub fn parse(s: &str) -> Option<AppKind> {
        let s = s.trim();
        AppKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label() == s)
    }

    /// Whether the kind goes through assessment and public notice.
    pub fn needs_assessment(self) -> bool {
        matches!(self, AppKind::New | AppKind::Renewal | AppKind::Change)
    }
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppState {
    /// Waiting for the assessment (or, for kinds without one, the review).
    Applied,
    /// Assessed; the public notice is to be posted.
    Assessed,
    /// On public notice until its end.
    Noticed,
    Issued,
    Refused,
    /// Refused and appealed to the city.
    Appealed,
    /// The appeal was dismissed: the refusal stands.
    Closed,
}

impl AppState {
    /// The states of an application still under way: one such application per person at a
    /// time. (A refused one is over unless appealed: a new one may be taken.)
    pub const OPEN: [AppState; 4] = [
        AppState::Applied,
        AppState::Assessed,
        AppState::Noticed,
        AppState::Appealed,
    ];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// [`Self::OPEN`] as an SQL list: `('applied', 'assessed', …)`.
    pub fn open_sql() -> String {
        let states: Vec<String> = Self::OPEN
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        format!("({})", states.join(", "))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AppState::Applied => "applied",
            AppState::Assessed => "assessed",
            AppState::Noticed => "noticed",
            AppState::Issued => "issued",
            AppState::Refused => "refused",
            AppState::Appealed => "appealed",
            AppState::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AppState::Applied => "已受理",
            AppState::Assessed => "已评定",
            AppState::Noticed => "公示中",
            AppState::Issued => "已办结（发证）",
            AppState::Refused => "不予办理",
            AppState::Appealed => "申诉中",
            AppState::Closed => "已办结（维持不予办理）",
        }
    }

    pub fn parse(s: &str) -> Option<AppState> {
        [
            AppState::Applied,
            AppState::Assessed,
            AppState::Noticed,
            AppState::Issued,
            AppState::Refused,
            AppState::Appealed,
            AppState::Closed,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// The hospital's assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub hospital: String,
    pub doctor: String,
    pub date: NaiveDate,
    pub category: Category,
    pub grade: Grade,
    pub components: Components,
}

/// A step taken on an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Assess(Assessment),
    /// The public notice posted in the village on a date.
    Notice {
        date: NaiveDate,
    },
    /// The county's decision.
    Review {
        date: NaiveDate,
        approve: bool,
        reason: String,
    },
    /// An appeal lodged against a refusal.
    Appeal {
        date: NaiveDate,
        reason: String,
    },
    /// The city's decision on an appeal: `uphold` the appeal (issue) or dismiss it.
    DecideAppeal {
        date: NaiveDate,
        uphold: bool,
        reason: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Assess(_) => "assess",
            Action::Notice { .. } => "notice",
            Action::Review { .. } => "review",
            Action::Appeal { .. } => "appeal",
            Action::DecideAppeal { .. } => "decide_appeal",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Action::Assess(_) => "评定",
            Action::Notice { .. } => "公示",
            Action::Review { .. } => "审核",
            Action::Appeal { .. } => "申诉",
            Action::DecideAppeal { .. } => "申诉处理",
        }
    }

    pub fn date(&self) -> NaiveDate {
        match self {
            Action::Assess(a) => a.date,
            Action::Notice { date }
            | Action::Review { date, .. }
            | Action::Appeal { date, .. }
            | Action::DecideAppeal { date, .. } => *date,
        }
    }

    /// Whether `role` may take this step (the region is checked by the store).
    pub fn allowed_to(&self, role: Role) -> bool {
        match self {
            Action::Assess(_) | Action::Review { .. } => {
                matches!(role, Role::Admin | Role::County)
            }
            Action::Notice { .. } | Action::Appeal { .. } => matches!(
                role,
                Role::Admin | Role::County | Role::Town | Role::Village
            ),
            Action::DecideAppeal { .. } => matches!(role, Role::Admin | Role::City),
        }
    }
}

/// The time limits, in working days.
pub const NOTICE_DAYS: u32 = 5;
pub const REVIEW_DAYS: u32 = 10;
pub const APPEAL_DAYS: u32 = 10;

/// What an application is, as the rules need it.
#[derive(Debug, Clone)]
pub struct Application {
    pub kind: AppKind,
    pub state: AppState,
    /// The date of the last step (application, notice, refusal…).
    pub since: NaiveDate,
    /// The holder's certificate before the application, for a change.
    pub current: Option<(Category, Grade)>,
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("当前状态为“{0}”，不能进行“{1}”")]
    OutOfOrder(&'static str, &'static str),
    #[error("您的角色不能进行“{0}”")]
    Role(&'static str),
    #[error("{0}不能晚于今天")]
    Future(&'static str),
    #[error("{0}不能早于上一步的日期")]
    Backwards(&'static str),
    #[error("{0}类申请不经评定")]
    NoAssessment(&'static str),
    #[error("变更申请的评定结果与现持证的类别和等级相同，不构成变更")]
    NoChange,
    #[error("公示期未满（公示至 {0}）")]
    NoticeRunning(NaiveDate),
    #[error("申诉期已过（不予办理后 {days} 个工作日内，截至 {until}）")]
    AppealLate { days: u32, until: NaiveDate },
    #[error("请填写{0}")]
    Missing(&'static str),
}

impl Application {
    /// The last day of the public notice posted on `posted`.
    pub fn notice_end(cal: &WorkCalendar, posted: NaiveDate) -> NaiveDate {
        cal.add_working_days(posted, NOTICE_DAYS - 1)
    }

    /// The steps the application goes through, in order, and which of them is now due
    /// (`None` once it is closed).
    pub fn steps(&self) -> (Vec<&'static str>, Option<usize>) {
        let mut steps = vec!["受理"];
        if self.kind.needs_assessment() {
            steps.extend(["评定", "公示（5个工作日）"]);
        }
        steps.extend(["县残联审核", "办结"]);
        let review = steps.len() - 2;
        let now = match self.state {
            AppState::Applied if self.kind.needs_assessment() => Some(1),
            AppState::Applied | AppState::Noticed => Some(review),
            AppState::Assessed => Some(2),
            AppState::Refused | AppState::Appealed => Some(review),
            AppState::Issued | AppState::Closed => None,
        };
        (steps, now)
    }

    /// Who acts next, in words ("等待县残联审核").
    pub fn waiting_for(&self) -> &'static str {
        match self.state {
            AppState::Applied if self.kind.needs_assessment() => "等待县残联组织评定",
            AppState::Applied => "等待县残联审核",
            AppState::Assessed => "等待村（社区）或镇（街道）张贴公示",
            AppState::Noticed => "公示中，期满后等待县残联审核",
            AppState::Refused => "不予办理：申请人可在期限内向市残联申诉",
            AppState::Appealed => "等待市残联处理申诉",
            AppState::Issued | AppState::Closed => "已办结",
        }
    }

    /// What the deadline of the step now due is, in words.
    pub fn deadline_label(&self) -> &'static str {
        match self.state {
            AppState::Noticed => "县残联审核截止",
            AppState::Refused => "申诉截止",
            _ => "期限",
        }
    }

    /// The deadline of the step now due, and whether it has passed on `today`.
    pub fn deadline(&self, cal: &WorkCalendar) -> Option<NaiveDate> {
        match self.state {
            AppState::Noticed => {
                Some(cal.add_working_days(Self::notice_end(cal, self.since), REVIEW_DAYS))
            }
            AppState::Refused => Some(cal.add_working_days(self.since, APPEAL_DAYS)),
            _ => None,
        }
    }

    /// Checks `action` by `role` on `today` and returns the state it leads to.
    pub fn step(
        &self,
        action: &Action,
        role: Role,
        today: NaiveDate,
        cal: &WorkCalendar,
    ) -> Result<AppState, StepError> {
        let label = action.label();
        if !action.allowed_to(role) {
            return Err(StepError::Role(label));
        }
        let date = action.date();
        if date > today {
            return Err(StepError::Future(label));
        }
        if date < self.since {
            return Err(StepError::Backwards(label));
        }
        let out_of_order = || StepError::OutOfOrder(self.state.label(), label);
        match (self.state, action) {
            (AppState::Applied, Action::Assess(a)) => {
                if !self.kind.needs_assessment() {
                    return Err(StepError::NoAssessment(self.kind.label()));
                }
                if a.hospital.trim().is_empty() {
                    return Err(StepError::Missing("评定机构"));
                }
                if a.doctor.trim().is_empty() {
                    return Err(StepError::Missing("评定医生"));
                }
                if self.kind == AppKind::Change && self.current == Some((a.category, a.grade)) {
                    return Err(StepError::NoChange);
                }
                Ok(AppState::Assessed)
            }
            (AppState::Assessed, Action::Notice { .. }) => Ok(AppState::Noticed),
            (
                AppState::Noticed,
                Action::Review {
                    date,
                    approve,
                    reason,
                },
            ) => {
                let end = Self::notice_end(cal, self.since);
                if *date <= end {
                    return Err(StepError::NoticeRunning(end));
                }
                decision(*approve, reason)
            }
            (
                AppState::Applied,
                Action::Review {
                    approve, reason, ..
                },
            ) if !self.kind.needs_assessment() => decision(*approve, reason),
            (AppState::Refused, Action::Appeal { date, reason }) => {
                let until = cal.add_working_days(self.since, APPEAL_DAYS);
                if *date > until {
                    return Err(StepError::AppealLate {
                        days: APPEAL_DAYS,
                        until,
                    });
                }
                if reason.trim().is_empty() {
                    return Err(StepError::Missing("申诉理由"));
                }
                Ok(AppState::Appealed)
            }
            (AppState::Appealed, Action::DecideAppeal { uphold, reason, .. }) => {
                if reason.trim().is_empty() {
                    return Err(StepError::Missing("处理意见"));
                }
                Ok(if *uphold {
                    AppState::Issued
                } else {
                    AppState::Closed
                })
            }
            _ => Err(out_of_order()),
        }
    }
}

fn decision(approve: bool, reason: &str) -> Result<AppState, StepError> {
    if approve {
        Ok(AppState::Issued)
    } else if reason.trim().is_empty() {
        Err(StepError::Missing("不予办理的理由"))
    } else {
        Ok(AppState::Refused)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn assessment(date: &str, category: u8, grade: u8) -> Action {
        Action::Assess(Assessment {
            hospital: "南京市第一医院".into(),
            doctor: "王医生".into(),
            date: d(date),
            category: Category::new(category).unwrap(),
            grade: Grade::new(grade).unwrap(),
            components: Components(Vec::new()),
        })
    }

    fn app(kind: AppKind, state: AppState, since: &str) -> Application {
        Application {
            kind,
            state,
            since: d(since),
            current: Some((Category::new(4).unwrap(), Grade::new(3).unwrap())),
        }
    }

    #[test]
    fn a_new_certificate_goes_through_every_step_in_order() {
        let cal = WorkCalendar::shipped();
        let today = d("2025-12-31");
        let a = app(AppKind::New, AppState::Applied, "2025-09-01");
        assert_eq!(
            a.step(&assessment("2025-09-10", 4, 2), Role::County, today, &cal),
            Ok(AppState::Assessed)
        );
        // Out of order: a review before the notice.
        let review = Action::Review {
            date: d("2025-09-12"),
            approve: true,
            reason: String::new(),
        };
        assert!(matches!(
            app(AppKind::New, AppState::Assessed, "2025-09-10").step(
                &review,
                Role::County,
                today,
                &cal
            ),
            Err(StepError::OutOfOrder(..))
        ));
        let noticed = app(AppKind::New, AppState::Assessed, "2025-09-10").step(
            &Action::Notice {
                date: d("2025-09-26"),
            },
            Role::Village,
            today,
            &cal,
        );
        assert_eq!(noticed, Ok(AppState::Noticed));
        // Posted Friday 26 September: five working days end on Thursday 9 October (the
        // National Day week is off, Sunday the 28th worked).
        let on_notice = app(AppKind::New, AppState::Noticed, "2025-09-26");
        assert_eq!(
            Application::notice_end(&cal, d("2025-09-26")),
            d("2025-10-09")
        );
        let early = Action::Review {
            date: d("2025-10-09"),
            approve: true,
            reason: String::new(),
        };
        assert_eq!(
            on_notice.step(&early, Role::County, today, &cal),
            Err(StepError::NoticeRunning(d("2025-10-09")))
        );
        let ok = Action::Review {
            date: d("2025-10-10"),
            approve: true,
            reason: String::new(),
        };
        assert_eq!(
            on_notice.step(&ok, Role::County, today, &cal),
            Ok(AppState::Issued)
        );
        // The review is due within 10 working days of the notice's end.
        assert_eq!(
            on_notice.deadline(&cal),
            Some(d("2025-10-22")),
            "Saturday the 11th is worked"
        );
        // A village worker may post the notice but not review; a date to come is refused.
        assert_eq!(
            on_notice.step(&ok, Role::Village, today, &cal),
            Err(StepError::Role("审核"))
        );
        assert!(matches!(
            on_notice.step(
                &Action::Review {
                    date: d("2026-01-05"),
                    approve: true,
                    reason: String::new()
                },
                Role::County,
                today,
                &cal
            ),
            Err(StepError::Future(_))
        ));
    }

    #[test]
    fn refusals_appeals_and_contradictions() {
        let cal = WorkCalendar::shipped();
        let today = d("2025-12-31");
        let on_notice = app(AppKind::Renewal, AppState::Noticed, "2025-11-03");
        let refuse = Action::Review {
            date: d("2025-11-20"),
            approve: false,
            reason: String::new(),
        };
        assert_eq!(
            on_notice.step(&refuse, Role::County, today, &cal),
            Err(StepError::Missing("不予办理的理由"))
        );
        let refuse = Action::Review {
            date: d("2025-11-20"),
            approve: false,
            reason: "评定不符合标准".into(),
        };
        assert_eq!(
            on_notice.step(&refuse, Role::County, today, &cal),
            Ok(AppState::Refused)
        );
        let refused = app(AppKind::Renewal, AppState::Refused, "2025-11-20");
        // Ten working days after Thursday 20 November: Thursday 4 December.
        let late = Action::Appeal {
            date: d("2025-12-05"),
            reason: "复评".into(),
        };
        assert!(matches!(
            refused.step(&late, Role::Town, today, &cal),
            Err(StepError::AppealLate { .. })
        ));
        let appeal = Action::Appeal {
            date: d("2025-12-04"),
            reason: "复评".into(),
        };
        assert_eq!(
            refused.step(&appeal, Role::Town, today, &cal),
            Ok(AppState::Appealed)
        );
        let appealed = app(AppKind::Renewal, AppState::Appealed, "2025-12-04");
        let decide = Action::DecideAppeal {
            date: d("2025-12-10"),
            uphold: false,
            reason: "维持".into(),
        };
        assert_eq!(
            appealed.step(&decide, Role::County, today, &cal),
            Err(StepError::Role("申诉处理"))
        );
        assert_eq!(
            appealed.step(&decide, Role::City, today, &cal),
            Ok(AppState::Closed)
        );
        // A change assessed as what the holder already has is no change.
        let change = app(AppKind::Change, AppState::Applied, "2025-09-01");
        assert_eq!(
            change.step(&assessment("2025-09-10", 4, 3), Role::County, today, &cal),
            Err(StepError::NoChange)
        );
        assert_eq!(
            change.step(&assessment("2025-09-10", 4, 2), Role::County, today, &cal),
            Ok(AppState::Assessed)
        );
        // Kinds without assessment go straight to the review.
        let reissue = app(AppKind::Reissue, AppState::Applied, "2025-09-01");
        assert_eq!(
            reissue.step(&assessment("2025-09-10", 4, 2), Role::County, today, &cal),
            Err(StepError::NoAssessment("挂失补办"))
        );
        let ok = Action::Review {
            date: d("2025-09-02"),
            approve: true,
            reason: String::new(),
        };
        assert_eq!(
            reissue.step(&ok, Role::County, today, &cal),
            Ok(AppState::Issued)
        );
        // Nothing before the last step's date.
        let back = Action::Review {
            date: d("2025-08-30"),
            approve: true,
            reason: String::new(),
        };
        assert_eq!(
            reissue.step(&back, Role::County, today, &cal),
            Err(StepError::Backwards("审核"))
        );
    }
}
