//! The monthly roll (发放名册): generated as a draft for a month and region, approved by a
//! second user (maker-checker) and then frozen, exported as the bank's payment file, and
//! reconciled with the bank's return (`bank`). Approval records each line as a payment; a person is
//! paid at most once per subsidy and month across all rolls (a unique index says so).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anju_domain::audit::Outcome;
use anju_domain::certificate::{Category, Grade};
use anju_domain::money::Fen;
use anju_domain::month::Month;
use anju_domain::person::LifeStatus;
use anju_domain::subsidy::{Assistance, Decision, Facts, Grant, Locality, Stop, SubsidyKind};
use anju_domain::{Region, RegionTable};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use super::Subsidies;
use super::inputs::{assistance_from_row, parse_month, parse_opt_month};
use super::policy::load_policy;
use crate::audit::{NewEntry, append};
use crate::sql::{Arg, Where, placeholder};
use crate::{Backend, Result, Scope, StoreError};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RollSummary {
    pub id: i64,
    pub month: String,
    pub region_code: String,
    pub status: String,
    pub generated_by: String,
    pub generated_at: i64,
    pub approved_by: Option<String>,
    pub approved_at: Option<i64>,
    pub line_count: i64,
    pub total_fen: i64,
}

impl RollSummary {
    pub fn is_approved(&self) -> bool {
        self.status == "approved"
    }
}

/// One line of a roll: a grant paid for a month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RollLine {
    pub id_number: String,
    pub kind: SubsidyKind,
    pub month: Month,
    pub amount: Fen,
    #[schema(value_type = String)]
    pub rule: Arc<str>,
    /// 补发: a month before the roll's, missed by the roll that paid that month.
    pub arrears: bool,
    pub household_code: String,
    #[serde(skip)]
    pub person_id: i64,
    #[serde(skip)]
    pub grant_id: i64,
    #[serde(skip)]
    pub standard_id: i64,
}

/// A grant that paid last month and does not pay this month, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StoppedLine {
    pub id_number: String,
    pub kind: SubsidyKind,
    pub reason: Stop,
}

/// A grant the roll could not compute: no 低保 standard applies to its household's region
/// and locality in the month. Held until the standard is imported and the roll generated
/// again; a roll with held grants cannot be approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HeldLine {
    pub id_number: String,
    pub kind: SubsidyKind,
    pub month: Month,
    pub household_code: String,
    pub locality: Locality,
}

/// A generated roll with its lines, the grants it stopped and the grants it held.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RollOutcome {
    pub roll: RollSummary,
    pub lines: Vec<RollLine>,
    pub stopped: Vec<StoppedLine>,
    pub held: Vec<HeldLine>,
}

/// A town's share of a roll.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct TownTotal {
    pub town_code: String,
    pub town_name: String,
    pub living_count: i64,
    pub living_fen: i64,
    pub care_count: i64,
    pub care_fen: i64,
}

/// A roll as the page shows it: its summary, totals by town, and what changed since the last
/// approved roll of the region.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Roll {
    pub summary: RollSummary,
    pub towns: Vec<TownTotal>,
    pub diff: Option<RollDiff>,
    /// Grants held for want of a 低保 standard (the roll cannot be approved while any is).
    pub held: Vec<HeldLine>,
    /// Grants paid last month that this roll stops, with the reason (kept with the roll).
    pub stopped: Vec<StoppedLine>,
}

/// Differences from the last approved roll before this one.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RollDiff {
    pub against_month: String,
    pub new: Vec<(String, String, SubsidyKind, i64)>,
    pub stopped: Vec<(String, String, SubsidyKind, i64)>,
    pub changed: Vec<(String, String, SubsidyKind, i64, i64)>,
}

/// A grant with what the rules read of its holder.
#[derive(Debug, Clone)]
struct GrantCase {
    grant_id: i64,
    person_id: i64,
    grant: Grant,
    touched_at: i64,
    id_number: String,
    household_code: String,
    life_status: LifeStatus,
    life_date: Option<NaiveDate>,
    cert_valid_to: Option<NaiveDate>,
    category: Option<Category>,
    grade: Option<Grade>,
}

impl GrantCase {
    fn facts<'a>(&'a self, assistance: &'a [Assistance]) -> Facts<'a> {
        Facts {
            household_code: &self.household_code,
            life_status: self.life_status,
            life_date: self.life_date,
            cert_valid_to: self.cert_valid_to,
            category: self.category,
            grade: self.grade,
            assistance,
        }
    }
}

