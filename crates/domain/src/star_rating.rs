//! Star rating (星级评定) of 残疾人之家: a scheme held as data (items with their points, and the
//! least total for each star level), used from a year on; an evaluation scores each item and
//! takes the highest level its total reaches. Reference §7.

use serde::Serialize;

/// A scheme: its items (name, most points) and levels (stars, least total), levels ascending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StarScheme {
    pub name: String,
    pub from_year: i32,
    pub items: Vec<(String, u32)>,
    pub levels: Vec<(u8, u32)>,
}

const STARS: [&str; 5] = ["一星", "二星", "三星", "四星", "五星"];

/// The stars of a level's name: 一星…五星, 1…5, or 1星…5星.
pub fn parse_stars(s: &str) -> Option<u8> {
    let t = s.trim().trim_end_matches("级");
    if let Some(i) = STARS.iter().position(|x| *x == t) {
        return u8::try_from(i + 1).ok();
    }
    t.trim_end_matches('星')
        .parse::<u8>()
        .ok()
        .filter(|n| (1..=5).contains(n))
}

/// The name of a level.
pub fn stars_label(n: u8) -> &'static str {
    STARS
        .get(usize::from(n.saturating_sub(1)))
        .copied()
        .unwrap_or("未评星")
}

impl StarScheme {
    /// A scheme from its rows (row number, 类型 项目|星级, 名称, 分值); every fault by row.
    pub fn from_rows(
        name: &str,
        from_year: i32,
        rows: &[(usize, String, String, String)],
    ) -> Result<StarScheme, Vec<(usize, &'static str, String)>> {
        let mut faults = Vec::new();
        let mut items: Vec<(String, u32)> = Vec::new();
        let mut levels: Vec<(u8, u32)> = Vec::new();
        for (row, kind, label, points) in rows {
            let p = match points.trim().parse::<u32>() {
                Ok(p) if p <= 1000 => Some(p),
                _ => {
                    faults.push((
                        *row,
                        "分值",
                        format!("“{}”应为0至1000的整数", points.trim()),
                    ));
                    None
                }
            };
            match kind.trim() {
                "项目" | "评定项目" => {
                    let l = label.trim();
                    if l.is_empty() || l.chars().count() > 40 {
                        faults.push((*row, "名称", "评定项目名称应为1至40个字".into()));
                    } else if items.iter().any(|(n, _)| n == l) {
                        faults.push((*row, "名称", format!("评定项目“{l}”重复")));
                    } else if let Some(p) = p {
                        items.push((l.to_owned(), p));
                    }
                }
                "星级" | "等级" => match parse_stars(label) {
                    None => faults.push((
                        *row,
                        "名称",
                        format!("“{}”不是星级，应为一星至五星", label.trim()),
                    )),
                    Some(s) if levels.iter().any(|(x, _)| *x == s) => {
                        faults.push((*row, "名称", format!("{}重复", stars_label(s))));
                    }
                    Some(s) => {
                        if let Some(p) = p {
                            levels.push((s, p));
                        }
                    }
                },
                other => faults.push((*row, "类型", format!("“{other}”应为项目或星级"))),
            }
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            faults.push((0, "方案名称", "方案名称应为1至40个字".into()));
        }
        if faults.is_empty() {
            levels.sort_unstable();
            let total: u32 = items.iter().map(|(_, p)| p).sum();
            if items.is_empty() || levels.is_empty() {
                faults.push((0, "类型", "评定方案须有评定项目和星级".into()));
            } else if levels.windows(2).any(|w| w[1].1 <= w[0].1) {
                faults.push((0, "分值", "星级越高，最低总分须越高".into()));
            } else if levels.iter().any(|(_, p)| *p > total) {
                faults.push((
                    0,
                    "分值",
                    format!("星级的最低总分超过了各项满分之和{total}"),
                ));
            }
        }
        if faults.is_empty() {
            Ok(StarScheme {
                name: name.to_owned(),
                from_year,
                items,
                levels,
            })
        } else {
            Err(faults)
        }
    }

