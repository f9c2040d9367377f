//! What a case keeps beside its steps, by the programme's kind: the device (chosen from the
//! catalogue, quoted, fitted or rented and returned), the care plan, the quote or budget and
//! the final cost (devices, renovation), and the federation's return checks with their
//! satisfaction. The case page shows them; the forms post here and come back to the case.

use anju_domain::money::Fen;
use anju_domain::person::parse_date;
use anju_domain::programme::care::CarePlanInput;
use anju_domain::programme::{CaseState, ProgrammeKind, closes};
use anju_store::CaseRecord;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::{PageUser, Session};
use crate::pages::Key;
use crate::{App, AppError};

/// The device section.
pub struct DeviceView {
    pub item: String,
    pub subsidy: String,
    pub state: String,
}

/// What the case page shows and offers beside the steps.
#[derive(Default)]
pub struct Details {
    pub device: Option<DeviceView>,
    /// Catalogue entries that may be chosen (id, label), while none is fitted or rented.
    pub device_choices: Vec<(i64, String)>,
    pub is_device: bool,
    pub is_rental: bool,
    pub can_quote: bool,
    pub can_rent: bool,
    pub can_return: bool,
    pub budget: Option<String>,
    pub cost: Option<String>,
    pub can_cost: bool,
    pub is_care: bool,
    pub plan: Option<String>,
    pub plan_values: (String, String, String, bool),
    pub can_plan: bool,
    /// Return checks: date, score, note, by.
    pub checks: Vec<(String, i64, String, String)>,
    pub can_check: bool,
}

fn yuan(f: Option<i64>) -> Option<String> {
    f.map(|f| format!("{}元", Fen(f).yuan()))
}

pub async fn details(app: &App, s: &Session, c: &CaseRecord) -> Result<Details, AppError> {
    let scope = s.scope();
    let open = c.state == CaseState::Open;
    let staff = closes(scope.role());
    let hands = staff
        || (scope.role() == anju_domain::Role::Provider
            && c.provider_id.is_some()
            && c.provider_id == scope.provider());
    let mut d = Details {
        budget: yuan(c.budget_fen),
        cost: yuan(c.cost_fen),
        can_cost: open && hands && c.kind == ProgrammeKind::Renovation,
        is_care: c.kind == ProgrammeKind::Care,
        can_check: staff,
        ..Details::default()
    };
    if c.kind == ProgrammeKind::Device {
        d.is_device = true;
        d.is_rental = anju_store::is_rental(c);
        let dev = app.store.devices().of_case(scope, c.id).await?;
        let settled = dev
            .as_ref()
            .is_some_and(|x| x.fitted_on.is_some() || x.rented_on.is_some());
        if open && staff && !settled {
            d.device_choices = app
                .store
                .devices()
                .for_case(c, app.store.today())
                .await?
                .into_iter()
                .map(|i| {
                    (
                        i.id,
                        format!(
                            "{} {}（补贴{}元/{}，使用年限{}年）",
                            i.code,
                            i.name,
                            Fen(i.subsidy_fen).yuan(),
                            i.unit,
                            i.years_of_use
                        ),
                    )
                })
                .collect();
        }
        if let Some(x) = dev {
            let state = match (&x.fitted_on, &x.rented_on, &x.returned_on) {
                (Some(f), _, _) => format!("已于{f}适配"),
                (_, Some(r), Some(b)) => format!(
                    "{r}出租，{b}归还；押金{}元，退还{}元",
                    Fen(x.deposit_fen.unwrap_or(0)).yuan(),
                    Fen(x.refunded_fen.unwrap_or(0)).yuan()
                ),
                (_, Some(r), None) => format!(
                    "{r}出租，应于{}前归还；押金{}元",
                    x.rent_due_on.clone().unwrap_or_default(),
                    Fen(x.deposit_fen.unwrap_or(0)).yuan()
                ),
                _ => "已选定，尚未适配".into(),
            };
            d.can_quote = open && hands && !d.is_rental && x.fitted_on.is_none();
            d.can_rent = open && hands && d.is_rental && x.rented_on.is_none();
            d.can_return = open && hands && x.rented_on.is_some() && x.returned_on.is_none();
            d.device = Some(DeviceView {
                item: format!("{} {}（{}）", x.item.code, x.item.name, x.item.unit),
                subsidy: format!(
                    "{}元，使用年限{}年",
                    Fen(x.item.subsidy_fen).yuan(),
                    x.item.years_of_use
                ),
                state,
            });
        }
    }
    if d.is_care {
        let plan = app.store.care().plan(scope, c.id).await?;
        d.can_plan = open && staff;
        if let Some(p) = plan {
            d.plan = Some(anju_store::plan_text(&p));
            let n = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
            d.plan_values = (
                n(p.visits_a_month),
                n(p.minutes_a_visit),
                n(p.days_a_month),
                p.auxiliary_employment,
            );
        }
    }
    if staff || scope.role().reads_persons() {
        d.checks = app
            .store
            .care()
            .checks(scope, c.id)
            .await?
            .into_iter()
            .map(|r| (r.on_date, r.satisfaction, r.note, r.created_by))
            .collect();
    }
    Ok(d)
}

