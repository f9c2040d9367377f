//! Cross-check batches (数据比对): a department's list matched against the registry of the
//! runner's subtree, every row classified, every difference the rules name turned into a
//! task for the town of the person's household; tasks confirmed (the change applied through
//! the import's own path, the batch as the history's source) or rejected with a reason.

use anju_domain::audit::Outcome;
use anju_domain::crosscheck::{self, Action, Difference, ListKind, ListRow};
use anju_domain::id_number::IdNumber;
use anju_domain::subsidy::Assistance;
use anju_domain::{RegionTable, mask};
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::sql::{Arg, Where};
use crate::{Result, Scope, Store, StoreError};

mod run;

/// A row the reader could not take: its number and faults.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowFault {
    pub row: usize,
    pub column: String,
    pub reason: String,
}

/// What the reader hands over: a row read, or a row refused.
pub enum Item {
    Row(ListRow),
    Bad(usize, Vec<crosscheck::Fault>),
}

/// Rows per class.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Classes {
    pub consistent: i64,
    pub different: i64,
    pub list_only: i64,
    pub registry_only: i64,
    pub weak: i64,
    pub rejected: i64,
}

pub const CLASSES: [(&str, &str); 6] = [
    ("consistent", "一致"),
    ("different", "有差异"),
    ("list_only", "仅名单有"),
    ("registry_only", "仅档案有"),
    ("weak", "弱匹配待确认"),
    ("rejected", "无法比对"),
];

pub fn class_label(c: &str) -> &'static str {
    CLASSES.iter().find(|x| x.0 == c).map_or("", |x| x.1)
}

impl Classes {
    fn add(&mut self, class: &str) {
        match class {
            "consistent" => self.consistent += 1,
            "different" => self.different += 1,
            "list_only" => self.list_only += 1,
            "registry_only" => self.registry_only += 1,
            "weak" => self.weak += 1,
            _ => self.rejected += 1,
        }
    }

    fn set(&mut self, class: &str, n: i64) {
        match class {
            "consistent" => self.consistent = n,
            "different" => self.different = n,
            "list_only" => self.list_only = n,
            "registry_only" => self.registry_only = n,
            "weak" => self.weak = n,
            _ => self.rejected = n,
        }
    }

    pub fn get(&self, class: &str) -> i64 {
        match class {
            "consistent" => self.consistent,
            "different" => self.different,
            "list_only" => self.list_only,
            "registry_only" => self.registry_only,
            "weak" => self.weak,
            _ => self.rejected,
        }
    }
}

/// A batch as run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Batch {
    pub id: i64,
    pub kind: ListKind,
    pub file_name: String,
    /// SHA-256 of the file, hex.
    pub digest: String,
    pub run_by: String,
    pub run_at: i64,
    pub region_code: String,
    pub rows: i64,
    pub classes: Classes,
    pub tasks: i64,
}

/// The outcome of a run, with the refused rows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunResult {
    pub batch: Batch,
    pub errors: Vec<RowFault>,
}

/// One classified row of a batch (row 0: a registry-only person).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultRow {
    pub row_no: i64,
    pub class: String,
    /// Masked unless the role may see it whole.
    pub id_number: String,
    pub name: String,
    pub person_id: Option<i64>,
    pub town: String,
    pub differences: Vec<Difference>,
}

/// A task raised by a batch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Task {
    pub id: i64,
    pub batch_id: i64,
    pub kind: ListKind,
    pub task: String,
    pub person_id: i64,
    pub name: String,
    pub id_number: String,
    pub town: String,
    pub detail: String,
    pub due_on: String,
    /// open, confirmed or rejected.
    pub status: String,
    pub reason: String,
    pub resolved_by: Option<String>,
}

pub struct Crosschecks<'a> {
    store: &'a Store,
}

impl Store {
    pub fn crosschecks(&self) -> Crosschecks<'_> {
        Crosschecks { store: self }
    }
}

fn town_of(household: &str) -> String {
    format!("{:0<12}", household.get(..9).unwrap_or(household))
}

fn encode(diffs: &[Difference]) -> String {
    serde_json::to_string(diffs).unwrap_or_default()
}

