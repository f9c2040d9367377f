//! What each subcommand does. Errors come back as one-line Chinese messages.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anju_domain::Role;
use anju_domain::audit::AuditKey;
use anju_store::{Bootstrap, NewUser, Store, sqlite_url_for};

use crate::{Global, SecurityCommand, ServeArgs, UserCommand};

pub type CmdResult = Result<ExitCode, String>;

/// Creates the data directory if needed and proves it writable. Returns whether it was
/// created now (so a failed start can remove it again).
fn prepare_data_dir(dir: &Path) -> Result<bool, String> {
    let created = !dir.exists();
    if created {
        // The owner's alone: the database, uploads and error sheets live here.
        anju_io::private::create_dir(dir)
    } else {
        std::fs::create_dir_all(dir)
    }
    .map_err(|e| format!("无法创建数据目录 {}：{e}", dir.display()))?;
    let probe = dir.join(".anju-write-test");
    std::fs::write(&probe, b"ok")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| {
            if created {
                let _ = std::fs::remove_dir(dir);
            }
            format!("数据目录 {} 不可写：{e}", dir.display())
        })?;
    Ok(created)
}

/// The secret that keys the audit chain: `ANJU_AUDIT_KEY`, or the key file (`--audit-key-file`,
/// by default `audit.key` in the data directory), which is made with 32 random bytes on first
/// use and is readable by its owner only.
fn audit_key(g: &Global) -> Result<AuditKey, String> {
    audit_key_or(g, true)
}

