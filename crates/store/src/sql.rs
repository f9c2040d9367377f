//! Small helpers for queries assembled from optional filters, and the few places where the
//! two engines want different SQL for the same meaning.

use crate::Backend;

/// A bind value for assembled queries.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;
pub(crate) type AnyScalar<'q, T> =
    sqlx::query::QueryScalar<'q, sqlx::Any, T, sqlx::any::AnyArguments>;

impl Arg {
    pub(crate) fn bind<'q>(&self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        match self {
            Arg::Text(s) => q.bind(s.clone()),
            Arg::OptText(s) => q.bind(s.clone()),
            Arg::Int(i) => q.bind(*i),
            Arg::OptInt(i) => q.bind(*i),
        }
    }

    /// Binds by moving the value (hot loops: no copy of the text).
    pub(crate) fn bind_owned<'q>(self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        match self {
            Arg::Text(s) => q.bind(s),
            Arg::OptText(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
            Arg::OptInt(i) => q.bind(i),
        }
    }

    pub(crate) fn bind_owned_scalar<'q, T>(self, q: AnyScalar<'q, T>) -> AnyScalar<'q, T> {
        match self {
            Arg::Text(s) => q.bind(s),
            Arg::OptText(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
            Arg::OptInt(i) => q.bind(i),
        }
    }

    pub(crate) fn bind_scalar<'q, T>(&self, q: AnyScalar<'q, T>) -> AnyScalar<'q, T> {
        match self {
            Arg::Text(s) => q.bind(s.clone()),
            Arg::OptText(s) => q.bind(s.clone()),
            Arg::Int(i) => q.bind(*i),
            Arg::OptInt(i) => q.bind(*i),
        }
    }
}

/// The page to show of `total` rows at `per_page` a page: a page past the end is the last
/// page (the first when there are none), and the offset cannot overflow. (page, offset)
pub(crate) fn clamp_page(page: i64, per_page: i64, total: i64) -> (i64, i64) {
    let per_page = per_page.max(1);
    let last = ((total.max(0) + per_page - 1) / per_page).max(1);
    let page = page.clamp(1, last);
    (page, (page - 1) * per_page)
}

