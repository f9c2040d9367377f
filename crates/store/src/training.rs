//! Training courses for disabled people and who attended them. A course is seen by the users
//! of its region's subtree and those below it (a county's course is open to its towns); the
//! attendance lists show only the people in the user's own subtree. People who finished a
//! course ending in a year are that year's trained people.

use anju_domain::audit::Outcome;
use anju_domain::id_number::IdNumber;
use anju_domain::training::{Course, CourseInput, CourseKind, attendance};
use anju_domain::{RegionTable, mask};
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::sql::{Arg, Where};
use crate::{Result, Scope, Store, StoreError};

/// A course with its attendance in the user's subtree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CourseRecord {
    pub id: i64,
    #[serde(flatten)]
    pub course: Course,
    /// People of the user's subtree enrolled, and of them those who finished.
    pub enrolled: i64,
    pub completed: i64,
    pub created_by: String,
}

impl CourseRecord {
    pub fn region_name(&self) -> String {
        RegionTable::jiangsu().name_of(&self.course.region_code)
    }
}

/// One person's attendance of a course.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttendanceRecord {
    pub person_id: i64,
    pub name: String,
    /// Masked unless the role may see it whole.
    pub id_number: String,
    pub hours: i64,
    pub completed: bool,
    pub recorded_by: String,
}

/// People trained in a year, per town of the subtree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrainedCount {
    pub town_code: String,
    pub town: String,
    pub people: i64,
}

pub struct Training<'a> {
    store: &'a Store,
}

impl Store {
    pub fn training(&self) -> Training<'_> {
        Training { store: self }
    }
}

const COURSE_COLUMNS: &str = "c.id, c.name, c.kind, c.provider, c.region_code, c.starts_on, \
    c.ends_on, c.hours, c.created_by";

fn course_from_row(r: &sqlx::any::AnyRow, enrolled: i64, completed: i64) -> Result<CourseRecord> {
    let bad = || StoreError::Internal("培训课程无法读取".into());
    Ok(CourseRecord {
        id: r.try_get("id")?,
        course: Course {
            name: r.try_get("name")?,
            kind: CourseKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(bad)?,
            provider: r.try_get("provider")?,
            region_code: r.try_get("region_code")?,
            starts_on: r
                .try_get::<String, _>("starts_on")?
                .parse()
                .map_err(|_| bad())?,
            ends_on: r
                .try_get::<String, _>("ends_on")?
                .parse()
                .map_err(|_| bad())?,
            hours: u32::try_from(r.try_get::<i64, _>("hours")?).map_err(|_| bad())?,
        },
        enrolled,
        completed,
        created_by: r.try_get("created_by")?,
    })
}

