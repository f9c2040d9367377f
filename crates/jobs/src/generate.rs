//! Generated sheets of people's files for tests and benchmarks (`anju gen persons`).
//!
//! Every row is valid: real Jiangsu villages, ID numbers with correct check characters whose
//! address code is the village's county, categories in the shares of the 2006 national sample
//! survey (reference §12: 视力 12.33 M, 听力 20.04 M, 言语 1.27 M, 肢体 24.12 M, 智力 5.54 M,
//! 精神 6.14 M, 多重 13.52 M), grades weighted towards the milder, certificates valid ten
//! years from an issue date between 2014 and 2025. The same seed gives the same sheet.

use std::collections::HashSet;
use std::path::Path;

use anju_domain::certificate::{Category, CertificateNumber, Components, Grade};
use anju_domain::id_number::IdNumber;
use anju_domain::person::Field;
use anju_domain::{Level, Region, RegionTable};
use anju_io::SheetWriter;
use chrono::{Datelike, Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "建", "国", "红", "文", "辉", "鹏",
    "宇", "浩", "然", "欣", "怡", "子", "涵", "梓", "轩", "晨", "阳", "佳", "雪", "琳", "波", "斌",
];
/// Category shares in tenths of a million (2006 survey).
const CATEGORY_WEIGHTS: [(u8, u32); 7] = [
    (1, 1233),
    (2, 2004),
    (3, 127),
    (4, 2412),
    (5, 554),
    (6, 614),
    (7, 1352),
];
const GRADE_WEIGHTS: [(u8, u32); 4] = [(1, 12), (2, 20), (3, 30), (4, 38)];
const BANKS: &[&str] = &[
    "中国农业银行",
    "中国工商银行",
    "中国建设银行",
    "江苏银行",
    "农村商业银行",
    "中国银行",
    "邮政储蓄银行",
];
const RELATIONS: &[&str] = &["父亲", "母亲", "配偶", "子女", "兄弟姐妹"];

fn weighted(rng: &mut StdRng, table: &[(u8, u32)]) -> u8 {
    let total: u32 = table.iter().map(|t| t.1).sum();
    let mut x = rng.gen_range(0..total);
    for (v, w) in table {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    table[0].0
}

fn name(rng: &mut StdRng) -> String {
    let mut n = SURNAMES[rng.gen_range(0..SURNAMES.len())].to_owned();
    for _ in 0..rng.gen_range(1..=2) {
        n.push_str(GIVEN[rng.gen_range(0..GIVEN.len())]);
    }
    n
}

fn mobile(rng: &mut StdRng) -> String {
    let prefixes = [
        "130", "133", "135", "136", "138", "139", "150", "151", "152", "158", "177", "180", "187",
        "189", "199",
    ];
    format!(
        "{}{:08}",
        prefixes[rng.gen_range(0..prefixes.len())],
        rng.gen_range(0..100_000_000u32)
    )
}

/// Writes `rows` generated files to `out` (XLSX, or CSV by extension). `today` anchors ages
/// and certificate dates.
pub fn generate_persons(rows: u64, seed: u64, out: &Path, today: NaiveDate) -> Result<u64, String> {
    let table = RegionTable::jiangsu();
    let villages: Vec<&Region> = {
        let mut v = Vec::new();
        let mut stack = vec![table.root()];
        while let Some(r) = stack.pop() {
            if r.level == Level::Village {
                v.push(r);
            } else {
                stack.extend(table.children(&r.code));
            }
        }
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let headers: Vec<&str> = Field::ALL.iter().map(|f| f.header()).collect();
    let mut w = SheetWriter::create(out, &headers).map_err(|e| e.to_string())?;
    let mut used: HashSet<IdNumber> = HashSet::with_capacity(rows.min(5_000_000) as usize);
    let mut written = 0;
    while written < rows {
        let village = villages[rng.gen_range(0..villages.len())];
        // Ages: more older people, as among certificate holders.
        let age: u32 = match rng.gen_range(0..100) {
            0..=7 => rng.gen_range(0..18),
            8..=47 => rng.gen_range(18..60),
            _ => rng.gen_range(60..95),
        };
        let birth = NaiveDate::from_ymd_opt(today.year() - age as i32, 1, 1)
            .and_then(|d| d.checked_add_days(Days::new(rng.gen_range(0..365))))
            .unwrap_or(today);
        let seq: u16 = rng.gen_range(0..1000);
        let Ok(id) = IdNumber::compose(&village.code.as_str()[..6], birth, seq) else {
            continue;
        };
        if !used.insert(id.clone()) {
            continue;
        }
        let category = Category::new(weighted(&mut rng, &CATEGORY_WEIGHTS)).ok_or("类别表有误")?;
        let mut grade = Grade::new(weighted(&mut rng, &GRADE_WEIGHTS)).ok_or("等级表有误")?;
        let components = if category == Category::MULTIPLE {
            let a = rng.gen_range(1..=6u8);
            let b = (a % 6) + 1;
            let ga = grade;
            let gb = Grade::new(rng.gen_range(ga.code()..=4)).unwrap_or(ga);
            let comps = Components(vec![
                (
                    Category::new(a.min(b)).unwrap_or(category),
                    if a < b { ga } else { gb },
                ),
                (
                    Category::new(a.max(b)).unwrap_or(category),
                    if a < b { gb } else { ga },
                ),
            ]);
            grade = comps.most_severe().unwrap_or(grade);
            comps
        } else {
            Components::default()
        };
        let issued = today
            .checked_sub_days(Days::new(rng.gen_range(0..(365 * 12))))
            .unwrap_or(today);
        let valid_to = issued
            .with_year(issued.year() + 10)
            .and_then(|d| d.pred_opt())
            .unwrap_or(issued);
        let guardian = age < 18 || category.code() == 5 || category.code() == 6;
        let mut row: Vec<String> = vec![String::new(); Field::ALL.len()];
        let mut set = |f: Field, v: String| row[f as usize] = v;
        set(Field::IdNumber, id.to_string());
        set(Field::Name, name(&mut rng));
        set(Field::Sex, id.sex().label().to_owned());
        set(Field::BirthDate, birth.to_string());
        set(
            Field::Ethnicity,
            if rng.gen_range(0..100) < 98 {
                "汉族".into()
            } else {
                "回族".into()
            },
        );
        set(Field::HouseholdCode, village.code.to_string());
        set(
            Field::Address,
            format!("{}{}号", village.name, rng.gen_range(1..300)),
        );
        set(Field::Phone, mobile(&mut rng));
        if guardian {
            set(Field::GuardianName, name(&mut rng));
            set(
                Field::GuardianRelation,
                RELATIONS[rng.gen_range(0..RELATIONS.len())].to_owned(),
            );
            set(Field::GuardianPhone, mobile(&mut rng));
        }
        set(
            Field::BankAccount,
            format!("6228{:015}", rng.gen_range(0..1_000_000_000_000_000u64)),
        );
        set(
            Field::BankName,
            BANKS[rng.gen_range(0..BANKS.len())].to_owned(),
        );
        set(
            Field::CertNumber,
            CertificateNumber::for_holder(&id, category, grade).to_string(),
        );
        set(Field::Category, category.name().to_owned());
        set(Field::Components, components.label());
        set(Field::Grade, grade.name().to_owned());
        set(Field::CertIssued, issued.to_string());
        set(Field::CertValidTo, valid_to.to_string());
        set(Field::LifeStatus, "在世".into());
        w.write_row(&row).map_err(|e| e.to_string())?;
        written += 1;
    }
    w.finish().map_err(|e| e.to_string())?;
    Ok(written)
}