/// One grant packed by [`Subsidies::load_cases`].
fn unpack_case(text: &str) -> Result<GrantCase> {
    let bad = |what: &str| StoreError::Internal(format!("补贴记录的{what}无法读取：{text}"));
    let f: Vec<&str> = text.split('|').collect();
    let [
        id,
        person,
        kind,
        locality,
        from,
        to,
        care,
        g_at,
        p_at,
        id_number,
        household,
        life,
        life_date,
        valid_to,
        category,
        grade,
    ] = f[..]
    else {
        return Err(bad("字段"));
    };
    let int = |s: &str, what: &str| s.parse::<i64>().map_err(|_| bad(what));
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Ok(GrantCase {
        grant_id: int(id, "编号")?,
        person_id: int(person, "档案")?,
        grant: Grant {
            kind: SubsidyKind::parse(kind).ok_or_else(|| bad("补贴类型"))?,
            locality: Locality::parse(locality).ok_or_else(|| bad("城乡"))?,
            from: parse_month(from)?,
            to: parse_opt_month(opt(to))?,
            long_term_care: care == "1",
        },
        touched_at: int(g_at, "时间")?.max(int(p_at, "时间")?),
        id_number: id_number.to_owned(),
        household_code: household.to_owned(),
        life_status: LifeStatus::parse(life).ok_or_else(|| bad("生存状态"))?,
        life_date: date_opt(opt(life_date)),
        cert_valid_to: date_opt(opt(valid_to)),
        // Empty until the disability is assessed.
        category: opt(category)
            .map(|c| {
                c.parse()
                    .ok()
                    .and_then(Category::new)
                    .ok_or_else(|| bad("残疾类别"))
            })
            .transpose()?,
        grade: opt(grade)
            .map(|g| {
                g.parse()
                    .ok()
                    .and_then(Grade::new)
                    .ok_or_else(|| bad("残疾等级"))
            })
            .transpose()?,
    })
}

/// The grants of a region's people that may pay by a month, with what the rules read of their
/// holders, read a range of grant ids at a time. A province holds a million: the database packs
/// each grant into one text (`format`, fields joined by `|`) and a range into one row (joined
/// by `;`), which spares the driver its per-row and per-value costs (about 7 µs a grant
/// unpacked on SQLite, under 2 µs packed), and a range is decided before the next is read.
struct CaseQuery {
    sql: String,
    args: Vec<Arg>,
    min: i64,
    max: i64,
}

impl CaseQuery {
    const RANGE: i64 = 8192;

    async fn new(
        conn: &mut sqlx::AnyConnection,
        backend: Backend,
        prefix: &str,
        month: Month,
    ) -> Result<CaseQuery> {
        let (min, max): (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT MIN(id), MAX(id) FROM grants")
                .fetch_one(&mut *conn)
                .await?;
        // SQLite's CROSS JOIN keeps the grants' id range as the outer loop (its planner would
        // rather walk every file of the region by household for each range).
        let (agg, join) = match backend {
            Backend::Sqlite => ("group_concat", "CROSS JOIN"),
            Backend::Postgres => ("string_agg", "JOIN"),
        };
        let mut w = Where::default();
        w.push_prefix(backend, "p.household_code", prefix);
        w.push("g.from_month <= ?", Arg::Text(month.to_string()));
        let lo = w.arg(Arg::Int(0));
        let hi = w.arg(Arg::Int(0));
        let sql = format!(
            "SELECT {agg}(format('%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s', g.id, \
             g.person_id, g.kind, g.locality, g.from_month, g.to_month, g.long_term_care, \
             g.updated_at, p.updated_at, p.id_number, p.household_code, p.life_status, \
             p.life_date, p.cert_valid_to, p.category, p.grade), ';') AS packed \
             FROM grants g {join} persons p ON p.id = g.person_id \
             WHERE {} AND g.id BETWEEN {lo} AND {hi}",
            w.sql()
        );
        Ok(CaseQuery {
            sql,
            args: w.args,
            min: min.unwrap_or(1),
            max: max.unwrap_or(0),
        })
    }

    /// The ranges of grant ids to read, in order.
    fn ranges(&self) -> impl Iterator<Item = (i64, i64)> + use<> {
        let (min, max) = (self.min, self.max);
        (0..)
            .map(move |i: i64| min.saturating_add(i.saturating_mul(Self::RANGE)))
            .take_while(move |start| *start <= max)
            .map(|start| (start, start.saturating_add(Self::RANGE - 1)))
    }

    async fn range(
        &mut self,
        conn: &mut sqlx::AnyConnection,
        (start, end): (i64, i64),
    ) -> Result<Vec<GrantCase>> {
        let n = self.args.len();
        self.args[n - 2] = Arg::Int(start);
        self.args[n - 1] = Arg::Int(end);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.sql.as_str()));
        for a in &self.args {
            q = a.bind(q);
        }
        let packed: Option<String> = q.fetch_one(&mut *conn).await?.try_get("packed")?;
        packed
            .iter()
            .flat_map(|p| p.split(';'))
            .map(unpack_case)
            .collect()
    }
}

const SUMMARY_COLUMNS: &str = "id, month, region_code, status, generated_by, generated_at, \
    approved_by, approved_at, line_count, total_fen";

