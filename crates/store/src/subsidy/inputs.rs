//! Life events, assistance statuses and grants, each imported as a file of rows.

use std::collections::{HashMap, HashSet};

use anju_domain::audit::Outcome;
use anju_domain::id_number::IdNumber;
use anju_domain::money::Fen;
use anju_domain::month::{Month, overlaps};
use anju_domain::person::{Field, LifeStatus};
use anju_domain::subsidy::{Assistance, AssistanceKind, Grant, Locality, SubsidyKind};
use chrono::NaiveDate;
use sqlx::Row;

use super::{
    Apply, PersonFacts, Rejection, Subsidies, TableResult, persons_in_scope, unknown_person,
};
use crate::audit::{NewEntry, append};
use crate::persons::{HistoryRow, write_history};
use crate::sql::{Arg, insert_rows};
use crate::{Result, Scope};

/// 死亡 or 迁出 on a date.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub row: usize,
    pub id_number: IdNumber,
    pub status: LifeStatus,
    pub date: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct AssistanceRow {
    pub row: usize,
    pub id_number: IdNumber,
    pub assistance: Assistance,
}

#[derive(Debug, Clone)]
pub struct GrantRow {
    pub row: usize,
    pub id_number: IdNumber,
    pub grant: Grant,
    pub bank_account: String,
    pub bank_name: String,
}

const ASSISTANCE_COLUMNS: &[&str] = &[
    "person_id",
    "kind",
    "from_month",
    "to_month",
    "amount_fen",
    "created_at",
    "created_by",
    "updated_at",
];

const GRANT_COLUMNS: &[&str] = &[
    "person_id",
    "kind",
    "locality",
    "from_month",
    "to_month",
    "bank_account",
    "bank_name",
    "long_term_care",
    "created_at",
    "created_by",
    "updated_at",
];

/// New rows are written in batches of this many, so that a large file's rows do not wait in
/// memory.
const FLUSH: usize = 2000;

fn month_text(m: Option<Month>) -> Option<String> {
    m.map(|m| m.to_string())
}

pub(crate) fn parse_month(s: &str) -> Result<Month> {
    Month::parse(s).map_err(|e| crate::StoreError::Internal(e.to_string()))
}

pub(crate) fn parse_opt_month(s: Option<String>) -> Result<Option<Month>> {
    s.as_deref().map(parse_month).transpose()
}

