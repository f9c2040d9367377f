//! Service providers (服务机构): the rehabilitation institutions, device suppliers, care
//! providers, 残疾人之家 and contractors that deliver cases under an agreement. A provider is
//! known by its unified social credit code; it serves some regions and some programmes over
//! an agreement period; a 残疾人之家 carries its star level.

use chrono::NaiveDate;
use serde::Serialize;

use crate::credit_code::CreditCode;
use crate::person::parse_date;
use crate::{RegionCode, RegionTable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    RehabInstitution,
    DeviceSupplier,
    CareProvider,
    DisabilityHome,
    Contractor,
    Other,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 6] = [
        ProviderKind::RehabInstitution,
        ProviderKind::DeviceSupplier,
        ProviderKind::CareProvider,
        ProviderKind::DisabilityHome,
        ProviderKind::Contractor,
        ProviderKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::RehabInstitution => "rehab_institution",
            ProviderKind::DeviceSupplier => "device_supplier",
            ProviderKind::CareProvider => "care_provider",
            ProviderKind::DisabilityHome => "disability_home",
            ProviderKind::Contractor => "contractor",
            ProviderKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProviderKind::RehabInstitution => "定点康复机构",
            ProviderKind::DeviceSupplier => "辅助器具供应商",
            ProviderKind::CareProvider => "托养服务机构",
            ProviderKind::DisabilityHome => "残疾人之家",
            ProviderKind::Contractor => "无障碍改造施工单位",
            ProviderKind::Other => "其他服务机构",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderKind> {
        let s = s.trim();
        ProviderKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label() == s)
            .or(match s {
                "康复机构" => Some(ProviderKind::RehabInstitution),
                "辅具供应商" | "供应商" => Some(ProviderKind::DeviceSupplier),
                "托养机构" => Some(ProviderKind::CareProvider),
                "施工单位" => Some(ProviderKind::Contractor),
                _ => None,
            })
    }
}

/// A provider as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Provider {
    pub credit_code: CreditCode,
    pub name: String,
    pub kind: ProviderKind,
    /// The regions it serves.
    #[schema(value_type = Vec<String>)]
    pub regions: Vec<RegionCode>,
    /// The programmes it delivers, by name.
    pub programmes: Vec<String>,
    pub agreement_from: NaiveDate,
    pub agreement_to: NaiveDate,
    /// A 残疾人之家's star level (1-5).
    pub star_level: Option<u8>,
}

impl Provider {
    /// Whether the agreement covers `date`.
    pub fn in_agreement(&self, date: NaiveDate) -> bool {
        self.agreement_from <= date && date <= self.agreement_to
    }

    /// Whether a case of `programme` for a household under `household` may be given to it on
    /// `date`; why not, in Chinese.
    pub fn takes(
        &self,
        household: &str,
        programme: &str,
        date: NaiveDate,
    ) -> Result<(), &'static str> {
        if !self.serves(household) {
            Err("不服务此人户籍所在区域")
        } else if !self.programmes.iter().any(|p| p == programme) {
            Err("不承接此服务项目")
        } else if !self.in_agreement(date) {
            Err("服务协议不在有效期内")
        } else {
            Ok(())
        }
    }

    /// Whether it serves a household under `code`.
    pub fn serves(&self, household: &str) -> bool {
        self.regions.iter().any(|r| {
            household.starts_with(
                RegionTable::jiangsu()
                    .get(r)
                    .map_or(r.as_str(), |x| x.prefix()),
            )
        })
    }
}

/// A provider's fields as typed: each fault by its field, in Chinese.
#[derive(Debug, Clone, Default)]
pub struct ProviderInput {
    pub credit_code: String,
    pub name: String,
    pub kind: String,
    /// Region codes separated by 、 , ， or spaces.
    pub regions: String,
    /// Programme names separated by 、 , or ，.
    pub programmes: String,
    pub agreement_from: String,
    pub agreement_to: String,
    pub star_level: String,
}

fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(['、', ',', '，', ' ', '\n', ';', '；'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
}

impl ProviderInput {
    /// The provider, or every fault as (field label, message). `known` are the programmes
    /// that exist.
    pub fn validate(&self, known: &[String]) -> Result<Provider, Vec<(&'static str, String)>> {
        let mut faults = Vec::new();
        let credit = CreditCode::parse(&self.credit_code)
            .map_err(|e| faults.push(("统一社会信用代码", e.to_string())))
            .ok();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            faults.push(("机构名称", "机构名称应为1至60个字".into()));
        }
        let kind = ProviderKind::parse(&self.kind);
        if kind.is_none() {
            faults.push((
                "机构类型",
                format!(
                    "“{}”不是机构类型，应为{}",
                    self.kind,
                    ProviderKind::ALL.map(ProviderKind::label).join("、")
                ),
            ));
        }
        let mut regions = Vec::new();
        for code in split(&self.regions) {
            match RegionTable::jiangsu().current(code) {
                Ok(r) => regions.push(r.code.clone()),
                Err(e) => faults.push(("服务区域", e.to_string())),
            }
        }
        if regions.is_empty() && !faults.iter().any(|(f, _)| *f == "服务区域") {
            faults.push(("服务区域", "至少填写一个服务区域的区划代码".into()));
        }
        let mut programmes = Vec::new();
        for p in split(&self.programmes) {
            if known.iter().any(|k| k == p) {
                programmes.push(p.to_owned());
            } else {
                faults.push(("服务项目", format!("服务项目“{p}”不存在")));
            }
        }
        let date = |label: &'static str, s: &str, faults: &mut Vec<(&'static str, String)>| {
            let d = parse_date(s);
            if d.is_none() {
                faults.push((label, format!("“{s}”不是有效的日期，应如2025-01-01")));
            }
            d
        };
        let from = date("协议开始日期", self.agreement_from.trim(), &mut faults);
        let to = date("协议结束日期", self.agreement_to.trim(), &mut faults);
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            faults.push(("协议结束日期", "协议结束日期早于开始日期".into()));
        }
        let star = match self
            .star_level
            .trim()
            .trim_end_matches('星')
            .trim_end_matches("级")
        {
            "" => Some(None),
            s => match ["一", "二", "三", "四", "五"]
                .iter()
                .position(|c| *c == s)
                .map_or_else(|| s.parse::<u8>(), |i| Ok(i as u8 + 1))
            {
                Ok(n) if (1..=5).contains(&n) && kind == Some(ProviderKind::DisabilityHome) => {
                    Some(Some(n))
                }
                Ok(n) if (1..=5).contains(&n) => {
                    faults.push(("星级", "只有残疾人之家评定星级".into()));
                    None
                }
                _ => {
                    faults.push(("星级", format!("星级“{}”应为1至5", self.star_level)));
                    None
                }
            },
        };
        match (credit, kind, from, to, star) {
            (
                Some(credit_code),
                Some(kind),
                Some(agreement_from),
                Some(agreement_to),
                Some(star_level),
            ) if faults.is_empty() => Ok(Provider {
                credit_code,
                name: name.to_owned(),
                kind,
                regions,
                programmes,
                agreement_from,
                agreement_to,
                star_level,
            }),
            _ => Err(faults),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input() -> ProviderInput {
        ProviderInput {
            credit_code: "91350100M000100Y43".into(),
            name: "太仓市康复中心".into(),
            kind: "定点康复机构".into(),
            regions: "320585000000".into(),
            programmes: "残疾儿童康复救助、成人社区康复".into(),
            agreement_from: "2025-01-01".into(),
            agreement_to: "2025-12-31".into(),
            star_level: String::new(),
        }
    }

    fn known() -> Vec<String> {
        vec!["残疾儿童康复救助".into(), "成人社区康复".into()]
    }

    #[test]
    fn a_provider_serves_its_regions_within_its_agreement() {
        let p = input().validate(&known()).unwrap();
        assert!(p.serves("320585100001"));
        assert!(!p.serves("320583100001"));
        assert!(p.in_agreement("2025-06-30".parse().unwrap()));
        assert!(!p.in_agreement("2026-01-01".parse().unwrap()));
        let on = "2025-06-30".parse().unwrap();
        assert_eq!(p.takes("320585100001", "成人社区康复", on), Ok(()));
        assert_eq!(
            p.takes("320583100001", "成人社区康复", on),
            Err("不服务此人户籍所在区域")
        );
        assert_eq!(
            p.takes("320585100001", "心理疏导", on),
            Err("不承接此服务项目")
        );
        assert_eq!(
            p.takes(
                "320585100001",
                "成人社区康复",
                "2026-01-01".parse().unwrap()
            ),
            Err("服务协议不在有效期内")
        );
    }

    #[test]
    fn every_fault_names_its_field() {
        let mut i = input();
        i.credit_code = "91350100M000100Y44".into();
        i.kind = "饭店".into();
        i.regions = "3205".into();
        i.programmes = "按摩".into();
        i.agreement_to = "2024-12-31".into();
        i.star_level = "3".into();
        let fields: Vec<&str> = i
            .validate(&known())
            .unwrap_err()
            .iter()
            .map(|(f, _)| *f)
            .collect();
        assert_eq!(
            fields,
            vec![
                "统一社会信用代码",
                "机构类型",
                "服务区域",
                "服务项目",
                "协议结束日期",
                "星级"
            ]
        );
        let mut home = input();
        home.kind = "残疾人之家".into();
        home.star_level = "四星".into();
        assert_eq!(home.validate(&known()).unwrap().star_level, Some(4));
    }
}
