"""The webhook, against a real HTTP server on 127.0.0.1 started and stopped by the test."""

from __future__ import annotations

import logging

from gapgates.judge.policy import NotifyPolicy
from gapgates.notify import notify
from tests.helpers import closed_port, webhook_url


def test_posts_the_markdown_as_slack_text(webhook):
    sent = notify("block", "# gapgates: BLOCK\n", NotifyPolicy(webhook_url=webhook_url(webhook)))
    assert sent.sent and sent.status == 200
    assert webhook.received == [{"type": "application/json; charset=utf-8", "body": {"text": "# gapgates: BLOCK\n"}}]


def test_only_the_listed_outcomes_notify(webhook):
    policy = NotifyPolicy(webhook_url=webhook_url(webhook), on=["needs_approval"])
    assert not notify("block", "x", policy).sent
    assert notify("needs_approval", "x", policy).sent
    assert not notify("promote", "x", NotifyPolicy(webhook_url=webhook_url(webhook))).sent  # default: block, needs_approval
    assert not notify("block", "x", NotifyPolicy()).sent  # no webhook configured
    assert len(webhook.received) == 1


def test_failing_webhook_is_logged_not_raised(webhook, caplog):
    webhook.status = 500
    with caplog.at_level(logging.WARNING, logger="gapgates.notify"):
        sent = notify("block", "x", NotifyPolicy(webhook_url=webhook_url(webhook)))
        dead = notify("block", "x", NotifyPolicy(webhook_url=f"http://127.0.0.1:{closed_port()}/"), timeout=5)
    assert not sent.sent and sent.status == 500 and "HTTP 500" in sent.detail
    assert not dead.sent and dead.status is None and "could not be reached" in dead.detail
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert "the decision 'block' stands" in caplog.text
