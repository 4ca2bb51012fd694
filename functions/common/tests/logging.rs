//! The JSON log lines of one invocation carry the Lambda request id (from the span the runtime
//! opens, built here by the runtime's own function) and, inside a message, the order id.

use aws_lambda_events::sqs::SqsEvent;
use mlm_lambda_common::batch::handle;
use mlm_lambda_common::logging::{filter, subscriber};
use mlm_lambda_common::testing::{emulators, event, World, DYNAMODB_ENDPOINT};
use std::sync::{Arc, Mutex};
use tracing::Instrument;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_line_of_an_invocation_names_its_request_and_every_message_line_its_order() {
    if !emulators(&[DYNAMODB_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    let out = Captured::default();
    let writer = out.clone();
    let info = |_: &str| Some("info".to_string());
    let _guard = tracing::subscriber::set_default(subscriber(filter(&info), move || writer.clone()));
    let mut context = lambda_runtime::Context::default();
    context.request_id = "8a1b6c2d-request".into();
    let span = lambda_runtime::layers::trace::request_span(&context);
    let report = handle(&w.sync, event::<SqsEvent>("commission-calc.unparseable.json")).instrument(span).await;
    assert!(report.batch_item_failures.is_empty());

    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}"))).collect();
    assert!(lines.len() >= 3, "{text}");
    for l in &lines {
        assert_eq!(l["spans"][0]["requestId"], "8a1b6c2d-request", "{l}");
        assert!(l["level"].is_string() && l["message"].is_string(), "{l}");
    }
    let handled: Vec<_> = lines.iter().filter(|l| l["message"] == "handled").collect();
    assert_eq!(handled.len(), 1, "{text}");
    assert_eq!(
        (handled[0]["spans"][1]["resource"].as_str(), handled[0]["spans"][1]["id"].as_i64()),
        (Some("order"), Some(250))
    );
    assert!(lines.iter().any(|l| l["message"] == "unreadable message parked"), "{text}");
    assert!(!text.contains("\u{1b}["), "no ANSI colours in CloudWatch");
}

#[test]
fn the_level_follows_the_lambda_setting_then_rust_log() {
    use tracing::level_filters::LevelFilter;
    let level = |vars: &'static [(&'static str, &'static str)]| {
        let lookup = move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        filter(&lookup).max_level_hint()
    };
    assert_eq!(level(&[]), Some(LevelFilter::INFO));
    assert_eq!(level(&[("RUST_LOG", "debug")]), Some(LevelFilter::DEBUG));
    assert_eq!(level(&[("AWS_LAMBDA_LOG_LEVEL", "WARN"), ("RUST_LOG", "debug")]), Some(LevelFilter::WARN));
    assert_eq!(level(&[("AWS_LAMBDA_LOG_LEVEL", "FATAL")]), Some(LevelFilter::ERROR));
    assert_eq!(level(&[("RUST_LOG", "not a [filter")]), Some(LevelFilter::INFO));
}