/// The audit key, made when missing only if `make` (a restore needs the original one).
fn audit_key_or(g: &Global, make: bool) -> Result<AuditKey, String> {
    if let Some(secret) = std::env::var_os("ANJU_AUDIT_KEY").filter(|s| !s.is_empty()) {
        return AuditKey::new(secret.as_encoded_bytes())
            .map_err(|e| format!("ANJU_AUDIT_KEY：{e}"));
    }
    let path = g
        .audit_key_file
        .clone()
        .unwrap_or_else(|| g.data_dir.join("audit.key"));
    let name = path.display().to_string();
    match std::fs::read(&path) {
        Ok(bytes) => AuditKey::new(&bytes).map_err(|e| format!("审计密钥文件 {name}：{e}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !make => Err(format!(
            "找不到审计密钥文件 {name}：恢复需要原部署的审计密钥，请先把它放到这里，或设置 ANJU_AUDIT_KEY"
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = format!("{}\n", anju_store::random_token());
            write_private(&path, secret.as_bytes())
                .map_err(|e| format!("无法创建审计密钥文件 {name}：{e}"))?;
            AuditKey::new(secret.as_bytes()).map_err(|e| e.to_string())
        }
        Err(e) => Err(format!("无法读取审计密钥文件 {name}：{e}")),
    }
}

/// Creates a file readable and writable by its owner only (never replacing one).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Opens the database (creating the data directory and SQLite file on first use), runs the
/// migrations and makes the first administrator if there is no account.
pub async fn open_store(g: &Global) -> Result<Store, String> {
    let created = prepare_data_dir(&g.data_dir)?;
    let url = g
        .database_url
        .clone()
        .unwrap_or_else(|| sqlite_url_for(&g.data_dir));
    if g.database_url.is_none() {
        let db = g.data_dir.join("anju.db");
        if !db.exists() {
            // Made before SQLite makes it, so that it (and its -wal, -shm) are the owner's.
            anju_io::private::create_file(&db).map_err(|e| format!("无法创建数据库文件：{e}"))?;
        }
    }
    let key = match audit_key(g) {
        Ok(k) => k,
        Err(e) => {
            if created {
                let _ = std::fs::remove_dir_all(&g.data_dir);
            }
            return Err(e);
        }
    };
    let store = match Store::open_keyed(&url, Some(key)).await {
        Ok(s) => s,
        Err(e) => {
            if created {
                // Nothing half-created: a directory made by this failed start goes again.
                let _ = std::fs::remove_dir_all(&g.data_dir);
            }
            return Err(e.to_string());
        }
    };
    let env_password = std::env::var("ANJU_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    match store
        .users()
        .bootstrap(env_password)
        .await
        .map_err(|e| e.to_string())?
    {
        Bootstrap::Existing => {}
        Bootstrap::Created => {
            eprintln!("已创建系统管理员 admin，密码取自环境变量 ANJU_ADMIN_PASSWORD。");
        }
        Bootstrap::Generated(p) => {
            eprintln!(
                "已创建系统管理员 admin，初始密码：{p}\n（只显示这一次，请妥善保存；首次登录须修改密码。）"
            );
        }
    }
    Ok(store)
}

/// The scope of the account the command acts as (`--as`, default `admin`).
pub async fn acting_scope(store: &Store, g: &Global) -> Result<anju_store::Scope, String> {
    store
        .users()
        .local_scope(&g.acting_as)
        .await
        .map_err(|e| format!("无法以 {} 的身份执行：{e}", g.acting_as))
}

pub async fn serve(g: &Global, args: &ServeArgs) -> CmdResult {
    let addr = args.addr.as_str();
    let metrics_allow = args
        .metrics_allow
        .as_deref()
        .map(anju_web::ops::AllowList::parse)
        .transpose()
        .map_err(|e| format!("--metrics-allow 有误：{e}"))?;
    let sock: SocketAddr = addr
        .parse()
        .map_err(|_| format!("监听地址无效：{addr}（应为 IP:端口，如 127.0.0.1:8080）"))?;
    // Bound first, so a port in use fails before anything is created.
    let listener = tokio::net::TcpListener::bind(sock)
        .await
        .map_err(|e| format!("无法监听 {sock}：{e}"))?;
    let store = open_store(g).await?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        addr = %local,
        database = store.backend().as_str(),
        regions = store.regions().len(),
        "安居已启动"
    );
    println!("安居已启动：http://{local}/");
    let mut app = anju_web::App::new(store.clone(), args.secure_cookies, g.data_dir.clone());
    app.audit_anchor_dir.clone_from(&args.audit_anchor_dir);
    if let Some(dir) = &args.backup_dir {
        app.backups = Some((dir.clone(), args.backup_keep.max(1)));
    }
    if let Some(allow) = metrics_allow {
        app.metrics_allow = allow;
    }
    anju_web::serve(listener, app)
        .await
        .map_err(|e| format!("服务出错：{e}"))?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn user(g: &Global, cmd: UserCommand) -> CmdResult {
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    let users = store.users();
    let err = |e: anju_store::StoreError| e.to_string();
    match cmd {
        UserCommand::Add {
            username,
            role,
            region,
            password,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                format!(
                    "未知角色：{role}（可选：{}）",
                    Role::ALL.map(|r| r.as_str()).join("、")
                )
            })?;
            let (user, generated) = users
                .create(
                    &scope,
                    NewUser {
                        username,
                        role,
                        region,
                        password,
                    },
                )
                .await
                .map_err(err)?;
            println!(
                "已创建用户 {}（{}，{} {}）",
                user.username,
                user.role.label(),
                user.region_code,
                user.region_name
            );
            if let Some(p) = generated {
                println!("初始密码：{p}（只显示这一次；首次登录须修改）");
            }
        }
        UserCommand::List => {
            let list = users.list(&scope).await.map_err(err)?;
            let locked = store.security().locked_users(&scope).await.map_err(err)?;
            println!("用户名\t角色\t区划代码\t区划名称\t状态");
            for u in list {
                let mut status = vec![if u.disabled { "已停用" } else { "正常" }];
                if locked.contains(&u.id) {
                    status.push("已锁定");
                }
                if u.must_change_password {
                    status.push("待改密");
                }
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.username,
                    u.role.as_str(),
                    u.region_code,
                    u.region_name,
                    status.join("，")
                );
            }
        }
        UserCommand::Disable { username } => {
            users
                .set_disabled(&scope, &username, true)
                .await
                .map_err(err)?;
            println!("已停用用户 {username}，其登录会话已全部结束");
        }
        UserCommand::Enable { username } => {
            users
                .set_disabled(&scope, &username, false)
                .await
                .map_err(err)?;
            println!("已启用用户 {username}");
        }
        UserCommand::ResetPassword { username } => {
            let p = users.reset_password(&scope, &username).await.map_err(err)?;
            println!("已重置用户 {username} 的密码：{p}（只显示这一次；下次登录须修改）");
        }
        UserCommand::Unlock { username } => {
            store
                .security()
                .unlock(&scope, &username)
                .await
                .map_err(err)?;
            println!("已解除用户 {username} 的登录锁定（所有地址）");
        }
        UserCommand::BindProvider { username, provider } => {
            let code = anju_domain::credit_code::CreditCode::parse(&provider)
                .map_err(|e| format!("--provider：{e}"))?;
            let p = store
                .providers()
                .list(&scope)
                .await
                .map_err(err)?
                .into_iter()
                .find(|p| p.provider.credit_code == code)
                .ok_or_else(|| format!("没有统一社会信用代码为 {code} 的服务机构"))?;
            store
                .users()
                .bind_provider(&scope, &username, p.id)
                .await
                .map_err(err)?;
            println!("账号 {username} 已绑定服务机构 {}", p.provider.name);
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn security(g: &Global, cmd: SecurityCommand) -> CmdResult {
    let store = open_store(g).await?;
    let scope = acting_scope(&store, g).await?;
    match cmd {
        SecurityCommand::List => {
            println!("设置\t值\t说明");
            for (name, label, value) in store.security().settings() {
                println!("{name}\t{value}\t{label}");
            }
        }
        SecurityCommand::Set { name, value } => {
            store
                .security()
                .set(&scope, &name, value)
                .await
                .map_err(|e| e.to_string())?;
            println!("已将 {name} 设为 {value}");
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn audit_verify(g: &Global, anchor: Option<&Path>) -> CmdResult {
    let store = open_store(g).await?;
    let result = store.audit().verify().await.map_err(|e| e.to_string())?;
    let anchored = match (anchor, &result) {
        (Some(dir), Ok(_)) => Some(
            store
                .audit()
                .check_anchors(dir)
                .await
                .map_err(|e| e.to_string())?,
        ),
        _ => None,
    };
    store.close().await;
    match result {
        Ok(n) => match anchored {
            Some(Err(why)) => {
                eprintln!("anju: 审计日志校验失败：{why}");
                Ok(ExitCode::FAILURE)
            }
            Some(Ok(k)) => {
                println!("审计日志完整：共{n}条记录，哈希链校验通过，{k}个锚定点均在日志中");
                Ok(ExitCode::SUCCESS)
            }
            None => {
                println!("审计日志完整：共{n}条记录，哈希链校验通过");
                Ok(ExitCode::SUCCESS)
            }
        },
        Err(e) => {
            eprintln!(
                "anju: 审计日志校验失败：{e}（首个损坏记录：第{}条）",
                e.seq()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

pub async fn backup(g: &Global, out: &Path) -> CmdResult {
    let store = open_store(g).await?;
    let m = store.backup(out).await.map_err(|e| e.to_string())?;
    store.close().await;
    let rows: i64 = m.tables.values().sum();
    println!(
        "已备份到 {}：{}个表共{rows}行，审计日志至第{}条（{}）。审计密钥不在备份中，请另行保管。",
        out.display(),
        m.tables.len(),
        m.audit_seq,
        m.engine
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(g: &Global, file: &Path) -> CmdResult {
    let target = match &g.database_url {
        Some(url) if url.starts_with("postgres") => {
            anju_store::RestoreTarget::Postgres(url.clone())
        }
        Some(_) => return Err("恢复到 SQLite 时请用 --data-dir 指定一个空的数据目录".into()),
        None => {
            prepare_data_dir(&g.data_dir)?;
            anju_store::RestoreTarget::Sqlite(g.data_dir.join("anju.db"))
        }
    };
    let key = audit_key_or(g, false)?;
    let (m, verified) = anju_store::restore(file, &target, Some(key))
        .await
        .map_err(|e| format!("恢复失败，目标未改动：{e}"))?;
    let rows: i64 = m.tables.values().sum();
    println!(
        "已恢复：{}个表共{rows}行与清单一致，审计日志{verified}条校验通过",
        m.tables.len()
    );
    Ok(ExitCode::SUCCESS)
}
