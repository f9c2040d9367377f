//! A person's file as pages and the API show it: Chinese labels, and ID, phone, certificate
//! and bank account numbers masked unless the viewer may see them and asked to (an audited
//! reveal). A masked view shows the age, not the birth date: a masked ID (3205**********2351)
//! beside the birth date and the household code leaves only a handful of candidates.

use anju_domain::RegionTable;
use anju_domain::id_number::age_on;
use anju_domain::mask;
use anju_domain::person::LifeStatus;
use anju_store::PersonRecord;
use chrono::NaiveDate;
use serde::Serialize;

/// What a file shows for its category and grade before the first assessment.
const NOT_ASSESSED: &str = "未评定";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub id_number: String,
    /// The file's row id, the pages' key: links carry it, never the ID number.
    #[serde(skip)]
    pub key: i64,
    pub name: String,
    pub sex: &'static str,
    /// Only in a whole (revealed) view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    pub age: i32,
    pub ethnicity: String,
    pub household_code: String,
    pub household: String,
    pub address: String,
    pub phone: String,
    pub guardian_name: String,
    pub guardian_relation: String,
    pub guardian_phone: String,
    pub bank_account: String,
    pub bank_name: String,
    pub cert_number: String,
    pub category: String,
    pub components: String,
    pub grade: &'static str,
    pub severe: bool,
    pub cert_issued: String,
    pub cert_valid_to: String,
    pub cert_status: &'static str,
    pub life_status: &'static str,
    pub life_date: String,
    pub masked: bool,
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// "江苏省 › 南京市 › 玄武区 › …" without the province.
pub fn region_path(code: &anju_domain::RegionCode) -> String {
    let t = RegionTable::jiangsu();
    let path = t.path(code);
    if path.is_empty() {
        return format!("{code}（已撤销的区划）");
    }
    path.iter()
        .skip(1)
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(" › ")
}

impl PersonView {
    /// `expiring_days`: the certificate rules' window for "expiring".
    pub fn new(r: &PersonRecord, whole: bool, today: NaiveDate, expiring_days: u32) -> Self {
        let p = &r.person;
        let m = |v: String, f: fn(&str) -> String| if whole || v.is_empty() { v } else { f(&v) };
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        PersonView {
            id_number: m(p.id_number.to_string(), mask::id_number),
            key: r.id,
            name: p.name.clone(),
            sex: p.sex.label(),
            birth_date: whole.then(|| p.birth_date.to_string()),
            age: age_on(p.birth_date, today),
            ethnicity: opt(&p.ethnicity),
            household_code: p.household_code.to_string(),
            household: region_path(&p.household_code),
            address: opt(&p.address),
            phone: m(opt(&p.phone), mask::phone),
            guardian_name: opt(&p.guardian_name),
            guardian_relation: opt(&p.guardian_relation),
            guardian_phone: m(opt(&p.guardian_phone), mask::phone),
            bank_account: m(opt(&p.bank_account), mask::bank_account),
            bank_name: opt(&p.bank_name),
            cert_number: m(
                p.cert_number
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                mask::certificate,
            ),
            category: p
                .category
                .map_or_else(|| NOT_ASSESSED.to_owned(), |c| c.label()),
            components: p.components.label(),
            grade: p.grade.map_or(NOT_ASSESSED, |g| g.name()),
            severe: p.is_severe(),
            cert_issued: date(p.cert_issued),
            cert_valid_to: date(p.cert_valid_to),
            cert_status: r.cert_status(today, expiring_days).label(),
            life_status: p.life_status.label(),
            life_date: if p.life_status == LifeStatus::Living {
                String::new()
            } else {
                date(p.life_date)
            },
            masked: !whole,
        }
    }
}
