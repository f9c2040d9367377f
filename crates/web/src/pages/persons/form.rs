//! Creating and editing a file, with the import's validation and the errors beside the
//! fields. Sex and birth date follow from the ID number and are not typed; the ID number of
//! an existing file is not changed here.

use std::collections::HashMap;

use anju_domain::RegionTable;
use anju_domain::certificate::{Category, Grade};
use anju_domain::person::{Field, FieldError, LifeStatus, Person, PersonInput, validate};
use anju_store::{Source, StoreError};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::list::Opt;
use super::show::parse_key;
use crate::auth::{PageUser, Session};
use crate::pages::Layout;
use crate::{App, AppError};

pub struct FormField {
    key: &'static str,
    label: &'static str,
    value: String,
    error: Option<String>,
    input_type: &'static str,
    options: Vec<Opt>,
    required: bool,
    readonly: bool,
    hint: &'static str,
    /// The `<datalist>` the field picks from ("" for none).
    list: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "person_form.html")]
pub struct FormPage {
    layout: Layout,
    action: String,
    fields: Vec<FormField>,
    error: Option<String>,
    /// The towns and villages of the scope, for the household field.
    households: Vec<(String, String)>,
}

impl FormPage {
    /// The fields at fault, for the summary above the form.
    fn faults(&self) -> Vec<(&'static str, &'static str, &str)> {
        self.fields
            .iter()
            .filter_map(|f| f.error.as_deref().map(|e| (f.key, f.label, e)))
            .collect()
    }
}

/// The fields a form asks for: all but sex and birth date, which the ID number gives.
fn form_fields() -> impl Iterator<Item = Field> {
    Field::ALL
        .into_iter()
        .filter(|f| !matches!(f, Field::Sex | Field::BirthDate))
}

fn options(f: Field) -> Vec<Opt> {
    let o = |v: &str, l: &str| Opt {
        value: v.to_owned(),
        label: l.to_owned(),
    };
    match f {
        Field::Category => std::iter::once(o("", "请选择"))
            .chain(Category::all().map(|c| o(c.name(), &c.label())))
            .collect(),
        Field::Grade => std::iter::once(o("", "请选择"))
            .chain(Grade::all().map(|g| o(g.name(), g.name())))
            .collect(),
        Field::CertState => vec![o("", "正常"), o("冻结", "冻结"), o("注销", "注销")],
        Field::LifeStatus => LifeStatus::ALL
            .iter()
            .map(|l| o(l.label(), l.label()))
            .collect(),
        _ => Vec::new(),
    }
}

fn form_page(
    s: &Session,
    title: &str,
    action: String,
    values: &HashMap<String, String>,
    errors: &[FieldError],
    editing: bool,
    error: Option<String>,
) -> FormPage {
    let fields = form_fields()
        .map(|f| FormField {
            key: f.key(),
            label: f.header(),
            value: values.get(f.key()).cloned().unwrap_or_default(),
            error: {
                let msgs: Vec<&str> = errors
                    .iter()
                    .filter(|e| e.field == f)
                    .map(|e| e.message.as_str())
                    .collect();
                (!msgs.is_empty()).then(|| msgs.join("；"))
            },
            input_type: match f {
                Field::CertIssued | Field::CertValidTo | Field::LifeDate => "date",
                Field::Phone | Field::GuardianPhone => "tel",
                _ => "text",
            },
            options: options(f),
            required: Field::ALWAYS.contains(&f),
            readonly: editing && f == Field::IdNumber,
            list: if f == Field::HouseholdCode {
                "household-list"
            } else {
                ""
            },
            hint: match f {
                Field::IdNumber => "18位，末位可为X；性别与出生日期由此得出",
                Field::HouseholdCode => "输入村（社区）或镇（街道）名称选择，或填写12位代码",
                Field::CertNumber => "身份证号加类别、等级两位数字",
                Field::Components => "仅多重残疾填写，如：肢体二级、智力三级",
                Field::Category | Field::Grade => "尚未评定的不填；持证的必填",
                Field::LifeDate => "死亡或迁出时填写",
                _ => "",
            },
        })
        .collect();
    FormPage {
        layout: Layout::for_session(s, title, "/persons"),
        action,
        fields,
        error,
        households: crate::pages::region_choices(
            &s.scope().region().code,
            &[anju_domain::Level::Town, anju_domain::Level::Village],
            3000,
        ),
    }
}

/// The form's values for an existing file; identifiers masked unless `whole`.
fn values_of(p: &Person, whole: bool) -> HashMap<String, String> {
    form_fields()
        .map(|f| {
            let v = match f {
                Field::LifeStatus => p.life_status.label().to_owned(),
                _ if !whole => f.masked(&p.field_text(f)),
                _ => p.field_text(f),
            };
            (f.key().to_owned(), v)
        })
        .collect()
}

