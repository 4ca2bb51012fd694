//! For tests against a real SQS server (moto's, started by `scripts/test.sh`): what a queue holds.

use aws_sdk_sqs::types::MessageSystemAttributeName;
use aws_sdk_sqs::Client;

/// A message as received, with its FIFO attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub body: String,
    pub group: String,
    pub dedup: String,
}

/// Receives and deletes until the queue answers empty. Deleting matters on a FIFO queue: a group
/// with a message in flight delivers nothing more until that message is deleted.
pub async fn drain(client: &Client, url: &str) -> Vec<Received> {
    let mut all = Vec::new();
    loop {
        let out = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .message_system_attribute_names(MessageSystemAttributeName::MessageDeduplicationId)
            .send()
            .await
            .expect("receive");
        if out.messages().is_empty() {
            return all;
        }
        for m in out.messages() {
            let attr = |name: MessageSystemAttributeName| {
                m.attributes().and_then(|a| a.get(&name)).cloned().unwrap_or_else(|| panic!("no {name} in {m:?}"))
            };
            all.push(Received {
                body: m.body().expect("a body").to_string(),
                group: attr(MessageSystemAttributeName::MessageGroupId),
                dedup: attr(MessageSystemAttributeName::MessageDeduplicationId),
            });
            let handle = m.receipt_handle().expect("a receipt handle");
            client.delete_message().queue_url(url).receipt_handle(handle).send().await.expect("delete");
        }
    }
}
