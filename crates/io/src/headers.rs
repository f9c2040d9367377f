//! Column headers: the canonical Chinese names (`Field::header`) and the synonyms older
//! systems and hand-made sheets use. Matching ignores spaces, required-field stars, full-width
//! brackets and trailing notes in brackets ("身份证号（18位）").

use anju_domain::person::Field;

/// Synonyms beyond the canonical header, per field.
fn synonyms(f: Field) -> &'static [&'static str] {
    match f {
        Field::IdNumber => &[
            "公民身份号码",
            "身份证号码",
            "身份证",
            "证件号码",
            "身份证件号码",
            "公民身份证号",
        ],
        Field::Name => &["残疾人姓名", "姓 名", "名字"],
        Field::Sex => &["性 别"],
        Field::BirthDate => &["出生年月日", "生日", "出生年月"],
        Field::Ethnicity => &["民 族"],
        Field::HouseholdCode => &[
            "户籍地代码",
            "户籍区划代码",
            "户籍地行政区划代码",
            "户籍所在地区划代码",
            "区划代码",
            "户籍地区划",
        ],
        Field::Address => &[
            "现居住地址",
            "居住地",
            "家庭住址",
            "现住址",
            "住址",
            "联系地址",
        ],
        Field::Phone => &[
            "手机号",
            "手机号码",
            "联系方式",
            "电话",
            "手机",
            "本人电话",
            "联系电话号码",
        ],
        Field::GuardianName => &["监护人", "法定监护人", "监护人姓名（联系人）", "联系人"],
        Field::GuardianRelation => &["与监护人关系", "监护关系", "监护人与本人关系"],
        Field::GuardianPhone => &["监护人联系电话", "监护人手机", "监护人手机号", "联系人电话"],
        Field::BankAccount => &[
            "银行卡号",
            "账号",
            "银行账户",
            "社保卡号",
            "发放账号",
            "补贴发放账号",
        ],
        Field::BankName => &["开户行", "银行名称", "开户银行名称"],
        Field::CertNumber => &[
            "证号",
            "残疾证号",
            "残疾人证号码",
            "残疾证号码",
            "第二代残疾人证号",
        ],
        Field::Category => &["残疾类型", "残疾类别名称", "类别"],
        Field::Components => &["多重残疾类别", "多重残疾情况"],
        Field::Grade => &["残疾级别", "等级", "残疾等级名称"],
        Field::CertIssued => &["发证时间", "办证日期", "发证日"],
        Field::CertValidTo => &[
            "有效期",
            "有效期至",
            "残疾人证有效期至",
            "残疾证有效期至",
            "证件有效期",
            "有效截止日期",
            "有效期限",
        ],
        Field::CertState => &["证件状态名称", "残疾人证状态"],
        Field::LifeStatus => &["人员状态", "状态"],
        Field::LifeDate => &["死亡日期", "迁出日期", "变更日期"],
    }
}

/// The header as compared: no spaces or stars, half-width brackets, no trailing note.
pub fn normalise(h: &str) -> String {
    let s: String = h
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '＊')
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c,
        })
        .collect();
    match s.find('(') {
        Some(i) if i > 0 && s.ends_with(')') => s[..i].to_owned(),
        _ => s,
    }
}

/// Which field each column holds, and what is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    /// Per column: the field it holds, if recognised (a later duplicate is ignored).
    pub columns: Vec<Option<Field>>,
    pub missing_required: Vec<Field>,
    /// Headers not recognised (kept in error reports, ignored otherwise).
    pub unknown: Vec<String>,
}

impl HeaderMap {
    pub fn column_of(&self, f: Field) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(f))
    }
}

pub fn field_for(header: &str) -> Option<Field> {
    let h = normalise(header);
    if h.is_empty() {
        return None;
    }
    Field::ALL
        .into_iter()
        .find(|f| normalise(f.header()) == h || synonyms(*f).iter().any(|s| normalise(s) == h))
}

pub fn map_headers(headers: &[String]) -> HeaderMap {
    let mut columns = Vec::with_capacity(headers.len());
    let mut unknown = Vec::new();
    for h in headers {
        let f = field_for(h).filter(|f| !columns.contains(&Some(*f)));
        if f.is_none() && !h.trim().is_empty() {
            unknown.push(h.clone());
        }
        columns.push(f);
    }
    let missing_required = Field::REQUIRED
        .into_iter()
        .filter(|f| !columns.contains(&Some(*f)))
        .collect();
    HeaderMap {
        columns,
        missing_required,
        unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn canonical_headers_and_synonyms_are_recognised() {
        let m = map_headers(&strings(&[
            "\u{feff}公民身份号码",
            "姓 名",
            "残疾类别",
            "残疾等级（级）",
            "户籍地代码",
            "*联系电话",
            "备注",
        ]));
        assert_eq!(
            m.columns,
            vec![
                Some(Field::IdNumber),
                Some(Field::Name),
                Some(Field::Category),
                Some(Field::Grade),
                Some(Field::HouseholdCode),
                Some(Field::Phone),
                None
            ]
        );
        assert!(m.missing_required.is_empty());
        assert_eq!(m.unknown, vec!["备注".to_owned()]);
    }

    #[test]
    fn every_canonical_header_maps_back() {
        for f in Field::ALL {
            assert_eq!(field_for(f.header()), Some(f), "{}", f.header());
        }
    }

    #[test]
    fn missing_required_columns_are_named() {
        let m = map_headers(&strings(&["姓名", "身份证号", "身份证号码"]));
        assert_eq!(
            m.missing_required,
            vec![Field::Category, Field::Grade, Field::HouseholdCode]
        );
        assert_eq!(m.columns[2], None, "a second ID column is ignored");
    }
}
