//! Period close at scale: `cargo bench -p mlm-engine --bench period_close -- 10000 100000 1000000`.
//!
//! For each size N it generates a seeded scenario of N distributors and 5 × N orders in one month
//! (every plan section on, v2's included: a 120-day fast-start window, which the generated
//! join dates put about a fifth of the orders in (`--all-fast-start` puts every order in it),
//! matching of unilevel, binary, matrix and fast-start, advancement bonuses on every rank, an
//! equal and a GV pool, and one adjustment per thousand distributors; 4% of orders refunded,
//! half of those late, so a second period closes with clawbacks), then times each phase
//! separately and reports the process's peak resident memory. `--v1` leaves v2's sections off. Close is what the target is about (1M distributors, 5M orders: ≤ 30 s, ≤ 4 GiB on
//! 2 cores); generation and validation are shown so nothing is hidden.

use mlm_engine::close::Kind;
use mlm_engine::period::Timestamp;
use mlm_engine::plan::{FastStart, Matching, Pool, Split};
use mlm_engine::scenario::{Adjustment, Scenario};
use mlm_engine::Run;
use mlm_scenario_gen::{generate, Params};
use rust_decimal::Decimal;
use std::time::Instant;

/// CPU seconds (user + system) this process has used: steadier than wall time on a shared
/// machine.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Every section of plan v2 on (spec §17–§21).
fn with_v2(s: &mut Scenario, all_fast_start: bool) {
    let d = |t: &str| t.parse::<Decimal>().expect("decimal");
    let p = &mut s.plan;
    p.fast_start = Some(FastStart { rates: vec![d("0.10"), d("0.05")], days: if all_fast_start { 400 } else { 120 } });
    p.matching = Some(Matching {
        rates: vec![d("0.10"), d("0.05"), d("0.02")],
        of: vec![Kind::Unilevel, Kind::Binary, Kind::Matrix, Kind::FastStart],
        unranked_depth: 1,
    });
    for (i, r) in p.ranks.iter_mut().enumerate() {
        r.advancement_bonus = Some(Decimal::from(50 * (i as i64 + 1)));
        r.matching_depth = Some(i as u32 + 2);
    }
    p.pools = vec![
        Pool { name: "leaders".into(), share: d("0.01"), rank: 0, split: Split::Equal },
        Pool { name: "top".into(), share: d("0.005"), rank: p.ranks.len() - 1, split: Split::Gv },
    ];
    let first = s.orders.iter().map(|o| o.placed_at.0).min().unwrap_or(0);
    for k in 0..s.distributors.len() / 1000 {
        s.adjustments.push(Adjustment {
            id: format!("ADJ-{k}"),
            distributor: s.distributors[k * 997 % s.distributors.len()].id.clone(),
            at: Timestamp(first + k as i64 * 1_000_000_000),
            amount: Decimal::new(if k % 3 == 0 { -1500 } else { 2500 }, 2),
            reason: "bench".into(),
        });
    }
}

fn main() {
    let v1 = std::env::args().any(|a| a == "--v1");
    let all_fast_start = std::env::args().any(|a| a == "--all-fast-start");
    let sizes: Vec<usize> =
        std::env::args().skip(1).filter(|a| !a.starts_with('-')).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000] } else { sizes };
    let fast_start_orders = |s: &Scenario| {
        let Some(f) = &s.plan.fast_start else { return 0 };
        let joined: std::collections::HashMap<&str, i64> =
            s.distributors.iter().map(|d| (d.id.as_str(), d.joined_at.0)).collect();
        let window = f.days as i64 * 86_400 * 1_000_000_000;
        s.orders
            .iter()
            .filter(|o| {
                o.buyer
                    .as_deref()
                    .and_then(|b| joined.get(b))
                    .is_some_and(|&j| j <= o.placed_at.0 && o.placed_at.0 < j + window)
            })
            .count()
    };
    println!("| distributors | orders | generate s | validate+value s | close s | close CPU s | periods | lines | commissions | peak RSS MiB |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        let t = Instant::now();
        let mut scenario = generate(&Params { distributors: n, orders: 5 * n, seed: 42, months: 1, refund_percent: 4 });
        if !v1 {
            with_v2(&mut scenario, all_fast_start);
        }
        let generate_s = t.elapsed().as_secs_f64();
        eprintln!("{} distributor orders in a fast-start window", fast_start_orders(&scenario));
        let t = Instant::now();
        let run = Run::prepare(scenario).expect("generated scenarios are valid");
        let prepare_s = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let cpu = cpu_s();
        let (mut periods, mut lines, mut commissions) = (0, 0usize, Decimal::ZERO);
        run.close_all(|st| {
            periods += 1;
            lines += st.lines.len();
            commissions += st.company.commissions;
            true
        });
        let close_s = t.elapsed().as_secs_f64();
        let close_cpu = cpu_s() - cpu;
        println!(
            "| {n} | {} | {generate_s:.2} | {prepare_s:.2} | {close_s:.2} | {close_cpu:.2} | {periods} | {lines} | {commissions} | {} |",
            5 * n,
            peak_rss_mib().map_or("?".into(), |m| m.to_string())
        );
    }
}
