//! The people's files: the list with filters, search and export, the file itself with its
//! history, create and edit forms, and the import page.

pub mod form;
pub mod import;
pub mod list;
pub mod show;

use anju_domain::certificate::{Category, CertStatus, Grade};
use anju_domain::id_number::Sex;
use anju_domain::person::LifeStatus;
use anju_store::{PersonFilter, Sort};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::AppError;

/// The list's query string, shared by the page, the export and the API. Empty means "any".
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub region: String,
    pub q: String,
    pub category: String,
    pub grade: String,
    pub severe: String,
    pub age_min: String,
    pub age_max: String,
    pub sex: String,
    pub cert_status: String,
    pub life_status: String,
    /// "components_missing": 多重 files without their components.
    pub quality: String,
    pub sort: String,
    pub desc: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
}

fn bad(what: &str, v: &str) -> AppError {
    AppError::BadRequest(format!("筛选条件“{what}”的值无效：{v}"))
}

impl ListQuery {
    pub fn filter(&self, today: NaiveDate, per_page: i64) -> Result<PersonFilter, AppError> {
        let mut f = PersonFilter::new(today);
        f.region = Some(self.region.trim().to_owned()).filter(|s| !s.is_empty());
        f.q = Some(self.q.trim().to_owned()).filter(|s| !s.is_empty());
        if !self.category.is_empty() {
            f.category = Some(
                Category::parse(&self.category)
                    .ok_or_else(|| bad("残疾类别", &self.category))?
                    .code(),
            );
        }
        if !self.grade.is_empty() {
            f.grade = Some(
                Grade::parse(&self.grade)
                    .ok_or_else(|| bad("残疾等级", &self.grade))?
                    .code(),
            );
        }
        f.severe = match self.severe.as_str() {
            "" => None,
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            v => return Err(bad("重度", v)),
        };
        let age = |v: &str, what: &str| -> Result<Option<u32>, AppError> {
            if v.trim().is_empty() {
                Ok(None)
            } else {
                v.trim()
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|_| bad(what, v))
                    .and_then(|a| match a {
                        Some(x) if x > 150 => Err(bad(what, v)),
                        a => Ok(a),
                    })
            }
        };
        f.age_min = age(&self.age_min, "最小年龄")?;
        f.age_max = age(&self.age_max, "最大年龄")?;
        if !self.sex.is_empty() {
            f.sex = Some(Sex::parse(&self.sex).ok_or_else(|| bad("性别", &self.sex))?);
        }
        if !self.cert_status.is_empty() {
            f.cert_status = Some(
                CertStatus::parse(&self.cert_status)
                    .ok_or_else(|| bad("证件状态", &self.cert_status))?,
            );
        }
        if !self.life_status.is_empty() {
            f.life_status = Some(
                LifeStatus::ALL
                    .into_iter()
                    .find(|l| l.as_str() == self.life_status)
                    .ok_or_else(|| bad("生存状态", &self.life_status))?,
            );
        }
        f.incomplete = match self.quality.as_str() {
            "" => false,
            "components_missing" => true,
            v => return Err(bad("数据质量", v)),
        };
        f.sort = Sort::parse(&self.sort).ok_or_else(|| bad("排序", &self.sort))?;
        f.desc = self.desc == "1";
        f.page = self.page.unwrap_or(1).max(1);
        f.per_page = per_page;
        Ok(f)
    }

    /// The query string without the page, for links that keep the filters.
    pub fn encoded_without_page(&self) -> String {
        let mut q = self.clone();
        q.page = None;
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}
