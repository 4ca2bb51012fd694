//! Period close at scale: `cargo bench -p mlm-engine --bench period_close -- 10000 100000 1000000`.
//!
//! For each size N it generates a seeded scenario of N distributors and 5 × N orders in one month
//! (every plan section on, 4% of orders refunded, half of those late, so a second period closes
//! with clawbacks), then times each phase separately and reports the process's peak resident
//! memory. Close is what the target is about (1M distributors, 5M orders: ≤ 30 s, ≤ 4 GiB on
//! 2 cores); generation and validation are shown so nothing is hidden.

use mlm_engine::Run;
use mlm_scenario_gen::{generate, Params};
use rust_decimal::Decimal;
use std::time::Instant;

fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

fn main() {
    let sizes: Vec<usize> =
        std::env::args().skip(1).filter(|a| !a.starts_with('-')).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000] } else { sizes };
    println!("| distributors | orders | generate s | validate+value s | close s | periods | lines | commissions | peak RSS MiB |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        let t = Instant::now();
        let scenario = generate(&Params { distributors: n, orders: 5 * n, seed: 42, months: 1, refund_percent: 4 });
        let generate_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let run = Run::prepare(scenario).expect("generated scenarios are valid");
        let prepare_s = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let (mut periods, mut lines, mut commissions) = (0, 0usize, Decimal::ZERO);
        run.close_all(|st| {
            periods += 1;
            lines += st.lines.len();
            commissions += st.company.commissions;
            true
        });
        let close_s = t.elapsed().as_secs_f64();
        println!(
            "| {n} | {} | {generate_s:.2} | {prepare_s:.2} | {close_s:.2} | {periods} | {lines} | {commissions} | {} |",
            5 * n,
            peak_rss_mib().map_or("?".into(), |m| m.to_string())
        );
    }
}
