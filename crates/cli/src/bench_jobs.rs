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