fn summary_from_row(r: &sqlx::any::AnyRow) -> Result<RollSummary> {
    Ok(RollSummary {
        id: r.try_get("id")?,
        month: r.try_get("month")?,
        region_code: r.try_get("region_code")?,
        status: r.try_get("status")?,
        generated_by: r.try_get("generated_by")?,
        generated_at: r.try_get("generated_at")?,
        approved_by: r.try_get("approved_by")?,
        approved_at: r.try_get("approved_at")?,
        line_count: r.try_get("line_count")?,
        total_fen: r.try_get("total_fen")?,
    })
}

fn date_opt(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|d| d.parse().ok())
}

/// The town code (9 significant digits) of a household code.
pub(super) fn town_of(code: &str) -> String {
    format!("{}000", code.get(..9).unwrap_or(code))
}

pub(super) fn town_name(code: &str) -> String {
    RegionTable::jiangsu().name_of(code)
}

impl Subsidies<'_> {
    /// The region a roll is for: `code` if given (inside the scope), else the user's own.
    pub(super) fn roll_region(&self, scope: &Scope, code: Option<&str>) -> Result<Region> {
        scope.require(scope.role.runs_rolls())?;
        let region = match code.filter(|c| !c.is_empty()) {
            Some(c) => self.store.regions().current(c)?.clone(),
            None => scope.region.clone(),
        };
        if !scope.covers(&region.code) {
            return Err(StoreError::Forbidden);
        }
        Ok(region)
    }

    pub(super) async fn find_roll(
        conn: &mut sqlx::AnyConnection,
        month: Month,
        region: &Region,
    ) -> Result<Option<RollSummary>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM rolls WHERE month = $1 AND region_code = $2"
        )))
        .bind(month.to_string())
        .bind(region.code.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(summary_from_row)
        .transpose()
    }

    async fn load_region_assistance(
        conn: &mut sqlx::AnyConnection,
        backend: Backend,
        prefix: &str,
    ) -> Result<HashMap<i64, Vec<Assistance>>> {
        let mut w = Where::default();
        w.push_prefix(backend, "p.household_code", prefix);
        let sql = format!(
            "SELECT a.person_id, a.kind, a.from_month, a.to_month, a.amount_fen FROM assistance a \
             JOIN persons p ON p.id = a.person_id WHERE {}",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in &w.args {
            q = a.bind(q);
        }
        let mut out: HashMap<i64, Vec<Assistance>> = HashMap::new();
        for r in q.fetch_all(&mut *conn).await? {
            out.entry(r.try_get("person_id")?)
                .or_default()
                .push(assistance_from_row(&r)?);
        }
        Ok(out)
    }

    /// Payments (not failed) of the region's people: (person, subsidy, month).
    async fn paid_set(
        conn: &mut sqlx::AnyConnection,
        backend: Backend,
        prefix: &str,
        months: &[Month],
    ) -> Result<HashSet<(i64, SubsidyKind, Month)>> {
        let mut out = HashSet::new();
        if months.is_empty() {
            return Ok(out);
        }
        let mut w = Where::default();
        w.push_prefix(backend, "p.household_code", prefix);
        let list: Vec<String> = months
            .iter()
            .map(|m| w.arg(Arg::Text(m.to_string())))
            .collect();
        let sql = format!(
            "SELECT y.person_id, y.kind, y.pay_month FROM payments y JOIN persons p \
             ON p.id = y.person_id WHERE y.status <> 'failed' AND y.pay_month IN ({}) AND {}",
            list.join(","),
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in &w.args {
            q = a.bind(q);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let kind: String = r.try_get("kind")?;
            if let Some(kind) = SubsidyKind::parse(&kind) {
                out.insert((
                    r.try_get("person_id")?,
                    kind,
                    parse_month(&r.try_get::<String, _>("pay_month")?)?,
                ));
            }
        }
        Ok(out)
    }

    /// Every payment (not failed) of these people: (person, subsidy, month).
    async fn paid_by(
        conn: &mut sqlx::AnyConnection,
        backend: Backend,
        people: &[i64],
    ) -> Result<HashSet<(i64, SubsidyKind, Month)>> {
        let mut people = people.to_vec();
        people.sort_unstable();
        people.dedup();
        let mut out = HashSet::new();
        for chunk in people.chunks(500) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| placeholder(backend, i)).collect();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT person_id, kind, pay_month FROM payments WHERE status <> 'failed' \
                 AND person_id IN ({})",
                list.join(",")
            )));
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut *conn).await? {
                let kind: String = r.try_get("kind")?;
                if let Some(kind) = SubsidyKind::parse(&kind) {
                    out.insert((
                        r.try_get("person_id")?,
                        kind,
                        parse_month(&r.try_get::<String, _>("pay_month")?)?,
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Months before `month` with an approved roll covering the person's region, and when
    /// that roll was approved; plus (person, subsidy, month) of payments the bank returned.
    async fn arrears_context(
        conn: &mut sqlx::AnyConnection,
        backend: Backend,
        prefix: &str,
        month: Month,
    ) -> Result<(
        Vec<(Month, String, i64)>,
        HashSet<(i64, SubsidyKind, Month)>,
    )> {
        let approved = sqlx::query(
            "SELECT month, region_code, approved_at FROM rolls WHERE status = 'approved' \
             AND month < $1",
        )
        .bind(month.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            let code: String = r.try_get("region_code")?;
            let prefix = RegionTable::jiangsu()
                .current(&code)
                .map(|r| r.prefix().to_owned())
                .unwrap_or(code);
            Ok((
                parse_month(&r.try_get::<String, _>("month")?)?,
                prefix,
                r.try_get::<Option<i64>, _>("approved_at")?.unwrap_or(0),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
        let mut w = Where::default();
        w.push_prefix(backend, "p.household_code", prefix);
        let sql = format!(
            "SELECT y.person_id, y.kind, y.pay_month FROM payments y JOIN persons p \
             ON p.id = y.person_id WHERE y.status = 'failed' AND {}",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in &w.args {
            q = a.bind(q);
        }
        let mut failed = HashSet::new();
        for r in q.fetch_all(&mut *conn).await? {
            let kind: String = r.try_get("kind")?;
            if let Some(kind) = SubsidyKind::parse(&kind) {
                failed.insert((
                    r.try_get("person_id")?,
                    kind,
                    parse_month(&r.try_get::<String, _>("pay_month")?)?,
                ));
            }
        }
        Ok((approved, failed))
    }

    /// Computes the roll of `month` for `region` and keeps it as the region's draft (replacing
    /// an earlier draft). Nothing is written when a needed 低保 standard is missing.
    pub async fn generate_roll(
        &self,
        scope: &Scope,
        month: Month,
        region: Option<&str>,
    ) -> Result<RollOutcome> {
        let region = self.roll_region(scope, region)?;
        let backend = self.store.backend();
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        if let Some(r) = Self::find_roll(&mut tx, month, &region).await?
            && r.is_approved()
        {
            return Err(StoreError::invalid(format!(
                "{} {} 的名册已审批，不能重新生成",
                region.name,
                month.label()
            )));
        }
        let started = std::time::Instant::now();
        if backend == Backend::Sqlite {
            // A province's roll reads a million grants and files and writes their lines:
            // 64 MiB of page cache for this connection keeps the pages it revisits.
            sqlx::query("PRAGMA cache_size = -65536")
                .execute(&mut *tx)
                .await?;
        }
        let policy = load_policy(&mut tx).await?;
        let prefix = region.prefix().to_owned();
        let assistance = Self::load_region_assistance(&mut tx, backend, &prefix).await?;
        let (approved, failed) = Self::arrears_context(&mut tx, backend, &prefix, month).await?;
        let paid_now = Self::paid_set(&mut tx, backend, &prefix, &[month]).await?;
        let empty: Vec<Assistance> = Vec::new();
        let mut lines = Vec::new();
        let mut stopped = Vec::new();
        let mut held = Vec::new();
        // A missing 低保 standard holds the grants that need it, not the whole roll.
        let hold = |c: &GrantCase, m: Month, e: anju_domain::subsidy::PolicyError| match e {
            anju_domain::subsidy::PolicyError::NoDibao { .. } => HeldLine {
                id_number: c.id_number.clone(),
                kind: c.grant.kind,
                month: m,
                household_code: c.household_code.clone(),
                locality: c.grant.locality,
            },
        };
        // Arrears candidates: months paid by an approved roll covering the person, after which
        // the grant or the file changed, or whose payment the bank returned.
        let mut candidates: Vec<(GrantCase, Month)> = Vec::new();
        let mut grants = 0usize;
        let mut query = CaseQuery::new(&mut tx, backend, &prefix, month).await?;
        for range in query.ranges() {
            for c in query.range(&mut tx, range).await? {
                grants += 1;
                let a = assistance.get(&c.person_id).unwrap_or(&empty);
                let facts = c.facts(a);
                match policy.decide(&c.grant, &facts, month) {
                    Err(e) => held.push(hold(&c, month, e)),
                    Ok(Decision::Pay(pay)) => {
                        if !paid_now.contains(&(c.person_id, c.grant.kind, month)) {
                            lines.push(line(&c, month, pay, false));
                        }
                    }
                    Ok(Decision::Stop(reason)) => {
                        let before = policy.decide(&c.grant, &facts, month.prev());
                        if matches!(before, Ok(Decision::Pay(_))) {
                            stopped.push(StoppedLine {
                                id_number: c.id_number.clone(),
                                kind: c.grant.kind,
                                reason,
                            });
                        }
                    }
                }
                let last = c.grant.to.map_or(month.prev(), |t| t.min(month.prev()));
                for (m, p, at) in &approved {
                    if *m >= c.grant.from
                        && *m <= last
                        && c.household_code.starts_with(p.as_str())
                        && (c.touched_at > *at || failed.contains(&(c.person_id, c.grant.kind, *m)))
                    {
                        candidates.push((c.clone(), *m));
                    }
                }
            }
        }
        let loaded = started.elapsed();
        let candidate_people: Vec<i64> = candidates.iter().map(|(c, _)| c.person_id).collect();
        let paid_before = Self::paid_by(&mut tx, backend, &candidate_people).await?;
        for (c, m) in candidates {
            if paid_before.contains(&(c.person_id, c.grant.kind, m)) {
                continue;
            }
            let a = assistance.get(&c.person_id).unwrap_or(&empty);
            match policy.decide(&c.grant, &c.facts(a), m) {
                Ok(Decision::Pay(pay)) => lines.push(line(&c, m, pay, true)),
                Ok(Decision::Stop(_)) => {}
                Err(e) => held.push(hold(&c, m, e)),
            }
        }
        lines.sort_by(|a, b| {
            (&a.household_code, &a.id_number, a.kind, a.month).cmp(&(
                &b.household_code,
                &b.id_number,
                b.kind,
                b.month,
            ))
        });
        let total: Fen = lines.iter().map(|l| l.amount).sum();
        let computed = started.elapsed();
        // The earlier draft goes, lines first (they carry no foreign key to cascade from).
        for table in ["roll_lines", "roll_held", "roll_stops"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE roll_id IN (SELECT id FROM rolls WHERE month = $1 \
                 AND region_code = $2 AND status = 'draft')"
            )))
            .bind(month.to_string())
            .bind(region.code.to_string())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM rolls WHERE month = $1 AND region_code = $2 AND status = 'draft'")
            .bind(month.to_string())
            .bind(region.code.to_string())
            .execute(&mut *tx)
            .await?;
        let roll_id: i64 = sqlx::query_scalar(
            "INSERT INTO rolls (month, region_code, status, generated_by, generated_at, \
             line_count, total_fen) VALUES ($1, $2, 'draft', $3, $4, $5, $6) RETURNING id",
        )
        .bind(month.to_string())
        .bind(region.code.to_string())
        .bind(scope.username.clone())
        .bind(now)
        .bind(lines.len() as i64)
        .bind(total.fen())
        .fetch_one(&mut *tx)
        .await?;
        let deleted = started.elapsed();
        write_lines(&mut tx, backend, roll_id, &lines).await?;
        for x in &stopped {
            sqlx::query(
                "INSERT INTO roll_stops (roll_id, id_number, kind, reason) VALUES ($1, $2, $3, $4)",
            )
            .bind(roll_id)
            .bind(x.id_number.clone())
            .bind(x.kind.as_str())
            .bind(x.reason.as_str())
            .execute(&mut *tx)
            .await?;
        }
        for h in &held {
            sqlx::query(
                "INSERT INTO roll_held (roll_id, id_number, kind, pay_month, household_code, \
                 locality) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(roll_id)
            .bind(h.id_number.clone())
            .bind(h.kind.as_str())
            .bind(h.month.to_string())
            .bind(h.household_code.clone())
            .bind(h.locality.as_str())
            .execute(&mut *tx)
            .await?;
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "subsidy.roll_generate",
                format!("roll:{roll_id}"),
                Outcome::Success,
            )
            .detail(format!(
                "{} {}：{}行，合计{}元，停发{}，缺少低保标准暂缓{}",
                region.name,
                month,
                lines.len(),
                total.yuan(),
                stopped.len(),
                held.len()
            )),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(
            grants,
            lines = lines.len(),
            read_and_decide_ms = loaded.as_millis() as u64,
            arrears_ms = (computed - loaded).as_millis() as u64,
            replace_ms = (deleted - computed).as_millis() as u64,
            write_ms = (started.elapsed() - deleted).as_millis() as u64,
            "roll generated"
        );
        let roll = RollSummary {
            id: roll_id,
            month: month.to_string(),
            region_code: region.code.to_string(),
            status: "draft".into(),
            generated_by: scope.username.clone(),
            generated_at: now,
            approved_by: None,
            approved_at: None,
            line_count: lines.len() as i64,
            total_fen: total.fen(),
        };
        Ok(RollOutcome {
            roll,
            lines,
            stopped,
            held,
        })
    }

    /// Approves the draft roll of `month` for `region`: a user other than the one who
    /// generated it; once. Its lines become payments.
    pub async fn approve_roll(
        &self,
        scope: &Scope,
        month: Month,
        region: Option<&str>,
    ) -> Result<RollSummary> {
        let region = self.roll_region(scope, region)?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let roll = Self::find_roll(&mut tx, month, &region)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("{} {} 的名册", region.name, month)))?;
        if roll.is_approved() {
            return Err(StoreError::invalid("该名册已审批"));
        }
        if roll.generated_by == scope.username {
            return Err(StoreError::invalid(
                "名册须由生成者以外的另一名工作人员审批（双人复核）",
            ));
        }
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM roll_held WHERE roll_id = $1")
            .bind(roll.id)
            .fetch_one(&mut *tx)
            .await?;
        if held > 0 {
            return Err(StoreError::invalid(format!(
                "有{held}笔补贴因缺少低保标准暂缓计发：请先导入低保标准，重新生成名册后再审批"
            )));
        }
        let done = sqlx::query(
            "UPDATE rolls SET status = 'approved', approved_by = $1, approved_at = $2 \
             WHERE id = $3 AND status = 'draft'",
        )
        .bind(scope.username.clone())
        .bind(now)
        .bind(roll.id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::invalid("该名册已由他人审批"));
        }
        let paid = sqlx::query(
            "INSERT INTO payments (person_id, kind, pay_month, roll_id, line_id, amount_fen, status) \
             SELECT person_id, kind, pay_month, roll_id, id, amount_fen, 'paid' FROM roll_lines \
             WHERE roll_id = $1",
        )
        .bind(roll.id)
        .execute(&mut *tx)
        .await;
        match paid {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::invalid(
                    "名册中有人员的同一补贴同一月份已在其他已审批名册中发放，请重新生成后再审批",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "subsidy.roll_approve",
                format!("roll:{}", roll.id),
                Outcome::Success,
            )
            .detail(format!(
                "{} {}：{}行，合计{}元",
                region.name,
                month,
                roll.line_count,
                Fen(roll.total_fen).yuan()
            )),
        )
        .await?;
        tx.commit().await?;
        Ok(RollSummary {
            status: "approved".into(),
            approved_by: Some(scope.username.clone()),
            approved_at: Some(now),
            ..roll
        })
    }

    /// Rolls of the scope's subtree, newest month first.
    pub async fn rolls(&self, scope: &Scope) -> Result<Vec<RollSummary>> {
        scope.require(scope.role.reads_persons())?;
        let backend = self.store.backend();
        let mut w = Where::default();
        w.push_prefix(backend, "region_code", scope.prefix());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM rolls WHERE {} ORDER BY month DESC, region_code LIMIT 500",
            w.sql()
        )));
        for a in &w.args {
            q = a.bind(q);
        }
        q.fetch_all(self.store.pool())
            .await?
            .iter()
            .map(summary_from_row)
            .collect()
    }

    /// One roll with its totals by town and its difference from the last approved roll.
    pub async fn roll(&self, scope: &Scope, month: Month, region: &str) -> Result<Roll> {
        scope.require(scope.role.reads_persons())?;
        let region = self.store.regions().current(region)?.clone();
        if !scope.covers(&region.code) {
            return Err(StoreError::NotFound("名册".into()));
        }
        let mut conn = self.store.pool().acquire().await?;
        let summary = Self::find_roll(&mut conn, month, &region)
            .await?
            .ok_or_else(|| StoreError::NotFound("名册".into()))?;
        let rows = sqlx::query(
            "SELECT household_code, kind, amount_fen FROM roll_lines WHERE roll_id = $1",
        )
        .bind(summary.id)
        .fetch_all(&mut *conn)
        .await?;
        let mut towns: HashMap<String, TownTotal> = HashMap::new();
        for r in &rows {
            let household: String = r.try_get("household_code")?;
            let kind: String = r.try_get("kind")?;
            let amount: i64 = r.try_get("amount_fen")?;
            let town = town_of(&household);
            let t = towns.entry(town.clone()).or_insert_with(|| TownTotal {
                town_name: town_name(&town),
                town_code: town,
                ..TownTotal::default()
            });
            if kind == "living" {
                t.living_count += 1;
                t.living_fen += amount;
            } else {
                t.care_count += 1;
                t.care_fen += amount;
            }
        }
        let mut towns: Vec<TownTotal> = towns.into_values().collect();
        towns.sort_by(|a, b| a.town_code.cmp(&b.town_code));
        let previous: Option<RollSummary> = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM rolls WHERE region_code = $1 AND status = 'approved' \
             AND month < $2 ORDER BY month DESC LIMIT 1"
        )))
        .bind(region.code.to_string())
        .bind(month.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(summary_from_row)
        .transpose()?;
        let diff = match previous {
            Some(p) => Some(diff_rolls(&mut conn, &p, &summary).await?),
            None => None,
        };
        let held = sqlx::query(
            "SELECT id_number, kind, pay_month, household_code, locality FROM roll_held \
             WHERE roll_id = $1 ORDER BY household_code, id_number",
        )
        .bind(summary.id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .filter_map(|r| {
            Some(HeldLine {
                id_number: r.try_get("id_number").ok()?,
                kind: SubsidyKind::parse(&r.try_get::<String, _>("kind").ok()?)?,
                month: Month::parse(&r.try_get::<String, _>("pay_month").ok()?).ok()?,
                household_code: r.try_get("household_code").ok()?,
                locality: Locality::parse(&r.try_get::<String, _>("locality").ok()?)?,
            })
        })
        .collect();
        let stopped = sqlx::query(
            "SELECT id_number, kind, reason FROM roll_stops WHERE roll_id = $1 \
             ORDER BY id_number, kind",
        )
        .bind(summary.id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .filter_map(|r| {
            Some(StoppedLine {
                id_number: r.try_get("id_number").ok()?,
                kind: SubsidyKind::parse(&r.try_get::<String, _>("kind").ok()?)?,
                reason: Stop::parse(&r.try_get::<String, _>("reason").ok()?)?,
            })
        })
        .collect();
        Ok(Roll {
            summary,
            towns,
            diff,
            held,
            stopped,
        })
    }
}

/// A line of a stored roll as its page shows it: who, what, how much, by which rule, to
/// which account, and whether that account also receives another person's money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LineView {
    pub id_number: String,
    pub name: String,
    pub household_code: String,
    pub kind: SubsidyKind,
    pub month: String,
    pub amount_fen: i64,
    pub rule: String,
    pub arrears: bool,
    pub bank_account: String,
    /// The account also receives another person's lines in this roll.
    pub shared_account: bool,
}

