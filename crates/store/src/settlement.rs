//! Settlement (结算): a provider's monthly bill made from its delivery records at the unit
//! prices of the programme versions its cases were opened under, each person held to the
//! yearly cap (with what approved bills already paid that year), approved by another user
//! when a programme asks for it, then frozen. Deliveries recorded after approval go on the
//! next bill of the month: a correction is a new line, never an edit.

use std::collections::HashMap;

use anju_domain::Role;
use anju_domain::audit::Outcome;
use anju_domain::money::Fen;
use anju_domain::month::Month;
use anju_domain::programme::Programme;
use anju_domain::programme::settlement::{Billable, Unpriced, settle};
use serde::Serialize;
use sqlx::Row;

use crate::audit::{NewEntry, append};
use crate::{Result, Scope, Store, StoreError};

/// A bill as lists and pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Bill {
    pub id: i64,
    pub provider_id: i64,
    pub provider: String,
    pub month: String,
    /// draft or approved.
    pub state: String,
    pub total_fen: i64,
    pub line_count: i64,
    pub second_approval: bool,
    pub made_by: String,
    pub approved_by: Option<String>,
}

/// A bill's line: a delivery priced.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BillLine {
    pub delivery_id: i64,
    pub case_id: i64,
    pub name: String,
    /// Masked unless the role may see it whole.
    pub id_number: String,
    pub programme: String,
    pub units: i64,
    pub unit_fen: i64,
    pub amount_fen: i64,
    pub capped_fen: i64,
    pub note: String,
}

/// A drafted bill, with the deliveries that could not be priced.
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    pub bill: Bill,
    pub unpriced: Vec<Unpriced>,
}

pub struct Settlements<'a> {
    store: &'a Store,
}

impl Store {
    pub fn settlements(&self) -> Settlements<'_> {
        Settlements { store: self }
    }
}

fn settles(role: Role) -> bool {
    role.manages_services()
}

const BILL_COLUMNS: &str = "b.id, b.provider_id, o.name AS provider, b.month, b.state, \
    b.total_fen, b.line_count, b.second_approval, b.made_by, b.approved_by";

fn bill_from_row(r: &sqlx::any::AnyRow) -> Result<Bill> {
    Ok(Bill {
        id: r.try_get("id")?,
        provider_id: r.try_get("provider_id")?,
        provider: r.try_get("provider")?,
        month: r.try_get("month")?,
        state: r.try_get("state")?,
        total_fen: r.try_get("total_fen")?,
        line_count: r.try_get("line_count")?,
        second_approval: r.try_get::<i64, _>("second_approval")? == 1,
        made_by: r.try_get("made_by")?,
        approved_by: r.try_get("approved_by")?,
    })
}

/// A fitting on a case with a catalogue device is paid the quote, at most the subsidy.
fn device_price(r: &sqlx::any::AnyRow) -> Result<Option<(Fen, String)>> {
    let kind: String = r.try_get("kind")?;
    let subsidy: Option<i64> = r.try_get("subsidy_fen")?;
    Ok(match subsidy {
        Some(s) if kind == "fitting" => Some((
            anju_domain::programme::device::subsidy_paid(
                r.try_get::<Option<i64>, _>("budget_fen")?.map(Fen),
                Fen(s),
            ),
            r.try_get("device_unit")?,
        )),
        _ => None,
    })
}

