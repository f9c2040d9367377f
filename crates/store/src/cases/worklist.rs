//! The worklist's lines for service cases: the step now due, on the tier it waits on.

use anju_domain::Role;
use anju_domain::programme::{Step, parse_steps};
use chrono::NaiveDate;
use sqlx::Row;

use super::bad;
use crate::sql::Where;
use crate::{Result, Scope, Store};

/// Whether a step by `actor` is on the worklist of `role`: the tier the step names (an
/// administrator sees the county's and city's).
fn waits_on(actor: anju_domain::programme::Actor, role: Role) -> bool {
    use anju_domain::programme::Actor;
    match actor {
        Actor::Village => role == Role::Village,
        Actor::Town => role == Role::Town,
        Actor::County => matches!(role, Role::County | Role::Admin),
        Actor::City => matches!(role, Role::City | Role::Admin),
        Actor::Provider => role == Role::Provider,
    }
}

/// The worklist's lines for cases: the open cases of the scope whose step now due waits on
/// the user's role, one line per programme and step, with the nearest date and whether any
/// is overdue; a single case links to itself, several to the list.
pub(crate) async fn work_items(
    store: &Store,
    scope: &Scope,
    today: NaiveDate,
) -> Result<Vec<crate::WorkItem>> {
    use std::collections::BTreeMap;
    let mut w = Where::default();
    if scope.role() == Role::Provider {
        w.push(
            "c.provider_id = ?",
            crate::sql::Arg::Int(scope.provider().unwrap_or(0)),
        );
    } else {
        w.push_prefix(store.backend(), "c.household_code", scope.prefix());
    }
    let sql = format!(
        "SELECT c.id, g.name AS programme, c.step_index, c.due_on, v.steps FROM cases c \
         JOIN programmes g ON g.id = c.programme_id \
         JOIN programme_versions v ON v.id = c.version_id WHERE c.state = 'open' AND {}",
        w.sql()
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in w.args {
        q = a.bind_owned(q);
    }
    let mut steps_of: std::collections::HashMap<String, Vec<Step>> = Default::default();
    /// The cases waiting at one step of one programme.
    #[derive(Default)]
    struct Waiting {
        ids: Vec<i64>,
        due: Option<NaiveDate>,
        overdue: usize,
    }
    let mut lines: BTreeMap<(String, String), Waiting> = BTreeMap::new();
    for r in q.fetch_all(store.pool()).await? {
        let text: String = r.try_get("steps")?;
        if !steps_of.contains_key(&text) {
            let parsed = parse_steps(&text).map_err(|_| bad("步骤"))?;
            steps_of.insert(text.clone(), parsed);
        }
        let steps = &steps_of[&text];
        let done = usize::try_from(r.try_get::<i64, _>("step_index")?).unwrap_or(usize::MAX);
        let Some(step) = steps.get(done) else {
            continue;
        };
        if !waits_on(step.actor, scope.role()) {
            continue;
        }
        let due: Option<NaiveDate> = r
            .try_get::<Option<String>, _>("due_on")?
            .and_then(|d| d.parse().ok());
        let e = lines
            .entry((r.try_get("programme")?, step.name.clone()))
            .or_default();
        e.ids.push(r.try_get("id")?);
        if let Some(d) = due {
            e.due = Some(e.due.map_or(d, |x| x.min(d)));
            if d < today {
                e.overdue += 1;
            }
        }
    }
    let mut out: Vec<crate::WorkItem> = lines
        .into_iter()
        .map(|((programme, step), Waiting { ids, due, overdue })| {
            let n = ids.len();
            let late = if overdue > 0 {
                format!("，其中{overdue}个已逾期")
            } else {
                String::new()
            };
            crate::WorkItem {
                kind: "case",
                label: format!("{programme}：{n}个个案待{step}{late}"),
                count: i64::try_from(n).unwrap_or(i64::MAX),
                due,
                overdue: overdue > 0,
                href: match ids.as_slice() {
                    [one] => format!("/cases/{one}"),
                    _ => format!(
                        "/cases?{}",
                        serde_urlencoded::to_string([
                            ("programme", programme.as_str()),
                            ("state", "open")
                        ])
                        .unwrap_or_default()
                    ),
                },
            }
        })
        .collect();
    // Rented devices not returned by their due date.
    let late = crate::devices::overdue_rentals(store, scope, today).await?;
    if let Some((first, programme, due)) = late.first() {
        let n = late.len();
        out.push(crate::WorkItem {
            kind: "case",
            label: format!("{programme}：{n}件辅具逾期未归还"),
            count: i64::try_from(n).unwrap_or(i64::MAX),
            due: due.parse().ok(),
            overdue: true,
            href: if n == 1 {
                format!("/cases/{first}")
            } else {
                format!(
                    "/cases?{}",
                    serde_urlencoded::to_string([
                        ("programme", programme.as_str()),
                        ("state", "open")
                    ])
                    .unwrap_or_default()
                )
            },
        });
    }
    Ok(out)
}