/// Which lines of a roll to show.
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    /// A town's 9-digit prefix or any prefix of the household code.
    pub prefix: Option<String>,
    pub kind: Option<SubsidyKind>,
    /// Only lines whose account another person shares.
    pub shared_only: bool,
}

impl Subsidies<'_> {
    /// Every line of the roll of `month` for `region` that `filter` keeps, in household and
    /// ID order. The caller masks and audits.
    pub async fn roll_lines(
        &self,
        scope: &Scope,
        month: Month,
        region: &str,
        filter: &LineFilter,
    ) -> Result<Vec<LineView>> {
        scope.require(scope.role.reads_persons())?;
        let region = self.store.regions().current(region)?.clone();
        if !scope.covers(&region.code) {
            return Err(StoreError::NotFound("名册".into()));
        }
        let mut conn = self.store.pool().acquire().await?;
        let summary = Self::find_roll(&mut conn, month, &region)
            .await?
            .ok_or_else(|| StoreError::NotFound("名册".into()))?;
        let shared: std::collections::HashSet<String> = sqlx::query_scalar(
            "SELECT bank_account FROM roll_lines WHERE roll_id = $1 GROUP BY bank_account \
             HAVING COUNT(DISTINCT id_number) > 1",
        )
        .bind(summary.id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
        let rows = sqlx::query(
            "SELECT l.id_number, l.name, l.household_code, l.kind, l.pay_month, l.amount_fen, \
             l.arrears, l.bank_account, r.text AS rule FROM roll_lines l \
             LEFT JOIN roll_rules r ON r.id = l.rule_id WHERE l.roll_id = $1 \
             ORDER BY l.household_code, l.id_number, l.kind, l.pay_month",
        )
        .bind(summary.id)
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let household_code: String = r.try_get("household_code")?;
            let bank_account: String = r.try_get("bank_account")?;
            let Some(kind) = SubsidyKind::parse(&r.try_get::<String, _>("kind")?) else {
                continue;
            };
            let shared_account = shared.contains(&bank_account);
            if filter
                .prefix
                .as_deref()
                .is_some_and(|p| !household_code.starts_with(p))
                || filter.kind.is_some_and(|k| k != kind)
                || (filter.shared_only && !shared_account)
            {
                continue;
            }
            out.push(LineView {
                id_number: r.try_get("id_number")?,
                name: r.try_get("name")?,
                household_code,
                kind,
                month: r.try_get("pay_month")?,
                amount_fen: r.try_get("amount_fen")?,
                rule: r.try_get::<Option<String>, _>("rule")?.unwrap_or_default(),
                arrears: r.try_get::<i64, _>("arrears")? != 0,
                bank_account,
                shared_account,
            });
        }
        Ok(out)
    }
}

