//! People's files: reading (scoped lists, search, one file, its history), single changes with
//! history and audit, and bulk import (`import`).
//!
//! Every function takes the caller's [`Scope`]: a file is visible only when its household
//! code lies in the scope's subtree, and changes need a role that may make them. Every change
//! writes one history row per changed field (before, after, who, when, from where) in the same
//! transaction as the change and its audit entry.

mod import;
mod query;

use std::borrow::Cow;

use anju_domain::audit::Outcome;
use anju_domain::certificate::{
    Category, CertState, CertStatus, CertificateNumber, Components, Grade,
};
use anju_domain::id_number::{IdNumber, Sex};
use anju_domain::mask;
use anju_domain::person::{Field, LifeStatus, Person, name_index, parse_date};
use anju_domain::{RegionCode, RegionTable};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

pub(crate) use import::update_one;
pub use import::{Conflict, ImportBatch, ImportCounts, ImportRules, RowOutcome};
pub(crate) use query::INCOMPLETE;
pub use query::{PersonFilter, PersonPage, Sort};

use crate::audit::{NewEntry, append};
use crate::{Result, Scope, Store, StoreError};

pub(crate) const COLUMNS: &str = "id, id_number, legacy_id, name, sex, birth_date, ethnicity, \
    household_code, address, phone, guardian_name, guardian_relation, guardian_phone, \
    bank_account, bank_name, cert_number, category, components, grade, cert_issued, \
    cert_valid_to, cert_state, life_status, life_date, created_at, created_by, updated_at";

/// The columns written from a [`Person`], in bind order.
pub(crate) const WRITE_COLUMNS: [&str; 26] = [
    "id_number",
    "legacy_id",
    "name",
    "name_pinyin",
    "name_initials",
    "sex",
    "birth_date",
    "ethnicity",
    "household_code",
    "address",
    "phone",
    "guardian_name",
    "guardian_relation",
    "guardian_phone",
    "bank_account",
    "bank_name",
    "cert_number",
    "category",
    "components",
    "grade",
    "cert_issued",
    "cert_valid_to",
    "cert_state",
    "life_status",
    "life_date",
    "updated_at",
];

/// A stored file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonRecord {
    pub id: i64,
    #[serde(flatten)]
    pub person: Person,
    pub created_at_ms: i64,
    pub created_by: String,
    pub updated_at_ms: i64,
}

impl PersonRecord {
    /// The certificate's status on `today`, "expiring" within `expiring_days` (the rules').
    pub fn cert_status(&self, today: NaiveDate, expiring_days: u32) -> CertStatus {
        let p = &self.person;
        CertStatus::of_file(
            p.holds_certificate(),
            self.person.cert_state,
            self.person.cert_valid_to,
            today,
            expiring_days,
        )
    }

    /// The audit object for this file: its row id and masked ID number, never the whole.
    pub fn audit_object(&self) -> String {
        format!(
            "person:{}:{}",
            self.id,
            mask::id_number(self.person.id_number.as_str())
        )
    }
}

/// One recorded change of one field.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at_ms: i64,
    pub actor: String,
    pub source: String,
    /// A field key (`Field::key`), or `created` / `legacy_id`.
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

fn bad_row(what: &str) -> StoreError {
    StoreError::Internal(format!("数据库中的档案字段无效：{what}"))
}

fn opt_date(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.filter(|s| !s.is_empty())
        .map(|s| parse_date(&s).ok_or_else(|| bad_row("日期")))
        .transpose()
}

