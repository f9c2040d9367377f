//! Settlement (结算): a provider's month of delivery records priced at the programme's unit
//! price for the household's region and the month, each person held to the programme's
//! yearly cap, in integer fen. Every line says how it was reached.

use std::collections::HashMap;

use serde::Serialize;

use super::Programme;
use crate::money::Fen;
use crate::month::Month;

/// A delivery to be paid: its row id, the person, the programme (an index into the
/// programmes given), the household, the month and the units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billable {
    pub delivery: i64,
    pub person: i64,
    pub programme: usize,
    pub household: String,
    pub month: Month,
    pub units: u32,
    /// A price of the case's own instead of the programme's (a fitted device is paid its
    /// quote, at most the catalogue's subsidy): the amount a unit and the unit.
    pub own_price: Option<(Fen, String)>,
}

/// A priced line: the unit price, the amount paid, what the cap took off, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub delivery: i64,
    pub unit: Fen,
    pub amount: Fen,
    pub capped: Fen,
    pub note: String,
}

/// A delivery that cannot be priced, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Unpriced {
    pub delivery: i64,
    pub reason: String,
}

/// Prices `items` in their order (a person's earlier deliveries use the cap first).
/// `paid` is what each (person, programme) was already paid in the items' year.
pub fn settle(
    programmes: &[Programme],
    items: &[Billable],
    paid: &HashMap<(i64, usize), Fen>,
) -> (Vec<Line>, Vec<Unpriced>) {
    let mut used: HashMap<(i64, usize), i64> = HashMap::new();
    let mut lines = Vec::with_capacity(items.len());
    let mut unpriced = Vec::new();
    for it in items {
        let Some(p) = programmes.get(it.programme) else {
            unpriced.push(Unpriced {
                delivery: it.delivery,
                reason: "服务项目不存在".into(),
            });
            continue;
        };
        let (amount_a_unit, unit) = match (&it.own_price, p.price_for(&it.household, it.month)) {
            (Some((fen, unit)), _) => (*fen, unit.as_str()),
            (None, Some(price)) => (price.amount, price.unit.as_str()),
            (None, None) => {
                unpriced.push(Unpriced {
                    delivery: it.delivery,
                    reason: format!("“{}”在{}没有适用于此户籍地的单价", p.name, it.month),
                });
                continue;
            }
        };
        let full = amount_a_unit.fen() * i64::from(it.units);
        let key = (it.person, it.programme);
        let before = paid.get(&key).map_or(0, |f| f.fen());
        let so_far = used.entry(key).or_insert(before);
        let (amount, note) = match p.yearly_cap {
            Some(cap) if *so_far + full > cap.fen() => {
                let left = (cap.fen() - *so_far).max(0);
                (
                    left,
                    format!(
                        "{}×{}{}，超过年度上限{}元，核减{}元",
                        amount_a_unit.yuan(),
                        it.units,
                        unit,
                        cap.yuan(),
                        Fen(full - left).yuan()
                    ),
                )
            }
            _ => (
                full,
                format!("{}元×{}{}", amount_a_unit.yuan(), it.units, unit),
            ),
        };
        *so_far += amount;
        lines.push(Line {
            delivery: it.delivery,
            unit: amount_a_unit,
            amount: Fen(amount),
            capped: Fen(full - amount),
            note,
        });
    }
    (lines, unpriced)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::programme::ProgrammeRow;

    fn programme(cap: &str) -> Programme {
        ProgrammeRow {
            name: "居家托养".into(),
            kind: "托养".into(),
            steps: "上门服务（机构）".into(),
            conditions: String::new(),
            region: "320000000000".into(),
            amount: "50.50".into(),
            unit: "次".into(),
            from: "2025-01".into(),
            to: String::new(),
            yearly_cap: cap.into(),
            second_approval: "是".into(),
        }
        .parse()
        .unwrap()
    }

    fn item(delivery: i64, person: i64, units: u32, month: &str) -> Billable {
        Billable {
            delivery,
            person,
            programme: 0,
            household: "320585100001".into(),
            month: Month::parse(month).unwrap(),
            units,
            own_price: None,
        }
    }

    #[test]
    fn a_case_with_its_own_price_is_paid_that_price_within_the_cap() {
        let p = programme("");
        let mut fitted = item(1, 7, 1, "2025-03");
        fitted.own_price = Some((Fen(150_000), "台".into()));
        let (lines, unpriced) = settle(std::slice::from_ref(&p), &[fitted], &HashMap::new());
        assert!(unpriced.is_empty());
        assert_eq!(
            (lines[0].unit, lines[0].amount),
            (Fen(150_000), Fen(150_000))
        );
        assert!(lines[0].note.contains("1500.00元×1台"), "{}", lines[0].note);
    }

    #[test]
    fn units_at_the_unit_price_to_the_fen_held_to_the_yearly_cap() {
        let p = [programme("200")];
        let mut paid = HashMap::new();
        paid.insert((7, 0), Fen(5050));
        let (lines, unpriced) = settle(
            &p,
            &[
                item(1, 7, 2, "2025-09"),
                item(2, 7, 2, "2025-09"),
                item(3, 8, 3, "2025-09"),
            ],
            &paid,
        );
        assert!(unpriced.is_empty());
        // 50.50 × 2 = 101.00 (50.50 already paid: 151.50 of 200.00).
        assert_eq!((lines[0].amount, lines[0].capped), (Fen(10100), Fen(0)));
        // The next 101.00 would pass the cap: 48.50 paid, 52.50 taken off.
        assert_eq!((lines[1].amount, lines[1].capped), (Fen(4850), Fen(5250)));
        assert!(lines[1].note.contains("核减52.50元"), "{}", lines[1].note);
        // Another person has a cap of their own: 151.50.
        assert_eq!(lines[2].amount, Fen(15150));
    }

    #[test]
    fn a_month_before_the_price_is_not_priced() {
        let p = [programme("")];
        let (lines, unpriced) = settle(&p, &[item(1, 7, 1, "2024-12")], &HashMap::new());
        assert!(lines.is_empty());
        assert!(unpriced[0].reason.contains("没有适用"), "{:?}", unpriced);
    }
}
