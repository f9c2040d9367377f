//! The values of a file as a clerk writes them: dates in the forms sheets hold, ethnicity,
//! phone numbers, bank accounts and names, each read into the one form the registry keeps;
//! and a name's pinyin and initials for search.

use chrono::NaiveDate;

/// Reads 2023-04-01, 2023/4/1, 2023.4.1, 20230401 and 2023年4月1日.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    // A time part from a spreadsheet ("2023-04-01 00:00:00") is ignored.
    let s = s.trim().split([' ', 'T']).next().unwrap_or("");
    let s = s.strip_suffix('日').unwrap_or(s);
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return ymd(&s[..4], &s[4..6], &s[6..]);
    }
    let mut parts = s.split(['-', '/', '.', '年', '月']);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    ymd(y, m, d)
}

/// A date from its year (four digits), month and day (one or two digits each). Read by hand:
/// an import parses millions of dates, and chrono's format parser costs microseconds each.
fn ymd(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    fn num(s: &str, widths: std::ops::RangeInclusive<usize>) -> Option<u32> {
        if !widths.contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }
    let year = i32::try_from(num(y, 4..=4)?).ok()?;
    NaiveDate::from_ymd_opt(year, num(m, 1..=2)?, num(d, 1..=2)?)
}

const ETHNIC_GROUPS: [&str; 56] = [
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
];

/// "汉" or "汉族" → "汉族"; other values are refused.
pub fn parse_ethnicity(s: &str) -> Option<String> {
    let base = s.trim().trim_end_matches('族');
    ETHNIC_GROUPS
        .contains(&base)
        .then(|| format!("{base}族"))
        .or_else(|| matches!(s.trim(), "其他" | "穿青人" | "外国血统").then(|| s.trim().to_owned()))
}

/// A phone number: an 11-digit mobile (1xxxxxxxxxx), a landline with its area code
/// (0xx-xxxxxxxx, 10-12 digits, dashes allowed), or a 7-8 digit local number.
pub fn parse_phone(s: &str) -> Option<String> {
    let cleaned: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let cleaned = cleaned
        .strip_prefix("+86")
        .unwrap_or(&cleaned)
        .trim_start_matches('-')
        .to_owned();
    if !cleaned.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return None;
    }
    let digits: String = cleaned.chars().filter(char::is_ascii_digit).collect();
    let mobile = digits.len() == 11 && digits.starts_with('1') && !cleaned.contains('-');
    let landline = digits.starts_with('0') && (10..=12).contains(&digits.len());
    let local =
        (7..=8).contains(&digits.len()) && !digits.starts_with('0') && !digits.starts_with('1');
    (mobile || landline || local).then_some(cleaned)
}

/// A bank account: 12-30 digits (spaces ignored).
pub fn parse_bank_account(s: &str) -> Option<String> {
    let cleaned: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    ((12..=30).contains(&cleaned.len()) && cleaned.bytes().all(|b| b.is_ascii_digit()))
        .then_some(cleaned)
}

/// A person's name: 1-50 characters, letters (Chinese or Latin), the middle dot of minority
/// and foreign names, and single inner spaces.
pub fn parse_name(s: &str) -> Option<String> {
    let name: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = name.chars().count();
    let ok = (1..=50).contains(&n)
        && name
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '·' | '•' | '.' | ' ' | '-'))
        && name.chars().any(char::is_alphabetic);
    ok.then(|| name.replace('•', "·"))
}

/// The name's pinyin (toneless, lower case, run together) and its initials, for search:
/// 张三 → ("zhangsan", "zs"). Latin letters are kept as they are; other characters are dropped.
pub fn name_index(name: &str) -> (String, String) {
    use pinyin::ToPinyin;
    let mut full = String::new();
    let mut initials = String::new();
    for (ch, py) in name.chars().zip(name.to_pinyin()) {
        match py {
            Some(p) => {
                full.push_str(p.plain());
                initials.push_str(p.first_letter());
            }
            None if ch.is_ascii_alphabetic() => {
                let c = ch.to_ascii_lowercase();
                full.push(c);
                initials.push(c);
            }
            None => {}
        }
    }
    (full, initials)
}

#[cfg(test)]
mod index_tests {
    use super::name_index;

    #[test]
    fn names_are_indexed_by_pinyin_and_initials() {
        assert_eq!(name_index("张三"), ("zhangsan".into(), "zs".into()));
        assert_eq!(
            name_index("欧阳·娜娜"),
            ("ouyangnana".into(), "oynn".into())
        );
        assert_eq!(name_index("Anna李"), ("annali".into(), "annal".into()));
    }
}