pub(crate) fn record_from_row(row: &AnyRow) -> Result<PersonRecord> {
    let id_number: String = row.try_get("id_number")?;
    let id_number = IdNumber::parse(&id_number).map_err(|_| bad_row("身份证号"))?;
    let cert: Option<String> = row.try_get("cert_number")?;
    let category: Option<i64> = row.try_get("category")?;
    let grade: Option<i64> = row.try_get("grade")?;
    let sex: String = row.try_get("sex")?;
    let birth: String = row.try_get("birth_date")?;
    let household: String = row.try_get("household_code")?;
    let components: String = row.try_get("components")?;
    let cert_state: String = row.try_get("cert_state")?;
    let life: String = row.try_get("life_status")?;
    let person = Person {
        legacy_id: row.try_get("legacy_id")?,
        name: row.try_get("name")?,
        sex: if sex == "m" { Sex::Male } else { Sex::Female },
        birth_date: parse_date(&birth).ok_or_else(|| bad_row("出生日期"))?,
        ethnicity: row.try_get("ethnicity")?,
        household_code: RegionCode::parse(&household)?,
        address: row.try_get("address")?,
        phone: row.try_get("phone")?,
        guardian_name: row.try_get("guardian_name")?,
        guardian_relation: row.try_get("guardian_relation")?,
        guardian_phone: row.try_get("guardian_phone")?,
        bank_account: row.try_get("bank_account")?,
        bank_name: row.try_get("bank_name")?,
        cert_number: cert
            .map(|c| CertificateNumber::parse(&c).map_err(|_| bad_row("残疾人证号")))
            .transpose()?,
        category: category
            .map(|c| {
                u8::try_from(c)
                    .ok()
                    .and_then(Category::new)
                    .ok_or_else(|| bad_row("残疾类别"))
            })
            .transpose()?,
        components: Components::parse(&components).ok_or_else(|| bad_row("多重残疾组成"))?,
        grade: grade
            .map(|g| {
                u8::try_from(g)
                    .ok()
                    .and_then(Grade::new)
                    .ok_or_else(|| bad_row("残疾等级"))
            })
            .transpose()?,
        cert_issued: opt_date(row.try_get("cert_issued")?)?,
        cert_valid_to: opt_date(row.try_get("cert_valid_to")?)?,
        cert_state: CertState::parse(&cert_state).ok_or_else(|| bad_row("证件状态"))?,
        life_status: LifeStatus::ALL
            .into_iter()
            .find(|l| l.as_str() == life)
            .ok_or_else(|| bad_row("生存状态"))?,
        life_date: opt_date(row.try_get("life_date")?)?,
        id_number,
    };
    Ok(PersonRecord {
        id: row.try_get("id")?,
        person,
        created_at_ms: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}

/// A value written to a column of `persons`: borrowed from the person where it can be, since
/// an import writes tens of millions of them.
pub(crate) enum Value<'a> {
    Text(Cow<'a, str>),
    Null,
    Int(i64),
    /// An integer column left empty (a file not yet assessed has no category or grade).
    NullInt,
}

impl Value<'_> {
    pub(crate) fn bind<'q>(self, q: crate::sql::AnyQuery<'q>) -> crate::sql::AnyQuery<'q> {
        match self {
            Value::Text(t) => q.bind(t.into_owned()),
            Value::Null => q.bind(None::<String>),
            Value::Int(i) => q.bind(i),
            Value::NullInt => q.bind(None::<i64>),
        }
    }
}

/// The values written to [`WRITE_COLUMNS`], in order.
pub(crate) fn write_values(p: &Person, now: i64) -> [Value<'_>; 26] {
    use Value::{Int, Null, Text};
    let (pinyin, initials) = name_index(&p.name);
    let text = |t: &'static str| Text(Cow::Borrowed(t));
    fn opt(t: &Option<String>) -> Value<'_> {
        t.as_deref()
            .map_or(Value::Null, |t| Value::Text(Cow::Borrowed(t)))
    }
    let date = |d: Option<NaiveDate>| d.map_or(Null, |d| Text(Cow::Owned(d.to_string())));
    [
        Text(Cow::Borrowed(p.id_number.as_str())),
        opt(&p.legacy_id),
        Text(Cow::Borrowed(&p.name)),
        Text(Cow::Owned(pinyin)),
        Text(Cow::Owned(initials)),
        text(p.sex.code()),
        Text(Cow::Owned(p.birth_date.to_string())),
        opt(&p.ethnicity),
        Text(Cow::Borrowed(p.household_code.as_str())),
        opt(&p.address),
        opt(&p.phone),
        opt(&p.guardian_name),
        opt(&p.guardian_relation),
        opt(&p.guardian_phone),
        opt(&p.bank_account),
        opt(&p.bank_name),
        p.cert_number
            .as_ref()
            .map_or(Null, |c| Text(Cow::Borrowed(c.as_str()))),
        p.category
            .map_or(Value::NullInt, |c| Int(i64::from(c.code()))),
        Text(Cow::Owned(p.components.encode())),
        p.grade.map_or(Value::NullInt, |g| Int(i64::from(g.code()))),
        date(p.cert_issued),
        date(p.cert_valid_to),
        text(p.cert_state.as_str()),
        text(p.life_status.as_str()),
        date(p.life_date),
        Int(now),
    ]
}

