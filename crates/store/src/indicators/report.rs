//! The monthly and yearly report of a region (月报、年报): the indicators at the period's end,
//! the subsidies paid for its months, the cases by programme, and the certificates issued.
//! Counts and sums only: no person is named, so a report may go to a meeting as it is.

use anju_domain::audit::Outcome;
use anju_domain::certificate::Category;
use anju_domain::money::Fen;
use anju_domain::subsidy::SubsidyKind;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sqlx::Row;

use super::{Board, Indicators, When, region_in};
use crate::audit::NewEntry;
use crate::sql::{Arg, Where};
use crate::{Result, Scope, StoreError};

/// Subsidies paid for one month (or the period, when `month` is "合计").
#[derive(Debug, Clone, Serialize)]
pub struct SubsidyLine {
    pub kind: String,
    pub month: String,
    pub people: i64,
    pub amount: String,
    pub amount_fen: i64,
}

/// One programme's cases in the period.
#[derive(Debug, Clone, Serialize)]
pub struct CaseLine {
    pub programme: String,
    pub kind: String,
    pub opened: i64,
    pub closed: i64,
    pub refused: i64,
    pub open_at_end: i64,
}

/// Certificates issued in the period, by category.
#[derive(Debug, Clone, Serialize)]
pub struct CertLine {
    pub category: String,
    pub issued: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub title: String,
    pub period: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub board: Board,
    pub subsidies: Vec<SubsidyLine>,
    pub cases: Vec<CaseLine>,
    pub certificates: Vec<CertLine>,
    pub certificates_total: i64,
    pub generated_at_ms: i64,
}

