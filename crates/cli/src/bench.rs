//! `anju bench`: measurements on this machine, reproducible by one command, for BENCHMARKS.md.

use std::path::Path;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use anju_domain::RegionTable;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::commands::CmdResult;

/// Whether `GET /healthz` on `port` answers 200.
async fn healthy(port: u16) -> bool {
    let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    if s.write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .is_err()
    {
        return false;
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    buf.starts_with(b"HTTP/1.1 200") || buf.starts_with(b"HTTP/1.0 200")
}

/// Starts `anju serve` on `data_dir` and returns the time to the first healthy answer.
async fn one_start(exe: &Path, data_dir: &Path) -> Result<Duration, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let t0 = Instant::now();
    let mut child = tokio::process::Command::new(exe)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("ANJU_DATABASE_URL")
        .env("ANJU_ADMIN_PASSWORD", "Bench-Startup-Pass-1")
        .env("ANJU_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("无法启动 {}：{e}", exe.display()))?;
    loop {
        if healthy(port).await {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("服务启动失败：{status}"));
        }
        if t0.elapsed() > Duration::from_secs(60) {
            return Err("服务60秒内未就绪".into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let took = t0.elapsed();
    let _ = child.kill().await;
    Ok(took)
}

fn summary(label: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<34} runs={:<3} min={:>8.1} ms  median={:>8.1} ms  max={:>8.1} ms",
        v.len(),
        ms(v[0]),
        ms(v[v.len() / 2]),
        ms(v[v.len() - 1])
    );
}

pub async fn startup(runs: usize) -> CmdResult {
    let runs = runs.max(1);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let root = std::env::temp_dir().join(format!("anju-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut parse = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let table = RegionTable::parse_embedded().map_err(|e| e.to_string())?;
        parse.push(t.elapsed());
        std::hint::black_box(table);
    }
    let mut cold = Vec::new();
    for i in 0..runs {
        cold.push(one_start(&exe, &root.join(format!("cold-{i}"))).await?);
    }
    let warm_dir = root.join("cold-0");
    let mut warm = Vec::new();
    for _ in 0..runs {
        warm.push(one_start(&exe, &warm_dir).await?);
    }
    let _ = std::fs::remove_dir_all(&root);
    println!(
        "anju {} on {} cores",
        env!("CARGO_PKG_VERSION"),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    summary("region table parse (23,563 codes)", parse);
    summary("cold start to /healthz (new dir)", cold);
    summary("restart to /healthz (existing)", warm);
    Ok(ExitCode::SUCCESS)
}

fn percentiles(label: &str, mut v: Vec<Duration>) {
    if v.is_empty() {
        println!("{label}: 无样本");
        return;
    }
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |p: f64| v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1];
    println!(
        "{label:<34} n={:<5} p50={:>7.2} ms  p95={:>7.2} ms  p99={:>7.2} ms  max={:>7.2} ms",
        v.len(),
        ms(at(0.50)),
        ms(at(0.95)),
        ms(at(0.99)),
        ms(v[v.len() - 1])
    );
}

/// Lookup by ID number and search by name (two characters), initials and ID prefix, each
/// through the same store calls the pages make, as the acting account.
pub async fn search(g: &crate::Global, samples: i64) -> CmdResult {
    let store = crate::commands::open_store(g).await?;
    let scope = crate::commands::acting_scope(&store, g).await?;
    let ids = store
        .persons()
        .sample_ids(&scope, samples)
        .await
        .map_err(|e| e.to_string())?;
    let total = store
        .persons()
        .list(&scope, &anju_store::PersonFilter::new(store.today()))
        .await
        .map_err(|e| e.to_string())?
        .total;
    println!(
        "anju {} · {} · {total} files · {} samples",
        env!("CARGO_PKG_VERSION"),
        store.backend().as_str(),
        ids.len()
    );
    let mut lookup = Vec::new();
    let mut names = Vec::new();
    for id in &ids {
        let t = Instant::now();
        let rec = store
            .persons()
            .get(&scope, id)
            .await
            .map_err(|e| e.to_string())?;
        lookup.push(t.elapsed());
        names.push(rec.person.name);
    }
    let mut by_name = Vec::new();
    let mut by_initials = Vec::new();
    let mut by_prefix = Vec::new();
    for (id, name) in ids.iter().zip(&names) {
        let mut f = anju_store::PersonFilter::new(store.today());
        f.q = Some(name.chars().take(2).collect());
        let t = Instant::now();
        store
            .persons()
            .list(&scope, &f)
            .await
            .map_err(|e| e.to_string())?;
        by_name.push(t.elapsed());
        f.q = Some(anju_domain::person::name_index(name).1);
        let t = Instant::now();
        store
            .persons()
            .list(&scope, &f)
            .await
            .map_err(|e| e.to_string())?;
        by_initials.push(t.elapsed());
        f.q = Some(id.as_str()[..10].to_owned());
        let t = Instant::now();
        store
            .persons()
            .list(&scope, &f)
            .await
            .map_err(|e| e.to_string())?;
        by_prefix.push(t.elapsed());
    }
    percentiles("lookup by ID number", lookup);
    percentiles("search by name (2 characters)", by_name);
    percentiles("search by pinyin initials", by_initials);
    percentiles("search by ID prefix (10 digits)", by_prefix);
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `anju bench roll`: generated people, grants, assistance and 低保 standards imported into
/// the database, then the month's roll for the whole province generated twice (the second
/// replaces the first draft).
pub async fn roll(g: &crate::Global, grants: u64, month: &str) -> CmdResult {
    use anju_io::{ReadOptions, SheetWriter};
    use anju_jobs::{ImportOptions, Table, generate_persons, import_persons, import_table};
    let month = anju_domain::month::Month::parse(month).map_err(|e| e.to_string())?;
    let store = crate::commands::open_store(g).await?;
    let scope = crate::commands::acting_scope(&store, g).await?;
    let dir = std::env::temp_dir().join(format!("anju-bench-roll-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let people = grants.div_ceil(2);
    let persons_csv = dir.join("persons.csv");
    generate_persons(people, 7, &persons_csv, store.today())?;
    let opts = ImportOptions::default();
    let t = Instant::now();
    import_persons(&store, &scope, &persons_csv, &opts, |_| {})
        .await
        .map_err(|e| e.to_string())?;
    println!("准备：导入 {people} 人 {:.1} s", t.elapsed().as_secs_f64());
    // Every person has both subsidies; 45 % are in 低保, 2 % draw 老年人护理补贴, 1 % are 特困.
    let err = |e: anju_io::WriteError| e.to_string();
    let mut reader =
        anju_io::open(&persons_csv, &ReadOptions::default()).map_err(|e| e.to_string())?;
    let (gp, ap, dp) = (
        dir.join("grants.csv"),
        dir.join("assistance.csv"),
        dir.join("dibao.csv"),
    );
    let mut gw = SheetWriter::create(&gp, &Table::Grants.headers()).map_err(err)?;
    let mut aw = SheetWriter::create(&ap, &Table::Assistance.headers()).map_err(err)?;
    let mut i = 0u64;
    let mut written = 0u64;
    while let Some(row) = reader.next_row().map_err(|e| e.to_string())? {
        let id = row.cells.first().cloned().unwrap_or_default();
        let locality = if i.is_multiple_of(3) {
            "农村"
        } else {
            "城镇"
        };
        let account = format!("62220202{:011}", i);
        for kind in ["困难残疾人生活补贴", "重度残疾人护理补贴"] {
            if written < grants {
                gw.write_row(&[
                    id.as_str(),
                    kind,
                    locality,
                    "2024-01",
                    "",
                    &account,
                    "工商银行",
                    "是",
                ])
                .map_err(err)?;
                written += 1;
            }
        }
        let status = match i % 100 {
            0..45 => Some(("低保", "")),
            45..47 => Some(("老年人护理补贴", "100")),
            47 => Some(("特困供养", "")),
            _ => None,
        };
        if let Some((kind, amount)) = status {
            aw.write_row(&[id.as_str(), kind, "2024-01", "", amount])
                .map_err(err)?;
        }
        i += 1;
    }
    gw.finish().map_err(err)?;
    aw.finish().map_err(err)?;
    let mut dw = SheetWriter::create(&dp, &Table::Dibao.headers()).map_err(err)?;
    for row in [
        ["320000000000", "城镇", "900", "2024-01"],
        ["320000000000", "农村", "800", "2024-01"],
        ["320100000000", "城镇", "1045", "2024-07"],
        ["320500000000", "城镇", "1195", "2024-07"],
        ["320500000000", "农村", "1195", "2024-07"],
    ] {
        dw.write_row(&row).map_err(err)?;
    }
    dw.finish().map_err(err)?;
    for (table, path) in [
        (Table::Dibao, &dp),
        (Table::Assistance, &ap),
        (Table::Grants, &gp),
    ] {
        let t = Instant::now();
        let r = import_table(&store, &scope, table, path, &opts, false)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "准备：导入{} {} 行（新增{}，拒绝{}）{:.1} s",
            table.label(),
            r.rows,
            r.inserted,
            r.rejected,
            t.elapsed().as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    for run in ["first", "again (replaces the draft)"] {
        let t = Instant::now();
        let r = store
            .subsidies()
            .generate_roll(&scope, month, None)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "roll generate {month}, {} {grants} grants, {run}: {:.2} s — {} lines, {} yuan, {} stopped",
            store.backend().as_str(),
            t.elapsed().as_secs_f64(),
            r.lines.len(),
            anju_domain::money::Fen(r.roll.total_fen).yuan(),
            r.stopped.len()
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Eligibility: builds N generated files (45 % of them in 低保), then times every programme
/// decided for every file in one pass, and one programme's explained list.
pub async fn eligibility(g: &crate::Global, people: u64, date: &str) -> CmdResult {
    use anju_io::{ReadOptions, SheetWriter};
    use anju_jobs::{ImportOptions, Table, generate_persons, import_persons, import_table};
    let date = anju_domain::person::parse_date(date).ok_or("--date：日期无效")?;
    let store = crate::commands::open_store(g).await?;
    let scope = crate::commands::acting_scope(&store, g).await?;
    let dir = std::env::temp_dir().join(format!("anju-bench-elig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let persons_csv = dir.join("persons.csv");
    generate_persons(people, 11, &persons_csv, store.today())?;
    let opts = ImportOptions::default();
    let t = Instant::now();
    import_persons(&store, &scope, &persons_csv, &opts, |_| {})
        .await
        .map_err(|e| e.to_string())?;
    println!("准备：导入 {people} 人 {:.1} s", t.elapsed().as_secs_f64());
    let err = |e: anju_io::WriteError| e.to_string();
    let ap = dir.join("assistance.csv");
    let mut aw = SheetWriter::create(&ap, &Table::Assistance.headers()).map_err(err)?;
    let mut reader =
        anju_io::open(&persons_csv, &ReadOptions::default()).map_err(|e| e.to_string())?;
    let mut i = 0u64;
    while let Some(row) = reader.next_row().map_err(|e| e.to_string())? {
        let id = row.cells.first().cloned().unwrap_or_default();
        if i % 100 < 45 {
            aw.write_row(&[id.as_str(), "低保", "2024-01", "", ""])
                .map_err(err)?;
        }
        i += 1;
    }
    aw.finish().map_err(err)?;
    let t = Instant::now();
    import_table(&store, &scope, Table::Assistance, &ap, &opts, false)
        .await
        .map_err(|e| e.to_string())?;
    println!("准备：导入低保 {:.1} s", t.elapsed().as_secs_f64());
    let _ = std::fs::remove_dir_all(&dir);
    let t = Instant::now();
    let counts = store
        .programmes()
        .eligible_counts(&scope, date, None)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "eligibility, {} {people} people, every programme in one pass on {date}: {:.2} s",
        store.backend().as_str(),
        t.elapsed().as_secs_f64()
    );
    for (name, n) in &counts {
        println!("  {name}: {n}");
    }
    let t = Instant::now();
    let list = store
        .programmes()
        .eligible(&scope, "成人社区康复", date, None)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "eligibility, {} {people} people, 成人社区康复 explained: {:.2} s — {} eligible",
        store.backend().as_str(),
        t.elapsed().as_secs_f64(),
        list.len()
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Settlement: N delivery records (five for each of N/5 generated people, each with a case of
/// 成人社区康复 assigned to one provider), brought in through the sheets, then a month's bill
/// made from them, timed.
pub async fn settlement(g: &crate::Global, records: u64) -> CmdResult {
    use anju_io::SheetWriter;
    use anju_jobs::{
        ImportOptions, generate_persons, import_cases, import_deliveries, import_persons,
        import_providers,
    };
    let store = crate::commands::open_store(g).await?;
    let scope = crate::commands::acting_scope(&store, g).await?;
    let dir = std::env::temp_dir().join(format!("anju-bench-settle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let people = records.div_ceil(5);
    let persons_csv = dir.join("persons.csv");
    generate_persons(people, 13, &persons_csv, store.today())?;
    let opts = ImportOptions::default();
    let step = |what: &str, t: Instant, r: &anju_jobs::ImportReport| {
        println!(
            "准备：{what} {} 行（新增{}，更新{}，拒绝{}）{:.1} s",
            r.rows,
            r.inserted,
            r.updated,
            r.rejected,
            t.elapsed().as_secs_f64()
        );
    };
    let t = Instant::now();
    let r = import_persons(&store, &scope, &persons_csv, &opts, |_| {})
        .await
        .map_err(|e| e.to_string())?;
    step("导入档案", t, &r);
    let err = |e: anju_io::WriteError| e.to_string();
    let code = "91350100M000100Y43";
    let pp = dir.join("providers.csv");
    let mut w = SheetWriter::create(
        &pp,
        &[
            "统一社会信用代码",
            "机构名称",
            "机构类型",
            "服务区域",
            "服务项目",
            "协议开始日期",
            "协议结束日期",
        ],
    )
    .map_err(err)?;
    w.write_row(&[
        code,
        "测试康复中心",
        "定点康复机构",
        "320000000000",
        "成人社区康复",
        "2025-01-01",
        "2026-12-31",
    ])
    .map_err(err)?;
    w.finish().map_err(err)?;
    let t = Instant::now();
    let r = import_providers(&store, &scope, &pp, &opts)
        .await
        .map_err(|e| e.to_string())?;
    step("导入服务机构", t, &r);
    let ids: Vec<String> = {
        let mut reader = anju_io::open(&persons_csv, &anju_io::ReadOptions::default())
            .map_err(|e| e.to_string())?;
        let mut v = Vec::new();
        while let Some(row) = reader.next_row().map_err(|e| e.to_string())? {
            v.push(row.cells.first().cloned().unwrap_or_default());
        }
        v
    };
    let cp = dir.join("cases.csv");
    let mut w = SheetWriter::create(
        &cp,
        &[
            "身份证号",
            "服务项目",
            "受理日期",
            "状态",
            "当前步骤",
            "服务机构",
        ],
    )
    .map_err(err)?;
    for id in &ids {
        w.write_row(&[
            id.as_str(),
            "成人社区康复",
            "2025-08-01",
            "办理中",
            "康复服务",
            code,
        ])
        .map_err(err)?;
    }
    w.finish().map_err(err)?;
    let t = Instant::now();
    let r = import_cases(&store, &scope, &cp, &opts)
        .await
        .map_err(|e| e.to_string())?;
    step("导入个案", t, &r);
    let dp = dir.join("deliveries.csv");
    let mut w = SheetWriter::create(
        &dp,
        &["身份证号", "服务项目", "服务类型", "服务日期", "数量"],
    )
    .map_err(err)?;
    let mut written = 0u64;
    'all: for day in 1..=5u32 {
        for (i, id) in ids.iter().enumerate() {
            if written == records {
                break 'all;
            }
            let date = format!("2025-09-{:02}", day * 5);
            let units = (i % 3 + 1).to_string();
            w.write_row(&[id.as_str(), "成人社区康复", "康复训练", &date, &units])
                .map_err(err)?;
            written += 1;
        }
    }
    w.finish().map_err(err)?;
    let t = Instant::now();
    let r = import_deliveries(&store, &scope, &dp, &opts)
        .await
        .map_err(|e| e.to_string())?;
    step("导入服务记录", t, &r);
    let _ = std::fs::remove_dir_all(&dir);
    let provider = store
        .providers()
        .list(&scope)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or("服务机构未导入")?;
    let month = anju_domain::month::Month::parse("2025-09").map_err(|e| e.to_string())?;
    for run in ["first", "again (replaces the draft)"] {
        let t = Instant::now();
        let d = store
            .settlements()
            .draft(&scope, provider.id, month)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "settlement draft 2025-09, {} {records} records, {run}: {:.2} s — {} lines, {} yuan, {} unpriced",
            store.backend().as_str(),
            t.elapsed().as_secs_f64(),
            d.bill.line_count,
            anju_domain::money::Fen(d.bill.total_fen).yuan(),
            d.unpriced.len()
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The employment security levy for `employers` generated employers of 2024 with `staff`
/// disabled-employee rows among them, across the counties of Jiangsu: the three sheets are
/// written, imported as a clerk imports them, and the levy of 2025 computed and timed.
pub async fn levy(g: &crate::Global, employers: u64, staff: u64) -> CmdResult {
    use anju_domain::credit_code::CreditCode;
    use anju_domain::id_number::IdNumber;
    use anju_io::SheetWriter;
    use anju_jobs::ImportOptions;
    let store = crate::commands::open_store(g).await?;
    let scope = crate::commands::acting_scope(&store, g).await?;
    let dir = std::env::temp_dir().join(format!("anju-bench-levy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let table = anju_domain::RegionTable::jiangsu();
    let counties: Vec<String> = table
        .children(&table.root().code)
        .flat_map(|city| table.children(&city.code))
        .map(|r| r.code.to_string())
        .collect();
    let err = |e: anju_io::WriteError| e.to_string();
    let t = Instant::now();
    let mut codes = Vec::with_capacity(employers as usize);
    let ep = dir.join("employers.csv");
    let mut w = SheetWriter::create(
        &ep,
        &anju_domain::levy::rows::EMPLOYER_COLUMNS.map(|(h, _, _)| h),
    )
    .map_err(err)?;
    for i in 0..employers {
        let county = &counties[(i as usize) % counties.len()];
        let (head, kind) = if i % 10 == 0 {
            ("11", "机关")
        } else {
            ("91", "企业")
        };
        let code = CreditCode::compose(head, &county[..6], &format!("{:08}", i + 1))
            .ok_or("信用代码生成失败")?;
        // 10 to about 2,000 staff, wages about 60,000 to 240,000 yuan a head.
        let staff_n = 10 + (i * 7919) % 2000;
        let gross = staff_n * (60_000 + (i * 104_729) % 180_000);
        w.write_row(&[
            code.as_str(),
            &format!("测试单位{i}"),
            kind,
            county,
            &format!("{staff_n}.{:02}", i % 100),
            &format!("{gross}.{:02}", (i * 37) % 100),
        ])
        .map_err(err)?;
        codes.push(code);
    }
    w.finish().map_err(err)?;
    let sp = dir.join("staff.csv");
    let mut w = SheetWriter::create(
        &sp,
        &anju_domain::levy::rows::STAFF_COLUMNS.map(|(h, _, _)| h),
    )
    .map_err(err)?;
    let yes = |b: bool| if b { "是" } else { "否" };
    for j in 0..staff {
        let code = &codes[(j as usize * 7) % codes.len()];
        let birth = chrono::NaiveDate::from_ymd_opt(1970 + (j % 30) as i32, 1 + (j % 12) as u32, 1)
            .ok_or("日期")?;
        let id = IdNumber::compose(code.region(), birth, (j / 360 % 999) as u16 + 1)
            .map_err(|e| e.to_string())?;
        w.write_row(&[
            code.as_str(),
            id.as_str(),
            ["一级", "二级", "三级", "四级"][(j % 4) as usize],
            &(1 + j % 12).to_string(),
            yes(j % 17 != 0),
            yes(j % 19 != 0),
            yes(j % 23 != 0),
        ])
        .map_err(err)?;
    }
    w.finish().map_err(err)?;
    let pp = dir.join("params.csv");
    let mut w = SheetWriter::create(
        &pp,
        &anju_domain::levy::rows::PARAM_COLUMNS.map(|(h, _, _)| h),
    )
    .map_err(err)?;
    for c in &counties {
        w.write_row(&[c, "2025", "1.5", "118000"]).map_err(err)?;
    }
    w.finish().map_err(err)?;
    println!("准备：生成三张表 {:.1} s", t.elapsed().as_secs_f64());
    let opts = ImportOptions::default();
    let t = Instant::now();
    let r = anju_jobs::levy::import_params(&store, &scope, &pp, &opts)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "导入参数 {} 行（拒绝{}）{:.1} s",
        r.rows,
        r.rejected,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let r = anju_jobs::levy::import_employers(&store, &scope, &ep, 2024, &opts)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "导入单位 {} 行（拒绝{}）{:.1} s",
        r.rows,
        r.rejected,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let r = anju_jobs::levy::import_staff(&store, &scope, &sp, 2024, &opts)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "导入残疾职工 {} 行（拒绝{}）{:.1} s",
        r.rows,
        r.rejected,
        t.elapsed().as_secs_f64()
    );
    if r.rejected > 0 {
        return Err(format!(
            "生成的数据有{}行被拒绝：{:?}",
            r.rejected,
            r.errors.first()
        ));
    }
    let t = Instant::now();
    let run = store
        .levies()
        .compute(&scope, 2025, None, false)
        .await
        .map_err(|e| e.to_string())?;
    let took = t.elapsed();
    println!(
        "计算保障金：{} 家单位、{staff} 名残疾职工，{:.2} s，实缴合计 {} 元",
        run.employers.len(),
        took.as_secs_f64(),
        anju_domain::money::Fen(run.total_fen).yuan()
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}
