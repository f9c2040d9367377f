//! The subsidy policy as data: standards (kept in file order), local 低保 standards and the
//! combination rules, imported from sheets and read back as a [`Policy`].

use anju_domain::RegionCode;
use anju_domain::certificate::{Category, Grade};
use anju_domain::money::{Fen, Percent};
use anju_domain::subsidy::{
    AnyOf, AssistanceKind, DibaoStandard, Effect, Exclusion, Locality, Method, Policy, Standard,
    SubsidyKind,
};
use sqlx::Row;

use super::inputs::{parse_month, parse_opt_month};
use super::{Apply, Rejection, Subsidies, TableResult};
use crate::{Result, Scope, StoreError};

fn encode_list<T>(l: &AnyOf<T>, code: impl Fn(&T) -> String) -> String {
    match l {
        AnyOf::Any => String::new(),
        AnyOf::Only(v) => v.iter().map(code).collect::<Vec<_>>().join(","),
    }
}

fn decode_list<T>(s: &str, parse: impl Fn(&str) -> Option<T>) -> Result<AnyOf<T>> {
    if s.is_empty() {
        return Ok(AnyOf::Any);
    }
    s.split(',')
        .map(|p| parse(p).ok_or_else(|| StoreError::Internal(format!("标准条件无法读取：{s}"))))
        .collect::<Result<Vec<T>>>()
        .map(AnyOf::Only)
}

fn method_columns(m: Method) -> (&'static str, i64) {
    match m {
        Method::Fixed(f) => ("fixed", f.fen()),
        Method::DibaoShare(p) => ("dibao_share", p.millionths()),
    }
}

const STANDARD_COLUMNS: &str = "id, seq, region_code, kind, assistance, grades, categories, \
    locality, method, value, from_month, to_month";

fn standard_from_row(r: &sqlx::any::AnyRow) -> Result<Standard> {
    let bad = |what: &str| StoreError::Internal(format!("补贴标准的{what}无法读取"));
    let kind: String = r.try_get("kind")?;
    let locality: Option<String> = r.try_get("locality")?;
    let method: String = r.try_get("method")?;
    let value: i64 = r.try_get("value")?;
    Ok(Standard {
        id: r.try_get("id")?,
        seq: r.try_get("seq")?,
        region_code: r.try_get("region_code")?,
        kind: SubsidyKind::parse(&kind).ok_or_else(|| bad("补贴类型"))?,
        assistance: decode_list(
            &r.try_get::<String, _>("assistance")?,
            AssistanceKind::parse,
        )?,
        grades: decode_list(&r.try_get::<String, _>("grades")?, |g| {
            g.parse().ok().and_then(Grade::new)
        })?,
        categories: decode_list(&r.try_get::<String, _>("categories")?, |c| {
            c.parse().ok().and_then(Category::new)
        })?,
        locality: match locality {
            Some(l) => Some(Locality::parse(&l).ok_or_else(|| bad("城乡"))?),
            None => None,
        },
        method: match method.as_str() {
            "fixed" => Method::Fixed(Fen(value)),
            "dibao_share" => Method::DibaoShare(Percent::from_millionths(value)),
            _ => return Err(bad("计算方式")),
        },
        from: parse_month(&r.try_get::<String, _>("from_month")?)?,
        to: parse_opt_month(r.try_get("to_month")?)?,
    })
}

fn dibao_from_row(r: &sqlx::any::AnyRow) -> Result<DibaoStandard> {
    let locality: String = r.try_get("locality")?;
    Ok(DibaoStandard {
        id: r.try_get("id")?,
        region_code: r.try_get("region_code")?,
        locality: Locality::parse(&locality)
            .ok_or_else(|| StoreError::Internal("低保标准的城乡无法读取".into()))?,
        amount: Fen(r.try_get("amount_fen")?),
        from: parse_month(&r.try_get::<String, _>("from_month")?)?,
    })
}

/// Whether two standards say the same (all but id and place).
fn same_standard(a: &Standard, b: &Standard) -> bool {
    Standard {
        id: 0,
        seq: 0,
        ..a.clone()
    } == Standard {
        id: 0,
        seq: 0,
        ..b.clone()
    }
}

fn out_of_scope(row: usize, code: &str) -> Rejection {
    Rejection::new(
        row,
        "区划代码",
        "region_out_of_scope",
        format!("区划 {code} 不在您的管辖范围内"),
    )
}

fn in_scope(scope: &Scope, code: &str) -> bool {
    RegionCode::parse(code).is_ok_and(|c| scope.covers(&c))
}

pub(crate) async fn load_policy(conn: &mut sqlx::AnyConnection) -> Result<Policy> {
    let standards = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {STANDARD_COLUMNS} FROM standards ORDER BY seq"
    )))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(standard_from_row)
    .collect::<Result<Vec<_>>>()?;
    let dibao = sqlx::query(
        "SELECT id, region_code, locality, amount_fen, from_month FROM dibao_standards",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(dibao_from_row)
    .collect::<Result<Vec<_>>>()?;
    let exclusions = load_exclusions(conn).await?;
    Ok(Policy::new(standards, dibao, exclusions))
}

async fn load_exclusions(conn: &mut sqlx::AnyConnection) -> Result<Vec<Exclusion>> {
    sqlx::query(
        "SELECT assistance, subsidy, effect FROM subsidy_exclusions ORDER BY assistance, subsidy",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let bad = || StoreError::Internal("组合规则无法读取".into());
        Ok(Exclusion {
            assistance: AssistanceKind::parse(&r.try_get::<String, _>("assistance")?)
                .ok_or_else(bad)?,
            subsidy: SubsidyKind::parse(&r.try_get::<String, _>("subsidy")?).ok_or_else(bad)?,
            effect: Effect::parse(&r.try_get::<String, _>("effect")?).ok_or_else(bad)?,
        })
    })
    .collect()
}