impl Training<'_> {
    /// Adds a course (staff above the village, in their subtree); audited.
    pub async fn create(&self, scope: &Scope, input: &CourseInput) -> Result<i64> {
        scope.require(scope.role().runs_job_services())?;
        let c = input
            .validate(RegionTable::jiangsu())
            .map_err(crate::jobs::faults)?;
        if !scope.covers_code(&c.region_code) {
            return Err(StoreError::Forbidden);
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO training_courses (name, kind, provider, region_code, starts_on, ends_on, \
             hours, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id",
        )
        .bind(c.name.clone())
        .bind(c.kind.as_str())
        .bind(c.provider.clone())
        .bind(c.region_code.clone())
        .bind(c.starts_on.to_string())
        .bind(c.ends_on.to_string())
        .bind(i64::from(c.hours))
        .bind(now)
        .bind(scope.username.clone())
        .fetch_one(&mut *tx)
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "training.course",
                format!("course:{id}"),
                Outcome::Success,
            )
            .detail(format!("{} {} {}课时", c.name, c.kind.label(), c.hours)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The courses the scope sees ending in `year` (all when none), the latest first, each
    /// with its attendance in the subtree.
    pub async fn courses(&self, scope: &Scope, year: Option<i32>) -> Result<Vec<CourseRecord>> {
        scope.require(scope.role().reads_persons())?;
        let backend = self.store.backend();
        let mut w = Where::default();
        let v = scope.shared_sql(&mut w, backend, "c.region_code");
        w.push_plain(v);
        if let Some(y) = year {
            w.push("c.ends_on >= ?", Arg::Text(format!("{y}-01-01")));
            w.push("c.ends_on <= ?", Arg::Text(format!("{y}-12-31")));
        }
        let mine = w.prefix(backend, "p.household_code", scope.prefix());
        let sql = format!(
            "SELECT {COURSE_COLUMNS}, \
             (SELECT COUNT(*) FROM training_attendance a JOIN persons p ON p.id = a.person_id \
              WHERE a.course_id = c.id AND {mine}) AS enrolled, \
             (SELECT COUNT(*) FROM training_attendance a JOIN persons p ON p.id = a.person_id \
              WHERE a.course_id = c.id AND a.completed = 1 AND {mine}) AS done \
             FROM training_courses c WHERE {} ORDER BY c.starts_on DESC, c.id DESC LIMIT 5000",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        q.fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| course_from_row(r, r.try_get("enrolled")?, r.try_get("done")?))
            .collect()
    }

    /// One course and its attendance by people of the subtree; the view of names is audited.
    pub async fn course(
        &self,
        scope: &Scope,
        id: i64,
    ) -> Result<(CourseRecord, Vec<AttendanceRecord>)> {
        scope.require(scope.role().reads_persons())?;
        let sql = format!("SELECT {COURSE_COLUMNS} FROM training_courses c WHERE c.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound("培训课程".into()))?;
        let region: String = row.try_get("region_code")?;
        if !scope.shares(&region) {
            return Err(StoreError::NotFound("培训课程".into()));
        }
        let mut w = Where::default();
        w.push("a.course_id = ?", Arg::Int(id));
        w.push_prefix(self.store.backend(), "p.household_code", scope.prefix());
        let sql = format!(
            "SELECT a.person_id, a.hours, a.completed, a.recorded_by, p.name, p.id_number \
             FROM training_attendance a JOIN persons p ON p.id = a.person_id WHERE {} \
             ORDER BY p.household_code, p.id",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let whole = scope.role().sees_identifiers();
        let people: Vec<AttendanceRecord> = q
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| {
                let id_number: String = r.try_get("id_number")?;
                Ok(AttendanceRecord {
                    person_id: r.try_get("person_id")?,
                    name: r.try_get("name")?,
                    id_number: if whole {
                        id_number
                    } else {
                        mask::id_number(&id_number)
                    },
                    hours: r.try_get("hours")?,
                    completed: r.try_get::<i64, _>("completed")? == 1,
                    recorded_by: r.try_get("recorded_by")?,
                })
            })
            .collect::<Result<_>>()?;
        let completed = people.iter().filter(|p| p.completed).count() as i64;
        let course = course_from_row(&row, people.len() as i64, completed)?;
        if !people.is_empty() {
            self.store
                .persons()
                .record_view(
                    scope,
                    "training.attendance",
                    format!("course:{id}"),
                    format!("{}人", people.len()),
                )
                .await?;
        }
        Ok((course, people))
    }

    /// Records (or corrects) a person's attendance: hours and whether they finished. The
    /// person's household must lie in the course's region and in the user's subtree; anyone
    /// who writes files there. Audited.
    pub async fn attend(
        &self,
        scope: &Scope,
        course: i64,
        id_number: &str,
        hours: &str,
        completed: &str,
    ) -> Result<()> {
        scope.require(scope.role().writes_persons())?;
        let (c, _) = self.course(scope, course).await?;
        let id = IdNumber::parse(id_number.trim())
            .map_err(|e| StoreError::Invalid(format!("身份证号：“{}”{e}", id_number.trim())))?;
        let rec = self.store.persons().get(scope, &id).await?;
        let prefix = anju_domain::jobs::region_prefix(&c.course.region_code);
        if !rec.person.household_code.as_str().starts_with(&prefix) {
            return Err(StoreError::Invalid(format!(
                "身份证号：此人户籍不在{}，不能参加该地区举办的培训",
                c.region_name()
            )));
        }
        let (h, done) =
            attendance(c.course.hours, hours, completed).map_err(crate::jobs::faults)?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let n = sqlx::query(
            "UPDATE training_attendance SET hours = $1, completed = $2, recorded_at = $3, \
             recorded_by = $4 WHERE course_id = $5 AND person_id = $6",
        )
        .bind(i64::from(h))
        .bind(i64::from(done))
        .bind(now)
        .bind(scope.username.clone())
        .bind(course)
        .bind(rec.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            sqlx::query(
                "INSERT INTO training_attendance (course_id, person_id, hours, completed, \
                 recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(course)
            .bind(rec.id)
            .bind(i64::from(h))
            .bind(i64::from(done))
            .bind(now)
            .bind(scope.username.clone())
            .execute(&mut *tx)
            .await?;
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.training",
                rec.audit_object(),
                Outcome::Success,
            )
            .detail(format!(
                "{} {h}课时{}",
                c.course.name,
                if done { " 结业" } else { "" }
            )),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The people of the subtree (under `region` when given) who finished a course ending in
    /// `year`, each counted once, per town.
    pub async fn trained(
        &self,
        scope: &Scope,
        year: i32,
        region: Option<&str>,
    ) -> Result<Vec<TrainedCount>> {
        scope.require(scope.role().reads_persons())?;
        let backend = self.store.backend();
        let mut w = Where::default();
        w.push_prefix(backend, "p.household_code", scope.prefix());
        if let Some(r) = region {
            let code = RegionTable::jiangsu().current(r)?;
            w.push_prefix(backend, "p.household_code", code.prefix());
        }
        w.push_plain("a.completed = 1");
        w.push("c.ends_on >= ?", Arg::Text(format!("{year}-01-01")));
        w.push("c.ends_on <= ?", Arg::Text(format!("{year}-12-31")));
        let sql = format!(
            "SELECT substr(p.household_code, 1, 9) AS town, COUNT(DISTINCT a.person_id) AS n \
             FROM training_attendance a JOIN training_courses c ON c.id = a.course_id \
             JOIN persons p ON p.id = a.person_id WHERE {} \
             GROUP BY substr(p.household_code, 1, 9) ORDER BY town",
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
                let town: String = r.try_get("town")?;
                let code = format!("{town:0<12}");
                Ok(TrainedCount {
                    town: RegionTable::jiangsu().name_of(&code),
                    town_code: code,
                    people: r.try_get("n")?,
                })
            })
            .collect()
    }
}