/// Inserts rows of values into `table`'s `columns` in multi-row statements (each row one
/// value per column, in order).
pub(crate) async fn insert_rows(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> crate::Result<()> {
    insert(conn, backend, table, columns, rows, "").await
}

/// As [`insert_rows`], leaving out rows that would break a unique constraint.
pub(crate) async fn insert_rows_ignoring(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> crate::Result<()> {
    insert(
        conn,
        backend,
        table,
        columns,
        rows,
        " ON CONFLICT DO NOTHING",
    )
    .await
}

/// As [`insert_rows`], with `suffix` after the rows (an `ON CONFLICT … DO UPDATE`). The rows
/// must not conflict among themselves.
pub(crate) async fn insert_rows_then(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
    suffix: &str,
) -> crate::Result<()> {
    insert(conn, backend, table, columns, rows, suffix).await
}

async fn insert(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
    suffix: &str,
) -> crate::Result<()> {
    if backend == Backend::Postgres {
        return insert_json(conn, table, columns, rows, suffix).await;
    }
    let n = columns.len();
    // Under SQLite's 32,766 parameters a statement.
    let per_chunk = (30_000 / n.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Arg>> = rows.by_ref().take(per_chunk).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            let ps: Vec<String> = (1..=n).map(|k| placeholder(backend, i * n + k)).collect();
            sql.push('(');
            sql.push_str(&ps.join(","));
            sql.push(')');
        }
        sql.push_str(suffix);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            for a in row {
                q = a.bind_owned(q);
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// PostgreSQL: the rows as one JSON value a statement, turned into the table's own row type
/// by the server (`json_populate_recordset`): one parameter instead of thousands, each of
/// which costs more to bind and plan than the server costs to read the JSON.
async fn insert_json(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
    suffix: &str,
) -> crate::Result<()> {
    use std::fmt::Write;
    const PER_STATEMENT: usize = 5000;
    let cols = columns.join(", ");
    let sql = format!(
        "INSERT INTO {table} ({cols}) SELECT {cols} FROM \
         json_populate_recordset(NULL::{table}, $1::json){suffix}"
    );
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut json = String::from("[");
        for (i, row) in rows.by_ref().take(PER_STATEMENT).enumerate() {
            json.push_str(if i == 0 { "{" } else { ",{" });
            for (k, (col, a)) in columns.iter().zip(row).enumerate() {
                if k > 0 {
                    json.push(',');
                }
                let _ = write!(json, "\"{col}\":");
                match a {
                    Arg::Text(t) | Arg::OptText(Some(t)) => {
                        json.push_str(&serde_json::to_string(&t).unwrap_or_default())
                    }
                    Arg::Int(n) | Arg::OptInt(Some(n)) => {
                        let _ = write!(json, "{n}");
                    }
                    Arg::OptText(None) | Arg::OptInt(None) => json.push_str("null"),
                }
            }
            json.push('}');
        }
        json.push(']');
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(json)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Conditions and their arguments, numbered as they are added.
#[derive(Debug, Default)]
pub(crate) struct Where {
    pub conds: Vec<String>,
    pub args: Vec<Arg>,
}

impl Where {
    /// Adds an argument and returns its placeholder.
    pub fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// Adds a condition; `?` in it stands for the next parameter.
    pub fn push(&mut self, cond: &str, arg: Arg) {
        let p = self.arg(arg);
        self.conds.push(cond.replacen('?', &p, 1));
    }

    pub fn push_plain(&mut self, cond: impl Into<String>) {
        self.conds.push(cond.into());
    }

    /// A prefix match that uses the column's index on either engine: GLOB on SQLite (its
    /// LIKE ignores case and so cannot use a plain index), LIKE with `text_pattern_ops` on
    /// PostgreSQL. `prefix` must already be free of wildcard characters.
    pub fn push_prefix(&mut self, backend: Backend, col: &str, prefix: &str) {
        let cond = self.prefix(backend, col, prefix);
        self.conds.push(cond);
    }

    /// A prefix condition the planner must not drive from its index (SQLite's unary `+`):
    /// used for the region when a search term's index is the selective one.
    pub fn push_prefix_filter_only(&mut self, backend: Backend, col: &str, prefix: &str) {
        let cond = match backend {
            Backend::Sqlite => format!("+{col} GLOB {}", self.arg(Arg::Text(format!("{prefix}*")))),
            Backend::Postgres => {
                format!("{col} LIKE {}", self.arg(Arg::Text(format!("{prefix}%"))))
            }
        };
        self.conds.push(cond);
    }

    /// The prefix condition alone (its argument added), to combine with others.
    pub fn prefix(&mut self, backend: Backend, col: &str, prefix: &str) -> String {
        match backend {
            Backend::Sqlite => format!("{col} GLOB {}", self.arg(Arg::Text(format!("{prefix}*")))),
            Backend::Postgres => {
                format!("{col} LIKE {}", self.arg(Arg::Text(format!("{prefix}%"))))
            }
        }
    }

    /// A suffix condition alone (its argument added); no index serves it.
    pub fn suffix(&mut self, backend: Backend, col: &str, suffix: &str) -> String {
        match backend {
            Backend::Sqlite => format!("{col} GLOB {}", self.arg(Arg::Text(format!("*{suffix}")))),
            Backend::Postgres => {
                format!("{col} LIKE {}", self.arg(Arg::Text(format!("%{suffix}"))))
            }
        }
    }

    pub fn sql(&self) -> String {
        if self.conds.is_empty() {
            "TRUE".into()
        } else {
            self.conds.join(" AND ")
        }
    }
}

/// The placeholder of the `n`th parameter (1-based) in a statement with many parameters.
/// SQLite gets anonymous `?`: a named `$n` costs it a linear search of the statement's names
/// at each bind, which makes a 10,000-parameter insert quadratic.
pub(crate) fn placeholder(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => "?".to_owned(),
        Backend::Postgres => format!("${n}"),
    }
}

/// Keeps only characters that can appear in stored names, codes and pinyin, so that a search
/// string can never act as a wildcard.
pub(crate) fn search_safe(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric() || *c == '·')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_are_numbered_in_order() {
        let mut w = Where::default();
        w.push("a = ?", Arg::Int(1));
        w.push_prefix(Backend::Sqlite, "b", "32");
        w.push_prefix(Backend::Postgres, "c", "zs");
        assert_eq!(w.sql(), "a = $1 AND b GLOB $2 AND c LIKE $3");
        assert_eq!(search_safe("张*三%_[x]"), "张三x");
    }
}
