//! The home page (工作台): the same frame for every role, with what that role works on: the
//! worklist of what is due in the subtree (nearest deadline first, overdue marked), counts per
//! town for city and county staff, and the role's functions.

use anju_domain::{Level, Region, RegionTable, Role};
use askama::Template;
use askama_web::WebTemplate;

use super::Layout;
use crate::auth::PageUser;

pub struct Task {
    label: &'static str,
    href: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    layout: Layout,
    username: String,
    role_label: &'static str,
    region_path: String,
    region_code: String,
    stats: Vec<(&'static str, usize)>,
    tasks: Vec<Task>,
    work: anju_store::Worklist,
}

impl HomePage {
    fn due(d: &Option<chrono::NaiveDate>) -> String {
        d.map(|d| d.to_string()).unwrap_or_default()
    }
}

/// How many regions of each lower level lie inside `region`.
pub fn subtree_counts(table: &RegionTable, region: &Region) -> Vec<(Level, usize)> {
    let mut counts: Vec<(Level, usize)> = Vec::new();
    let mut frontier = vec![region];
    while let Some(level) = frontier.first().and_then(|r| r.level.child()) {
        let next: Vec<&Region> = frontier
            .iter()
            .flat_map(|r| table.children(&r.code))
            .collect();
        counts.push((level, next.len()));
        frontier = next;
    }
    counts
}

fn tasks(role: Role) -> Vec<Task> {
    let t = |label, href| Task { label, href };
    let mut v = match role {
        Role::Admin => vec![t("用户管理", "/users"), t("行政区划", "/regions")],
        Role::Auditor => vec![t("审计日志", "/audit")],
        Role::Leader => vec![
            t("规划指标", "/indicators"),
            t("残疾人档案", "/persons"),
            t("两项补贴", "/subsidies"),
        ],
        // What is not built yet is not listed: no "建设中" beside working links.
        Role::Provider => vec![],
        Role::Village => vec![t("残疾人档案", "/persons")],
        Role::City | Role::County | Role::Town => vec![
            t("残疾人档案", "/persons"),
            t("两项补贴", "/subsidies"),
            t("残疾人证办理", "/certificates/applications"),
            t("规划指标", "/indicators"),
        ],
    };
    if role != Role::Admin {
        v.push(t("行政区划", "/regions"));
    }
    v
}

pub async fn show(
    axum::extract::State(app): axum::extract::State<crate::App>,
    PageUser(s): PageUser,
) -> Result<axum::response::Response, crate::AppError> {
    use axum::response::IntoResponse;
    // A leader's home is the indicators against their targets.
    if s.scope().role() == Role::Leader {
        let page = crate::pages::indicators::board_page(
            &app,
            &s,
            &crate::pages::indicators::BoardQuery::default(),
            "/",
        )
        .await?;
        return Ok(page.into_response());
    }
    let scope = s.scope();
    let work = app.store.worklist(scope).await?;
    let table = RegionTable::jiangsu();
    let region = scope.region();
    let stats = subtree_counts(table, region)
        .into_iter()
        .map(|(l, n)| (l.label(), n))
        .collect();
    let region_path = table
        .path(&region.code)
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(" › ");
    Ok(HomePage {
        work,
        layout: Layout::for_session(&s, "工作台", "/"),
        username: scope.username().to_owned(),
        role_label: scope.role().label(),
        region_path,
        region_code: region.code.to_string(),
        stats,
        tasks: tasks(scope.role()),
    }
    .into_response())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_province_counts_every_level() {
        let t = RegionTable::jiangsu();
        let counts: Vec<usize> = subtree_counts(t, t.root()).iter().map(|c| c.1).collect();
        assert_eq!(counts, vec![13, 104, 1_487, 21_958]);
        let village = t.current("320102002001").unwrap();
        assert!(subtree_counts(t, village).is_empty());
    }
}
