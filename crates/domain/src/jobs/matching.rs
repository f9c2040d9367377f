//! Matching seekers and postings (人岗匹配). A posting fits a seeker when every hard condition
//! holds: the post suits the seeker's category and grade (when it names any), the work is in
//! the region the seeker wants, the hours are compatible and the wage is not below what the
//! seeker asked. Each fit lists its reasons — the hard conditions that say something and the
//! soft ones (wanted work, skills, same town or county, an accessible workplace for those who
//! need one) — and ranks by the sum of their weights (data: `data/employment/matching.tsv`),
//! then by wage.

use std::cmp::Reverse;

use serde::Serialize;

use super::{Hours, Posting, Seeker};
use crate::certificate::{Category, Grade};
use crate::data_table::DataTable;
use crate::money::Fen;

/// Reason codes, in the order the data lists them.
pub const REASONS: [&str; 8] = [
    "wanted",
    "skill",
    "same_town",
    "same_county",
    "accessible",
    "suits",
    "hours",
    "wage",
];

/// The weights of the reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchRules {
    weights: [u32; REASONS.len()],
}

impl MatchRules {
    pub fn parse(text: &str) -> Result<MatchRules, String> {
        let t = DataTable::parse("人岗匹配权重", text);
        let mut weights = [None; REASONS.len()];
        for i in 0..t.len() {
            let code = t.text(i, "理由代码")?;
            let at = REASONS
                .iter()
                .position(|r| *r == code)
                .ok_or_else(|| format!("人岗匹配权重第{}行：未知的理由代码“{code}”", i + 1))?;
            weights[at] = Some(t.value::<u32>(i, "权重")?);
        }
        let mut out = [0; REASONS.len()];
        for (i, w) in weights.into_iter().enumerate() {
            out[i] = w.ok_or_else(|| format!("人岗匹配权重缺少“{}”", REASONS[i]))?;
        }
        Ok(MatchRules { weights: out })
    }

    /// The weights shipped.
    pub fn shipped() -> Result<MatchRules, String> {
        MatchRules::parse(include_str!("../../../../data/employment/matching.tsv"))
    }

    fn weight(&self, code: &str) -> u32 {
        REASONS
            .iter()
            .position(|r| *r == code)
            .map_or(0, |i| self.weights[i])
    }
}

/// One reason a posting fits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Reason {
    pub code: &'static str,
    pub text: String,
    pub weight: u32,
}

/// A fit: its reasons, the strongest first, and their total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Fit {
    pub score: u32,
    pub reasons: Vec<Reason>,
}

impl Fit {
    /// The order of a list of fits: score, then wage, highest first, then the id.
    pub fn rank_key(&self, wage_fen: i64, id: i64) -> (Reverse<u32>, Reverse<i64>, i64) {
        (Reverse(self.score), Reverse(wage_fen), id)
    }
}

/// What matching needs of a seeker: the registration and the person's file.
#[derive(Debug, Clone)]
pub struct Profile<'a> {
    pub seeker: &'a Seeker,
    /// The household region (12 digits).
    pub household_code: &'a str,
    /// The category, and for 多重 the components' categories too.
    pub categories: Vec<u8>,
    pub grade: Option<u8>,
    /// The code prefix of the wanted region.
    pub wanted_prefix: String,
}

impl<'a> Profile<'a> {
    pub fn new(
        seeker: &'a Seeker,
        household_code: &'a str,
        categories: Vec<u8>,
        grade: Option<u8>,
    ) -> Profile<'a> {
        Profile {
            wanted_prefix: super::region_prefix(&seeker.region_code),
            seeker,
            household_code,
            categories,
            grade,
        }
    }
}

fn near(a: &str, b: &str) -> bool {
    !a.is_empty() && !b.is_empty() && (a.contains(b) || b.contains(a))
}

/// Whether `post` fits the seeker, and why.
pub fn fit(rules: &MatchRules, who: &Profile<'_>, post: &Posting) -> Option<Fit> {
    // Hard conditions first.
    if !post.region_code.starts_with(&who.wanted_prefix) {
        return None;
    }
    if !post.categories.is_empty() && !who.categories.iter().any(|c| post.categories.contains(c)) {
        return None;
    }
    if !post.grades.is_empty() && !who.grade.is_some_and(|g| post.grades.contains(&g)) {
        return None;
    }
    let seeker = who.seeker;
    if !seeker.hours.fits(post.hours) {
        return None;
    }
    if post.wage_fen < seeker.min_wage_fen {
        return None;
    }
    let mut reasons = Vec::new();
    let mut add = |code: &'static str, text: String| {
        reasons.push(Reason {
            code,
            text,
            weight: rules.weight(code),
        });
    };
    for w in &seeker.wanted {
        if near(w, &post.post) {
            add("wanted", format!("意向岗位相符：{w}"));
            break;
        }
    }
    for s in &seeker.skills {
        if post.skills.iter().any(|p| near(s, p)) || near(s, &post.post) {
            add("skill", format!("技能相符：{s}"));
        }
    }
    let same = |n: usize| post.region_code.get(..n) == who.household_code.get(..n);
    if same(9) {
        add("same_town", "工作地点与户籍同镇（街道）".into());
    } else if same(6) {
        add("same_county", "工作地点与户籍同县（区）".into());
    }
    if post.accessible && who.categories.iter().any(|c| matches!(c, 1 | 4)) {
        add("accessible", "工作场所无障碍".into());
    }
    if !post.categories.is_empty() || !post.grades.is_empty() {
        let cat = who
            .categories
            .iter()
            .find(|c| post.categories.contains(c))
            .and_then(|c| Category::new(*c))
            .map(|c| c.label())
            .unwrap_or_default();
        let grade = who
            .grade
            .filter(|g| post.grades.contains(g))
            .and_then(Grade::new)
            .map(Grade::name)
            .unwrap_or_default();
        add("suits", format!("岗位适合{cat}{grade}"));
    }
    if seeker.hours != Hours::Any && post.hours == seeker.hours {
        add("hours", format!("工时相符：{}", post.hours.label()));
    }
    if seeker.min_wage_fen > 0 {
        add(
            "wage",
            format!(
                "月工资{}元，不低于期望的{}元",
                Fen(post.wage_fen).yuan(),
                Fen(seeker.min_wage_fen).yuan()
            ),
        );
    }
    reasons.sort_by_key(|r| Reverse(r.weight));
    Some(Fit {
        score: reasons.iter().map(|r| r.weight).sum(),
        reasons,
    })
}

