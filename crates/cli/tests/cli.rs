//! The `anju` binary as a newcomer and an administrator use it: start with no set-up, restart
//! without loss, commands beside a running server, and one-line errors for bad starts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_anju");

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("anju-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `anju` run in `cwd` with the machine's ANJU_* settings cleared.
fn anju(cwd: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(cwd);
    for (k, _) in std::env::vars() {
        if k.starts_with("ANJU_") {
            c.env_remove(k);
        }
    }
    c.env("ANJU_LOG", "warn");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(cwd: &Path, extra_env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let mut cmd = anju(cwd);
    cmd.args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .envs(extra_env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let mut server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("server exited with {status}: {}", stderr_of(server));
        }
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && r.status() == 200
        {
            break;
        }
        assert!(Instant::now() < deadline, "server did not answer /healthz");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

fn stderr_of(mut s: Server) -> String {
    let _ = s.child.kill();
    let out = std::mem::replace(&mut s.child, Command::new("true").spawn().unwrap())
        .wait_with_output()
        .unwrap();
    text(&out.stderr)
}

#[test]
fn version_and_help() {
    let d = temp_dir("help");
    let v = run(anju(&d).arg("--version"));
    assert!(v.status.success());
    assert_eq!(
        text(&v.stdout).trim(),
        format!("anju {}", env!("CARGO_PKG_VERSION"))
    );
    let h = run(anju(&d).arg("--help"));
    let help = text(&h.stdout);
    for cmd in ["serve", "user", "audit"] {
        assert!(help.contains(cmd), "{help}");
    }
    let s = run(anju(&d).args(["help", "serve"]));
    assert!(s.status.success());
    assert!(text(&s.stdout).contains("--addr"));
    let bad = run(anju(&d).args(["serve", "--bogus"]));
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("--bogus"));
    assert!(
        !d.join("anju-data").exists(),
        "a usage error creates nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_restart_and_commands_beside_the_server() {
    let d = temp_dir("serve");
    let server = start(&d, &[]).await;
    let port = server.port;
    let data = d.join("anju-data");
    assert!(data.join("anju.db").exists());
    let health: serde_json::Value = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["database"], "sqlite");
    assert_eq!(health["status"], "ok");
    // Commands work while the server runs.
    let add = run(anju(&d).args([
        "user",
        "add",
        "--username",
        "li.clerk",
        "--role",
        "county",
        "--region",
        "320102000000",
    ]));
    assert!(add.status.success(), "{}", text(&add.stderr));
    let out = text(&add.stdout);
    assert!(out.contains("初始密码"), "{out}");
    let fixed = run(anju(&d).args([
        "user",
        "add",
        "--username",
        "bridge",
        "--role",
        "leader",
        "--region",
        "320100000000",
        "--password",
        "System-Link-2026",
    ]));
    assert!(fixed.status.success());
    assert!(!text(&fixed.stdout).contains("初始密码"));
    let bad = run(anju(&d).args([
        "user",
        "add",
        "--username",
        "x1",
        "--role",
        "county",
        "--region",
        "320199000000",
    ]));
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("不在现行区划表中"),
        "{}",
        text(&bad.stderr)
    );
    let stderr = stderr_of(server);
    assert!(
        stderr.contains("初始密码"),
        "the first start prints the password: {stderr}"
    );

    // A second start changes nothing and loses nothing.
    let server = start(&d, &[]).await;
    let list = run(anju(&d).args(["user", "list"]));
    let listed = text(&list.stdout);
    assert!(listed.contains("li.clerk") && listed.contains("bridge") && listed.contains("admin"));
    assert!(listed.contains("待改密"));
    let dis = run(anju(&d).args(["user", "disable", "li.clerk"]));
    assert!(dis.status.success());
    let reset = run(anju(&d).args(["user", "reset-password", "bridge"]));
    assert!(text(&reset.stdout).contains("已重置"));
    let verify = run(anju(&d).args(["audit", "verify"]));
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stderr));
    assert!(text(&verify.stdout).contains("哈希链校验通过"));
    let stderr = stderr_of(server);
    assert!(
        !stderr.contains("初始密码"),
        "no second admin on restart: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_password_can_come_from_the_environment() {
    let d = temp_dir("envpw");
    let server = start(&d, &[("ANJU_ADMIN_PASSWORD", "Seeded-Root-Key-9")]).await;
    let res = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/api/login", server.port))
        .json(&serde_json::json!({"username": "admin", "password": "Seeded-Root-Key-9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["must_change_password"], false);
    assert!(
        !stderr_of(server).contains("Seeded-Root-Key-9"),
        "never echoed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_names_the_first_broken_entry() {
    let d = temp_dir("tamper");
    for name in ["a1", "a2", "a3"] {
        let o = run(anju(&d).args([
            "user",
            "add",
            "--username",
            name,
            "--role",
            "leader",
            "--region",
            "320100000000",
        ]));
        assert!(o.status.success());
    }
    assert_eq!(
        run(anju(&d).args(["audit", "verify"])).status.code(),
        Some(0)
    );
    let url = format!("sqlite://{}", d.join("anju-data/anju.db").display());
    anju_store::testing::execute_raw(
        &url,
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET object = 'user:zz' WHERE seq = 3;",
    )
    .await;
    let o = run(anju(&d).args(["audit", "verify"]));
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("第3条"), "{err}");
    assert_eq!(err.trim().lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyed_chain_and_its_anchors_catch_a_log_cut_short() {
    let d = temp_dir("anchor");
    let anchors = d.join("anchors");
    for name in ["b1", "b2", "b3"] {
        let o = run(anju(&d).args([
            "user",
            "add",
            "--username",
            name,
            "--role",
            "leader",
            "--region",
            "320100000000",
        ]));
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    // The key lives beside the database, readable by its owner only.
    let key = d.join("anju-data/audit.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The server anchors the head as it starts and again as it stops.
    let server = start(&d, &[("ANJU_AUDIT_ANCHOR_DIR", anchors.to_str().unwrap())]).await;
    let file = anchors.join("audit-anchor.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !file.exists() {
        assert!(Instant::now() < deadline, "no anchor written at start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = server.child.id().to_string();
    assert!(
        run(Command::new("kill").args(["-TERM", &pid]))
            .status
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&file).unwrap().lines().count() < 2 {
        assert!(Instant::now() < deadline, "no anchor written at shutdown");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
    let ok = run(anju(&d).args(["audit", "verify", "--anchor", anchors.to_str().unwrap()]));
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("锚定点"));
    // Someone with the database deletes the last entries and moves the head back: the chain
    // alone still looks whole, the anchors do not.
    let url = format!("sqlite://{}", d.join("anju-data/anju.db").display());
    anju_store::testing::execute_raw(
        &url,
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq > 2; \
         UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2);",
    )
    .await;
    let alone = run(anju(&d).args(["audit", "verify"]));
    assert_eq!(alone.status.code(), Some(0), "{}", text(&alone.stderr));
    let anchored = run(anju(&d).args(["audit", "verify", "--anchor", anchors.to_str().unwrap()]));
    assert_eq!(anchored.status.code(), Some(1));
    assert!(
        text(&anchored.stderr).contains("截断"),
        "{}",
        text(&anchored.stderr)
    );
    // Without the key, or with another, the database does not open.
    let other = run(anju(&d)
        .args(["user", "list"])
        .env("ANJU_AUDIT_KEY", "another-secret-16-chars"));
    assert_eq!(other.status.code(), Some(1));
    assert!(
        text(&other.stderr).contains("审计密钥"),
        "{}",
        text(&other.stderr)
    );
    std::fs::remove_file(&key).unwrap();
    let keyless = run(anju(&d).args([
        "user",
        "list",
        "--audit-key-file",
        d.join("none.key").to_str().unwrap(),
    ]));
    assert_eq!(keyless.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_drill_while_the_server_runs() {
    let d = temp_dir("drill");
    let o = run(anju(&d).args([
        "user",
        "add",
        "--username",
        "drill.clerk",
        "--role",
        "county",
        "--region",
        "320102000000",
    ]));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let server = start(&d, &[]).await;
    let file = d.join("nightly.zip");
    let o = run(anju(&d).args(["backup", "--out", file.to_str().unwrap()]));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("已备份"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup is the owner's alone");
        let db = std::fs::metadata(d.join("anju-data/anju.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(db & 0o777, 0o600, "the database is the owner's alone");
        let dir = std::fs::metadata(d.join("anju-data"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir & 0o777, 0o700);
    }
    drop(server);
    // Into a new data directory: without the deployment's audit key it is refused.
    let restore =
        |dir: &str| run(anju(&d).args(["restore", file.to_str().unwrap(), "--data-dir", dir]));
    let o = restore("restored");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("审计密钥"), "{}", text(&o.stderr));
    assert!(!d.join("restored/anju.db").exists());
    std::fs::copy(d.join("anju-data/audit.key"), d.join("restored/audit.key")).unwrap();
    let o = restore("restored");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("校验通过"), "{}", text(&o.stdout));
    let list = run(anju(&d).args(["user", "list", "--data-dir", "restored"]));
    assert!(text(&list.stdout).contains("drill.clerk"));
    let verify = run(anju(&d).args(["audit", "verify", "--data-dir", "restored"]));
    assert_eq!(verify.status.code(), Some(0));
    // A directory that holds a database already is left alone.
    let o = restore("restored");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("目标未改动"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_lines_go_to_daily_files_without_personal_data() {
    let d = temp_dir("access");
    let server = start(&d, &[]).await;
    let c = reqwest::Client::new();
    let res = c
        .get(format!(
            "http://127.0.0.1:{}/api/persons/11010519491231002X?reveal=1",
            server.port
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let logs = d.join("anju-data/logs");
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let found = std::fs::read_dir(&logs)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("access"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .flat_map(|t| t.lines().map(str::to_owned).collect::<Vec<_>>())
            .find(|l| l.contains(&id));
        if let Some(l) = found {
            break l;
        }
        assert!(Instant::now() < deadline, "no access line for {id}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(line.contains("GET") && line.contains("401"), "{line}");
    assert!(line.contains("/api/persons/1101**********002X"), "{line}");
    assert!(
        !line.contains("11010519491231002X") && !line.contains("reveal"),
        "{line}"
    );
    drop(server);
}

#[test]
fn a_port_in_use_is_one_line_and_creates_nothing() {
    let d = temp_dir("port");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let o = run(anju(&d).args(["serve", "--addr", &addr]));
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("无法监听") && err.contains(&addr), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!d.join("anju-data").exists());
    let o = run(anju(&d).args(["serve", "--addr", "localhost-8080"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("监听地址无效"));
}

#[test]
fn an_unwritable_data_dir_and_an_unreachable_database_fail_cleanly() {
    let d = temp_dir("baddir");
    std::fs::write(d.join("a-file"), b"x").unwrap();
    let o = run(anju(&d).args(["user", "list", "--data-dir", "a-file/sub"]));
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("无法创建数据目录"), "{err}");
    assert_eq!(err.trim().lines().count(), 1);

    let port = free_port();
    let o = run(anju(&d).args([
        "user",
        "list",
        "--database-url",
        &format!("postgres://postgres@127.0.0.1:{port}/nothing"),
    ]));
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("无法连接数据库"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!d.join("anju-data").exists(), "nothing half-created");
    let o = run(anju(&d).args(["user", "list", "--database-url", "mysql://x/y"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("sqlite://"));
}

#[test]
fn import_export_and_generate_from_the_command_line() {
    let d = temp_dir("registry");
    let generated = run(anju(&d).args([
        "gen", "persons", "--rows", "50", "--out", "p.csv", "--seed", "9",
    ]));
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let imp = run(anju(&d).args(["import", "persons", "p.csv", "--json"]));
    assert_eq!(imp.status.code(), Some(0), "{}", text(&imp.stderr));
    let v: serde_json::Value = serde_json::from_str(text(&imp.stdout).trim()).unwrap();
    assert_eq!(
        (
            v["rows"].as_u64(),
            v["inserted"].as_u64(),
            v["rejected"].as_u64()
        ),
        (Some(50), Some(50), Some(0))
    );
    assert!(v["errors"].as_array().unwrap().is_empty());
    // A bad row: reported by row and column, written to the error sheet; the rest imported.
    std::fs::write(
        d.join("bad.csv"),
        "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码\n11010519491231002X,张三,肢体,二级,320102002001\n110105194912310021,李四,视力,一级,320102002001\n",
    )
    .unwrap();
    let strict = run(anju(&d).args(["import", "persons", "bad.csv", "--strict", "--json"]));
    assert_eq!(strict.status.code(), Some(1), "strict refuses the file");
    let plain = run(anju(&d).args(["import", "persons", "bad.csv"]));
    assert_eq!(plain.status.code(), Some(0));
    let out = text(&plain.stdout);
    assert!(
        out.contains("新增1") && out.contains("拒绝1") && out.contains("第3行 身份证号"),
        "{out}"
    );
    assert!(d.join("bad-错误行.xlsx").exists());
    let missing = run(anju(&d).args(["import", "persons", "nope.csv"]));
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        text(&missing.stderr).trim().lines().count(),
        1,
        "{}",
        text(&missing.stderr)
    );
    let exp = run(anju(&d).args(["export", "persons", "--out", "all.xlsx"]));
    assert!(exp.status.success(), "{}", text(&exp.stderr));
    assert!(text(&exp.stdout).contains("已导出51条"));
    let again = run(anju(&d).args(["import", "persons", "all.xlsx", "--json"]));
    let v: serde_json::Value = serde_json::from_str(text(&again.stdout).trim()).unwrap();
    assert_eq!(
        v["unchanged"].as_u64(),
        Some(51),
        "a round trip changes nothing"
    );
    // A dry run tells what would change and keeps nothing; the exit status says it ran.
    std::fs::write(
        d.join("moved.csv"),
        "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,居住地址
11010519491231002X,张三,肢体,二级,320102002001,新街口1号
",
    )
    .unwrap();
    let dry = run(anju(&d).args(["import", "persons", "moved.csv", "--dry-run", "--json"]));
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    let v = json_of(&dry);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["committed"], false);
    assert_eq!(v["updated"].as_u64(), Some(1));
    assert_eq!(v["changes"][0]["row"].as_u64(), Some(2));
    assert_eq!(v["changes"][0]["columns"][0], "居住地址");
    let plain = run(anju(&d).args(["import", "persons", "moved.csv", "--dry-run"]));
    let out = text(&plain.stdout);
    assert!(
        out.contains("试导入") && out.contains("第2行将更新：居住地址"),
        "{out}"
    );
    let real = run(anju(&d).args(["import", "persons", "moved.csv", "--json"]));
    assert_eq!(
        json_of(&real)["updated"].as_u64(),
        Some(1),
        "the dry run kept nothing"
    );
    // --overwrite-conflicts is accepted (no conflict here: the address came from a sheet).
    let forced = run(anju(&d).args([
        "import",
        "persons",
        "moved.csv",
        "--overwrite-conflicts",
        "--json",
    ]));
    let v = json_of(&forced);
    assert_eq!(
        (
            v["unchanged"].as_u64(),
            v["conflicts"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0))
    );
}

#[test]
fn programmes_are_imported_and_eligibility_listed_from_the_command_line() {
    let d = temp_dir("programmes");
    // Two certified adults (一级 and 三级) and a child with no certificate.
    std::fs::write(
        d.join("p.csv"),
        "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,证件有效期至\n\
         320585198005060013,张三,肢体,一级,320585100001,2030-12-31\n\
         320585199001010021,李四,视力,三级,320585100001,2030-12-31\n\
         320585202103070038,王小,,,320585100001,\n",
    )
    .unwrap();
    let imp = run(anju(&d).args(["import", "persons", "p.csv", "--json"]));
    assert_eq!(
        json_of(&imp)["inserted"].as_u64(),
        Some(3),
        "{}",
        text(&imp.stderr)
    );
    let eligible = |programme: &str| {
        run(anju(&d).args([
            "cases",
            "eligible",
            "--programme",
            programme,
            "--date",
            "2025-09-01",
            "--json",
        ]))
    };
    let v = json_of(&eligible("成人社区康复"));
    assert_eq!(v["programme"], "成人社区康复");
    assert_eq!(v["date"], "2025-09-01");
    assert_eq!(v["count"].as_u64(), Some(2));
    let first = &v["eligible"][0];
    assert_eq!(first["id_number"], "320585198005060013");
    assert_eq!(first["conditions"][0]["condition"], "持有效残疾人证");
    assert_eq!(first["conditions"][0]["met"], true);
    // The federation narrows the programme to grade 1; a row with an unknown word is
    // reported by row and column and its programme left as it was.
    std::fs::write(
        d.join("prog.csv"),
        "项目名称,项目类别,办理步骤,资格条件,区划代码,单价（元）,计价单位,起始月份\n\
         成人社区康复,康复,申请（村，5）→评估（镇，10）→康复服务（机构）,持证有效；等级：一级,320000000000,120.00,次,2025-01\n\
         心理疏导,心理疏导,申请（村）→疏导（机构）,收入：低,320000000000,200,次,2025-01\n",
    )
    .unwrap();
    let r = json_of(&run(anju(&d).args([
        "import",
        "programmes",
        "prog.csv",
        "--json",
    ])));
    assert_eq!(
        (r["updated"].as_u64(), r["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        error_codes(&r),
        vec![(3, "资格条件".into(), "value_invalid".into())]
    );
    let v = json_of(&eligible("成人社区康复"));
    assert_eq!(v["count"].as_u64(), Some(1));
    let v = json_of(&eligible("心理疏导"));
    assert_eq!(
        v["count"].as_u64(),
        Some(2),
        "the shipped definition stands"
    );
    // Existing cases come in with the row-level report; a second import changes nothing.
    std::fs::write(
        d.join("cases.csv"),
        "身份证号,服务项目,受理日期,状态,当前步骤,结果\n\
         320585198005060013,成人社区康复,2025-03-01,已结案,,已完成12次康复训练\n\
         320585199001010021,成人社区康复,2025-08-01,办理中,评估,\n\
         320585202103070038,残疾儿童康复救助,2025-08-01,办理中,飞行,\n\
         320585199001010021,不存在的项目,2025-08-01,,,\n",
    )
    .unwrap();
    let r = json_of(&run(anju(&d).args([
        "import",
        "cases",
        "cases.csv",
        "--json",
    ])));
    assert_eq!(
        (r["inserted"].as_u64(), r["rejected"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        error_codes(&r),
        vec![
            (4, "当前步骤".into(), "unknown_step".into()),
            (5, "服务项目".into(), "unknown_programme".into())
        ]
    );
    let r = json_of(&run(anju(&d).args([
        "import",
        "cases",
        "cases.csv",
        "--json",
    ])));
    assert_eq!(r["unchanged"].as_u64(), Some(2));
    // A provider, the open case given to it, a month of its deliveries, the bill.
    std::fs::write(
        d.join("providers.csv"),
        "统一社会信用代码,机构名称,机构类型,服务区域,服务项目,协议开始日期,协议结束日期\n\
         91350100M000100Y43,太仓康复中心,定点康复机构,320585000000,成人社区康复,2025-01-01,2026-12-31\n\
         91350100M000100Y44,错码机构,定点康复机构,320585000000,成人社区康复,2025-01-01,2026-12-31\n\
         91110108551385082Q,外省机构,定点康复机构,110108000000,成人社区康复,2025-01-01,2026-12-31\n",
    )
    .unwrap();
    let r = json_of(&run(anju(&d).args([
        "import",
        "providers",
        "providers.csv",
        "--json",
    ])));
    assert_eq!(
        (r["inserted"].as_u64(), r["rejected"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        error_codes(&r),
        vec![
            (3, "统一社会信用代码".into(), "value_invalid".into()),
            (4, "服务区域".into(), "value_invalid".into())
        ]
    );
    std::fs::write(
        d.join("assign.csv"),
        "身份证号,服务项目,受理日期,状态,当前步骤,服务机构\n\
         320585199001010021,成人社区康复,2025-08-01,办理中,评估,91350100M000100Y43\n",
    )
    .unwrap();
    let r = json_of(&run(anju(&d).args([
        "import",
        "cases",
        "assign.csv",
        "--json",
    ])));
    assert_eq!(r["updated"].as_u64(), Some(1), "{r}");
    std::fs::write(
        d.join("deliveries.csv"),
        "身份证号,服务项目,服务类型,服务日期,数量,服务内容\n\
         320585199001010021,成人社区康复,康复训练,2025-09-05,10,步态训练\n\
         320585199001010021,成人社区康复,康复训练,2025-09-20,20,步态训练\n\
         320585198005060013,成人社区康复,康复训练,2025-09-05,1,已结案的个案\n",
    )
    .unwrap();
    let r = json_of(&run(anju(&d).args([
        "import",
        "deliveries",
        "deliveries.csv",
        "--json",
    ])));
    assert_eq!(
        (r["inserted"].as_u64(), r["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        error_codes(&r),
        vec![(4, "服务项目".into(), "case_not_open".into())]
    );
    // The case was taken under the version priced 120.00 a session with no cap.
    let draft = json_of(&run(anju(&d).args([
        "settle",
        "draft",
        "--provider",
        "91350100M000100Y43",
        "--month",
        "2025-09",
        "--json",
    ])));
    assert_eq!(
        draft["bill"]["total_fen"].as_i64(),
        Some(360_000),
        "{draft}"
    );
    assert_eq!(draft["bill"]["line_count"].as_i64(), Some(2));
    let bill = draft["bill"]["id"].as_i64().unwrap().to_string();
    let unapproved = run(anju(&d).args(["settle", "export", "--bill", &bill, "--out", "pay.xlsx"]));
    assert_eq!(unapproved.status.code(), Some(1), "not before approval");
    let ok = run(anju(&d).args(["settle", "approve", "--bill", &bill]));
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let ok = run(anju(&d).args(["settle", "export", "--bill", &bill, "--out", "pay.xlsx"]));
    assert!(ok.status.success() && text(&ok.stdout).contains("已导出2行"));
    assert!(d.join("pay.xlsx").exists());
    // The device catalogue: a row of the county's own, a bad code and a price finer than
    // the fen named by row and column; the same file again changes nothing.
    std::fs::write(
        d.join("devices.csv"),
        "分类代码,辅具名称,计量单位,使用年限,补贴金额（元）,适配对象,区划代码,起始月份\n\
         12 22 03,普通轮椅,台,5,900.00,持证有效,320585000000,2025-01\n\
         13 22 03,不存在的类,台,5,900.00,,320585000000,2025-01\n\
         22 06 12,助听器,只,5,3000.005,持证有效；类别：听力,320585000000,2025-01\n",
    )
    .unwrap();
    let devices = || {
        json_of(&run(anju(&d).args([
            "import",
            "devices",
            "devices.csv",
            "--json",
        ])))
    };
    let r = devices();
    assert_eq!(
        (r["inserted"].as_u64(), r["rejected"].as_u64()),
        (Some(1), Some(2)),
        "{r}"
    );
    assert_eq!(
        error_codes(&r),
        vec![
            (3, "分类代码".into(), "value_invalid".into()),
            (4, "补贴金额（元）".into(), "value_invalid".into())
        ]
    );
    let r = devices();
    assert_eq!(
        (r["inserted"].as_u64(), r["unchanged"].as_u64()),
        (Some(0), Some(1)),
        "{r}"
    );
    // An unknown programme is one line on stderr.
    let out = eligible("不存在的项目");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("不存在的项目"),
        "{}",
        text(&out.stderr)
    );
}

fn json_of(o: &Output) -> serde_json::Value {
    serde_json::from_str(text(&o.stdout).trim())
        .unwrap_or_else(|e| panic!("{e}: {} {}", text(&o.stdout), text(&o.stderr)))
}

fn error_codes(v: &serde_json::Value) -> Vec<(u64, String, String)> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_subsidy_month_from_the_command_line() {
    let d = temp_dir("subsidy");
    let (a, b, c) = (
        "320102194901010013",
        "320102195001010012",
        "11010519491231002X",
    );
    std::fs::write(
        d.join("p.csv"),
        format!(
            "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,证件有效期至\n\
             {a},张三,肢体,一级,320102002001,2030-01-01\n\
             {b},李四,视力,三级,320102002001,2030-01-01\n\
             {c},王芳,精神,二级,320102003001,2030-01-01\n"
        ),
    )
    .unwrap();
    assert!(
        run(anju(&d).args(["import", "persons", "p.csv"]))
            .status
            .success()
    );
    // 低保 standards: a bad row is reported field by field, the good rows kept.
    std::fs::write(
        d.join("dibao.csv"),
        "区划代码,城乡,月标准,生效月份\n320100000000,城镇,1000,2024-01\n320100000000,农村,800.50,2024/1\n320100000000,城里,abc,2024-13\n",
    )
    .unwrap();
    let o = run(anju(&d).args(["import", "dibao", "dibao.csv", "--json"]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v = json_of(&o);
    assert_eq!(
        (
            v["rows"].as_u64(),
            v["inserted"].as_u64(),
            v["rejected"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(
        error_codes(&v),
        vec![
            (4, "城乡".into(), "value_invalid".into()),
            (4, "月标准".into(), "amount_invalid".into()),
            (4, "生效月份".into(), "month_invalid".into())
        ]
    );
    assert!(d.join("dibao-错误行.xlsx").exists());
    std::fs::write(
        d.join("assistance.csv"),
        format!(
            "身份证号,救助类型,起始月份,终止月份,金额\n{a},低保,2024-01,,\n{b},低保,2024-01,,\n{c},老年人护理补贴,2024-01,,\n"
        ),
    )
    .unwrap();
    let v = json_of(&run(anju(&d).args([
        "import",
        "assistance",
        "assistance.csv",
        "--json",
    ])));
    assert_eq!(v["inserted"].as_u64(), Some(2));
    assert_eq!(
        error_codes(&v),
        vec![(4, "金额".into(), "amount_missing".into())]
    );
    let acct = "6222020200112233445";
    std::fs::write(
        d.join("grants.csv"),
        format!(
            "身份证号,补贴类型,城乡,起始月份,终止月份,银行账号,开户银行,长期照护需求\n\
             {a},困难残疾人生活补贴,城镇,2025-01,,{acct},工商银行,否\n\
             {a},重度残疾人护理补贴,城镇,2025-01,,{acct},工商银行,是\n\
             {b},生活补贴,城镇,2025-01,,{acct},建设银行,\n\
             {c},护理补贴,农村,2025-01,,{acct},农业银行,是\n\
             {a},困难残疾人生活补贴,城镇,2025-06,,{acct},工商银行,否\n\
             {b},重度残疾人护理补贴,城镇,2025-06,2025-05,{acct},建设银行,是\n\
             320102194901010021,护理补贴,城镇,2025-01,,{acct},工商银行,是\n"
        ),
    )
    .unwrap();
    let o = run(anju(&d).args(["import", "grants", "grants.csv", "--strict", "--json"]));
    assert_eq!(o.status.code(), Some(1), "strict: refused");
    let v = json_of(&o);
    assert_eq!(v["committed"].as_bool(), Some(false));
    let o = run(anju(&d).args(["import", "grants", "grants.csv", "--json"]));
    assert_eq!(o.status.code(), Some(0));
    let v = json_of(&o);
    assert_eq!(
        (v["inserted"].as_u64(), v["rejected"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(
        error_codes(&v),
        vec![
            (6, "起始月份".into(), "grant_overlap".into()),
            (7, "终止月份".into(), "month_range".into()),
            (8, "身份证号".into(), "unknown_person".into())
        ]
    );
    let v = json_of(&run(anju(&d).args([
        "import",
        "grants",
        "grants.csv",
        "--json",
    ])));
    assert_eq!(
        (v["inserted"].as_u64(), v["unchanged"].as_u64()),
        (Some(0), Some(4)),
        "idempotent"
    );
    // The roll: 30 % and 25 % of 1,000.00, 130 urban, 90 rural; C's 老年人护理补贴 was refused.
    let o = run(anju(&d).args([
        "roll",
        "generate",
        "--month",
        "2025-03",
        "--region",
        "320102000000",
        "--json",
    ]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v = json_of(&o);
    assert_eq!(v["month"], "2025-03");
    assert_eq!(v["region"], "320102000000");
    assert_eq!(v["total_fen"].as_i64(), Some(30000 + 13000 + 25000 + 9000));
    let mut lines: Vec<(String, String, i64)> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["month"], "2025-03");
            assert!(!l["rule"].as_str().unwrap().is_empty());
            (
                l["id_number"].as_str().unwrap().to_owned(),
                l["kind"].as_str().unwrap().to_owned(),
                l["amount_fen"].as_i64().unwrap(),
            )
        })
        .collect();
    lines.sort();
    let mut want = vec![
        (a.to_owned(), "living".to_owned(), 30000),
        (a.to_owned(), "care".to_owned(), 13000),
        (b.to_owned(), "living".to_owned(), 25000),
        (c.to_owned(), "care".to_owned(), 9000),
    ];
    want.sort();
    assert_eq!(lines, want);
    assert_eq!(v["stopped"].as_array().unwrap().len(), 0);
    // Not exported unapproved; not approved by its maker; approved by a second user.
    let roll = ["--month", "2025-03", "--region", "320102000000"];
    let o = run(anju(&d)
        .args(["roll", "export", "--out", "bank.xlsx"])
        .args(roll));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("未审批"), "{}", text(&o.stderr));
    let o = run(anju(&d).args(["roll", "approve"]).args(roll));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("双人"), "{}", text(&o.stderr));
    let add = run(anju(&d).args([
        "user",
        "add",
        "--username",
        "checker",
        "--role",
        "city",
        "--region",
        "320100000000",
        "--password",
        "Second-Pair-Eyes-2026",
    ]));
    assert!(add.status.success(), "{}", text(&add.stderr));
    let o = run(anju(&d)
        .args(["--as", "checker", "roll", "approve"])
        .args(roll));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = run(anju(&d)
        .args(["roll", "export", "--out", "bank.xlsx"])
        .args(roll));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("4行"));
    let mut bank = anju_io::open(&d.join("bank.xlsx"), &anju_io::ReadOptions::default()).unwrap();
    assert_eq!(bank.headers[4], "银行账号");
    let mut rows = Vec::new();
    while let Some(r) = bank.next_row().unwrap() {
        rows.push(r.cells);
    }
    // 4 lines, a 小计 for each of the two towns, and the 合计.
    assert_eq!(rows.len(), 7, "{rows:?}");
    assert_eq!(
        rows[0][4], acct,
        "the bank file carries the whole account number"
    );
    let total = rows.last().unwrap();
    assert_eq!((total[1].as_str(), total[8].as_str()), ("合计", "770.00"));
    assert!(
        rows.iter()
            .any(|r| r[2] == "小计" && r[1] == "梅园新村街道" && r[8] == "680.00")
    );
    // The bank's return: A's care payment failed; two rows match nothing in the roll.
    std::fs::write(
        d.join("return.csv"),
        format!(
            "账号,金额,状态,失败原因\n{acct},300.00,成功,\n{acct},130.00,失败,账户已冻结\n\
             {acct},250.00,成功,\n{acct},90.00,成功,\n{acct},999.00,成功,\n\
             6222020200100000000,300.00,成功,\n"
        ),
    )
    .unwrap();
    let o = run(anju(&d)
        .args(["roll", "reconcile", "return.csv", "--json"])
        .args(roll));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v = json_of(&o);
    assert_eq!(
        (v["updated"].as_u64(), v["rejected"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(
        error_codes(&v),
        vec![
            (6, "金额".into(), "amount_mismatch".into()),
            (7, "账号".into(), "no_line".into())
        ]
    );
    let again = json_of(&run(anju(&d)
        .args(["roll", "reconcile", "return.csv", "--json"])
        .args(roll)));
    assert_eq!(
        again["unchanged"].as_u64(),
        Some(4),
        "a return applied twice changes nothing"
    );
    // A dies in March: April stops both her grants, with the reason.
    std::fs::write(
        d.join("events.csv"),
        format!("身份证号,事件,日期\n{a},死亡,2025-03-10\n"),
    )
    .unwrap();
    let v = json_of(&run(anju(&d).args([
        "import",
        "events",
        "events.csv",
        "--json",
    ])));
    assert_eq!(v["updated"].as_u64(), Some(1));
    let v = json_of(&run(anju(&d).args([
        "roll",
        "generate",
        "--month",
        "2025-04",
        "--region",
        "320102000000",
        "--json",
    ])));
    let mut stopped: Vec<(String, String)> = v["stopped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["id_number"], a);
            (
                s["kind"].as_str().unwrap().to_owned(),
                s["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    stopped.sort();
    // March's failed care payment is paid again (March itself still pays: she died in it).
    let repaid: Vec<&serde_json::Value> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["id_number"] == a)
        .collect();
    assert_eq!(repaid.len(), 1, "{repaid:?}");
    assert_eq!(
        (
            repaid[0]["kind"].as_str(),
            repaid[0]["month"].as_str(),
            repaid[0]["amount_fen"].as_i64()
        ),
        (Some("care"), Some("2025-03"), Some(13000))
    );
    assert_eq!(
        stopped,
        vec![
            ("care".into(), "deceased".into()),
            ("living".into(), "deceased".into())
        ]
    );
    // Standards replaced: urban care 150 for grades 1-2; the living subsidy has no row left.
    std::fs::write(
        d.join("standards.csv"),
        "区划代码,补贴类型,救助类型,残疾等级,残疾类别,城乡,计算方式,数值,生效月份,失效月份\n\
         320000000000,重度残疾人护理补贴,任意,一级、二级,任意,农村,定额,150,2025-01,\n",
    )
    .unwrap();
    let o = run(anju(&d).args([
        "import",
        "standards",
        "standards.csv",
        "--replace",
        "--json",
    ]));
    assert_eq!(
        json_of(&o)["inserted"].as_u64(),
        Some(1),
        "{}",
        text(&o.stderr)
    );
    let v = json_of(&run(anju(&d).args([
        "roll",
        "generate",
        "--month",
        "2025-04",
        "--region",
        "320102000000",
        "--json",
    ])));
    assert_eq!(v["total_fen"].as_i64(), Some(15000), "{v}");
    let bad = run(anju(&d).args(["roll", "generate", "--month", "2025-13"]));
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("不是有效的月份"));
}

#[test]
fn certificate_rules_and_the_calendar_from_the_command_line() {
    let d = temp_dir("certificates");
    std::fs::write(
        d.join("p.csv"),
        "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,证件有效期至,生存状态,状态变更日期\n\
         320102194901010013,张三,肢体,一级,320102002001,2030-01-01,死亡,2025-04-01\n\
         320102195001010012,李四,视力,三级,320102002001,2025-08-31,在世,\n",
    )
    .unwrap();
    assert!(
        run(anju(&d).args(["import", "persons", "p.csv"]))
            .status
            .success()
    );
    let sweep =
        |date: &str| run(anju(&d).args(["certificates", "sweep", "--date", date, "--json"]));
    let o = sweep("2025-06-15");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v = json_of(&o);
    assert_eq!(
        (
            v["cancelled"].as_u64(),
            v["expiring"].as_u64(),
            v["frozen"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(v["changes"][0]["rule"], "death");
    let v = json_of(&sweep("2025-06-15"));
    assert!(
        v["changes"].as_array().unwrap().is_empty(),
        "idempotent: {v}"
    );
    let future = sweep("2099-01-01");
    assert_eq!(future.status.code(), Some(1));
    assert!(text(&future.stderr).contains("晚于今天"));
    std::fs::write(
        d.join("cal.csv"),
        "日期,类型,名称\n2027-01-01,放假,元旦\n2027-13-01,放假,错\n",
    )
    .unwrap();
    let v = json_of(&run(
        anju(&d).args(["calendar", "import", "cal.csv", "--json"])
    ));
    assert_eq!(
        (v["inserted"].as_u64(), v["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    let list = run(anju(&d).args(["calendar", "list", "--year", "2027"]));
    assert_eq!(text(&list.stdout).trim(), "2027-01-01\t放假\t元旦");
    let list = run(anju(&d).args(["calendar", "list", "--year", "2025"]));
    assert!(text(&list.stdout).contains("2025-09-28\t上班\t国庆节调休上班"));
    let rule = run(anju(&d).args(["certificates", "rule", "expiring_days", "30"]));
    assert!(rule.status.success(), "{}", text(&rule.stderr));
    let bad = run(anju(&d).args(["certificates", "rule", "nonsense", "1"]));
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn the_levy_from_the_command_line() {
    let d = temp_dir("levy");
    let import = |what: &str, file: &str, year: Option<&str>| {
        let mut args = vec!["import", what, file, "--json"];
        if let Some(y) = year {
            args.extend(["--data-year", y]);
        }
        json_of(&run(anju(&d).args(&args)))
    };
    let compute = || run(anju(&d).args(["levy", "compute", "--year", "2025", "--json"]));
    // Parameters for the declaration year; a ratio finer than two places is a fault.
    std::fs::write(
        d.join("params.csv"),
        "区划代码,年度,安排比例,上年社会平均工资\n\
         320102000000,2025,1.5,100000\n\
         320104000000,2025,1.555,1\n",
    )
    .unwrap();
    let r = import("levy-params", "params.csv", None);
    assert_eq!(
        (r["inserted"].as_u64(), r["rejected"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(
        error_codes(&r),
        vec![(3, "安排比例".into(), "value_invalid".into())]
    );
    // Employers of 2024: an enterprise of 200 and an organ of 40 (its wage over the cap); a
    // type its code contradicts, and staff of 0.
    std::fs::write(
        d.join("employers.csv"),
        "统一社会信用代码,单位名称,单位类型,所属区划代码,上年在职职工年平均人数,上年在职职工工资总额\n\
         91350100M000100Y43,甲公司,企业,320102000000,200,12000000.00\n\
         113201020000000197,乙局,机关,320102000000,40,10000000\n\
         91320102000000043F,丙公司,机关,320102000000,10,100\n\
         12320102000000027Y,丁中心,事业单位,320102000000,0,100\n",
    )
    .unwrap();
    let r = import("employers", "employers.csv", Some("2024"));
    assert_eq!(
        (r["inserted"].as_u64(), r["rejected"].as_u64()),
        (Some(2), Some(2)),
        "{r}"
    );
    assert_eq!(
        error_codes(&r),
        vec![
            (4, "单位类型".into(), "value_invalid".into()),
            (5, "上年在职职工年平均人数".into(), "value_invalid".into())
        ]
    );
    // The enterprise's one employee (三级, 7 months); the same ID twice, an unknown employer.
    std::fs::write(
        d.join("staff.csv"),
        "统一社会信用代码,身份证号,残疾等级,在岗月数,劳动合同一年以上,工资不低于最低工资,足额缴纳社会保险\n\
         91350100M000100Y43,320102198005060010,三级,7,是,是,是\n\
         91350100M000100Y43,320102198005060010,三级,5,是,是,是\n\
         52320102000000035M,320102198005060010,一级,12,是,是,是\n",
    )
    .unwrap();
    let r = import("employer-staff", "staff.csv", Some("2024"));
    assert_eq!(
        error_codes(&r),
        vec![
            (3, "身份证号".into(), "duplicate".into()),
            (4, "统一社会信用代码".into(), "employer_unknown".into())
        ],
        "{r}"
    );
    // Faults left: the levy refuses and names them.
    let out = compute();
    assert_eq!(out.status.code(), Some(1));
    let why = text(&out.stderr);
    assert!(
        why.contains("参数表第3行")
            && why.contains("单位表第4行")
            && why.contains("残疾职工表第3行"),
        "{why}"
    );
    // Corrected sheets replace the year's rows and clear its faults.
    std::fs::write(
        d.join("params.csv"),
        "区划代码,年度,安排比例,上年社会平均工资\n320102000000,2025,1.5,100000\n",
    )
    .unwrap();
    let r = import("levy-params", "params.csv", None);
    assert_eq!(r["unchanged"].as_u64(), Some(1), "{r}");
    std::fs::write(
        d.join("employers.csv"),
        "统一社会信用代码,单位名称,单位类型,所属区划代码,上年在职职工年平均人数,上年在职职工工资总额\n\
         91350100M000100Y43,甲公司,企业,320102000000,200,12000000.00\n\
         113201020000000197,乙局,机关,320102000000,40,10000000\n",
    )
    .unwrap();
    import("employers", "employers.csv", Some("2024"));
    std::fs::write(
        d.join("staff.csv"),
        "统一社会信用代码,身份证号,残疾等级,在岗月数,劳动合同一年以上,工资不低于最低工资,足额缴纳社会保险\n\
         91350100M000100Y43,320102198005060010,三级,7,是,是,是\n",
    )
    .unwrap();
    let r = import("employer-staff", "staff.csv", Some("2024"));
    assert_eq!(r["inserted"].as_u64(), Some(1), "{r}");
    let v = json_of(&compute());
    assert_eq!(v["year"].as_i64(), Some(2025));
    let by = |code: &str| {
        v["employers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["credit_code"] == code)
            .unwrap()
            .clone()
    };
    // 3 required, 7/12 counted; 29/12 × 60,000.00 = 145,000.00; below 1 %: 90 %.
    let a = by("91350100M000100Y43");
    assert_eq!(a["required"], "3");
    assert_eq!(a["counted"], "0.58333333333333333333");
    assert_eq!(a["shortfall"], "2.41666666666666666667");
    assert_eq!(a["gross_fen"].as_i64(), Some(14_500_000));
    assert_eq!(a["reduction_percent"].as_u64(), Some(10));
    assert_eq!(a["due_fen"].as_i64(), Some(13_050_000));
    // 0.6 × 200,000.00 (capped) = 120,000.00; 90 % = 108,000.00.
    let b = by("113201020000000197");
    assert_eq!(b["avg_wage_fen"].as_i64(), Some(20_000_000));
    assert_eq!(b["due_fen"].as_i64(), Some(10_800_000));
    assert_eq!(v["total_fen"].as_i64(), Some(23_850_000));
    // A year without parameters names the region (no fall-back to another year's).
    import("employers", "employers.csv", Some("2025"));
    let out = run(anju(&d).args(["levy", "compute", "--year", "2026"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("320102000000"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_crosscheck_from_the_command_line() {
    let d = temp_dir("crosscheck");
    std::fs::write(
        d.join("persons.csv"),
        "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,残疾人证有效期至\n\
         11010519491231002X,张三,肢体,二级,320102002001,2030-12-31\n\
         320102198005060010,李四,视力,一级,320102002001,2030-12-31\n",
    )
    .unwrap();
    let imp = run(anju(&d).args(["import", "persons", "persons.csv", "--json"]));
    assert_eq!(imp.status.code(), Some(0), "{}", text(&imp.stderr));
    // The police's deaths: one living person dead, one unknown, one unreadable row.
    std::fs::write(
        d.join("deaths.csv"),
        "公民身份号码,姓名,死亡时间\n\
         11010519491231002X,张三,2025-03-01\n\
         320102199901010016,王五,2025-03-02\n\
         ,,2025-03-03\n",
    )
    .unwrap();
    let cc = |extra: &[&str]| {
        let mut args = vec![
            "crosscheck",
            "run",
            "--kind",
            "deaths",
            "deaths.csv",
            "--json",
        ];
        args.extend(extra);
        run(anju(&d).args(&args))
    };
    let out = cc(&["--rows-out", "rows.csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = json_of(&out);
    assert_eq!(v["rows"], 3);
    assert_eq!(
        v["classes"],
        serde_json::json!({"consistent":0,"different":1,"list_only":1,"registry_only":0,"weak":0,"rejected":1})
    );
    assert_eq!(v["tasks"], 1);
    assert_eq!(v["errors"][0]["row"], 4);
    assert_eq!(v["errors"][0]["column"], "身份证号");
    let rows = std::fs::read_to_string(d.join("rows.csv")).unwrap();
    assert!(rows.contains("行号,身份证号,类别,差异"), "{rows}");
    assert!(
        rows.contains("2,11010519491231002X,有差异,生存状态"),
        "{rows}"
    );
    assert!(rows.contains("3,320102199901010016,仅名单有"), "{rows}");
    // The same file again: no new task.
    let again = json_of(&cc(&[]));
    assert_eq!(again["tasks"], 0);
    assert!(again["batch"].as_i64() > v["batch"].as_i64());
    // A list without its columns, a kind that does not exist: refused, nothing kept.
    std::fs::write(
        d.join("bad.csv"),
        "身份证号,姓名\n11010519491231002X,张三\n",
    )
    .unwrap();
    let bad = run(anju(&d).args(["crosscheck", "run", "--kind", "deaths", "bad.csv"]));
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("死亡日期"),
        "{}",
        text(&bad.stderr)
    );
    let nokind = run(anju(&d).args(["crosscheck", "run", "--kind", "taxes", "deaths.csv"]));
    assert_eq!(nokind.status.code(), Some(1));
    assert!(text(&nokind.stderr).contains("没有“taxes”这种名单"));
    let third = json_of(&cc(&[]));
    assert_eq!(
        third["batch"].as_i64(),
        again["batch"].as_i64().map(|b| b + 1),
        "the refused runs kept no batch"
    );
}

#[tokio::test]
async fn needs_gaps_from_the_command_line() {
    let d = temp_dir("needs");
    std::fs::write(
        d.join("persons.csv"),
        "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,残疾人证有效期至\n\
         320102198005060010,李四,视力,一级,320102002001,2030-12-31\n",
    )
    .unwrap();
    let imp = run(anju(&d).args(["import", "persons", "persons.csv", "--json"]));
    assert_eq!(imp.status.code(), Some(0), "{}", text(&imp.stderr));
    // A visit that records two needs: rehabilitation (no case) and culture (no service held).
    let url = format!("sqlite://{}", d.join("anju-data/anju.db").display());
    let key = std::fs::read(d.join("anju-data/audit.key")).unwrap();
    let key = anju_domain::audit::AuditKey::new(&key).unwrap();
    let store = anju_store::Store::open_keyed(&url, Some(key))
        .await
        .unwrap();
    let admin = store.users().local_scope("admin").await.unwrap();
    let person = store
        .persons()
        .get(
            &admin,
            &anju_domain::id_number::IdNumber::parse("320102198005060010").unwrap(),
        )
        .await
        .unwrap();
    let on = store.today().to_string();
    store
        .visits()
        .record(
            &admin,
            person.id,
            &anju_domain::visit::VisitInput {
                visited_on: on.clone(),
                met: "本人".into(),
                living: "独居".into(),
                health: "一般".into(),
                income: "家庭供养".into(),
                needs: vec!["康复服务".into(), "文化体育服务".into()],
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    store.close().await;
    let out = run(anju(&d).args(["needs", "gaps", "--json"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = json_of(&out);
    assert_eq!(
        v,
        serde_json::json!({"region": "320000000000", "count": 1, "warnings": [
            {"id_number": "320102198005060010", "need": "康复服务", "town": "320102002000", "since": on}
        ]})
    );
    let out = run(anju(&d).args(["needs", "gaps", "--region", "320104", "--json"]));
    assert_eq!(json_of(&out)["count"], 0);
    assert_eq!(json_of(&out)["region"], "320104000000");
    let out = run(anju(&d).args(["needs", "gaps", "--region", "999999"]));
    assert_ne!(out.status.code(), Some(0));
    assert!(!text(&out.stderr).trim().is_empty());
    let out = run(anju(&d).args(["needs", "gaps", "--region", "320102"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("需求未满足预警：1条"));
}

#[test]
fn survey_forms_imported_from_the_command_line() {
    let d = temp_dir("survey");
    std::fs::write(
        d.join("persons.csv"),
        "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,残疾人证有效期至\n\
         320102198005060010,李四,视力,一级,320102002001,2030-12-31\n\
         320102199002030013,王五,肢体,三级,320102002001,2030-12-31\n",
    )
    .unwrap();
    let imp = run(anju(&d).args(["import", "persons", "persons.csv", "--json"]));
    assert_eq!(imp.status.code(), Some(0), "{}", text(&imp.stderr));
    let sheet = "序号,身份证号,姓名,住房类型,享受低保,需求\n\
         1,320102198005060010,李四,租住,否,康复服务、辅助器具适配\n\
         2,320102199002030013,王五,船屋,也许,\n\
         3,,无名,租住,否,\n";
    std::fs::write(d.join("survey.csv"), sheet).unwrap();
    // Not before the year is opened.
    let out = run(anju(&d).args(["import", "survey", "survey.csv", "--year", "2026", "--json"]));
    let v = json_of(&out);
    assert_eq!(v["inserted"], 0);
    // This year in China (the platform's day).
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let year = chrono::DateTime::from_timestamp(secs + 8 * 3600, 0)
        .unwrap()
        .format("%Y")
        .to_string();
    let o = run(anju(&d).args(["survey", "open", "--year", &year, "--region", "320102"]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let next = (year.parse::<i32>().unwrap() + 1).to_string();
    assert_ne!(
        run(anju(&d).args(["survey", "open", "--year", &next]))
            .status
            .code(),
        Some(0),
        "not a year to come"
    );
    // Strict: every bad row reported, nothing kept.
    let out = run(anju(&d).args([
        "import",
        "survey",
        "survey.csv",
        "--year",
        &year,
        "--json",
        "--strict",
    ]));
    let v = json_of(&out);
    assert_eq!(v["inserted"], 0);
    let errors = error_codes(&v);
    let at: Vec<(u64, &str)> = errors.iter().map(|e| (e.0, e.1.as_str())).collect();
    assert!(
        at.contains(&(3, "住房类型")) && at.contains(&(3, "享受低保")),
        "{errors:?}"
    );
    assert!(at.contains(&(4, "身份证号")), "{errors:?}");
    // Not strict: the good row kept, the bad ones reported.
    let out = run(anju(&d).args(["import", "survey", "survey.csv", "--year", &year, "--json"]));
    let v = json_of(&out);
    assert_eq!(v["inserted"], 1, "{v}");
    assert_eq!(v["rejected"], 2, "{v}");
    // Again: nothing changes.
    let out = run(anju(&d).args(["import", "survey", "survey.csv", "--year", &year, "--json"]));
    assert_eq!(json_of(&out)["unchanged"], 1);
    // A sheet without the ID number's column is refused whole.
    std::fs::write(d.join("bad.csv"), "姓名,住房类型\n李四,租住\n").unwrap();
    let out = run(anju(&d).args(["import", "survey", "bad.csv", "--year", &year]));
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("身份证号"));
}

#[test]
fn indicators_and_targets_from_the_command_line() {
    let d = temp_dir("indicators");
    std::fs::write(
        d.join("persons.csv"),
        "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,残疾人证有效期至\n\
         320102198005060010,李四,视力,一级,320102002001,2030-12-31\n\
         320102199002030013,王五,肢体,三级,320102002001,2030-12-31\n\
         320102199901010016,赵六,听力,二级,320102003001,2030-12-31\n",
    )
    .unwrap();
    let imp = run(anju(&d).args(["import", "persons", "persons.csv", "--json"]));
    assert_eq!(imp.status.code(), Some(0), "{}", text(&imp.stderr));
    // This year in China (the platform's day): the indicators read this year's targets.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let year = chrono::DateTime::from_timestamp(secs + 8 * 3600, 0)
        .unwrap()
        .format("%Y")
        .to_string();
    // A bad sheet changes nothing and names every bad row.
    std::fs::write(
        d.join("bad.csv"),
        "区划代码,年度,指标,目标值\n\
         320102,Y,实名制新增就业人数,163\n\
         999999,Y,实名制新增就业人数,5\n\
         320102002000,Y,飞行人数,5\n\
         320102003000,Y,new_employment,-1\n"
            .replace('Y', &year),
    )
    .unwrap();
    let out = run(anju(&d).args(["import", "targets", "bad.csv", "--json"]));
    let v = json_of(&out);
    assert_eq!(v["committed"], false, "{v}");
    let rows: Vec<u64> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, vec![3, 4, 5]);
    std::fs::write(
        d.join("targets.csv"),
        "区划代码,年度,指标,目标值\n\
         320102,Y,实名制新增就业人数,163\n\
         320102002000,Y,new_employment,100\n\
         320102003000,Y,new_employment,63\n\
         320102,Y,holders,3\n"
            .replace('Y', &year),
    )
    .unwrap();
    let out = run(anju(&d).args(["import", "targets", "targets.csv", "--json"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(json_of(&out)["inserted"], 4);

    let out = run(anju(&d).args(["indicators", "--region", "320102", "--json"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = json_of(&out);
    assert_eq!(v["region"], "320102000000");
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["as_of", "indicators", "region"]);
    let find = |name: &str| {
        v["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap()
            .clone()
    };
    let holders = find("持证残疾人数");
    let mut fields: Vec<&str> = holders
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        vec![
            "children",
            "denominator",
            "name",
            "numerator",
            "target",
            "value"
        ]
    );
    assert_eq!(holders["value"], 3);
    assert_eq!(holders["target"], 3);
    let town = |i: &serde_json::Value, code: &str| {
        i["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["region"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(town(&holders, "320102002000")["value"], 2);
    assert_eq!(town(&holders, "320102003000")["value"], 1);
    let emp = find("实名制新增就业人数");
    assert_eq!(emp["target"], 163);
    assert_eq!(town(&emp, "320102002000")["target"], 100);
    let income = find("残疾人家庭人均可支配收入增幅");
    assert!(income["value"].is_null(), "no data, not zero");
    let grade1 = find("一级残疾持证人数");
    assert_eq!(grade1["value"], 1);

    // The text form; a year in the future and an unknown region are refused.
    let out = run(anju(&d).args(["indicators", "--region", "320102"]));
    assert!(
        text(&out.stdout).contains("持证残疾人数：3人"),
        "{}",
        text(&out.stdout)
    );
    let out = run(anju(&d).args(["indicators", "--region", "320102", "--year", "2099"]));
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("尚未开始"),
        "{}",
        text(&out.stderr)
    );
    let out = run(anju(&d).args(["indicators", "--region", "999999"]));
    assert_ne!(out.status.code(), Some(0));

    // The year-end snapshot: the current year is refused, a past one taken once.
    let out = run(anju(&d).args(["indicators", "snapshot", "--year", "2099"]));
    assert_ne!(out.status.code(), Some(0));
    let out = run(anju(&d).args(["indicators", "snapshot", "--year", "2025"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("已生成"),
        "{}",
        text(&out.stdout)
    );
    let out = run(anju(&d).args(["indicators", "snapshot", "--year", "2025"]));
    assert!(
        text(&out.stdout).contains("此前已生成"),
        "{}",
        text(&out.stdout)
    );
    let out = run(anju(&d).args([
        "indicators",
        "--region",
        "320102",
        "--year",
        "2025",
        "--json",
    ]));
    assert_eq!(json_of(&out)["as_of"], "2025-12-31");
    let out = run(anju(&d).args([
        "indicators",
        "--region",
        "320102002000",
        "--date",
        "2025-06-30",
        "--json",
    ]));
    let v = json_of(&out);
    assert_eq!(v["as_of"], "2025-06-30");
    assert_eq!(v["region"], "320102002000");

    // The reports: a workbook and a printable page; a wrong file type or month is refused.
    let out = run(anju(&d).args([
        "report",
        "--region",
        "320102",
        "--year",
        "2026",
        "--out",
        "年报.xlsx",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bytes = std::fs::read(d.join("年报.xlsx")).unwrap();
    assert_eq!(&bytes[..2], b"PK");
    let out = run(anju(&d).args([
        "report",
        "--region",
        "320102",
        "--year",
        "2026",
        "--month",
        "3",
        "--out",
        "月报.html",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(d.join("月报.html")).unwrap();
    assert!(html.contains("玄武区残疾人工作月报"), "{html}");
    assert!(html.contains("2026年3月"));
    assert!(html.contains("size: A4"));
    assert!(html.contains("持证残疾人数"));
    assert!(
        !html.contains("320102198005060010"),
        "no personal data in a report"
    );
    let out = run(anju(&d).args(["report", "--year", "2026", "--out", "r.pdf"]));
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains(".xlsx"), "{}", text(&out.stderr));
    let out = run(anju(&d).args([
        "report", "--year", "2026", "--month", "13", "--out", "r.html",
    ]));
    assert_ne!(out.status.code(), Some(0));
    let out = run(anju(&d).args(["report", "--year", "2099", "--out", "r.html"]));
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("尚未开始"),
        "{}",
        text(&out.stderr)
    );
}
