//! The programmes page (every programme as it stands, with the import for those who set
//! policy) and one programme's page: its steps, conditions and prices, and who it could serve
//! on a date (outreach), exportable.

use anju_domain::person::parse_date;
use anju_domain::programme::{COLUMNS, Programme, column_help, steps_text};
use anju_store::{EligiblePerson, ProgrammeRecord};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::HERE;
use crate::auth::{PageUser, Session};
use crate::pages::Key;
use crate::pages::Layout;
use crate::pages::persons::import::{finish, receive, register};
use crate::{App, AppError};

pub struct ProgrammeRow {
    pub href: String,
    pub name: String,
    pub kind: &'static str,
    pub steps: String,
    pub conditions: String,
    pub prices: String,
    pub cap: String,
    pub second: &'static str,
}

fn prices(p: &Programme) -> String {
    p.prices
        .iter()
        .map(|x| {
            let region = anju_domain::RegionTable::jiangsu()
                .current(&format!("{:0<12}", x.region_prefix))
                .map_or_else(|_| x.region_prefix.clone(), |r| r.name.clone());
            let to = x.to.map_or_else(|| "起".to_owned(), |t| format!("至{t}"));
            format!(
                "{region} {}元/{}（{}{to}）",
                x.amount.yuan(),
                x.unit,
                x.from
            )
        })
        .collect::<Vec<_>>()
        .join("；")
}

fn row(r: &ProgrammeRecord) -> ProgrammeRow {
    let p = &r.programme;
    ProgrammeRow {
        href: format!("/programmes/{}", r.id),
        name: p.name.clone(),
        kind: p.kind.label(),
        steps: steps_text(&p.steps),
        conditions: if p.condition_text.is_empty() {
            "不限".into()
        } else {
            p.condition_text.clone()
        },
        prices: prices(p),
        cap: p
            .yearly_cap
            .map_or_else(|| "不限".into(), |c| format!("{}元", c.yuan())),
        second: if p.second_approval { "是" } else { "否" },
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "programmes.html")]
pub struct ListPage {
    layout: Layout,
    rows: Vec<ProgrammeRow>,
    can_import: bool,
    headers: Vec<&'static str>,
    error: Option<String>,
}

pub async fn list(State(app): State<App>, PageUser(s): PageUser) -> Result<ListPage, AppError> {
    let rows = app.store.programmes().list(s.scope()).await?;
    Ok(ListPage {
        layout: Layout::for_session(&s, "服务项目", HERE),
        rows: rows.iter().map(row).collect(),
        can_import: s.scope().role().sets_policy(),
        headers: COLUMNS.iter().map(|(h, _, _)| *h).collect(),
        error: None,
    })
}

fn may_import(s: &Session) -> Result<(), AppError> {
    if s.scope().role().sets_policy() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn template(PageUser(s): PageUser) -> Result<Response, AppError> {
    may_import(&s)?;
    let columns: Vec<anju_io::TemplateColumn> = COLUMNS
        .iter()
        .map(|(h, _, required)| {
            let (allowed, example) = column_help(h);
            anju_io::TemplateColumn {
                header: h,
                required: *required,
                allowed,
                example,
            }
        })
        .collect();
    let bytes = anju_io::template_xlsx(&columns).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::pages::xlsx_download(
        "template.xlsx",
        "服务项目导入模板.xlsx",
        bytes,
    ))
}

