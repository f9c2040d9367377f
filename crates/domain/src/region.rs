//! Administrative division codes (统计用区划代码) and the official Jiangsu table.
//!
//! A code has 12 digits: 1-2 province, 3-4 city, 5-6 county (GB/T 2260), 7-9 town or street,
//! 10-12 village or community (reference §1). A region's subtree is every code that starts
//! with its significant prefix (2, 4, 6, 9 or 12 digits by level). The table is the NBS 2023
//! list, embedded at build time from `data/regions/jiangsu-2023.csv`: 13 cities, 104 counties,
//! 1,487 towns and 21,958 villages under the province, 23,563 codes. A code missing from the
//! table is never accepted where a current code is required ([`RegionTable::current`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;

/// The official table, embedded in the binary.
const JIANGSU_2023: &str = include_str!("../../../data/regions/jiangsu-2023.csv");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    #[error("区划代码应为12位数字：{0}")]
    Malformed(String),
    #[error("区划代码不在现行区划表中：{0}")]
    Unknown(String),
    #[error("区划表第{line}行有误：{reason}")]
    Table { line: usize, reason: String },
}

/// A syntactically valid 12-digit region code. Whether it is *current* is a question for
/// the [`RegionTable`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, RegionError> {
        let s = s.trim();
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(RegionError::Malformed(s.chars().take(40).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Province,
    City,
    County,
    Town,
    Village,
}

impl Level {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "province" => Self::Province,
            "city" => Self::City,
            "county" => Self::County,
            "town" => Self::Town,
            "village" => Self::Village,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::County => "county",
            Self::Town => "town",
            Self::Village => "village",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Province => "省",
            Self::City => "市",
            Self::County => "县（区）",
            Self::Town => "镇（街道）",
            Self::Village => "村（社区）",
        }
    }

    /// How many leading digits of a code are significant at this level.
    pub fn prefix_len(self) -> usize {
        match self {
            Self::Province => 2,
            Self::City => 4,
            Self::County => 6,
            Self::Town => 9,
            Self::Village => 12,
        }
    }

    pub fn child(self) -> Option<Self> {
        match self {
            Self::Province => Some(Self::City),
            Self::City => Some(Self::County),
            Self::County => Some(Self::Town),
            Self::Town => Some(Self::Village),
            Self::Village => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub level: Level,
    pub parent: Option<RegionCode>,
}

impl Region {
    /// The digits every code in this region's subtree starts with.
    pub fn prefix(&self) -> &str {
        &self.code.as_str()[..self.level.prefix_len()]
    }

    pub fn covers(&self, code: &RegionCode) -> bool {
        code.as_str().starts_with(self.prefix())
    }
}

/// The region tree, indexed for lookups by code and by parent.
#[derive(Debug)]
pub struct RegionTable {
    regions: Vec<Region>,
    by_code: HashMap<RegionCode, usize>,
    children: HashMap<RegionCode, Vec<usize>>,
    root: usize,
}

impl RegionTable {
    /// The embedded official Jiangsu table, parsed once per process.
    pub fn jiangsu() -> &'static RegionTable {
        static TABLE: OnceLock<RegionTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            // The embedded file is checked by this crate's tests; failing here means the
            // binary was built from a corrupted copy, which no caller could recover from.
            #[allow(clippy::expect_used)]
            RegionTable::parse(JIANGSU_2023).expect("embedded region table is valid")
        })
    }

    /// Parses the embedded table anew (for measuring the load; use [`Self::jiangsu`]).
    pub fn parse_embedded() -> Result<Self, RegionError> {
        Self::parse(JIANGSU_2023)
    }

    /// Parses `code,name,level,parent_code` lines (header first). Every parent must appear
    /// before its children, every code must lie inside its parent's subtree, and exactly one
    /// row (the province) has no parent.
    pub fn parse(text: &str) -> Result<Self, RegionError> {
        let mut regions = Vec::new();
        let mut by_code = HashMap::new();
        let mut children: HashMap<RegionCode, Vec<usize>> = HashMap::new();
        let mut root = None;
        for (i, line) in text.lines().enumerate().skip(1) {
            let line_no = i + 1;
            let bad = |reason: &str| RegionError::Table {
                line: line_no,
                reason: reason.to_owned(),
            };
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
            let [code, name, level, parent] = fields[..] else {
                return Err(bad("应有4列"));
            };
            let code = RegionCode::parse(code).map_err(|e| bad(&e.to_string()))?;
            let level = Level::parse(level).ok_or_else(|| bad("级别无效"))?;
            if !code.as_str()[level.prefix_len()..]
                .bytes()
                .all(|b| b == b'0')
            {
                return Err(bad("代码与级别不符"));
            }
            let parent = if parent.is_empty() {
                if root.is_some() || level != Level::Province {
                    return Err(bad("只能有一个省级根节点"));
                }
                None
            } else {
                let p = RegionCode::parse(parent).map_err(|e| bad(&e.to_string()))?;
                let &pi = by_code.get(&p).ok_or_else(|| bad("上级代码未先出现"))?;
                let pr: &Region = &regions[pi];
                if pr.level.child() != Some(level) || !pr.covers(&code) {
                    return Err(bad("不在上级区划之内"));
                }
                Some(p)
            };
            if by_code.contains_key(&code) {
                return Err(bad("代码重复"));
            }
            let idx = regions.len();
            if let Some(p) = &parent {
                children.entry(p.clone()).or_default().push(idx);
            } else {
                root = Some(idx);
            }
            by_code.insert(code.clone(), idx);
            regions.push(Region {
                code,
                name: name.to_owned(),
                level,
                parent,
            });
        }
        let root = root.ok_or(RegionError::Table {
            line: 1,
            reason: "缺少省级根节点".into(),
        })?;
        Ok(Self {
            regions,
            by_code,
            children,
            root,
        })
    }

    pub fn len(&self) -> usize {
        self.regions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    pub fn root(&self) -> &Region {
        &self.regions[self.root]
    }

    pub fn get(&self, code: &RegionCode) -> Option<&Region> {
        self.by_code.get(code).map(|&i| &self.regions[i])
    }

    /// The name of the region with code `code`, or the code itself when the table has none.
    pub fn name_of(&self, code: &str) -> String {
        RegionCode::parse(code)
            .ok()
            .and_then(|c| self.get(&c).map(|r| r.name.clone()))
            .unwrap_or_else(|| code.to_owned())
    }

    /// Parses a code and insists that it is in the current table.
    pub fn current(&self, s: &str) -> Result<&Region, RegionError> {
        let code = RegionCode::parse(s)?;
        self.get(&code).ok_or(RegionError::Unknown(code.0))
    }

    pub fn children(&self, code: &RegionCode) -> impl Iterator<Item = &Region> {
        self.children
            .get(code)
            .into_iter()
            .flatten()
            .map(|&i| &self.regions[i])
    }

    pub fn child_count(&self, code: &RegionCode) -> usize {
        self.children.get(code).map_or(0, Vec::len)
    }

    /// The chain from the province down to `code` itself.
    pub fn path(&self, code: &RegionCode) -> Vec<&Region> {
        let mut chain = Vec::new();
        let mut next = self.get(code);
        while let Some(r) = next {
            chain.push(r);
            next = r.parent.as_ref().and_then(|p| self.get(p));
        }
        chain.reverse();
        chain
    }

    /// Counts of regions per level, province first.
    pub fn level_counts(&self) -> [(Level, usize); 5] {
        let mut counts = [
            (Level::Province, 0),
            (Level::City, 0),
            (Level::County, 0),
            (Level::Town, 0),
            (Level::Village, 0),
        ];
        for r in &self.regions {
            counts[r.level as usize].1 += 1;
        }
        counts
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn embedded_table_has_the_official_counts() {
        let t = RegionTable::jiangsu();
        assert_eq!(t.len(), 23_563);
        let counts: Vec<usize> = t.level_counts().iter().map(|c| c.1).collect();
        assert_eq!(counts, vec![1, 13, 104, 1_487, 21_958]);
        assert_eq!(t.root().name, "江苏省");
    }

    #[test]
    fn path_and_children_follow_the_tree() {
        let t = RegionTable::jiangsu();
        let nanjing = RegionCode::parse("320100000000").unwrap();
        let kids: Vec<&str> = t.children(&nanjing).map(|r| r.name.as_str()).collect();
        assert!(kids.contains(&"玄武区"));
        let xuanwu = t.current("320102000000").unwrap();
        let path: Vec<&str> = t
            .path(&xuanwu.code)
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(path, vec!["江苏省", "南京市", "玄武区"]);
        for village in t.children(&t.children(&xuanwu.code).next().unwrap().code) {
            assert!(xuanwu.covers(&village.code));
            assert_eq!(village.level, Level::Village);
        }
    }

    #[test]
    fn unknown_and_malformed_codes_are_refused() {
        let t = RegionTable::jiangsu();
        assert_eq!(
            t.current("320199000000").unwrap_err(),
            RegionError::Unknown("320199000000".into())
        );
        assert!(matches!(t.current("3201"), Err(RegionError::Malformed(_))));
        assert!(matches!(
            t.current("32010200000x"),
            Err(RegionError::Malformed(_))
        ));
        assert!(t.current(" 320102000000 ").is_ok());
    }

    #[test]
    fn a_county_does_not_cover_its_sibling_or_parent() {
        let t = RegionTable::jiangsu();
        let xuanwu = t.current("320102000000").unwrap();
        assert!(!xuanwu.covers(&RegionCode::parse("320104000000").unwrap()));
        assert!(!xuanwu.covers(&RegionCode::parse("320100000000").unwrap()));
        assert!(xuanwu.covers(&RegionCode::parse("320102001001").unwrap()));
    }

    #[test]
    fn a_broken_table_names_its_line() {
        let text = "code,name,level,parent_code\n320000000000,江苏省,province,\n320100000000,南京市,county,320000000000\n";
        let err = RegionTable::parse(text).unwrap_err();
        assert!(matches!(err, RegionError::Table { line: 3, .. }), "{err}");
        let orphan = "code,name,level,parent_code\n320000000000,江苏省,province,\n320102000000,玄武区,county,320100000000\n";
        assert!(matches!(
            RegionTable::parse(orphan),
            Err(RegionError::Table { line: 3, .. })
        ));
    }

    proptest! {
        #[test]
        fn parse_accepts_exactly_twelve_digits(s in "\\PC{0,16}") {
            let ok = s.trim().len() == 12 && s.trim().bytes().all(|b| b.is_ascii_digit());
            prop_assert_eq!(RegionCode::parse(&s).is_ok(), ok);
        }

        #[test]
        fn every_region_covers_its_descendants(i in 0usize..23_563) {
            let t = RegionTable::jiangsu();
            let r = &t.regions[i];
            for ancestor in t.path(&r.code) {
                prop_assert!(ancestor.covers(&r.code));
            }
        }
    }
}