impl Subsidies<'_> {
    /// Ends the import: kept or rolled back as `apply` says (strict: only when no row was refused); the rows
    /// are committed with one audit entry for the file.
    pub(crate) async fn finish(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        scope: &Scope,
        action: &str,
        label: &str,
        apply: Apply,
        mut res: TableResult,
    ) -> Result<TableResult> {
        res.rejected.sort_by_key(|r| r.row);
        let detail = format!(
            "{label}：新增{}，更新{}，未变{}，拒绝{}",
            res.inserted,
            res.updated,
            res.unchanged,
            res.rejected.len()
        );
        let keep = match apply {
            Apply::Always => true,
            Apply::IfClean => res.rejected.is_empty(),
            Apply::Never => false,
        };
        if !keep {
            tx.rollback().await?;
            self.store
                .audit()
                .record(
                    NewEntry::by(scope, action, "subsidy", Outcome::Failure)
                        .detail(format!("{detail}；严格模式下有错误行，未写入")),
                )
                .await?;
            res.committed = false;
            return Ok(res);
        }
        append(
            self.store,
            &mut tx,
            self.store.now_ms(),
            NewEntry::by(scope, action, "subsidy", Outcome::Success).detail(detail),
        )
        .await?;
        tx.commit().await?;
        res.committed = true;
        Ok(res)
    }

    /// Deaths and moves: each sets the person's life status and date (with history), is kept
    /// in the file's events, and turns months already paid after it into recovery records.
    pub async fn import_events(
        &self,
        scope: &Scope,
        label: &str,
        rows: Vec<EventRow>,
        apply: impl Into<Apply>,
    ) -> Result<TableResult> {
        scope.require(scope.role.imports_persons())?;
        let mut tx = self.store.begin_write().await?;
        let res = self.events_in(&mut tx, scope, &rows, "import").await?;
        self.finish(tx, scope, "subsidy.import_events", label, apply.into(), res)
            .await
    }

    /// The events of [`Subsidies::import_events`] written in `tx`, the history's source
    /// named (an import, or a confirmed cross-check).
    pub(crate) async fn events_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        scope: &Scope,
        rows: &[EventRow],
        source: &str,
    ) -> Result<TableResult> {
        let (now, today) = (self.store.now_ms(), self.store.today());
        let backend = self.store.backend();
        let ids: Vec<&IdNumber> = rows.iter().map(|r| &r.id_number).collect();
        let mut persons = persons_in_scope(&mut *tx, backend, scope, &ids).await?;
        let mut res = TableResult::default();
        let mut seen = HashSet::new();
        let mut history = Vec::new();
        for r in rows {
            if r.date > today {
                res.rejected.push(Rejection::new(
                    r.row,
                    "日期",
                    "date_in_future",
                    format!("事件日期 {} 晚于今天", r.date),
                ));
                continue;
            }
            let Some(p) = persons.get_mut(r.id_number.as_str()) else {
                res.rejected.push(unknown_person(r.row));
                continue;
            };
            if !seen.insert(p.id) {
                res.rejected.push(Rejection::new(
                    r.row,
                    "身份证号",
                    "duplicate_in_file",
                    "同一人在本文件中有多条事件（以第一条为准）",
                ));
                continue;
            }
            sqlx::query(
                "INSERT INTO life_events (person_id, kind, event_date, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(p.id)
            .bind(r.status.as_str())
            .bind(r.date.to_string())
            .bind(now)
            .bind(scope.username.clone())
            .execute(&mut *tx)
            .await?;
            if p.life_status == r.status && p.life_date == Some(r.date) {
                res.unchanged += 1;
                continue;
            }
            sqlx::query(
                "UPDATE persons SET life_status = $1, life_date = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(r.status.as_str())
            .bind(r.date.to_string())
            .bind(now)
            .bind(p.id)
            .execute(&mut *tx)
            .await?;
            if p.life_status != r.status {
                history.push(HistoryRow {
                    person_id: p.id,
                    field: Field::LifeStatus.key().into(),
                    before: Some(p.life_status.label().into()),
                    after: Some(r.status.label().into()),
                });
            }
            if p.life_date != Some(r.date) {
                history.push(HistoryRow {
                    person_id: p.id,
                    field: Field::LifeDate.key().into(),
                    before: Some(p.life_date.map(|d| d.to_string()).unwrap_or_default()),
                    after: Some(r.date.to_string()),
                });
            }
            p.life_status = r.status;
            p.life_date = Some(r.date);
            open_recoveries(&mut *tx, p, now).await?;
            res.updated += 1;
        }
        write_history(&mut *tx, backend, scope, source, now, &history).await?;
        Ok(res)
    }

    /// Assistance statuses, matched on (person, type, first month): a new key is inserted, a
    /// changed end month or amount updated.
    pub async fn import_assistance(
        &self,
        scope: &Scope,
        label: &str,
        rows: Vec<AssistanceRow>,
        apply: impl Into<Apply>,
    ) -> Result<TableResult> {
        scope.require(scope.role.imports_persons())?;
        let mut tx = self.store.begin_write().await?;
        let res = self.assistance_in(&mut tx, scope, &rows).await?;
        self.finish(
            tx,
            scope,
            "subsidy.import_assistance",
            label,
            apply.into(),
            res,
        )
        .await
    }

    /// The rows of [`Subsidies::import_assistance`] written in `tx`.
    pub(crate) async fn assistance_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        scope: &Scope,
        rows: &[AssistanceRow],
    ) -> Result<TableResult> {
        let now = self.store.now_ms();
        let backend = self.store.backend();
        let ids: Vec<&IdNumber> = rows.iter().map(|r| &r.id_number).collect();
        let persons = persons_in_scope(&mut *tx, backend, scope, &ids).await?;
        let person_ids: Vec<i64> = persons.values().map(|p| p.id).collect();
        let mut existing = load_assistance(&mut *tx, backend, &person_ids).await?;
        let mut res = TableResult::default();
        let mut seen = HashSet::new();
        let mut new_rows = Vec::new();
        for r in rows {
            if new_rows.len() >= FLUSH {
                insert_rows(
                    &mut *tx,
                    backend,
                    "assistance",
                    ASSISTANCE_COLUMNS,
                    std::mem::take(&mut new_rows),
                )
                .await?;
            }
            let Some(p) = persons.get(r.id_number.as_str()) else {
                res.rejected.push(unknown_person(r.row));
                continue;
            };
            let a = &r.assistance;
            if !seen.insert((p.id, a.kind, a.from)) {
                res.rejected.push(Rejection::new(
                    r.row,
                    "起始月份",
                    "duplicate_in_file",
                    "同一人同一救助类型同一起始月份在本文件中重复出现",
                ));
                continue;
            }
            let list = existing.entry(p.id).or_default();
            match list
                .iter_mut()
                .find(|(_, e)| e.kind == a.kind && e.from == a.from)
            {
                Some((_, e)) if e == a => res.unchanged += 1,
                Some((id, e)) => {
                    sqlx::query(
                        "UPDATE assistance SET to_month = $1, amount_fen = $2, updated_at = $3 \
                         WHERE id = $4",
                    )
                    .bind(month_text(a.to))
                    .bind(a.amount.map(Fen::fen))
                    .bind(now)
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
                    *e = a.clone();
                    res.updated += 1;
                }
                None => {
                    new_rows.push(vec![
                        Arg::Int(p.id),
                        Arg::Text(a.kind.as_str().into()),
                        Arg::Text(a.from.to_string()),
                        Arg::OptText(month_text(a.to)),
                        Arg::OptInt(a.amount.map(Fen::fen)),
                        Arg::Int(now),
                        Arg::Text(scope.username.clone()),
                        Arg::Int(now),
                    ]);
                    list.push((0, a.clone()));
                    res.inserted += 1;
                }
            }
        }
        insert_rows(
            &mut *tx,
            backend,
            "assistance",
            ASSISTANCE_COLUMNS,
            new_rows,
        )
        .await?;
        Ok(res)
    }

    /// Grants, matched on (person, subsidy, first month). A grant whose months overlap another
    /// of the same person and subsidy is refused.
    pub async fn import_grants(
        &self,
        scope: &Scope,
        label: &str,
        rows: Vec<GrantRow>,
        apply: impl Into<Apply>,
    ) -> Result<TableResult> {
        scope.require(scope.role.imports_persons())?;
        let now = self.store.now_ms();
        let backend = self.store.backend();
        let mut tx = self.store.begin_write().await?;
        let ids: Vec<&IdNumber> = rows.iter().map(|r| &r.id_number).collect();
        let persons = persons_in_scope(&mut tx, backend, scope, &ids).await?;
        let person_ids: Vec<i64> = persons.values().map(|p| p.id).collect();
        let mut existing = load_grants(&mut tx, backend, &person_ids).await?;
        let mut res = TableResult::default();
        let mut new_rows = Vec::new();
        for r in &rows {
            if new_rows.len() >= FLUSH {
                insert_rows(
                    &mut tx,
                    backend,
                    "grants",
                    GRANT_COLUMNS,
                    std::mem::take(&mut new_rows),
                )
                .await?;
            }
            let Some(p) = persons.get(r.id_number.as_str()) else {
                res.rejected.push(unknown_person(r.row));
                continue;
            };
            let g = &r.grant;
            let list = existing.entry(p.id).or_default();
            let clash = list.iter().find(|e| {
                e.grant.kind == g.kind
                    && e.grant.from != g.from
                    && overlaps((e.grant.from, e.grant.to), (g.from, g.to))
            });
            if let Some(c) = clash {
                let to = c.grant.to.map_or("今".to_owned(), |t| t.to_string());
                res.rejected.push(Rejection::new(
                    r.row,
                    "起始月份",
                    "grant_overlap",
                    format!(
                        "与此人已有的{}（{} 至 {}）月份重叠",
                        g.kind.label(),
                        c.grant.from,
                        to
                    ),
                ));
                continue;
            }
            let stored = StoredGrant {
                id: 0,
                grant: g.clone(),
                bank_account: r.bank_account.clone(),
                bank_name: r.bank_name.clone(),
                touched: false,
            };
            match list
                .iter_mut()
                .find(|e| e.grant.kind == g.kind && e.grant.from == g.from)
            {
                Some(e) if e.touched => res.rejected.push(Rejection::new(
                    r.row,
                    "起始月份",
                    "duplicate_in_file",
                    "同一人同一补贴同一起始月份在本文件中重复出现",
                )),
                Some(e) if e.same_as(&stored) => {
                    e.touched = true;
                    res.unchanged += 1;
                }
                Some(e) => {
                    sqlx::query(
                        "UPDATE grants SET locality = $1, to_month = $2, bank_account = $3, \
                         bank_name = $4, long_term_care = $5, updated_at = $6 WHERE id = $7",
                    )
                    .bind(g.locality.as_str())
                    .bind(month_text(g.to))
                    .bind(r.bank_account.clone())
                    .bind(r.bank_name.clone())
                    .bind(i64::from(g.long_term_care))
                    .bind(now)
                    .bind(e.id)
                    .execute(&mut *tx)
                    .await?;
                    *e = StoredGrant {
                        id: e.id,
                        touched: true,
                        ..stored
                    };
                    res.updated += 1;
                }
                None => {
                    new_rows.push(vec![
                        Arg::Int(p.id),
                        Arg::Text(g.kind.as_str().into()),
                        Arg::Text(g.locality.as_str().into()),
                        Arg::Text(g.from.to_string()),
                        Arg::OptText(month_text(g.to)),
                        Arg::Text(r.bank_account.clone()),
                        Arg::Text(r.bank_name.clone()),
                        Arg::Int(i64::from(g.long_term_care)),
                        Arg::Int(now),
                        Arg::Text(scope.username.clone()),
                        Arg::Int(now),
                    ]);
                    list.push(StoredGrant {
                        touched: true,
                        ..stored
                    });
                    res.inserted += 1;
                }
            }
        }
        insert_rows(&mut tx, backend, "grants", GRANT_COLUMNS, new_rows).await?;
        self.finish(tx, scope, "subsidy.import_grants", label, apply.into(), res)
            .await
    }
}

