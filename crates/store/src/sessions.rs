//! Logins and server-side sessions (reference §11: lockout, idle timeout, audit of logins).
//!
//! A session token is 32 bytes from the operating system's CSPRNG, given to the client once;
//! the database keeps only its SHA-256, so a copy of the database opens no session. Every
//! login makes a new token (no fixation); logout deletes the row; a session dies after
//! 30 idle minutes or 12 hours, whichever is first. Web sessions carry a CSRF token for forms;
//! API sessions are the same rows, presented as `Authorization: Bearer`.

use anju_domain::audit::Outcome;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::audit::NewEntry;
use crate::security::{clear_failures, count_failure, locked_out};
use crate::users::{hash_password, scope_of, verify_password};
use crate::{Result, Scope, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

/// Why a login failed: kept for the audit log and tests. Every kind tells the person at the
/// door the same thing, so that nobody learns which names exist, which accounts are disabled
/// or locked, or whether a guess was right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("{}", REFUSED)]
    BadCredentials,
    #[error("{}", REFUSED)]
    Disabled,
    #[error("{}", REFUSED)]
    Locked,
}

/// The one answer to a failed login.
pub const REFUSED: &str =
    "用户名或密码不正确，或账号暂时不能登录。多次失败后请稍候再试，或联系管理员";

#[derive(Debug, Clone)]
pub struct LoginOk {
    /// Handed to the client once; never stored or logged.
    pub token: String,
    pub csrf_token: String,
    pub scope: Scope,
    pub must_change_password: bool,
}

/// A live session, found by its token.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub scope: Scope,
    pub csrf_token: String,
    pub must_change_password: bool,
    pub kind: SessionKind,
}

/// The hash an unknown name's password is checked against: a password nobody knows, hashed
/// once with the same parameters as every account's.
async fn stand_in_hash() -> Result<String> {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_try_init(|| hash_password(random_token()))
        .await
        .cloned()
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 32 bytes from the operating system's CSPRNG, base64url-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The sessions' last use, as seen by this process and not yet written.
#[derive(Default)]
pub(crate) struct Touches(std::sync::Mutex<std::collections::HashMap<String, (i64, bool)>>);

impl Touches {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (i64, bool)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn seen(&self, hash: &str) -> Option<i64> {
        self.lock().get(hash).map(|(at, _)| *at)
    }

    fn touch(&self, hash: String, at: i64) {
        let mut m = self.lock();
        if m.len() > 100_000 {
            m.retain(|_, (_, dirty)| *dirty);
        }
        m.insert(hash, (at, true));
    }

    fn forget(&self, hash: &str) {
        self.lock().remove(hash);
    }

    fn pending(&self) -> Vec<(String, i64)> {
        self.lock()
            .iter()
            .filter(|(_, (_, dirty))| *dirty)
            .map(|(h, (at, _))| (h.clone(), *at))
            .collect()
    }

    fn written(&self, hash: &str, at: i64) {
        if let Some(e) = self.lock().get_mut(hash)
            && e.0 == at
        {
            e.1 = false;
        }
    }
}

pub struct Sessions<'a> {
    store: &'a Store,
}