impl Settlements<'_> {
    /// Makes (or makes again) the provider's draft bill for `month` from its deliveries of
    /// the month not on an approved bill.
    pub async fn draft(&self, scope: &Scope, provider: i64, month: Month) -> Result<Draft> {
        scope.require(settles(scope.role()))?;
        let p = self.store.providers().get(scope, provider).await?;
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let old: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM bills WHERE provider_id = $1 AND month = $2 AND state = 'draft'",
        )
        .bind(p.id)
        .bind(month.to_string())
        .fetch_all(&mut *tx)
        .await?;
        for id in old {
            sqlx::query("DELETE FROM bill_lines WHERE bill_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM bills WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let first = month.first_day().to_string();
        let last = month.next().first_day().to_string();
        let rows = sqlx::query(
            "SELECT d.id, d.case_id, d.units, d.on_date, d.kind, c.person_id, c.programme_id, \
             c.version_id, c.household_code, c.budget_fen, i.subsidy_fen, i.unit AS device_unit \
             FROM deliveries d JOIN cases c ON c.id = d.case_id \
             LEFT JOIN case_devices cd ON cd.case_id = c.id \
             LEFT JOIN device_items i ON i.id = cd.item_id \
             WHERE d.provider_id = $1 AND d.on_date >= $2 AND d.on_date < $3 \
             AND NOT EXISTS (SELECT 1 FROM bill_lines l JOIN bills b ON b.id = l.bill_id \
             WHERE l.delivery_id = d.id AND b.state = 'approved') ORDER BY d.on_date, d.id",
        )
        .bind(p.id)
        .bind(first)
        .bind(last)
        .fetch_all(&mut *tx)
        .await?;
        // The programme versions the cases were opened under, each an index.
        let mut versions: HashMap<i64, usize> = HashMap::new();
        let mut programmes: Vec<Programme> = Vec::new();
        let mut programme_ids: Vec<i64> = Vec::new();
        let mut items = Vec::with_capacity(rows.len());
        let mut cases: HashMap<i64, (i64, i64, i64, i64)> = HashMap::new();
        for r in &rows {
            let version: i64 = r.try_get("version_id")?;
            let idx = match versions.get(&version) {
                Some(&i) => i,
                None => {
                    let rec = crate::programmes::load_version(&mut tx, version).await?;
                    programmes.push(rec.programme);
                    programme_ids.push(rec.id);
                    versions.insert(version, programmes.len() - 1);
                    programmes.len() - 1
                }
            };
            let delivery: i64 = r.try_get("id")?;
            let person: i64 = r.try_get("person_id")?;
            let units: i64 = r.try_get("units")?;
            cases.insert(
                delivery,
                (
                    r.try_get("case_id")?,
                    person,
                    r.try_get("programme_id")?,
                    units,
                ),
            );
            items.push(Billable {
                delivery,
                person,
                programme: idx,
                household: r.try_get("household_code")?,
                month,
                units: u32::try_from(units).unwrap_or(0),
                own_price: device_price(r)?,
            });
        }
        // What approved bills already paid each person for each programme this year.
        let mut paid: HashMap<(i64, usize), Fen> = HashMap::new();
        let year_from = format!("{}-01", month.year());
        let year_to = format!("{}-12", month.year());
        for r in sqlx::query(
            "SELECT l.person_id, l.programme_id, CAST(SUM(l.amount_fen) AS BIGINT) AS fen \
             FROM bill_lines l JOIN bills b ON b.id = l.bill_id WHERE b.state = 'approved' \
             AND b.month >= $1 AND b.month <= $2 GROUP BY l.person_id, l.programme_id",
        )
        .bind(year_from)
        .bind(year_to)
        .fetch_all(&mut *tx)
        .await?
        {
            let programme: i64 = r.try_get("programme_id")?;
            let person: i64 = r.try_get("person_id")?;
            let fen: i64 = r.try_get::<Option<i64>, _>("fen")?.unwrap_or(0);
            for (i, id) in programme_ids.iter().enumerate() {
                if *id == programme {
                    *paid.entry((person, i)).or_insert(Fen(0)) = Fen(fen);
                }
            }
        }
        let (lines, unpriced) = settle(&programmes, &items, &paid);
        let total: i64 = lines.iter().map(|l| l.amount.fen()).sum();
        let second = items.iter().any(|i| {
            programmes
                .get(i.programme)
                .is_some_and(|p| p.second_approval)
        });
        let bill: i64 = sqlx::query_scalar(
            "INSERT INTO bills (provider_id, month, state, total_fen, line_count, \
             second_approval, made_by, made_at) VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7) \
             RETURNING id",
        )
        .bind(p.id)
        .bind(month.to_string())
        .bind(total)
        .bind(i64::try_from(lines.len()).unwrap_or(i64::MAX))
        .bind(i64::from(second))
        .bind(scope.username.clone())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for chunk in lines.chunks(500) {
            let mut sql = String::from(
                "INSERT INTO bill_lines (bill_id, delivery_id, case_id, person_id, programme_id, \
                 units, unit_fen, amount_fen, capped_fen, note) VALUES ",
            );
            let mut n = 0;
            for (i, _) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                let ps: Vec<String> = (0..10)
                    .map(|_| {
                        n += 1;
                        crate::sql::placeholder(self.store.backend(), n)
                    })
                    .collect();
                sql.push_str(&format!("({})", ps.join(",")));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for l in chunk {
                let (case, person, programme, units) =
                    cases.get(&l.delivery).copied().unwrap_or_default();
                q = q
                    .bind(bill)
                    .bind(l.delivery)
                    .bind(case)
                    .bind(person)
                    .bind(programme)
                    .bind(units)
                    .bind(l.unit.fen())
                    .bind(l.amount.fen())
                    .bind(l.capped.fen())
                    .bind(l.note.clone());
            }
            q.execute(&mut *tx).await?;
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "settlement.draft",
                format!("bill:{bill}"),
                Outcome::Success,
            )
            .detail(format!(
                "{} {month} {}行 {}元",
                p.provider.name,
                lines.len(),
                Fen(total).yuan()
            )),
        )
        .await?;
        tx.commit().await?;
        Ok(Draft {
            bill: self.get(scope, bill).await?,
            unpriced,
        })
    }

    /// One bill, if the scope sees its provider.
    pub async fn get(&self, scope: &Scope, id: i64) -> Result<Bill> {
        scope.require(settles(scope.role()))?;
        let bill = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {BILL_COLUMNS} FROM bills b JOIN providers o ON o.id = b.provider_id \
             WHERE b.id = $1"
        )))
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?
        .as_ref()
        .map(bill_from_row)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound("结算单".into()))?;
        // Outside the scope the provider, and so the bill, does not exist.
        self.store.providers().get(scope, bill.provider_id).await?;
        Ok(bill)
    }

    /// The bills of the providers the scope sees, newest month first.
    pub async fn list(&self, scope: &Scope) -> Result<Vec<Bill>> {
        scope.require(settles(scope.role()))?;
        let visible: std::collections::HashSet<i64> = self
            .store
            .providers()
            .list(scope)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {BILL_COLUMNS} FROM bills b JOIN providers o ON o.id = b.provider_id \
             ORDER BY b.month DESC, b.id DESC"
        )))
        .fetch_all(self.store.pool())
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let b = bill_from_row(r)?;
            if visible.contains(&b.provider_id) {
                out.push(b);
            }
        }
        Ok(out)
    }

    /// A bill's lines (identifiers masked unless the role sees them whole).
    pub async fn lines(&self, scope: &Scope, id: i64) -> Result<Vec<BillLine>> {
        self.get(scope, id).await?;
        let whole = scope.role().sees_identifiers();
        sqlx::query(
            "SELECT l.delivery_id, l.case_id, p.name, p.id_number, g.name AS programme, l.units, \
             l.unit_fen, l.amount_fen, l.capped_fen, l.note FROM bill_lines l \
             JOIN persons p ON p.id = l.person_id JOIN programmes g ON g.id = l.programme_id \
             WHERE l.bill_id = $1 ORDER BY l.id",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| {
            let id_number: String = r.try_get("id_number")?;
            Ok(BillLine {
                delivery_id: r.try_get("delivery_id")?,
                case_id: r.try_get("case_id")?,
                name: r.try_get("name")?,
                id_number: if whole {
                    id_number
                } else {
                    anju_domain::mask::id_number(&id_number)
                },
                programme: r.try_get("programme")?,
                units: r.try_get("units")?,
                unit_fen: r.try_get("unit_fen")?,
                amount_fen: r.try_get("amount_fen")?,
                capped_fen: r.try_get("capped_fen")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
    }

    /// Approves a draft bill: by another user than its maker when a programme on it asks for
    /// a second approver. An approved bill is frozen.
    pub async fn approve(&self, scope: &Scope, id: i64) -> Result<Bill> {
        let bill = self.get(scope, id).await?;
        if bill.state != "draft" {
            return Err(StoreError::invalid("结算单已审核，不能再修改"));
        }
        if bill.second_approval && bill.made_by == scope.username {
            return Err(StoreError::invalid(
                "此结算单含须复核的服务项目，须由制单人以外的人员审核",
            ));
        }
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE bills SET state = 'approved', approved_by = $1, approved_at = $2 \
             WHERE id = $3 AND state = 'draft'",
        )
        .bind(scope.username.clone())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::invalid("结算单已审核，不能再修改"));
        }
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "settlement.approve",
                format!("bill:{id}"),
                Outcome::Success,
            )
            .detail(format!(
                "{} {} {}元",
                bill.provider,
                bill.month,
                Fen(bill.total_fen).yuan()
            )),
        )
        .await?;
        tx.commit().await?;
        self.get(scope, id).await
    }
}
