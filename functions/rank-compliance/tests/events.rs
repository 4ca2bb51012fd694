//! The scheduled event through rank-compliance against DynamoDB Local and moto's SQS: on
//! December 1st the tick closes November (an order placed then), queues its payouts on the
//! payout FIFO queue, and a retried delivery of the same event queues nothing again.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use mlm_app::schedule::Payout;
use mlm_lambda_common::payouts::SqsPayouts;
use mlm_lambda_common::testing::{
    drain, emulators, event, fifo_queue, sqs, unique, World, DISTRIBUTOR, DYNAMODB_ENDPOINT, ORDER, SQS_ENDPOINT,
};
use serde_json::json;

#[tokio::test]
async fn the_scheduled_event_closes_the_previous_month_and_queues_its_payouts() {
    if !emulators(&[DYNAMODB_ENDPOINT, SQS_ENDPOINT]) {
        return;
    }
    let w = World::new(11).await;
    // Placed on 2026-11-05: D1 earns 25% retail on 80.00.
    w.sync.order(ORDER).await.unwrap();
    let url = fifo_queue(&sqs(), &unique("payouts")).await;
    let sink = SqsPayouts::new(sqs(), &url);
    let file = "rank-compliance.scheduled.json";

    let report = rank_compliance::handler(&w.sync.ledger, &sink, event::<EventBridgeEvent>(file)).await.unwrap();
    assert_eq!(
        report,
        json!({ "at": "2026-12-01T06:05:00Z", "closed": ["2026-11"], "payouts": 1, "refreshed": "2026-12" })
    );
    // December's ranks and compliance as they stand, for the dashboard.
    let store = &w.sync.ledger.store;
    let standing = |text: Option<String>| serde_json::from_str::<mlm_app::standing::Standing>(&text.unwrap()).unwrap();
    let mine = format!("standing#{DISTRIBUTOR}");
    assert!(!standing(store.doc(&mine, "2026-12").await.unwrap()).closed);
    // November's final figures, published with the close.
    let nov = standing(store.doc(&mine, "2026-11").await.unwrap());
    assert_eq!((nov.closed, nov.payout.to_string().as_str()), (true, "20.00"));
    assert_eq!(w.sync.ledger.store.closed_periods().await.unwrap(), ["2026-11"]);
    let queued = drain(&sqs(), &url).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!((queued[0].group.as_str(), queued[0].dedup.as_str()), (DISTRIBUTOR, "2026-11#D1"));
    let payout: Payout = serde_json::from_str(&queued[0].body).unwrap();
    assert_eq!(
        payout,
        Payout {
            period: "2026-11".into(),
            distributor: DISTRIBUTOR.into(),
            amount: "20.00".parse().unwrap(),
            currency: "USD".into()
        }
    );

    // EventBridge retries an invocation it thinks failed: the same event closes and pays nothing again.
    let again = rank_compliance::handler(&w.sync.ledger, &sink, event::<EventBridgeEvent>(file)).await.unwrap();
    assert_eq!((again["closed"].clone(), again["payouts"].clone()), (json!([]), json!(0)));
    assert!(drain(&sqs(), &url).await.is_empty());
}
