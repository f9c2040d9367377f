//! The certificate verification service for other departments (证照核验): keys made and
//! revoked by an administrator, each bound to a department, an allowed purpose, a region and a
//! daily quota of ID numbers. A call asks up to [`MAX_IDS`] numbers and learns, for each, only
//! whether it holds a valid certificate (and, where the purpose allows, the category and
//! whether severe). Every call is audited with the count asked; a call over the day's quota is
//! refused and changes nothing.

use anju_domain::audit::Outcome;
use anju_domain::certificate::{Category, CertState, CertStatus, Grade};
use anju_domain::id_number::IdNumber;
use anju_domain::{RegionCode, RegionTable};
use serde::Serialize;
use sqlx::Row;

use crate::audit::NewEntry;
use crate::sessions::{random_token, token_hash};
use crate::{Result, Scope, Store, StoreError};

/// The most ID numbers one call may ask.
pub const MAX_IDS: usize = 1000;

/// What a key may learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Whether a valid certificate is held, nothing else.
    Certificate,
    /// Also the category and whether severe.
    Category,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Certificate => "certificate",
            Purpose::Category => "category",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Purpose::Certificate => "仅核验是否持有有效残疾人证",
            Purpose::Category => "核验持证情况及残疾类别、是否重度",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        match s.trim() {
            "certificate" | "持证" => Some(Purpose::Certificate),
            "category" | "类别" => Some(Purpose::Category),
            _ => None,
        }
    }
}

/// A department's key (its secret is shown once, when made).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeptKey {
    pub id: i64,
    pub department: String,
    pub purpose: Purpose,
    pub region_code: String,
    pub daily_quota: i64,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    pub created_by: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// ID numbers asked today.
    pub asked_today: i64,
}

/// The answer for one ID number.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verified {
    pub id_number: String,
    pub valid_certificate: bool,
    /// With the purpose that allows it, for a valid certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severe: Option<bool>,
}

pub struct DeptKeys<'a> {
    store: &'a Store,
}

impl Store {
    pub fn dept_keys(&self) -> DeptKeys<'_> {
        DeptKeys { store: self }
    }
}

fn key_from_row(r: &sqlx::any::AnyRow) -> Result<DeptKey> {
    let purpose: String = r.try_get("purpose")?;
    Ok(DeptKey {
        id: r.try_get("id")?,
        department: r.try_get("department")?,
        purpose: Purpose::parse(&purpose)
            .ok_or_else(|| StoreError::Internal("核验密钥无法读取".into()))?,
        region_code: r.try_get("region_code")?,
        daily_quota: r.try_get("daily_quota")?,
        prefix: r.try_get("key_prefix")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
        asked_today: r.try_get::<Option<i64>, _>("asked")?.unwrap_or(0),
    })
}

const KEY_SELECT: &str = "SELECT k.*, u.asked FROM dept_keys k LEFT JOIN dept_key_usage u \
    ON u.key_id = k.id AND u.day = $1";

