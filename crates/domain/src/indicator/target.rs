//! Targets (目标任务) and their split among a county's towns (任务分解). A target is held in
//! hundredths of the indicator's unit (people, per cent, yuan), so that 99.5% and 12.34元 are
//! exact; a county's yearly task for a count or a sum is split among its towns, and the towns'
//! shares must add up to it.

use serde::Serialize;

/// A target's value, in hundredths of its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TargetValue(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("目标值“{0}”不是数字")]
    NotANumber(String),
    #[error("目标值不能为负数（{0}）")]
    Negative(String),
    #[error("目标值“{0}”最多保留两位小数")]
    TooPrecise(String),
    #[error("比例指标的目标值应在0至100之间（{0}）")]
    OverHundred(String),
}

impl TargetValue {
    /// Reads "300", "99%", "99.5", "1,200" (a trailing 人, %, 元 is allowed).
    pub fn parse(text: &str, percent: bool) -> Result<TargetValue, TargetError> {
        let t: String = text
            .trim()
            .trim_end_matches(['%', '％', '人', '元', '户', '次'])
            .chars()
            .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
            .collect();
        let bad = || TargetError::NotANumber(text.trim().chars().take(20).collect());
        if t.is_empty() {
            return Err(bad());
        }
        let (neg, digits) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t.as_str()),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        if frac.len() > 2 {
            return Err(TargetError::TooPrecise(text.trim().to_owned()));
        }
        if neg {
            return Err(TargetError::Negative(text.trim().to_owned()));
        }
        let whole: i64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| bad())?
        };
        let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let v = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .ok_or_else(bad)?;
        if percent && v > 10_000 {
            return Err(TargetError::OverHundred(text.trim().to_owned()));
        }
        Ok(TargetValue(v))
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// The value as typed back: "300", "99.5".
    pub fn text(self) -> String {
        let (w, c) = (self.0 / 100, self.0 % 100);
        match c {
            0 => w.to_string(),
            c if c % 10 == 0 => format!("{w}.{}", c / 10),
            c => format!("{w}.{c:02}"),
        }
    }
}

/// A county's task against its towns' shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allocation {
    pub task: Option<TargetValue>,
    pub allocated: TargetValue,
    /// The task less the shares: positive when the shares fall short, negative when they
    /// exceed it; zero when they add up.
    pub difference: Option<i64>,
}

impl Allocation {
    pub fn balanced(&self) -> bool {
        self.difference == Some(0)
    }

    /// What a page says of it.
    pub fn message(&self) -> String {
        match self.difference {
            None => "本级尚未设定任务".into(),
            Some(0) => "各镇（街道）任务之和与本级任务一致".into(),
            Some(d) if d > 0 => {
                format!("各镇（街道）任务之和比本级任务少{}", TargetValue(d).text())
            }
            Some(d) => format!("各镇（街道）任务之和比本级任务多{}", TargetValue(-d).text()),
        }
    }
}

/// How `shares` stand against `task`.
pub fn allocation(task: Option<TargetValue>, shares: &[TargetValue]) -> Allocation {
    let allocated = TargetValue(shares.iter().map(|s| s.0).sum());
    Allocation {
        task,
        allocated,
        difference: task.map(|t| t.0 - allocated.0),
    }
}
