//! The AWS SDK configuration every mlm component starts from.
//!
//! The SDK crates are built without their default HTTPS client (rustls over aws-lc, a C library
//! that adds megabytes to every Lambda binary and needs cmake and a C compiler to build), so
//! every SDK client gets this crate's client instead: hyper with rustls over ring, the platform's
//! root certificates. It speaks plain `http://` too (DynamoDB Local, moto). A client built without
//! it fails its first request with "no HTTP client was available": start from [`load_config`],
//! or give a hand-built service configuration `.http_client(mlm_aws::http_client())`.

use aws_config::BehaviorVersion;
pub use aws_config::SdkConfig;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
pub use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The HTTP client of every AWS SDK client: HTTPS through rustls with ring, and plain HTTP.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
}

/// The usual AWS configuration from the environment (region, credentials, `AWS_ENDPOINT_URL*`),
/// over [`http_client`].
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).http_client(http_client()).load().await
}

/// For tests against an emulator: the endpoint in `var` (`MLM_DYNAMODB_ENDPOINT`: DynamoDB
/// Local; `MLM_SQS_ENDPOINT`: moto's SQS server), or `None` after one line on stderr saying what
/// was skipped and why. So `cargo test` with no emulator running passes, skipping what needs
/// one; `scripts/test.sh` starts the emulators and sets the variables.
pub fn emulator_endpoint(var: &str) -> Option<String> {
    let endpoint = std::env::var(var).ok().filter(|v| !v.is_empty());
    if endpoint.is_none() {
        let what = match var {
            "MLM_DYNAMODB_ENDPOINT" => "DynamoDB Local",
            "MLM_SQS_ENDPOINT" => "moto's SQS server",
            _ => "its emulator",
        };
        let test = std::thread::current().name().unwrap_or("a test").to_string();
        eprintln!("skipped {test}: {var} is not set (scripts/test.sh starts {what} and sets it)");
    }
    endpoint
}
