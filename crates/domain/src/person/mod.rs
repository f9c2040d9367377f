//! The person's file (一人一档): the fields, their rules, and the one validation every entry
//! path uses (import, forms, API), so that a row is accepted or refused the same way
//! everywhere (reference §2, §3).
//!
//! Input arrives as text per field (what a sheet cell or form field holds); [`validate`]
//! returns a [`Person`] or every fault with its field, a stable code and a Chinese message.

use chrono::NaiveDate;
use serde::Serialize;

use crate::certificate::{
    Category, CertState, CertificateNumber, Components, Grade, check_components,
};
use crate::id_number::{IdNumber, Sex};
use crate::region::{Level, RegionCode, RegionTable};

mod values;
pub use values::{
    name_index, parse_bank_account, parse_date, parse_ethnicity, parse_name, parse_phone,
};

/// The fields of a person's file, in the order of the canonical sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    IdNumber,
    Name,
    Sex,
    BirthDate,
    Ethnicity,
    HouseholdCode,
    Address,
    Phone,
    GuardianName,
    GuardianRelation,
    GuardianPhone,
    BankAccount,
    BankName,
    CertNumber,
    Category,
    Components,
    Grade,
    CertIssued,
    CertValidTo,
    CertState,
    LifeStatus,
    LifeDate,
}

impl Field {
    pub const ALL: [Field; 22] = [
        Field::IdNumber,
        Field::Name,
        Field::Sex,
        Field::BirthDate,
        Field::Ethnicity,
        Field::HouseholdCode,
        Field::Address,
        Field::Phone,
        Field::GuardianName,
        Field::GuardianRelation,
        Field::GuardianPhone,
        Field::BankAccount,
        Field::BankName,
        Field::CertNumber,
        Field::Category,
        Field::Components,
        Field::Grade,
        Field::CertIssued,
        Field::CertValidTo,
        Field::CertState,
        Field::LifeStatus,
        Field::LifeDate,
    ];

    /// Fields every file has, whatever its stage (a form cannot be saved without them).
    pub const ALWAYS: [Field; 3] = [Field::IdNumber, Field::Name, Field::HouseholdCode];

    /// Fields a sheet must have for an import to start (a registry sheet carries the
    /// disability columns; a row may leave them empty for a file not yet assessed).
    pub const REQUIRED: [Field; 5] = [
        Field::IdNumber,
        Field::Name,
        Field::Category,
        Field::Grade,
        Field::HouseholdCode,
    ];

