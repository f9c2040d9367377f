//! The auditor's view of the audit log: filters, pages, newest first.

use anju_domain::audit::Outcome;
use anju_store::{AuditFilter, AuditPage, NewEntry, Scope};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Layout, beijing};
use crate::auth::PageUser;
use crate::{App, AppError};

/// The actions the platform records, with their Chinese names.
pub const ACTIONS: &[(&str, &str)] = &[
    ("login", "登录"),
    ("logout", "退出登录"),
    ("user.bootstrap", "创建首个管理员"),
    ("user.create", "创建用户"),
    ("user.disable", "停用用户"),
    ("user.rename", "修改用户姓名"),
    ("user.enable", "启用用户"),
    ("user.unlock", "解除登录锁定"),
    ("user.reset_password", "重置密码"),
    ("user.change_password", "修改密码"),
    ("security.setting", "修改安全设置"),
    ("audit.view", "查看审计日志"),
    ("person.list", "查看档案列表"),
    ("person.view", "查看档案"),
    ("person.reveal", "查看完整号码"),
    ("person.id_search", "按身份证号查询"),
    ("person.lookup", "查询辖区外建档"),
    ("person.create", "新建档案"),
    ("person.update", "修改档案"),
    ("person.import", "导入档案"),
    ("person.export", "导出档案"),
    ("certificate.apply", "受理证件申请"),
    ("certificate.step", "办理证件环节"),
    ("certificate.applications_view", "查看证件申请"),
    ("certificate.rule", "修改证件规则"),
    ("certificate.sweep", "执行证件规则"),
    ("calendar.import", "导入工作日历"),
    ("assessment_session.schedule", "安排线上评定"),
    ("verification.open", "开启审验核查"),
    ("verification.record", "记录审验结果"),
    ("verification.view", "查看审验核查"),
    ("verification.export", "导出审验名单"),
    ("subsidy.import_events", "导入死亡迁出信息"),
    ("subsidy.import_assistance", "导入救助状态"),
    ("subsidy.import_grants", "导入补贴资格"),
    ("subsidy.import_standards", "导入补贴标准"),
    ("subsidy.import_dibao", "导入低保标准"),
    ("subsidy.roll_generate", "生成发放名册"),
    ("subsidy.roll_approve", "审核发放名册"),
    ("subsidy.roll_view", "查看发放名册"),
    ("subsidy.roll_export", "导出银行发放文件"),
    ("subsidy.roll_reconcile", "导入银行回盘"),
    ("subsidy.recoveries_view", "查看追回记录"),
    ("subsidy.recovery_close", "办结追回"),
    ("person.diagnosis", "记录诊断"),
    ("person.enrolment", "记录在读情况"),
    ("programme.import", "导入服务项目"),
    ("programme.eligible", "查询服务项目资格名单"),
    ("case.open", "受理服务个案"),
    ("case.override", "不符合条件经县级同意受理个案"),
    ("case.step", "办理个案步骤"),
    ("case.view", "查看服务个案"),
    ("case.export", "导出服务个案"),
    ("case.import", "导入服务个案"),
    ("provider.register", "登记服务机构"),
    ("case.assign", "指派服务机构"),
    ("case.delivery", "记录服务"),
    ("case.delivery_import", "导入服务记录"),
    ("provider.import", "导入服务机构"),
    ("settlement.draft", "生成结算单"),
    ("settlement.approve", "审核结算单"),
    ("settlement.export", "导出结算支付表"),
    ("settlement.view", "查看结算单"),
    ("user.bind_provider", "绑定服务机构账号"),
    ("device.import", "导入辅具目录"),
    ("case.device", "选定辅具"),
    ("case.rental", "辅具出租或归还"),
    ("case.amount", "记录报价、预算或费用"),
    ("case.care_plan", "制定托养计划"),
    ("case.return_check", "记录回访"),
    ("care.supervision", "查看托养监管月报"),
    ("care.export", "导出托养监管月报"),
    ("star.scheme", "新增星级评定方案"),
    ("star.evaluate", "残疾人之家星级评定"),
    ("levy.employers", "导入用人单位申报"),
    ("levy.staff", "导入残疾职工"),
    ("levy.params", "导入保障金参数"),
    ("levy.compute", "计算就业保障金"),
    ("person.employment", "登记就业情况"),
    ("employment.new_list", "查看新增就业名单"),
    ("employment.new_export", "导出新增就业名单"),
];

pub fn action_label(action: &str) -> String {
    ACTIONS
        .iter()
        .find(|(a, _)| *a == action)
        .map_or_else(|| action.to_owned(), |(_, l)| (*l).to_owned())
}

