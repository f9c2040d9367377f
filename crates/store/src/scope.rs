//! The scope of an access: who acts, in which role, over which region subtree, from where.
//!
//! Only this crate makes a `Scope`: from a checked login or session, or for the CLI from a
//! named local account. A web handler cannot build one, so it cannot reach a store function
//! that touches people's data without a logged-in user's limits.

use anju_domain::{Region, RegionCode, Role};

#[derive(Debug, Clone)]
pub struct Scope {
    pub(crate) user_id: i64,
    pub(crate) username: String,
    pub(crate) role: Role,
    pub(crate) region: Region,
    pub(crate) client: String,
    /// For a provider's account: the provider it acts for (its cases, nothing else).
    pub(crate) provider: Option<i64>,
}

impl Scope {
    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The provider a provider's account acts for.
    pub fn provider(&self) -> Option<i64> {
        self.provider
    }

    /// The client address recorded in audit entries ("cli" for the command line).
    pub fn client(&self) -> &str {
        &self.client
    }

    /// Whether `code` lies in this scope's subtree.
    pub fn covers(&self, code: &RegionCode) -> bool {
        self.region.covers(code)
    }

    /// Whether a stored region code is in the scope (a code that does not parse is not).
    pub fn covers_code(&self, code: &str) -> bool {
        RegionCode::parse(code).is_ok_and(|c| self.covers(&c))
    }

    /// Whether a row of region `code` that is not personal data (a posting, a course, a
    /// cross-check batch) is seen: it lies in this subtree, or is one of the regions above it
    /// (a county's posting is open to its towns; the next town's is not).
    pub fn shares(&self, code: &str) -> bool {
        RegionCode::parse(code).is_ok_and(|c| {
            self.covers(&c)
                || anju_domain::RegionTable::jiangsu()
                    .path(&self.region.code)
                    .iter()
                    .any(|r| r.code == c)
        })
    }

    /// [`Scope::shares`] as a condition on column `col`, its arguments added to `w`.
    pub(crate) fn shared_sql(
        &self,
        w: &mut crate::sql::Where,
        backend: crate::Backend,
        col: &str,
    ) -> String {
        let inside = w.prefix(backend, col, self.prefix());
        let above: Vec<String> = anju_domain::RegionTable::jiangsu()
            .path(&self.region.code)
            .into_iter()
            .filter(|r| r.code != self.region.code)
            .map(|r| w.arg(crate::sql::Arg::Text(r.code.to_string())))
            .collect();
        if above.is_empty() {
            inside
        } else {
            format!("({inside} OR {col} IN ({}))", above.join(", "))
        }
    }

    /// The code prefix for `LIKE $n || '%'` filters.
    pub(crate) fn prefix(&self) -> &str {
        self.region.prefix()
    }

    pub(crate) fn require(&self, allowed: bool) -> crate::Result<()> {
        if allowed {
            Ok(())
        } else {
            Err(crate::StoreError::Forbidden)
        }
    }
}