    /// What the column takes, in words (the import template's 填写说明).
    pub fn allowed(self) -> &'static str {
        match self {
            Field::IdNumber => "18位公民身份号码（15位旧号码自动转为18位）",
            Field::Name => "姓名，只含文字和间隔号“·”，不超过50个字",
            Field::Sex => "男、女；可不填（由身份证号得出，填写时须一致）",
            Field::BirthDate => "日期，如1960-05-01；可不填（由身份证号得出，填写时须一致）",
            Field::Ethnicity => "56个民族的名称，如汉族、回族",
            Field::HouseholdCode => "户籍所在村（社区）或镇（街道）的12位区划代码",
            Field::Address => "文字，不超过200个字",
            Field::Phone | Field::GuardianPhone => "11位手机号，或带区号的固定电话",
            Field::GuardianName => "姓名",
            Field::GuardianRelation => "如父亲、母亲、配偶、子女",
            Field::BankAccount => "12至30位数字",
            Field::BankName => "银行名称，如中国工商银行",
            Field::CertNumber => "20位残疾人证号：身份证号加类别代码和等级代码",
            Field::Category => {
                "视力、听力、言语、肢体、智力、精神、多重（或代码1-7）；尚未评定的不填，持证的必填"
            }
            Field::Components => {
                "多重残疾时填写各类残疾及等级，如“肢体二级、智力三级”；其他类别不填"
            }
            Field::Grade => "一级、二级、三级、四级（或代码1-4）；与残疾类别同时填写",
            Field::CertIssued => "日期，如2023-04-01",
            Field::CertValidTo => "日期，如2033-03-31；不填时按有效期规则由发证日期推算",
            Field::CertState => "空（正常）、冻结、注销",
            Field::LifeStatus => "在世、死亡、迁出；不填为在世",
            Field::LifeDate => "死亡或迁出的日期，如2024-01-15",
        }
    }

    /// An example value for the import template (a fictitious person).
    pub fn example(self) -> &'static str {
        match self {
            Field::IdNumber => "320102194901010013",
            Field::Name => "张三",
            Field::Sex => "男",
            Field::BirthDate => "1949-01-01",
            Field::Ethnicity => "汉族",
            Field::HouseholdCode => "320102002001",
            Field::Address => "梅园新村街道某小区1幢101室",
            Field::Phone => "13800000000",
            Field::GuardianName => "张小三",
            Field::GuardianRelation => "子女",
            Field::GuardianPhone => "13900000000",
            Field::BankAccount => "6222020200112233445",
            Field::BankName => "中国工商银行",
            Field::CertNumber => "32010219490101001341",
            Field::Category => "肢体",
            Field::Components => "",
            Field::Grade => "一级",
            Field::CertIssued => "2023-04-01",
            Field::CertValidTo => "2033-03-31",
            Field::CertState => "",
            Field::LifeStatus => "在世",
            Field::LifeDate => "",
        }
    }

    /// The canonical Chinese column header (the export writes it, the import reads it).
    pub fn header(self) -> &'static str {
        match self {
            Field::IdNumber => "身份证号",
            Field::Name => "姓名",
            Field::Sex => "性别",
            Field::BirthDate => "出生日期",
            Field::Ethnicity => "民族",
            Field::HouseholdCode => "户籍地区划代码",
            Field::Address => "居住地址",
            Field::Phone => "联系电话",
            Field::GuardianName => "监护人姓名",
            Field::GuardianRelation => "监护人关系",
            Field::GuardianPhone => "监护人电话",
            Field::BankAccount => "银行账号",
            Field::BankName => "开户银行",
            Field::CertNumber => "残疾人证号",
            Field::Category => "残疾类别",
            Field::Components => "多重残疾组成",
            Field::Grade => "残疾等级",
            Field::CertIssued => "发证日期",
            Field::CertValidTo => "证件有效期至",
            Field::CertState => "证件状态",
            Field::LifeStatus => "生存状态",
            Field::LifeDate => "状态变更日期",
        }
    }

    /// The name in code, for the database and the API.
    pub fn key(self) -> &'static str {
        match self {
            Field::IdNumber => "id_number",
            Field::Name => "name",
            Field::Sex => "sex",
            Field::BirthDate => "birth_date",
            Field::Ethnicity => "ethnicity",
            Field::HouseholdCode => "household_code",
            Field::Address => "address",
            Field::Phone => "phone",
            Field::GuardianName => "guardian_name",
            Field::GuardianRelation => "guardian_relation",
            Field::GuardianPhone => "guardian_phone",
            Field::BankAccount => "bank_account",
            Field::BankName => "bank_name",
            Field::CertNumber => "cert_number",
            Field::Category => "category",
            Field::Components => "components",
            Field::Grade => "grade",
            Field::CertIssued => "cert_issued",
            Field::CertValidTo => "cert_valid_to",
            Field::CertState => "cert_state",
            Field::LifeStatus => "life_status",
            Field::LifeDate => "life_date",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    /// Whether the field holds a number shown masked to roles that may not see it whole.
    pub fn is_identifier(self) -> bool {
        matches!(
            self,
            Field::IdNumber
                | Field::CertNumber
                | Field::Phone
                | Field::GuardianPhone
                | Field::BankAccount
        )
    }

    /// The value as a role that may not see it whole sees it.
    pub fn masked(self, v: &str) -> String {
        if v.is_empty() {
            return String::new();
        }
        match self {
            Field::IdNumber => crate::mask::id_number(v),
            Field::CertNumber => crate::mask::certificate(v),
            Field::Phone | Field::GuardianPhone => crate::mask::phone(v),
            Field::BankAccount => crate::mask::bank_account(v),
            _ => v.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LifeStatus {
    Living,
    Deceased,
    MovedOut,
}

impl LifeStatus {
    pub const ALL: [LifeStatus; 3] = [
        LifeStatus::Living,
        LifeStatus::Deceased,
        LifeStatus::MovedOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LifeStatus::Living => "living",
            LifeStatus::Deceased => "deceased",
            LifeStatus::MovedOut => "moved_out",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LifeStatus::Living => "在世",
            LifeStatus::Deceased => "死亡",
            LifeStatus::MovedOut => "迁出",
        }
    }

    pub fn parse(s: &str) -> Option<LifeStatus> {
        match s.trim() {
            "" | "在世" | "正常" | "健在" | "living" => Some(LifeStatus::Living),
            "死亡" | "已故" | "去世" | "deceased" => Some(LifeStatus::Deceased),
            "迁出" | "已迁出" | "户籍迁出" | "moved_out" => Some(LifeStatus::MovedOut),
            _ => None,
        }
    }
}

/// One fault in an input, with its field, a stable code and a Chinese message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: Field,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: Field, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }
}

/// Text per field, as typed or read from a cell. Absent and empty mean the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonInput {
    values: [Option<String>; 22],
}