#[derive(Debug, Clone)]
pub(crate) struct StoredGrant {
    pub id: i64,
    pub grant: Grant,
    pub bank_account: String,
    pub bank_name: String,
    /// Written or matched by the file being imported.
    pub touched: bool,
}

impl StoredGrant {
    fn same_as(&self, o: &StoredGrant) -> bool {
        self.grant == o.grant
            && self.bank_account == o.bank_account
            && self.bank_name == o.bank_name
    }
}

pub(crate) fn grant_from_row(r: &sqlx::any::AnyRow) -> Result<StoredGrant> {
    let kind: String = r.try_get("kind")?;
    let locality: String = r.try_get("locality")?;
    let bad = |what: &str| crate::StoreError::Internal(format!("补贴记录的{what}无法读取"));
    Ok(StoredGrant {
        id: r.try_get("id")?,
        grant: Grant {
            kind: SubsidyKind::parse(&kind).ok_or_else(|| bad("补贴类型"))?,
            locality: Locality::parse(&locality).ok_or_else(|| bad("城乡"))?,
            from: parse_month(&r.try_get::<String, _>("from_month")?)?,
            to: parse_opt_month(r.try_get("to_month")?)?,
            long_term_care: r.try_get::<i64, _>("long_term_care")? != 0,
        },
        bank_account: r.try_get("bank_account")?,
        bank_name: r.try_get("bank_name")?,
        touched: false,
    })
}

