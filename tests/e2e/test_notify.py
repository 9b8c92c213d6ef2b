"""`gapgates check` as a real subprocess posts to a real webhook on 127.0.0.1; a dead one keeps the exit code."""

from __future__ import annotations

import pytest

from tests.helpers import closed_port, noisy_classification, webhook_url


def _check_args(tmp_path, url: str) -> list[str]:
    data = tmp_path / "data.csv"
    noisy_classification(n=200).to_csv(data, index=False)
    policy = tmp_path / "policy.toml"
    policy.write_text(f'[notify]\nwebhook_url = "{url}"\non = ["block"]\n', encoding="utf-8")
    return [
        "check",
        "--data",
        str(data),
        "--target",
        "label",
        "--model",
        "sklearn.tree.DecisionTreeClassifier",
        "--folds",
        "3",
        "--policy",
        str(policy),
    ]


@pytest.mark.slow
def test_check_notifies_and_a_dead_webhook_keeps_the_exit_code(run_cli, tmp_path, webhook):
    proc = run_cli(*_check_args(tmp_path, webhook_url(webhook)))
    assert proc.returncode == 1, proc.stderr
    (msg,) = webhook.received
    assert msg["body"]["text"].startswith("# gapgates: BLOCK") and "| accuracy |" in msg["body"]["text"]
    proc = run_cli(*_check_args(tmp_path, f"http://127.0.0.1:{closed_port()}/hook"))
    assert proc.returncode == 1 and "BLOCK" in proc.stdout
    assert "Notification not sent (the webhook could not be reached" in proc.stderr and "Traceback" not in proc.stderr
