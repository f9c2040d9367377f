//! The `anju` binary: the server and the administrator's commands.
//!
//! Every command takes `--data-dir` and `--database-url` (also `ANJU_DATA_DIR`,
//! `ANJU_DATABASE_URL`), opens the same database the server uses (SQLite in WAL mode lets
//! both run at once), runs the embedded migrations, and creates the first administrator when
//! there is no account. Failures print one line naming the cause and exit non-zero.

mod bench;
mod bench_field;
mod bench_jobs;
mod bench_load;
mod bench_plan;
mod commands;
mod crosscheck;
mod employment;
mod indicators;
mod needs;
mod registry;
mod services;
mod subsidy;

/// mimalloc: the streaming jobs (imports, cross-checks) allocate rows on a reader thread and
/// free them on another, where the system allocator's arena locks cost a third of the time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "anju",
    version,
    about = "安居：残疾人联合会一人一档业务平台",
    long_about = "安居：残疾人联合会一人一档业务平台。\n\n\
        不带任何参数运行 `anju serve` 即在 ./anju-data/ 中建立内嵌数据库并在 127.0.0.1:8080 提供服务。"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command shares.
#[derive(Args, Clone)]
pub struct Global {
    /// Data directory (embedded database and files)
    #[arg(
        long,
        env = "ANJU_DATA_DIR",
        default_value = "anju-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Database URL: sqlite://… or postgres://… (default: the SQLite file in the data directory)
    #[arg(long, env = "ANJU_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// The account a command acts as
    #[arg(long = "as", env = "ANJU_AS", default_value = "admin", global = true)]
    pub acting_as: String,
    /// The file holding the secret that keys the audit chain (default: audit.key in the data
    /// directory, made on first use); ANJU_AUDIT_KEY gives the secret itself instead
    #[arg(long, env = "ANJU_AUDIT_KEY_FILE", global = true)]
    pub audit_key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server
    Serve(ServeArgs),
    /// Manage accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Check the audit log
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Login, session and flagging settings
    #[command(subcommand)]
    Security(SecurityCommand),
    /// Take a consistent backup while the platform runs (PostgreSQL: needs pg_dump)
    Backup {
        /// The backup file to write (a ZIP: the database and its manifest)
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into an empty data directory (or, with --database-url, an empty
    /// PostgreSQL database), checking row counts and the audit chain first
    Restore {
        /// The backup file
        file: PathBuf,
    },
    /// Import a sheet (CSV, XLSX, XLS)
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export a list to XLSX or CSV
    #[command(subcommand)]
    Export(ExportCommand),
    /// Generate realistic test data
    #[command(subcommand)]
    Gen(GenCommand),
    /// Measure the platform on this machine
    #[command(subcommand)]
    Bench(BenchCommand),
    /// The monthly subsidy roll: generate, approve, export the bank file
    #[command(subcommand)]
    Roll(RollCommand),
    /// Certificates: apply the rules for a day
    #[command(subcommand)]
    Certificates(CertificatesCommand),
    /// The working-day calendar (holidays and adjusted working days)
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Service cases: who a programme could serve
    #[command(subcommand)]
    Cases(CasesCommand),
    /// Providers' monthly bills: draft, approve, export the payment sheet
    #[command(subcommand)]
    Settle(SettleCommand),
    /// The employment security levy (残疾人就业保障金)
    #[command(subcommand)]
    Levy(LevyCommand),
    /// Cross-checks with other departments' lists (数据比对)
    #[command(subcommand)]
    Crosscheck(CrosscheckCommand),
    /// Needs the home visits recorded that no service answers (需求未满足预警)
    #[command(subcommand)]
    Needs(NeedsCommand),
    /// The annual survey (残疾人基本服务状况和需求信息数据动态更新)
    #[command(subcommand)]
    Survey(SurveyCommand),
    /// Plan indicators of a region against their targets, per child region (规划指标)
    Indicators(IndicatorsArgs),
    /// A region's monthly or yearly report (月报、年报) as a workbook or a printable page
    Report {
        /// The region (default: the acting account's own)
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        year: i32,
        /// The month (1-12) of a monthly report; a yearly report without it
        #[arg(long)]
        month: Option<u32>,
        /// Where to write it: FILE.xlsx or FILE.html
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct IndicatorsArgs {
    #[command(subcommand)]
    pub command: Option<IndicatorsCommand>,
    /// The region (default: the acting account's own)
    #[arg(long)]
    pub region: Option<String>,
    /// The values on this day (YYYY-MM-DD; default: today)
    #[arg(long, conflicts_with = "year")]
    pub date: Option<String>,
    /// The values at this year's end (its snapshot when taken)
    #[arg(long)]
    pub year: Option<i32>,
    /// Print the values as one JSON object on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum IndicatorsCommand {
    /// Take the year-end snapshot of a year that has ended (administrators; once a year)
    Snapshot {
        #[arg(long)]
        year: i32,
    },
}

#[derive(Subcommand)]
pub enum SurveyCommand {
    /// Open a survey year for the certificate holders of a region (administrators)
    Open {
        #[arg(long)]
        year: i32,
        /// The region (default: the acting account's own)
        #[arg(long)]
        region: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum NeedsCommand {
    /// Every need without its service, by town, need item and person
    Gaps {
        /// Only under this region (default: the acting account's whole scope)
        #[arg(long)]
        region: Option<String>,
        /// Print the warnings as one JSON object on stdout
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum CrosscheckCommand {
    /// Match a list against the registry of the acting account's subtree: every row
    /// classified, every difference the rules name a task for the town
    Run {
        /// deaths, moves, assistance, elderly_allowance, insurance, students or registry
        #[arg(long)]
        kind: String,
        file: std::path::PathBuf,
        /// Print the batch as one JSON object on stdout
        #[arg(long)]
        json: bool,
        /// Write every row's class (行号, 身份证号, 类别, 差异) to this CSV or XLSX
        #[arg(long)]
        rows_out: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum LevyCommand {
    /// Each employer's levy of a declaration year, on its figures of the year before
    Compute {
        /// The declaration year
        #[arg(long)]
        year: i32,
        /// Only the employers under this region (default: the acting account's whole scope)
        #[arg(long)]
        region: Option<String>,
        /// Print the levy as one JSON object on stdout
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum SettleCommand {
    /// Make (or make again) a provider's draft bill for a month from its delivery records
    Draft {
        /// The provider's unified social credit code
        #[arg(long)]
        provider: String,
        /// YYYY-MM
        #[arg(long)]
        month: String,
        #[arg(long)]
        json: bool,
    },
    /// Approve a draft bill (another user than its maker when a programme asks for it)
    Approve {
        #[arg(long)]
        bill: i64,
    },
    /// Write a bill's payment sheet (XLSX)
    Export {
        #[arg(long)]
        bill: i64,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum CasesCommand {
    /// Everyone eligible for a programme on a date, each condition explained (outreach: who
    /// could be served and is not)
    Eligible {
        /// The programme's name, e.g. 残疾儿童康复救助
        #[arg(long)]
        programme: String,
        /// The date the conditions are read on: YYYY-MM-DD
        #[arg(long)]
        date: String,
        /// Only files under this region code
        #[arg(long)]
        region: Option<String>,
        /// Print {"programme","date","count","eligible":[{"id_number","conditions"}]} on stdout
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum CertificatesCommand {
    /// Apply the certificate rules for a date (deaths cancel; moves freeze, then cancel;
    /// expiring and expired noted); running it again for the same date changes nothing
    Sweep {
        /// YYYY-MM-DD, not after today (default: today)
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Set a certificate rule: expiring_days, freeze_after_months, cancel_after_months,
    /// reapply_after_months
    Rule { name: String, value: u32 },
}

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// The listed days of a year
    List {
        #[arg(long)]
        year: Option<i32>,
    },
    /// Set days from a sheet: 日期, 类型 (放假 | 上班 | 删除), 名称
    Import(SheetArgs),
}

/// A sheet to import and how.
#[derive(Args)]
pub struct SheetArgs {
    /// The sheet to import
    pub file: PathBuf,
    /// The worksheet to read (default: the first)
    #[arg(long)]
    pub sheet: Option<String>,
    /// The CSV text encoding
    #[arg(long, default_value = "auto", value_parser = ["auto", "utf-8", "gbk"])]
    pub encoding: String,
    /// Write nothing when any row is bad
    #[arg(long)]
    pub strict: bool,
    /// Print the result as one JSON object on stdout
    #[arg(long)]
    pub json: bool,
    /// Where to write the rejected rows (default: beside the file, named …-错误行.xlsx)
    #[arg(long)]
    pub errors_out: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum RollCommand {
    /// Compute a month's roll as the region's draft (replacing an earlier draft)
    Generate {
        /// The month paid: YYYY-MM
        #[arg(long)]
        month: String,
        /// The region (default: the acting account's)
        #[arg(long)]
        region: Option<String>,
        /// Print the roll as one JSON object on stdout
        #[arg(long)]
        json: bool,
    },
    /// Approve a draft roll (by another user than the one who generated it)
    Approve {
        #[arg(long)]
        month: String,
        #[arg(long)]
        region: Option<String>,
    },
    /// Write the bank payment file of an approved roll (XLSX)
    Export {
        #[arg(long)]
        month: String,
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Apply the bank's return (账号, 金额, 状态 成功/失败, 失败原因) to an approved roll; failed
    /// payments are paid again by the next roll
    Reconcile {
        #[arg(long)]
        month: String,
        #[arg(long)]
        region: Option<String>,
        #[command(flatten)]
        sheet: SheetArgs,
    },
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Time from starting `anju serve` to its first /healthz answer, on a new and on an
    /// existing data directory, and the load of the region table
    Startup {
        #[arg(long, default_value_t = 10)]
        runs: usize,
    },
    /// Latency of ID-number lookup and name search on the database as it is
    Search {
        #[arg(long, default_value_t = 1000)]
        samples: i64,
    },
    /// Load while a long job runs: a page import of N generated rows, and C concurrent
    /// clients of mixed reads and logins until it ends (latency by kind, errors, audit)
    Load {
        #[arg(long, default_value_t = 300_000)]
        rows: u64,
        /// People filed before the import starts (what the clients read)
        #[arg(long, default_value_t = 20_000)]
        base: u64,
        #[arg(long, default_value_t = 50)]
        clients: usize,
        /// The clients sign in as an account of this city, county or town (default: the
        /// province's administrator)
        #[arg(long)]
        region: Option<String>,
    },
    /// The employment security levy: N generated employers and M disabled-employee rows are
    /// imported, then the levy of a year is computed and timed
    Levy {
        #[arg(long, default_value_t = 100_000)]
        employers: u64,
        #[arg(long, default_value_t = 500_000)]
        staff: u64,
    },
    /// Plan indicators: files N generated people, then times the day's first reading (a
    /// full count), warm readings of the province and the largest city, county, town and
    /// village, readings after 1 and 100 files changed, and a county counted for a past date
    Indicators {
        #[arg(long, default_value_t = 1_000_000)]
        people: u64,
        #[arg(long, default_value_t = 20)]
        samples: usize,
    },
    /// Needs-gap warnings: files N generated people, records a home visit with needs for
    /// three in ten, then times the warnings of the province and of its largest county, and
    /// the visit list
    Needs {
        #[arg(long, default_value_t = 1_000_000)]
        people: u64,
    },
    /// Job matching: registers N generated job seekers and posts M generated jobs, then
    /// times every seeker matched at once, and one seeker's and one posting's ranked list
    Matching {
        #[arg(long, default_value_t = 10_000)]
        seekers: u64,
        #[arg(long, default_value_t = 50_000)]
        postings: u64,
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// Cross-check: files N generated people (unless the registry holds as many), writes a
    /// list of M rows of a kind, and times its run against the registry
    Crosscheck {
        #[arg(long, default_value_t = 1_000_000)]
        people: u64,
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// insurance or deaths
        #[arg(long, default_value = "insurance")]
        kind: String,
    },
    /// Roll generation: builds N generated grants (N/2 people with both subsidies, with
    /// 低保 and other assistance statuses) into the database, then times the month's roll
    Roll {
        #[arg(long)]
        grants: u64,
        #[arg(long, default_value = "2025-06")]
        month: String,
    },
    /// Eligibility: builds N generated files (45 % in 低保), then times every programme
    /// decided for every file in one pass, and one programme's explained list
    Eligibility {
        #[arg(long)]
        people: u64,
        #[arg(long, default_value = "2025-09-01")]
        date: String,
    },
    /// Settlement: N delivery records (five for each of N/5 generated people with a case
    /// assigned to one provider) brought in through the sheets, then a month's bill, timed
    Settlement {
        #[arg(long)]
        records: u64,
    },
}

/// How the server runs.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "ANJU_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Mark cookies Secure and send HSTS (set when served behind HTTPS)
    #[arg(long, env = "ANJU_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Write the audit chain's head here every hour and at shutdown (best on another volume)
    #[arg(long, env = "ANJU_AUDIT_ANCHOR_DIR")]
    pub audit_anchor_dir: Option<PathBuf>,
    /// Take a backup here every day
    #[arg(long, env = "ANJU_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// How many daily backups to keep
    #[arg(long, env = "ANJU_BACKUP_KEEP", default_value_t = 7)]
    pub backup_keep: usize,
    /// Where the daily access logs go (default: logs/ in the data directory)
    #[arg(long, env = "ANJU_ACCESS_LOG_DIR")]
    pub access_log_dir: Option<PathBuf>,
    /// How many days of access logs to keep (the law asks for at least 180)
    #[arg(long, env = "ANJU_ACCESS_LOG_DAYS", default_value_t = 180)]
    pub access_log_days: usize,
    /// Addresses and networks that may read /metrics, comma-separated (default: this machine)
    #[arg(long, env = "ANJU_METRICS_ALLOW")]
    pub metrics_allow: Option<String>,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account bound to a role and a region
    Add {
        #[arg(long)]
        username: String,
        /// admin, city, county, town, village, provider, leader or auditor
        #[arg(long)]
        role: String,
        /// The 12-digit region code the account is bound to
        #[arg(long)]
        region: String,
        /// Use this password (not forced to change); omitted: generate one to be changed at first login
        #[arg(long)]
        password: Option<String>,
    },
    /// List the accounts
    List,
    /// Disable an account and end its sessions
    Disable { username: String },
    /// Enable a disabled account
    Enable { username: String },
    /// Set a generated password, to be changed at next login
    ResetPassword { username: String },
    /// Lift every login lock on an account (all addresses)
    Unlock { username: String },
    /// Bind a provider's account to the provider it acts for (its cases, nothing else)
    BindProvider {
        username: String,
        /// The provider's unified social credit code
        #[arg(long)]
        provider: String,
    },
}

#[derive(Subcommand)]
pub enum SecurityCommand {
    /// The login, session and flagging settings in force
    List,
    /// Change one: idle_minutes, absolute_hours, lock_after_failures,
    /// lock_everywhere_after_failures, lockout_minutes, login_attempts_per_minute,
    /// id_search_misses_per_hour (a running server applies it within a minute)
    Set { name: String, value: i64 },
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// People's files (一人一档): matched by ID number, inserted, updated or left alone
    Persons {
        /// The sheet to import
        file: PathBuf,
        /// The worksheet to read (default: the first)
        #[arg(long)]
        sheet: Option<String>,
        /// The CSV text encoding
        #[arg(long, default_value = "auto", value_parser = ["auto", "utf-8", "gbk"])]
        encoding: String,
        /// Write nothing when any row is bad
        #[arg(long)]
        strict: bool,
        /// Print the result as one JSON object on stdout
        #[arg(long)]
        json: bool,
        /// Where to write the rejected rows (default: beside the file, named …-错误行.xlsx)
        #[arg(long)]
        errors_out: Option<PathBuf>,
        /// Take the file's values even where they were changed by hand since they were last
        /// imported (otherwise those are kept and reported as conflicts)
        #[arg(long)]
        overwrite_conflicts: bool,
        /// Show what the import would do (counts, the fields each update would change, the
        /// conflicts) and keep nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Deaths and moves (身份证号, 事件 死亡|迁出, 日期)
    Events(SheetArgs),
    /// Social-assistance statuses from the civil-affairs lists
    Assistance(SheetArgs),
    /// Subsidy grants (两项补贴享受名单)
    Grants(SheetArgs),
    /// Subsidy standards, in file order
    Standards {
        #[command(flatten)]
        sheet: SheetArgs,
        /// Replace every existing standard (the shipped defaults included) with the file's
        #[arg(long)]
        replace: bool,
    },
    /// Service programmes (服务项目): one row per programme and price; a programme that
    /// differs from the stored one gets a new version, which cases opened after it follow
    Programmes(SheetArgs),
    /// Existing service cases (身份证号, 服务项目, 受理日期, 状态, 当前步骤, 结果, 服务机构)
    Cases(SheetArgs),
    /// Service providers (统一社会信用代码, 机构名称, 机构类型, 服务区域, 服务项目, 协议开始日期,
    /// 协议结束日期, 星级)
    Providers(SheetArgs),
    /// Delivery records (身份证号, 服务项目, 服务类型, 服务日期, 数量, 开始时间, 结束时间, 服务内容)
    Deliveries(SheetArgs),
    /// The assistive-device catalogue (分类代码 after GB/T 16432, 辅具名称, 计量单位, 使用年限,
    /// 补贴金额（元）, 适配对象, 区划代码, 起始月份, 终止月份)
    Devices(SheetArgs),
    /// Employers' declarations of a data year (统一社会信用代码, 单位名称, 单位类型, 所属区划代码,
    /// 上年在职职工年平均人数, 上年在职职工工资总额); importing a year again replaces it
    Employers {
        #[command(flatten)]
        sheet: SheetArgs,
        /// The year the figures describe (the levy of the next year reads them)
        #[arg(long)]
        data_year: i32,
    },
    /// Employers' disabled employees of a data year (统一社会信用代码, 身份证号, 残疾等级, 在岗月数,
    /// 劳动合同一年以上, 工资不低于最低工资, 足额缴纳社会保险)
    EmployerStaff {
        #[command(flatten)]
        sheet: SheetArgs,
        #[arg(long)]
        data_year: i32,
    },
    /// Forms of the annual survey filled elsewhere: one row per person (身份证号 and a column
    /// per question headed by its label, as /survey/template.xlsx lays them out)
    Survey {
        #[command(flatten)]
        sheet: SheetArgs,
        /// The survey year
        #[arg(long)]
        year: i32,
    },
    /// Plan targets (区划代码, 年度, 指标, 目标值): a region's task and its towns' shares;
    /// kept whole or not at all
    Targets(SheetArgs),
    /// The levy's parameters (区划代码, 年度 = the declaration year, 安排比例, 上年社会平均工资)
    LevyParams(SheetArgs),
    /// Local 低保 standards
    Dibao {
        #[command(flatten)]
        sheet: SheetArgs,
        /// Replace every existing 低保 standard with the file's
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Subcommand)]
pub enum ExportCommand {
    /// People's files of a region's subtree
    Persons {
        /// The region to export (default: the acting account's whole scope)
        #[arg(long)]
        region: Option<String>,
        /// The file to write: .xlsx or .csv
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum GenCommand {
    /// A sheet of valid, realistic people's files
    Persons {
        #[arg(long)]
        rows: u64,
        /// The file to write: .xlsx or .csv
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain; exit 0 when intact, 1 naming the first broken entry
    Verify {
        /// Also check that the log still reaches every head anchored in this directory
        #[arg(long)]
        anchor: Option<PathBuf>,
    },
}

/// A writer to daily access-log files in `dir` (owner-only), the oldest beyond `days` removed.
/// Nothing is created until the first line: a server that fails to start leaves no trace.
fn access_log(
    dir: &std::path::Path,
    days: usize,
) -> (
    tracing_appender::non_blocking::NonBlocking,
    tracing_appender::non_blocking::WorkerGuard,
) {
    tracing_appender::non_blocking(LazyAccessLog {
        dir: dir.to_owned(),
        days: days.max(1),
        appender: None,
    })
}

struct LazyAccessLog {
    dir: PathBuf,
    days: usize,
    appender: Option<tracing_appender::rolling::RollingFileAppender>,
}

impl std::io::Write for LazyAccessLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.appender.is_none() {
            anju_io::private::create_dir(&self.dir)?;
            let a = tracing_appender::rolling::RollingFileAppender::builder()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix("access")
                .filename_suffix("log")
                .max_log_files(self.days)
                .build(&self.dir)
                .map_err(std::io::Error::other)?;
            self.appender = Some(a);
        }
        match self.appender.as_mut() {
            Some(a) => a.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.appender.as_mut().map_or(Ok(()), std::io::Write::flush)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server also writes its access lines to daily files kept as long as the law asks.
    let access = match &cli.command {
        Command::Serve(args) => {
            let dir = args
                .access_log_dir
                .clone()
                .unwrap_or_else(|| cli.global.data_dir.join("logs"));
            Some(access_log(&dir, args.access_log_days))
        }
        _ => None,
    };
    let (access_writer, _flush_guard) = match access {
        Some((w, g)) => (Some(w), Some(g)),
        None => (None, None),
    };
    {
        use tracing_subscriber::Layer;
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let stderr = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_filter(
                tracing_subscriber::EnvFilter::try_from_env("ANJU_LOG").unwrap_or_else(|_| {
                    tracing_subscriber::EnvFilter::new("info,sqlx=warn,anju::access=warn")
                }),
            );
        let file = access_writer.map(|w| {
            tracing_subscriber::fmt::layer()
                .with_writer(w)
                .with_ansi(false)
                .with_target(false)
                .with_filter(
                    tracing_subscriber::filter::Targets::new()
                        .with_target(anju_web::ops::ACCESS_TARGET, tracing::Level::INFO),
                )
        });
        tracing_subscriber::registry()
            .with(stderr)
            .with(file)
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("anju: 无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => commands::serve(&cli.global, &args).await,
            Command::User(c) => commands::user(&cli.global, c).await,
            Command::Security(c) => commands::security(&cli.global, c).await,
            Command::Backup { out } => commands::backup(&cli.global, &out).await,
            Command::Restore { file } => commands::restore(&cli.global, &file).await,
            Command::Audit(AuditCommand::Verify { anchor }) => {
                commands::audit_verify(&cli.global, anchor.as_deref()).await
            }
            Command::Bench(BenchCommand::Startup { runs }) => bench::startup(runs).await,
            Command::Bench(BenchCommand::Search { samples }) => {
                bench::search(&cli.global, samples).await
            }
            Command::Bench(BenchCommand::Load {
                rows,
                base,
                clients,
                region,
            }) => bench_load::load(&cli.global, rows, base, clients, region.as_deref()).await,
            Command::Bench(BenchCommand::Roll { grants, month }) => {
                bench::roll(&cli.global, grants, &month).await
            }
            Command::Bench(BenchCommand::Eligibility { people, date }) => {
                bench::eligibility(&cli.global, people, &date).await
            }
            Command::Bench(BenchCommand::Indicators { people, samples }) => {
                bench_plan::indicators(&cli.global, people, samples).await
            }
            Command::Bench(BenchCommand::Needs { people }) => {
                bench_field::needs(&cli.global, people).await
            }
            Command::Bench(BenchCommand::Levy { employers, staff }) => {
                bench::levy(&cli.global, employers, staff).await
            }
            Command::Bench(BenchCommand::Matching {
                seekers,
                postings,
                samples,
            }) => bench_jobs::matching(&cli.global, seekers, postings, samples).await,
            Command::Bench(BenchCommand::Crosscheck { people, rows, kind }) => {
                bench_jobs::crosscheck(&cli.global, people, rows, &kind).await
            }
            Command::Bench(BenchCommand::Settlement { records }) => {
                bench::settlement(&cli.global, records).await
            }
            Command::Import(c) => registry::import(&cli.global, c).await,
            Command::Roll(c) => subsidy::roll(&cli.global, c).await,
            Command::Certificates(c) => subsidy::certificates(&cli.global, c).await,
            Command::Calendar(c) => subsidy::calendar(&cli.global, c).await,
            Command::Cases(c) => services::cases(&cli.global, c).await,
            Command::Settle(c) => services::settle(&cli.global, c).await,
            Command::Levy(c) => employment::levy(&cli.global, c).await,
            Command::Crosscheck(c) => crosscheck::crosscheck(&cli.global, c).await,
            Command::Needs(c) => needs::needs(&cli.global, c).await,
            Command::Survey(c) => needs::survey(&cli.global, c).await,
            Command::Indicators(c) => indicators::indicators(&cli.global, c).await,
            Command::Report {
                region,
                year,
                month,
                out,
            } => indicators::report(&cli.global, region, year, month, out).await,
            Command::Export(c) => registry::export(&cli.global, c).await,
            Command::Gen(c) => registry::generate(c),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("anju: 错误：{e}");
            ExitCode::FAILURE
        }
    }
}