pub(crate) fn assistance_from_row(r: &sqlx::any::AnyRow) -> Result<Assistance> {
    let kind: String = r.try_get("kind")?;
    Ok(Assistance {
        kind: AssistanceKind::parse(&kind)
            .ok_or_else(|| crate::StoreError::Internal("救助类型无法读取".into()))?,
        from: parse_month(&r.try_get::<String, _>("from_month")?)?,
        to: parse_opt_month(r.try_get("to_month")?)?,
        amount: r.try_get::<Option<i64>, _>("amount_fen")?.map(Fen),
    })
}

fn id_list(backend: crate::Backend, n: usize) -> String {
    (1..=n)
        .map(|i| crate::sql::placeholder(backend, i))
        .collect::<Vec<_>>()
        .join(",")
}

async fn load_assistance(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    person_ids: &[i64],
) -> Result<HashMap<i64, Vec<(i64, Assistance)>>> {
    let mut out: HashMap<i64, Vec<(i64, Assistance)>> = HashMap::new();
    for chunk in person_ids.chunks(500) {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, person_id, kind, from_month, to_month, amount_fen FROM assistance \
             WHERE person_id IN ({})",
            id_list(backend, chunk.len())
        )));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.entry(r.try_get("person_id")?)
                .or_default()
                .push((r.try_get("id")?, assistance_from_row(&r)?));
        }
    }
    Ok(out)
}

async fn load_grants(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    person_ids: &[i64],
) -> Result<HashMap<i64, Vec<StoredGrant>>> {
    let mut out: HashMap<i64, Vec<StoredGrant>> = HashMap::new();
    for chunk in person_ids.chunks(500) {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, person_id, kind, locality, from_month, to_month, bank_account, bank_name, \
             long_term_care FROM grants WHERE person_id IN ({})",
            id_list(backend, chunk.len())
        )));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.entry(r.try_get("person_id")?)
                .or_default()
                .push(grant_from_row(&r)?);
        }
    }
    Ok(out)
}

/// 应退则退: every payment for a month after the person's death or move becomes a recovery
/// record (once: a payment has at most one).
pub(crate) async fn open_recoveries(
    conn: &mut sqlx::AnyConnection,
    p: &PersonFacts,
    now: i64,
) -> Result<u64> {
    let Some(date) = p.life_date else {
        return Ok(0);
    };
    if p.life_status == LifeStatus::Living {
        return Ok(0);
    }
    let last_paid = Month::of(date).to_string();
    let done = sqlx::query(
        "INSERT INTO recoveries (payment_id, person_id, kind, pay_month, amount_fen, reason, \
         status, opened_at) SELECT id, person_id, kind, pay_month, amount_fen, $1, 'open', $2 \
         FROM payments WHERE person_id = $3 AND status <> 'failed' AND pay_month > $4 \
         ON CONFLICT (payment_id) DO NOTHING",
    )
    .bind(p.life_status.as_str())
    .bind(now)
    .bind(p.id)
    .bind(last_paid)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}