/// The query string of the page and the API alike.
#[derive(Deserialize, Serialize, Default, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: Option<i64>,
}

/// Midnight Beijing time of a `YYYY-MM-DD` date, in ms.
fn day_start_ms(s: &str) -> Result<Option<i64>, AppError> {
    if s.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| AppError::BadRequest(format!("日期格式应为 2026-01-31：{s}")))?;
    let utc = d
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis());
    Ok(utc.map(|ms| ms - 8 * 3_600_000))
}

impl AuditQuery {
    pub fn filter(&self, per_page: i64) -> Result<AuditFilter, AppError> {
        let outcome = match self.outcome.as_str() {
            "" => None,
            o => Some(
                Outcome::parse(o).ok_or_else(|| AppError::BadRequest(format!("未知结果：{o}")))?,
            ),
        };
        Ok(AuditFilter {
            actor: Some(self.actor.trim().to_owned()),
            action: Some(self.action.trim().to_owned()),
            outcome,
            from_ms: day_start_ms(&self.from)?,
            // The end date is included: up to the next midnight.
            to_ms: day_start_ms(&self.to)?.map(|ms| ms + 86_400_000),
            page: self.page.unwrap_or(1),
            per_page,
        })
    }
}

/// Reads a page of the log and records that it was read.
pub async fn read(
    app: &App,
    scope: &Scope,
    q: &AuditQuery,
    per_page: i64,
) -> Result<AuditPage, AppError> {
    let page = app.store.audit().list(scope, &q.filter(per_page)?).await?;
    let detail = serde_urlencoded::to_string(q).unwrap_or_default();
    app.store
        .audit()
        .record(NewEntry::by(scope, "audit.view", "audit_log", Outcome::Success).detail(detail))
        .await?;
    Ok(page)
}

pub struct Row {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    object: String,
    outcome: &'static str,
    client: String,
    detail: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditListPage {
    layout: Layout,
    q: AuditQuery,
    actions: &'static [(&'static str, &'static str)],
    outcomes: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
    error: Option<String>,
    /// Users whose searches by whole ID number missed too often in an hour.
    flags: Vec<FlagRow>,
    flag_limit: i64,
}

pub struct FlagRow {
    actor: String,
    hour: String,
    misses: i64,
}

pub async fn list(
    State(app): State<App>,
    PageUser(s): PageUser,
    Query(q): Query<AuditQuery>,
) -> Result<AuditListPage, AppError> {
    if !s.scope().role().reads_audit() {
        return Err(AppError::Forbidden);
    }
    let (result, error) = match read(&app, s.scope(), &q, 50).await {
        Ok(p) => (Some(p), None),
        Err(AppError::BadRequest(m)) => (None, Some(m)),
        Err(e) => return Err(e),
    };
    let (rows, total, page, per_page) = match result {
        Some(p) => (p.entries, p.total, p.page, p.per_page),
        None => (Vec::new(), 0, 1, 50),
    };
    let pages = ((total + per_page - 1) / per_page).max(1);
    let flags = app
        .store
        .security()
        .id_search_flags(s.scope())
        .await?
        .into_iter()
        .map(|f| FlagRow {
            actor: f.actor,
            hour: beijing(f.until_ms),
            misses: f.misses,
        })
        .collect();
    let flag_limit = app.store.policy().id_search_misses_per_hour;
    let link = |n: i64| {
        let mut q = q.clone();
        q.page = Some(n);
        format!(
            "/audit?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    };
    Ok(AuditListPage {
        layout: Layout::for_session(&s, "审计日志", "/audit"),
        flags,
        flag_limit,
        outcomes: [Outcome::Success, Outcome::Failure, Outcome::Denied]
            .iter()
            .map(|o| (o.as_str(), o.label()))
            .collect(),
        actions: ACTIONS,
        rows: rows
            .into_iter()
            .map(|e| Row {
                seq: e.seq,
                at: beijing(e.at_ms),
                actor: e.actor.unwrap_or_else(|| "（未登录）".into()),
                action: action_label(&e.action),
                object: e.object,
                outcome: e.outcome.label(),
                client: e.client,
                detail: e.detail,
            })
            .collect(),
        total,
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        q,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_beijing_days() {
        // 2026-01-01 00:00 in Beijing is 2025-12-31 16:00 UTC.
        assert_eq!(
            day_start_ms("2026-01-01").ok().flatten(),
            Some(1_767_196_800_000)
        );
        assert!(day_start_ms("2026/01/01").is_err());
        assert_eq!(day_start_ms("").ok().flatten(), None);
    }
}
