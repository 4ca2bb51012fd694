//! The embedded host's HTTP server with every resource bounded: connections (in all and per
//! client address), the time to send the request head, the time and size of a request body (per
//! route), and security headers on every answer. Refusals are JSON (`{"error": ...}`), as every
//! other refusal of the API. API Gateway does the same in AWS (throttling in `template.yaml`).

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// Connections open at once, from all clients.
pub const MAX_CONNECTIONS: usize = 2048;
/// Connections open at once from one client address (an idle-connection flood from one address
/// cannot take the intake from the others).
pub const MAX_CONNECTIONS_PER_CLIENT: usize = 512;
/// Time to send a request's head (request line and headers), and between requests on a kept-alive
/// connection.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Time to send a request's body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The bounds [`serve`] applies (the constants above, shorter in tests).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    pub header_read_timeout: Duration,
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: MAX_CONNECTIONS,
            max_connections_per_client: MAX_CONNECTIONS_PER_CLIENT,
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
        }
    }
}

/// The largest body a route takes, in bytes: webhooks are small JSON envelopes, plans and
/// imports larger documents.
pub fn body_limit(path: &str) -> usize {
    if path == "/webhooks/bigcommerce" {
        64 * 1024
    } else if path == "/attribution" {
        4 * 1024
    } else if path.starts_with("/api/admin/plans") {
        1024 * 1024
    } else {
        256 * 1024
    }
}

fn refusal(status: StatusCode, error: String) -> Response {
    (status, Json(json!({ "error": error, "field": null }))).into_response()
}

/// The most of an oversized body read (and dropped) before it is refused.
const DRAIN: usize = 1024 * 1024;

/// Reads the whole body within the body timeout and [`body_limit`] before the route sees it.
pub async fn bounded_body(State(timeout): State<Duration>, req: Request, next: Next) -> Response {
    let limit = body_limit(req.uri().path());
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if let Some(n) = declared.filter(|n| *n > limit as u64) {
        // A moderately oversized body is read and dropped first, so the client (still sending)
        // gets the answer rather than a reset connection; a huge one is cut at once.
        if n <= DRAIN as u64 {
            let _ = tokio::time::timeout(timeout, axum::body::to_bytes(req.into_body(), DRAIN)).await;
        }
        return refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than this route's limit of {limit} bytes"),
        );
    }
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => {
            refusal(StatusCode::REQUEST_TIMEOUT, format!("the body did not arrive within {} ms", timeout.as_millis()))
        }
        Ok(Err(e)) if format!("{e:?}").contains("LengthLimit") => refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than this route's limit of {limit} bytes"),
        ),
        Ok(Err(e)) => refusal(StatusCode::BAD_REQUEST, format!("the body could not be read: {e}")),
        Ok(Ok(bytes)) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
    }
}

/// The page's and the API's security headers: no framing, no MIME sniffing, no referrer to other
/// sites, scripts and styles from this origin only, and nothing cached (answers carry personal
/// data and earnings).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    h.insert("content-security-policy", CSP.clone());
    set(h, "x-frame-options", "DENY");
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "no-referrer");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    res
}

/// The policy: everything from this origin only, and of inline scripts only the page's own (by
/// their SHA-256, computed from the page at start-up, so an injected script never runs). The
/// page may also call the sign-in provider's token endpoint: any https origin (Cognito), or a
/// loopback one (the local OpenID Connect stand-in).
static CSP: std::sync::LazyLock<HeaderValue> = std::sync::LazyLock::new(|| {
    use base64::Engine as _;
    use sha2::Digest as _;
    let mut hashes = String::new();
    let mut rest = crate::api::PAGE;
    while let Some(open) = rest.find("<script>") {
        let body = &rest[open + "<script>".len()..];
        let Some(close) = body.find("</script>") else { break };
        let digest = sha2::Sha256::digest(&body.as_bytes()[..close]);
        hashes.push_str(&format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        rest = &body[close..];
    }
    let policy = format!(
        "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self' https: http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    );
    HeaderValue::from_str(&policy).expect("ASCII")
});

/// Connections counted per client address.
struct PerClient(Mutex<HashMap<IpAddr, usize>>, usize);

struct ClientSlot(Arc<PerClient>, IpAddr);

impl PerClient {
    fn take(self: &Arc<Self>, ip: IpAddr) -> Option<ClientSlot> {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(ip).or_default();
        if *n >= self.1 {
            return None;
        }
        *n += 1;
        Some(ClientSlot(self.clone(), ip))
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut m = self.0 .0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.1);
            }
        }
    }
}

const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 47\r\n\r\n{\"error\":\"too many connections; retry shortly\"}";

/// Serves `router` (with [`bounded_body`] and [`security_headers`]) on `listener` with the
/// default [`Limits`] until `stop` turns true, then stops accepting and waits for the
/// connections' requests in hand.
pub async fn serve(listener: TcpListener, router: Router, stop: watch::Receiver<bool>) -> std::io::Result<()> {
    serve_with(listener, router, stop, Limits::default()).await
}

/// [`serve`] with other limits.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    mut stop: watch::Receiver<bool>,
    limits: Limits,
) -> std::io::Result<()> {
    let router = router
        .layer(axum::middleware::from_fn_with_state(limits.body_timeout, bounded_body))
        .layer(axum::middleware::from_fn(security_headers));
    let all = Arc::new(Semaphore::new(limits.max_connections));
    let clients = Arc::new(PerClient(Mutex::default(), limits.max_connections_per_client));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, peer): (tokio::net::TcpStream, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let slots = all.clone().try_acquire_owned().ok().zip(clients.take(peer.ip()));
        let Some((permit, slot)) = slots else {
            tracing::warn!(client = %peer.ip(), "connection refused: at the connection limit");
            let _ = stream.try_write(BUSY);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let mut app = app.clone();
            async move { tower_call(&mut app, req.map(Body::new)).await }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop((permit, slot));
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

async fn tower_call(app: &mut Router, req: Request) -> Result<Response, std::convert::Infallible> {
    use tower_service::Service as _;
    app.call(req).await
}
