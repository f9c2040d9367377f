//! The store's one error type. Messages are Chinese, fit to show a clerk; database internals
//! stay in `Database` and are logged, not shown.

use anju_domain::RegionError;
use anju_domain::password::PasswordError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("配置有误：{0}")]
    Config(String),
    #[error("无法连接数据库 {0}")]
    Connect(String),
    #[error("数据库迁移失败：{0}")]
    Migrate(String),
    #[error("数据库错误：{0}")]
    Database(sqlx::Error),
    /// The database is held by a long job: the write can be tried again shortly.
    #[error("系统正在处理大批量数据，请稍后再试")]
    Busy,
    #[error("无权执行此操作")]
    Forbidden,
    #[error("{0}不存在")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("当前密码不正确")]
    WrongPassword,
    #[error("密码错误次数过多，暂时不能修改密码，请稍后再试或联系管理员")]
    Locked,
    /// A verification key asked more than its day's quota.
    #[error("已超出今日核验限额，请明天再试或联系残联管理员调整限额")]
    QuotaExceeded,
    #[error(transparent)]
    Region(#[from] RegionError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Policy(#[from] anju_domain::subsidy::PolicyError),
    #[error("内部错误：{0}")]
    Internal(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let busy = match &e {
            // SQLITE_BUSY (5) and its extended codes; PostgreSQL's lock_not_available.
            sqlx::Error::Database(d) => {
                matches!(d.code().as_deref(), Some("5" | "261" | "517" | "55P03"))
                    || d.message().contains("database is locked")
            }
            sqlx::Error::PoolTimedOut => true,
            _ => false,
        };
        if busy {
            StoreError::Busy
        } else {
            StoreError::Database(e)
        }
    }
}

impl StoreError {
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        StoreError::Invalid(msg.into())
    }

    /// Whether the fault is in the request (shown as it is) rather than in the system.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            StoreError::Forbidden
                | StoreError::NotFound(_)
                | StoreError::Invalid(_)
                | StoreError::WrongPassword
                | StoreError::Locked
                | StoreError::Region(_)
                | StoreError::Password(_)
                | StoreError::Policy(_)
        )
    }
}