/// The `n` best postings for one seeker among `postings` (id, posting), ranked.
pub fn best<'p>(
    rules: &MatchRules,
    who: &Profile<'_>,
    postings: impl IntoIterator<Item = (i64, &'p Posting)>,
    n: usize,
) -> Vec<(i64, Fit)> {
    let mut out: Vec<(i64, i64, Fit)> = postings
        .into_iter()
        .filter_map(|(id, p)| fit(rules, who, p).map(|f| (id, p.wage_fen, f)))
        .collect();
    out.sort_by_key(|(id, wage, f)| f.rank_key(*wage, *id));
    out.truncate(n);
    out.into_iter().map(|(id, _, f)| (id, f)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn seeker() -> Seeker {
        Seeker {
            wanted: vec!["客服".into()],
            skills: vec!["电脑操作".into(), "普通话".into()],
            region_code: "320506000000".into(),
            hours: Hours::Full,
            min_wage_fen: 250_000,
        }
    }

    fn post(region: &str) -> Posting {
        Posting {
            employer_code: None,
            employer_name: "某公司".into(),
            post: "电话客服".into(),
            openings: 2,
            wage_fen: 300_000,
            region_code: region.into(),
            hours: Hours::Any,
            skills: vec!["电脑操作".into()],
            categories: vec![4],
            grades: vec![],
            accessible: true,
            closes_on: None,
        }
    }

    #[test]
    fn the_shipped_weights_read() {
        let r = MatchRules::shipped().unwrap();
        assert_eq!(r.weight("wanted"), 30);
        assert_eq!(r.weight("skill"), 20);
        assert!(MatchRules::parse("理由代码\t权重\nwanted\t1\n").is_err());
    }

    #[test]
    fn a_fit_lists_every_reason_and_sums_their_weights() {
        let r = MatchRules::shipped().unwrap();
        let s = seeker();
        let who = Profile::new(&s, "320506101001", vec![4], Some(3));
        let f = fit(&r, &who, &post("320506101000")).unwrap();
        let codes: Vec<&str> = f.reasons.iter().map(|x| x.code).collect();
        // 30 wanted, 20 skill, 15 same town, 10 accessible, 10 suits, 5 wage (hours: Any).
        assert_eq!(
            codes,
            [
                "wanted",
                "skill",
                "same_town",
                "accessible",
                "suits",
                "wage"
            ]
        );
        assert_eq!(f.score, 90);
        assert_eq!(f.reasons[0].text, "意向岗位相符：客服");
        assert_eq!(f.reasons[4].text, "岗位适合肢体残疾");
        assert_eq!(f.reasons[5].text, "月工资3000.00元，不低于期望的2500.00元");
        // Another town of the county: 同县 instead of 同镇.
        let f = fit(&r, &who, &post("320506102000")).unwrap();
        assert!(f.reasons.iter().any(|x| x.code == "same_county"));
        assert_eq!(f.score, 83);
    }

    #[test]
    fn every_hard_condition_refuses() {
        let r = MatchRules::shipped().unwrap();
        let s = seeker();
        let who = Profile::new(&s, "320506101001", vec![4], Some(3));
        // Outside the wanted county.
        assert!(fit(&r, &who, &post("320505001000")).is_none());
        // A post for the deaf only.
        let mut p = post("320506101000");
        p.categories = vec![2];
        assert!(fit(&r, &who, &p).is_none());
        // A post for grades 1-2 only.
        let mut p = post("320506101000");
        p.grades = vec![1, 2];
        assert!(fit(&r, &who, &p).is_none());
        // Part-time when full-time is wanted.
        let mut p = post("320506101000");
        p.hours = Hours::Part;
        assert!(fit(&r, &who, &p).is_none());
        // A wage below what was asked.
        let mut p = post("320506101000");
        p.wage_fen = 249_999;
        assert!(fit(&r, &who, &p).is_none());
        // A person without an assessment fits only a post that names no category.
        let none = Profile::new(&s, "320506101001", vec![], None);
        assert!(fit(&r, &none, &post("320506101000")).is_none());
        let mut open = post("320506101000");
        open.categories.clear();
        assert!(fit(&r, &none, &open).is_some());
    }

    #[test]
    fn best_ranks_by_score_then_wage_then_id() {
        let r = MatchRules::shipped().unwrap();
        let s = seeker();
        let who = Profile::new(&s, "320506101001", vec![4], Some(3));
        let near_low = post("320506101000");
        let mut near_high = post("320506101000");
        near_high.wage_fen = 400_000;
        let far = post("320506102000");
        let mut unfit = post("320506101000");
        unfit.categories = vec![5];
        let list = [
            (1, &far),
            (2, &near_low),
            (3, &unfit),
            (4, &near_high),
            (5, &near_low),
        ];
        let ids: Vec<i64> = best(&r, &who, list, 10).into_iter().map(|x| x.0).collect();
        assert_eq!(ids, [4, 2, 5, 1]);
        assert_eq!(best(&r, &who, list, 2).len(), 2);
    }
}
