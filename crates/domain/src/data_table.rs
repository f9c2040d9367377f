//! The shape every policy table shipped under `data/` has: `#` comment lines, one header
//! line of Chinese column names, then tab-separated rows. A table names what it holds, so
//! that a missing column or a bad cell says which table and which row.

use std::str::FromStr;

pub struct DataTable<'a> {
    what: &'static str,
    headers: Vec<&'a str>,
    rows: Vec<Vec<&'a str>>,
}

impl<'a> DataTable<'a> {
    pub fn parse(what: &'static str, text: &'a str) -> DataTable<'a> {
        let mut lines = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        let headers = lines
            .next()
            .unwrap_or("")
            .split('\t')
            .map(str::trim)
            .collect();
        let rows = lines
            .map(|l| l.split('\t').map(str::trim).collect())
            .collect();
        DataTable {
            what,
            headers,
            rows,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The position of column `h`, or an error naming the table.
    pub fn col(&self, h: &str) -> Result<usize, String> {
        self.headers
            .iter()
            .position(|x| *x == h)
            .ok_or_else(|| format!("{}缺少“{h}”列", self.what))
    }

    /// Row `i`'s text in column `h`.
    pub fn text(&self, i: usize, h: &str) -> Result<&'a str, String> {
        let c = self.col(h)?;
        Ok(self
            .rows
            .get(i)
            .and_then(|r| r.get(c))
            .copied()
            .unwrap_or(""))
    }

    /// Row `i`'s value in column `h`, parsed.
    pub fn value<T: FromStr>(&self, i: usize, h: &str) -> Result<T, String> {
        let t = self.text(i, h)?;
        t.parse()
            .map_err(|_| format!("{}第{}行“{h}”的值“{t}”无法识别", self.what, i + 1))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_table_reads_by_header_and_names_its_faults() {
        let t = DataTable::parse("测试表", "# 说明\n甲\t乙\n1\tx\n\n2\ty\n");
        assert_eq!(t.len(), 2);
        assert_eq!(t.value::<u32>(1, "甲"), Ok(2));
        assert_eq!(t.text(0, "乙"), Ok("x"));
        assert_eq!(t.col("丙"), Err("测试表缺少“丙”列".into()));
        assert_eq!(
            t.value::<u32>(0, "乙"),
            Err("测试表第1行“乙”的值“x”无法识别".into())
        );
    }
}
