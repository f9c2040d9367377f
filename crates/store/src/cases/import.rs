//! Existing cases brought in from a sheet (`anju import cases`): each row a person (in the
//! scope), a programme, the date it was taken, where it stands (the step now due, or closed or
//! refused with its result). A row already on file (same person, programme and date) updates
//! where the case stands, or is unchanged; nothing is written when a row is bad and strict.

use anju_domain::audit::Outcome;
use anju_domain::id_number::IdNumber;
use anju_domain::programme::{Case, CaseState};
use chrono::NaiveDate;
use sqlx::Row;

use super::record;
use crate::audit::{NewEntry, append};
use crate::{Apply, Rejection, Result, Scope, Store, StoreError, TableResult};

/// One row of a cases sheet, parsed.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub row: usize,
    pub id_number: IdNumber,
    pub programme: String,
    pub opened_on: NaiveDate,
    pub state: CaseState,
    /// For an open case: the step now due (none: the first).
    pub step: Option<String>,
    /// For a closed or refused case: its result or reason.
    pub outcome: Option<String>,
    /// The provider the case is with, by its credit code.
    pub provider: Option<anju_domain::credit_code::CreditCode>,
}

impl super::Cases<'_> {
    /// Imports `rows` as the holder of `scope`, in one transaction.
    pub async fn import(
        &self,
        scope: &Scope,
        label: &str,
        rows: Vec<CaseRow>,
        apply: impl Into<Apply>,
    ) -> Result<TableResult> {
        scope.require(scope.role().imports_persons())?;
        let apply = apply.into();
        let store: &Store = self.store;
        let programmes = store.programmes().list(scope).await?;
        let providers = store.providers().list(scope).await?;
        let cal = store.certificates().calendar().await?;
        let today = store.today();
        let now = store.now_ms();
        let mut out = TableResult::default();
        let mut tx = store.begin_write().await?;
        let mut seen = std::collections::HashSet::new();
        for r in rows {
            let reject =
                |column: &str, code: &str, msg: String| Rejection::new(r.row, column, code, msg);
            let Some(prog) = programmes
                .iter()
                .find(|p| p.programme.name == r.programme.trim())
            else {
                out.rejected.push(reject(
                    "服务项目",
                    "unknown_programme",
                    format!("服务项目“{}”不存在", r.programme),
                ));
                continue;
            };
            let person = store
                .persons()
                .find(&mut tx, &r.id_number)
                .await?
                .filter(|p| scope.covers(&p.person.household_code));
            let Some(person) = person else {
                out.rejected.push(crate::subsidy::unknown_person(r.row));
                continue;
            };
            if r.opened_on > today {
                out.rejected.push(reject(
                    "受理日期",
                    "date_future",
                    "受理日期不能晚于今天".into(),
                ));
                continue;
            }
            if r.opened_on < person.person.birth_date {
                out.rejected.push(reject(
                    "受理日期",
                    "date_before_birth",
                    "受理日期早于出生日期".into(),
                ));
                continue;
            }
            let steps = &prog.programme.steps;
            let done = match (
                r.state,
                r.step.as_deref().map(str::trim).filter(|s| !s.is_empty()),
            ) {
                (CaseState::Closed, _) => steps.len(),
                (_, None) => 0,
                (_, Some(name)) => match steps.iter().position(|s| s.name == name) {
                    Some(i) => i,
                    None => {
                        out.rejected.push(reject(
                            "当前步骤",
                            "unknown_step",
                            format!(
                                "“{name}”不是“{}”的步骤（{}）",
                                prog.programme.name,
                                steps
                                    .iter()
                                    .map(|s| s.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join("、")
                            ),
                        ));
                        continue;
                    }
                },
            };
            let outcome = r
                .outcome
                .as_deref()
                .map(str::trim)
                .filter(|o| !o.is_empty());
            if r.state != CaseState::Open && outcome.is_none() {
                out.rejected.push(reject(
                    "结果",
                    "required",
                    format!("{}的个案须填写结果或原因", r.state.label()),
                ));
                continue;
            }
            let provider = match &r.provider {
                None => None,
                Some(code) => match providers.iter().find(|p| &p.provider.credit_code == code) {
                    None => {
                        out.rejected.push(reject(
                            "服务机构",
                            "unknown_provider",
                            format!("没有统一社会信用代码为 {code} 的服务机构"),
                        ));
                        continue;
                    }
                    Some(p)
                        if !p.provider.serves(person.person.household_code.as_str())
                            || !p.provider.programmes.contains(&prog.programme.name) =>
                    {
                        out.rejected.push(reject(
                            "服务机构",
                            "provider_mismatch",
                            format!(
                                "{}不服务此人户籍地或不承接“{}”",
                                p.provider.name, prog.programme.name
                            ),
                        ));
                        continue;
                    }
                    Some(p) => Some(p.id),
                },
            };
            if !seen.insert((person.id, prog.id, r.opened_on)) {
                out.rejected.push(reject(
                    "身份证号",
                    "duplicate_row",
                    "同一人同一项目同一受理日期在文件中出现多次".into(),
                ));
                continue;
            }
            let since = r.opened_on;
            let due = Case {
                steps,
                state: r.state,
                done,
                since,
            }
            .due(&cal)
            .map(|d| d.to_string());
            let existing = sqlx::query(
                "SELECT id, state, step_index, outcome, provider_id FROM cases WHERE person_id = $1 \
                 AND programme_id = $2 AND opened_on = $3",
            )
            .bind(person.id)
            .bind(prog.id)
            .bind(r.opened_on.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            let step_index = i64::try_from(done).unwrap_or(i64::MAX);
            if let Some(e) = existing {
                let same = e.try_get::<Option<i64>, _>("provider_id")? == provider
                    && e.try_get::<String, _>("state")? == r.state.as_str()
                    && e.try_get::<i64, _>("step_index")? == step_index
                    && e.try_get::<Option<String>, _>("outcome")?.as_deref() == outcome;
                if same {
                    out.unchanged += 1;
                    continue;
                }
                let id: i64 = e.try_get("id")?;
                sqlx::query(
                    "UPDATE cases SET state = $1, step_index = $2, due_on = $3, outcome = $4, \
                     provider_id = $5, version = version + 1 WHERE id = $6",
                )
                .bind(r.state.as_str())
                .bind(step_index)
                .bind(due)
                .bind(outcome.map(str::to_owned))
                .bind(provider)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                record(
                    &mut tx,
                    id,
                    "open",
                    "导入",
                    r.opened_on,
                    &format!("导入更新：{label}"),
                    "",
                    scope,
                    now,
                )
                .await?;
                out.updated += 1;
                continue;
            }
            if r.state == CaseState::Open {
                let open: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM cases WHERE person_id = $1 AND programme_id = $2 \
                     AND state = 'open' LIMIT 1",
                )
                .bind(person.id)
                .bind(prog.id)
                .fetch_optional(&mut *tx)
                .await?;
                if open.is_some() {
                    out.rejected.push(reject(
                        "服务项目",
                        "case_open",
                        format!("此人已有办理中的“{}”个案", prog.programme.name),
                    ));
                    continue;
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO cases (person_id, programme_id, version_id, state, opened_on, \
                 household_code, step_index, since, due_on, outcome, created_at, created_by, \
                 version, provider_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $5, $8, $9, $10, $11, 1, $12) RETURNING id",
            )
            .bind(person.id)
            .bind(prog.id)
            .bind(prog.version_id)
            .bind(r.state.as_str())
            .bind(r.opened_on.to_string())
            .bind(person.person.household_code.to_string())
            .bind(step_index)
            .bind(due)
            .bind(outcome.map(str::to_owned))
            .bind(now)
            .bind(scope.username.clone())
            .bind(provider)
            .fetch_one(&mut *tx)
            .await?;
            record(
                &mut tx,
                id,
                "open",
                &prog.programme.name,
                r.opened_on,
                &format!("导入：{label}"),
                "",
                scope,
                now,
            )
            .await?;
            out.inserted += 1;
        }
        let keep = match apply {
            Apply::Always => true,
            Apply::IfClean => out.rejected.is_empty(),
            Apply::Never => false,
        };
        if !keep {
            drop(tx);
            out.committed = false;
            return Ok(out);
        }
        append(
            store,
            &mut tx,
            now,
            NewEntry::by(scope, "case.import", label.to_owned(), Outcome::Success).detail(format!(
                "新增{} 更新{} 未变{} 拒绝{}",
                out.inserted,
                out.updated,
                out.unchanged,
                out.rejected.len()
            )),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        out.committed = true;
        Ok(out)
    }
}
