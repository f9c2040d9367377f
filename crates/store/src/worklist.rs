//! The worklist (工作台待办): what is due in a user's subtree, nearest deadline first —
//! certificates expiring within the rules' window or already expired, frozen certificates,
//! subsidy rolls awaiting approval, recoveries open — with counts per town for city and
//! county staff.

use anju_domain::month::Month;
use anju_domain::{Level, RegionTable};
use chrono::{Days, NaiveDate};
use serde::Serialize;
use sqlx::Row;

use crate::sql::{Arg, Where};
use crate::{Result, Scope, Store};

/// One line of the worklist, linking to where the action is taken.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkItem {
    pub kind: &'static str,
    pub label: String,
    pub count: i64,
    /// The nearest deadline, when there is one.
    pub due: Option<NaiveDate>,
    pub overdue: bool,
    pub href: String,
}

/// A town's open work.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct TownLoad {
    pub town_code: String,
    pub town_name: String,
    pub expiring: i64,
    pub expired: i64,
    pub frozen: i64,
    pub recoveries: i64,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Worklist {
    pub items: Vec<WorkItem>,
    pub towns: Vec<TownLoad>,
}

/// A worklist that took longer than this to count is kept for [`KEPT`].
const SLOW_WORKLIST: std::time::Duration = std::time::Duration::from_millis(300);
const KEPT: std::time::Duration = std::time::Duration::from_secs(60);

/// Worklists that were slow to count, by role, region and day.
#[derive(Default)]
pub(crate) struct WorklistCache(
    std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Worklist)>>,
);

impl WorklistCache {
    fn get(&self, key: &str) -> Option<Worklist> {
        let mut m = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        m.retain(|_, (at, _)| at.elapsed() < KEPT);
        m.get(key).map(|(_, w)| w.clone())
    }

    fn put(&self, key: String, w: Worklist) {
        let mut m = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        m.insert(key, (std::time::Instant::now(), w));
    }
}

/// The file has a renewal under way (an application in an open state, as the domain says).
fn renewing() -> String {
    format!(
        "EXISTS (SELECT 1 FROM certificate_applications a WHERE a.person_id = persons.id \
         AND a.kind = 'renewal' AND a.state IN {})",
        anju_domain::application::AppState::open_sql()
    )
}

fn date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|d| d.parse().ok())
}

impl Store {
    /// The worklist of `scope`'s user on the store's today. A list that took long to count
    /// (a province or a large city: counts over a whole registry) is kept a minute for the
    /// same role and region, so that a busy home page does not count again for every visit.
    pub async fn worklist(&self, scope: &Scope) -> Result<Worklist> {
        let key = format!(
            "{}:{}:{}",
            scope.role.as_str(),
            scope.region.code,
            self.today()
        );
        if let Some(w) = self.worklist_cache().get(&key) {
            return Ok(w);
        }
        let started = std::time::Instant::now();
        let w = self.count_worklist(scope).await?;
        if started.elapsed() > SLOW_WORKLIST {
            self.worklist_cache().put(key, w.clone());
        }
        Ok(w)
    }

