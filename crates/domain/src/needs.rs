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

/// A service that answers a need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    /// A case in a programme of this kind: open, or opened since the need was recorded.
    Programme(String),
    /// Social assistance of one of these kinds this month.
    Assistance(Vec<String>),
    /// A subsidy grant of this kind this month.
    Grant(String),
    /// Employed now.
    Employed,
    /// An active job placement.
    Placed,
    /// A training course ending since the need was recorded.
    Trained,
}

/// What services a person holds, as the needs-gap check reads them.
#[derive(Debug, Clone, Default)]
pub struct Held {
    /// (programme kind, open, opened on) of the person's cases not refused.
    pub cases: Vec<(String, bool, chrono::NaiveDate)>,
    /// Assistance kinds this month.
    pub assistance: Vec<String>,
    /// Grant kinds this month.
    pub grants: Vec<String>,
    pub employed: bool,
    pub placed: bool,
    /// End dates of the courses attended.
    pub trained: Vec<chrono::NaiveDate>,
}

/// Which services answer each need item (`data/needs/services.tsv`).
#[derive(Debug, Clone)]
pub struct NeedServices(Vec<(String, Service)>);

impl NeedServices {
    pub fn parse(text: &str, items: &NeedItems) -> Result<NeedServices, String> {
        let t = DataTable::parse("需求与服务对应表", text);
        let mut out = Vec::with_capacity(t.len());
        for i in 0..t.len() {
            let need = t.text(i, "需求")?;
            if items.find(need).is_none() {
                return Err(format!(
                    "需求与服务对应表第{}行的需求“{need}”不在需求项目表中",
                    i + 1
                ));
            }
            let arg = t.text(i, "参数").unwrap_or("").to_owned();
            let service = match t.text(i, "服务")? {
                "programme" if !arg.is_empty() => Service::Programme(arg),
                "assistance" if !arg.is_empty() => {
                    Service::Assistance(arg.split('、').map(str::to_owned).collect())
                }
                "grant" if !arg.is_empty() => Service::Grant(arg),
                "employed" => Service::Employed,
                "placed" => Service::Placed,
                "trained" => Service::Trained,
                x => {
                    return Err(format!(
                        "需求与服务对应表第{}行的服务“{x}”无法识别或缺少参数",
                        i + 1
                    ));
                }
            };
            out.push((need.to_owned(), service));
        }
        Ok(NeedServices(out))
    }

    pub fn shipped(items: &NeedItems) -> Result<NeedServices, String> {
        NeedServices::parse(include_str!("../../../data/needs/services.tsv"), items)
    }

    /// Whether the platform holds any service for the need (a need without one is not
    /// warned of: nothing here could answer it).
    pub fn watched(&self, need: &str) -> bool {
        self.0.iter().any(|(n, _)| n == need)
    }

    /// Whether a service the person holds answers the need recorded on `since`.
    pub fn answered(&self, need: &str, since: chrono::NaiveDate, held: &Held) -> bool {
        self.0
            .iter()
            .filter(|(n, _)| n == need)
            .any(|(_, s)| match s {
                Service::Programme(kind) => held
                    .cases
                    .iter()
                    .any(|(k, open, opened)| k == kind && (*open || *opened >= since)),
                Service::Assistance(kinds) => held.assistance.iter().any(|a| kinds.contains(a)),
                Service::Grant(kind) => held.grants.iter().any(|g| g == kind),
                Service::Employed => held.employed,
                Service::Placed => held.placed,
                Service::Trained => held.trained.iter().any(|d| *d >= since),
            })
    }

    /// The needs of a person's visits (newest first: (date, need codes)) still recorded at
    /// the latest one, each with the date it was first recorded in the unbroken run of
    /// visits that name it.
    pub fn current(
        visits: &[(chrono::NaiveDate, Vec<String>)],
    ) -> Vec<(String, chrono::NaiveDate)> {
        let Some((latest, needs)) = visits.first() else {
            return Vec::new();
        };
        needs
            .iter()
            .map(|n| {
                let mut since = *latest;
                for (d, ns) in visits.iter().skip(1) {
                    if ns.contains(n) {
                        since = *d;
                    } else {
                        break;
                    }
                }
                (n.clone(), since)
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod service_tests {
    use super::*;

    fn d(s: &str) -> chrono::NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_need_is_answered_by_a_service_current_or_begun_since() {
        let items = NeedItems::shipped().unwrap();
        let m = NeedServices::shipped(&items).unwrap();
        assert!(m.watched("rehab") && !m.watched("culture"));
        let since = d("2026-03-01");
        let mut held = Held::default();
        assert!(!m.answered("rehab", since, &held));
        // A case closed before the need does not answer it; one opened since does.
        held.cases
            .push(("rehabilitation".into(), false, d("2025-05-01")));
        assert!(!m.answered("rehab", since, &held));
        held.cases
            .push(("rehabilitation".into(), false, d("2026-04-01")));
        assert!(m.answered("rehab", since, &held));
        // An open case answers whenever it began; another kind does not.
        let open = Held {
            cases: vec![("device".into(), true, d("2024-01-01"))],
            ..Held::default()
        };
        assert!(m.answered("device", since, &open) && !m.answered("care", since, &open));
        // Either service of a need will do.
        let grant = Held {
            grants: vec!["care".into()],
            ..Held::default()
        };
        assert!(m.answered("care", since, &grant));
        let dibao = Held {
            assistance: vec!["tekun".into()],
            ..Held::default()
        };
        assert!(m.answered("basic_living", since, &dibao));
        let trained = Held {
            trained: vec![d("2026-02-01")],
            ..Held::default()
        };
        assert!(!m.answered("training", since, &trained));
        assert!(
            NeedServices::parse("需求\t服务\t参数\n飞行\temployed\t\n", &items)
                .unwrap_err()
                .contains("飞行")
        );
        assert!(
            NeedServices::parse("需求\t服务\t参数\nrehab\tprogramme\t\n", &items)
                .unwrap_err()
                .contains("缺少参数")
        );
    }

    #[test]
    fn a_need_runs_from_the_first_visit_of_its_unbroken_run() {
        let visits = vec![
            (d("2026-06-01"), vec!["rehab".to_owned(), "care".to_owned()]),
            (d("2026-03-01"), vec!["rehab".to_owned()]),
            (d("2025-12-01"), vec![]),
            (d("2025-09-01"), vec!["rehab".to_owned(), "care".to_owned()]),
        ];
        assert_eq!(
            NeedServices::current(&visits),
            vec![
                ("rehab".to_owned(), d("2026-03-01")),
                ("care".to_owned(), d("2026-06-01"))
            ]
        );
        assert!(NeedServices::current(&[]).is_empty());
    }
}