impl PersonInput {
    pub fn set(&mut self, f: Field, v: impl AsRef<str>) {
        let v = v.as_ref().trim();
        self.values[f as usize] = (!v.is_empty()).then(|| v.to_owned());
    }

    pub fn get(&self, f: Field) -> &str {
        self.values[f as usize].as_deref().unwrap_or("")
    }

    pub fn has(&self, f: Field) -> bool {
        self.values[f as usize].is_some()
    }
}

/// How a change to a file was made (the history's `source`), in words.
pub fn source_label(source: &str) -> &'static str {
    match source {
        "import" => "导入",
        "api" => "接口",
        "certificate" => "办证业务",
        "sweep" => "证件到期处理",
        "rule" => "按有效期规则推算",
        _ => "页面",
    }
}

/// The warning code of a 多重 file without its components.
pub const COMPONENTS_MISSING: &str = "components_missing";

/// A validated person's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id_number: IdNumber,
    /// The 15-digit number the record arrived with, if any.
    pub legacy_id: Option<String>,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub ethnicity: Option<String>,
    pub household_code: RegionCode,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub guardian_name: Option<String>,
    pub guardian_relation: Option<String>,
    pub guardian_phone: Option<String>,
    pub bank_account: Option<String>,
    pub bank_name: Option<String>,
    pub cert_number: Option<CertificateNumber>,
    /// The disability, once assessed: a file opened with a first application (新办), or for a
    /// child served on a diagnosis, has none yet (未评定). Category and grade come together.
    pub category: Option<Category>,
    pub components: Components,
    pub grade: Option<Grade>,
    pub cert_issued: Option<NaiveDate>,
    pub cert_valid_to: Option<NaiveDate>,
    pub cert_state: CertState,
    pub life_status: LifeStatus,
    pub life_date: Option<NaiveDate>,
}

impl Person {
    /// Each field's stored text, in [`Field::ALL`] order: what history compares and the
    /// export writes (dates as YYYY-MM-DD, codes as the sheet shows them).
    pub fn field_text(&self, f: Field) -> String {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let date = |d: &Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        match f {
            Field::IdNumber => self.id_number.to_string(),
            Field::Name => self.name.clone(),
            Field::Sex => self.sex.label().to_owned(),
            Field::BirthDate => self.birth_date.to_string(),
            Field::Ethnicity => opt(&self.ethnicity),
            Field::HouseholdCode => self.household_code.to_string(),
            Field::Address => opt(&self.address),
            Field::Phone => opt(&self.phone),
            Field::GuardianName => opt(&self.guardian_name),
            Field::GuardianRelation => opt(&self.guardian_relation),
            Field::GuardianPhone => opt(&self.guardian_phone),
            Field::BankAccount => opt(&self.bank_account),
            Field::BankName => opt(&self.bank_name),
            Field::CertNumber => self
                .cert_number
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            Field::Category => self
                .category
                .map(|c| c.name().to_owned())
                .unwrap_or_default(),
            Field::Components => self.components.label(),
            Field::Grade => self.grade.map(|g| g.name().to_owned()).unwrap_or_default(),
            Field::CertIssued => date(&self.cert_issued),
            Field::CertValidTo => date(&self.cert_valid_to),
            Field::CertState => match self.cert_state {
                CertState::Active => String::new(),
                CertState::Frozen => "冻结".into(),
                CertState::Cancelled => "注销".into(),
            },
            Field::LifeStatus => self.life_status.label().to_owned(),
            Field::LifeDate => date(&self.life_date),
        }
    }

    /// Takes field `f`'s value from `other`, leaving every other field as it is. The
    /// disability (category, components, grade) goes as one: its parts only make sense
    /// together. The ID number is the file's key and never moves.
    pub fn take_field(&mut self, other: &Person, f: Field) {
        match f {
            Field::IdNumber => {}
            Field::Name => self.name.clone_from(&other.name),
            Field::Sex => self.sex = other.sex,
            Field::BirthDate => self.birth_date = other.birth_date,
            Field::Ethnicity => self.ethnicity.clone_from(&other.ethnicity),
            Field::HouseholdCode => self.household_code.clone_from(&other.household_code),
            Field::Address => self.address.clone_from(&other.address),
            Field::Phone => self.phone.clone_from(&other.phone),
            Field::GuardianName => self.guardian_name.clone_from(&other.guardian_name),
            Field::GuardianRelation => self.guardian_relation.clone_from(&other.guardian_relation),
            Field::GuardianPhone => self.guardian_phone.clone_from(&other.guardian_phone),
            Field::BankAccount => self.bank_account.clone_from(&other.bank_account),
            Field::BankName => self.bank_name.clone_from(&other.bank_name),
            Field::CertNumber => self.cert_number.clone_from(&other.cert_number),
            Field::Category | Field::Components | Field::Grade => {
                self.category = other.category;
                self.components.clone_from(&other.components);
                self.grade = other.grade;
            }
            Field::CertIssued => self.cert_issued = other.cert_issued,
            Field::CertValidTo => self.cert_valid_to = other.cert_valid_to,
            Field::CertState => self.cert_state = other.cert_state,
            Field::LifeStatus => self.life_status = other.life_status,
            Field::LifeDate => self.life_date = other.life_date,
        }
    }