fn decode(s: &str) -> Vec<Difference> {
    #[derive(serde::Deserialize)]
    struct D {
        code: String,
        field: String,
        registry: String,
        list: String,
    }
    serde_json::from_str::<Vec<D>>(s)
        .unwrap_or_default()
        .into_iter()
        .map(|d| Difference {
            code: d.code,
            field: d.field,
            registry: d.registry,
            list: d.list,
        })
        .collect()
}

fn batch_from_row(r: &sqlx::any::AnyRow) -> Result<Batch> {
    let kind: String = r.try_get("kind")?;
    Ok(Batch {
        id: r.try_get("id")?,
        kind: ListKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(|| StoreError::Internal("比对批次无法读取".into()))?,
        file_name: r.try_get("file_name")?,
        digest: r.try_get("digest")?,
        run_by: r.try_get("run_by")?,
        run_at: r.try_get("run_at")?,
        region_code: r.try_get("region_code")?,
        rows: r.try_get("rows")?,
        classes: Classes {
            consistent: r.try_get("consistent")?,
            different: r.try_get("different")?,
            list_only: r.try_get("list_only")?,
            registry_only: r.try_get("registry_only")?,
            weak: r.try_get("weak")?,
            rejected: r.try_get("rejected")?,
        },
        tasks: r.try_get("tasks")?,
    })
}

/// A town's rows of a batch per class.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TownClasses {
    pub town_code: String,
    pub town: String,
    pub classes: Classes,
}

