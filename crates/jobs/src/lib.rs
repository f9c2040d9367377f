//! Anju's long work, shared by the CLI and the pages: importing and exporting sheets of
//! people's files, with progress, and generating realistic test data.

pub mod cases;
pub mod crosscheck;
pub mod export;
pub mod generate;
pub mod import;
pub mod indicators;
pub mod levy;
pub mod programme;
pub mod providers;
pub mod subsidy;
pub mod survey;

pub use cases::import_cases;
pub use export::{ExportError, export_headers, export_persons, export_row};
pub use generate::generate_persons;
pub use import::{
    ImportError, ImportOptions, ImportReport, Outcome, Progress, ReasonCount, RowChange, RowError,
    import_persons,
};
pub use programme::import_programmes;
pub use providers::{
    PAYMENT_HEADERS, export_bill, import_deliveries, import_devices, import_providers,
};
pub use subsidy::{BANK_HEADERS, Table, export_roll, import_records, import_table, reconcile_file};
