//! Employment on the person's file: each recorded status (every change kept), and the year's
//! 实名制新增就业 list of a subtree — each person counted once, when newly employed that year.

use anju_domain::audit::Outcome;
use anju_domain::employment::{
    EmploymentForm, EmploymentRules, Status, StatusInput, newly_employed,
};
use anju_domain::mask;
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::{Result, Scope, Store, StoreError};

/// A recorded status with who recorded it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusRecord {
    #[serde(flatten)]
    pub status: Status,
    pub created_by: String,
    pub created_at: i64,
}

/// One person newly employed in a year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NewlyEmployed {
    pub person_id: i64,
    pub name: String,
    /// Masked unless the role may see it whole.
    pub id_number: String,
    pub household_code: String,
    pub town: String,
    #[schema(value_type = String, format = Date)]
    pub since: NaiveDate,
    pub form: EmploymentForm,
    pub employer_name: String,
}

pub struct Employment<'a> {
    store: &'a Store,
}

impl Store {
    pub fn employment(&self) -> Employment<'_> {
        Employment { store: self }
    }
}

pub(crate) fn status_from_row(r: &sqlx::any::AnyRow) -> Result<Status> {
    let bad = || StoreError::Internal("就业记录无法读取".into());
    Ok(Status {
        form: EmploymentForm::parse(&r.try_get::<String, _>("form")?).ok_or_else(bad)?,
        since: r
            .try_get::<String, _>("since")?
            .parse()
            .map_err(|_| bad())?,
        employer_code: r.try_get("employer_code")?,
        employer_name: r.try_get("employer_name")?,
        reason: r.try_get("reason")?,
        means: r.try_get("means")?,
    })
}

/// Writes a status on the file (the caller checks and audits).
pub(crate) async fn insert_status(
    tx: &mut sqlx::AnyConnection,
    person_id: i64,
    status: &Status,
    now: i64,
    by: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO employment_records (person_id, form, since, employer_code, employer_name, \
         reason, means, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(person_id)
    .bind(status.form.as_str())
    .bind(status.since.to_string())
    .bind(status.employer_code.clone())
    .bind(status.employer_name.clone())
    .bind(status.reason.clone())
    .bind(status.means.clone())
    .bind(now)
    .bind(by.to_owned())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Employment<'_> {
    /// Records a status on the file with row id `person` (anyone who writes files in its
    /// subtree); audited.
    pub async fn record(&self, scope: &Scope, person: i64, input: &StatusInput) -> Result<Status> {
        scope.require(scope.role().writes_persons())?;
        let rec = self.store.persons().get_by_key(scope, person).await?;
        let status = input
            .validate(rec.person.birth_date, self.store.today())
            .map_err(|faults| {
                StoreError::Invalid(
                    faults
                        .into_iter()
                        .map(|(f, m)| format!("{f}：{m}"))
                        .collect::<Vec<_>>()
                        .join("；"),
                )
            })?;
        let rules = EmploymentRules::shipped().map_err(StoreError::Internal)?;
        if !rules.of_working_age(rec.person.birth_date, status.since) {
            return Err(StoreError::Invalid(format!(
                "起始日期：{}时此人{}周岁，不在劳动年龄段（{}至{}周岁），不登记就业情况",
                status.since,
                anju_domain::id_number::age_on(rec.person.birth_date, status.since),
                rules.age_from,
                rules.age_to
            )));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        insert_status(&mut tx, rec.id, &status, now, &scope.username).await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.employment",
                rec.audit_object(),
                Outcome::Success,
            )
            .detail(format!(
                "{} {}起 {}",
                status.form.label(),
                status.since,
                status.employer_name
            )),
        )
        .await?;
        tx.commit().await?;
        Ok(status)
    }

    /// The file's statuses, the latest first.
    pub async fn history(&self, scope: &Scope, person: i64) -> Result<Vec<StatusRecord>> {
        let rec = self.store.persons().get_by_key(scope, person).await?;
        sqlx::query(
            "SELECT form, since, employer_code, employer_name, reason, means, created_by, created_at \
             FROM employment_records WHERE person_id = $1 ORDER BY since DESC, id DESC",
        )
        .bind(rec.id)
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(StatusRecord {
                status: status_from_row(r)?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
    }

    /// The year's 实名制新增就业 in the scope (under `region` when given), by town then date;
    /// the view is audited.
    pub async fn newly_employed(
        &self,
        scope: &Scope,
        year: i32,
        region: Option<&str>,
    ) -> Result<Vec<NewlyEmployed>> {
        scope.require(scope.role().reads_persons())?;
        let rules = EmploymentRules::shipped().map_err(StoreError::Internal)?;
        let mut w = crate::sql::Where::default();
        w.push_prefix(self.store.backend(), "p.household_code", scope.prefix());
        if let Some(r) = region {
            let code = anju_domain::RegionTable::jiangsu().current(r)?;
            w.push_prefix_filter_only(self.store.backend(), "p.household_code", code.prefix());
        }
        // Everyone with a start of work in the year; their whole history decides.
        let start = w.arg(crate::sql::Arg::Text(format!("{year}-01-01")));
        let end = w.arg(crate::sql::Arg::Text(format!("{year}-12-31")));
        let sql = format!(
            "SELECT e.person_id, e.form, e.since, e.employer_code, e.employer_name, e.reason, \
             e.means, p.name, p.id_number, p.household_code FROM employment_records e \
             JOIN persons p ON p.id = e.person_id WHERE {} AND e.person_id IN \
             (SELECT person_id FROM employment_records WHERE since >= {start} AND since <= {end} \
             AND form <> 'unemployed') ORDER BY e.person_id, e.since, e.id",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let whole = scope.role().sees_identifiers();
        let rows = q.fetch_all(self.store.pool()).await?;
        let mut out = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let person: i64 = rows[i].try_get("person_id")?;
            let mut j = i;
            let mut history = Vec::new();
            while j < rows.len() && rows[j].try_get::<i64, _>("person_id")? == person {
                history.push(status_from_row(&rows[j])?);
                j += 1;
            }
            if let Some(since) = newly_employed(&history, year, rules.window_months) {
                let r = &rows[i];
                let status = history
                    .iter()
                    .find(|s| s.since == since && s.form.is_employed())
                    .cloned()
                    .ok_or_else(|| StoreError::Internal("就业记录无法读取".into()))?;
                let household: String = r.try_get("household_code")?;
                let id_number: String = r.try_get("id_number")?;
                let town = format!("{:0<12}", household.get(..9).unwrap_or(&household));
                out.push(NewlyEmployed {
                    person_id: person,
                    name: r.try_get("name")?,
                    id_number: if whole {
                        id_number
                    } else {
                        mask::id_number(&id_number)
                    },
                    town: anju_domain::RegionTable::jiangsu().name_of(&town),
                    household_code: household,
                    since,
                    form: status.form,
                    employer_name: status.employer_name,
                });
            }
            i = j;
        }
        out.sort_by(|a, b| {
            (&a.household_code[..9.min(a.household_code.len())], a.since)
                .cmp(&(&b.household_code[..9.min(b.household_code.len())], b.since))
        });
        if !out.is_empty() {
            self.store
                .persons()
                .record_view(
                    scope,
                    "employment.new_list",
                    format!("year:{year}"),
                    format!("{}人", out.len()),
                )
                .await?;
        }
        Ok(out)
    }
}
