"""Optional webhook notification: the Markdown summary POSTed as ``{"text": ...}`` (Slack-compatible).

A notification is a courtesy, not part of the gate: a webhook that fails is
logged as a warning and never changes the decision or the exit code.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from gapgates.judge.policy import NotifyPolicy

__all__ = ["Notification", "notify"]

log = logging.getLogger("gapgates.notify")


@dataclass(frozen=True)
class Notification:
    """What happened to one notification.

    Attributes:
        sent: True when the webhook answered 2xx.
        status: HTTP status, or None when no request was made or it never got an answer.
        detail: Why it was not sent (empty when sent).
    """

    sent: bool
    status: int | None
    detail: str


def notify(decision: str, markdown: str, policy: NotifyPolicy, *, timeout: float = 10.0) -> Notification:
    """POST the summary to ``policy.webhook_url`` when the decision is one of ``policy.on``.

    Args:
        decision: The run's outcome (``promote``, ``block`` or ``needs_approval``).
        markdown: The Markdown summary (the ``text`` field).
        policy: The ``[notify]`` section.
        timeout: Seconds to wait for the webhook.

    Returns:
        What happened; failures are also logged as warnings. Never raises on network errors.
    """
    if policy.webhook_url is None:
        return Notification(False, None, "no webhook_url is configured")
    if decision not in {o.value for o in policy.on}:
        return Notification(False, None, f"'{decision}' is not in notify.on")
    body = json.dumps({"text": markdown}).encode("utf-8")
    request = urllib.request.Request(
        policy.webhook_url, data=body, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "gapgates"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # the policy allows http(s) only
            return Notification(True, response.status, "")
    except urllib.error.HTTPError as err:
        status, detail = err.code, f"the webhook answered HTTP {err.code}"
    except (urllib.error.URLError, OSError, ValueError) as err:
        status, detail = None, f"the webhook could not be reached: {getattr(err, 'reason', err)}"
    log.warning("Notification not sent (%s); the decision '%s' stands.", detail, decision)
    return Notification(False, status, detail)
