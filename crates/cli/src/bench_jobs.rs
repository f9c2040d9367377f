//! `anju bench matching`: job matching on generated seekers and postings.

use std::process::ExitCode;
use std::time::Instant;

use anju_domain::employment::EmploymentRules;
use anju_domain::id_number::IdNumber;
use anju_domain::jobs::{Hours, Posting, SeekerInput};
use anju_domain::{Level, RegionTable};

use crate::commands::CmdResult;

const POSTS: [&str; 8] = [
    "客服", "包装", "电商", "保洁", "仓管", "按摩", "手工", "文员",
];
const SKILLS: [&str; 6] = ["电脑操作", "普通话", "推拿", "缝纫", "驾驶", "会计"];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Files `seekers` * 2.6 generated people, registers the first `seekers` of working age as
/// job seekers (wanting work in their county), posts `postings` generated jobs across the
/// province's towns, then times: every seeker matched against every posting it may see (the
/// seekers list's counts), one seeker's ranked postings and one posting's ranked seekers (by
/// a sample of each, p50 and p95).
pub async fn matching(g: &crate::Global, seekers: u64, postings: u64, samples: usize) -> CmdResult {
    use anju_jobs::{ImportOptions, generate_persons, import_persons};
    let store = crate::commands::open_store(g).await?;
    let scope = crate::commands::acting_scope(&store, g).await?;
    let dir = std::env::temp_dir().join(format!("anju-bench-jobs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let persons_csv = dir.join("persons.csv");
    let people = seekers * 26 / 10;
    generate_persons(people, 14, &persons_csv, store.today())?;
    let t = Instant::now();
    import_persons(
        &store,
        &scope,
        &persons_csv,
        &ImportOptions::default(),
        |_| {},
    )
    .await
    .map_err(|e| e.to_string())?;
    println!("准备：导入 {people} 人 {:.1} s", t.elapsed().as_secs_f64());
    let rules = EmploymentRules::shipped()?;
    let today = store.today();
    let mut reader =
        anju_io::open(&persons_csv, &anju_io::ReadOptions::default()).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let jobs = store.jobs();
    let mut registered = Vec::new();
    while let Some(row) = reader.next_row().map_err(|e| e.to_string())? {
        if registered.len() as u64 >= seekers {
            break;
        }
        let Some(id) = row.cells.first().and_then(|c| IdNumber::parse(c).ok()) else {
            continue;
        };
        if !rules.of_working_age(id.birth_date(), today) {
            continue;
        }
        let rec = store
            .persons()
            .get(&scope, &id)
            .await
            .map_err(|e| e.to_string())?;
        let n = registered.len();
        let input = SeekerInput {
            wanted: POSTS[n % POSTS.len()].into(),
            skills: format!(
                "{}、{}",
                SKILLS[n % SKILLS.len()],
                SKILLS[(n / 7) % SKILLS.len()]
            ),
            region_code: rec.person.household_code.as_str()[..6].to_owned(),
            hours: ["全日制", "均可", "非全日制"][n % 3].into(),
            min_wage: if n % 4 == 0 {
                "2500".into()
            } else {
                String::new()
            },
        };
        jobs.register(&scope, rec.id, &input)
            .await
            .map_err(|e| e.to_string())?;
        registered.push(rec.id);
    }
    println!(
        "准备：登记求职 {} 人 {:.1} s",
        registered.len(),
        t.elapsed().as_secs_f64()
    );
    let table = RegionTable::jiangsu();
    let mut towns: Vec<String> = Vec::new();
    let mut stack = vec![table.root()];
    while let Some(r) = stack.pop() {
        if r.level == Level::Town {
            towns.push(r.code.to_string());
        } else if r.level != Level::Village {
            stack.extend(table.children(&r.code));
        }
    }
    towns.sort();
    let t = Instant::now();
    let mut batch = Vec::new();
    for i in 0..postings as usize {
        batch.push(Posting {
            employer_code: None,
            employer_name: format!("测试单位{}", i / 3),
            post: format!("{}员", POSTS[(i * 7) % POSTS.len()]),
            openings: 1 + (i % 5) as u32,
            wage_fen: 200_000 + ((i * 7919) % 400_000) as i64,
            region_code: towns[(i * 104_729) % towns.len()].clone(),
            hours: Hours::ALL[i % 3],
            skills: vec![SKILLS[i % SKILLS.len()].to_owned()],
            categories: if i % 3 == 0 {
                vec![(1 + i % 7) as u8]
            } else {
                vec![]
            },
            grades: if i % 5 == 0 { vec![3, 4] } else { vec![] },
            accessible: i % 2 == 0,
            closes_on: None,
        });
        if batch.len() == 10_000 {
            jobs.post_many(&scope, &batch)
                .await
                .map_err(|e| e.to_string())?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        jobs.post_many(&scope, &batch)
            .await
            .map_err(|e| e.to_string())?;
    }
    println!(
        "准备：登记岗位 {postings} 个 {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
    let backend = store.backend().as_str();

    let t = Instant::now();
    let counts = jobs.match_counts(&scope).await.map_err(|e| e.to_string())?;
    let took = t.elapsed().as_secs_f64();
    let pairs: usize = counts.values().map(|c| c.0).sum();
    let none = counts.values().filter(|c| c.0 == 0).count();
    println!(
        "matching, {backend}: all {} seekers against {postings} postings: {took:.2} s — {pairs} fitting pairs, {none} seekers with none",
        counts.len()
    );

    let step = (registered.len() / samples.max(1)).max(1);
    let mut ms = Vec::new();
    for person in registered.iter().step_by(step).take(samples) {
        let t = Instant::now();
        jobs.matches_for_seeker(&scope, *person)
            .await
            .map_err(|e| e.to_string())?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "matching, {backend}: one seeker's ranked postings ({} samples): p50 {:.1} ms, p95 {:.1} ms",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.95)
    );
    let mut ms = Vec::new();
    let step = (postings as usize / samples.max(1)).max(1);
    for id in (1..=postings as i64).step_by(step).take(samples) {
        let t = Instant::now();
        jobs.matches_for_posting(&scope, id)
            .await
            .map_err(|e| e.to_string())?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "matching, {backend}: one posting's ranked seekers ({} samples): p50 {:.1} ms, p95 {:.1} ms",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.95)
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `anju bench crosscheck`: files `people` generated people (unless the registry already
/// holds as many), writes a list of `rows` rows of `kind` (nine in ten of the registry's
/// people, the rest unknown numbers, a few without a number for the weak match, a few
/// unreadable), then times the run: read, matched, classified, kept with its tasks.
/// Writes `people` generated people to `dir`/persons.csv and files them, unless the
/// registry already holds as many; the sheet's path and how many files the registry held.
pub(crate) async fn ensure_people(
    store: &anju_store::Store,
    scope: &anju_store::Scope,
    people: u64,
    dir: &std::path::Path,
) -> Result<(std::path::PathBuf, u64), String> {
    use anju_jobs::{ImportOptions, generate_persons, import_persons};
    let persons_csv = dir.join("persons.csv");
    generate_persons(people, 21, &persons_csv, store.today())?;
    let held = store
        .persons()
        .list(scope, &anju_store::PersonFilter::new(store.today()))
        .await
        .map_err(|e| e.to_string())?
        .total;
    if (held as u64) < people {
        let t = Instant::now();
        import_persons(
            store,
            scope,
            &persons_csv,
            &ImportOptions::default(),
            |_| {},
        )
        .await
        .map_err(|e| e.to_string())?;
        println!("准备：导入 {people} 人 {:.1} s", t.elapsed().as_secs_f64());
    } else {
        println!("准备：档案已有 {held} 人，不再导入");
    }
    Ok((persons_csv, held as u64))
}

pub async fn crosscheck(g: &crate::Global, people: u64, rows: u64, kind: &str) -> CmdResult {
    use anju_domain::crosscheck::ListKind;
    let kind = ListKind::parse(kind).ok_or("--kind：没有这种名单")?;
    let store = crate::commands::open_store(g).await?;
    let scope = crate::commands::acting_scope(&store, g).await?;
    let dir = std::env::temp_dir().join(format!("anju-bench-cc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (persons_csv, held) = ensure_people(&store, &scope, people, &dir).await?;
    let mut reader =
        anju_io::open(&persons_csv, &anju_io::ReadOptions::default()).map_err(|e| e.to_string())?;
    let name_at = reader
        .headers
        .iter()
        .position(|h| h == "姓名")
        .ok_or("生成的档案缺少姓名")?;
    let list = dir.join("list.csv");
    let headers: Vec<&str> = match kind {
        ListKind::Insurance => vec![
            "身份证号",
            "姓名",
            "险种",
            "参保状态",
            "缴费年月",
            "出生日期",
            "性别",
        ],
        ListKind::Deaths => vec!["身份证号", "姓名", "死亡日期", "出生日期", "性别"],
        _ => return Err("--kind：基准只支持 insurance 和 deaths".into()),
    };
    let mut w = anju_io::SheetWriter::create(&list, &headers).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let mut written = 0u64;
    let mut i = 0u64;
    while written < rows {
        let row = reader.next_row().map_err(|e| e.to_string())?;
        let (id, name) = match &row {
            Some(r) if i % 10 != 9 => (
                r.cells.first().cloned().unwrap_or_default(),
                r.cells.get(name_at).cloned().unwrap_or_default(),
            ),
            // Unknown people: numbers that are nobody's here.
            _ => (
                IdNumber::compose(
                    "110105",
                    chrono::NaiveDate::from_ymd_opt(1960 + (i % 40) as i32, 1 + (i % 12) as u32, 1)
                        .ok_or("日期")?,
                    (i / 480 % 999) as u16 + 1,
                )
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
                format!("外地{i}"),
            ),
        };
        let parsed = IdNumber::parse(&id).ok();
        let birth = parsed
            .as_ref()
            .map(|p| p.birth_date().to_string())
            .unwrap_or_default();
        let sex = parsed.as_ref().map(|p| p.sex().label()).unwrap_or("");
        // One in a thousand without its number (the weak match), one in five thousand bad.
        let id_cell = if i % 1000 == 500 {
            String::new()
        } else if i % 5000 == 7 {
            "123".to_owned()
        } else {
            id
        };
        let cells: Vec<String> = match kind {
            ListKind::Insurance => vec![
                id_cell,
                name,
                if i.is_multiple_of(2) {
                    "养老"
                } else {
                    "医保"
                }
                .into(),
                if i % 20 == 3 {
                    "暂停缴费"
                } else {
                    "参保缴费"
                }
                .into(),
                "2025-05".into(),
                birth,
                sex.into(),
            ],
            _ => vec![id_cell, name, "2025-03-01".into(), birth, sex.into()],
        };
        w.write_row(&cells).map_err(|e| e.to_string())?;
        written += 1;
        i += 1;
    }
    w.finish().map_err(|e| e.to_string())?;
    println!(
        "准备：写出 {rows} 行名单 {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let r = anju_jobs::crosscheck::run(&store, &scope, kind, &list, "list.csv")
        .await
        .map_err(|e| e.to_string())?;
    let took = t.elapsed().as_secs_f64();
    let b = &r.batch;
    println!(
        "crosscheck, {}: {} rows of {} against {held_or} people: {took:.2} s — consistent {}, different {}, list only {}, registry only {}, weak {}, rejected {}, tasks {}",
        store.backend().as_str(),
        b.rows,
        kind.as_str(),
        b.classes.consistent,
        b.classes.different,
        b.classes.list_only,
        b.classes.registry_only,
        b.classes.weak,
        b.classes.rejected,
        b.tasks,
        held_or = people.max(held),
    );
    // The verification service: calls of 1,000 numbers each (nine in ten held here).
    let (key, _) = store
        .dept_keys()
        .create(&scope, "基准测试", "category", "320000000000", "10000000")
        .await
        .map_err(|e| e.to_string())?;
    let mut reader =
        anju_io::open(&persons_csv, &anju_io::ReadOptions::default()).map_err(|e| e.to_string())?;
    let mut ids = Vec::new();
    while ids.len() < 100_000 {
        let Some(r) = reader.next_row().map_err(|e| e.to_string())? else {
            break;
        };
        ids.push(r.cells.first().cloned().unwrap_or_default());
    }
    let mut ms = Vec::new();
    for call in ids.chunks(1000).take(100) {
        let t = Instant::now();
        let answers = store
            .dept_keys()
            .verify(&key, call, "bench")
            .await
            .map_err(|e| e.to_string())?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if answers.len() != call.len() {
            return Err("核验答复的个数不对".into());
        }
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "verify, {}: {} calls of 1,000 ID numbers: p50 {:.1} ms, p95 {:.1} ms",
        store.backend().as_str(),
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.95)
    );
    let _ = std::fs::remove_dir_all(&dir);
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