/// A role that sees identifiers masked submits them masked when it leaves them alone: such a
/// value stands for the stored one.
fn unmask_untouched(values: &mut HashMap<String, String>, stored: &Person) {
    for f in form_fields().filter(|f| f.is_identifier()) {
        let text = stored.field_text(f);
        if values
            .get(f.key())
            .is_some_and(|v| !text.is_empty() && *v == f.masked(&text))
        {
            values.insert(f.key().to_owned(), text);
        }
    }
}

fn input_of(values: &HashMap<String, String>) -> PersonInput {
    let mut input = PersonInput::default();
    for f in form_fields() {
        if let Some(v) = values.get(f.key()) {
            input.set(f, v.as_str());
        }
    }
    input
}

fn may_write(s: &Session) -> Result<(), AppError> {
    if s.scope().role().writes_persons() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn new_form(PageUser(s): PageUser) -> Result<FormPage, AppError> {
    may_write(&s)?;
    let mut values = HashMap::new();
    values.insert("life_status".to_owned(), "在世".to_owned());
    Ok(form_page(
        &s,
        "新建档案",
        "/persons".into(),
        &values,
        &[],
        false,
        None,
    ))
}

/// A store refusal shown on the form: an out-of-scope household beside its field (with
/// status 403: the request was denied, not merely mistyped).
fn refusal(e: StoreError) -> Result<(StatusCode, Vec<FieldError>, Option<String>), AppError> {
    match e {
        StoreError::Forbidden => Ok((
            StatusCode::FORBIDDEN,
            vec![FieldError::new(
                Field::HouseholdCode,
                "region_out_of_scope",
                "户籍地不在您的管辖范围内",
            )],
            None,
        )),
        e if e.is_client_error() => Ok((StatusCode::BAD_REQUEST, Vec::new(), Some(e.to_string()))),
        e => Err(e.into()),
    }
}

pub async fn create(
    State(app): State<App>,
    PageUser(s): PageUser,
    Form(values): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    may_write(&s)?;
    s.check_csrf(values.get("csrf").map_or("", String::as_str))?;
    let rerender = |status: StatusCode, errors: &[FieldError], error: Option<String>| {
        (
            status,
            form_page(
                &s,
                "新建档案",
                "/persons".into(),
                &values,
                errors,
                false,
                error,
            ),
        )
            .into_response()
    };
    let person = match validate(&input_of(&values), RegionTable::jiangsu()) {
        Ok(p) => p,
        Err(errors) => {
            return Ok(rerender(
                StatusCode::BAD_REQUEST,
                &errors,
                Some("请改正标出的项目后再保存".into()),
            ));
        }
    };
    match app
        .store
        .persons()
        .create(s.scope(), person, Source::Web)
        .await
    {
        Ok(rec) => Ok(Redirect::to(&format!("/persons/{}?saved=1", rec.id)).into_response()),
        Err(e) => {
            let (status, errors, error) = refusal(e)?;
            Ok(rerender(status, &errors, error))
        }
    }
}

pub async fn edit_form(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
) -> Result<FormPage, AppError> {
    may_write(&s)?;
    let key = parse_key(&id)?;
    let rec = app.store.persons().get_by_key(s.scope(), key).await?;
    app.store
        .persons()
        .record_view(
            s.scope(),
            "person.view",
            rec.audit_object(),
            "修改表单".into(),
        )
        .await?;
    let title = format!("修改{}的档案", rec.person.name);
    Ok(form_page(
        &s,
        &title,
        format!("/persons/{key}"),
        &values_of(&rec.person, s.scope().role().sees_identifiers()),
        &[],
        true,
        None,
    ))
}

pub async fn update(
    State(app): State<App>,
    PageUser(s): PageUser,
    Path(id): Path<String>,
    Form(mut values): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    may_write(&s)?;
    s.check_csrf(values.get("csrf").map_or("", String::as_str))?;
    let key = parse_key(&id)?;
    let stored = app.store.persons().get_by_key(s.scope(), key).await?;
    // The file's ID number is the stored one, whatever the form says.
    values.insert("id_number".into(), stored.person.id_number.to_string());
    if !s.scope().role().sees_identifiers() {
        unmask_untouched(&mut values, &stored.person);
    }
    let title = "修改档案";
    let action = format!("/persons/{key}");
    let person = match validate(&input_of(&values), RegionTable::jiangsu()) {
        Ok(p) => p,
        Err(errors) => {
            return Ok((
                StatusCode::BAD_REQUEST,
                form_page(
                    &s,
                    title,
                    action,
                    &values,
                    &errors,
                    true,
                    Some("请改正标出的项目后再保存".into()),
                ),
            )
                .into_response());
        }
    };
    match app
        .store
        .persons()
        .update(s.scope(), person, Source::Web)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/persons/{key}?saved=1")).into_response()),
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => {
            let (status, errors, error) = refusal(e)?;
            Ok((
                status,
                form_page(&s, title, action, &values, &errors, true, error),
            )
                .into_response())
        }
    }
}