    async fn count_worklist(&self, scope: &Scope) -> Result<Worklist> {
        let mut out = Worklist::default();
        if scope.role == anju_domain::Role::Provider {
            // A provider's account: the steps of its own cases, nothing else.
            out.items = crate::cases::work_items(self, scope, self.today()).await?;
            return Ok(out);
        }
        if !scope.role.reads_persons() {
            return Ok(out);
        }
        let today = self.today();
        let rules = self.certificates().rules().await?;
        let horizon = today + Days::new(u64::from(rules.expiring_days));
        let backend = self.backend();
        let prefix = scope.prefix().to_owned();
        // Certificates: expiring, expired (still active), frozen; with the nearest date.
        let cert = |cond: &str, args: Vec<Arg>| {
            let mut w = Where::default();
            w.push_prefix(backend, "household_code", &prefix);
            w.push_plain("life_status = 'living'");
            let mut args = args.into_iter();
            for part in cond.split(" AND ") {
                let part = part.replace("RENEWING", &renewing());
                if part.contains('?') {
                    w.push(&part, args.next().unwrap_or(Arg::Int(0)));
                } else {
                    w.push_plain(part.to_owned());
                }
            }
            w
        };
        // A certificate whose renewal is under way is not "尚未换领": it is counted apart.
        let queries = [
            (
                "expiring",
                cert(
                    "cert_state = 'active' AND cert_valid_to >= ? AND cert_valid_to <= ? AND NOT RENEWING",
                    vec![Arg::Text(today.to_string()), Arg::Text(horizon.to_string())],
                ),
                "/persons?cert_status=expiring",
            ),
            (
                "expired",
                cert(
                    "cert_state = 'active' AND cert_valid_to < ? AND NOT RENEWING",
                    vec![Arg::Text(today.to_string())],
                ),
                "/persons?cert_status=expired",
            ),
            (
                "renewing",
                cert(
                    "cert_state = 'active' AND cert_valid_to <= ? AND RENEWING",
                    vec![Arg::Text(horizon.to_string())],
                ),
                "/certificates/applications",
            ),
            (
                "frozen",
                cert("cert_state = 'frozen'", vec![]),
                "/persons?cert_status=frozen",
            ),
        ];
        for (kind, w, href) in queries {
            let sql = format!(
                "SELECT COUNT(*) AS n, MIN(cert_valid_to) AS due FROM persons WHERE {}",
                w.sql()
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in &w.args {
                q = a.bind(q);
            }
            let row = q.fetch_one(self.pool()).await?;
            let n: i64 = row.try_get("n")?;
            if n == 0 {
                continue;
            }
            let due = date(row.try_get("due")?);
            let (label, due) = match kind {
                "expiring" => (
                    format!(
                        "{n} 本残疾人证将在 {} 天内到期，请通知换领",
                        rules.expiring_days
                    ),
                    due,
                ),
                "expired" => (format!("{n} 本残疾人证已过有效期，尚未换领"), due),
                "renewing" => (
                    format!("{n} 本到期或即将到期的残疾人证正在换领，请跟进办理"),
                    None,
                ),
                _ => (format!("{n} 本残疾人证已冻结（户籍迁出未办理迁移）"), None),
            };
            out.items.push(WorkItem {
                kind,
                label,
                count: n,
                overdue: kind == "expired",
                due,
                href: href.into(),
            });
        }
        // Files to complete: 多重 without its components (accepted by an import with a warning).
        {
            let mut w = Where::default();
            w.push_prefix(backend, "household_code", &prefix);
            w.push_plain(crate::persons::INCOMPLETE);
            let sql = format!("SELECT COUNT(*) AS n FROM persons WHERE {}", w.sql());
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in &w.args {
                q = a.bind(q);
            }
            let n: i64 = q.fetch_one(self.pool()).await?.try_get("n")?;
            if n > 0 {
                out.items.push(WorkItem {
                    kind: "incomplete",
                    label: format!("{n} 份档案残疾类别为多重但未填写组成，请补录各类残疾及等级"),
                    count: n,
                    due: None,
                    overdue: false,
                    href: "/persons?quality=components_missing".into(),
                });
            }
        }
        // Rolls awaiting approval, for the staff who approve them.
        if scope.role.runs_rolls() {
            let mut w = Where::default();
            w.push_prefix(backend, "region_code", &prefix);
            let sql = format!(
                "SELECT month, region_code, generated_by, line_count FROM rolls \
                 WHERE status = 'draft' AND {} ORDER BY month",
                w.sql()
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in &w.args {
                q = a.bind(q);
            }
            let this_month = Month::of(today);
            for r in q.fetch_all(self.pool()).await? {
                let month: String = r.try_get("month")?;
                let region: String = r.try_get("region_code")?;
                let by: String = r.try_get("generated_by")?;
                let lines: i64 = r.try_get("line_count")?;
                let m = Month::parse(&month).ok();
                let name = RegionTable::jiangsu().name_of(&region);
                let mine = by == scope.username;
                out.items.push(WorkItem {
                    kind: "roll",
                    label: if mine {
                        format!("{name} {month} 发放名册（{lines}行）待他人审批")
                    } else {
                        format!("{name} {month} 发放名册（{lines}行，{by} 生成）待审批")
                    },
                    count: 1,
                    due: m.map(|m| m.next().first_day().pred_opt().unwrap_or(today)),
                    overdue: m.is_some_and(|m| m < this_month),
                    href: format!("/subsidies/rolls/{month}/{region}"),
                });
            }
        }
        // Applications waiting on this role: each with its deadline, if it has one.
        {
            use anju_domain::Role;
            use anju_domain::application::{AppState, Application};
            let cal = self.certificates().calendar().await?;
            let role = scope.role;
            let county = matches!(role, Role::Admin | Role::County);
            let local = matches!(
                role,
                Role::Admin | Role::County | Role::Town | Role::Village
            );
            let city = matches!(role, Role::Admin | Role::City);
            let mut apps = Vec::new();
            for a in self.applications().list(scope, None).await? {
                let who = format!("{} {}申请", a.name, a.kind.label());
                let (mine, label, due) = match a.state {
                    AppState::Applied if a.kind.needs_assessment() => {
                        (county, format!("{who}待录入评定结果"), None)
                    }
                    AppState::Applied => (county, format!("{who}待审核"), None),
                    AppState::Assessed => (local, format!("{who}已评定，待在村（社区）公示"), None),
                    AppState::Noticed => {
                        let end = Application::notice_end(&cal, a.since);
                        if today <= end {
                            (true, format!("{who}公示中，{end} 公示期满"), Some(end))
                        } else {
                            (county, format!("{who}公示期满，待审核"), a.deadline)
                        }
                    }
                    AppState::Refused => {
                        (local, format!("{who}不予办理，当事人可申诉"), a.deadline)
                    }
                    AppState::Appealed => (city, format!("{who}申诉待处理"), None),
                    _ => (false, String::new(), None),
                };
                if mine {
                    apps.push(WorkItem {
                        kind: "application",
                        label,
                        count: 1,
                        overdue: a.state == AppState::Noticed && due.is_some_and(|d| d < today),
                        due,
                        href: format!("/certificates/applications/{}", a.id),
                    });
                }
            }
            out.items.extend(apps);
        }
        // Service cases whose step now due waits on this role.
        out.items
            .extend(crate::cases::work_items(self, scope, today).await?);
        // Cross-check tasks open in the subtree's towns.
        out.items
            .extend(crate::crosscheck::work_items(self, scope, today).await?);
        // Return visits due after job placements.
        out.items
            .extend(crate::jobs::chain::work_items(self, scope, today).await?);
        // Home visits due and what visits asked the towns to follow up.
        out.items
            .extend(crate::visits::work_items(self, scope, today).await?);
        // Needs the visits recorded that no service answers yet.
        out.items
            .extend(crate::needs::work_items(self, scope).await?);
        // Verification items waiting in the subtree, per campaign.
        for c in self.verification().campaigns(scope).await? {
            let pending = c.total - c.done;
            if pending > 0 {
                let end = NaiveDate::from_ymd_opt(c.year as i32, 12, 31);
                out.items.push(WorkItem {
                    kind: "verification",
                    label: format!(
                        "{}年审验核查：{pending} 本证待核查（共 {} 本）",
                        c.year, c.total
                    ),
                    count: pending,
                    overdue: end.is_some_and(|e| e < today),
                    due: end,
                    href: format!("/certificates/verification/{}", c.id),
                });
            }
        }
        // Recoveries open.
        let mut w = Where::default();
        w.push_prefix(backend, "p.household_code", &prefix);
        let sql = format!(
            "SELECT COUNT(*) AS n, CAST(SUM(r.amount_fen) AS BIGINT) AS fen FROM recoveries r \
             JOIN persons p ON p.id = r.person_id WHERE r.status = 'open' AND {}",
            w.sql()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in &w.args {
            q = a.bind(q);
        }
        let row = q.fetch_one(self.pool()).await?;
        let n: i64 = row.try_get("n")?;
        if n > 0 {
            let fen: i64 = row.try_get::<Option<i64>, _>("fen")?.unwrap_or(0);
            out.items.push(WorkItem {
                kind: "recovery",
                label: format!(
                    "{n} 笔多发补贴待追回，合计 {} 元",
                    anju_domain::money::Fen(fen).yuan()
                ),
                count: n,
                due: None,
                overdue: false,
                href: "/subsidies/recoveries".into(),
            });
        }
        out.items.sort_by_key(|i| (i.due.is_none(), i.due));
        // Counts per town for city and county staff.
        if matches!(
            scope.region.level,
            Level::Province | Level::City | Level::County
        ) {
            let mut w = Where::default();
            w.push_prefix(backend, "household_code", &prefix);
            let t = w.arg(Arg::Text(today.to_string()));
            let h = w.arg(Arg::Text(horizon.to_string()));
            let renewing = renewing();
            let sql = format!(
                "SELECT substr(household_code, 1, 9) AS town, \
                 SUM(CASE WHEN cert_state = 'active' AND cert_valid_to >= {t} AND cert_valid_to <= {h} \
                 AND NOT {renewing} THEN 1 ELSE 0 END) AS expiring, \
                 SUM(CASE WHEN cert_state = 'active' AND cert_valid_to < {t} AND NOT {renewing} \
                 THEN 1 ELSE 0 END) AS expired, \
                 SUM(CASE WHEN cert_state = 'frozen' THEN 1 ELSE 0 END) AS frozen \
                 FROM persons WHERE life_status = 'living' AND {} \
                 AND (cert_state = 'frozen' OR (cert_state = 'active' AND cert_valid_to <= {h})) \
                 GROUP BY substr(household_code, 1, 9)",
                w.sql()
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in &w.args {
                q = a.bind(q);
            }
            let mut towns: std::collections::BTreeMap<String, TownLoad> = Default::default();
            for r in q.fetch_all(self.pool()).await? {
                let town: String = r.try_get("town")?;
                let e = towns.entry(town.clone()).or_default();
                e.expiring = r.try_get::<Option<i64>, _>("expiring")?.unwrap_or(0);
                e.expired = r.try_get::<Option<i64>, _>("expired")?.unwrap_or(0);
                e.frozen = r.try_get::<Option<i64>, _>("frozen")?.unwrap_or(0);
            }
            let mut w = Where::default();
            w.push_prefix(backend, "p.household_code", &prefix);
            let sql = format!(
                "SELECT substr(p.household_code, 1, 9) AS town, COUNT(*) AS n FROM recoveries r \
                 JOIN persons p ON p.id = r.person_id WHERE r.status = 'open' AND {} \
                 GROUP BY substr(p.household_code, 1, 9)",
                w.sql()
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in &w.args {
                q = a.bind(q);
            }
            for r in q.fetch_all(self.pool()).await? {
                let town: String = r.try_get("town")?;
                towns.entry(town).or_default().recoveries = r.try_get("n")?;
            }
            out.towns = towns
                .into_iter()
                .map(|(code9, mut t)| {
                    let code = format!("{code9}000");
                    t.town_name = RegionTable::jiangsu().name_of(&code);
                    t.town_code = code;
                    t
                })
                .collect();
        }
        Ok(out)
    }
}
