//! The pages, in Chinese, one module per area. Every page extends `base.html`: header,
//! navigation by role, the region breadcrumbs, a main landmark and a skip link. Every page
//! works without JavaScript; forms post back and re-render with errors beside the fields.

pub mod audit;
mod certificates;
mod chart;
mod crosscheck;
mod employment;
mod home;
pub(crate) mod indicators;
pub(crate) mod jobs;
mod levy;
mod needs;
pub mod persons;
mod regions;
pub(crate) mod reports;
pub(crate) mod services;
mod session;
mod subsidy;
mod survey;
mod training;
mod users;
mod verify_keys;
pub(crate) mod visits;

use anju_domain::{RegionCode, Role};
use anju_store::Scope;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::routing::{get, post};

use crate::App;
use crate::auth::Session;
use crate::error::AppError;

/// A record's number from the path (a case, a course, a batch, a bill): anything that is not a
/// number is a page not found, in Chinese like every other, rather than the router's English
/// rejection of a typed path.
pub struct Key(pub i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Key {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(text) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        text.trim()
            .parse::<i64>()
            .map(Key)
            .map_err(|_| AppError::NotFound)
    }
}

pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(home::show))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route(
            "/password",
            get(session::password_form).post(session::change_password),
        )
        .route("/regions", get(regions::mine))
        .route("/regions/{code}", get(regions::show))
        .route("/users", get(users::list).post(users::create))
        .route("/users/new", get(users::new_form))
        .route("/users/{username}/disable", post(users::disable))
        .route("/users/{username}/enable", post(users::enable))
        .route("/users/{username}/unlock", post(users::unlock))
        .route("/users/{username}/provider", post(users::bind_provider))
        .route(
            "/users/{username}/reset-password",
            post(users::reset_password),
        )
        .route("/audit", get(audit::list))
        .route(
            "/persons",
            get(persons::list::list).post(persons::form::create),
        )
        .route("/persons/new", get(persons::form::new_form))
        .route("/persons/export", get(persons::list::export))
        .route(
            "/persons/import",
            get(persons::import::form)
                .post(persons::import::upload)
                .layer(axum::extract::DefaultBodyLimit::max(512 << 20)),
        )
        .route("/imports/{job}", get(persons::import::job))
        .route("/imports/{job}/status", get(persons::import::job_json))
        .route("/imports/{job}/errors", get(persons::import::errors_file))
        .route("/imports/{job}/confirm", post(persons::import::confirm))
        .route(
            "/persons/import/template.xlsx",
            get(persons::import::template),
        )
        .route(
            "/persons/{id}",
            get(persons::show::show).post(persons::form::update),
        )
        .route("/persons/{id}/edit", get(persons::form::edit_form))
        .route("/persons/{id}/reveal", post(persons::show::reveal))
        .route(
            "/certificates/applications",
            get(certificates::list).post(certificates::apply),
        )
        .route(
            "/certificates/applications/{id}",
            get(certificates::show).post(certificates::step),
        )
        .route(
            "/certificates/calendar",
            get(certificates::calendar).post(certificates::set_day),
        )
        .route(
            "/certificates/sessions",
            get(certificates::sessions).post(certificates::schedule),
        )
        .route("/certificates/sessions/{id}", get(certificates::session))
        .route(
            "/certificates/sessions/{id}/applicants",
            post(certificates::add_applicant),
        )
        .route(
            "/certificates/sessions/{id}/outcomes",
            post(certificates::record_outcomes),
        )
        .route(
            "/certificates/verification",
            get(certificates::campaigns).post(certificates::open_campaign),
        )
        .route(
            "/certificates/verification/{id}",
            get(certificates::campaign),
        )
        .route(
            "/certificates/verification/{id}/export",
            get(certificates::export_campaign),
        )
        .route(
            "/certificates/verification/items/{item}",
            post(certificates::record_item),
        )
        .route("/subsidies", get(subsidy::overview))
        .route(
            "/subsidies/import/{table}/template.xlsx",
            get(subsidy::import_template),
        )
        .route(
            "/subsidies/import/{table}",
            get(subsidy::import_form)
                .post(subsidy::import_upload)
                .layer(axum::extract::DefaultBodyLimit::max(512 << 20)),
        )
        .route("/subsidies/rolls", post(subsidy::generate))
        .route("/subsidies/rolls/{month}/{region}", get(subsidy::show_roll))
        .route(
            "/subsidies/rolls/{month}/{region}/approve",
            post(subsidy::approve_roll),
        )
        .route(
            "/subsidies/rolls/{month}/{region}/export",
            get(subsidy::export_roll),
        )
        .route(
            "/subsidies/rolls/{month}/{region}/lines.xlsx",
            get(subsidy::export_lines),
        )
        .route(
            "/subsidies/rolls/{month}/{region}/reconcile",
            post(subsidy::reconcile_upload).layer(axum::extract::DefaultBodyLimit::max(64 << 20)),
        )
        .route("/subsidies/recoveries", get(subsidy::recoveries))
        .route(
            "/subsidies/recoveries/{id}/close",
            post(subsidy::close_recovery),
        )
        .merge(services::routes())
        .merge(levy::routes())
        .merge(employment::routes())
        .merge(jobs::routes())
        .merge(crosscheck::routes())
        .merge(verify_keys::routes())
        .merge(training::routes())
        .merge(visits::routes())
        .merge(needs::routes())
        .merge(survey::routes())
        .merge(indicators::routes())
        .merge(reports::routes())
        .fallback(not_found)
}

