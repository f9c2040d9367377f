//! Login failures by account and address, the settings behind the lockout and flagging rules,
//! unlocking, and the auditor's flags on searches by whole ID number (reference §11; the rules
//! themselves are `anju_domain::session::SessionPolicy`).
//!
//! A failed password counts twice: for the account from that address (5 lock that address
//! out) and for the account from anywhere (50 in a row lock it everywhere). So a guesser on
//! one machine cannot lock an administrator out of their own desk, and a spray from many
//! machines still ends. Changing one's password with a wrong current password counts the
//! same way.

use anju_domain::audit::Outcome;
use anju_domain::session::{SETTINGS, SessionPolicy};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::audit::{NewEntry, append};
use crate::{Result, Scope, Store, StoreError};

/// The audit action of a search by a whole ID number (outcome failure: nothing found).
pub const ID_SEARCH: &str = "person.id_search";

/// A user whose searches by whole ID number missed more often than the setting allows within
/// sixty minutes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct IdSearchFlag {
    pub actor: String,
    pub actor_region: Option<String>,
    /// The end of the worst sixty minutes (the last miss in it), ms since the epoch.
    pub until_ms: i64,
    pub misses: i64,
}

/// A failed password, counted. `locked` when this failure locked the account (for the
/// address, or everywhere).
pub(crate) struct Counted {
    pub failures: i64,
    pub locked: bool,
}

/// The `login_failures` row that counts an account's failures from every address.
const EVERYWHERE: &str = "*";

/// Counts a failed password for `user_id` from `client` inside a write transaction on the
/// live database, locking the account for that address, or everywhere, when a limit is
/// reached.
pub(crate) async fn count_failure(
    conn: &mut AnyConnection,
    policy: &SessionPolicy,
    user_id: i64,
    client: &str,
    now_ms: i64,
) -> Result<Counted> {
    let now = now_ms / 1000;
    let mut counted = Counted {
        failures: 0,
        locked: false,
    };
    for (key, limit) in [
        (client, policy.max_failures),
        (EVERYWHERE, policy.max_failures_any_address),
    ] {
        // A lock that has run out starts the count again.
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (user_id, client, failures, locked_until, last_at) \
             VALUES ($1, $2, 1, NULL, $3) ON CONFLICT (user_id, client) DO UPDATE SET \
             failures = CASE WHEN login_failures.locked_until IS NOT NULL \
             AND login_failures.locked_until <= $3 THEN 1 ELSE login_failures.failures + 1 END, \
             locked_until = NULL, last_at = $3 RETURNING failures",
        )
        .bind(user_id)
        .bind(key.to_owned())
        .bind(now_ms)
        .fetch_one(&mut *conn)
        .await?;
        if key == client {
            counted.failures = failures;
        }
        if failures >= limit {
            sqlx::query(
                "UPDATE login_failures SET locked_until = $1 WHERE user_id = $2 AND client = $3",
            )
            .bind((now + policy.lockout_secs) * 1000)
            .bind(user_id)
            .bind(key.to_owned())
            .execute(&mut *conn)
            .await?;
            counted.locked = true;
        }
    }
    Ok(counted)
}

/// Whether `user_id` is locked out for `client` (or everywhere) at `now_ms`.
pub(crate) async fn locked_out(
    store: &Store,
    user_id: i64,
    client: &str,
    now_ms: i64,
) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE user_id = $1 AND client IN ($2, $3) \
         AND locked_until > $4",
    )
    .bind(user_id)
    .bind(client.to_owned())
    .bind(EVERYWHERE)
    .bind(now_ms)
    .fetch_one(store.live())
    .await?;
    Ok(n > 0)
}

/// Forgets the failures of `user_id` from `client` (and its count from everywhere) after a
/// right password, and old rows of anyone's that no longer lock anything.
pub(crate) async fn clear_failures(
    conn: &mut AnyConnection,
    user_id: i64,
    client: &str,
    now_ms: i64,
) -> Result<()> {
    sqlx::query(
        "DELETE FROM login_failures WHERE (user_id = $1 AND client IN ($2, $3)) \
         OR (last_at < $4 AND (locked_until IS NULL OR locked_until < $5))",
    )
    .bind(user_id)
    .bind(client.to_owned())
    .bind(EVERYWHERE)
    .bind(now_ms - 86_400_000)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes every failure and lock of an account (an administrator's unlock, a reset).
pub(crate) async fn forget_account(store: &Store, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE user_id = $1")
        .bind(user_id)
        .execute(store.live())
        .await?;
    Ok(())
}

/// Ends every session of an account, or every one but `keep` (a token hash).
pub(crate) async fn end_sessions(store: &Store, user_id: i64, keep: Option<&str>) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or_default().to_owned())
        .execute(store.live())
        .await?;
    Ok(())
}

pub struct Security<'a> {
    store: &'a Store,
}

