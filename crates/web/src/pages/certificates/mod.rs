//! Certificate work (残疾人证办理): the applications of the subtree, taking a new one, each
//! application's steps with the form for the step now due (`applications`), the working-day
//! calendar (`calendar`), the yearly verification campaigns (`verification`) and the online
//! assessment sessions (`sessions`).

mod applications;
mod calendar;
mod sessions;
mod verification;

use anju_domain::certificate::{Category, Grade};

pub use applications::{apply, list, show, step};
pub use calendar::{calendar, set_day};
pub use sessions::{add_applicant, record_outcomes, schedule, session, sessions};
pub use verification::{campaign, campaigns, export_campaign, open_campaign, record_item};

/// The navigation entry these pages sit under.
const HERE: &str = "/certificates/applications";

pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The disability categories, for a form's choice.
fn category_choices() -> Vec<Choice> {
    Category::all()
        .map(|c| Choice {
            value: c.name().into(),
            label: c.name().into(),
        })
        .collect()
}

/// The grades, for a form's choice.
fn grade_choices() -> Vec<Choice> {
    Grade::all()
        .map(|g| Choice {
            value: g.name().into(),
            label: g.name().into(),
        })
        .collect()
}
