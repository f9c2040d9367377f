//! Lists and searches of files, always inside the scope's subtree.
//!
//! Search reads what a clerk types: an ID number (whole or its first digits), a certificate
//! number, a name or its first characters, or the pinyin of a name, whole or as initials
//! (张三 → zs). Filters: region, category, grade, severe, age band, sex, certificate status,
//! life status; sorted by one column; paged.

use anju_domain::RegionTable;
use anju_domain::certificate::{CertStatus, EXPIRING_DAYS};
use anju_domain::id_number::{IdNumber, Sex};
use anju_domain::person::LifeStatus;
use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

use super::{COLUMNS, PersonRecord, Persons, record_from_row};
use crate::sql::{Arg, Where, search_safe};
use crate::{Result, Scope, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Region,
    IdNumber,
    Name,
    BirthDate,
    ValidTo,
    Updated,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "region" | "" => Sort::Region,
            "id_number" => Sort::IdNumber,
            "name" => Sort::Name,
            "birth_date" => Sort::BirthDate,
            "valid_to" => Sort::ValidTo,
            "updated" => Sort::Updated,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            Sort::Region => "household_code",
            Sort::IdNumber => "id_number",
            Sort::Name => "name_pinyin",
            Sort::BirthDate => "birth_date",
            Sort::ValidTo => "cert_valid_to",
            Sort::Updated => "updated_at",
        }
    }
}

/// A file to complete: 多重 (category 7) without its components (`Person::warnings`' SQL
/// twin; the index `persons_incomplete` holds just these).
pub(crate) const INCOMPLETE: &str = "category = 7 AND components = ''";

#[derive(Debug, Clone)]
pub struct PersonFilter {
    /// A region inside the scope; `None`: the whole scope.
    pub region: Option<String>,
    pub q: Option<String>,
    pub category: Option<u8>,
    pub grade: Option<u8>,
    pub severe: Option<bool>,
    pub age_min: Option<u32>,
    pub age_max: Option<u32>,
    pub sex: Option<Sex>,
    pub cert_status: Option<CertStatus>,
    pub life_status: Option<LifeStatus>,
    /// Files to complete: 多重 recorded without its components.
    pub incomplete: bool,
    pub sort: Sort,
    pub desc: bool,
    pub page: i64,
    pub per_page: i64,
    /// The day statuses and ages are computed for.
    pub today: NaiveDate,
    /// Set by the store from the certificate rules: how far ahead "expiring" looks.
    pub expiring_days: u32,
}