impl Subsidies<'_> {
    /// The standards, in file order.
    pub async fn standards(&self, scope: &Scope) -> Result<Vec<Standard>> {
        scope.require(scope.role.reads_persons())?;
        let mut conn = self.store.pool().acquire().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {STANDARD_COLUMNS} FROM standards ORDER BY seq"
        )))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(standard_from_row)
        .collect()
    }

    /// The 低保 standards, by region, 城乡 and month.
    pub async fn dibao_standards(&self, scope: &Scope) -> Result<Vec<DibaoStandard>> {
        scope.require(scope.role.reads_persons())?;
        sqlx::query(
            "SELECT id, region_code, locality, amount_fen, from_month FROM dibao_standards \
             ORDER BY region_code, locality, from_month",
        )
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(dibao_from_row)
        .collect()
    }

    pub async fn exclusions(&self, scope: &Scope) -> Result<Vec<Exclusion>> {
        scope.require(scope.role.reads_persons())?;
        let mut conn = self.store.pool().acquire().await?;
        load_exclusions(&mut conn).await
    }

    /// Standards rows `(row number, standard)` in file order. With `replace` they take the
    /// place of every existing row (the shipped defaults included); otherwise a row that says
    /// what an existing one says is left alone and the others are added after the existing.
    pub async fn import_standards(
        &self,
        scope: &Scope,
        label: &str,
        rows: Vec<(usize, Standard)>,
        replace: bool,
        apply: impl Into<Apply>,
    ) -> Result<TableResult> {
        scope.require(scope.role.sets_policy())?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let mut res = TableResult::default();
        let mut existing = if replace {
            sqlx::query("DELETE FROM standards")
                .execute(&mut *tx)
                .await?;
            Vec::new()
        } else {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {STANDARD_COLUMNS} FROM standards ORDER BY seq"
            )))
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(standard_from_row)
            .collect::<Result<Vec<_>>>()?
        };
        let mut seq = existing.iter().map(|s| s.seq).max().unwrap_or(0);
        for (row, s) in rows {
            if !in_scope(scope, &s.region_code) {
                res.rejected.push(out_of_scope(row, &s.region_code));
                continue;
            }
            if existing.iter().any(|e| same_standard(e, &s)) {
                res.unchanged += 1;
                continue;
            }
            seq += 1;
            let (method, value) = method_columns(s.method);
            sqlx::query(
                "INSERT INTO standards (seq, region_code, kind, assistance, grades, categories, \
                 locality, method, value, from_month, to_month, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(seq)
            .bind(s.region_code.clone())
            .bind(s.kind.as_str())
            .bind(encode_list(&s.assistance, |k| k.as_str().to_owned()))
            .bind(encode_list(&s.grades, |g| g.code().to_string()))
            .bind(encode_list(&s.categories, |c| c.code().to_string()))
            .bind(s.locality.map(Locality::as_str))
            .bind(method)
            .bind(value)
            .bind(s.from.to_string())
            .bind(s.to.map(|m| m.to_string()))
            .bind(now)
            .bind(scope.username.clone())
            .execute(&mut *tx)
            .await?;
            existing.push(Standard { seq, ..s });
            res.inserted += 1;
        }
        self.finish(
            tx,
            scope,
            "subsidy.import_standards",
            label,
            apply.into(),
            res,
        )
        .await
    }

    /// 低保 standards, matched on (region, 城乡, 生效月份); `replace` as for standards.
    pub async fn import_dibao(
        &self,
        scope: &Scope,
        label: &str,
        rows: Vec<(usize, DibaoStandard)>,
        replace: bool,
        apply: impl Into<Apply>,
    ) -> Result<TableResult> {
        scope.require(scope.role.sets_policy())?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        if replace {
            sqlx::query("DELETE FROM dibao_standards")
                .execute(&mut *tx)
                .await?;
        }
        let mut res = TableResult::default();
        let mut seen = std::collections::HashSet::new();
        for (row, d) in rows {
            if !in_scope(scope, &d.region_code) {
                res.rejected.push(out_of_scope(row, &d.region_code));
                continue;
            }
            if !seen.insert((d.region_code.clone(), d.locality, d.from)) {
                res.rejected.push(Rejection::new(
                    row,
                    "生效月份",
                    "duplicate_in_file",
                    "同一区划、城乡、生效月份在本文件中重复出现",
                ));
                continue;
            }
            let current: Option<(i64, i64)> = sqlx::query_as(
                "SELECT id, amount_fen FROM dibao_standards WHERE region_code = $1 \
                 AND locality = $2 AND from_month = $3",
            )
            .bind(d.region_code.clone())
            .bind(d.locality.as_str())
            .bind(d.from.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            match current {
                Some((_, amount)) if amount == d.amount.fen() => res.unchanged += 1,
                Some((id, _)) => {
                    sqlx::query("UPDATE dibao_standards SET amount_fen = $1 WHERE id = $2")
                        .bind(d.amount.fen())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    res.updated += 1;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO dibao_standards (region_code, locality, amount_fen, \
                         from_month, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(d.region_code.clone())
                    .bind(d.locality.as_str())
                    .bind(d.amount.fen())
                    .bind(d.from.to_string())
                    .bind(now)
                    .bind(scope.username.clone())
                    .execute(&mut *tx)
                    .await?;
                    res.inserted += 1;
                }
            }
        }
        self.finish(tx, scope, "subsidy.import_dibao", label, apply.into(), res)
            .await
    }
}
