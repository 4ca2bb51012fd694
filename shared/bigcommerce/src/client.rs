//! The BigCommerce REST client: `X-Auth-Token`, a store hash and a configurable base URL
//! (`https://api.bigcommerce.com` in production, the local stand-in in tests). On 429 it waits
//! the `X-Rate-Limit-Time-Reset-Ms` BigCommerce sends and tries again; on 5xx, timeouts and
//! connection failures it backs off exponentially; every error says which call failed and why.

/// The HTTP method of [`Client::write`].
pub use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// The production API.
pub const DEFAULT_BASE: &str = "https://api.bigcommerce.com";

/// How hard to try.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts for 5xx, timeouts and connection failures (1 = no retry).
    pub attempts: u32,
    /// First backoff; doubled after each failure.
    pub backoff: Duration,
    /// How many 429s to wait out before giving up.
    pub rate_limited: u32,
    /// The longest single wait on a 429 (BigCommerce windows are 15–30 s).
    pub max_wait: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 4,
            backoff: Duration::from_millis(250),
            rate_limited: 10,
            max_wait: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// BigCommerce answered with an error status (after retries, for 5xx).
    #[error("{call}: BigCommerce answered HTTP {status}: {body}")]
    Status { call: String, status: u16, body: String },
    /// No usable answer (connection, timeout), after retries.
    #[error("{call}: {message}")]
    Transport { call: String, message: String },
    /// Still rate-limited after waiting as many times as the policy allows.
    #[error("{call}: still rate-limited after {waits} waits")]
    RateLimited { call: String, waits: u32 },
    /// An answer that does not match the documented resource.
    #[error("{call}: unexpected response: {message}")]
    Decode { call: String, message: String },
}

impl ApiError {
    /// Whether the resource does not exist (a 404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::Status { status: 404, .. })
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    store_hash: String,
    token: String,
    policy: RetryPolicy,
}

