//! The annual survey (残疾人基本服务状况和需求信息数据动态更新): a year opened by an
//! administrator for a subtree's certificate holders; each holder's form, prefilled from the
//! file and last year's answers, saved with a version so that a second worker is told rather
//! than overwriting; the answers the file contradicts; progress per child region; the town's
//! or county's check of a village's forms; a person's answers year by year.

use std::collections::BTreeMap;

use anju_domain::audit::Outcome;
use anju_domain::needs::NeedItems;
use anju_domain::survey::{Answers, Contradiction, FileFacts, Questions};
use anju_domain::visit::Situation;
use anju_domain::{Level, RegionTable, mask};
use chrono::Datelike;
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::sql::Where;
use crate::{PersonRecord, Result, Scope, Store, StoreError};

/// A person's form of a year: what is saved, or the prefill when nothing is yet.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SurveyForm {
    pub year: i32,
    pub person_id: i64,
    pub answers: Answers,
    /// 0 while nothing is saved; give it back when saving.
    pub version: i64,
    /// "new" (nothing saved), "submitted", "accepted" or "returned".
    pub status: String,
    pub updated_by: Option<String>,
    pub note: String,
    pub contradictions: Vec<Contradiction>,
}

/// Progress of a year in one child region of the scope.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SurveyProgress {
    pub region_code: String,
    pub region: String,
    /// Certificate holders whose file is in the region.
    pub holders: i64,
    pub filled: i64,
    pub accepted: i64,
    pub returned: i64,
}

pub struct Survey<'a> {
    store: &'a Store,
}

impl Store {
    pub fn survey(&self) -> Survey<'_> {
        Survey { store: self }
    }
}

fn questions() -> Result<(Questions, NeedItems)> {
    let needs = NeedItems::shipped().map_err(StoreError::Internal)?;
    let q = Questions::shipped(&needs).map_err(StoreError::Internal)?;
    Ok((q, needs))
}

/// The survey's names of the employment forms the file records.
fn form_name(form: &str) -> Option<&'static str> {
    Some(match form {
        "quota" => "按比例就业",
        "concentrated" => "集中就业",
        "self_employed" => "个体就业",
        "auxiliary" => "辅助性就业",
        "rural" => "农村种养殖",
        "flexible" => "灵活就业",
        "public_welfare" => "公益性岗位",
        _ => return None,
    })
}

