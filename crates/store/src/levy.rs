//! The employment security levy's data and its computation: employers' declarations and their
//! disabled employees by data year (an import of a year replaces that year's rows of the
//! importer's subtree), the parameters by region and declaration year, the faults of the
//! latest imports (a levy refuses to run while any remain), and the levy of a declaration
//! year for the employers of a subtree.

use std::collections::{BTreeMap, HashMap, HashSet};

use anju_domain::audit::Outcome;
use anju_domain::credit_code::CreditCode;
use anju_domain::levy::{
    self, Employer, EmployerKind, Levy, Params, Relief, StaffRow, decimal, round_fen,
};
use anju_domain::money::Fen;
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::{Rejection, Result, Scope, Store, StoreError, TableResult};

/// One employer's levy, as the command line and the pages give it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LevyLine {
    pub credit_code: String,
    pub name: String,
    pub kind: EmployerKind,
    pub region_code: String,
    /// 实缴额.
    pub due_fen: i64,
    /// 应安排人数, 实际安排人数, 差额人数: exact decimals (20 places when they repeat).
    pub required: String,
    pub counted: String,
    pub shortfall: String,
    /// 年平均工资 after the cap, rounded to the fen for display.
    pub avg_wage_fen: i64,
    pub capped: bool,
    /// 应缴额, rounded to the fen for display.
    pub gross_fen: i64,
    /// The share waived: 0, 10, 50 or 100.
    pub reduction_percent: u8,
    pub exempt_reason: Option<String>,
    /// Every step in words.
    pub explanation: Vec<String>,
    /// The reward for meeting (or exceeding) the ratio, in fen, and the multiple of the
    /// monthly minimum wage it was reckoned at.
    pub reward_fen: Option<i64>,
    pub reward_multiple: Option<u32>,
}

impl LevyLine {
    fn of(e: &Employer, l: &Levy, rules: &[levy::RewardRule]) -> LevyLine {
        let reward = levy::reward(l, &e.region, rules);
        LevyLine {
            credit_code: e.credit_code.to_string(),
            name: e.name.clone(),
            kind: e.kind,
            region_code: e.region.clone(),
            due_fen: l.due.fen(),
            required: decimal(&l.required),
            counted: decimal(&l.counted),
            shortfall: decimal(&l.shortfall),
            avg_wage_fen: round_fen(&l.avg_wage).fen(),
            capped: l.capped,
            gross_fen: round_fen(&l.gross).fen(),
            reduction_percent: l.reduction_percent,
            exempt_reason: l.exempt_reason.clone(),
            explanation: l.explanation.clone(),
            reward_fen: reward.map(|r| r.0.fen()),
            reward_multiple: reward.map(|r| r.1),
        }
    }
}

/// A declaration year's levy for a subtree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LevyRun {
    pub year: i32,
    pub employers: Vec<LevyLine>,
    pub total_fen: i64,
}

pub struct Levies<'a> {
    store: &'a Store,
}

impl Store {
    pub fn levies(&self) -> Levies<'_> {
        Levies { store: self }
    }
}

/// Which sheet a fault came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sheet {
    Employers,
    Staff,
    Params,
}

impl Sheet {
    fn as_str(self) -> &'static str {
        match self {
            Sheet::Employers => "employers",
            Sheet::Staff => "staff",
            Sheet::Params => "params",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Sheet::Employers => "单位表",
            Sheet::Staff => "残疾职工表",
            Sheet::Params => "参数表",
        }
    }
}

fn keeps(apply: crate::Apply, rejected: usize) -> bool {
    match apply {
        crate::Apply::Always => true,
        crate::Apply::IfClean => rejected == 0,
        crate::Apply::Never => false,
    }
}