impl<'a> Security<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Applies the stored settings to the rules in force (at open, and as the server runs).
    pub async fn load(&self) -> Result<()> {
        let _guard = self.store.settings_lock().await;
        let mut policy = self.store.policy();
        for row in sqlx::query("SELECT name, value FROM security_settings")
            .fetch_all(self.store.pool())
            .await?
        {
            let (name, value): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
            // A setting this version no longer knows is left in the table, unused.
            let _ = policy.set(&name, value);
        }
        self.store.set_policy(policy);
        Ok(())
    }

    /// Every setting: (name, Chinese label, value in force).
    pub fn settings(&self) -> Vec<(&'static str, &'static str, i64)> {
        let policy = self.store.policy();
        SETTINGS
            .iter()
            .map(|(name, label)| (*name, *label, policy.get(name).unwrap_or_default()))
            .collect()
    }

    /// Changes a setting (province administrators only), audited.
    pub async fn set(&self, scope: &Scope, name: &str, value: i64) -> Result<()> {
        scope.require(scope.role.manages_users() && scope.region.parent.is_none())?;
        let _guard = self.store.settings_lock().await;
        let mut policy = self.store.policy();
        let before = policy.get(name);
        policy.set(name, value).map_err(StoreError::invalid)?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO security_settings (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name.to_owned())
        .bind(value)
        .execute(&mut *tx)
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "security.setting",
                format!("setting:{name}"),
                Outcome::Success,
            )
            .detail(format!("{} → {value}", before.unwrap_or_default())),
        )
        .await?;
        tx.commit().await?;
        self.store.set_policy(policy);
        Ok(())
    }

    /// Lifts every lock on an account (all addresses), for an administrator over its region.
    pub async fn unlock(&self, scope: &Scope, username: &str) -> Result<()> {
        let target = self.store.users().get(scope, username).await?;
        forget_account(self.store, target.id).await?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = $1 WHERE id = $2",
        )
        .bind(now)
        .bind(target.id)
        .execute(&mut *tx)
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "user.unlock",
                format!("user:{username}"),
                Outcome::Success,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The accounts locked now, for some address or everywhere (an administrator's view).
    pub async fn locked_users(&self, scope: &Scope) -> Result<std::collections::HashSet<i64>> {
        scope.require(scope.role.manages_users())?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM login_failures WHERE locked_until > $1",
        )
        .bind(self.store.now_ms())
        .fetch_all(self.store.live())
        .await?;
        Ok(ids.into_iter().collect())
    }

    /// Whether an account is locked for some address or everywhere now.
    pub async fn is_locked(&self, user_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE user_id = $1 AND locked_until > $2",
        )
        .bind(user_id)
        .bind(self.store.now_ms())
        .fetch_one(self.store.live())
        .await?;
        Ok(n > 0)
    }

    /// The users of the auditor's subtree whose searches by whole ID number missed more than
    /// the setting allows within any sixty minutes of the last seven days: each with its
    /// worst hour (the hour ending at its last miss), most misses first.
    pub async fn id_search_flags(&self, scope: &Scope) -> Result<Vec<IdSearchFlag>> {
        scope.require(scope.role.reads_audit())?;
        let limit = self.store.policy().id_search_misses_per_hour;
        let since = self.store.now_ms() - 7 * 86_400_000;
        let rows = sqlx::query(
            "SELECT a.actor, a.actor_region, a.at_ms, \
             (SELECT COUNT(*) FROM audit_log b WHERE b.action = $1 AND b.outcome = 'failure' \
              AND b.actor = a.actor AND b.at_ms > a.at_ms - 3600000 AND b.at_ms <= a.at_ms) AS misses \
             FROM audit_log a WHERE a.action = $1 AND a.outcome = 'failure' AND a.at_ms >= $2 \
             AND a.actor_region LIKE $3 || '%' ORDER BY a.at_ms",
        )
        .bind(ID_SEARCH)
        .bind(since)
        .bind(scope.prefix().to_owned())
        .fetch_all(self.store.pool())
        .await?;
        let mut worst: std::collections::BTreeMap<String, IdSearchFlag> = Default::default();
        for r in &rows {
            let misses: i64 = r.try_get("misses")?;
            if misses <= limit {
                continue;
            }
            let actor = r.try_get::<Option<String>, _>("actor")?.unwrap_or_default();
            let flag = IdSearchFlag {
                actor: actor.clone(),
                actor_region: r.try_get("actor_region")?,
                until_ms: r.try_get("at_ms")?,
                misses,
            };
            match worst.get(&actor) {
                Some(w) if w.misses >= misses => {}
                _ => {
                    worst.insert(actor, flag);
                }
            }
        }
        let mut flags: Vec<IdSearchFlag> = worst.into_values().collect();
        flags.sort_by(|a, b| b.misses.cmp(&a.misses).then(b.until_ms.cmp(&a.until_ms)));
        Ok(flags)
    }
}
