//! Runs every hand-worked case under `tests/cases/` through the `mlm` binary.
//!
//! A case directory holds `scenario.yaml` and either `expected.json` (a subset pattern of the
//! statement: listed object keys must match; arrays of objects with an `id` or `period` key are
//! matched by that key; every other array must match element for element) or `error.txt` (a
//! substring stderr must contain, with nothing on stdout and a non-zero exit). `args.txt` adds
//! command-line arguments.
//!
//! Income disclosure (spec §22): each `disclosure*.args` file (the arguments after the scenario,
//! possibly none) runs `mlm disclosure`; the same stem with `.json` is the expected subset, or
//! with `.error` a substring stderr must contain.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases")
}

fn matches(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match a.get(k) {
                    Some(av) => matches(ev, av, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k}: missing (expected {ev})")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            let key = ["id", "period"].into_iter().find(|k| {
                !e.is_empty() && e.iter().all(|x| x.get(k).is_some()) && a.iter().all(|x| x.get(k).is_some())
            });
            match key {
                Some(k) => {
                    for ev in e {
                        let want = &ev[k];
                        match a.iter().find(|x| &x[k] == want) {
                            Some(av) => matches(ev, av, &format!("{path}[{k}={want}]"), out),
                            None => out.push(format!("{path}: no element with {k} = {want}")),
                        }
                    }
                }
                None => {
                    if e.len() != a.len() {
                        out.push(format!(
                            "{path}: {} elements expected, {} found\n    expected {}\n    actual   {}",
                            e.len(),
                            a.len(),
                            Value::Array(e.clone()),
                            Value::Array(a.clone())
                        ));
                        return;
                    }
                    for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                        matches(ev, av, &format!("{path}[{i}]"), out);
                    }
                }
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!("{path}: expected {expected}, found {actual}")),
    }
}

fn run_case(dir: &Path) -> Result<(), String> {
    let args = std::fs::read_to_string(dir.join("args.txt")).unwrap_or_default();
    check(dir, "simulate", &args, &dir.join("expected.json"), &dir.join("error.txt"))?;
    let mut runs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .map(|e| e.expect("readable").path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("disclosure") && name.ends_with(".args")
        })
        .collect();
    runs.sort();
    for run in runs {
        let args = std::fs::read_to_string(&run).map_err(|e| e.to_string())?;
        check(dir, "disclosure", &args, &run.with_extension("json"), &run.with_extension("error"))
            .map_err(|e| format!("{}: {e}", run.file_name().unwrap_or_default().to_string_lossy()))?;
    }
    Ok(())
}

fn check(dir: &Path, command: &str, args: &str, expected: &Path, error: &Path) -> Result<(), String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlm"));
    cmd.arg(command).arg(dir.join("scenario.yaml"));
    cmd.args(args.split_whitespace());
    let out = cmd.output().map_err(|e| format!("cannot run mlm: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Ok(want) = std::fs::read_to_string(error) {
        let want = want.trim();
        if out.status.success() {
            return Err(format!("expected failure mentioning {want:?}, but it succeeded"));
        }
        if !stdout.is_empty() {
            return Err(format!("an invalid scenario printed on stdout: {stdout}"));
        }
        if !stderr.contains(want) {
            return Err(format!("stderr does not mention {want:?}:\n{stderr}"));
        }
        return Ok(());
    }
    if !out.status.success() {
        return Err(format!("mlm failed ({}):\n{stderr}", out.status));
    }
    let actual: Value = serde_json::from_str(&stdout).map_err(|e| format!("stdout is not JSON: {e}"))?;
    let text = std::fs::read_to_string(expected).map_err(|e| format!("{}: {e}", expected.display()))?;
    let expected: Value = serde_json::from_str(&text).map_err(|e| format!("expected.json is not JSON: {e}"))?;
    let mut diffs = Vec::new();
    matches(&expected, &actual, "$", &mut diffs);
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("\n  "))
    }
}

#[test]
fn hand_worked_cases() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/cases exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.join("scenario.yaml").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 20, "expected the hand-worked cases, found {}", dirs.len());
    let mut failures = Vec::new();
    for dir in &dirs {
        if let Err(e) = run_case(dir) {
            failures.push(format!("{}:\n  {e}", dir.file_name().unwrap().to_string_lossy()));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), dirs.len(), failures.join("\n"));
    eprintln!("{} hand-worked cases passed", dirs.len());
}

#[test]
fn the_matcher_catches_differences() {
    let a: Value = serde_json::json!({"periods": [{"period": "2026-11", "distributors": [{"id": "D1", "lines": [{"amount": "1.00"}]}]}]});
    let mut out = Vec::new();
    matches(
        &serde_json::json!({"periods": [{"period": "2026-11", "distributors": [{"id": "D1", "lines": []}]}]}),
        &a,
        "$",
        &mut out,
    );
    assert_eq!(out.len(), 1, "{out:?}");
    out.clear();
    matches(&serde_json::json!({"periods": [{"period": "2026-12"}]}), &a, "$", &mut out);
    assert_eq!(out.len(), 1);
    out.clear();
    matches(
        &serde_json::json!({"periods": [{"period": "2026-11", "distributors": [{"id": "D1", "lines": [{"amount": "1.00"}]}]}]}),
        &a,
        "$",
        &mut out,
    );
    assert!(out.is_empty());
}