/// The faults of an import, replacing the sheet's earlier ones for the year in the subtree.
async fn record_faults(
    tx: &mut sqlx::AnyConnection,
    store: &Store,
    scope: &Scope,
    sheet: Sheet,
    year: i64,
    faults: &[Rejection],
) -> Result<()> {
    let mut w = crate::sql::Where::default();
    w.push("sheet = ?", crate::sql::Arg::Text(sheet.as_str().into()));
    if sheet != Sheet::Params {
        w.push("year = ?", crate::sql::Arg::Int(year));
    }
    w.push_prefix(store.backend(), "region_code", scope.prefix());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM levy_faults WHERE {}",
        w.sql()
    )));
    for a in w.args {
        q = a.bind_owned(q);
    }
    q.execute(&mut *tx).await?;
    for f in faults {
        sqlx::query(
            "INSERT INTO levy_faults (sheet, year, region_code, row_number, column_name, message) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(sheet.as_str())
        .bind(year)
        .bind(scope.region().code.to_string())
        .bind(i64::try_from(f.row).unwrap_or(i64::MAX))
        .bind(f.column.clone())
        .bind(f.message.clone())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

fn employer_from_row(r: &sqlx::any::AnyRow) -> Result<Employer> {
    let bad = || StoreError::Internal("单位数据无法读取".into());
    Ok(Employer {
        credit_code: CreditCode::parse(&r.try_get::<String, _>("credit_code")?)
            .map_err(|_| bad())?,
        name: r.try_get("name")?,
        kind: EmployerKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(bad)?,
        region: r.try_get("region_code")?,
        staff_hundredths: r.try_get("staff_hundredths")?,
        gross_wages: Fen(r.try_get("gross_fen")?),
    })
}

impl Levies<'_> {
    /// Replaces the employers of data year `year` in the scope's subtree with the sheet's
    /// good rows (all or, with `Apply::IfClean` and a bad row, none); `faults` are the rows
    /// that did not read, kept with the others refused here until a later import of the year.
    pub async fn import_employers(
        &self,
        scope: &Scope,
        year: i32,
        label: &str,
        rows: Vec<(usize, Employer)>,
        faults: Vec<Rejection>,
        apply: crate::Apply,
    ) -> Result<TableResult> {
        scope.require(scope.role().manages_services())?;
        let mut out = TableResult::default();
        let mut seen: HashSet<String> = HashSet::new();
        let mut good = Vec::new();
        for (row, e) in rows {
            if !scope.covers_code(&e.region) {
                out.rejected.push(Rejection::new(
                    row,
                    "所属区划代码",
                    "region_outside",
                    format!("所属区划代码 {} 不在您的管辖范围内", e.region),
                ));
            } else if !seen.insert(e.credit_code.to_string()) {
                out.rejected.push(Rejection::new(
                    row,
                    "统一社会信用代码",
                    "duplicate",
                    format!("统一社会信用代码 {} 在表中重复", e.credit_code),
                ));
            } else {
                good.push(e);
            }
        }
        let mut all_faults = faults;
        all_faults.extend(out.rejected.iter().cloned());
        all_faults.sort_by_key(|f| f.row);
        if !keeps(apply, all_faults.len()) {
            out.rejected = all_faults;
            return Ok(out);
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let mut w = crate::sql::Where::default();
        w.push("data_year = ?", crate::sql::Arg::Int(i64::from(year)));
        w.push_prefix(self.store.backend(), "region_code", scope.prefix());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM employers WHERE {}",
            w.sql()
        )));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let replaced = q.execute(&mut *tx).await?.rows_affected();
        use crate::sql::Arg;
        for chunk in good.chunks(2000) {
            let rows: Vec<Vec<Arg>> = chunk
                .iter()
                .map(|e| {
                    vec![
                        Arg::Int(i64::from(year)),
                        Arg::Text(e.credit_code.to_string()),
                        Arg::Text(e.name.clone()),
                        Arg::Text(e.kind.as_str().into()),
                        Arg::Text(e.region.clone()),
                        Arg::Int(e.staff_hundredths),
                        Arg::Int(e.gross_wages.fen()),
                        Arg::Int(now),
                        Arg::Text(scope.username.clone()),
                    ]
                })
                .collect();
            crate::sql::insert_rows(
                &mut tx,
                self.store.backend(),
                "employers",
                &[
                    "data_year",
                    "credit_code",
                    "name",
                    "kind",
                    "region_code",
                    "staff_hundredths",
                    "gross_fen",
                    "created_at",
                    "created_by",
                ],
                rows,
            )
            .await
            .map_err(|e| match e {
                StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                    StoreError::invalid("有单位已由其他地区导入该年度的数据，请联系其所属地区")
                }
                e => e,
            })?;
        }
        record_faults(
            &mut tx,
            self.store,
            scope,
            Sheet::Employers,
            i64::from(year),
            &all_faults,
        )
        .await?;
        out.inserted = good.len() as u64;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(scope, "levy.employers", label.to_owned(), Outcome::Success).detail(
                format!(
                    "{year}年单位{}家（替换原有{replaced}家），错误{}行",
                    good.len(),
                    all_faults.len()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        out.committed = true;
        out.rejected = all_faults;
        Ok(out)
    }

    /// Replaces the disabled employees of data year `year` of the employers in the scope's
    /// subtree with the sheet's good rows. An employer not imported for the year, or the same
    /// ID twice under one employer, is a fault of the row.
    pub async fn import_staff(
        &self,
        scope: &Scope,
        year: i32,
        label: &str,
        rows: Vec<(usize, StaffRow)>,
        faults: Vec<Rejection>,
        apply: crate::Apply,
    ) -> Result<TableResult> {
        scope.require(scope.role().manages_services())?;
        let employers = self.employers_of(scope, year, None).await?;
        let known: HashSet<String> = employers
            .iter()
            .map(|e| e.credit_code.to_string())
            .collect();
        let mut out = TableResult::default();
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut good = Vec::new();
        for (row, s) in rows {
            let code = s.credit_code.to_string();
            if !known.contains(&code) {
                out.rejected.push(Rejection::new(
                    row,
                    "统一社会信用代码",
                    "employer_unknown",
                    format!("单位 {code} 未导入{year}年度的单位数据，或不在您的管辖范围内"),
                ));
            } else if !seen.insert((code.clone(), s.id_number.clone())) {
                out.rejected.push(Rejection::new(
                    row,
                    "身份证号",
                    "duplicate",
                    format!(
                        "身份证号 {} 在单位 {code} 下重复",
                        anju_domain::mask::id_number(&s.id_number)
                    ),
                ));
            } else {
                good.push(s);
            }
        }
        let mut all_faults = faults;
        all_faults.extend(out.rejected.iter().cloned());
        all_faults.sort_by_key(|f| f.row);
        if !keeps(apply, all_faults.len()) {
            out.rejected = all_faults;
            return Ok(out);
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        for chunk in known.iter().collect::<Vec<_>>().chunks(500) {
            let list: Vec<String> = (1..=chunk.len())
                .map(|i| crate::sql::placeholder(self.store.backend(), i + 1))
                .collect();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM employer_staff WHERE data_year = {} AND credit_code IN ({})",
                crate::sql::placeholder(self.store.backend(), 1),
                list.join(",")
            )))
            .bind(i64::from(year));
            for c in chunk {
                q = q.bind((*c).clone());
            }
            q.execute(&mut *tx).await?;
        }
        use crate::sql::Arg;
        for chunk in good.chunks(2000) {
            let rows: Vec<Vec<Arg>> = chunk
                .iter()
                .map(|s| {
                    vec![
                        Arg::Int(i64::from(year)),
                        Arg::Text(s.credit_code.to_string()),
                        Arg::Text(s.id_number.clone()),
                        Arg::Int(i64::from(s.grade)),
                        Arg::Int(i64::from(s.months)),
                        Arg::Int(i64::from(s.contract)),
                        Arg::Int(i64::from(s.min_wage)),
                        Arg::Int(i64::from(s.insured)),
                        Arg::Int(now),
                        Arg::Text(scope.username.clone()),
                    ]
                })
                .collect();
            crate::sql::insert_rows(
                &mut tx,
                self.store.backend(),
                "employer_staff",
                &[
                    "data_year",
                    "credit_code",
                    "id_number",
                    "grade",
                    "months",
                    "contract",
                    "min_wage",
                    "insured",
                    "created_at",
                    "created_by",
                ],
                rows,
            )
            .await?;
        }
        record_faults(
            &mut tx,
            self.store,
            scope,
            Sheet::Staff,
            i64::from(year),
            &all_faults,
        )
        .await?;
        out.inserted = good.len() as u64;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(scope, "levy.staff", label.to_owned(), Outcome::Success).detail(format!(
                "{year}年残疾职工{}人次，错误{}行",
                good.len(),
                all_faults.len()
            )),
        )
        .await?;
        tx.commit().await?;
        out.committed = true;
        out.rejected = all_faults;
        Ok(out)
    }

    /// Writes parameters by region and declaration year (a row the same as stored is
    /// unchanged).
    pub async fn import_params(
        &self,
        scope: &Scope,
        label: &str,
        rows: Vec<(usize, (String, i32, Params))>,
        faults: Vec<Rejection>,
        apply: crate::Apply,
    ) -> Result<TableResult> {
        scope.require(scope.role().manages_services())?;
        let mut out = TableResult::default();
        let mut seen = HashSet::new();
        let mut good = Vec::new();
        for (row, (region, year, p)) in rows {
            if !scope.covers_code(&region) {
                out.rejected.push(Rejection::new(
                    row,
                    "区划代码",
                    "region_outside",
                    format!("区划代码 {region} 不在您的管辖范围内"),
                ));
            } else if !seen.insert((region.clone(), year)) {
                out.rejected.push(Rejection::new(
                    row,
                    "区划代码",
                    "duplicate",
                    format!("区划代码 {region} 的{year}年度参数在表中重复"),
                ));
            } else {
                good.push((region, year, p));
            }
        }
        let mut all_faults = faults;
        all_faults.extend(out.rejected.iter().cloned());
        all_faults.sort_by_key(|f| f.row);
        if !keeps(apply, all_faults.len()) {
            out.rejected = all_faults;
            return Ok(out);
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        for (region, year, p) in &good {
            let stored = sqlx::query(
                "SELECT ratio_hundredths, average_wage_fen FROM levy_params \
                 WHERE region_code = $1 AND year = $2",
            )
            .bind(region.clone())
            .bind(i64::from(*year))
            .fetch_optional(&mut *tx)
            .await?;
            match stored {
                Some(r)
                    if r.try_get::<i64, _>(0)? == p.ratio_hundredths
                        && r.try_get::<i64, _>(1)? == p.average_wage.fen() =>
                {
                    out.unchanged += 1;
                }
                Some(_) => {
                    sqlx::query(
                        "UPDATE levy_params SET ratio_hundredths = $1, average_wage_fen = $2, \
                         created_at = $3, created_by = $4 WHERE region_code = $5 AND year = $6",
                    )
                    .bind(p.ratio_hundredths)
                    .bind(p.average_wage.fen())
                    .bind(now)
                    .bind(scope.username.clone())
                    .bind(region.clone())
                    .bind(i64::from(*year))
                    .execute(&mut *tx)
                    .await?;
                    out.updated += 1;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO levy_params (region_code, year, ratio_hundredths, \
                         average_wage_fen, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(region.clone())
                    .bind(i64::from(*year))
                    .bind(p.ratio_hundredths)
                    .bind(p.average_wage.fen())
                    .bind(now)
                    .bind(scope.username.clone())
                    .execute(&mut *tx)
                    .await?;
                    out.inserted += 1;
                }
            }
        }
        record_faults(&mut tx, self.store, scope, Sheet::Params, 0, &all_faults).await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(scope, "levy.params", label.to_owned(), Outcome::Success).detail(format!(
                "新增{} 修改{} 未变{}，错误{}行",
                out.inserted,
                out.updated,
                out.unchanged,
                all_faults.len()
            )),
        )
        .await?;
        tx.commit().await?;
        out.committed = true;
        out.rejected = all_faults;
        Ok(out)
    }

    /// The employers of data year `year` in the scope (under `region` when given).
    async fn employers_of(
        &self,
        scope: &Scope,
        year: i32,
        region: Option<&str>,
    ) -> Result<Vec<Employer>> {
        let mut w = crate::sql::Where::default();
        w.push("data_year = ?", crate::sql::Arg::Int(i64::from(year)));
        w.push_prefix(self.store.backend(), "region_code", scope.prefix());
        if let Some(r) = region {
            w.push_prefix_filter_only(self.store.backend(), "region_code", r);
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM employers WHERE {} ORDER BY region_code, credit_code",
            w.sql()
        )));
        for a in w.args {
            q = a.bind_owned(q);
        }
        q.fetch_all(self.store.pool())
            .await?
            .iter()
            .map(employer_from_row)
            .collect()
    }

    /// The levy of declaration year `year` for the employers of the scope (under `region`
    /// when given), on their figures of `year - 1`. Refused, naming them, while the sheets
    /// it reads have faults left from their latest import or a region lacks its parameters.
    pub async fn compute(
        &self,
        scope: &Scope,
        year: i32,
        region: Option<&str>,
        explain: bool,
    ) -> Result<LevyRun> {
        scope.require(scope.role().manages_services())?;
        let prefix = match region {
            Some(r) => {
                let code = anju_domain::RegionTable::jiangsu().current(r)?;
                if !scope.covers(&code.code) {
                    return Err(StoreError::Forbidden);
                }
                Some(code.prefix().to_owned())
            }
            None => None,
        };
        let data_year = year - 1;
        // Faults of the sheets this levy reads.
        let mut w = crate::sql::Where::default();
        let y = w.arg(crate::sql::Arg::Int(i64::from(data_year)));
        w.push_plain(format!(
            "((sheet IN ('employers', 'staff') AND year = {y}) OR sheet = 'params')"
        ));
        w.push_prefix(self.store.backend(), "region_code", scope.prefix());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT sheet, row_number, column_name, message FROM levy_faults WHERE {} \
             ORDER BY sheet, row_number",
            w.sql()
        )));
        for a in w.args {
            q = a.bind_owned(q);
        }
        let faults = q.fetch_all(self.store.pool()).await?;
        if !faults.is_empty() {
            let named: Vec<String> = faults
                .iter()
                .take(20)
                .map(|r| -> Result<String> {
                    let sheet: String = r.try_get("sheet")?;
                    let label = [Sheet::Employers, Sheet::Staff, Sheet::Params]
                        .into_iter()
                        .find(|s| s.as_str() == sheet)
                        .map_or("表", Sheet::label);
                    Ok(format!(
                        "{label}第{}行{}：{}",
                        r.try_get::<i64, _>("row_number")?,
                        r.try_get::<String, _>("column_name")?,
                        r.try_get::<String, _>("message")?
                    ))
                })
                .collect::<Result<_>>()?;
            let more = if faults.len() > named.len() {
                format!("（另有{}处）", faults.len() - named.len())
            } else {
                String::new()
            };
            return Err(StoreError::Invalid(format!(
                "{year}年度的数据尚有{}处错误未改正，不能计算保障金：{}{more}",
                faults.len(),
                named.join("；")
            )));
        }
        let employers = self
            .employers_of(scope, data_year, prefix.as_deref())
            .await?;
        // Their disabled employees.
        let mut staff: HashMap<String, Vec<StaffRow>> = HashMap::new();
        let wanted: HashSet<String> = employers
            .iter()
            .map(|e| e.credit_code.to_string())
            .collect();
        let mut rows = sqlx::query(
            "SELECT credit_code, id_number, grade, months, contract, min_wage, insured \
             FROM employer_staff WHERE data_year = $1",
        )
        .bind(i64::from(data_year))
        .fetch(self.store.pool());
        use futures_util::TryStreamExt;
        while let Some(r) = rows.try_next().await? {
            let code: String = r.try_get("credit_code")?;
            if !wanted.contains(&code) {
                continue;
            }
            let small = |c: &str| -> Result<u8> {
                u8::try_from(r.try_get::<i64, _>(c)?)
                    .map_err(|_| StoreError::Internal("残疾职工数据无法读取".into()))
            };
            let row = StaffRow {
                credit_code: CreditCode::parse(&code)
                    .map_err(|_| StoreError::Internal("残疾职工数据无法读取".into()))?,
                id_number: r.try_get("id_number")?,
                grade: small("grade")?,
                months: small("months")?,
                contract: small("contract")? == 1,
                min_wage: small("min_wage")? == 1,
                insured: small("insured")? == 1,
            };
            staff.entry(code).or_default().push(row);
        }
        // The parameters of each employer's own region for the year: no fall-back.
        let mut params: BTreeMap<String, Params> = BTreeMap::new();
        for r in sqlx::query(
            "SELECT region_code, ratio_hundredths, average_wage_fen FROM levy_params WHERE year = $1",
        )
        .bind(i64::from(year))
        .fetch_all(self.store.pool())
        .await?
        {
            params.insert(
                r.try_get("region_code")?,
                Params {
                    ratio_hundredths: r.try_get("ratio_hundredths")?,
                    average_wage: Fen(r.try_get("average_wage_fen")?),
                },
            );
        }
        let missing: std::collections::BTreeSet<&str> = employers
            .iter()
            .filter(|e| !params.contains_key(&e.region))
            .map(|e| e.region.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(StoreError::Invalid(format!(
                "以下区划没有{year}年度的安排比例和上年社会平均工资，不能计算保障金：{}",
                missing
                    .iter()
                    .map(|c| format!("{c}（{}）", anju_domain::RegionTable::jiangsu().name_of(c)))
                    .collect::<Vec<_>>()
                    .join("、")
            )));
        }
        let relief = Relief::shipped().map_err(StoreError::Internal)?;
        let rewards = levy::reward_rules().map_err(StoreError::Internal)?;
        let mut lines = Vec::with_capacity(employers.len());
        let mut total = 0i64;
        for e in &employers {
            let p = &params[&e.region];
            let mine = staff
                .get(e.credit_code.as_str())
                .map_or(&[][..], Vec::as_slice);
            let l = levy::compute(e, mine, p, &relief, year, explain);
            total += l.due.fen();
            lines.push(LevyLine::of(e, &l, &rewards));
        }
        self.store
            .audit()
            .record(
                NewEntry::by(
                    scope,
                    "levy.compute",
                    format!("levy:{year}"),
                    Outcome::Success,
                )
                .detail(format!(
                    "{}家单位，合计{}元",
                    lines.len(),
                    Fen(total).yuan()
                )),
            )
            .await?;
        Ok(LevyRun {
            year,
            employers: lines,
            total_fen: total,
        })
    }
}
