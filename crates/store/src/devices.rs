//! Assistive devices (辅助器具): the catalogue (shipped for Jiangsu, imported by a federation),
//! the device a device case is for (chosen from the catalogue for the household's region,
//! within who may receive it and the years-of-use rule), the supplier's quote, the fitting (a
//! delivery record, which the years-of-use rule checks again), and rental: out on a date until
//! a due date against a deposit, returned and the deposit refunded; an overdue return joins
//! the worklist.

use anju_domain::Role;
use anju_domain::audit::Outcome;
use anju_domain::money::Fen;
use anju_domain::month::Month;
use anju_domain::programme::device::{self, DeviceItem};
use anju_domain::programme::{CaseState, Condition, ProgrammeKind, Subject, closes};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::cases::CaseRecord;
use crate::{Result, Scope, Store, StoreError};

/// A catalogue entry as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceItemRecord {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub years_of_use: i64,
    pub subsidy_fen: i64,
    /// Who may receive it, in the programmes' condition words (empty: any holder).
    pub conditions: String,
    pub region_prefix: String,
    pub from_month: String,
    pub to_month: Option<String>,
}

impl DeviceItemRecord {
    fn item(&self) -> Result<DeviceItem> {
        let bad = || StoreError::Internal("辅具目录无法读取".into());
        Ok(DeviceItem {
            code: self.code.clone(),
            name: self.name.clone(),
            unit: self.unit.clone(),
            years_of_use: u32::try_from(self.years_of_use).map_err(|_| bad())?,
            subsidy: Fen(self.subsidy_fen),
            condition_text: self.conditions.clone(),
            conditions: Condition::parse(&self.conditions).map_err(|_| bad())?,
            region_prefix: self.region_prefix.clone(),
            from: Month::parse(&self.from_month).map_err(|_| bad())?,
            to: self
                .to_month
                .as_deref()
                .map(Month::parse)
                .transpose()
                .map_err(|_| bad())?,
        })
    }
}

/// The device of a device case, with its fitting or rental.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseDevice {
    pub item: DeviceItemRecord,
    pub fitted_on: Option<String>,
    pub rented_on: Option<String>,
    pub rent_due_on: Option<String>,
    pub returned_on: Option<String>,
    pub deposit_fen: Option<i64>,
    pub refunded_fen: Option<i64>,
}

pub struct Devices<'a> {
    store: &'a Store,
}

impl Store {
    pub fn devices(&self) -> Devices<'_> {
        Devices { store: self }
    }
}

const ITEM_COLUMNS: &str = "i.id, i.code, i.name, i.unit, i.years_of_use, i.subsidy_fen, \
    i.conditions, i.region_prefix, i.from_month, i.to_month";

fn item_from_row(r: &sqlx::any::AnyRow) -> Result<DeviceItemRecord> {
    Ok(DeviceItemRecord {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        unit: r.try_get("unit")?,
        years_of_use: r.try_get("years_of_use")?,
        subsidy_fen: r.try_get("subsidy_fen")?,
        conditions: r.try_get("conditions")?,
        region_prefix: r.try_get("region_prefix")?,
        from_month: r.try_get("from_month")?,
        to_month: r.try_get("to_month")?,
    })
}

/// What writing a catalogue entry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    Inserted,
    Updated,
    Unchanged,
}

