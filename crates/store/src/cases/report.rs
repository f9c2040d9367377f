//! A programme's yearly report by town: cases opened in the year, closed, refused and still
//! open (overdue among them), the cost per household where the programme keeps costs
//! (renovation, devices), and the return checks' satisfaction.

use anju_domain::region::RegionTable;
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use super::Cases;
use crate::sql::{Arg, Where};
use crate::{Result, Scope};

/// One town's line of a programme's year.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ReportLine {
    /// The town's code (12 digits) and name; the last line is the total (code empty).
    pub town_code: String,
    pub town: String,
    pub opened: i64,
    pub closed: i64,
    pub refused: i64,
    pub open: i64,
    pub overdue: i64,
    /// Households with a final cost (or, lacking one, a budget or quote) and their sum.
    pub costed: i64,
    pub cost_fen: i64,
    pub checks: i64,
    /// Satisfaction in hundredths, if checked.
    pub satisfaction: Option<i64>,
}

impl ReportLine {
    /// The cost per household in fen, rounded half up.
    pub fn per_household_fen(&self) -> Option<i64> {
        (self.costed > 0).then(|| (2 * self.cost_fen + self.costed) / (2 * self.costed))
    }
}

impl Cases<'_> {
    /// The year's report of programme `programme` (row id) in the scope, by town, with the
    /// total last.
    pub async fn report(
        &self,
        scope: &Scope,
        programme: i64,
        year: i32,
        today: NaiveDate,
    ) -> Result<Vec<ReportLine>> {
        scope.require(scope.role().reads_persons())?;
        let mut w = Where::default();
        w.push_prefix(self.store.backend(), "c.household_code", scope.prefix());
        w.push("c.programme_id = ?", Arg::Int(programme));
        w.push("c.opened_on >= ?", Arg::Text(format!("{year}-01-01")));
        w.push("c.opened_on <= ?", Arg::Text(format!("{year}-12-31")));
        let late = w.arg(Arg::Text(today.to_string()));
        let sql = format!(
            "SELECT SUBSTR(c.household_code, 1, 9) AS town, COUNT(*) AS opened, \
             CAST(SUM(CASE WHEN c.state = 'closed' THEN 1 ELSE 0 END) AS BIGINT) AS closed, \
             CAST(SUM(CASE WHEN c.state = 'refused' THEN 1 ELSE 0 END) AS BIGINT) AS refused, \
             CAST(SUM(CASE WHEN c.state = 'open' THEN 1 ELSE 0 END) AS BIGINT) AS still_open, \
             CAST(SUM(CASE WHEN c.state = 'open' AND c.due_on < {late} THEN 1 ELSE 0 END) AS BIGINT) AS overdue, \
             CAST(SUM(CASE WHEN COALESCE(c.cost_fen, c.budget_fen) IS NOT NULL AND c.state <> 'refused' THEN 1 ELSE 0 END) AS BIGINT) AS costed, \
             CAST(COALESCE(SUM(CASE WHEN c.state <> 'refused' THEN COALESCE(c.cost_fen, c.budget_fen) END), 0) AS BIGINT) AS cost_fen, \
             CAST(COALESCE(SUM(k.n), 0) AS BIGINT) AS checks, \
             CAST(COALESCE(SUM(k.total), 0) AS BIGINT) AS score \
             FROM cases c LEFT JOIN (SELECT case_id, COUNT(*) AS n, SUM(satisfaction) AS total \
             FROM return_checks GROUP BY case_id) k ON k.case_id = c.id \
             WHERE {} GROUP BY SUBSTR(c.household_code, 1, 9) ORDER BY town",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let mut total = ReportLine {
            town: "合计".into(),
            ..ReportLine::default()
        };
        let mut score_sum = 0;
        let mut lines = Vec::new();
        for r in q.fetch_all(self.store.pool()).await? {
            let town: String = r.try_get("town")?;
            let code = format!("{town:0<12}");
            let score: i64 = r.try_get("score")?;
            let mut l = ReportLine {
                town: RegionTable::jiangsu().name_of(&code).to_owned(),
                town_code: code,
                opened: r.try_get("opened")?,
                closed: r.try_get("closed")?,
                refused: r.try_get("refused")?,
                open: r.try_get("still_open")?,
                overdue: r.try_get("overdue")?,
                costed: r.try_get("costed")?,
                cost_fen: r.try_get("cost_fen")?,
                checks: r.try_get("checks")?,
                satisfaction: None,
            };
            l.satisfaction = (l.checks > 0).then(|| (score * 200 + l.checks) / (2 * l.checks));
            total.opened += l.opened;
            total.closed += l.closed;
            total.refused += l.refused;
            total.open += l.open;
            total.overdue += l.overdue;
            total.costed += l.costed;
            total.cost_fen += l.cost_fen;
            total.checks += l.checks;
            score_sum += score;
            lines.push(l);
        }
        total.satisfaction =
            (total.checks > 0).then(|| (score_sum * 200 + total.checks) / (2 * total.checks));
        lines.push(total);
        Ok(lines)
    }
}