/// The raw answer of a successful call.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Client {
    pub fn new(base: &str, store_hash: &str, token: &str, policy: RetryPolicy) -> Client {
        let http = reqwest::Client::builder().timeout(policy.timeout).build().expect("an HTTP client");
        Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            store_hash: store_hash.to_string(),
            token: token.to_string(),
            policy,
        }
    }

    /// `{base}/stores/{hash}/{path}` where `path` starts with `v2/` or `v3/`.
    fn url(&self, path: &str) -> String {
        format!("{}/stores/{}/{}", self.base, self.store_hash, path.trim_start_matches('/'))
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Vec<u8>>) -> Result<Answer, ApiError> {
        let call = format!("{method} {path}");
        let (mut failures, mut waits) = (0u32, 0u32);
        loop {
            let mut req = self
                .http
                .request(method.clone(), self.url(path))
                .header("X-Auth-Token", &self.token)
                .header("Accept", "application/json");
            if let Some(b) = &body {
                req = req.header("Content-Type", "application/json").body(b.clone());
            }
            let retry_in = match req.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if status == 429 {
                        waits += 1;
                        if waits > self.policy.rate_limited {
                            return Err(ApiError::RateLimited { call, waits: waits - 1 });
                        }
                        let reset = resp
                            .headers()
                            .get("x-rate-limit-time-reset-ms")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.parse::<u64>().ok())
                            .map_or(Duration::from_secs(1), Duration::from_millis);
                        tracing::warn!(call = %call, wait_ms = reset.as_millis() as u64, "rate-limited by BigCommerce");
                        tokio::time::sleep(reset.min(self.policy.max_wait)).await;
                        continue;
                    }
                    let bytes = resp
                        .bytes()
                        .await
                        .map_err(|e| ApiError::Transport { call: call.clone(), message: e.to_string() })?;
                    if status < 400 {
                        return Ok(Answer { status, body: bytes.to_vec() });
                    }
                    let text = String::from_utf8_lossy(&bytes).chars().take(500).collect::<String>();
                    if status < 500 {
                        return Err(ApiError::Status { call, status, body: text });
                    }
                    failures += 1;
                    if failures >= self.policy.attempts {
                        return Err(ApiError::Status { call, status, body: text });
                    }
                    tracing::warn!(call = %call, status, "BigCommerce server error, retrying");
                    self.policy.backoff * 2u32.saturating_pow(failures - 1)
                }
                Err(e) => {
                    failures += 1;
                    let message = if e.is_timeout() {
                        format!("timed out after {:?}", self.policy.timeout)
                    } else {
                        e.to_string()
                    };
                    if failures >= self.policy.attempts {
                        return Err(ApiError::Transport { call, message: format!("{message} ({failures} attempts)") });
                    }
                    tracing::warn!(call = %call, error = %message, "BigCommerce unreachable, retrying");
                    self.policy.backoff * 2u32.saturating_pow(failures - 1)
                }
            };
            tokio::time::sleep(retry_in).await;
        }
    }

    /// Decodes with the path of the first mismatch (`data[3].variants[0].id: invalid type …`).
    fn decode<T: DeserializeOwned>(call: String, body: &[u8]) -> Result<T, ApiError> {
        let de = &mut serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(de)
            .map_err(|e| ApiError::Decode { call, message: format!("{}: {}", e.path(), e.inner()) })
    }

    /// GET a document.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let a = self.send(reqwest::Method::GET, path, None).await?;
        Self::decode(format!("GET {path}"), &a.body)
    }

    /// POST or PUT a document and read the answer.
    pub async fn write<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        let bytes = serde_json::to_vec(body).expect("request bodies serialize");
        let call = format!("{method} {path}");
        let a = self.send(method, path, Some(bytes)).await?;
        Self::decode(call, &a.body)
    }

    /// One page of a v2 list: the bare array, or nothing for `204 No Content` (past the end).
    pub async fn get_page_v2<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, ApiError> {
        let a = self.send(reqwest::Method::GET, path, None).await?;
        if a.status == 204 || a.body.is_empty() {
            return Ok(Vec::new());
        }
        Self::decode(format!("GET {path}"), &a.body)
    }

    /// Every item of a v2 list (bare arrays, `204` past the end), `limit` per page.
    pub async fn get_all_v2<T: DeserializeOwned>(&self, path: &str, limit: usize) -> Result<Vec<T>, ApiError> {
        let mut all = Vec::new();
        for page in 1.. {
            let sep = if path.contains('?') { '&' } else { '?' };
            let p = format!("{path}{sep}page={page}&limit={limit}");
            let a = self.send(reqwest::Method::GET, &p, None).await?;
            if a.status == 204 || a.body.is_empty() {
                break;
            }
            let items: Vec<T> = Self::decode(format!("GET {p}"), &a.body)?;
            let n = items.len();
            all.extend(items);
            if n < limit {
                break;
            }
        }
        Ok(all)
    }

    /// Every item of a v3 collection, following `meta.pagination`.
    pub async fn get_all_v3<T: DeserializeOwned>(&self, path: &str, limit: usize) -> Result<Vec<T>, ApiError> {
        #[derive(serde::Deserialize)]
        struct Page<T> {
            data: Vec<T>,
            meta: Meta,
        }
        #[derive(serde::Deserialize)]
        struct Meta {
            pagination: Option<Pagination>,
        }
        #[derive(serde::Deserialize)]
        struct Pagination {
            current_page: u64,
            total_pages: u64,
        }
        let mut all = Vec::new();
        for page in 1.. {
            let sep = if path.contains('?') { '&' } else { '?' };
            let p: Page<T> = self.get(&format!("{path}{sep}page={page}&limit={limit}")).await?;
            all.extend(p.data);
            match p.meta.pagination {
                Some(pg) if pg.current_page < pg.total_pages => continue,
                _ => break,
            }
        }
        Ok(all)
    }
}
