"""Optional webhook notification: the Markdown summary POSTed as ``{"text": ...}`` (Slack-compatible).

A notification is a courtesy, not part of the gate: a webhook that fails is
logged as a warning and never changes the decision or the exit code.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from gapgates.judge.policy import NotifyPolicy

__all__ = ["Notification", "notify", "post"]

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


#: Most bytes of a webhook's answer that are read (the status is all the gate needs).
MAX_RESPONSE_BYTES = 64 << 10


class _Sockets:
    """The sockets a request opened (redirects open more), so a watchdog can cut them at the deadline."""

    def __init__(self) -> None:
        self.open: list[socket.socket] = []
        self.expired = False
        self.lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self.lock:
            self.open.append(sock)
            if self.expired:
                _cut(sock)

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            for sock in self.open:
                _cut(sock)


def _cut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # a blocked read in the requesting thread returns at once
    except OSError:
        pass


def _opener(sockets: _Sockets) -> urllib.request.OpenerDirector:
    """urllib with proxies and redirects as usual, whose connections report their sockets to ``sockets``."""

    class Recorded(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            sockets.add(self.sock)

    class RecordedTLS(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            sockets.add(self.sock)

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> Any:
            return self.do_open(Recorded, req)

    class TLSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> Any:
            return self.do_open(RecordedTLS, req, context=ssl.create_default_context())

    return urllib.request.build_opener(Handler, TLSHandler)


def notify(decision: str, markdown: str, policy: NotifyPolicy, *, timeout: float | None = None) -> Notification:
    """POST the summary to ``policy.webhook_url`` when the decision is one of ``policy.on``.

    The request has one total deadline (``timeout``, default ``policy.timeout``: connecting,
    sending, and the answer's status and headers together; a server that sends one byte every few
    seconds is cut at the deadline), and at most :data:`MAX_RESPONSE_BYTES` of the answer are read.

    Args:
        decision: The run's outcome (``promote``, ``block`` or ``needs_approval``).
        markdown: The Markdown summary (the ``text`` field).
        policy: The ``[notify]`` section.
        timeout: Seconds for the whole request (default: the policy's ``timeout``).

    Returns:
        What happened; failures are also logged as warnings. Never raises on network errors.
    """
    if policy.webhook_url is None:
        return Notification(False, None, "no webhook_url is configured")
    if decision not in {o.value for o in policy.on}:
        return Notification(False, None, f"'{decision}' is not in notify.on")
    deadline = policy.timeout if timeout is None else timeout
    sent = post(markdown, policy.webhook_url, timeout=deadline)
    if not sent.sent:
        log.warning("Notification not sent (%s); the decision '%s' stands.", sent.detail, decision)
    return sent


def post(markdown: str, url: str, *, timeout: float) -> Notification:
    """POST ``{"text": markdown}`` to ``url`` (http or https) with one total deadline of ``timeout`` seconds.

    :func:`notify` sends a run's summary through this; the stakeholder digest sends its summary too.

    Args:
        markdown: The Markdown text (the ``text`` field, Slack-compatible).
        url: The webhook URL (the policy's ``[notify] webhook_url``, already checked to be http(s)).
        timeout: Seconds for the whole request (connect, send, the answer's status and headers).

    Returns:
        What happened. Never raises on network errors; the caller decides whether to log.
    """
    deadline = timeout
    body = json.dumps({"text": markdown}).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "gapgates"},
    )
    sockets = _Sockets()
    watchdog = threading.Timer(deadline, sockets.expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        with _opener(sockets).open(request, timeout=deadline) as response:  # the policy allows http(s) only
            response.read(MAX_RESPONSE_BYTES)
            if sockets.expired:
                raise TimeoutError
            return Notification(True, response.status, "")
    except urllib.error.HTTPError as err:
        status, detail = err.code, f"the webhook answered HTTP {err.code}"
        err.close()
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as err:
        if sockets.expired:
            status, detail = None, f"the webhook did not answer within the {deadline:g} s deadline"
        else:
            status, detail = None, f"the webhook could not be reached: {getattr(err, 'reason', err)}"
    finally:
        watchdog.cancel()
    return Notification(False, status, detail)