impl<'a> Sessions<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Checks a name and password, applies the lockout rules, records the attempt, and on
    /// success opens a new session. Every refusal costs one password check, whatever its
    /// reason, so that timing tells nothing either.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: &str,
        kind: SessionKind,
    ) -> Result<Result<LoginOk, LoginError>> {
        let policy = self.store.policy();
        let username = username.trim();
        let found = self.store.users().find(username).await?;
        let object = format!("user:{}", username.chars().take(64).collect::<String>());
        let failed = |region: Option<String>, why: &str| NewEntry {
            actor: None,
            actor_region: region,
            action: "login".into(),
            object: object.clone(),
            outcome: Outcome::Failure,
            client: client.to_owned(),
            detail: why.to_owned(),
        };
        let phc = match &found {
            Some(row) => row.password_hash.clone(),
            None => stand_in_hash().await?,
        };
        let right = verify_password(password.to_owned(), phc).await;
        let Some(row) = found else {
            self.store
                .audit()
                .record(failed(None, "用户不存在"))
                .await?;
            return Ok(Err(LoginError::BadCredentials));
        };
        let region = Some(row.user.region_code.to_string());
        let now_ms = self.store.now_ms();
        let now = now_ms / 1000;
        if row.user.disabled {
            self.store
                .audit()
                .record(failed(region, "账号已停用"))
                .await?;
            return Ok(Err(LoginError::Disabled));
        }
        if locked_out(self.store, row.user.id, client, now_ms).await? {
            self.store
                .audit()
                .record(failed(region, "账号锁定中"))
                .await?;
            return Ok(Err(LoginError::Locked));
        }
        if !right {
            let mut tx = self.store.begin_live().await?;
            // Counted in the database, so parallel guesses cannot slip past the limit.
            let counted = count_failure(&mut tx, &policy, row.user.id, client, now_ms).await?;
            tx.commit().await?;
            let why = if counted.locked {
                format!("密码错误（此地址第{}次），账号锁定", counted.failures)
            } else {
                format!("密码错误（此地址第{}次）", counted.failures)
            };
            self.store.audit().record(failed(region, &why)).await?;
            return Ok(Err(if counted.locked {
                LoginError::Locked
            } else {
                LoginError::BadCredentials
            }));
        }
        let scope = scope_of(&row.user, client)?;
        let token = random_token();
        let csrf_token = random_token();
        // Sessions live apart from the main database on SQLite: a login never waits for an
        // import (see `crate::spool`).
        let mut tx = self.store.begin_live().await?;
        clear_failures(&mut tx, row.user.id, client, now_ms).await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(token_hash(&token))
        .bind(row.user.id)
        .bind(kind.as_str())
        .bind(csrf_token.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Expired sessions of this account are swept as it logs in.
        sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND (last_seen_at <= $2 OR created_at <= $3)",
        )
        .bind(row.user.id)
        .bind(now - policy.idle_secs)
        .bind(now - policy.absolute_secs)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.store
            .audit()
            .record(NewEntry::by(&scope, "login", object, Outcome::Success).detail(kind.as_str()))
            .await?;
        Ok(Ok(LoginOk {
            token,
            csrf_token,
            must_change_password: row.user.must_change_password,
            scope,
        }))
    }

    /// Finds the live session for `token` and marks it used. A dead session is deleted.
    pub async fn authenticate(&self, token: &str, client: &str) -> Result<Option<Authenticated>> {
        let policy = self.store.policy();
        let hash = token_hash(token);
        let row = sqlx::query(
            "SELECT user_id, kind, csrf_token, created_at AS session_created, \
             last_seen_at AS session_seen FROM sessions WHERE token_hash = $1",
        )
        .bind(hash.clone())
        .fetch_optional(self.store.live())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let now = self.store.now_ms() / 1000;
        let created: i64 = row.try_get("session_created")?;
        let last_seen: i64 = row.try_get("session_seen")?;
        let Some(user) = self.store.users().by_id(row.try_get("user_id")?).await? else {
            return Ok(None);
        };
        let last_seen = last_seen.max(self.store.touches().seen(&hash).unwrap_or(0));
        if user.disabled || !policy.is_alive(created, last_seen, now) {
            self.store.touches().forget(&hash);
            // Swept when the database is free; a dead session is refused either way.
            let _ = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(hash)
                .execute(self.store.live())
                .await;
            return Ok(None);
        }
        // Kept in memory, written to the database once a minute by `flush_touches`: a page
        // view is a read, and never waits for a long job's write lock.
        if now - last_seen >= 60 {
            self.store.touches().touch(hash, now);
        }
        let kind: String = row.try_get("kind")?;
        Ok(Some(Authenticated {
            scope: scope_of(&user, client)?,
            csrf_token: row.try_get("csrf_token")?,
            must_change_password: user.must_change_password,
            kind: if kind == "api" {
                SessionKind::Api
            } else {
                SessionKind::Web
            },
        }))
    }

    /// Writes the sessions' last use to the database, as far as it is free now (the server
    /// calls this every minute, and a store at close).
    pub async fn flush_touches(&self) -> Result<usize> {
        let pending = self.store.touches().pending();
        let mut written = 0;
        for (hash, at) in pending {
            let done = sqlx::query(
                "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1",
            )
            .bind(at)
            .bind(hash.clone())
            .execute(self.store.live())
            .await;
            match done {
                Ok(_) => {
                    self.store.touches().written(&hash, at);
                    written += 1;
                }
                Err(e) => match crate::StoreError::from(e) {
                    crate::StoreError::Busy => break,
                    e => return Err(e),
                },
            }
        }
        Ok(written)
    }

    /// Ends the session on the server.
    pub async fn logout(&self, scope: &Scope, token: &str) -> Result<()> {
        let gone = sqlx::query("DELETE FROM sessions WHERE token_hash = $1 AND user_id = $2")
            .bind(token_hash(token))
            .bind(scope.user_id)
            .execute(self.store.live())
            .await?
            .rows_affected();
        if gone > 0 {
            self.store
                .audit()
                .record(NewEntry::by(
                    scope,
                    "logout",
                    format!("user:{}", scope.username),
                    Outcome::Success,
                ))
                .await?;
        }
        Ok(())
    }

    /// Deletes the session of `token`, if any (a login replaces the browser's old session).
    pub async fn discard(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(self.store.live())
            .await?;
        Ok(())
    }

    /// How many live-or-not sessions the account has (for tests and the user page).
    pub async fn count_for(&self, username: &str) -> Result<i64> {
        let Some(user) = self.store.users().find(username).await? else {
            return Ok(0);
        };
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
                .bind(user.user.id)
                .fetch_one(self.store.live())
                .await?,
        )
    }
}
