//! Yearly verification campaigns (审验核查): opened by an administrator, recorded by towns,
//! exported.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Choice, HERE};
use crate::auth::PageUser;
use crate::pages::Layout;
use crate::{App, AppError};

pub struct CampaignRow {
    pub href: String,
    pub year: i64,
    pub region: String,
    pub total: i64,
    pub done: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "verifications.html")]
pub struct CampaignsPage {
    layout: Layout,
    rows: Vec<CampaignRow>,
    can_open: bool,
    next_year: i32,
}

pub async fn campaigns(
    State(app): State<App>,
    PageUser(s): PageUser,
) -> Result<CampaignsPage, AppError> {
    use chrono::Datelike;
    let scope = s.scope();
    let rows = app
        .store
        .verification()
        .campaigns(scope)
        .await?
        .into_iter()
        .map(|c| CampaignRow {
            href: format!("/certificates/verification/{}", c.id),
            year: c.year,
            region: anju_domain::RegionTable::jiangsu()
                .current(&c.region_code)
                .map_or_else(|_| c.region_code.clone(), |r| r.name.clone()),
            total: c.total,
            done: c.done,
        })
        .collect();
    Ok(CampaignsPage {
        layout: Layout::for_session(&s, "审验核查", HERE),
        rows,
        can_open: scope.role().manages_users(),
        next_year: app.store.today().year() + 1,
    })
}

#[derive(Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    year: String,
}

pub async fn open_campaign(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<OpenForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let year: i32 = f
        .year
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest(format!("年份“{}”无效", f.year)))?;
    let c = app.store.verification().open(s.scope(), year).await?;
    Ok(Redirect::to(&format!("/certificates/verification/{}", c.id)).into_response())
}

pub struct ItemRow {
    pub id: i64,
    pub person_href: String,
    pub name: String,
    pub id_number: String,
    pub town: String,
    pub valid_to: String,
    pub result: &'static str,
    pub note: String,
    pub pending: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "verification.html")]
pub struct CampaignPage {
    layout: Layout,
    id: i64,
    year: i64,
    total: i64,
    done: i64,
    towns: Vec<anju_store::TownProgress>,
    items: Vec<ItemRow>,
    results: Vec<Choice>,
    can_record: bool,
}

fn masked_id(id: &str, whole: bool) -> String {
    if whole {
        id.to_owned()
    } else {
        anju_domain::mask::id_number(id)
    }
}

pub async fn campaign(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
) -> Result<CampaignPage, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let scope = s.scope();
    let v = app.store.verification();
    let (c, towns) = v.campaign(scope, id).await?;
    let whole = scope.role().sees_identifiers();
    let items: Vec<ItemRow> = v
        .items(scope, id, false, 300)
        .await?
        .into_iter()
        .map(|i| ItemRow {
            id: i.id,
            person_href: format!("/persons/{}", i.person_id),
            id_number: masked_id(&i.id_number, whole),
            name: i.name,
            town: i.town_name,
            valid_to: i.valid_to,
            result: anju_store::result_label(i.result.as_deref().unwrap_or("")),
            note: i.note.unwrap_or_default(),
            pending: i.result.is_none(),
        })
        .collect();
    if !items.is_empty() {
        app.store
            .persons()
            .record_view(
                scope,
                "verification.view",
                format!("campaign:{id}"),
                format!("{}条", items.len()),
            )
            .await?;
    }
    Ok(CampaignPage {
        layout: Layout::for_session(&s, &format!("{}年审验核查", c.year), HERE),
        id,
        year: c.year,
        total: c.total,
        done: c.done,
        towns,
        items,
        results: anju_store::RESULTS
            .iter()
            .map(|(v, l)| Choice {
                value: (*v).into(),
                label: (*l).into(),
            })
            .collect(),
        can_record: scope.role().writes_persons(),
    })
}

#[derive(Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    note: String,
}

pub async fn record_item(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(item): Path<String>,
    Form(f): Form<RecordForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let item: i64 = item.parse().map_err(|_| AppError::NotFound)?;
    app.store
        .verification()
        .record(s.scope(), item, &f.result, &f.note)
        .await?;
    let back = f.campaign.parse::<i64>().map_or_else(
        |_| "/certificates/verification".to_owned(),
        |c| format!("/certificates/verification/{c}"),
    );
    Ok(Redirect::to(&back).into_response())
}

/// The campaign's list for the viewer's subtree as XLSX (identifiers masked unless the role
/// may see them), audited.
pub async fn export_campaign(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let scope = s.scope();
    let items = app
        .store
        .verification()
        .items(scope, id, false, 1_000_000)
        .await?;
    let whole = scope.role().sees_identifiers();
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let path = app
        .work_dir
        .join(format!("verification-{}.xlsx", anju_store::random_token()));
    let write = || -> Result<(), anju_io::WriteError> {
        let mut w = anju_io::SheetWriter::create(
            &path,
            &[
                "镇（街道）",
                "姓名",
                "身份证号",
                "户籍地区划代码",
                "有效期至",
                "核查结果",
                "备注",
            ],
        )?;
        for i in &items {
            w.write_row(&[
                i.town_name.as_str(),
                &i.name,
                &masked_id(&i.id_number, whole),
                &i.household_code,
                &i.valid_to,
                anju_store::result_label(i.result.as_deref().unwrap_or("")),
                i.note.as_deref().unwrap_or(""),
            ])?;
        }
        w.finish()
    };
    let written = write();
    let bytes = std::fs::read(&path);
    let _ = std::fs::remove_file(&path);
    written.map_err(|e| AppError::Internal(e.to_string()))?;
    let bytes = bytes.map_err(|e| AppError::Internal(e.to_string()))?;
    app.store
        .persons()
        .record_view(
            scope,
            "verification.export",
            format!("campaign:{id}"),
            format!("{}条", items.len()),
        )
        .await?;
    Ok(crate::pages::xlsx_download(
        "verification.xlsx",
        "审验核查名单.xlsx",
        bytes,
    ))
}