async fn not_found() -> AppError {
    AppError::NotFound
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

pub struct Crumb {
    pub label: String,
    /// `None` for regions above the user's own (shown, not linked) and for the current page.
    pub href: Option<String>,
}

/// What the base layout needs to know about the page and its viewer.
pub struct Layout {
    pub title: String,
    pub user: Option<Viewer>,
    pub nav: Vec<NavItem>,
    pub crumbs: Vec<Crumb>,
}

pub struct Viewer {
    pub username: String,
    pub role_label: &'static str,
    pub region_name: String,
    pub csrf: String,
}

impl Layout {
    /// A page for nobody logged in (login, errors).
    pub fn public(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            user: None,
            nav: Vec::new(),
            crumbs: Vec::new(),
        }
    }

    /// A page for a logged-in user; `here` is the navigation entry to mark current.
    pub fn for_session(session: &Session, title: &str, here: &str) -> Self {
        let scope = session.scope();
        let mut nav = vec![
            NavItem {
                href: "/",
                label: "工作台",
                current: false,
            },
            NavItem {
                href: "/regions",
                label: "行政区划",
                current: false,
            },
        ];
        if scope.role().reads_persons() {
            nav.push(NavItem {
                href: "/persons",
                label: "残疾人档案",
                current: false,
            });
        }
        if scope.role().reads_persons() {
            nav.push(NavItem {
                href: "/certificates/applications",
                label: "残疾人证办理",
                current: false,
            });
            nav.push(NavItem {
                href: "/subsidies",
                label: "两项补贴",
                current: false,
            });
            nav.push(NavItem {
                href: "/cases",
                label: "服务个案",
                current: false,
            });
            nav.push(NavItem {
                href: "/visits",
                label: "入户访视",
                current: false,
            });
        }
        if scope.role().reads_persons() {
            nav.push(NavItem {
                href: "/jobs",
                label: "就业服务",
                current: false,
            });
        }
        if scope.role().reads_persons() {
            nav.push(NavItem {
                href: "/indicators",
                label: "规划指标",
                current: false,
            });
        }
        if scope.role().reads_persons() {
            nav.push(NavItem {
                href: "/crosscheck",
                label: "数据比对",
                current: false,
            });
        }
        if scope.role().manages_services() {
            nav.push(NavItem {
                href: "/levy",
                label: "就业保障金",
                current: false,
            });
        }
        if scope.role() == Role::Provider {
            // A provider's account: the cases assigned to its provider.
            nav.push(NavItem {
                href: "/cases",
                label: "服务个案",
                current: false,
            });
        }
        if scope.role().manages_users() {
            nav.push(NavItem {
                href: "/users",
                label: "用户管理",
                current: false,
            });
        }
        if scope.role().manages_users() {
            nav.push(NavItem {
                href: "/verify-keys",
                label: "证照核验",
                current: false,
            });
        }
        if scope.role().reads_audit() {
            nav.push(NavItem {
                href: "/audit",
                label: "审计日志",
                current: false,
            });
        }
        nav.push(NavItem {
            href: "/password",
            label: "修改密码",
            current: false,
        });
        if session.auth.must_change_password {
            // Until the generated password is replaced, nothing else is open.
            nav.retain(|i| i.href == "/password");
        }
        for item in &mut nav {
            item.current = item.href == here;
        }
        Self {
            title: title.to_owned(),
            user: Some(Viewer {
                username: scope.username().to_owned(),
                role_label: scope.role().label(),
                region_name: scope.region().name.clone(),
                csrf: session.auth.csrf_token.clone(),
            }),
            nav,
            crumbs: region_crumbs(scope, &scope.region().code, false),
        }
    }

    pub fn with_crumbs(mut self, crumbs: Vec<Crumb>) -> Self {
        self.crumbs = crumbs;
        self
    }

    pub fn csrf(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.csrf.as_str())
    }
}

/// The path from the province to `code`: regions inside the scope link to their page,
/// those above it are shown as plain text; the last is the current one when `last_current`.
pub fn region_crumbs(scope: &Scope, code: &RegionCode, last_current: bool) -> Vec<Crumb> {
    let table = anju_domain::RegionTable::jiangsu();
    let path = table.path(code);
    let n = path.len();
    path.into_iter()
        .enumerate()
        .map(|(i, r)| Crumb {
            label: r.name.clone(),
            href: (scope.covers(&r.code) && !(last_current && i + 1 == n))
                .then(|| format!("/regions/{}", r.code)),
        })
        .collect()
}