    /// What is accepted but should be completed: each a field with a stable code and a
    /// Chinese reason (an import reports them as warnings; the worklist counts them).
    pub fn warnings(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        if self.category == Some(Category::MULTIPLE) && self.components.is_empty() {
            out.push(FieldError::new(
                Field::Components,
                COMPONENTS_MISSING,
                "残疾类别为多重，但未填写多重残疾组成（各类残疾及等级，如“肢体二级、智力三级”）：\
                 已接收，请补录",
            ));
        }
        out
    }

    /// Whether the file holds a certificate: its number, its issue date or its end date
    /// (sheets often carry the dates without the number).
    pub fn holds_certificate(&self) -> bool {
        self.cert_number.is_some() || self.cert_issued.is_some() || self.cert_valid_to.is_some()
    }

    pub fn is_severe(&self) -> bool {
        self.grade.is_some_and(Grade::is_severe)
    }

    /// The category and grade, when the disability has been assessed.
    pub fn disability(&self) -> Option<(Category, Grade)> {
        self.category.zip(self.grade)
    }
}

/// A value as a message quotes it: at most 30 characters.
fn shown(v: &str) -> String {
    let mut out: String = v.chars().take(30).collect();
    if v.chars().count() > 30 {
        out.push('…');
    }
    out
}

fn opt_text(
    input: &PersonInput,
    f: Field,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let v = input.get(f);
    if v.is_empty() {
        return None;
    }
    if v.chars().count() > max {
        errors.push(FieldError::new(
            f,
            "too_long",
            format!(
                "{}不能超过{max}个字（此处{}个字）",
                f.header(),
                v.chars().count()
            ),
        ));
        return None;
    }
    Some(v.to_owned())
}

