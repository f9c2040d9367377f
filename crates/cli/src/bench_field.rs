//! `anju bench needs`: the needs-gap warnings, the visit list and the survey's progress on
//! generated people with generated home visits: three in ten people visited, their needs
//! varied, one visit in ten finding the person living alone.

use std::process::ExitCode;
use std::time::Instant;

use anju_domain::id_number::IdNumber;
use anju_domain::visit::Visit;

use crate::commands::CmdResult;

const NEEDS: [&[&str]; 5] = [
    &["rehab", "device"],
    &["employment"],
    &["basic_living"],
    &["care", "renovation"],
    &["training", "culture"],
];

fn p50(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Files `people` generated people (unless the registry holds as many), records a visit for
/// three in ten (unless visits are there), then times the province's warnings, the largest
/// county's, and that county's visit list (p50 of five runs each).
pub async fn needs(g: &crate::Global, people: u64) -> CmdResult {
    let store = crate::commands::open_store(g).await?;
    let scope = crate::commands::acting_scope(&store, g).await?;
    let dir = std::env::temp_dir().join(format!("anju-bench-needs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (persons_csv, _) = crate::bench_jobs::ensure_people(&store, &scope, people, &dir).await?;
    let before = store
        .needs()
        .gaps(&scope, None)
        .await
        .map_err(|e| e.to_string())?;
    let mut counties: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let mut reader =
        anju_io::open(&persons_csv, &anju_io::ReadOptions::default()).map_err(|e| e.to_string())?;
    let mut batch = Vec::new();
    let t = Instant::now();
    let mut recorded = 0u64;
    let mut i = 0u64;
    let on = store.today() - chrono::Days::new(90);
    while let Some(row) = reader.next_row().map_err(|e| e.to_string())? {
        i += 1;
        let Some(id) = row.cells.first().and_then(|c| IdNumber::parse(c).ok()) else {
            continue;
        };
        *counties.entry(id.as_str()[..6].to_owned()).or_default() += 1;
        if !before.warnings.is_empty() || i % 10 >= 3 {
            continue;
        }
        batch.push((
            id,
            Visit {
                visited_on: on,
                met: "self".into(),
                living: if i.is_multiple_of(10) {
                    "alone"
                } else {
                    "family"
                }
                .into(),
                health: "fair".into(),
                income: "family".into(),
                needs: NEEDS[(i as usize / 10) % NEEDS.len()]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                note: String::new(),
                followup: None,
            },
        ));
        if batch.len() >= 50_000 {
            recorded += store
                .visits()
                .record_many(&scope, std::mem::take(&mut batch))
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    if !batch.is_empty() {
        recorded += store
            .visits()
            .record_many(&scope, batch)
            .await
            .map_err(|e| e.to_string())?;
    }
    if recorded > 0 {
        println!(
            "准备：记录 {recorded} 次走访 {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let (county, in_county) = counties
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .ok_or("没有生成档案")?;
    let engine = store.backend().as_str();
    let mut times = Vec::new();
    let mut warned = 0;
    for _ in 0..5 {
        let t = Instant::now();
        warned = store
            .needs()
            .gaps(&scope, None)
            .await
            .map_err(|e| e.to_string())?
            .warnings
            .len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "needs gaps, {engine}: {people} people, province: {warned} warnings, p50 {:.0} ms",
        p50(times)
    );
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        warned = store
            .needs()
            .gaps(&scope, Some(&county))
            .await
            .map_err(|e| e.to_string())?
            .warnings
            .len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "needs gaps, {engine}: county {county} ({in_county} people): {warned} warnings, p50 {:.0} ms",
        p50(times)
    );
    let county_scope = store
        .users()
        .local_scope(&g.acting_as)
        .await
        .map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    let mut listed = 0;
    for _ in 0..5 {
        let t = Instant::now();
        listed = store
            .visits()
            .due(&county_scope, &anju_store::DueFilter::default())
            .await
            .map_err(|e| e.to_string())?
            .len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "visit list, {engine}: the acting account's whole scope: {listed} people due, p50 {:.0} ms",
        p50(times)
    );
    // The survey's progress page: the year opened for the whole scope, counted per child
    // region.
    let year = chrono::Datelike::year(&store.today());
    store
        .survey()
        .open_year(&scope, year, None)
        .await
        .map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    let mut regions = 0;
    for _ in 0..5 {
        let t = Instant::now();
        regions = store
            .survey()
            .progress(&scope, year)
            .await
            .map_err(|e| e.to_string())?
            .len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "survey progress, {engine}: {people} people, {regions} child regions, p50 {:.0} ms",
        p50(times)
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}