/// The regions under `root` (itself included when its level is wanted) at the `levels`
/// asked for, level by level, as (code, "town › village") for a `<datalist>`: a region is
/// picked by its name, not typed as 12 digits. Stops going deeper once `max` would be passed
/// (a province's 22,000 villages stay out of a page; their code can still be typed).
pub fn region_choices(
    root: &anju_domain::RegionCode,
    levels: &[anju_domain::Level],
    max: usize,
) -> Vec<(String, String)> {
    let t = anju_domain::RegionTable::jiangsu();
    let Ok(top) = t.current(root.as_str()) else {
        return Vec::new();
    };
    let label = |r: &anju_domain::Region| -> String {
        t.path(&r.code)
            .iter()
            .skip_while(|p| p.code != top.code)
            .skip(1)
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(" › ")
    };
    let mut out = Vec::new();
    if levels.contains(&top.level) {
        out.push((top.code.to_string(), top.name.clone()));
    }
    let mut frontier: Vec<&anju_domain::Region> = vec![top];
    loop {
        let next: Vec<&anju_domain::Region> =
            frontier.iter().flat_map(|r| t.children(&r.code)).collect();
        if next.is_empty() {
            break;
        }
        let wanted: Vec<&&anju_domain::Region> =
            next.iter().filter(|r| levels.contains(&r.level)).collect();
        if out.len() + wanted.len() > max {
            break;
        }
        out.extend(wanted.iter().map(|r| (r.code.to_string(), label(r))));
        frontier = next;
    }
    out
}

/// An XLSX file to download: `ascii` is the name for old browsers, `name` the Chinese one.
pub fn xlsx_download(ascii: &str, name: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    persons::list::utf8_percent(name)
                ),
            ),
        ],
        axum::body::Body::from(bytes),
    )
        .into_response()
}

/// A sheet of `rows` under `headers` as an XLSX download (written in the work directory,
/// read back, removed).
pub async fn sheet_download(
    app: &crate::App,
    ascii: &str,
    name: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<axum::response::Response, AppError> {
    anju_io::private::create_dir(&app.work_dir).map_err(|e| AppError::Internal(e.to_string()))?;
    let path = app
        .work_dir
        .join(format!("sheet-{}.xlsx", anju_store::random_token()));
    let write = || -> Result<(), anju_io::WriteError> {
        let mut w = anju_io::SheetWriter::create(&path, headers)?;
        for r in rows {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            w.write_row(&cells)?;
        }
        w.finish()
    };
    let written = write();
    let bytes = match written {
        Ok(()) => tokio::fs::read(&path).await,
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(AppError::Internal(e.to_string()));
        }
    };
    let _ = tokio::fs::remove_file(&path).await;
    let bytes = bytes.map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(xlsx_download(ascii, name, bytes))
}

/// A time in Beijing time, to the second.
pub fn beijing(ms: i64) -> String {
    anju_domain::time::beijing(ms)
}

/// The label of a role for templates.
pub fn role_label(role: Role) -> &'static str {
    role.label()
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub message: String,
}

pub fn error_page(e: &AppError, viewer: Option<&Session>) -> ErrorPage {
    let title = match e.status().as_u16() {
        403 => "无权访问",
        404 => "页面不存在",
        400 => "请求有误",
        _ => "系统错误",
    };
    ErrorPage {
        layout: viewer.map_or_else(
            || Layout::public(title),
            |s| Layout::for_session(s, title, ""),
        ),
        status: e.status().as_u16(),
        message: e.message(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_beijing_time() {
        assert_eq!(beijing(0), "1970-01-01 08:00:00");
        assert_eq!(beijing(1_700_000_000_000), "2023-11-15 06:13:20");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod region_choice_tests {
    use anju_domain::{Level, RegionCode};

    use super::region_choices;

    #[test]
    fn regions_are_offered_by_name_down_to_what_a_page_can_hold() {
        let county = RegionCode::parse("320102000000").unwrap();
        let picks = region_choices(&county, &[Level::Town, Level::Village], 3000);
        assert!(picks.contains(&(
            "320102002001".to_owned(),
            "梅园新村街道 › 梅园新村社区居委会".to_owned()
        )));
        assert!(
            picks.iter().all(|(c, _)| c != "320102000000"),
            "the county is not a household"
        );
        // A province offers its cities, counties and towns, not its 22,000 villages.
        let province = RegionCode::parse("320000000000").unwrap();
        let all = [
            Level::Province,
            Level::City,
            Level::County,
            Level::Town,
            Level::Village,
        ];
        let picks = region_choices(&province, &all, 3000);
        assert!(
            picks.len() > 1_500 && picks.len() <= 3000,
            "{}",
            picks.len()
        );
        assert!(
            picks
                .iter()
                .any(|(c, n)| c == "320102002000" && n.ends_with("梅园新村街道"))
        );
        assert!(picks.iter().all(|(c, _)| c != "320102002001"));
    }
}