impl Survey<'_> {
    /// Opens a year for the certificate holders of `region` (the scope's own when none);
    /// administrators only; a year after this one is refused; opening again changes nothing.
    pub async fn open_year(&self, scope: &Scope, year: i32, region: Option<&str>) -> Result<()> {
        scope.require(scope.role().manages_users())?;
        let this = self.store.today().year();
        if year > this {
            return Err(StoreError::Invalid(format!("年度：{year}年尚未到来")));
        }
        if year < 2015 {
            return Err(StoreError::Invalid(format!("年度：“{year}”不是调查年度")));
        }
        let code = match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                let c = RegionTable::jiangsu().current(&format!("{r:0<12}"))?;
                if !scope.covers(&c.code) {
                    return Err(StoreError::Forbidden);
                }
                c.code.to_string()
            }
            None => scope.region().code.to_string(),
        };
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let added = sqlx::query(
            "INSERT INTO survey_years (year, region_code, opened_by, opened_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(i64::from(year))
        .bind(code.clone())
        .bind(scope.username.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added > 0 {
            append(
                self.store,
                &mut tx,
                now,
                NewEntry::by(
                    scope,
                    "survey.open",
                    format!("year:{year}"),
                    Outcome::Success,
                )
                .detail(format!("{year}年度调查，区划 {code}")),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether `year` is open for the person's household.
    async fn is_open(&self, year: i32, household: &str) -> Result<bool> {
        let opened: Vec<String> =
            sqlx::query_scalar("SELECT region_code FROM survey_years WHERE year = $1")
                .bind(i64::from(year))
                .fetch_all(self.store.pool())
                .await?;
        let table = RegionTable::jiangsu();
        Ok(opened.iter().any(|c| {
            table
                .current(c)
                .is_ok_and(|r| household.starts_with(r.prefix()))
        }))
    }

    /// The person's form of `year`, for a certificate holder of the scope in an opened
    /// subtree.
    async fn holder(&self, scope: &Scope, year: i32, person: i64) -> Result<PersonRecord> {
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let today = self.store.today();
        if !rec.cert_status(today, 0).in_force() {
            return Err(StoreError::Invalid(
                "此人没有有效的残疾人证，不在年度调查范围内".into(),
            ));
        }
        if !self
            .is_open(year, rec.person.household_code.as_str())
            .await?
        {
            return Err(StoreError::Invalid(format!(
                "{year}年度调查尚未对此人所在地区开启"
            )));
        }
        Ok(rec)
    }

    /// What the file says that the survey also asks.
    async fn facts(&self, rec: &PersonRecord) -> Result<FileFacts> {
        let pool = self.store.pool();
        let today = self.store.today();
        let month = anju_domain::month::Month::of(today).to_string();
        let visit = sqlx::query(
            "SELECT living, needs FROM visits WHERE person_id = $1 \
             ORDER BY visited_on DESC, id DESC LIMIT 1",
        )
        .bind(rec.id)
        .fetch_optional(pool)
        .await?;
        let situation = Situation::shipped().map_err(StoreError::Internal)?;
        let needs = NeedItems::shipped().map_err(StoreError::Internal)?;
        let (living, visit_needs) = match visit {
            Some(v) => {
                let living: String = v.try_get("living")?;
                let n: String = v.try_get("needs")?;
                (
                    Some(Situation::name_of(&situation.living, &living)),
                    n.split(',')
                        .filter(|s| !s.is_empty())
                        .map(|c| needs.name_of(c))
                        .collect(),
                )
            }
            None => (None, Vec::new()),
        };
        let form: Option<String> = sqlx::query_scalar(
            "SELECT form FROM employment_records WHERE person_id = $1 \
             ORDER BY since DESC, id DESC LIMIT 1",
        )
        .bind(rec.id)
        .fetch_optional(pool)
        .await?;
        let kinds = |table: &'static str| {
            let sql = format!(
                "SELECT kind FROM {table} WHERE person_id = $1 AND from_month <= $2 \
                 AND (to_month IS NULL OR to_month >= $3)"
            );
            let month = month.clone();
            async move {
                sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
                    .bind(rec.id)
                    .bind(month.clone())
                    .bind(month)
                    .fetch_all(pool)
                    .await
            }
        };
        let assistance = kinds("assistance").await?;
        let grants = kinds("grants").await?;
        Ok(FileFacts {
            age: u32::try_from(anju_domain::id_number::age_on(rec.person.birth_date, today))
                .unwrap_or(0),
            living,
            employed: form.as_deref().map(|f| f != "unemployed"),
            employment_form: form.as_deref().and_then(form_name).map(str::to_owned),
            dibao: assistance
                .iter()
                .any(|k| matches!(k.as_str(), "dibao" | "tekun")),
            living_subsidy: grants.iter().any(|k| k == "living"),
            care_subsidy: grants.iter().any(|k| k == "care"),
            needs: visit_needs,
        })
    }

    async fn saved(&self, year: i32, person: i64) -> Result<Option<sqlx::any::AnyRow>> {
        Ok(sqlx::query(
            "SELECT answers, status, version, updated_by, note FROM survey_forms \
             WHERE year = $1 AND person_id = $2",
        )
        .bind(i64::from(year))
        .bind(person)
        .fetch_optional(self.store.pool())
        .await?)
    }

    fn answers_of(text: &str) -> Result<Answers> {
        serde_json::from_str(text).map_err(|_| StoreError::Internal("调查表无法读取".into()))
    }

    /// The person's form of `year`: as saved, or prefilled (the file over last year's
    /// answers); with the answers the file contradicts.
    pub async fn form(&self, scope: &Scope, year: i32, person: i64) -> Result<SurveyForm> {
        let rec = self.holder(scope, year, person).await?;
        let (q, _) = questions()?;
        let facts = self.facts(&rec).await?;
        let form = match self.saved(year, rec.id).await? {
            Some(r) => SurveyForm {
                year,
                person_id: rec.id,
                answers: Self::answers_of(&r.try_get::<String, _>("answers")?)?,
                version: r.try_get("version")?,
                status: r.try_get("status")?,
                updated_by: r.try_get("updated_by")?,
                note: r.try_get("note")?,
                contradictions: Vec::new(),
            },
            None => {
                let last = match self.saved(year - 1, rec.id).await? {
                    Some(r) => Some(Self::answers_of(&r.try_get::<String, _>("answers")?)?),
                    None => None,
                };
                SurveyForm {
                    year,
                    person_id: rec.id,
                    answers: q.prefill(&facts, last.as_ref()),
                    version: 0,
                    status: "new".into(),
                    updated_by: None,
                    note: String::new(),
                    contradictions: Vec::new(),
                }
            }
        };
        Ok(SurveyForm {
            contradictions: q.contradictions(&form.answers, &facts),
            ..form
        })
    }

    /// Saves a person's form of `year` (staff who write files, village workers first):
    /// checked question by question; `version` is what the form was opened at (0 for a new
    /// one): a form changed since by someone else is refused, nothing overwritten. An
    /// accepted form is changed only above the village. Audited.
    pub async fn save(
        &self,
        scope: &Scope,
        year: i32,
        person: i64,
        input: &BTreeMap<String, String>,
        version: i64,
    ) -> Result<SurveyForm> {
        scope.require(scope.role().writes_persons())?;
        let rec = self.holder(scope, year, person).await?;
        let (q, _) = questions()?;
        let age = u32::try_from(anju_domain::id_number::age_on(
            rec.person.birth_date,
            self.store.today(),
        ))
        .unwrap_or(0);
        let answers = q.check(input, age).map_err(|f| {
            StoreError::Invalid(
                f.into_iter()
                    .map(|(k, m)| format!("{k}：{m}"))
                    .collect::<Vec<_>>()
                    .join("；"),
            )
        })?;
        let json =
            serde_json::to_string(&answers).map_err(|e| StoreError::Internal(e.to_string()))?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let current = sqlx::query(
            "SELECT status, version, updated_by FROM survey_forms WHERE year = $1 AND person_id = $2",
        )
        .bind(i64::from(year))
        .bind(rec.id)
        .fetch_optional(&mut *tx)
        .await?;
        let changed = match current {
            None if version == 0 => sqlx::query(
                "INSERT INTO survey_forms (year, person_id, household_code, answers, status, \
                 version, updated_by, updated_at, note) VALUES ($1, $2, $3, $4, 'submitted', 1, \
                 $5, $6, '') ON CONFLICT DO NOTHING",
            )
            .bind(i64::from(year))
            .bind(rec.id)
            .bind(rec.person.household_code.as_str().to_owned())
            .bind(json)
            .bind(scope.username.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            Some(r) if r.try_get::<i64, _>("version")? == version => {
                let status: String = r.try_get("status")?;
                if status == "accepted" && scope.role() == anju_domain::Role::Village {
                    return Err(StoreError::Invalid(
                        "这份调查表已经审核通过，如需修改请联系镇（街道）".into(),
                    ));
                }
                sqlx::query(
                    "UPDATE survey_forms SET answers = $1, status = 'submitted', \
                     version = version + 1, updated_by = $2, updated_at = $3 \
                     WHERE year = $4 AND person_id = $5 AND version = $6",
                )
                .bind(json)
                .bind(scope.username.clone())
                .bind(now)
                .bind(i64::from(year))
                .bind(rec.id)
                .bind(version)
                .execute(&mut *tx)
                .await?
                .rows_affected()
            }
            _ => 0,
        };
        if changed == 0 {
            // The same answers sent again (a phone that lost its connection sends twice):
            // kept once, and that is no conflict.
            let stored: Option<String> = sqlx::query_scalar(
                "SELECT answers FROM survey_forms WHERE year = $1 AND person_id = $2",
            )
            .bind(i64::from(year))
            .bind(rec.id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(s) = stored
                && Self::answers_of(&s)? == answers
            {
                drop(tx);
                return self.form(scope, year, rec.id).await;
            }
            let by: Option<String> = sqlx::query_scalar(
                "SELECT updated_by FROM survey_forms WHERE year = $1 AND person_id = $2",
            )
            .bind(i64::from(year))
            .bind(rec.id)
            .fetch_optional(&mut *tx)
            .await?;
            return Err(StoreError::Invalid(format!(
                "这份调查表在您打开后已由{}修改，未保存您的填写；请重新打开表单，核对后再保存",
                by.unwrap_or_else(|| "他人".into())
            )));
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "survey.save",
                format!("person:{}", rec.id),
                Outcome::Success,
            )
            .detail(format!(
                "{year}年度调查 {}",
                mask::id_number(rec.person.id_number.as_str())
            )),
        )
        .await?;
        tx.commit().await?;
        self.form(scope, year, rec.id).await
    }

    /// Progress of `year` per child region of the scope (per village for a town).
    pub async fn progress(&self, scope: &Scope, year: i32) -> Result<Vec<SurveyProgress>> {
        self.progress_in(scope, year, None).await
    }

    /// Progress of `year` per child region of `region` (within the scope; the scope's own
    /// when none): a county looks into one of its towns to check its villages.
    pub async fn progress_in(
        &self,
        scope: &Scope,
        year: i32,
        region: Option<&str>,
    ) -> Result<Vec<SurveyProgress>> {
        scope.require(scope.role().reads_persons())?;
        let table = RegionTable::jiangsu();
        let region = match region.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                let c = table
                    .current(&format!("{r:0<12}"))
                    .map_err(|_| StoreError::NotFound("地区".into()))?;
                if !scope.covers(&c.code) {
                    return Err(StoreError::NotFound("地区".into()));
                }
                c
            }
            None => scope.region(),
        };
        // The children's prefix length: a village is the finest.
        let width = match region.level {
            Level::Province => 4,
            Level::City => 6,
            Level::County => 9,
            Level::Town | Level::Village => 12,
        };
        let backend = self.store.backend();
        let today = self.store.today().to_string();
        let mut w = Where::default();
        w.push_prefix(backend, "p.household_code", region.prefix());
        let y = w.arg(crate::sql::Arg::Int(i64::from(year)));
        let t1 = w.arg(crate::sql::Arg::Text(today));
        let sql = format!(
            "SELECT SUBSTR(p.household_code, 1, {width}) AS code, COUNT(*) AS holders, \
             SUM(CASE WHEN f.status IS NOT NULL THEN 1 ELSE 0 END) AS filled, \
             SUM(CASE WHEN f.status = 'accepted' THEN 1 ELSE 0 END) AS accepted, \
             SUM(CASE WHEN f.status = 'returned' THEN 1 ELSE 0 END) AS returned \
             FROM persons p LEFT JOIN survey_forms f ON f.person_id = p.id AND f.year = {y} \
             WHERE {} AND p.life_status = 'living' AND p.cert_state = 'active' \
             AND (p.cert_number IS NOT NULL OR p.cert_issued IS NOT NULL \
              OR p.cert_valid_to IS NOT NULL) \
             AND (p.cert_valid_to IS NULL OR p.cert_valid_to >= {t1}) \
             GROUP BY SUBSTR(p.household_code, 1, {width}) ORDER BY 1",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        q.fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| {
                let code: String = r.try_get("code")?;
                let full = format!("{code:0<12}");
                Ok(SurveyProgress {
                    region: table.name_of(&full),
                    region_code: full,
                    holders: r.try_get("holders")?,
                    filled: r.try_get::<Option<i64>, _>("filled")?.unwrap_or(0),
                    accepted: r.try_get::<Option<i64>, _>("accepted")?.unwrap_or(0),
                    returned: r.try_get::<Option<i64>, _>("returned")?.unwrap_or(0),
                })
            })
            .collect()
    }

    /// The town's or county's check of a village's submitted forms of `year`: accepted, or
    /// returned with a note for the worker. How many forms it changed. Audited.
    pub async fn check_village(
        &self,
        scope: &Scope,
        year: i32,
        village: &str,
        accept: bool,
        note: &str,
    ) -> Result<u64> {
        scope.require(scope.role().runs_job_services())?;
        let code = RegionTable::jiangsu()
            .current(village)
            .map_err(|_| StoreError::NotFound("村（社区）".into()))?;
        if code.level != Level::Village || !scope.covers(&code.code) {
            return Err(StoreError::NotFound("村（社区）".into()));
        }
        let note = note.trim();
        if !accept && note.is_empty() {
            return Err(StoreError::Invalid("退回说明：请写明需要修改的地方".into()));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let n = sqlx::query(
            "UPDATE survey_forms SET status = $1, checked_by = $2, checked_at = $3, note = $4 \
             WHERE year = $5 AND household_code = $6 AND status = 'submitted'",
        )
        .bind(if accept { "accepted" } else { "returned" })
        .bind(scope.username.clone())
        .bind(now)
        .bind(note.to_owned())
        .bind(i64::from(year))
        .bind(code.code.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "survey.check",
                format!("village:{}", code.code),
                Outcome::Success,
            )
            .detail(format!(
                "{year}年度调查{}{n}份",
                if accept { "审核通过" } else { "退回" }
            )),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Imports forms of `year` filled elsewhere (one row per person: the ID number and the
    /// answers by question label, as the national system exports them). Each row's faults
    /// by column; with `apply` the good rows are kept (a person's form replaced), all in one
    /// transaction. Staff who import files; audited once.
    pub async fn import(
        &self,
        scope: &Scope,
        year: i32,
        label: &str,
        rows: Vec<(usize, String, BTreeMap<String, String>)>,
        apply: crate::Apply,
    ) -> Result<crate::TableResult> {
        use crate::Rejection;
        scope.require(scope.role().imports_persons())?;
        if year > self.store.today().year() || year < 2015 {
            return Err(StoreError::Invalid(format!(
                "年度：“{year}”不是可导入的调查年度"
            )));
        }
        let (q, _) = questions()?;
        let mut out = crate::TableResult::default();
        let mut good: Vec<(PersonRecord, Answers)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (row, id_text, input) in rows {
            let reject = |out: &mut crate::TableResult, col: &str, code: &str, m: String| {
                out.rejected.push(Rejection::new(row, col, code, m));
            };
            let id = match anju_domain::id_number::IdNumber::parse_with_legacy(id_text.trim()) {
                Ok((id, _)) => id,
                Err(_) => {
                    let m = if id_text.trim().is_empty() {
                        "缺少身份证号".to_owned()
                    } else {
                        format!("身份证号“{}”无效", id_text.trim())
                    };
                    reject(&mut out, "身份证号", "id_invalid", m);
                    continue;
                }
            };
            if !seen.insert(id.as_str().to_owned()) {
                reject(
                    &mut out,
                    "身份证号",
                    "duplicate",
                    "身份证号在表中重复".into(),
                );
                continue;
            }
            let rec = match self.store.persons().get(scope, &id).await {
                Ok(r) => r,
                Err(StoreError::NotFound(_)) => {
                    reject(
                        &mut out,
                        "身份证号",
                        "person_unknown",
                        format!(
                            "{}：您的管辖范围内没有此人的档案",
                            mask::id_number(id.as_str())
                        ),
                    );
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Err(e) = self.holder(scope, year, rec.id).await {
                reject(&mut out, "身份证号", "not_surveyed", e.to_string());
                continue;
            }
            let age = u32::try_from(anju_domain::id_number::age_on(
                rec.person.birth_date,
                self.store.today(),
            ))
            .unwrap_or(0);
            match q.check(&input, age) {
                Ok(a) => good.push((rec, a)),
                Err(faults) => {
                    for (col, m) in faults {
                        reject(&mut out, &col, "value_invalid", m);
                    }
                }
            }
        }
        out.rejected.sort_by_key(|r| r.row);
        let keep = match apply {
            crate::Apply::Always => true,
            crate::Apply::IfClean => out.rejected.is_empty(),
            crate::Apply::Never => false,
        };
        if !keep {
            return Ok(out);
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        for (rec, answers) in &good {
            let json =
                serde_json::to_string(answers).map_err(|e| StoreError::Internal(e.to_string()))?;
            let stored: Option<String> = sqlx::query_scalar(
                "SELECT answers FROM survey_forms WHERE year = $1 AND person_id = $2",
            )
            .bind(i64::from(year))
            .bind(rec.id)
            .fetch_optional(&mut *tx)
            .await?;
            match stored {
                Some(s) if Self::answers_of(&s)? == *answers => out.unchanged += 1,
                Some(_) => {
                    sqlx::query(
                        "UPDATE survey_forms SET answers = $1, status = 'submitted',                          version = version + 1, updated_by = $2, updated_at = $3                          WHERE year = $4 AND person_id = $5",
                    )
                    .bind(json)
                    .bind(scope.username.clone())
                    .bind(now)
                    .bind(i64::from(year))
                    .bind(rec.id)
                    .execute(&mut *tx)
                    .await?;
                    out.updated += 1;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO survey_forms (year, person_id, household_code, answers,                          status, version, updated_by, updated_at, note)                          VALUES ($1, $2, $3, $4, 'submitted', 1, $5, $6, '')",
                    )
                    .bind(i64::from(year))
                    .bind(rec.id)
                    .bind(rec.person.household_code.as_str().to_owned())
                    .bind(json)
                    .bind(scope.username.clone())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    out.inserted += 1;
                }
            }
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "survey.import",
                format!("year:{year}"),
                Outcome::Success,
            )
            .detail(format!(
                "{label}：新增{}份，更新{}份，未变{}份，有误{}处",
                out.inserted,
                out.updated,
                out.unchanged,
                out.rejected.len()
            )),
        )
        .await?;
        tx.commit().await?;
        out.committed = true;
        Ok(out)
    }

    /// Every form of `year` in the scope, by household and person: (ID number, masked
    /// unless the role may see it whole; name; status; answers). Not audited here.
    pub async fn forms(
        &self,
        scope: &Scope,
        year: i32,
    ) -> Result<Vec<(String, String, String, Answers)>> {
        scope.require(scope.role().reads_persons())?;
        let mut w = Where::default();
        w.push_prefix(self.store.backend(), "f.household_code", scope.prefix());
        let y = w.arg(crate::sql::Arg::Int(i64::from(year)));
        let sql = format!(
            "SELECT p.id_number, p.name, f.status, f.answers FROM survey_forms f \
             JOIN persons p ON p.id = f.person_id WHERE {} AND f.year = {y} \
             ORDER BY f.household_code, p.id",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let whole = scope.role().sees_identifiers();
        q.fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| {
                let id: String = r.try_get("id_number")?;
                Ok((
                    if whole { id } else { mask::id_number(&id) },
                    r.try_get("name")?,
                    r.try_get("status")?,
                    Self::answers_of(&r.try_get::<String, _>("answers")?)?,
                ))
            })
            .collect()
    }

    /// A person's answers year by year, the latest first.
    pub async fn years_of(
        &self,
        scope: &Scope,
        person: i64,
    ) -> Result<Vec<(i32, String, Answers)>> {
        let rec = self.store.persons().get_by_key(scope, person).await?;
        sqlx::query(
            "SELECT year, status, answers FROM survey_forms WHERE person_id = $1 ORDER BY year DESC",
        )
        .bind(rec.id)
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| {
            Ok((
                i32::try_from(r.try_get::<i64, _>("year")?).unwrap_or(0),
                r.try_get("status")?,
                Self::answers_of(&r.try_get::<String, _>("answers")?)?,
            ))
        })
        .collect()
    }
}