impl DeptKeys<'_> {
    /// Makes a key (the administrator); the key and its secret, shown this once.
    pub async fn create(
        &self,
        scope: &Scope,
        department: &str,
        purpose: &str,
        region: &str,
        daily_quota: &str,
    ) -> Result<(DeptKey, String)> {
        scope.require(scope.role().manages_users())?;
        let mut faults = Vec::new();
        let department = department.trim();
        if department.is_empty() || department.chars().count() > 100 {
            faults.push("部门：请填写部门名称（不超过100个字）".to_owned());
        }
        let purpose_v = Purpose::parse(purpose);
        if purpose_v.is_none() {
            faults.push(format!("用途：“{}”应为“持证”或“类别”", purpose.trim()));
        }
        let region_v = RegionTable::jiangsu().current(region.trim()).ok();
        if region_v.is_none() {
            faults.push(format!("地区：“{}”不是区划代码", region.trim()));
        }
        let quota = daily_quota
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|q| (1..=10_000_000).contains(q));
        if quota.is_none() {
            faults.push(format!(
                "每日限额：“{}”应为1至10000000的整数（身份证号个数）",
                daily_quota.trim()
            ));
        }
        let (Some(purpose), Some(region), Some(quota)) = (purpose_v, region_v, quota) else {
            return Err(StoreError::Invalid(faults.join("；")));
        };
        if !faults.is_empty() {
            return Err(StoreError::Invalid(faults.join("；")));
        }
        let secret = format!("dk_{}", random_token());
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO dept_keys (department, purpose, region_code, daily_quota, key_hash, \
             key_prefix, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id",
        )
        .bind(department.to_owned())
        .bind(purpose.as_str())
        .bind(region.code.to_string())
        .bind(quota)
        .bind(token_hash(&secret))
        .bind(secret[..10].to_owned())
        .bind(scope.username().to_owned())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        crate::audit::append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "verify.key_create",
                format!("dept_key:{id}"),
                Outcome::Success,
            )
            .detail(format!("{department} {} 每日{quota}个", purpose.as_str())),
        )
        .await?;
        tx.commit().await?;
        let key = self.get(id).await?;
        Ok((key, secret))
    }

    async fn get(&self, id: i64) -> Result<DeptKey> {
        let sql = format!("{KEY_SELECT} WHERE k.id = $2");
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.store.today().to_string())
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound("核验密钥".into()))?;
        key_from_row(&r)
    }

    /// Every key, the newest first (the administrator).
    pub async fn list(&self, scope: &Scope) -> Result<Vec<DeptKey>> {
        scope.require(scope.role().manages_users())?;
        let sql = format!("{KEY_SELECT} ORDER BY k.id DESC");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.store.today().to_string())
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(key_from_row)
            .collect()
    }

    /// Revokes a key (the administrator): from now on it is refused.
    pub async fn revoke(&self, scope: &Scope, id: i64) -> Result<()> {
        scope.require(scope.role().manages_users())?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let n = sqlx::query(
            "UPDATE dept_keys SET revoked_at = $1, revoked_by = $2 WHERE id = $3 \
             AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(scope.username().to_owned())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("核验密钥".into()));
        }
        crate::audit::append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "verify.key_revoke",
                format!("dept_key:{id}"),
                Outcome::Success,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live key a secret belongs to.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<DeptKey>> {
        let sql = format!("{KEY_SELECT} WHERE k.key_hash = $2 AND k.revoked_at IS NULL");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.store.today().to_string())
            .bind(token_hash(secret))
            .fetch_optional(self.store.pool())
            .await?
            .map(|r| key_from_row(&r))
            .transpose()
    }

    /// Answers a call: within the day's quota (else [`StoreError::Locked`]-like refusal,
    /// nothing counted), counted and audited, each number answered for the key's region.
    pub async fn verify(
        &self,
        key: &DeptKey,
        ids: &[String],
        client: &str,
    ) -> Result<Vec<Verified>> {
        if ids.is_empty() || ids.len() > MAX_IDS {
            return Err(StoreError::Invalid(format!(
                "id_numbers：每次核验1至{MAX_IDS}个身份证号"
            )));
        }
        let today_date = self.store.today();
        let today = today_date.to_string();
        let now = self.store.now_ms();
        let n = ids.len() as i64;
        let mut tx = self.store.begin_write().await?;
        let asked: i64 =
            sqlx::query_scalar("SELECT asked FROM dept_key_usage WHERE key_id = $1 AND day = $2")
                .bind(key.id)
                .bind(today.clone())
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or(0);
        let entry = |outcome, detail: String| NewEntry {
            actor: Some(format!("dept_key:{}", key.id)),
            actor_region: Some(key.region_code.clone()),
            action: "verify.call".into(),
            object: format!("dept_key:{}", key.id),
            outcome,
            client: client.to_owned(),
            detail,
        };
        if asked + n > key.daily_quota {
            drop(tx);
            self.store
                .audit()
                .record(entry(
                    Outcome::Failure,
                    format!(
                        "{}核验{n}个，超出每日限额{}（今日已{asked}个）",
                        key.department, key.daily_quota
                    ),
                ))
                .await?;
            return Err(StoreError::QuotaExceeded);
        }
        sqlx::query(
            "INSERT INTO dept_key_usage (key_id, day, asked, calls) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (key_id, day) DO UPDATE SET asked = dept_key_usage.asked + $3, \
             calls = dept_key_usage.calls + 1",
        )
        .bind(key.id)
        .bind(today.clone())
        .bind(n)
        .execute(&mut *tx)
        .await?;
        crate::audit::append(
            self.store,
            &mut tx,
            now,
            entry(Outcome::Success, format!("{}核验{n}个", key.department)),
        )
        .await?;
        tx.commit().await?;
        // The answers: a valid certificate is active, in date, its holder living, filed under
        // the key's region.
        let region = RegionCode::parse(&key.region_code)
            .ok()
            .and_then(|c| {
                RegionTable::jiangsu()
                    .get(&c)
                    .map(|r| r.prefix().to_owned())
            })
            .unwrap_or_default();
        let parsed: Vec<Option<String>> = ids
            .iter()
            .map(|i| {
                IdNumber::parse_with_legacy(i.trim())
                    .ok()
                    .map(|(id, _)| id.as_str().to_owned())
            })
            .collect();
        let wanted: Vec<&String> = parsed.iter().flatten().collect();
        let mut held: std::collections::HashMap<String, (Option<i64>, Option<i64>)> =
            std::collections::HashMap::new();
        for part in wanted.chunks(500) {
            let mut w = crate::sql::Where::default();
            let ps: Vec<String> = part
                .iter()
                .map(|i| w.arg(crate::sql::Arg::Text((*i).clone())))
                .collect();
            w.push_plain(format!("id_number IN ({})", ps.join(",")));
            w.push_prefix_filter_only(self.store.backend(), "household_code", &region);
            // The ID number's index drives; whether a certificate is in force is the domain's
            // rule, decided below for each file found.
            let sql = format!(
                "SELECT id_number, category, grade, life_status, cert_state, cert_valid_to, \
                 CASE WHEN cert_number IS NULL AND cert_issued IS NULL AND cert_valid_to IS NULL \
                 THEN 0 ELSE 1 END AS holds FROM persons WHERE {}",
                w.sql()
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in w.args {
                q = a.bind_owned(q);
            }
            for r in q.fetch_all(self.store.pool()).await? {
                let life: String = r.try_get("life_status")?;
                let state: String = r.try_get("cert_state")?;
                let valid: Option<String> = r.try_get("cert_valid_to")?;
                let holds: i64 = r.try_get("holds")?;
                let in_force = life == "living"
                    && CertStatus::of_file(
                        holds == 1,
                        CertState::parse(&state).unwrap_or(CertState::Cancelled),
                        valid.and_then(|v| v.parse().ok()),
                        today_date,
                        0,
                    )
                    .in_force();
                if in_force {
                    held.insert(
                        r.try_get("id_number")?,
                        (r.try_get("category")?, r.try_get("grade")?),
                    );
                }
            }
        }
        let detailed = key.purpose == Purpose::Category;
        Ok(ids
            .iter()
            .zip(parsed)
            .map(|(asked, id)| {
                let hit = id.as_ref().and_then(|i| held.get(i));
                let category = hit
                    .and_then(|h| h.0)
                    .and_then(|c| u8::try_from(c).ok())
                    .and_then(Category::new);
                let grade = hit
                    .and_then(|h| h.1)
                    .and_then(|g| u8::try_from(g).ok())
                    .and_then(Grade::new);
                Verified {
                    id_number: asked.trim().to_owned(),
                    valid_certificate: hit.is_some(),
                    category: if detailed {
                        category.map(|c| c.label())
                    } else {
                        None
                    },
                    severe: if detailed && hit.is_some() {
                        grade.map(Grade::is_severe)
                    } else {
                        None
                    },
                }
            })
            .collect())
    }
}