pub async fn import_upload(
    State(app): State<App>,
    PageUser(s): PageUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    may_import(&s)?;
    let multipart = multipart.map_err(|_| AppError::BadRequest("请以表格文件上传".into()))?;
    let u = match receive(&app, &s, multipart).await? {
        Ok(u) => u,
        Err(msg) => {
            let rows = app.store.programmes().list(s.scope()).await?;
            let page = ListPage {
                layout: Layout::for_session(&s, "服务项目", HERE),
                rows: rows.iter().map(row).collect(),
                can_import: true,
                headers: COLUMNS.iter().map(|(h, _, _)| *h).collect(),
                error: Some(msg.to_owned()),
            };
            return Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let (opts, _) = register(&app, &s, &u, "/programmes");
    let scope = s.scope().clone();
    let id = u.id.clone();
    tokio::spawn(async move {
        let work = {
            let (store, path) = (app.store.clone(), u.path.clone());
            async move { anju_jobs::import_programmes(&store, &scope, &path, &opts).await }
        };
        let result = app.jobs.in_turn(&u.id, work).await;
        finish(&app, &u.id, &u.path, result).await;
    });
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

#[derive(Deserialize, Default)]
pub struct EligibleQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    region: String,
}

pub struct EligibleRow {
    pub href: String,
    pub name: String,
    pub id_number: String,
    pub household: String,
    pub reasons: String,
}

/// Shown on the page at most; the export has everyone.
const SHOWN: usize = 200;

#[derive(Template, WebTemplate)]
#[template(path = "programme.html")]
pub struct ShowPage {
    layout: Layout,
    id: i64,
    p: ProgrammeRow,
    steps: Vec<(String, &'static str, String, String)>,
    q: EligibleQuery,
    regions: Vec<(String, String)>,
    /// None until a date is asked for.
    count: Option<usize>,
    rows: Vec<EligibleRow>,
    export_query: String,
    error: Option<String>,
}

fn reasons(e: &EligiblePerson) -> String {
    e.conditions
        .iter()
        .flat_map(anju_domain::programme::Explained::lines)
        .collect::<Vec<_>>()
        .join("；")
}

async fn eligible(
    app: &App,
    s: &Session,
    id: i64,
    q: &EligibleQuery,
) -> Result<(ProgrammeRecord, Option<Vec<EligiblePerson>>, Option<String>), AppError> {
    let rec = app.store.programmes().by_id(s.scope(), id).await?;
    if q.date.trim().is_empty() {
        return Ok((rec, None, None));
    }
    let Some(date) = parse_date(&q.date) else {
        let msg = format!("日期“{}”无效，应如2025-09-01", q.date);
        return Ok((rec, None, Some(msg)));
    };
    let region = Some(q.region.trim()).filter(|r| !r.is_empty());
    match app
        .store
        .programmes()
        .eligible(s.scope(), &rec.programme.name, date, region)
        .await
    {
        Ok(list) => Ok((rec, Some(list), None)),
        Err(anju_store::StoreError::NotFound(_)) => Ok((
            rec,
            None,
            Some(format!("区划“{}”不在您的管辖范围内", q.region)),
        )),
        Err(anju_store::StoreError::Region(e)) => Ok((rec, None, Some(e.to_string()))),
        Err(e) => Err(e.into()),
    }
}

pub async fn show(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Query(q): Query<EligibleQuery>,
) -> Result<Response, AppError> {
    let (rec, list, error) = eligible(&app, &s, id, &q).await?;
    let steps = rec
        .programme
        .steps
        .iter()
        .map(|st| {
            (
                st.name.clone(),
                st.actor.label(),
                st.limit_days
                    .map_or_else(|| "不限".into(), |d| format!("{d}个工作日")),
                st.fields.join("、"),
            )
        })
        .collect();
    let export_query =
        serde_urlencoded::to_string([("date", q.date.as_str()), ("region", q.region.as_str())])
            .unwrap_or_default();
    let status = if error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    let page = ShowPage {
        layout: Layout::for_session(&s, &rec.programme.name, HERE),
        id,
        p: row(&rec),
        steps,
        regions: crate::pages::region_choices(
            &s.scope().region().code,
            &[anju_domain::Level::County, anju_domain::Level::Town],
            3000,
        ),
        count: list.as_ref().map(Vec::len),
        rows: list
            .unwrap_or_default()
            .iter()
            .take(SHOWN)
            .map(|e| EligibleRow {
                href: format!("/persons/{}", e.person_id),
                name: e.name.clone(),
                id_number: e.id_number.clone(),
                household: anju_domain::RegionTable::jiangsu().name_of(&e.household_code),
                reasons: reasons(e),
            })
            .collect(),
        q,
        export_query,
        error,
    };
    Ok((status, page).into_response())
}

pub async fn export_eligible(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Query(q): Query<EligibleQuery>,
) -> Result<Response, AppError> {
    let (rec, list, error) = eligible(&app, &s, id, &q).await?;
    if let Some(e) = error {
        return Err(AppError::BadRequest(e));
    }
    let list = list.ok_or_else(|| AppError::BadRequest("请填写日期".into()))?;
    let path = app
        .work_dir
        .join(format!("eligible-{}.xlsx", anju_store::random_token()));
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let headers = ["序号", "姓名", "身份证号", "户籍地", "条件"];
    let write = || -> Result<(), anju_io::WriteError> {
        let mut w = anju_io::SheetWriter::create(&path, &headers)?;
        for (i, e) in list.iter().enumerate() {
            let n = (i + 1).to_string();
            let place = anju_domain::RegionTable::jiangsu().name_of(&e.household_code);
            let why = reasons(e);
            w.write_row(&[&n, &e.name, &e.id_number, &place, &why])?;
        }
        w.finish()
    };
    write().map_err(|e| AppError::Internal(e.to_string()))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let _ = tokio::fs::remove_file(&path).await;
    Ok(crate::pages::xlsx_download(
        "eligible.xlsx",
        &format!("{}符合条件名单{}.xlsx", rec.programme.name, q.date),
        bytes,
    ))
}