/// What changed between two rolls' current-month lines (arrears aside), by person and subsidy.
async fn diff_rolls(
    conn: &mut sqlx::AnyConnection,
    before: &RollSummary,
    after: &RollSummary,
) -> Result<RollDiff> {
    async fn amounts(
        conn: &mut sqlx::AnyConnection,
        roll: &RollSummary,
    ) -> Result<HashMap<(String, String), (String, i64)>> {
        let rows = sqlx::query(
            "SELECT id_number, name, kind, amount_fen FROM roll_lines WHERE roll_id = $1 \
             AND arrears = 0",
        )
        .bind(roll.id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    (r.try_get("id_number")?, r.try_get("kind")?),
                    (r.try_get("name")?, r.try_get("amount_fen")?),
                ))
            })
            .collect()
    }
    let a = amounts(conn, before).await?;
    let b = amounts(conn, after).await?;
    let kind = |k: &str| SubsidyKind::parse(k).unwrap_or(SubsidyKind::Living);
    let mut d = RollDiff {
        against_month: before.month.clone(),
        ..RollDiff::default()
    };
    for ((id, k), (name, amount)) in &b {
        match a.get(&(id.clone(), k.clone())) {
            None => d.new.push((id.clone(), name.clone(), kind(k), *amount)),
            Some((_, old)) if old != amount => {
                d.changed
                    .push((id.clone(), name.clone(), kind(k), *old, *amount));
            }
            Some(_) => {}
        }
    }
    for ((id, k), (name, amount)) in &a {
        if !b.contains_key(&(id.clone(), k.clone())) {
            d.stopped.push((id.clone(), name.clone(), kind(k), *amount));
        }
    }
    d.new.sort();
    d.stopped.sort();
    d.changed.sort();
    Ok(d)
}

