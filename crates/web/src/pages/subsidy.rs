//! The two subsidies' pages: the policy in force, the imports of their sheets, the monthly
//! rolls (generate, review by town and against the last approved month, approve, export the
//! bank file) and the recoveries to follow up.

use anju_domain::money::Fen;
use anju_domain::month::Month;
use anju_domain::subsidy::{AnyOf, Method};
use anju_jobs::Table;
use anju_store::{RollSummary, TownTotal};

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::{PageUser, Session};
use crate::pages::persons::import::{finish, receive, register};
use crate::pages::persons::show::recovery_reason;
use crate::pages::session::CsrfForm;
use crate::pages::{Layout, beijing};
use crate::{App, AppError};

const HERE: &str = "/subsidies";

fn table_of(name: &str) -> Result<Table, AppError> {
    Ok(match name {
        "events" => Table::Events,
        "assistance" => Table::Assistance,
        "grants" => Table::Grants,
        "standards" => Table::Standards,
        "dibao" => Table::Dibao,
        "calendar" => Table::Calendar,
        _ => return Err(AppError::NotFound),
    })
}

fn may_import(s: &Session, t: Table) -> Result<(), AppError> {
    let role = s.scope().role();
    let ok = match t {
        Table::Standards | Table::Dibao => role.sets_policy(),
        Table::Calendar => role.manages_users(),
        _ => role.imports_persons(),
    };
    if ok { Ok(()) } else { Err(AppError::Forbidden) }
}

fn may_read(s: &Session) -> Result<(), AppError> {
    if s.scope().role().reads_persons() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub struct ImportLink {
    pub href: &'static str,
    pub label: &'static str,
}

pub struct PolicyRow {
    pub cells: Vec<String>,
}

pub struct RollRow {
    pub href: String,
    pub month: String,
    pub region: String,
    pub status: &'static str,
    pub lines: i64,
    pub total: String,
    pub generated_by: String,
    pub approved_by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "subsidies.html")]
pub struct OverviewPage {
    layout: Layout,
    imports: Vec<ImportLink>,
    standards: Vec<PolicyRow>,
    dibao: Vec<PolicyRow>,
    exclusions: Vec<PolicyRow>,
    rolls: Vec<RollRow>,
    can_roll: bool,
    default_month: String,
    region_code: String,
}

fn any_list<T>(l: &AnyOf<T>, name: impl Fn(&T) -> String) -> String {
    match l {
        AnyOf::Any => "任意".into(),
        AnyOf::Only(v) => v.iter().map(name).collect::<Vec<_>>().join("、"),
    }
}

fn region_label(code: &str) -> String {
    anju_domain::RegionTable::jiangsu()
        .current(code)
        .map(|r| format!("{}（{}）", r.name, code))
        .unwrap_or_else(|_| code.to_owned())
}

fn roll_row(r: &RollSummary) -> RollRow {
    RollRow {
        href: format!("/subsidies/rolls/{}/{}", r.month, r.region_code),
        month: r.month.clone(),
        region: region_label(&r.region_code),
        status: if r.is_approved() {
            "已审批"
        } else {
            "草稿"
        },
        lines: r.line_count,
        total: Fen(r.total_fen).yuan(),
        generated_by: r.generated_by.clone(),
        approved_by: r.approved_by.clone().unwrap_or_default(),
    }
}