/// Writes one catalogue entry (replacing the row of its code, region and first month).
async fn upsert(
    tx: &mut sqlx::AnyConnection,
    item: &DeviceItem,
    now: i64,
    by: &str,
) -> Result<Written> {
    let to = item.to.map(|m| m.to_string());
    let same: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM device_items WHERE code = $1 AND region_prefix = $2 AND from_month = $3 \
         AND name = $4 AND unit = $5 AND years_of_use = $6 AND subsidy_fen = $7 \
         AND conditions = $8 AND COALESCE(to_month, '') = $9",
    )
    .bind(item.code.clone())
    .bind(item.region_prefix.clone())
    .bind(item.from.to_string())
    .bind(item.name.clone())
    .bind(item.unit.clone())
    .bind(i64::from(item.years_of_use))
    .bind(item.subsidy.fen())
    .bind(item.condition_text.clone())
    .bind(to.clone().unwrap_or_default())
    .fetch_optional(&mut *tx)
    .await?;
    if same.is_some() {
        return Ok(Written::Unchanged);
    }
    let changed = sqlx::query(
        "UPDATE device_items SET name = $1, unit = $2, years_of_use = $3, subsidy_fen = $4, \
         conditions = $5, to_month = $6, created_at = $7, created_by = $8 \
         WHERE code = $9 AND region_prefix = $10 AND from_month = $11",
    )
    .bind(item.name.clone())
    .bind(item.unit.clone())
    .bind(i64::from(item.years_of_use))
    .bind(item.subsidy.fen())
    .bind(item.condition_text.clone())
    .bind(to.clone())
    .bind(now)
    .bind(by.to_owned())
    .bind(item.code.clone())
    .bind(item.region_prefix.clone())
    .bind(item.from.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed > 0 {
        return Ok(Written::Updated);
    }
    sqlx::query(
        "INSERT INTO device_items (code, name, unit, years_of_use, subsidy_fen, conditions, \
         region_prefix, from_month, to_month, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(item.code.clone())
    .bind(item.name.clone())
    .bind(item.unit.clone())
    .bind(i64::from(item.years_of_use))
    .bind(item.subsidy.fen())
    .bind(item.condition_text.clone())
    .bind(item.region_prefix.clone())
    .bind(item.from.to_string())
    .bind(to)
    .bind(now)
    .bind(by.to_owned())
    .execute(&mut *tx)
    .await?;
    Ok(Written::Inserted)
}

/// Writes the shipped catalogue once, into a new registry.
pub(crate) async fn seed(store: &Store) -> Result<()> {
    let mut tx = store.begin_write().await?;
    let done: Option<String> = sqlx::query_scalar("SELECT what FROM seeded WHERE what = 'devices'")
        .fetch_optional(&mut *tx)
        .await?;
    if done.is_some() {
        return Ok(());
    }
    let now = store.now_ms();
    for item in device::jiangsu().map_err(StoreError::Internal)? {
        upsert(&mut tx, &item, now, "system").await?;
    }
    sqlx::query("INSERT INTO seeded (what, at_ms) VALUES ('devices', $1)")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The region prefix padded to a whole code, for the scope check.
fn region_code(prefix: &str) -> String {
    format!("{prefix:0<12}")
}

impl Devices<'_> {
    /// The catalogue, by code and region.
    pub async fn list(&self, scope: &Scope) -> Result<Vec<DeviceItemRecord>> {
        scope.require(scope.role().reads_persons() || scope.provider().is_some())?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM device_items i ORDER BY i.code, i.region_prefix, i.from_month"
        )))
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(item_from_row)
        .collect()
    }

    /// Writes a catalogue sheet's entries in one transaction (a county, city or
    /// administrator, for regions in its subtree): all of them, or with `Apply::IfClean` and
    /// a bad row, none.
    pub async fn import(
        &self,
        scope: &Scope,
        label: &str,
        rows: Vec<(usize, DeviceItem)>,
        apply: crate::Apply,
    ) -> Result<crate::TableResult> {
        scope.require(scope.role().manages_services())?;
        let now = self.store.now_ms();
        let mut out = crate::TableResult::default();
        let mut tx = self.store.begin_write().await?;
        for (row, item) in rows {
            if !scope.covers_code(&region_code(&item.region_prefix)) {
                out.rejected.push(crate::Rejection::new(
                    row,
                    "区划代码",
                    "region_outside",
                    format!(
                        "区划代码 {} 不在您的管辖范围内",
                        region_code(&item.region_prefix)
                    ),
                ));
                continue;
            }
            match upsert(&mut tx, &item, now, &scope.username).await? {
                Written::Inserted => out.inserted += 1,
                Written::Updated => out.updated += 1,
                Written::Unchanged => out.unchanged += 1,
            }
        }
        let keep = match apply {
            crate::Apply::Always => true,
            crate::Apply::IfClean => out.rejected.is_empty(),
            crate::Apply::Never => false,
        };
        if keep {
            append(
                self.store,
                &mut tx,
                now,
                NewEntry::by(scope, "device.import", label.to_owned(), Outcome::Success)
                    .detail(format!("新增{} 修改{}", out.inserted, out.updated)),
            )
            .await?;
            tx.commit().await?;
            out.committed = true;
        }
        Ok(out)
    }

    /// The catalogue entries that apply to a case's household on `date`, the most specific
    /// region of each code.
    pub async fn for_case(&self, c: &CaseRecord, date: NaiveDate) -> Result<Vec<DeviceItemRecord>> {
        let month = Month::of(date);
        let mut best: std::collections::BTreeMap<String, (usize, DeviceItemRecord)> =
            Default::default();
        for rec in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM device_items i ORDER BY i.code"
        )))
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(item_from_row)
        {
            let rec = rec?;
            if !rec.item()?.applies(&c.household_code, month) {
                continue;
            }
            let len = rec.region_prefix.len();
            if best.get(&rec.code).is_none_or(|(l, _)| len > *l) {
                best.insert(rec.code.clone(), (len, rec));
            }
        }
        Ok(best.into_values().map(|(_, r)| r).collect())
    }

    /// The device of case `id`, if one was chosen.
    pub async fn of_case(&self, scope: &Scope, id: i64) -> Result<Option<CaseDevice>> {
        self.store.cases().get(scope, id).await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS}, d.fitted_on, d.rented_on, d.rent_due_on, d.returned_on, \
             d.deposit_fen, d.refunded_fen FROM case_devices d \
             JOIN device_items i ON i.id = d.item_id WHERE d.case_id = $1"
        )))
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?;
        row.map(|r| {
            Ok(CaseDevice {
                item: item_from_row(&r)?,
                fitted_on: r.try_get("fitted_on")?,
                rented_on: r.try_get("rented_on")?,
                rent_due_on: r.try_get("rent_due_on")?,
                returned_on: r.try_get("returned_on")?,
                deposit_fen: r.try_get("deposit_fen")?,
                refunded_fen: r.try_get("refunded_fen")?,
            })
        })
        .transpose()
    }

    /// An open device case the scope may act on, and its device if chosen.
    async fn device_case(
        &self,
        scope: &Scope,
        id: i64,
    ) -> Result<(CaseRecord, Option<CaseDevice>)> {
        let (c, _) = self.store.cases().get(scope, id).await?;
        if c.kind != ProgrammeKind::Device {
            return Err(StoreError::invalid(format!(
                "“{}”不是辅助器具项目",
                c.programme
            )));
        }
        if c.state != CaseState::Open {
            return Err(StoreError::invalid(format!(
                "个案{}，不能再办理",
                c.state.label()
            )));
        }
        let d = self.of_case(scope, id).await?;
        Ok((c, d))
    }

    /// Chooses the catalogue entry `item` for device case `id` (from the town up): it must
    /// apply to the household's region on `date`, its conditions must hold, and no device of
    /// its class may be within its years of use. Changeable until fitted or rented.
    pub async fn choose(
        &self,
        scope: &Scope,
        id: i64,
        item: i64,
        date: NaiveDate,
    ) -> Result<CaseDevice> {
        scope.require(closes(scope.role()))?;
        let (c, d) = self.device_case(scope, id).await?;
        if d.as_ref()
            .is_some_and(|d| d.fitted_on.is_some() || d.rented_on.is_some())
        {
            return Err(StoreError::invalid("辅具已适配或出租，不能再更换"));
        }
        let rec = self
            .for_case(&c, date)
            .await?
            .into_iter()
            .find(|r| r.id == item)
            .ok_or_else(|| StoreError::invalid("所选辅具不在适用于此户籍地的辅具目录中"))?;
        let it = rec.item()?;
        let person = self.store.persons().get_by_key(scope, c.person_id).await?;
        let mut conn = self.store.pool().acquire().await?;
        let facts = crate::cases::facts_of(&mut conn, c.person_id, 0, date).await?;
        drop(conn);
        let subject = Subject {
            person: &person.person,
            assistance: &facts.assistance,
            student: facts.student,
            diagnoses: &facts.diagnoses,
            served: &[],
        };
        let e = it.conditions.explain(&subject, date);
        if !it.conditions.holds(&subject, date) {
            return Err(StoreError::invalid(format!(
                "不符合“{}”的适配对象：{}",
                it.name,
                e.unmet()
            )));
        }
        if !is_rental(&c) {
            device::may_fit(
                &it.code,
                &self.fitted_before(c.person_id, id, &it.code).await?,
                date,
            )
            .map_err(StoreError::Invalid)?;
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query("DELETE FROM case_devices WHERE case_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO case_devices (case_id, item_id, person_id, code, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(rec.id)
        .bind(c.person_id)
        .bind(rec.code.clone())
        .bind(now)
        .bind(scope.username.clone())
        .execute(&mut *tx)
        .await?;
        crate::cases::record(
            &mut tx,
            id,
            "step",
            "选定辅具",
            date,
            &format!(
                "{} {}（补贴{}元）",
                rec.code,
                rec.name,
                Fen(rec.subsidy_fen).yuan()
            ),
            "",
            scope,
            now,
        )
        .await?;
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(scope, "case.device", format!("case:{id}"), Outcome::Success)
                .detail(format!("{} {}", rec.code, rec.name)),
        )
        .await?;
        tx.commit().await?;
        self.of_case(scope, id)
            .await?
            .ok_or_else(|| StoreError::Internal("辅具未能保存".into()))
    }

    /// The fittings of a class for a person on other cases: (date, years of use).
    async fn fitted_before(
        &self,
        person: i64,
        case: i64,
        code: &str,
    ) -> Result<Vec<(NaiveDate, u32)>> {
        Ok(sqlx::query(
            "SELECT d.fitted_on, i.years_of_use FROM case_devices d \
             JOIN device_items i ON i.id = d.item_id \
             WHERE d.person_id = $1 AND d.code = $2 AND d.case_id <> $3 AND d.fitted_on IS NOT NULL",
        )
        .bind(person)
        .bind(code.to_owned())
        .bind(case)
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .filter_map(|r| {
            let on: String = r.try_get("fitted_on").ok()?;
            let years: i64 = r.try_get("years_of_use").ok()?;
            Some((on.parse().ok()?, u32::try_from(years).ok()?))
        })
        .collect())
    }

    /// Checks a fitting recorded on `date` on case `id` (inside the delivery's transaction)
    /// and marks the device fitted: the case must have a device chosen and no device of its
    /// class may be within its years of use.
    pub(crate) async fn fit(
        &self,
        tx: &mut sqlx::AnyConnection,
        c: &CaseRecord,
        date: NaiveDate,
        now: i64,
        by: &str,
    ) -> Result<()> {
        let row =
            sqlx::query("SELECT code, fitted_on, rented_on FROM case_devices WHERE case_id = $1")
                .bind(c.id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(row) = row else {
            return Err(StoreError::invalid("服务类型：尚未选定辅具，不能记录适配"));
        };
        if is_rental(c) || row.try_get::<Option<String>, _>("rented_on")?.is_some() {
            return Err(StoreError::invalid("服务类型：出租的辅具不记录适配"));
        }
        let code: String = row.try_get("code")?;
        device::may_fit(
            &code,
            &self.fitted_before(c.person_id, c.id, &code).await?,
            date,
        )
        .map_err(|e| StoreError::Invalid(format!("服务日期：{e}")))?;
        if row.try_get::<Option<String>, _>("fitted_on")?.is_none() {
            sqlx::query(
                "UPDATE case_devices SET fitted_on = $1, updated_at = $2, updated_by = $3 \
                 WHERE case_id = $4",
            )
            .bind(date.to_string())
            .bind(now)
            .bind(by.to_owned())
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    /// Records the supplier's quote (报价) on device case `id`: by the case's provider or from
    /// the town up, in whole fen; the fitting is paid the quote, at most the subsidy.
    pub async fn quote(&self, scope: &Scope, id: i64, amount: &str) -> Result<Fen> {
        let (c, d) = self.device_case(scope, id).await?;
        acts_on(scope, &c)?;
        if d.as_ref().is_none_or(|d| d.fitted_on.is_some()) {
            return Err(StoreError::invalid("报价须在选定辅具之后、适配之前"));
        }
        let fen = Fen::parse_yuan(amount)
            .ok()
            .filter(|f| f.fen() > 0)
            .ok_or_else(|| {
                StoreError::invalid(format!(
                    "报价（元）：“{}”应为大于0、最多两位小数的金额",
                    amount.trim()
                ))
            })?;
        self.store
            .cases()
            .set_amount(scope, &c, "budget_fen", "报价", fen)
            .await?;
        Ok(fen)
    }

    /// Rents the chosen device out on `date` until `due` against `deposit` (by the case's
    /// provider or from the town up).
    pub async fn rent_out(
        &self,
        scope: &Scope,
        id: i64,
        date: NaiveDate,
        due: NaiveDate,
        deposit: &str,
    ) -> Result<()> {
        let (c, d) = self.device_case(scope, id).await?;
        acts_on(scope, &c)?;
        if !is_rental(&c) {
            return Err(StoreError::invalid(format!(
                "“{}”不是租赁项目，不能出租",
                c.programme
            )));
        }
        let Some(d) = d else {
            return Err(StoreError::invalid("尚未选定辅具，不能出租"));
        };
        if d.fitted_on.is_some() || d.rented_on.is_some() {
            return Err(StoreError::invalid("此辅具已适配或已出租"));
        }
        let opened: NaiveDate = c
            .opened_on
            .parse()
            .map_err(|_| StoreError::Internal("受理日期无法读取".into()))?;
        if date > self.store.today() || date < opened {
            return Err(StoreError::invalid(format!(
                "出租日期：应在受理日期{opened}至今天之间"
            )));
        }
        if due <= date {
            return Err(StoreError::invalid("归还期限：应晚于出租日期"));
        }
        let deposit = Fen::parse_yuan(deposit)
            .ok()
            .filter(|f| f.fen() >= 0)
            .ok_or_else(|| {
                StoreError::invalid(format!(
                    "押金（元）：“{}”应为最多两位小数的金额",
                    deposit.trim()
                ))
            })?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "UPDATE case_devices SET rented_on = $1, rent_due_on = $2, deposit_fen = $3, \
             updated_at = $4, updated_by = $5 WHERE case_id = $6 AND rented_on IS NULL",
        )
        .bind(date.to_string())
        .bind(due.to_string())
        .bind(deposit.fen())
        .bind(now)
        .bind(scope.username.clone())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let detail = format!("{} 出租至{due}，押金{}元", d.item.name, deposit.yuan());
        crate::cases::note(
            self.store,
            &mut tx,
            scope,
            id,
            "辅具出租",
            date,
            &detail,
            "case.rental",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the return of a rented device on `date` and the deposit refunded (at most the
    /// deposit).
    pub async fn give_back(
        &self,
        scope: &Scope,
        id: i64,
        date: NaiveDate,
        refunded: &str,
    ) -> Result<()> {
        let (c, d) = self.device_case(scope, id).await?;
        acts_on(scope, &c)?;
        let Some(d) = d.filter(|d| d.rented_on.is_some() && d.returned_on.is_none()) else {
            return Err(StoreError::invalid("此个案没有未归还的出租辅具"));
        };
        let rented: NaiveDate = d
            .rented_on
            .as_deref()
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| StoreError::Internal("出租日期无法读取".into()))?;
        if date < rented || date > self.store.today() {
            return Err(StoreError::invalid(format!(
                "归还日期：应在出租日期{rented}至今天之间"
            )));
        }
        let deposit = Fen(d.deposit_fen.unwrap_or(0));
        let refunded = Fen::parse_yuan(refunded)
            .ok()
            .filter(|f| f.fen() >= 0)
            .ok_or_else(|| {
                StoreError::invalid(format!(
                    "退还押金（元）：“{}”应为最多两位小数的金额",
                    refunded.trim()
                ))
            })?;
        if refunded.fen() > deposit.fen() {
            return Err(StoreError::invalid(format!(
                "退还押金（元）：{}元超过收取的押金{}元",
                refunded.yuan(),
                deposit.yuan()
            )));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "UPDATE case_devices SET returned_on = $1, refunded_fen = $2, updated_at = $3, \
             updated_by = $4 WHERE case_id = $5 AND returned_on IS NULL",
        )
        .bind(date.to_string())
        .bind(refunded.fen())
        .bind(now)
        .bind(scope.username.clone())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let detail = format!("{} 已归还，退还押金{}元", d.item.name, refunded.yuan());
        crate::cases::note(
            self.store,
            &mut tx,
            scope,
            id,
            "辅具归还",
            date,
            &detail,
            "case.rental",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Whether a device case lends its device ([`device::lends`]).
pub fn is_rental(c: &CaseRecord) -> bool {
    c.kind == ProgrammeKind::Device && device::lends(&c.steps)
}

/// Who acts on a case's device, quote or costs: its provider's account, or staff from the
/// town up.
pub(crate) fn acts_on(scope: &Scope, c: &CaseRecord) -> Result<()> {
    let provider = scope.role() == Role::Provider
        && c.provider_id.is_some()
        && c.provider_id == scope.provider();
    scope.require(provider || closes(scope.role()))
}

/// Rented devices past their due date and not returned, in the scope: (case, programme,
/// due date), the earliest first (the worklist's line).
pub(crate) async fn overdue_rentals(
    store: &Store,
    scope: &Scope,
    today: NaiveDate,
) -> Result<Vec<(i64, String, String)>> {
    let mut w = crate::sql::Where::default();
    if scope.role() == Role::Provider {
        w.push(
            "c.provider_id = ?",
            crate::sql::Arg::Int(scope.provider().unwrap_or(0)),
        );
    } else {
        w.push_prefix(store.backend(), "c.household_code", scope.prefix());
    }
    w.push(
        "d.rent_due_on < ?",
        crate::sql::Arg::Text(today.to_string()),
    );
    let sql = format!(
        "SELECT c.id, g.name, d.rent_due_on FROM case_devices d JOIN cases c ON c.id = d.case_id \
         JOIN programmes g ON g.id = c.programme_id \
         WHERE d.rented_on IS NOT NULL AND d.returned_on IS NULL AND c.state = 'open' AND {} \
         ORDER BY d.rent_due_on, c.id",
        w.sql()
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in w.args {
        q = a.bind_owned(q);
    }
    q.fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("name")?,
                r.try_get("rent_due_on")?,
            ))
        })
        .collect()
}
