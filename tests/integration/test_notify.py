"""The webhook, against a real HTTP server on 127.0.0.1 started and stopped by the test."""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from gapgates.errors import PolicyError
from gapgates.judge.policy import NotifyPolicy, parse_policy
from gapgates.notify import notify
from tests.helpers import noisy_classification


class _Hook(BaseHTTPRequestHandler):
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"type": self.headers["Content-Type"], "body": json.loads(body)})
        self.send_response(self.server.status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook():
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    server.received, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/hook"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_posts_the_markdown_as_slack_text(webhook):
    sent = notify("block", "# gapgates: BLOCK\n", NotifyPolicy(webhook_url=_url(webhook)))
    assert sent.sent and sent.status == 200
    assert webhook.received == [{"type": "application/json; charset=utf-8", "body": {"text": "# gapgates: BLOCK\n"}}]


def test_only_the_listed_outcomes_notify(webhook):
    policy = NotifyPolicy(webhook_url=_url(webhook), on=["needs_approval"])
    assert not notify("block", "x", policy).sent
    assert notify("needs_approval", "x", policy).sent
    assert not notify("promote", "x", NotifyPolicy(webhook_url=_url(webhook))).sent  # default: block, needs_approval
    assert not notify("block", "x", NotifyPolicy()).sent  # no webhook configured
    assert len(webhook.received) == 1


def test_failing_webhook_is_logged_not_raised(webhook, caplog):
    webhook.status = 500
    with caplog.at_level(logging.WARNING, logger="gapgates.notify"):
        sent = notify("block", "x", NotifyPolicy(webhook_url=_url(webhook)))
        dead = notify("block", "x", NotifyPolicy(webhook_url=f"http://127.0.0.1:{_closed_port()}/"), timeout=5)
    assert not sent.sent and sent.status == 500 and "HTTP 500" in sent.detail
    assert not dead.sent and dead.status is None and "could not be reached" in dead.detail
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert "the decision 'block' stands" in caplog.text


def test_webhook_url_must_be_http():
    with pytest.raises(PolicyError, match=r"The 'webhook_url' must start with http:// or https://. Got 'file:///etc/passwd'"):
        parse_policy({"notify": {"webhook_url": "file:///etc/passwd"}})


def _check_args(tmp_path, url: str) -> list[str]:
    data = tmp_path / "data.csv"
    noisy_classification(n=200).to_csv(data, index=False)
    policy = tmp_path / "policy.toml"
    policy.write_text(f'[notify]\nwebhook_url = "{url}"\non = ["block"]\n', encoding="utf-8")
    return ["check", "--data", str(data), "--target", "label", "--model", "sklearn.tree.DecisionTreeClassifier",
            "--folds", "3", "--policy", str(policy)]


@pytest.mark.slow
def test_check_notifies_and_a_dead_webhook_keeps_the_exit_code(run_cli, tmp_path, webhook):
    proc = run_cli(*_check_args(tmp_path, _url(webhook)))
    assert proc.returncode == 1, proc.stderr
    (msg,) = webhook.received
    assert msg["body"]["text"].startswith("# gapgates: BLOCK") and "| accuracy |" in msg["body"]["text"]
    proc = run_cli(*_check_args(tmp_path, f"http://127.0.0.1:{_closed_port()}/hook"))
    assert proc.returncode == 1 and "BLOCK" in proc.stdout
    assert "Notification not sent (the webhook could not be reached" in proc.stderr and "Traceback" not in proc.stderr
