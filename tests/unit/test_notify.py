"""The notify policy: the webhook URL must be http(s) (the webhook itself is in tests/integration)."""

from __future__ import annotations

import pytest

from gapgates.errors import PolicyError
from gapgates.judge.policy import parse_policy


def test_webhook_url_must_be_http():
    with pytest.raises(PolicyError, match=r"The 'webhook_url' must start with http:// or https://. Got 'file:///etc/passwd'"):
        parse_policy({"notify": {"webhook_url": "file:///etc/passwd"}})
