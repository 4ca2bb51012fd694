//! `mlm serve`: the whole product in one process on the embedded ledger file: the routes API
//! Gateway serves (`POST /webhooks/bigcommerce`, `POST /attribution`), in-process queues with the
//! same routing, the same workers, and the daily tick (hourly here). Point a sandbox store's
//! webhooks at it (through a tunnel) to try a plan before go-live.

use crate::store_front::client_from_env;
use crate::Data;
use anyhow::{bail, Context as _, Result};
use mlm_app::local::Local;
use mlm_bigcommerce::signature::Verifier;
use mlm_sync::commerce::{BigCommerce, Commerce};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Plan file to start from, if the ledger has none yet.
    #[arg(long)]
    pub plan: Option<std::path::PathBuf>,
    /// Rehearsal clock for the tick (RFC 3339; default `MLM_NOW`, else the machine's): play a
    /// month's close in staging before go-live. Webhook signatures keep the real clock.
    #[arg(long)]
    pub now: Option<String>,
    /// Do not run the schedule (the hourly tick that closes ended periods and queues payouts):
    /// periods are then closed by hand (`mlm close-period`, the admin API), e.g. to replay past
    /// months in a test environment.
    #[arg(long)]
    pub no_schedule: bool,
    #[command(flatten)]
    pub data: Data,
    /// Also accept RS256 ID tokens of this OpenID Connect issuer (a Cognito user pool, or a
    /// local stand-in), checked against its `/.well-known/jwks.json`; development tokens still work.
    #[arg(long, requires = "oidc_client_id")]
    pub oidc_issuer: Option<String>,
    /// The app client the ID tokens must be issued to (their `aud`).
    #[arg(long, requires = "oidc_issuer")]
    pub oidc_client_id: Option<String>,
    /// The managed login the page signs in through (authorize, token, logout); default the issuer.
    #[arg(long, requires = "oidc_issuer")]
    pub signin_domain: Option<String>,
}

/// The issuer's keys, read once at start-up.
async fn oidc(issuer: &str, client_id: &str) -> Result<mlm_app::auth::OidcKeys> {
    let url = format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/'));
    let text = reqwest::Client::new()
        .get(&url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .with_context(|| format!("--oidc-issuer: cannot read {url}"))?
        .text()
        .await?;
    mlm_app::auth::OidcKeys::from_jwks(issuer, client_id, &text).map_err(|e| anyhow::anyhow!("{url}: {e}"))
}

pub fn unix_now() -> i64 {
    mlm_app::http::system_now()
}

/// JSON logs on stderr (`RUST_LOG` filters; default `info`).
pub fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Sets the plan from `path` if the ledger has none; a different plan is refused (plans change
/// through `mlm set-plan --effective`, never silently).
pub async fn ensure_plan(ledger: &crate::AnyLedger, path: Option<&Path>) -> Result<()> {
    let Some(path) = path else {
        ledger.plan().await.context("the ledger has no plan: pass --plan FILE")?;
        return Ok(());
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let versions = ledger.store.plans().await?;
    match versions.last() {
        None => {
            if let Err(e) = ledger.set_plan(&text, None).await {
                bail!("{}: {e}", path.display());
            }
        }
        Some(v) if v.text == text => {}
        Some(_) => {
            bail!("{}: the ledger already has another plan; add it with `mlm set-plan --effective`", path.display())
        }
    }
    Ok(())
}

pub fn serve(args: ServeArgs) -> Result<()> {
    init_logs();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let ledger = args.data.open_in_runtime().await?;
        let key = args.data.token_key()?;
        ensure_plan(&ledger, args.plan.as_deref()).await?;
        let secret = std::env::var("BIGCOMMERCE_CLIENT_SECRET")
            .context("BIGCOMMERCE_CLIENT_SECRET is not set (the app's client secret, which signs webhooks)")?;
        let verifier =
            Verifier::from_client_secret(&secret).map_err(|e| anyhow::anyhow!("BIGCOMMERCE_CLIENT_SECRET: {e}"))?;
        let commerce: Arc<dyn Commerce> = Arc::new(BigCommerce::new(client_from_env()?));
        let sync = Arc::new(mlm_sync::Sync::new(ledger, commerce));
        let queue_file = args.data.queue_path()?;
        let queue =
            mlm_queue::DurableQueue::open(&queue_file).map_err(|e| anyhow::anyhow!("{}: {e}", queue_file.display()))?;
        if queue.backlog() > 0 {
            tracing::info!(backlog = queue.backlog(), "resuming the messages stored by the previous run");
        }
        let clock = mlm_app::clock::Clock::from_env(args.now.as_deref()).map_err(anyhow::Error::msg)?;
        if clock.is_fixed() {
            eprintln!("mlm serve: rehearsal clock, the tick's now is {}", clock.now().to_rfc3339());
        }
        let tick = (!args.no_schedule).then_some(Duration::from_secs(3600));
        let local = Local::start_with_clock(sync, verifier, tick, queue, clock);
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("--listen {}: cannot bind", args.listen))?;
        eprintln!("mlm serve: listening on http://{} (dashboard at /, tokens: `mlm token`)", listener.local_addr()?);
        let router = match (&args.oidc_issuer, &args.oidc_client_id) {
            (Some(issuer), Some(client_id)) => {
                let keys = oidc(issuer, client_id).await?;
                let login = mlm_app::signin::ManagedLogin {
                    domain: args.signin_domain.clone().unwrap_or_else(|| issuer.clone()).trim_end_matches('/').into(),
                    client_id: client_id.clone(),
                };
                eprintln!("mlm serve: signing in through {} (ID tokens of {issuer})", login.domain);
                local.router_with(mlm_app::auth::Auth::Oidc { issuer: Box::new(keys), local: key }, Some(login))
            }
            _ => local.router(key),
        };
        // On SIGTERM or SIGINT: stop accepting, finish the requests in hand (bounded), then let
        // the workers finish their messages; anything not done stays stored for the next start.
        let (stopping, stop) = tokio::sync::watch::channel(false);
        let mut served = tokio::spawn(mlm_app::limits::serve(listener, router, stop));
        tokio::select! {
            r = &mut served => { r??; }
            _ = shutdown_signal() => {
                tracing::info!("stopping: finishing the requests and messages in hand");
                let _ = stopping.send(true);
                match tokio::time::timeout(Duration::from_secs(10), &mut served).await {
                    Ok(r) => r??,
                    Err(_) => served.abort(),
                }
            }
        }
        local.shutdown().await;
        tracing::info!("stopped");
        Ok(())
    })
}

/// SIGTERM (a service manager) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
