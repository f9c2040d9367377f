//! Browsing the region tree, limited to the user's subtree.

use anju_domain::RegionTable;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::response::Redirect;

use super::{Layout, region_crumbs};
use crate::AppError;
use crate::auth::PageUser;

pub struct ChildRow {
    code: String,
    name: String,
    count: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "region.html")]
pub struct RegionPage {
    layout: Layout,
    code: String,
    name: String,
    level: &'static str,
    child_level: &'static str,
    children: Vec<ChildRow>,
}

pub async fn mine(PageUser(s): PageUser) -> Redirect {
    Redirect::to(&format!("/regions/{}", s.scope().region().code))
}

pub async fn show(PageUser(s): PageUser, Path(code): Path<String>) -> Result<RegionPage, AppError> {
    let table = RegionTable::jiangsu();
    let region = table.current(&code).map_err(|_| AppError::NotFound)?;
    if !s.scope().covers(&region.code) {
        return Err(AppError::Forbidden);
    }
    let children = table
        .children(&region.code)
        .map(|c| ChildRow {
            code: c.code.to_string(),
            name: c.name.clone(),
            count: table.child_count(&c.code),
        })
        .collect();
    Ok(RegionPage {
        layout: Layout::for_session(&s, &region.name, "/regions").with_crumbs(region_crumbs(
            s.scope(),
            &region.code,
            true,
        )),
        code: region.code.to_string(),
        name: region.name.clone(),
        level: region.level.label(),
        child_level: region.level.child().map_or("", |l| l.label()),
        children,
    })
}
