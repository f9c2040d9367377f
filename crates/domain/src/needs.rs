//! Need items (需求项目): what a home visit or the annual survey records that a person needs,
//! one list held as data (`data/needs/items.tsv`) so that the needs-gap warnings, the survey
//! and the visits speak of the same items.

use crate::data_table::DataTable;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct NeedItem {
    pub code: String,
    pub name: String,
    pub area: String,
}

#[derive(Debug, Clone)]
pub struct NeedItems(Vec<NeedItem>);

impl NeedItems {
    pub fn parse(text: &str) -> Result<NeedItems, String> {
        let t = DataTable::parse("需求项目表", text);
        let mut items = Vec::with_capacity(t.len());
        for i in 0..t.len() {
            let code = t.text(i, "代码")?;
            if code.is_empty() || items.iter().any(|x: &NeedItem| x.code == code) {
                return Err(format!("需求项目表第{}行的代码“{code}”为空或重复", i + 1));
            }
            items.push(NeedItem {
                code: code.to_owned(),
                name: t.text(i, "名称")?.to_owned(),
                area: t.text(i, "领域")?.to_owned(),
            });
        }
        Ok(NeedItems(items))
    }

    pub fn shipped() -> Result<NeedItems, String> {
        NeedItems::parse(include_str!("../../../data/needs/items.tsv"))
    }

    pub fn all(&self) -> &[NeedItem] {
        &self.0
    }

    /// The item with this code, or with this name (a sheet or a form may give either).
    pub fn find(&self, code_or_name: &str) -> Option<&NeedItem> {
        let t = code_or_name.trim();
        self.0.iter().find(|x| x.code == t || x.name == t)
    }

    pub fn name_of(&self, code: &str) -> String {
        self.find(code)
            .map_or_else(|| code.to_owned(), |x| x.name.clone())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_items_are_found_by_code_or_name() {
        let n = NeedItems::shipped().unwrap();
        assert!(n.all().len() >= 10);
        assert_eq!(n.find("康复服务").unwrap().code, "rehab");
        assert_eq!(n.find("device").unwrap().name, "辅助器具适配");
        assert!(n.find("飞行").is_none());
        assert!(NeedItems::parse("代码\t名称\t领域\na\t甲\tx\na\t乙\ty\n").is_err());
    }
}
