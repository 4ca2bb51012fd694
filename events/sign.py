#!/usr/bin/env python3
"""Re-signs a webhook-intake event (API Gateway HTTP API, payload 2.0) the way BigCommerce signs
its callbacks (Standard Webhooks: HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}" keyed
with the app's client secret, sent as "v1,<base64>").

The committed events carry a fixed timestamp, which the intake rejects as stale (more than
5 minutes old) on a real clock. Re-sign before `sam local invoke`:

    python3 events/sign.py events/webhook-intake.order-created.json -o /tmp/order-created.json
    sam local invoke WebhookIntakeFunction -e /tmp/order-created.json --env-vars env.json

Only the Python standard library is used. Options: --secret (default: the events' test secret,
events/README.md), --timestamp (Unix seconds, default now), -o (default stdout). With the
event's own timestamp and secret the output is the committed file, byte for byte (a test checks
it).
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
from datetime import datetime, timezone

TEST_SECRET = "mlm-events-test-client-secret"


def signature(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    content = f"{webhook_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret.encode(), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def resign(event: dict, secret: str, timestamp: int) -> dict:
    headers = event["headers"]
    headers["webhook-timestamp"] = str(timestamp)
    headers["webhook-signature"] = signature(secret, headers["webhook-id"], timestamp, event["body"])
    # API Gateway's own receipt time, a moment after the send.
    context = event["requestContext"]
    context["timeEpoch"] = timestamp * 1000 + 42
    context["time"] = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return event


def dumps(event: dict) -> str:
    return json.dumps(event, indent=2) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("event", help="an events/webhook-intake.*.json file")
    p.add_argument("--secret", default=TEST_SECRET, help="the app's client secret")
    p.add_argument("--timestamp", type=int, default=None, help="Unix seconds (default: now)")
    p.add_argument("-o", "--output", help="write here instead of stdout")
    a = p.parse_args()
    with open(a.event, encoding="utf-8") as f:
        event = json.load(f)
    text = dumps(resign(event, a.secret, a.timestamp if a.timestamp is not None else int(time.time())))
    if a.output:
        with open(a.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