pub async fn overview(
    State(app): State<App>,
    PageUser(s): PageUser,
) -> Result<OverviewPage, AppError> {
    may_read(&s)?;
    let scope = s.scope();
    let sub = app.store.subsidies();
    let role = scope.role();
    let mut imports = Vec::new();
    if role.imports_persons() {
        imports.extend([
            ImportLink {
                href: "/subsidies/import/grants",
                label: "两项补贴享受名单",
            },
            ImportLink {
                href: "/subsidies/import/assistance",
                label: "社会救助状态（民政名单）",
            },
            ImportLink {
                href: "/subsidies/import/events",
                label: "死亡、迁出",
            },
        ]);
    }
    if role.sets_policy() {
        imports.extend([
            ImportLink {
                href: "/subsidies/import/standards",
                label: "补贴标准",
            },
            ImportLink {
                href: "/subsidies/import/dibao",
                label: "低保标准",
            },
        ]);
    }
    let standards = sub
        .standards(scope)
        .await?
        .iter()
        .map(|s| PolicyRow {
            cells: vec![
                s.seq.to_string(),
                region_label(&s.region_code),
                s.kind.label().into(),
                any_list(&s.assistance, |k| k.label().into()),
                any_list(&s.grades, |g| g.name().into()),
                any_list(&s.categories, |c| c.name().into()),
                s.locality.map_or("任意", |l| l.label()).into(),
                match s.method {
                    Method::Fixed(f) => format!("定额 {} 元", f.yuan()),
                    Method::DibaoShare(p) => format!("低保标准的 {p}%"),
                },
                format!(
                    "{} 至 {}",
                    s.from,
                    s.to.map_or_else(|| "今".to_owned(), |m| m.to_string())
                ),
            ],
        })
        .collect();
    let dibao = sub
        .dibao_standards(scope)
        .await?
        .iter()
        .map(|d| PolicyRow {
            cells: vec![
                region_label(&d.region_code),
                d.locality.label().into(),
                d.amount.yuan(),
                d.from.to_string(),
            ],
        })
        .collect();
    let exclusions = sub
        .exclusions(scope)
        .await?
        .iter()
        .map(|e| PolicyRow {
            cells: vec![
                e.assistance.label().into(),
                e.subsidy.label().into(),
                e.effect.label().into(),
            ],
        })
        .collect();
    let rolls = sub.rolls(scope).await?.iter().map(roll_row).collect();
    Ok(OverviewPage {
        layout: Layout::for_session(&s, "两项补贴", HERE),
        imports,
        standards,
        dibao,
        exclusions,
        rolls,
        can_roll: role.runs_rolls(),
        default_month: Month::of(app.store.today()).to_string(),
        region_code: scope.region().code.to_string(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "subsidy_import.html")]
pub struct ImportPage {
    layout: Layout,
    table: &'static str,
    /// Where the page leads back to, and the link's words.
    back: (&'static str, &'static str),
    headers: Vec<&'static str>,
    can_replace: bool,
    error: Option<String>,
}

fn import_page(s: &Session, name: &str, t: Table, error: Option<String>) -> ImportPage {
    ImportPage {
        layout: Layout::for_session(s, &format!("导入{}", t.label()), HERE),
        table: match name {
            "events" => "events",
            "assistance" => "assistance",
            "grants" => "grants",
            "standards" => "standards",
            "calendar" => "calendar",
            _ => "dibao",
        },
        back: if t == Table::Calendar {
            ("/certificates/calendar", "返回工作日历")
        } else {
            ("/subsidies", "返回两项补贴")
        },
        headers: t.headers(),
        can_replace: matches!(t, Table::Standards | Table::Dibao),
        error,
    }
}

/// The table's import template: headers, an example row, and what each column takes.
pub async fn import_template(
    PageUser(s): PageUser,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let t = table_of(&name)?;
    may_import(&s, t)?;
    let bytes =
        anju_io::template_xlsx(&t.template()).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::pages::xlsx_download(
        "template.xlsx",
        &format!("{}导入模板.xlsx", t.label()),
        bytes,
    ))
}

pub async fn import_form(
    PageUser(s): PageUser,
    Path(name): Path<String>,
) -> Result<ImportPage, AppError> {
    let t = table_of(&name)?;
    may_import(&s, t)?;
    Ok(import_page(&s, &name, t, None))
}

pub async fn import_upload(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(name): Path<String>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let t = table_of(&name)?;
    may_import(&s, t)?;
    let u = match receive(&app, &s, multipart).await? {
        Ok(u) => u,
        Err(msg) => {
            return Ok((
                axum::http::StatusCode::BAD_REQUEST,
                import_page(&s, &name, t, Some(msg.to_owned())),
            )
                .into_response());
        }
    };
    let (opts, _) = register(&app, &s, &u, &format!("/subsidies/import/{name}"));
    let scope = s.scope().clone();
    let id = u.id.clone();
    tokio::spawn(async move {
        let work = {
            let (store, path, replace) = (app.store.clone(), u.path.clone(), u.replace);
            async move { anju_jobs::import_table(&store, &scope, t, &path, &opts, replace).await }
        };
        let result = app.jobs.in_turn(&u.id, work).await;
        finish(&app, &u.id, &u.path, result).await;
    });
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct GenerateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    region: String,
}

pub async fn generate(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(f): Form<GenerateForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    if !s.scope().role().runs_rolls() {
        return Err(AppError::Forbidden);
    }
    let month = Month::parse(&f.month).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let r = app
        .store
        .subsidies()
        .generate_roll(
            s.scope(),
            month,
            Some(f.region.trim()).filter(|r| !r.is_empty()),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/subsidies/rolls/{}/{}?generated={}",
        r.roll.month,
        r.roll.region_code,
        r.stopped.len()
    ))
    .into_response())
}