impl Indicators<'_> {
    /// The report of `region` for `year` (or one `month` of it), up to today.
    pub async fn report(
        &self,
        scope: &Scope,
        region: Option<&str>,
        year: i32,
        month: Option<u32>,
    ) -> Result<Report> {
        scope.require(scope.role().reads_persons())?;
        let region = region_in(scope, region)?;
        let today = self.store.today();
        let (from, end) = match month {
            Some(m) => {
                let from = NaiveDate::from_ymd_opt(year, m, 1)
                    .ok_or_else(|| StoreError::invalid(format!("月份“{m}”无效（应为1至12）")))?;
                let end = from
                    .checked_add_months(chrono::Months::new(1))
                    .and_then(|d| d.pred_opt())
                    .ok_or_else(|| StoreError::invalid("月份无效"))?;
                (from, end)
            }
            None => (
                NaiveDate::from_ymd_opt(year, 1, 1)
                    .filter(|_| year >= 2000)
                    .ok_or_else(|| StoreError::invalid(format!("年度“{year}”无效")))?,
                NaiveDate::from_ymd_opt(year, 12, 31)
                    .ok_or_else(|| StoreError::invalid("年度无效"))?,
            ),
        };
        if from > today {
            return Err(StoreError::invalid(format!("报表期间（{from}起）尚未开始")));
        }
        let to = end.min(today);
        let when = match month {
            None if end < today => When::Year(year),
            _ if to == today => When::Now,
            _ => When::Date(to),
        };
        let board = self.board(scope, Some(region.code.as_str()), when).await?;
        let backend = self.store.backend();
        let pool = self.store.pool();

        // Subsidies: per month and kind, then the period's people and money per kind.
        let (m_from, m_to) = (
            format!("{}-{:02}", from.year(), from.month()),
            format!("{}-{:02}", to.year(), to.month()),
        );
        let query = |sql: &str, col: &str, args: Vec<Arg>| {
            let mut w = Where::default();
            w.push_prefix(backend, col, region.prefix());
            let mut sql = sql.replace("{under}", &w.sql());
            for (i, a) in args.into_iter().enumerate() {
                let p = w.arg(a);
                sql = sql.replace(&format!("{{{i}}}"), &p);
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in w.args {
                q = a.bind_owned(q);
            }
            q
        };
        let label = |k: &str| {
            SubsidyKind::parse(k).map_or_else(|| k.to_owned(), |k| k.short_label().to_owned())
        };
        let mut subsidies = Vec::new();
        for r in query(
            "SELECT y.kind, y.pay_month, COUNT(DISTINCT y.person_id) AS people, \
             SUM(y.amount_fen) AS fen FROM payments y JOIN persons p ON p.id = y.person_id \
             WHERE {under} AND y.status <> 'failed' AND y.pay_month >= {0} AND y.pay_month <= {1} \
             GROUP BY y.kind, y.pay_month ORDER BY y.pay_month, y.kind",
            "p.household_code",
            vec![Arg::Text(m_from.clone()), Arg::Text(m_to.clone())],
        )
        .fetch_all(pool)
        .await?
        {
            let fen: i64 = r.try_get("fen")?;
            subsidies.push(SubsidyLine {
                kind: label(&r.try_get::<String, _>("kind")?),
                month: r.try_get("pay_month")?,
                people: r.try_get("people")?,
                amount: Fen(fen).yuan(),
                amount_fen: fen,
            });
        }
        for r in query(
            "SELECT y.kind, COUNT(DISTINCT y.person_id) AS people, SUM(y.amount_fen) AS fen \
             FROM payments y JOIN persons p ON p.id = y.person_id WHERE {under} \
             AND y.status <> 'failed' AND y.pay_month >= {0} AND y.pay_month <= {1} \
             GROUP BY y.kind ORDER BY y.kind",
            "p.household_code",
            vec![Arg::Text(m_from), Arg::Text(m_to)],
        )
        .fetch_all(pool)
        .await?
        {
            let fen: i64 = r.try_get("fen")?;
            subsidies.push(SubsidyLine {
                kind: label(&r.try_get::<String, _>("kind")?),
                month: "合计".into(),
                people: r.try_get("people")?,
                amount: Fen(fen).yuan(),
                amount_fen: fen,
            });
        }

        // Cases by programme: opened, closed and refused in the period, open at its end.
        let (d_from, d_to) = (Arg::Text(from.to_string()), Arg::Text(to.to_string()));
        let mut cases = Vec::new();
        for r in query(
            "SELECT g.name, g.kind, \
             SUM(CASE WHEN c.opened_on >= {0} AND c.opened_on <= {1} THEN 1 ELSE 0 END) AS opened, \
             SUM(CASE WHEN c.state = 'closed' AND c.since >= {0} AND c.since <= {1} THEN 1 ELSE 0 END) AS closed, \
             SUM(CASE WHEN c.state = 'refused' AND c.since >= {0} AND c.since <= {1} THEN 1 ELSE 0 END) AS refused, \
             SUM(CASE WHEN c.opened_on <= {1} AND (c.state = 'open' OR c.state = 'closed' AND c.since > {1}) THEN 1 ELSE 0 END) AS open_at_end \
             FROM cases c JOIN programmes g ON g.id = c.programme_id WHERE {under} \
             GROUP BY g.name, g.kind ORDER BY g.kind, g.name",
            "c.household_code",
            vec![d_from.clone(), d_to.clone()],
        )
        .fetch_all(pool)
        .await?
        {
            let kind: String = r.try_get("kind")?;
            let line = CaseLine {
                programme: r.try_get("name")?,
                kind: anju_domain::programme::ProgrammeKind::parse(&kind)
                    .map_or(kind, |k| k.label().to_owned()),
                opened: r.try_get("opened")?,
                closed: r.try_get("closed")?,
                refused: r.try_get("refused")?,
                open_at_end: r.try_get("open_at_end")?,
            };
            if line.opened + line.closed + line.refused + line.open_at_end > 0 {
                cases.push(line);
            }
        }

        // Certificates issued in the period, by category.
        let mut certificates = Vec::new();
        for r in query(
            "SELECT p.category, COUNT(*) AS n FROM persons p WHERE {under} \
             AND p.cert_issued >= {0} AND p.cert_issued <= {1} GROUP BY p.category ORDER BY p.category",
            "p.household_code",
            vec![d_from, d_to],
        )
        .fetch_all(pool)
        .await?
        {
            let code: Option<i64> = r.try_get("category")?;
            certificates.push(CertLine {
                category: code
                    .and_then(|c| u8::try_from(c).ok())
                    .and_then(Category::new)
                    .map_or_else(|| "未评定".to_owned(), |c| c.name().to_owned()),
                issued: r.try_get("n")?,
            });
        }
        let certificates_total = certificates.iter().map(|c| c.issued).sum();
        let period = match month {
            Some(m) => format!("{year}年{m}月"),
            None => format!("{year}年"),
        };
        let title = format!(
            "{}残疾人工作{}",
            region.name,
            if month.is_some() { "月报" } else { "年报" }
        );
        self.store
            .audit()
            .record(
                NewEntry::by(
                    scope,
                    "indicator.report",
                    format!("region:{}", region.code),
                    Outcome::Success,
                )
                .detail(format!("{title} {period}")),
            )
            .await?;
        Ok(Report {
            title,
            period,
            from,
            to,
            board,
            subsidies,
            cases,
            certificates,
            certificates_total,
            generated_at_ms: self.store.now_ms(),
        })
    }
}