/// Validates one input against the rules of the file. `regions` is the current table.
pub fn validate(input: &PersonInput, regions: &RegionTable) -> Result<Person, Vec<FieldError>> {
    let mut errors = Vec::new();
    let required = |f: Field, errors: &mut Vec<FieldError>| {
        if !input.has(f) {
            errors.push(FieldError::new(
                f,
                "required",
                format!("{}不能为空", f.header()),
            ));
            false
        } else {
            true
        }
    };

    let id = if required(Field::IdNumber, &mut errors) {
        match IdNumber::parse_with_legacy(input.get(Field::IdNumber)) {
            Ok(v) => Some(v),
            Err(e) => {
                // The reason quotes the number as it came, so the clerk finds the cell.
                errors.push(FieldError::new(
                    Field::IdNumber,
                    e.code(),
                    format!("{e}（“{}”）", shown(input.get(Field::IdNumber))),
                ));
                None
            }
        }
    } else {
        None
    };

    let name = if required(Field::Name, &mut errors) {
        let n = parse_name(input.get(Field::Name));
        if n.is_none() {
            errors.push(FieldError::new(
                Field::Name,
                "name_invalid",
                format!(
                    "姓名“{}”无效：只能包含文字、间隔号“·”，不超过50个字",
                    shown(input.get(Field::Name))
                ),
            ));
        }
        n
    } else {
        None
    };

    if let Some((id, _)) = &id {
        if input.has(Field::Sex) {
            match Sex::parse(input.get(Field::Sex)) {
                Some(s) if s != id.sex() => errors.push(FieldError::new(
                    Field::Sex,
                    "sex_mismatch",
                    format!("性别与身份证号不符（身份证号显示为{}）", id.sex().label()),
                )),
                Some(_) => {}
                None => errors.push(FieldError::new(
                    Field::Sex,
                    "sex_invalid",
                    format!("性别“{}”无效，应为“男”或“女”", shown(input.get(Field::Sex))),
                )),
            }
        }
        if input.has(Field::BirthDate) {
            match parse_date(input.get(Field::BirthDate)) {
                Some(d) if d != id.birth_date() => errors.push(FieldError::new(
                    Field::BirthDate,
                    "birth_mismatch",
                    format!(
                        "出生日期与身份证号不符（身份证号显示为{}）",
                        id.birth_date()
                    ),
                )),
                Some(_) => {}
                None => errors.push(FieldError::new(
                    Field::BirthDate,
                    "date_invalid",
                    format!(
                        "出生日期“{}”不是有效的日期，应如1960-05-01",
                        shown(input.get(Field::BirthDate))
                    ),
                )),
            }
        }
    }

    let ethnicity = match input.get(Field::Ethnicity) {
        "" => None,
        s => {
            let e = parse_ethnicity(s);
            if e.is_none() {
                errors.push(FieldError::new(
                    Field::Ethnicity,
                    "ethnicity_invalid",
                    format!("民族“{s}”不在56个民族名称之中"),
                ));
            }
            e
        }
    };

    let household = if required(Field::HouseholdCode, &mut errors) {
        match regions.current(input.get(Field::HouseholdCode)) {
            Ok(r) if matches!(r.level, Level::Village | Level::Town) => Some(r.code.clone()),
            Ok(r) => {
                errors.push(FieldError::new(
                    Field::HouseholdCode,
                    "region_level",
                    format!(
                        "户籍地应为村（社区）或镇（街道）区划代码，{}是{}级",
                        r.name,
                        r.level.label()
                    ),
                ));
                None
            }
            Err(e) => {
                let code = match e {
                    crate::RegionError::Malformed(_) => "region_malformed",
                    _ => "region_unknown",
                };
                errors.push(FieldError::new(Field::HouseholdCode, code, e.to_string()));
                None
            }
        }
    } else {
        None
    };

    let address = opt_text(input, Field::Address, 200, &mut errors);
    let phone_of = |f: Field, errors: &mut Vec<FieldError>| match input.get(f) {
        "" => None,
        s => {
            let p = parse_phone(s);
            if p.is_none() {
                errors.push(FieldError::new(
                    f,
                    "phone_invalid",
                    format!(
                        "{}“{}”无效，应为11位手机号或带区号的固定电话",
                        f.header(),
                        shown(s)
                    ),
                ));
            }
            p
        }
    };
    let phone = phone_of(Field::Phone, &mut errors);
    let guardian_phone = phone_of(Field::GuardianPhone, &mut errors);
    let guardian_name = match input.get(Field::GuardianName) {
        "" => None,
        s => {
            let n = parse_name(s);
            if n.is_none() {
                errors.push(FieldError::new(
                    Field::GuardianName,
                    "name_invalid",
                    "监护人姓名无效",
                ));
            }
            n
        }
    };
    let guardian_relation = opt_text(input, Field::GuardianRelation, 20, &mut errors);
    let bank_account = match input.get(Field::BankAccount) {
        "" => None,
        s => {
            let b = parse_bank_account(s);
            if b.is_none() {
                errors.push(FieldError::new(
                    Field::BankAccount,
                    "bank_invalid",
                    format!(
                        "银行账号“{}”无效，应为12到30位数字",
                        shown(input.get(Field::BankAccount))
                    ),
                ));
            }
            b
        }
    };
    let bank_name = opt_text(input, Field::BankName, 60, &mut errors);

    let category = if input.has(Field::Category) {
        let c = Category::parse(input.get(Field::Category));
        if c.is_none() {
            errors.push(FieldError::new(
                Field::Category,
                "category_invalid",
                format!(
                    "残疾类别“{}”无效，应为视力、听力、言语、肢体、智力、精神、多重或代码1-7",
                    shown(input.get(Field::Category))
                ),
            ));
        }
        c
    } else {
        None
    };
    let grade = if input.has(Field::Grade) {
        let g = Grade::parse(input.get(Field::Grade));
        if g.is_none() {
            errors.push(FieldError::new(
                Field::Grade,
                "grade_invalid",
                format!(
                    "残疾等级“{}”不是一级至四级（或代码1-4）",
                    shown(input.get(Field::Grade))
                ),
            ));
        }
        g
    } else {
        None
    };
    let components = match Components::parse(input.get(Field::Components)) {
        Some(c) => c,
        None => {
            errors.push(FieldError::new(
                Field::Components,
                "components_invalid",
                format!(
                    "多重残疾组成“{}”无法识别，应写作“肢体二级、智力三级”",
                    shown(input.get(Field::Components))
                ),
            ));
            Components::default()
        }
    };
    // 多重 recorded without its components is accepted (many sheets have no such column):
    // the file carries a warning instead (see `Person::warnings`). Components that are given
    // must agree with the category and the grade.
    let unlisted = category == Some(Category::MULTIPLE) && components.is_empty();
    if let (Some(c), Some(g)) = (category, grade)
        && !unlisted
        && let Err(e) = check_components(c, g, &components)
    {
        errors.push(FieldError::new(Field::Components, e.code(), e.to_string()));
    }

    let cert_number = match input.get(Field::CertNumber) {
        "" => None,
        s => match CertificateNumber::parse(s) {
            Ok(n) => {
                if let (Some((id, _)), Some(c), Some(g)) = (&id, category, grade)
                    && let Err(e) = n.check(id, c, g)
                {
                    errors.push(FieldError::new(Field::CertNumber, e.code(), e.to_string()));
                }
                Some(n)
            }
            Err(e) => {
                errors.push(FieldError::new(Field::CertNumber, e.code(), e.to_string()));
                None
            }
        },
    };
    let date_of = |f: Field, errors: &mut Vec<FieldError>| match input.get(f) {
        "" => None,
        s => {
            let d = parse_date(s);
            if d.is_none() {
                errors.push(FieldError::new(
                    f,
                    "date_invalid",
                    format!(
                        "{}“{}”不是有效的日期，应如2023-04-01",
                        f.header(),
                        shown(input.get(f))
                    ),
                ));
            }
            d
        }
    };
    let cert_issued = date_of(Field::CertIssued, &mut errors);
    let cert_valid_to = date_of(Field::CertValidTo, &mut errors);
    // Before any assessment a file has neither category nor grade (未评定); a certificate, or
    // either of the two, needs both.
    let certified = input.has(Field::CertNumber)
        || input.has(Field::CertIssued)
        || input.has(Field::CertValidTo);
    if certified || input.has(Field::Category) || input.has(Field::Grade) {
        for f in [Field::Category, Field::Grade] {
            if !input.has(f) {
                let why = if certified {
                    "持证人员"
                } else {
                    "填写了残疾类别或等级时"
                };
                errors.push(FieldError::new(
                    f,
                    "required",
                    format!(
                        "{}不能为空（{why}须同时填写残疾类别和残疾等级）",
                        f.header()
                    ),
                ));
            }
        }
    }
    if let (Some(a), Some(b)) = (cert_issued, cert_valid_to)
        && b < a
    {
        errors.push(FieldError::new(
            Field::CertValidTo,
            "cert_dates",
            "证件有效期至不能早于发证日期",
        ));
    }
    let cert_state = match input.get(Field::CertState).trim() {
        "" | "正常" | "有效" | "即将到期" | "已过期" | "过期" => CertState::Active,
        "冻结" | "已冻结" => CertState::Frozen,
        "注销" | "已注销" => CertState::Cancelled,
        s => {
            errors.push(FieldError::new(
                Field::CertState,
                "cert_state_invalid",
                format!("证件状态“{s}”无效，应为空、冻结或注销"),
            ));
            CertState::Active
        }
    };
    let life_status = match LifeStatus::parse(input.get(Field::LifeStatus)) {
        Some(s) => s,
        None => {
            errors.push(FieldError::new(
                Field::LifeStatus,
                "life_status_invalid",
                format!(
                    "生存状态“{}”无效，应为在世、死亡或迁出",
                    shown(input.get(Field::LifeStatus))
                ),
            ));
            LifeStatus::Living
        }
    };
    let life_date = date_of(Field::LifeDate, &mut errors);
    if life_status != LifeStatus::Living && life_date.is_none() && !input.has(Field::LifeDate) {
        errors.push(FieldError::new(
            Field::LifeDate,
            "life_date_required",
            format!("{}须填写日期", life_status.label()),
        ));
    }
    if let (Some((id, _)), Some(d)) = (&id, life_date)
        && d < id.birth_date()
    {
        errors.push(FieldError::new(
            Field::LifeDate,
            "life_date_before_birth",
            "状态变更日期早于出生日期",
        ));
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    match (id, name, household) {
        (Some((id_number, legacy_id)), Some(name), Some(household_code)) => Ok(Person {
            sex: id_number.sex(),
            birth_date: id_number.birth_date(),
            id_number,
            legacy_id,
            name,
            ethnicity,
            household_code,
            address,
            phone,
            guardian_name,
            guardian_relation,
            guardian_phone,
            bank_account,
            bank_name,
            cert_number,
            category,
            components,
            grade,
            cert_issued,
            cert_valid_to,
            cert_state,
            life_status,
            life_date: if life_status == LifeStatus::Living {
                None
            } else {
                life_date
            },
        }),
        _ => Err(vec![FieldError::new(
            Field::IdNumber,
            "invalid",
            "记录无效",
        )]),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input(pairs: &[(Field, &str)]) -> PersonInput {
        let mut i = PersonInput::default();
        for (f, v) in pairs {
            i.set(*f, *v);
        }
        i
    }

    fn good() -> PersonInput {
        input(&[
            (Field::IdNumber, "11010519491231002x"),
            (Field::Name, "张 三"),
            (Field::Category, "肢体"),
            (Field::Grade, "二级"),
            (Field::HouseholdCode, "320102002001"),
            (Field::Phone, "138 0013 8000"),
            (Field::CertNumber, "11010519491231002X42"),
            (Field::CertIssued, "2016/4/1"),
            (Field::CertValidTo, "20260331"),
            (Field::Ethnicity, "汉"),
            (Field::BankAccount, "6222 0212 3456 7890 123"),
        ])
    }

    fn codes(r: Result<Person, Vec<FieldError>>) -> Vec<(Field, &'static str)> {
        r.unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn every_reason_quotes_the_bad_value() {
        let t = RegionTable::jiangsu();
        let mut i = good();
        i.set(Field::IdNumber, "110105194912310021");
        i.set(Field::Grade, "五级");
        i.set(Field::Phone, "12345");
        let errors = validate(&i, t).unwrap_err();
        for (field, value) in [
            (Field::IdNumber, "110105194912310021"),
            (Field::Grade, "五级"),
            (Field::Phone, "12345"),
        ] {
            let e = errors.iter().find(|e| e.field == field).unwrap();
            assert!(e.message.contains(value), "{}", e.message);
        }
    }

    #[test]
    fn the_template_example_is_a_valid_row() {
        let mut i = PersonInput::default();
        for f in Field::ALL {
            i.set(f, f.example());
            assert!(!f.allowed().is_empty());
        }
        let p = validate(&i, RegionTable::jiangsu()).unwrap();
        assert!(p.warnings().is_empty());
    }

    #[test]
    fn multiple_without_components_is_accepted_with_a_warning() {
        let t = RegionTable::jiangsu();
        let mut i = good();
        i.set(Field::Category, "多重");
        i.set(Field::Grade, "一级");
        i.set(Field::CertNumber, "");
        let p = validate(&i, t).unwrap();
        let w = p.warnings();
        assert_eq!(w.len(), 1);
        assert_eq!(
            (w[0].field, w[0].code),
            (Field::Components, COMPONENTS_MISSING)
        );
        // Components that are given still have to agree with the category and the grade.
        i.set(Field::Components, "肢体二级、智力三级");
        assert_eq!(
            codes(validate(&i, t)),
            vec![(Field::Components, "cert_component_grade")]
        );
        i.set(Field::Components, "肢体一级");
        assert_eq!(
            codes(validate(&i, t)),
            vec![(Field::Components, "cert_components_missing")]
        );
        i.set(Field::Components, "肢体一级、智力三级");
        assert!(validate(&i, t).unwrap().warnings().is_empty());
        let mut single = good();
        single.set(Field::Components, "肢体二级、智力三级");
        assert_eq!(
            codes(validate(&single, t)),
            vec![(Field::Components, "cert_components_not_multiple")]
        );
        assert!(validate(&good(), t).unwrap().warnings().is_empty());
    }

    #[test]
    fn a_good_row_is_read_and_normalised() {
        let p = validate(&good(), RegionTable::jiangsu()).unwrap();
        assert_eq!(p.id_number.as_str(), "11010519491231002X");
        assert_eq!(p.name, "张 三");
        assert_eq!(p.sex, Sex::Female);
        assert_eq!(p.phone.as_deref(), Some("13800138000"));
        assert_eq!(p.ethnicity.as_deref(), Some("汉族"));
        assert_eq!(p.bank_account.as_deref(), Some("6222021234567890123"));
        assert_eq!(p.cert_issued, NaiveDate::from_ymd_opt(2016, 4, 1));
        assert!(p.is_severe());
        assert_eq!(p.life_status, LifeStatus::Living);
    }

    #[test]
    fn a_file_before_any_assessment_has_no_category_or_grade() {
        let i = input(&[
            (Field::IdNumber, "320102201503070013"),
            (Field::Name, "李小明"),
            (Field::HouseholdCode, "320102002001"),
        ]);
        let p = validate(&i, RegionTable::jiangsu()).unwrap();
        assert_eq!((p.category, p.grade), (None, None));
        assert_eq!(p.disability(), None);
        assert!(!p.is_severe());
        assert_eq!(p.field_text(Field::Category), "");
        // One without the other, or a certificate without either, is refused.
        let mut half = i.clone();
        half.set(Field::Category, "肢体");
        assert_eq!(
            codes(validate(&half, RegionTable::jiangsu())),
            vec![(Field::Grade, "required")]
        );
        let mut certified = i.clone();
        certified.set(Field::CertIssued, "2024-01-01");
        let errors = validate(&certified, RegionTable::jiangsu()).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[0].message.contains("持证人员"), "{errors:?}");
    }

    #[test]
    fn every_fault_is_reported_with_its_field() {
        let i = input(&[
            (Field::IdNumber, "110105194912310021"),
            (Field::Category, "8"),
            (Field::Grade, "一级"),
            (Field::HouseholdCode, "320102000000"),
            (Field::Phone, "12345"),
        ]);
        let c = codes(validate(&i, RegionTable::jiangsu()));
        assert_eq!(
            c,
            vec![
                (Field::IdNumber, "id_checksum"),
                (Field::Name, "required"),
                (Field::HouseholdCode, "region_level"),
                (Field::Phone, "phone_invalid"),
                (Field::Category, "category_invalid"),
            ]
        );
    }

    #[test]
    fn derived_values_must_agree_with_the_id() {
        let mut i = good();
        i.set(Field::Sex, "男");
        i.set(Field::BirthDate, "1949-12-30");
        i.set(Field::CertNumber, "11010519491231002X43");
        let c = codes(validate(&i, RegionTable::jiangsu()));
        assert_eq!(
            c,
            vec![
                (Field::Sex, "sex_mismatch"),
                (Field::BirthDate, "birth_mismatch"),
                (Field::CertNumber, "cert_digits")
            ]
        );
        let mut i = good();
        i.set(Field::Sex, "女");
        i.set(Field::BirthDate, "1949年12月31日");
        assert!(validate(&i, RegionTable::jiangsu()).is_ok());
    }

    #[test]
    fn regions_must_be_current_and_local() {
        let mut i = good();
        i.set(Field::HouseholdCode, "320102999001");
        assert_eq!(
            codes(validate(&i, RegionTable::jiangsu())),
            vec![(Field::HouseholdCode, "region_unknown")]
        );
        i.set(Field::HouseholdCode, "3201");
        assert_eq!(
            codes(validate(&i, RegionTable::jiangsu())),
            vec![(Field::HouseholdCode, "region_malformed")]
        );
        i.set(Field::HouseholdCode, "320102002000");
        assert!(
            validate(&i, RegionTable::jiangsu()).is_ok(),
            "a town code is accepted"
        );
    }

    #[test]
    fn life_events_need_dates() {
        let mut i = good();
        i.set(Field::LifeStatus, "死亡");
        assert_eq!(
            codes(validate(&i, RegionTable::jiangsu())),
            vec![(Field::LifeDate, "life_date_required")]
        );
        i.set(Field::LifeDate, "2026-01-05");
        let p = validate(&i, RegionTable::jiangsu()).unwrap();
        assert_eq!(p.life_status, LifeStatus::Deceased);
        i.set(Field::LifeDate, "1940-01-01");
        assert_eq!(
            codes(validate(&i, RegionTable::jiangsu())),
            vec![(Field::LifeDate, "life_date_before_birth")]
        );
    }

    #[test]
    fn field_texts_read_back_to_the_same_person() {
        let p = validate(&good(), RegionTable::jiangsu()).unwrap();
        let mut again = PersonInput::default();
        for f in Field::ALL {
            again.set(f, p.field_text(f));
        }
        assert_eq!(validate(&again, RegionTable::jiangsu()).unwrap(), p);
    }

    #[test]
    fn dates_in_sheet_forms() {
        let d = NaiveDate::from_ymd_opt(2023, 4, 1);
        for s in [
            "2023-04-01",
            "2023/4/1",
            "20230401",
            "2023.4.1",
            "2023年4月1日",
            "2023-04-01 00:00:00",
        ] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        assert_eq!(parse_date("2023-02-30"), None);
        assert_eq!(parse_date("4/1/2023"), None);
        assert_eq!(parse_date("2023-4"), None);
        assert_eq!(parse_date("2023-04-01-02"), None);
        assert_eq!(parse_date("+2023-04-01"), None);
        assert_eq!(parse_date("2023-004-01"), None);
        assert_eq!(
            parse_date("2024年2月29日"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
    }

    #[test]
    fn phones_names_and_accounts() {
        assert_eq!(parse_phone("025-84561234").as_deref(), Some("025-84561234"));
        assert_eq!(parse_phone("1380013800"), None);
        assert_eq!(
            parse_phone("+86 138 0013 8000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(parse_phone("84561234").as_deref(), Some("84561234"));
        assert_eq!(parse_phone("23800138000"), None);
        assert_eq!(parse_phone("138-0013-8000"), None);
        assert_eq!(
            parse_name("阿依古丽•买买提").as_deref(),
            Some("阿依古丽·买买提")
        );
        assert_eq!(parse_name("123"), None);
        assert_eq!(
            parse_bank_account("6222-0212-3456"),
            Some("622202123456".into())
        );
        assert_eq!(parse_bank_account("62220212345"), None);
        assert_eq!(parse_ethnicity("维吾尔族").as_deref(), Some("维吾尔族"));
        assert_eq!(parse_ethnicity("火星族"), None);
    }
}