impl Crosschecks<'_> {
    fn may_read(scope: &Scope) -> Result<()> {
        scope.require(scope.role().reads_persons())
    }

    /// The batches the scope sees (run in its subtree or above it), the latest first.
    pub async fn batches(&self, scope: &Scope) -> Result<Vec<Batch>> {
        Self::may_read(scope)?;
        let mut w = Where::default();
        let v = scope.shared_sql(&mut w, self.store.backend(), "region_code");
        w.push_plain(v);
        let sql = format!(
            "SELECT * FROM crosscheck_batches WHERE {} ORDER BY run_at DESC, id DESC LIMIT 1000",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        q.fetch_all(self.store.pool())
            .await?
            .iter()
            .map(batch_from_row)
            .collect()
    }

    /// One batch the scope sees, and its rows per class for each town of the subtree.
    pub async fn batch(&self, scope: &Scope, id: i64) -> Result<(Batch, Vec<TownClasses>)> {
        Self::may_read(scope)?;
        let b = sqlx::query("SELECT * FROM crosscheck_batches WHERE id = $1")
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?
            .map(|r| batch_from_row(&r))
            .transpose()?
            .filter(|b| scope.shares(&b.region_code))
            .ok_or_else(|| StoreError::NotFound("比对批次".into()))?;
        let rows = sqlx::query(
            "SELECT town_code, class, n FROM crosscheck_towns WHERE batch_id = $1 \
             ORDER BY town_code",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?;
        let mut towns: Vec<TownClasses> = Vec::new();
        for r in rows {
            let code: String = r.try_get("town_code")?;
            if !scope.covers_code(&code) {
                continue;
            }
            let class: String = r.try_get("class")?;
            let n: i64 = r.try_get("n")?;
            if towns.last().is_none_or(|t| t.town_code != code) {
                towns.push(TownClasses {
                    town: RegionTable::jiangsu().name_of(&code),
                    town_code: code,
                    classes: Classes::default(),
                });
            }
            if let Some(t) = towns.last_mut() {
                t.classes.set(&class, n);
            }
        }
        Ok((b, towns))
    }

    /// A page of a batch's rows of one class (all classes when none): those of the scope's
    /// towns, and, for users who see the batch's own region, the rows that matched no file.
    /// Masked by role; the view is audited.
    pub async fn rows(
        &self,
        scope: &Scope,
        id: i64,
        class: Option<&str>,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<ResultRow>, i64)> {
        let (b, _) = self.batch(scope, id).await?;
        let whole = scope.role().sees_identifiers();
        let mask_id = |id_number: String| {
            if whole || id_number.len() < 15 {
                id_number
            } else {
                mask::id_number(&id_number)
            }
        };
        let mut w = Where::default();
        w.push("batch_id = ?", Arg::Int(id));
        if let Some(c) = class {
            w.push("class = ?", Arg::Text(c.to_owned()));
        }
        let mine = w.prefix(self.store.backend(), "household_code", scope.prefix());
        if scope.covers_code(&b.region_code) {
            w.push_plain(format!("({mine} OR household_code = '')"));
        } else {
            w.push_plain(mine);
        }
        // One class other than the consistent: paged by the database. Otherwise the packed
        // consistent rows join the others, paged here.
        let paged = class.is_some_and(|c| c != "consistent");
        let (total, limit) = if paged {
            let count_sql = format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM crosscheck_rows WHERE {}",
                w.sql()
            );
            let mut cq = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql));
            for a in &w.args {
                cq = a.bind_scalar(cq);
            }
            let total = cq.fetch_one(self.store.pool()).await?;
            let (_, offset) = crate::sql::clamp_page(page, per_page, total);
            (
                total,
                format!(" LIMIT {} OFFSET {offset}", per_page.clamp(1, 1_000_000)),
            )
        } else {
            (0, String::new())
        };
        let mut out: Vec<ResultRow> = Vec::new();
        if class != Some("consistent") {
            let sql = format!(
                "SELECT row_no, class, id_number, name, person_id, household_code, diffs \
                 FROM crosscheck_rows WHERE {} ORDER BY class, row_no, id_number{limit}",
                w.sql()
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in w.args {
                q = a.bind_owned(q);
            }
            for r in q.fetch_all(self.store.pool()).await? {
                let town: String = r.try_get("household_code")?;
                out.push(ResultRow {
                    row_no: r.try_get("row_no")?,
                    class: r.try_get("class")?,
                    id_number: mask_id(r.try_get("id_number")?),
                    name: r.try_get("name")?,
                    person_id: r.try_get("person_id")?,
                    town: if town.is_empty() {
                        String::new()
                    } else {
                        RegionTable::jiangsu().name_of(&town_of(&town))
                    },
                    differences: decode(&r.try_get::<String, _>("diffs")?),
                });
            }
        }
        let total = if paged {
            total
        } else {
            let packs: Vec<String> = sqlx::query_scalar(
                "SELECT packed FROM crosscheck_consistent WHERE batch_id = $1 ORDER BY first_row",
            )
            .bind(id)
            .fetch_all(self.store.pool())
            .await?;
            for pack in &packs {
                for line in pack.lines() {
                    let mut f = line.splitn(5, '|');
                    let (Some(row), Some(idn), Some(person), Some(household), Some(name)) =
                        (f.next(), f.next(), f.next(), f.next(), f.next())
                    else {
                        continue;
                    };
                    if !scope.covers_code(household) {
                        continue;
                    }
                    out.push(ResultRow {
                        row_no: row.parse().unwrap_or(0),
                        class: "consistent".into(),
                        id_number: mask_id(idn.to_owned()),
                        name: name.to_owned(),
                        person_id: person.parse().ok().filter(|p| *p > 0),
                        town: RegionTable::jiangsu().name_of(&town_of(household)),
                        differences: Vec::new(),
                    });
                }
            }
            out.sort_by(|a, b| (&a.class, a.row_no).cmp(&(&b.class, b.row_no)));
            let total = out.len() as i64;
            let (_, offset) = crate::sql::clamp_page(page, per_page, total);
            out = out
                .into_iter()
                .skip(usize::try_from(offset).unwrap_or(0))
                .take(usize::try_from(per_page.max(1)).unwrap_or(usize::MAX))
                .collect();
            total
        };
        if !out.is_empty() {
            self.store
                .persons()
                .record_view(
                    scope,
                    "crosscheck.rows",
                    format!("batch:{id}"),
                    format!("{}行{}", out.len(), class.map(class_label).unwrap_or("")),
                )
                .await?;
        }
        Ok((out, total))
    }

    /// The tasks of the scope's towns (with `status` when given), the nearest deadline first.
    pub async fn tasks(&self, scope: &Scope, status: Option<&str>) -> Result<Vec<Task>> {
        Self::may_read(scope)?;
        let mut w = Where::default();
        w.push_prefix(self.store.backend(), "t.household_code", scope.prefix());
        if let Some(s) = status {
            w.push("t.status = ?", Arg::Text(s.to_owned()));
        }
        let sql = format!(
            "SELECT t.*, p.name, p.id_number FROM crosscheck_tasks t JOIN persons p \
             ON p.id = t.person_id WHERE {} ORDER BY t.status, t.due_on, t.id LIMIT 5000",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let whole = scope.role().sees_identifiers();
        let out: Vec<Task> = q
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| task_from_row(r, whole))
            .collect::<Result<_>>()?;
        if !out.is_empty() {
            self.store
                .persons()
                .record_view(
                    scope,
                    "crosscheck.tasks",
                    format!("region:{}", scope.region().code),
                    format!("{}项", out.len()),
                )
                .await?;
        }
        Ok(out)
    }

    async fn claim(
        &self,
        tx: &mut sqlx::AnyConnection,
        scope: &Scope,
        id: i64,
        status: &str,
        reason: &str,
    ) -> Result<(Task, String)> {
        let row = sqlx::query(
            "SELECT t.*, p.name, p.id_number FROM crosscheck_tasks t JOIN persons p \
             ON p.id = t.person_id WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound("核查任务".into()))?;
        let task = task_from_row(&row, true)?;
        let household: String = row.try_get("household_code")?;
        if !scope.covers_code(&household) {
            return Err(StoreError::NotFound("核查任务".into()));
        }
        // One of two staff acting at once wins; the other is told it is done.
        let n = sqlx::query(
            "UPDATE crosscheck_tasks SET status = $1, reason = $2, resolved_by = $3, \
             resolved_at = $4 WHERE id = $5 AND status = 'open'",
        )
        .bind(status.to_owned())
        .bind(reason.to_owned())
        .bind(scope.username.clone())
        .bind(self.store.now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::Invalid(format!(
                "该任务已处理（{}）",
                if task.status == "confirmed" {
                    "已确认"
                } else {
                    "已驳回"
                }
            )));
        }
        let action: String = row.try_get("action")?;
        Ok((task, action))
    }

    /// Confirms a task: the difference is true. Its change (a death, a move, an assistance
    /// status) is applied as an import applies it, the batch the history's source; a task
    /// confirmed already is refused, so the change is applied once. Town staff and above.
    pub async fn confirm(&self, scope: &Scope, id: i64) -> Result<Task> {
        scope.require(scope.role().imports_persons())?;
        let mut tx = self.store.begin_write().await?;
        let (task, action) = self.claim(&mut tx, scope, id, "confirmed", "").await?;
        let source = format!("crosscheck:{}", task.batch_id);
        let id_number = IdNumber::parse(&task.id_number)
            .map_err(|_| StoreError::Internal("核查任务的身份证号无法读取".into()))?;
        let subsidies = self.store.subsidies();
        match crosscheck::parse_action(&action) {
            Some(Action::Life(status, date)) => {
                let r = subsidies
                    .events_in(
                        &mut tx,
                        scope,
                        &[crate::EventRow {
                            row: 1,
                            id_number,
                            status,
                            date,
                        }],
                        &source,
                    )
                    .await?;
                if let Some(e) = r.rejected.first() {
                    return Err(StoreError::Invalid(e.message.clone()));
                }
            }
            Some(Action::Assistance(a)) => {
                let label = format!("{}", AssistanceRowLabel(&a));
                let r = subsidies
                    .assistance_in(
                        &mut tx,
                        scope,
                        &[crate::AssistanceRow {
                            row: 1,
                            id_number,
                            assistance: a,
                        }],
                    )
                    .await?;
                if let Some(e) = r.rejected.first() {
                    return Err(StoreError::Invalid(e.message.clone()));
                }
                crate::persons::write_history(
                    &mut tx,
                    self.store.backend(),
                    scope,
                    &source,
                    self.store.now_ms(),
                    &[crate::persons::HistoryRow {
                        person_id: task.person_id,
                        field: "assistance".into(),
                        before: None,
                        after: Some(label),
                    }],
                )
                .await?;
            }
            Some(Action::Programme(_)) | None => {}
        }
        append(
            self.store,
            &mut tx,
            self.store.now_ms(),
            NewEntry::by(
                scope,
                "crosscheck.confirm",
                format!("task:{id}"),
                Outcome::Success,
            )
            .detail(format!("{}：{}", task.task, task.detail)),
        )
        .await?;
        tx.commit().await?;
        // A programme the rule names (an insurance premium paid for the person): its case is
        // opened when the person is eligible; either way the task says what came of it.
        let mut reason = task.reason.clone();
        if let Some(Action::Programme(name)) = crosscheck::parse_action(&action) {
            reason = match self
                .store
                .cases()
                .open(scope, task.person_id, &name, self.store.today(), None)
                .await
            {
                Ok(c) => format!("已受理“{name}”个案#{}", c.id),
                Err(StoreError::Invalid(m)) => format!("未受理“{name}”：{m}"),
                Err(StoreError::NotFound(_)) => format!("本地没有“{name}”服务项目"),
                Err(e) => return Err(e),
            };
            sqlx::query("UPDATE crosscheck_tasks SET reason = $1 WHERE id = $2")
                .bind(reason.clone())
                .bind(id)
                .execute(self.store.pool())
                .await?;
        }
        Ok(Task {
            status: "confirmed".into(),
            resolved_by: Some(scope.username.clone()),
            reason,
            ..task
        })
    }

    /// Rejects a task with the reason (kept; the same difference from a list is not raised
    /// again unless the list says something else). Town staff and above.
    pub async fn reject(&self, scope: &Scope, id: i64, reason: &str) -> Result<Task> {
        scope.require(scope.role().imports_persons())?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(StoreError::Invalid(
                "驳回理由：请填写（不超过200个字）".into(),
            ));
        }
        let mut tx = self.store.begin_write().await?;
        let (task, _) = self.claim(&mut tx, scope, id, "rejected", reason).await?;
        append(
            self.store,
            &mut tx,
            self.store.now_ms(),
            NewEntry::by(
                scope,
                "crosscheck.reject",
                format!("task:{id}"),
                Outcome::Success,
            )
            .detail(format!("{}：{reason}", task.task)),
        )
        .await?;
        tx.commit().await?;
        Ok(Task {
            status: "rejected".into(),
            reason: reason.to_owned(),
            resolved_by: Some(scope.username.clone()),
            ..task
        })
    }
}

