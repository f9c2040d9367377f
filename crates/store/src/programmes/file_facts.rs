//! What a file records that programmes read beside it: diagnoses (from the list held as
//! data) and enrolment as a student.

use anju_domain::audit::Outcome;
use chrono::NaiveDate;
use sqlx::Row;

use super::{DiagnosisRecord, Programmes};
use crate::audit::{NewEntry, append};
use crate::{Result, Scope, StoreError};

impl Programmes<'_> {
    /// The diagnoses a file may record.
    pub async fn diagnosis_kinds(&self) -> Result<Vec<(String, String)>> {
        sqlx::query("SELECT name, note FROM diagnosis_kinds ORDER BY name")
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| Ok((r.try_get("name")?, r.try_get("note")?)))
            .collect()
    }

    /// Records a diagnosis on the file with row id `person` (in the scope): a name from the
    /// list, the hospital and the date (not in the future).
    pub async fn add_diagnosis(
        &self,
        scope: &Scope,
        person: i64,
        name: &str,
        hospital: &str,
        on: NaiveDate,
    ) -> Result<()> {
        scope.require(scope.role().writes_persons())?;
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let kinds = self.diagnosis_kinds().await?;
        let name = name.trim();
        if !kinds.iter().any(|(k, _)| k == name) {
            return Err(StoreError::invalid(format!(
                "诊断“{name}”不在诊断目录中（{}）",
                kinds
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            )));
        }
        let hospital = hospital.trim();
        if hospital.is_empty() || hospital.chars().count() > 60 {
            return Err(StoreError::invalid("诊断医院应为1至60个字"));
        }
        if on > self.store.today() {
            return Err(StoreError::invalid("诊断日期不能晚于今天"));
        }
        if on < rec.person.birth_date {
            return Err(StoreError::invalid("诊断日期早于出生日期"));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO diagnoses (person_id, name, hospital, diagnosed_on, created_at, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(rec.id)
        .bind(name.to_owned())
        .bind(hospital.to_owned())
        .bind(on.to_string())
        .bind(now)
        .bind(scope.username.clone())
        .execute(&mut *tx)
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.diagnosis",
                rec.audit_object(),
                Outcome::Success,
            )
            .detail(name.to_owned()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The diagnoses on a file (the caller has the file in its scope).
    pub async fn diagnoses(&self, scope: &Scope, person: i64) -> Result<Vec<DiagnosisRecord>> {
        scope.require(scope.role().reads_persons())?;
        let rec = self.store.persons().get_by_key(scope, person).await?;
        sqlx::query(
            "SELECT name, hospital, diagnosed_on, created_by FROM diagnoses \
             WHERE person_id = $1 ORDER BY diagnosed_on, id",
        )
        .bind(rec.id)
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(DiagnosisRecord {
                name: r.try_get("name")?,
                hospital: r.try_get("hospital")?,
                diagnosed_on: r.try_get("diagnosed_on")?,
                created_by: r.try_get("created_by")?,
            })
        })
        .collect()
    }

    /// Records that the file with row id `person` is enrolled as a student from `from`
    /// (to `to`, if it ended).
    pub async fn add_enrolment(
        &self,
        scope: &Scope,
        person: i64,
        stage: &str,
        school: &str,
        from: NaiveDate,
        to: Option<NaiveDate>,
    ) -> Result<()> {
        scope.require(scope.role().writes_persons())?;
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let (stage, school) = (stage.trim(), school.trim());
        if stage.is_empty() || school.is_empty() {
            return Err(StoreError::invalid("学段和学校不能为空"));
        }
        if to.is_some_and(|t| t < from) {
            return Err(StoreError::invalid("离校日期早于入学日期"));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO enrolments (person_id, stage, school, from_date, to_date, created_at, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(rec.id)
        .bind(stage.to_owned())
        .bind(school.to_owned())
        .bind(from.to_string())
        .bind(to.map(|d| d.to_string()))
        .bind(now)
        .bind(scope.username.clone())
        .execute(&mut *tx)
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.enrolment",
                rec.audit_object(),
                Outcome::Success,
            )
            .detail(format!("{stage} {school}")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