/// Back to the case on success; the case page with the message (HTTP 400) when refused.
async fn back(
    app: &App,
    s: &Session,
    id: i64,
    anchor: &str,
    r: Result<(), anju_store::StoreError>,
) -> Result<Response, AppError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}#{anchor}")).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(msg) => {
                let page = super::cases::case_page(app, s, id, Some(msg)).await?;
                Ok((StatusCode::BAD_REQUEST, page).into_response())
            }
            other => Err(other),
        },
    }
}

fn date_of(s: &str, field: &str) -> Result<chrono::NaiveDate, anju_store::StoreError> {
    parse_date(s).ok_or_else(|| bad(format!("{field}：“{}”不是有效的日期", s.trim())))
}

#[derive(Deserialize)]
pub struct DeviceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    date: String,
}

/// Chooses the catalogue entry of a device case.
pub async fn choose(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<DeviceForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let r = async {
        let item = f
            .item
            .trim()
            .parse()
            .map_err(|_| bad("辅具：请从目录中选择"))?;
        let date = date_of(&f.date, "日期")?;
        app.store
            .devices()
            .choose(s.scope(), id, item, date)
            .await
            .map(|_| ())
    }
    .await;
    back(&app, &s, id, "device-h", r).await
}

#[derive(Deserialize)]
pub struct AmountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    amount: String,
    /// budget or cost (renovation); a device's quote otherwise.
    #[serde(default)]
    what: String,
}

/// Records a device's quote, or a renovation's budget or final cost.
pub async fn amount(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<AmountForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let r = async {
        let (c, _) = app.store.cases().get(s.scope(), id).await?;
        if c.kind == ProgrammeKind::Device {
            return app
                .store
                .devices()
                .quote(s.scope(), id, &f.amount)
                .await
                .map(|_| ());
        }
        if c.kind != ProgrammeKind::Renovation {
            return Err(bad(format!("“{}”不记录预算和费用", c.programme)));
        }
        let (column, label) = if f.what == "cost" {
            ("cost_fen", "决算费用")
        } else {
            ("budget_fen", "改造预算")
        };
        let fen = Fen::parse_yuan(&f.amount)
            .ok()
            .filter(|x| x.fen() > 0)
            .ok_or_else(|| {
                bad(format!(
                    "{label}（元）：“{}”应为大于0、最多两位小数的金额",
                    f.amount.trim()
                ))
            })?;
        app.store
            .cases()
            .set_amount(s.scope(), &c, column, label, fen)
            .await
    }
    .await;
    back(&app, &s, id, "amount-h", r).await
}

#[derive(Deserialize)]
pub struct RentalForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    deposit: String,
    #[serde(default)]
    refunded: String,
}

/// Rents the device out.
pub async fn rent(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<RentalForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let r = async {
        let date = date_of(&f.date, "出租日期")?;
        let due = date_of(&f.due, "归还期限")?;
        app.store
            .devices()
            .rent_out(s.scope(), id, date, due, &f.deposit)
            .await
    }
    .await;
    back(&app, &s, id, "device-h", r).await
}

/// Records the return of a rented device.
pub async fn give_back(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<RentalForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let r = async {
        let date = date_of(&f.date, "归还日期")?;
        app.store
            .devices()
            .give_back(s.scope(), id, date, &f.refunded)
            .await
    }
    .await;
    back(&app, &s, id, "device-h", r).await
}

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    visits: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    auxiliary: String,
}

/// Sets a care case's plan.
pub async fn plan(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<PlanForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let input = CarePlanInput {
        visits_a_month: f.visits,
        minutes_a_visit: f.minutes,
        days_a_month: f.days,
        auxiliary_employment: f.auxiliary == "1",
    };
    let r = app
        .store
        .care()
        .set_plan(s.scope(), id, &input)
        .await
        .map(|_| ());
    back(&app, &s, id, "plan-h", r).await
}

#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    satisfaction: String,
    #[serde(default)]
    note: String,
}

/// Records a return check.
pub async fn check(
    State(app): State<App>,
    PageUser(s): PageUser,
    Key(id): Key,
    Form(f): Form<CheckForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&f.csrf)?;
    let r = async {
        let date = date_of(&f.date, "回访日期")?;
        app.store
            .care()
            .check(s.scope(), id, date, &f.satisfaction, &f.note)
            .await
    }
    .await;
    back(&app, &s, id, "checks-h", r).await
}

fn bad(msg: impl Into<String>) -> anju_store::StoreError {
    anju_store::StoreError::Invalid(msg.into())
}
