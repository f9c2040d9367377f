//! Roles and what each may do (reference §1, §11).
//!
//! Every account has exactly one role and one region; the region bounds *where* it acts, the
//! role *what* it may do there. Staff roles are bound to a region of their own tier (a county
//! clerk to a county code); the others may be bound at any level. Administration and audit are
//! kept apart, as MLPS level 3 practice asks: the administrator manages accounts but does not
//! read the audit log, the auditor reads it but changes nothing.

use serde::Serialize;

use crate::region::Level;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    City,
    County,
    Town,
    Village,
    Provider,
    Leader,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::City,
        Role::County,
        Role::Town,
        Role::Village,
        Role::Provider,
        Role::Leader,
        Role::Auditor,
    ];

    /// The CLI and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::City => "city",
            Role::County => "county",
            Role::Town => "town",
            Role::Village => "village",
            Role::Provider => "provider",
            Role::Leader => "leader",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// The name shown in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::City => "市残联工作人员",
            Role::County => "县（区）残联工作人员",
            Role::Town => "镇（街道）残联工作人员",
            Role::Village => "村（社区）专职委员",
            Role::Provider => "服务机构",
            Role::Leader => "领导（只读）",
            Role::Auditor => "审计员",
        }
    }

    /// The region level a staff role must be bound to; `None` for roles bound at any level.
    pub fn required_level(self) -> Option<Level> {
        match self {
            Role::City => Some(Level::City),
            Role::County => Some(Level::County),
            Role::Town => Some(Level::Town),
            Role::Village => Some(Level::Village),
            Role::Admin | Role::Provider | Role::Leader | Role::Auditor => None,
        }
    }

    /// Whether an account of this role may be bound to a region of `level`.
    pub fn fits_level(self, level: Level) -> bool {
        self.required_level().is_none_or(|l| l == level)
    }

    pub fn manages_users(self) -> bool {
        self == Role::Admin
    }

    pub fn reads_audit(self) -> bool {
        self == Role::Auditor
    }

    /// May read people's files in the subtree (service providers only ever see the people
    /// they serve, from the services issues on; auditors read the audit log, not the files).
    pub fn reads_persons(self) -> bool {
        !matches!(self, Role::Provider | Role::Auditor)
    }

    /// May create and change people's files.
    pub fn writes_persons(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::City | Role::County | Role::Town | Role::Village
        )
    }

    /// May bring in whole sheets.
    pub fn imports_persons(self) -> bool {
        matches!(self, Role::Admin | Role::City | Role::County | Role::Town)
    }

    /// May see ID, phone and bank account numbers whole (each reveal is audited); others
    /// always see them masked, in pages and exports alike.
    pub fn sees_identifiers(self) -> bool {
        matches!(self, Role::Admin | Role::City | Role::County | Role::Town)
    }

    /// Sets plan targets and splits a county's task among its towns (the leader reads them).
    pub fn sets_targets(self) -> bool {
        matches!(self, Role::Admin | Role::City | Role::County)
    }

    /// May set the subsidy policy: standards, 低保 standards (rules that move money for a
    /// whole city).
    pub fn sets_policy(self) -> bool {
        matches!(self, Role::Admin | Role::City)
    }

    /// May generate, approve and export the monthly subsidy rolls and reconcile the bank's
    /// return (approval also needs another user than the one who generated the roll).
    pub fn runs_rolls(self) -> bool {
        matches!(self, Role::Admin | Role::City | Role::County)
    }

    /// May run services at the level that pays for them: register providers, open a case
    /// against a programme's conditions (with a reason), draft and approve settlements.
    pub fn manages_services(self) -> bool {
        matches!(self, Role::Admin | Role::City | Role::County)
    }

    /// May run employment services above the village: post employers' jobs, place people
    /// in them, and run training courses (the village worker registers seekers and records
    /// the steps and visits it makes).
    pub fn runs_job_services(self) -> bool {
        matches!(self, Role::Admin | Role::City | Role::County | Role::Town)
    }

    /// May record what a provider delivered on a case: the provider's own account, or a
    /// county or city entering it from the provider's papers.
    pub fn records_deliveries(self) -> bool {
        matches!(
            self,
            Role::Provider | Role::County | Role::City | Role::Admin
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_fail() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert!(!r.label().is_empty());
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse("Admin"), None);
    }

    #[test]
    fn staff_roles_are_bound_to_their_tier() {
        assert!(Role::County.fits_level(Level::County));
        assert!(!Role::County.fits_level(Level::Town));
        assert!(!Role::Village.fits_level(Level::Town));
        assert!(Role::Admin.fits_level(Level::Province));
        assert!(Role::Leader.fits_level(Level::Village));
    }

    #[test]
    fn administration_and_audit_are_separate() {
        assert!(Role::Admin.manages_users() && !Role::Admin.reads_audit());
        assert!(Role::Auditor.reads_audit() && !Role::Auditor.manages_users());
        let others = Role::ALL
            .into_iter()
            .filter(|r| r.manages_users() || r.reads_audit())
            .count();
        assert_eq!(others, 2);
    }
}