/// The fields whose stored text differs, with before and after.
pub(crate) fn changes(before: &Person, after: &Person) -> Vec<(Field, String, String)> {
    Field::ALL
        .into_iter()
        .filter_map(|f| {
            let (a, b) = (before.field_text(f), after.field_text(f));
            (a != b).then_some((f, a, b))
        })
        .collect()
}

/// Where a change came from, recorded in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Web,
    Api,
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Api => "api",
            Source::Import => "import",
        }
    }
}

pub(crate) struct HistoryRow {
    pub person_id: i64,
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Writes history rows in multi-row statements.
pub(crate) async fn write_history(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    scope: &Scope,
    source: &str,
    now: i64,
    rows: &[HistoryRow],
) -> Result<()> {
    for chunk in rows.chunks(1000) {
        let mut sql = String::from(
            "INSERT INTO person_history (person_id, at_ms, actor, source, field, before_value, after_value) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            let b = i * 7;
            let ps: Vec<String> = (1..=7)
                .map(|k| crate::sql::placeholder(backend, b + k))
                .collect();
            sql.push_str(&format!("({})", ps.join(",")));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for h in chunk {
            q = q
                .bind(h.person_id)
                .bind(now)
                .bind(scope.username.clone())
                .bind(source.to_owned())
                .bind(h.field.clone())
                .bind(h.before.clone())
                .bind(h.after.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub struct Persons<'a> {
    store: &'a Store,
}

impl<'a> Persons<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    fn may_read(scope: &Scope) -> Result<()> {
        scope.require(scope.role.reads_persons())
    }

    fn may_write(scope: &Scope, household: &RegionCode) -> Result<()> {
        scope.require(scope.role.writes_persons())?;
        if scope.covers(household) {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }

    pub(crate) async fn find(
        &self,
        conn: &mut sqlx::AnyConnection,
        id: &IdNumber,
    ) -> Result<Option<PersonRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM persons WHERE id_number = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// One file, if it is in the scope (outside it: not found). Not audited here: the caller
    /// records the view with [`Self::record_view`] once it shows the file.
    pub async fn get(&self, scope: &Scope, id: &IdNumber) -> Result<PersonRecord> {
        Self::may_read(scope)?;
        let mut conn = self.store.pool().acquire().await?;
        match self.find(&mut conn, id).await? {
            Some(r) if scope.covers(&r.person.household_code) => Ok(r),
            _ => Err(StoreError::NotFound("档案".into())),
        }
    }

    /// One file by its ID number for a caller that was given the number (the API): like
    /// [`Self::get`], and a miss is audited as an ID search that found nothing.
    pub async fn lookup(&self, scope: &Scope, id: &IdNumber) -> Result<PersonRecord> {
        match self.get(scope, id).await {
            Err(StoreError::NotFound(what)) => {
                self.record_id_search(scope, id.as_str(), false).await?;
                Err(StoreError::NotFound(what))
            }
            r => r,
        }
    }

    /// Records a search by a whole ID number, masked, with whether it found a file.
    pub(crate) async fn record_id_search(&self, scope: &Scope, q: &str, hit: bool) -> Result<()> {
        let outcome = if hit {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        let entry = NewEntry::by(
            scope,
            crate::security::ID_SEARCH,
            format!("id:{}", mask::id_number(&q.to_ascii_uppercase())),
            outcome,
        )
        .detail(if hit { "找到档案" } else { "未找到" });
        self.store.audit().record(entry).await?;
        Ok(())
    }

    /// One file by its row id (the pages' key, which unlike the ID number may appear in an
    /// address bar), if it is in the scope.
    pub async fn get_by_key(&self, scope: &Scope, key: i64) -> Result<PersonRecord> {
        Self::may_read(scope)?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM persons WHERE id = $1"
        )))
        .bind(key)
        .fetch_optional(self.store.pool())
        .await?;
        match row.as_ref().map(record_from_row).transpose()? {
            Some(r) if scope.covers(&r.person.household_code) => Ok(r),
            _ => Err(StoreError::NotFound("档案".into())),
        }
    }

    /// Records that `scope` viewed (`person.view`), revealed (`person.reveal`) or exported
    /// personal data.
    pub async fn record_view(
        &self,
        scope: &Scope,
        action: &str,
        object: String,
        detail: String,
    ) -> Result<()> {
        self.store
            .audit()
            .record(NewEntry::by(scope, action, object, Outcome::Success).detail(detail))
            .await?;
        Ok(())
    }

    /// The history of a file, newest first.
    pub async fn history(&self, scope: &Scope, record: &PersonRecord) -> Result<Vec<HistoryEntry>> {
        Self::may_read(scope)?;
        if !scope.covers(&record.person.household_code) {
            return Err(StoreError::NotFound("档案".into()));
        }
        let rows = sqlx::query(
            "SELECT at_ms, actor, source, field, before_value, after_value FROM person_history \
             WHERE person_id = $1 ORDER BY at_ms DESC, id DESC LIMIT 500",
        )
        .bind(record.id)
        .fetch_all(self.store.pool())
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(HistoryEntry {
                    at_ms: r.try_get("at_ms")?,
                    actor: r.try_get("actor")?,
                    source: r.try_get("source")?,
                    field: r.try_get("field")?,
                    before: r.try_get("before_value")?,
                    after: r.try_get("after_value")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // A file made by an import has no creation row (one per file would double what a
        // million-row import writes): the row itself says when and by whom.
        if !out.iter().any(|h| h.field == "created") {
            out.push(HistoryEntry {
                at_ms: record.created_at_ms,
                actor: record.created_by.clone(),
                source: "import".into(),
                field: "created".into(),
                before: None,
                after: Some(record.person.name.clone()),
            });
        }
        Ok(out)
    }

    /// Creates a file. Its household must be in the scope; the ID number must be new.
    pub async fn create(
        &self,
        scope: &Scope,
        mut person: Person,
        source: Source,
    ) -> Result<PersonRecord> {
        Self::may_write(scope, &person.household_code)?;
        let derived = self
            .store
            .certificates()
            .rules()
            .await?
            .derive_valid_to(&mut person);
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        if let Some(existing) = self.find(&mut tx, &person.id_number).await? {
            drop(tx);
            return Err(self.filed_already(scope, &existing).await);
        }
        self.insert_new(&mut tx, scope, &person, source, derived, now)
            .await?;
        tx.commit().await?;
        self.get(scope, &person.id_number).await
    }

    /// Writes a new file inside the caller's transaction (the ID number is known to be new):
    /// the row, its history (created by hand, the legacy number, an end date the rules
    /// derived) and the audit record. Returns the row id.
    pub(crate) async fn insert_new(
        &self,
        tx: &mut sqlx::AnyConnection,
        scope: &Scope,
        person: &Person,
        source: Source,
        derived: bool,
        now: i64,
    ) -> Result<i64> {
        let backend = self.store.backend();
        let ids = import::insert_many(
            &mut *tx,
            backend,
            std::slice::from_ref(person),
            &[],
            now,
            &scope.username,
        )
        .await?;
        let id = ids
            .first()
            .copied()
            .ok_or_else(|| StoreError::Internal("插入失败".into()))?;
        // A file made by hand says so: a later import does not silently undo what was typed
        // (imports do not write this row; their files' creation is the row itself).
        let mut history = vec![HistoryRow {
            person_id: id,
            field: "created".into(),
            before: None,
            after: Some(person.name.clone()),
        }];
        if let Some(legacy) = &person.legacy_id {
            history.push(HistoryRow {
                person_id: id,
                field: "legacy_id".into(),
                before: Some(legacy.clone()),
                after: Some(person.id_number.to_string()),
            });
        }
        write_history(&mut *tx, backend, scope, source.as_str(), now, &history).await?;
        if derived {
            let row = HistoryRow {
                person_id: id,
                field: Field::CertValidTo.key().into(),
                before: None,
                after: Some(person.field_text(Field::CertValidTo)),
            };
            write_history(&mut *tx, backend, scope, "rule", now, &[row]).await?;
        }
        let object = format!("person:{id}:{}", mask::id_number(person.id_number.as_str()));
        append(
            self.store,
            &mut *tx,
            now,
            NewEntry::by(scope, "person.create", object, Outcome::Success).detail(source.as_str()),
        )
        .await?;
        Ok(id)
    }

    /// Why a new file cannot be made for someone already filed. A file outside the scope is
    /// named by its county only, so that the same person is not filed twice, and the answer
    /// is audited as a lookup: it tells the user where an ID number is filed.
    pub(crate) async fn filed_already(&self, scope: &Scope, existing: &PersonRecord) -> StoreError {
        let masked = mask::id_number(existing.person.id_number.as_str());
        let code = &existing.person.household_code;
        if scope.covers(code) {
            return StoreError::invalid(format!("身份证号 {masked} 已有档案，请打开该档案修改"));
        }
        let place: String = RegionTable::jiangsu()
            .path(code)
            .iter()
            .skip(1)
            .take(2)
            .map(|r| r.name.as_str())
            .collect();
        let entry = NewEntry::by(
            scope,
            "person.lookup",
            format!("person:{}:{masked}", existing.id),
            Outcome::Denied,
        )
        .detail("新建档案时发现此身份证号已在辖区外建档");
        if let Err(e) = self.store.audit().record(entry).await {
            return e;
        }
        StoreError::invalid(format!(
            "身份证号 {masked} 已在{place}建档，不在您的管辖范围内，不能重复建档；\
             如此人已迁入本地，请联系{place}残联办理迁移"
        ))
    }

    /// Replaces a file's values with `person`'s (same ID number), recording each changed field.
    /// Returns the stored file and the fields that changed (none: nothing was written).
    pub async fn update(
        &self,
        scope: &Scope,
        mut person: Person,
        source: Source,
    ) -> Result<(PersonRecord, Vec<Field>)> {
        scope.require(scope.role.writes_persons())?;
        let derived = self
            .store
            .certificates()
            .rules()
            .await?
            .derive_valid_to(&mut person);
        let now = self.store.now_ms();
        let mut tx = self.store.begin_write().await?;
        // A file outside the scope does not exist for this user; moving one out is forbidden.
        let existing = match self.find(&mut tx, &person.id_number).await? {
            Some(r) if scope.covers(&r.person.household_code) => r,
            _ => return Err(StoreError::NotFound("档案".into())),
        };
        Self::may_write(scope, &person.household_code)?;
        let diff = changes(&existing.person, &person);
        if diff.is_empty() {
            return Ok((existing, Vec::new()));
        }
        import::update_one(&mut tx, existing.id, &person, now).await?;
        let (by_rule, history): (Vec<HistoryRow>, Vec<HistoryRow>) = diff
            .iter()
            .map(|(f, b, a)| HistoryRow {
                person_id: existing.id,
                field: f.key().into(),
                before: Some(b.clone()),
                after: Some(a.clone()),
            })
            .partition(|h| derived && h.field == Field::CertValidTo.key());
        let backend = self.store.backend();
        write_history(&mut tx, backend, scope, source.as_str(), now, &history).await?;
        write_history(&mut tx, backend, scope, "rule", now, &by_rule).await?;
        let fields: Vec<Field> = diff.iter().map(|d| d.0).collect();
        if fields
            .iter()
            .any(|f| matches!(f, Field::LifeStatus | Field::LifeDate))
        {
            // A death or move entered on the form turns months already paid after it into
            // recovery records, as the events import does.
            crate::subsidy::open_recoveries(
                &mut tx,
                &crate::subsidy::PersonFacts {
                    id: existing.id,
                    life_status: person.life_status,
                    life_date: person.life_date,
                },
                now,
            )
            .await?;
        }
        let detail = fields.iter().map(|f| f.key()).collect::<Vec<_>>().join(",");
        append(
            self.store,
            &mut tx,
            now,
            NewEntry::by(
                scope,
                "person.update",
                existing.audit_object(),
                Outcome::Success,
            )
            .detail(detail),
        )
        .await?;
        tx.commit().await?;
        let rec = self.get(scope, &person.id_number).await?;
        Ok((rec, fields))
    }
}
