//! What the tests that run the `mlm` binary against the BigCommerce stand-in share.
#![allow(dead_code)] // each test binary uses its own part

use mlm_bigcommerce::standin::StandIn;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// A fresh path for `name` in this test's scratch folder `dir`: the file, its SQLite WAL and
/// shared-memory companions and its token key are removed first.
pub fn tmp_in(dir: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    for suffix in ["", "-wal", "-shm", ".token-key"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
    }
    p
}

/// A child process (an `mlm serve`) killed when the test ends, however it ends.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `mlm`, configured for the stand-in (store `s1`, token `t1`) and signing `secret`.
pub fn mlm_for(bc: &StandIn, secret: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mlm"));
    c.env("BIGCOMMERCE_API_BASE", bc.base_url())
        .env("BIGCOMMERCE_STORE_HASH", "s1")
        .env("BIGCOMMERCE_ACCESS_TOKEN", "t1")
        .env("BIGCOMMERCE_CLIENT_SECRET", secret);
    c
}