pub struct TownRow {
    pub name: String,
    pub living_count: i64,
    pub living: String,
    pub care_count: i64,
    pub care: String,
}

pub struct DiffSection {
    pub title: &'static str,
    pub rows: Vec<DiffRow>,
}

pub struct DiffRow {
    pub id_number: String,
    pub name: String,
    pub kind: &'static str,
    pub before: String,
    pub after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "roll.html")]
pub struct RollPage {
    layout: Layout,
    roll: RollRow,
    approved: bool,
    towns: Vec<TownRow>,
    living_total: String,
    care_total: String,
    diff_month: Option<String>,
    diff_counts: (usize, usize, usize),
    diff: Vec<DiffSection>,
    can_approve: bool,
    can_export: bool,
    base: String,
    notice: Option<String>,
    failed: Vec<FailedRow>,
    /// Grants held for want of a 低保 standard: (household, 城乡, month, how many).
    held: Vec<(String, &'static str, String, usize)>,
    held_total: usize,
    /// Grants this roll stops, with the reason: (ID, subsidy, reason).
    stops: Vec<(String, &'static str, &'static str)>,
    /// Whether the viewer may import the 低保 standard (else the page says who may).
    can_import_dibao: bool,
    /// Why a draft has no line, when it has none.
    empty_reason: Option<String>,
    /// The page of the roll's lines the filters keep, and how many there are.
    lines: Vec<LineRow>,
    lines_total: usize,
    shared_total: usize,
    filter: LineQuery,
    town_choices: Vec<(String, String)>,
    lines_prev: Option<String>,
    lines_next: Option<String>,
}

/// A roll line as the page shows it.
pub struct LineRow {
    pub name: String,
    pub id_number: String,
    pub household: String,
    pub kind: &'static str,
    pub month: String,
    pub amount: String,
    pub rule: String,
    pub account: String,
    pub shared: bool,
}

/// The roll page's line filters: a town, a subsidy, only shared accounts, the page.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct LineQuery {
    pub town: String,
    pub kind: String,
    pub shared: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
}

impl LineQuery {
    fn filter(&self) -> Result<anju_store::LineFilter, AppError> {
        Ok(anju_store::LineFilter {
            prefix: Some(self.town.trim().to_owned()).filter(|t| !t.is_empty()),
            kind: match self.kind.as_str() {
                "" => None,
                k => Some(
                    anju_domain::subsidy::SubsidyKind::parse(k)
                        .ok_or_else(|| AppError::BadRequest(format!("补贴类型“{k}”无效")))?,
                ),
            },
            shared_only: self.shared == "1",
        })
    }