struct AssistanceRowLabel<'a>(&'a Assistance);

impl std::fmt::Display for AssistanceRowLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.0;
        write!(f, "{} {}起", a.kind.label(), a.from)?;
        if let Some(t) = a.to {
            write!(f, "至{t}")?;
        }
        if let Some(m) = a.amount {
            write!(f, "，每月{}元", m.yuan())?;
        }
        Ok(())
    }
}

fn task_from_row(r: &sqlx::any::AnyRow, whole: bool) -> Result<Task> {
    let kind: String = r.try_get("kind")?;
    let id_number: String = r.try_get("id_number")?;
    let household: String = r.try_get("household_code")?;
    Ok(Task {
        id: r.try_get("id")?,
        batch_id: r.try_get("batch_id")?,
        kind: ListKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(|| StoreError::Internal("核查任务无法读取".into()))?,
        task: r.try_get("task")?,
        person_id: r.try_get("person_id")?,
        name: r.try_get("name")?,
        id_number: if whole {
            id_number
        } else {
            mask::id_number(&id_number)
        },
        town: RegionTable::jiangsu().name_of(&town_of(&household)),
        detail: r.try_get("detail")?,
        due_on: r.try_get("due_on")?,
        status: r.try_get("status")?,
        reason: r.try_get("reason")?,
        resolved_by: r.try_get("resolved_by")?,
    })
}

/// The worklist's line for the open cross-check tasks of the scope's towns.
pub(crate) async fn work_items(
    store: &Store,
    scope: &Scope,
    today: chrono::NaiveDate,
) -> Result<Vec<crate::WorkItem>> {
    let mut w = Where::default();
    w.push_prefix(store.backend(), "household_code", scope.prefix());
    w.push_plain("status = 'open'");
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n, MIN(due_on) AS due FROM crosscheck_tasks WHERE {}",
        w.sql()
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in w.args {
        q = a.bind_owned(q);
    }
    let r = q.fetch_one(store.pool()).await?;
    let n: i64 = r.try_get("n")?;
    if n == 0 {
        return Ok(Vec::new());
    }
    let due: Option<chrono::NaiveDate> = r
        .try_get::<Option<String>, _>("due")?
        .and_then(|d| d.parse().ok());
    Ok(vec![crate::WorkItem {
        kind: "crosscheck",
        label: format!("{n} 项数据比对核查任务待处理"),
        count: n,
        overdue: due.is_some_and(|d| d < today),
        due,
        href: "/crosscheck/tasks".into(),
    }])
}
