//! `anju bench indicators`: every plan indicator for subtrees of a generated province: the
//! first reading of a day (a full count), then warm readings for the province and the
//! largest city, county, town and village, then readings after 1 and after 100 files changed
//! (their villages recounted), and a count afresh for a past date.

use std::process::ExitCode;
use std::time::Instant;

use anju_domain::id_number::IdNumber;
use anju_store::{Board, When};

use crate::commands::CmdResult;

fn p50(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn largest_child(b: &Board) -> Option<String> {
    let holders = b.indicators.iter().find(|i| i.key == "holders")?;
    holders
        .children
        .iter()
        .max_by_key(|c| c.tally.n)
        .filter(|c| c.tally.n > 0)
        .map(|c| c.code.clone())
}

pub async fn indicators(g: &crate::Global, people: u64, samples: usize) -> CmdResult {
    let store = crate::commands::open_store(g).await?;
    let scope = crate::commands::acting_scope(&store, g).await?;
    let dir = std::env::temp_dir().join(format!("anju-bench-ind-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (persons_csv, _) = crate::bench_jobs::ensure_people(&store, &scope, people, &dir).await?;
    let engine = store.backend().as_str();
    let n = store
        .indicators()
        .definitions()
        .map_err(|e| e.to_string())?
        .len();
    // The day's first reading counts everything (the server does it when the day turns).
    store
        .indicators()
        .invalidate(&scope)
        .await
        .map_err(|e| e.to_string())?;
    let t = Instant::now();
    let province = store
        .indicators()
        .board(&scope, None, When::Now)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "indicators, {engine}: {people} people, {n} indicators: full count {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // The subtrees: the province, then the largest child at each level.
    let mut regions = vec![(province.region.code.to_string(), "province")];
    let mut b = province;
    for level in ["city", "county", "town", "village"] {
        let Some(code) = largest_child(&b) else {
            break;
        };
        b = store
            .indicators()
            .board(&scope, Some(&code), When::Now)
            .await
            .map_err(|e| e.to_string())?;
        regions.push((code, level));
    }
    let time = |region: String| {
        let store = &store;
        let scope = &scope;
        async move {
            let mut times = Vec::new();
            let mut holders = 0;
            for _ in 0..samples {
                let t = Instant::now();
                let b = store
                    .indicators()
                    .board(scope, Some(&region), When::Now)
                    .await
                    .map_err(|e| e.to_string())?;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                holders = b
                    .indicators
                    .iter()
                    .find(|i| i.key == "holders")
                    .map_or(0, |i| i.tally.n);
            }
            let max = times_max(&times);
            Ok::<_, String>((p50(times), max, holders))
        }
    };
    for (code, level) in &regions {
        let (p, max, holders) = time(code.clone()).await?;
        println!(
            "indicators, {engine}: {level} {code} ({holders} holders, every indicator with its \
             child regions): p50 {p:.1} ms, max {max:.1} ms"
        );
    }
    // Files changed: their villages are recounted at the next reading.
    let admin = store
        .users()
        .local_scope(&g.acting_as)
        .await
        .map_err(|e| e.to_string())?;
    let mut reader =
        anju_io::open(&persons_csv, &anju_io::ReadOptions::default()).map_err(|e| e.to_string())?;
    let mut ids = Vec::new();
    let mut i = 0u64;
    while let Some(row) = reader.next_row().map_err(|e| e.to_string())? {
        i += 1;
        if i.is_multiple_of((people / 100).max(1))
            && let Some(id) = row.cells.first().and_then(|c| IdNumber::parse(c).ok())
        {
            ids.push(id);
        }
        if ids.len() >= 100 {
            break;
        }
    }
    for changed in [1usize, 100] {
        for id in ids.iter().take(changed) {
            let mut p = store
                .persons()
                .get(&admin, id)
                .await
                .map_err(|e| e.to_string())?
                .person;
            p.phone = Some(format!(
                "1390000{:04}",
                p.id_number.as_str().len() + changed
            ));
            p.address = Some(format!("基准测试修改{changed}"));
            store
                .persons()
                .update(&admin, p, anju_store::Source::Web)
                .await
                .map_err(|e| e.to_string())?;
        }
        let t = Instant::now();
        store
            .indicators()
            .board(&scope, None, When::Now)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "indicators, {engine}: province after {changed} files changed (their villages \
             recounted): {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    // A past date is counted afresh (a snapshot serves year ends).
    if let Some((code, _)) = regions.get(2) {
        let on = store.today() - chrono::Days::new(100);
        let t = Instant::now();
        store
            .indicators()
            .board(&scope, Some(code), When::Date(on))
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "indicators, {engine}: county {code} counted afresh for {on}: {:.0} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}

fn times_max(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}