impl PersonFilter {
    pub fn new(today: NaiveDate) -> Self {
        Self {
            expiring_days: EXPIRING_DAYS as u32,
            region: None,
            q: None,
            category: None,
            grade: None,
            severe: None,
            age_min: None,
            age_max: None,
            sex: None,
            cert_status: None,
            life_status: None,
            incomplete: false,
            sort: Sort::default(),
            desc: false,
            page: 1,
            per_page: 50,
            today,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonPage {
    pub rows: Vec<PersonRecord>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// `Person::holds_certificate` in SQL (the list's certificate filters; the persons contract
/// test lists by both and compares).
const HAS_CERTIFICATE: &str =
    "(cert_number IS NOT NULL OR cert_issued IS NOT NULL OR cert_valid_to IS NOT NULL)";

/// A search by a whole or nearly whole ID number (14 characters or more): it can confirm a
/// guessed number, so it is audited and its misses counted.
fn is_id_search(q: &str) -> bool {
    q.len() >= 14
        && q.bytes()
            .all(|b| b.is_ascii_digit() || b == b'X' || b == b'x')
}

fn years_before(d: NaiveDate, years: u32) -> NaiveDate {
    let y = d.year() - years as i32;
    NaiveDate::from_ymd_opt(y, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, 2, 28))
        .unwrap_or(d)
}

impl Persons<'_> {
    fn conditions(&self, scope: &Scope, f: &PersonFilter) -> Result<Where> {
        let backend = self.store.backend();
        let mut w = Where::default();
        let region_prefix = match f.region.as_deref().filter(|r| !r.is_empty()) {
            Some(code) => {
                let r = RegionTable::jiangsu().current(code)?;
                if !scope.covers(&r.code) {
                    return Err(StoreError::Forbidden);
                }
                r.prefix().to_owned()
            }
            None => scope.prefix().to_owned(),
        };
        let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        // Four digits are what a masked list shows of an ID number (its last four): searched
        // as an end as well as a beginning, inside the region, which then leads.
        let last_four = q.is_some_and(|q| {
            q.len() == 4
                && q.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'X' || b == b'x')
        });
        if q.is_some() && !last_four {
            // A search term's index narrows far more than a region's: let it lead.
            w.push_prefix_filter_only(backend, "household_code", &region_prefix);
        } else {
            w.push_prefix(backend, "household_code", &region_prefix);
        }
        if let Some(q) = q {
            let upper = q.to_ascii_uppercase();
            if last_four {
                let begins = w.prefix(backend, "id_number", &upper);
                let ends = w.suffix(backend, "id_number", &upper);
                w.push_plain(format!("({begins} OR {ends})"));
            } else if let Ok(id) = IdNumber::parse(&upper) {
                w.push("id_number = ?", Arg::Text(id.to_string()));
            } else if upper.len() >= 20 && upper.is_ascii() && IdNumber::parse(&upper[..18]).is_ok()
            {
                // The number begins with the holder's ID: the ID index finds it.
                w.push("id_number = ?", Arg::Text(upper[..18].to_owned()));
                w.push("cert_number = ?", Arg::Text(upper));
            } else if upper.bytes().all(|b| b.is_ascii_digit() || b == b'X') {
                w.push_prefix(backend, "id_number", &search_safe(&upper));
            } else if q.is_ascii() {
                let letters = search_safe(&q.to_ascii_lowercase());
                // Initials (zs) or whole pinyin (zhangsan), each by prefix. Initials rarely
                // hold a vowel after the first letter, whole pinyin nearly always does: a
                // query without one is taken as initials alone, which one index answers (an
                // OR of two indexes cannot be answered from the index on PostgreSQL).
                if letters.chars().skip(1).any(|c| "aeiouv".contains(c)) {
                    let i = w.prefix(backend, "name_initials", &letters);
                    let p = w.prefix(backend, "name_pinyin", &letters);
                    w.push_plain(format!("({i} OR {p})"));
                } else {
                    w.push_prefix(backend, "name_initials", &letters);
                }
            } else {
                w.push_prefix(backend, "name", &search_safe(q));
            }
        }
        if let Some(c) = f.category {
            w.push("category = ?", Arg::Int(i64::from(c)));
        }
        if let Some(g) = f.grade {
            w.push("grade = ?", Arg::Int(i64::from(g)));
        }
        match f.severe {
            Some(true) => w.push_plain("grade <= 2"),
            Some(false) => w.push_plain("grade > 2"),
            None => {}
        }
        if let Some(min) = f.age_min {
            w.push(
                "birth_date <= ?",
                Arg::Text(years_before(f.today, min).to_string()),
            );
        }
        if let Some(max) = f.age_max {
            w.push(
                "birth_date > ?",
                Arg::Text(years_before(f.today, max + 1).to_string()),
            );
        }
        if let Some(s) = f.sex {
            w.push("sex = ?", Arg::Text(s.code().into()));
        }
        if f.incomplete {
            w.push_plain(INCOMPLETE);
        }
        if let Some(l) = f.life_status {
            w.push("life_status = ?", Arg::Text(l.as_str().into()));
        }
        if let Some(s) = f.cert_status {
            let today = f.today.to_string();
            let soon = (f.today + Days::new(u64::from(f.expiring_days))).to_string();
            match s {
                CertStatus::Frozen => w.push_plain("cert_state = 'frozen'"),
                CertStatus::Cancelled => w.push_plain("cert_state = 'cancelled'"),
                CertStatus::None => w.push_plain(format!("NOT {HAS_CERTIFICATE}")),
                CertStatus::Expired => {
                    w.push_plain(HAS_CERTIFICATE);
                    w.push_plain("cert_state = 'active'");
                    w.push("cert_valid_to < ?", Arg::Text(today));
                }
                CertStatus::Expiring => {
                    w.push_plain(HAS_CERTIFICATE);
                    w.push_plain("cert_state = 'active'");
                    w.push("cert_valid_to >= ?", Arg::Text(today));
                    w.push("cert_valid_to <= ?", Arg::Text(soon));
                }
                CertStatus::Valid => {
                    w.push_plain(HAS_CERTIFICATE);
                    w.push_plain("cert_state = 'active'");
                    w.push(
                        "(cert_valid_to IS NULL OR cert_valid_to > ?)",
                        Arg::Text(soon),
                    );
                }
            }
        }
        Ok(w)
    }

    /// A page of the files matching `f` inside the scope.
    pub async fn list(&self, scope: &Scope, f: &PersonFilter) -> Result<PersonPage> {
        Self::may_read(scope)?;
        let mut f = f.clone();
        f.expiring_days = self.store.certificates().rules().await?.expiring_days;
        let f = &f;
        let w = self.conditions(scope, f)?;
        let per_page = f.per_page.clamp(1, 200);
        let mut count = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM persons WHERE {}",
            w.sql()
        )));
        for a in &w.args {
            count = a.bind_scalar(count);
        }
        let total: i64 = count.fetch_one(self.store.pool()).await?;
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| is_id_search(q)) {
            self.record_id_search(scope, q, total > 0).await?;
        }
        let (page, offset) = crate::sql::clamp_page(f.page, per_page, total);
        let dir = if f.desc { "DESC" } else { "ASC" };
        // The page's ids first (from an index alone when the conditions and the order allow),
        // then their rows: a search matching thousands reads a page of rows, not thousands.
        let sort = f.sort.column();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM persons WHERE id IN (SELECT id FROM persons WHERE {} \
             ORDER BY {sort} {dir}, id {dir} LIMIT {per_page} OFFSET {offset}) ORDER BY {sort} {dir}, id {dir}",
            w.sql(),
        )));
        for a in &w.args {
            q = a.bind(q);
        }
        let rows = q.fetch_all(self.store.pool()).await?;
        Ok(PersonPage {
            rows: rows.iter().map(record_from_row).collect::<Result<_>>()?,
            total,
            page,
            per_page,
        })
    }

    /// Every file matching `f` (paging ignored), in batches by row id, for exports. Returns
    /// how many were passed to `each`.
    pub async fn for_each(
        &self,
        scope: &Scope,
        f: &PersonFilter,
        mut each: impl FnMut(&PersonRecord) -> Result<()>,
    ) -> Result<u64> {
        Self::may_read(scope)?;
        let mut f = f.clone();
        f.expiring_days = self.store.certificates().rules().await?.expiring_days;
        let f = &f;
        let w = self.conditions(scope, f)?;
        let mut after = 0i64;
        let mut n = 0u64;
        loop {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM persons WHERE {} AND id > ${} ORDER BY id LIMIT 2000",
                w.sql(),
                w.args.len() + 1
            )));
            for a in &w.args {
                q = a.bind(q);
            }
            let rows = q.bind(after).fetch_all(self.store.pool()).await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let r = record_from_row(row)?;
                after = r.id;
                each(&r)?;
                n += 1;
            }
        }
        Ok(n)
    }
}

impl Persons<'_> {
    /// `n` ID numbers of files in the scope, spread over the table (for benchmarks).
    pub async fn sample_ids(&self, scope: &Scope, n: i64) -> Result<Vec<IdNumber>> {
        Self::may_read(scope)?;
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM persons")
            .fetch_one(self.store.pool())
            .await?;
        let max = max.unwrap_or(0);
        let mut out = Vec::new();
        if max == 0 {
            return Ok(out);
        }
        let step = (max / n.max(1)).max(1);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM persons WHERE id % {step} = 0 ORDER BY id LIMIT {n}"
        )))
        .fetch_all(self.store.pool())
        .await?;
        for r in &rows {
            let rec = record_from_row(r)?;
            if scope.covers(&rec.person.household_code) {
                out.push(rec.person.id_number);
            }
        }
        Ok(out)
    }
}