    fn href(&self, base: &str, page: usize) -> String {
        let mut q = self.clone();
        q.page = Some(page);
        format!(
            "{base}?{}#lines",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    }
}

const LINES_PER_PAGE: usize = 100;

fn line_row(l: &anju_store::LineView, whole: bool) -> LineRow {
    LineRow {
        name: l.name.clone(),
        id_number: masked(&l.id_number, whole),
        household: region_label(&l.household_code),
        kind: l.kind.label(),
        month: if l.arrears {
            format!("{}（补发）", l.month)
        } else {
            l.month.clone()
        },
        amount: Fen(l.amount_fen).yuan(),
        rule: l.rule.clone(),
        account: if whole {
            l.bank_account.clone()
        } else {
            anju_domain::mask::bank_account(&l.bank_account)
        },
        shared: l.shared_account,
    }
}

pub struct FailedRow {
    pub town: String,
    pub name: String,
    pub id_number: String,
    pub account: String,
    pub kind: &'static str,
    pub month: String,
    pub amount: String,
    pub reason: String,
}

fn masked(id: &str, whole: bool) -> String {
    if whole {
        id.to_owned()
    } else {
        anju_domain::mask::id_number(id)
    }
}

async fn roll_page(
    app: &App,
    s: &Session,
    month: &str,
    region: &str,
    notice: Option<String>,
    filter: LineQuery,
) -> Result<RollPage, AppError> {
    may_read(s)?;
    let month = Month::parse(month).map_err(|_| AppError::NotFound)?;
    let scope = s.scope();
    let roll = app.store.subsidies().roll(scope, month, region).await?;
    let whole = scope.role().sees_identifiers();
    let all_lines = app
        .store
        .subsidies()
        .roll_lines(scope, month, region, &filter.filter()?)
        .await?;
    let shared_total = all_lines.iter().filter(|l| l.shared_account).count();
    let page = filter.page.unwrap_or(1).max(1);
    let pages = all_lines.len().div_ceil(LINES_PER_PAGE).max(1);
    let page = page.min(pages);
    let lines: Vec<LineRow> = all_lines
        .iter()
        .skip((page - 1) * LINES_PER_PAGE)
        .take(LINES_PER_PAGE)
        .map(|l| line_row(l, whole))
        .collect();
    let base_path = format!("/subsidies/rolls/{month}/{}", roll.summary.region_code);
    let lines_prev = (page > 1).then(|| filter.href(&base_path, page - 1));
    let lines_next = (page < pages).then(|| filter.href(&base_path, page + 1));
    let town_choices = roll
        .towns
        .iter()
        .map(|t| (t.town_code[..9].to_owned(), t.town_name.clone()))
        .collect();
    let sum = |f: fn(&TownTotal) -> i64| Fen(roll.towns.iter().map(f).sum()).yuan();
    let diff_row = |id: &str,
                    name: &str,
                    kind: anju_domain::subsidy::SubsidyKind,
                    b: Option<i64>,
                    a: Option<i64>| DiffRow {
        id_number: masked(id, whole),
        name: name.to_owned(),
        kind: kind.label(),
        before: b.map(|f| Fen(f).yuan()).unwrap_or_default(),
        after: a.map(|f| Fen(f).yuan()).unwrap_or_default(),
    };
    let (diff_month, new, stopped, changed): (
        Option<String>,
        Vec<DiffRow>,
        Vec<DiffRow>,
        Vec<DiffRow>,
    ) = match &roll.diff {
        Some(d) => (
            Some(d.against_month.clone()),
            d.new
                .iter()
                .map(|(i, n, k, a)| diff_row(i, n, *k, None, Some(*a)))
                .collect(),
            d.stopped
                .iter()
                .map(|(i, n, k, b)| diff_row(i, n, *k, Some(*b), None))
                .collect(),
            d.changed
                .iter()
                .map(|(i, n, k, b, a)| diff_row(i, n, *k, Some(*b), Some(*a)))
                .collect(),
        ),
        None => (None, Vec::new(), Vec::new(), Vec::new()),
    };
    if roll.diff.is_some() || !roll.towns.is_empty() {
        app.store
            .persons()
            .record_view(
                scope,
                "subsidy.roll_view",
                format!("roll:{}", roll.summary.id),
                format!("{} {}", roll.summary.month, roll.summary.region_code),
            )
            .await?;
    }
    let runs = scope.role().runs_rolls();
    let failed = app
        .store
        .subsidies()
        .failed_lines(scope, month, region)
        .await?
        .into_iter()
        .map(|f| FailedRow {
            town: f.town_name,
            name: f.name,
            id_number: masked(&f.id_number, whole),
            account: if whole {
                f.bank_account
            } else {
                anju_domain::mask::bank_account(&f.bank_account)
            },
            kind: f.kind.label(),
            month: f.month,
            amount: f.amount.yuan(),
            reason: f.reason,
        })
        .collect();
    let mut held: Vec<(String, &'static str, String, usize)> = Vec::new();
    for h in &roll.held {
        let key = (
            format!(
                "{}（{}）",
                region_label(&h.household_code),
                h.household_code
            ),
            h.locality.label(),
            h.month.to_string(),
        );
        match held
            .iter_mut()
            .find(|g| (&g.0, g.1, &g.2) == (&key.0, key.1, &key.2))
        {
            Some(g) => g.3 += 1,
            None => held.push((key.0, key.1, key.2, 1)),
        }
    }
    let empty_reason = (roll.summary.line_count == 0 && roll.held.is_empty()).then(|| {
        format!(
            "本名册没有发放行：辖区内没有在 {} 应发的补贴。请确认已导入两项补贴享受名单（补贴起止月份包含本月），\
             以及享受人员的残疾人证、生存状态和救助状态。",
            roll.summary.month
        )
    });
    Ok(RollPage {
        stops: roll
            .stopped
            .iter()
            .map(|x| {
                (
                    masked(&x.id_number, whole),
                    x.kind.label(),
                    x.reason.label(),
                )
            })
            .collect(),
        lines_total: all_lines.len(),
        lines,
        shared_total,
        filter,
        town_choices,
        lines_prev,
        lines_next,
        held_total: roll.held.len(),
        held,
        can_import_dibao: scope.role().sets_policy(),
        empty_reason,
        failed,
        layout: Layout::for_session(
            s,
            &format!(
                "{} {} 发放名册",
                region_label(&roll.summary.region_code),
                roll.summary.month
            ),
            HERE,
        ),
        approved: roll.summary.is_approved(),
        can_approve: runs
            && !roll.summary.is_approved()
            && roll.summary.generated_by != scope.username()
            && roll.held.is_empty(),
        can_export: runs && roll.summary.is_approved(),
        base: format!(
            "/subsidies/rolls/{}/{}",
            roll.summary.month, roll.summary.region_code
        ),
        roll: {
            let names = app.store.users().display_names().await?;
            let mut r = roll_row(&roll.summary);
            for who in [&mut r.generated_by, &mut r.approved_by] {
                if let Some(n) = names.get(who.as_str()) {
                    *who = n.clone();
                }
            }
            r
        },
        living_total: sum(|t| t.living_fen),
        care_total: sum(|t| t.care_fen),
        towns: roll
            .towns
            .iter()
            .map(|t| TownRow {
                name: t.town_name.clone(),
                living_count: t.living_count,
                living: Fen(t.living_fen).yuan(),
                care_count: t.care_count,
                care: Fen(t.care_fen).yuan(),
            })
            .collect(),
        diff_month,
        diff_counts: (new.len(), stopped.len(), changed.len()),
        diff: [("新增", new), ("停发", stopped), ("金额变化", changed)]
            .into_iter()
            .filter(|(_, rows)| !rows.is_empty())
            .map(|(title, mut rows)| {
                rows.truncate(500);
                DiffSection { title, rows }
            })
            .collect(),
        notice,
    })
}

pub async fn show_roll(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path((month, region)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<RollPage, AppError> {
    let filter = LineQuery {
        town: q.get("town").cloned().unwrap_or_default(),
        kind: q.get("kind").cloned().unwrap_or_default(),
        shared: q.get("shared").cloned().unwrap_or_default(),
        page: q.get("page").and_then(|p| p.parse().ok()),
    };
    let notice = if q.contains_key("approved") {
        Some("名册已审批，已冻结，可以导出银行发放文件。".to_owned())
    } else {
        q.get("generated")
            .map(|n| format!("名册草稿已生成（本月停发 {n} 项，详见下方与上月的差异）。"))
    };
    roll_page(&app, &s, &month, &region, notice, filter).await
}

/// The roll's lines the filters keep, as XLSX (masked unless the role sees numbers whole;
/// audited as an export).
pub async fn export_lines(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path((month, region)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<LineQuery>,
) -> Result<Response, AppError> {
    may_read(&s)?;
    let m = Month::parse(&month).map_err(|_| AppError::NotFound)?;
    let scope = s.scope();
    let lines = app
        .store
        .subsidies()
        .roll_lines(scope, m, &region, &q.filter()?)
        .await?;
    let whole = scope.role().sees_identifiers();
    let dir = &app.work_dir;
    anju_io::private::create_dir(dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let path = dir.join(format!("lines-{}.xlsx", anju_store::random_token()));
    let headers = [
        "户籍地",
        "姓名",
        "身份证号",
        "补贴",
        "月份",
        "金额（元）",
        "计发规则",
        "发放账号",
        "共用账号",
    ];
    let write = || -> Result<(), anju_io::WriteError> {
        let mut w = anju_io::SheetWriter::create(&path, &headers)?;
        for l in &lines {
            let r = line_row(l, whole);
            w.write_row(&[
                r.household.as_str(),
                &r.name,
                &r.id_number,
                r.kind,
                &r.month,
                &r.amount,
                &r.rule,
                &r.account,
                if r.shared { "是" } else { "" },
            ])?;
        }
        w.finish()
    };
    write().map_err(|e| AppError::Internal(e.to_string()))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let _ = tokio::fs::remove_file(&path).await;
    app.store
        .persons()
        .record_view(
            scope,
            "person.export",
            format!("roll_lines:{month}:{region}"),
            format!("{}行", lines.len()),
        )
        .await?;
    Ok(crate::pages::xlsx_download(
        "roll-lines.xlsx",
        &format!("名册明细-{region}-{month}.xlsx"),
        bytes,
    ))
}

pub async fn approve_roll(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path((month, region)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let m = Month::parse(&month).map_err(|_| AppError::NotFound)?;
    let r = app
        .store
        .subsidies()
        .approve_roll(s.scope(), m, Some(&region))
        .await?;
    Ok(Redirect::to(&format!(
        "/subsidies/rolls/{}/{}?approved=1",
        r.month, r.region_code
    ))
    .into_response())
}

/// The bank's return of an approved roll, uploaded and applied as a job.
pub async fn reconcile_upload(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path((month, region)): Path<(String, String)>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    if !s.scope().role().runs_rolls() {
        return Err(AppError::Forbidden);
    }
    let m = Month::parse(&month).map_err(|_| AppError::NotFound)?;
    // Outside the subtree the roll does not exist, before any upload is taken.
    let r = app
        .store
        .regions()
        .current(&region)
        .map_err(|_| AppError::NotFound)?;
    if !s.scope().covers(&r.code) {
        return Err(AppError::NotFound);
    }
    let base = format!("/subsidies/rolls/{month}/{region}");
    let multipart = multipart.map_err(|e| AppError::BadRequest(format!("上传未完成：{e}")))?;
    let u = match receive(&app, &s, multipart).await? {
        Ok(u) => u,
        Err(msg) => return Err(AppError::BadRequest(msg.to_owned())),
    };
    let (opts, _) = register(&app, &s, &u, &base);
    let scope = s.scope().clone();
    let id = u.id.clone();
    tokio::spawn(async move {
        let work = {
            let (store, path) = (app.store.clone(), u.path.clone());
            async move {
                anju_jobs::reconcile_file(&store, &scope, m, Some(&region), &path, &opts).await
            }
        };
        let result = app.jobs.in_turn(&u.id, work).await;
        finish(&app, &u.id, &u.path, result).await;
    });
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

pub async fn export_roll(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path((month, region)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let m = Month::parse(&month).map_err(|_| AppError::NotFound)?;
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let path = app
        .work_dir
        .join(format!("bank-{}.xlsx", anju_store::random_token()));
    let result = anju_jobs::export_roll(&app.store, s.scope(), m, Some(&region), &path).await;
    let bytes = std::fs::read(&path);
    let _ = std::fs::remove_file(&path);
    match result {
        Ok(_) => {}
        Err(anju_jobs::ExportError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(AppError::Internal(e.to_string())),
    }
    let bytes = bytes.map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!("银行发放文件-{region}-{month}.xlsx");
    Ok(crate::pages::xlsx_download("bank.xlsx", &name, bytes))
}

pub struct RecoveryRow {
    pub id: i64,
    pub person_href: String,
    pub name: String,
    pub id_number: String,
    pub kind: &'static str,
    pub month: String,
    pub amount: String,
    pub reason: &'static str,
    pub open: bool,
    pub opened: String,
    pub closed: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "recoveries.html")]
pub struct RecoveriesPage {
    layout: Layout,
    rows: Vec<RecoveryRow>,
    open_total: String,
    can_close: bool,
}

pub async fn recoveries(
    State(app): State<App>,
    PageUser(s): PageUser,
) -> Result<RecoveriesPage, AppError> {
    may_read(&s)?;
    let scope = s.scope();
    let list = app.store.subsidies().recoveries(scope).await?;
    let whole = scope.role().sees_identifiers();
    let open_total = Fen(list
        .iter()
        .filter(|r| r.status == "open")
        .map(|r| r.amount.fen())
        .sum())
    .yuan();
    if !list.is_empty() {
        app.store
            .persons()
            .record_view(
                scope,
                "subsidy.recoveries_view",
                "recoveries".into(),
                format!("{}条", list.len()),
            )
            .await?;
    }
    let rows = list
        .into_iter()
        .map(|r| RecoveryRow {
            id: r.id,
            person_href: format!("/persons/{}", r.person_id),
            id_number: masked(&r.id_number, whole),
            name: r.name,
            kind: r.kind.label(),
            month: r.month,
            amount: r.amount.yuan(),
            reason: recovery_reason(&r.reason),
            open: r.status == "open",
            opened: beijing(r.opened_at),
            closed: match (r.closed_at, r.closed_by, r.note) {
                (Some(at), by, note) => format!(
                    "{} {} {}",
                    beijing(at),
                    by.unwrap_or_default(),
                    note.unwrap_or_default()
                ),
                _ => String::new(),
            },
        })
        .collect();
    Ok(RecoveriesPage {
        layout: Layout::for_session(&s, "追回记录（应退则退）", HERE),
        rows,
        open_total,
        can_close: scope.role().runs_rolls(),
    })
}

#[derive(Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

pub async fn close_recovery(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
    Form(f): Form<CloseForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    app.store
        .subsidies()
        .close_recovery(s.scope(), id, &f.note)
        .await?;
    Ok(Redirect::to("/subsidies/recoveries").into_response())
}