fn line(c: &GrantCase, month: Month, pay: anju_domain::subsidy::Pay, arrears: bool) -> RollLine {
    let rule = if arrears {
        Arc::from(format!("补发{}：{}", month, pay.rule))
    } else {
        pay.rule
    };
    RollLine {
        id_number: c.id_number.clone(),
        kind: c.grant.kind,
        month,
        amount: pay.amount,
        rule,
        arrears,
        household_code: c.household_code.clone(),
        person_id: c.person_id,
        grant_id: c.grant_id,
        standard_id: pay.standard_id,
    }
}

/// Writes a roll's rules (each text once) and lines in multi-row statements; each line's
/// name, household, ID number and account are copied from the grant and the file by the
/// database itself.
async fn write_lines(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    roll_id: i64,
    lines: &[RollLine],
) -> Result<()> {
    let mut rule_ids: HashMap<&str, i64> = HashMap::new();
    for l in lines {
        if !rule_ids.contains_key(&*l.rule) {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO roll_rules (roll_id, standard_id, text) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(roll_id)
            .bind(l.standard_id)
            .bind(l.rule.to_string())
            .fetch_one(&mut *conn)
            .await?;
            rule_ids.insert(&l.rule, id);
        }
    }
    let rule_of = |l: &RollLine| rule_ids.get(&*l.rule).copied().unwrap_or_default();
    if backend == Backend::Postgres {
        // PostgreSQL takes each column as one comma-joined text, unnested: five parameters a
        // chunk instead of five a line, which it plans and runs several times faster.
        for chunk in lines.chunks(50_000) {
            let join =
                |f: &dyn Fn(&RollLine) -> String| chunk.iter().map(f).collect::<Vec<_>>().join(",");
            sqlx::query(
                "INSERT INTO roll_lines (roll_id, grant_id, person_id, kind, pay_month, \
                 amount_fen, rule_id, arrears, household_code, name, id_number, bank_account, \
                 bank_name) SELECT $1, g.id, g.person_id, g.kind, v.m, v.a, v.r, v.ar, \
                 p.household_code, p.name, p.id_number, g.bank_account, g.bank_name \
                 FROM unnest(string_to_array($2, ',')::bigint[], string_to_array($3, ','), \
                 string_to_array($4, ',')::bigint[], string_to_array($5, ',')::bigint[], \
                 string_to_array($6, ',')::bigint[]) AS v(gid, m, a, r, ar) \
                 JOIN grants g ON g.id = v.gid JOIN persons p ON p.id = g.person_id",
            )
            .bind(roll_id)
            .bind(join(&|l| l.grant_id.to_string()))
            .bind(join(&|l| l.month.to_string()))
            .bind(join(&|l| l.amount.fen().to_string()))
            .bind(join(&|l| rule_of(l).to_string()))
            .bind(join(&|l| i64::from(l.arrears).to_string()))
            .execute(&mut *conn)
            .await?;
        }
        return Ok(());
    }
    const COLS: usize = 5;
    for chunk in lines.chunks(5000) {
        let mut values = String::with_capacity(chunk.len() * 24);
        for i in 0..chunk.len() {
            if i > 0 {
                values.push(',');
            }
            let ps: Vec<String> = (1..=COLS).map(|_| "?".to_owned()).collect();
            values.push('(');
            values.push_str(&ps.join(","));
            values.push(')');
        }
        // SQLite binds anonymous parameters in the order they appear: the roll's id first.
        let sql = format!(
            "INSERT INTO roll_lines (roll_id, grant_id, person_id, kind, pay_month, amount_fen, \
             rule_id, arrears, household_code, name, id_number, bank_account, bank_name) \
             SELECT ?, g.id, g.person_id, g.kind, v.column2, v.column3, v.column4, v.column5, \
             p.household_code, p.name, p.id_number, g.bank_account, g.bank_name \
             FROM (VALUES {values}) AS v JOIN grants g ON g.id = v.column1 \
             JOIN persons p ON p.id = g.person_id"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(roll_id);
        for l in chunk {
            q = q
                .bind(l.grant_id)
                .bind(l.month.to_string())
                .bind(l.amount.fen())
                .bind(rule_of(l))
                .bind(i64::from(l.arrears));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