    /// Items and levels as stored: one `类型\t名称\t分值` line each.
    pub fn to_text(&self) -> (String, String) {
        (
            self.items
                .iter()
                .map(|(n, p)| format!("{n}\t{p}"))
                .collect::<Vec<_>>()
                .join("\n"),
            self.levels
                .iter()
                .map(|(s, p)| format!("{}\t{p}", stars_label(*s)))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    }

    /// A scheme as stored.
    pub fn from_text(name: &str, from_year: i32, items: &str, levels: &str) -> Option<StarScheme> {
        let mut rows = Vec::new();
        for (kind, text) in [("项目", items), ("星级", levels)] {
            for (i, l) in text.lines().enumerate() {
                let (n, p) = l.split_once('\t')?;
                rows.push((i, kind.to_owned(), n.to_owned(), p.to_owned()));
            }
        }
        StarScheme::from_rows(name, from_year, &rows).ok()
    }

    /// Scores one item at a time (in the scheme's order) into a total and the level it
    /// reaches (none below the first); a score above an item's points is refused by name.
    pub fn evaluate(&self, scores: &[u32]) -> Result<(u32, Option<u8>), String> {
        if scores.len() != self.items.len() {
            return Err(format!("应为{}个评定项目打分", self.items.len()));
        }
        for ((name, most), s) in self.items.iter().zip(scores) {
            if s > most {
                return Err(format!("“{name}”的得分{s}超过满分{most}"));
            }
        }
        let total: u32 = scores.iter().sum();
        let level = self
            .levels
            .iter()
            .rev()
            .find(|(_, least)| total >= *least)
            .map(|(s, _)| *s);
        Ok((total, level))
    }
}

/// The scheme shipped for Jiangsu (`data/star_rating/jiangsu.tsv`).
pub fn jiangsu() -> Result<StarScheme, String> {
    const JIANGSU: &str = include_str!("../../../data/star_rating/jiangsu.tsv");
    let rows: Vec<(usize, String, String, String)> = JIANGSU
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .enumerate()
        .map(|(i, l)| {
            let mut c = l.split('\t').map(str::to_owned);
            (
                i + 2,
                c.next().unwrap_or_default(),
                c.next().unwrap_or_default(),
                c.next().unwrap_or_default(),
            )
        })
        .collect();
    StarScheme::from_rows("江苏省残疾人之家星级评定（示例）", 2024, &rows)
        .map_err(|e| format!("第{}行：{}", e[0].0, e[0].2))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_total_takes_the_highest_level_it_reaches() {
        let s = jiangsu().unwrap();
        assert_eq!(s.items.len(), 7);
        assert_eq!(
            s.evaluate(&[15, 20, 15, 20, 10, 10, 10]).unwrap(),
            (100, Some(5))
        );
        assert_eq!(
            s.evaluate(&[12, 16, 12, 16, 8, 8, 8]).unwrap(),
            (80, Some(3))
        );
        assert_eq!(s.evaluate(&[10, 10, 10, 10, 5, 5, 5]).unwrap(), (55, None));
        assert!(
            s.evaluate(&[16, 0, 0, 0, 0, 0, 0])
                .unwrap_err()
                .contains("场地设施")
        );
        assert!(s.evaluate(&[1]).is_err());
        let (items, levels) = s.to_text();
        assert_eq!(
            StarScheme::from_text(&s.name, 2024, &items, &levels).unwrap(),
            s
        );
    }

    #[test]
    fn a_bad_scheme_names_its_rows() {
        let rows = vec![
            (2, "项目".to_owned(), "场地".to_owned(), "50".to_owned()),
            (3, "星级".to_owned(), "六星".to_owned(), "60".to_owned()),
            (4, "其他".to_owned(), "x".to_owned(), "1".to_owned()),
            (5, "项目".to_owned(), "服务".to_owned(), "a".to_owned()),
        ];
        let e = StarScheme::from_rows("方案", 2025, &rows).unwrap_err();
        assert_eq!(
            e.iter().map(|f| (f.0, f.1)).collect::<Vec<_>>(),
            vec![(3, "名称"), (4, "类型"), (5, "分值")]
        );
        let rows = vec![
            (2, "项目".to_owned(), "场地".to_owned(), "50".to_owned()),
            (3, "星级".to_owned(), "一星".to_owned(), "60".to_owned()),
        ];
        assert!(
            StarScheme::from_rows("方案", 2025, &rows).unwrap_err()[0]
                .2
                .contains("满分")
        );
        assert_eq!(parse_stars("3星"), Some(3));
        assert_eq!(parse_stars("五星级"), Some(5));
    }
}
