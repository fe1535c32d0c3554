"""A real SMTP server on loopback that keeps every message it receives: aiosmtpd's Controller
(its own thread and event loop) with a handler that parses each message with Python's `email`
package (policy.default, so headers are decoded and text parts come back as str).

    sink = MailSink(port=0).start()        # or MailSink(port=P) to start later on a chosen port
    mails = sink.wait(lambda m: m.to == ["a@b.example"], count=1, timeout=30)
    sink.stop()
"""

import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(r"^<([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@portico>$")


@dataclass
class Mail:
    """One message as received: envelope, the headers the tests look at, decoded bodies."""
    mail_from: str  # envelope sender (MAIL FROM)
    to: list  # envelope recipients (RCPT TO)
    message_id: str
    subject: str
    from_header: str
    to_header: str
    text: str  # the text/plain part, decoded ("" when none)
    html: str  # the text/html part, decoded ("" when none)
    raw: bytes = field(repr=False)
    received_at: float = 0.0


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in msg.walk():
            ctype = part.get_content_type()
            if ctype in ("text/plain", "text/html") and ctype not in parts and not part.is_attachment():
                parts[ctype] = part.get_content()  # transfer encoding and charset undone
        self.sink._add(Mail(
            mail_from=envelope.mail_from, to=list(envelope.rcpt_tos),
            message_id=str(msg.get("Message-ID", "")).strip(), subject=str(msg.get("Subject", "")),
            from_header=str(msg.get("From", "")), to_header=str(msg.get("To", "")),
            text=parts.get("text/plain", ""), html=parts.get("text/html", ""), raw=raw,
            received_at=time.monotonic()))
        return "250 Message accepted for delivery"


class MailSink:
    """SMTP on 127.0.0.1:port (0: a free port, chosen now) storing every message."""

    def __init__(self, port=0):
        if port == 0:  # aiosmtpd's Controller checks it is up by connecting to its port: name one
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.port = port
        self.mails: list[Mail] = []
        self._cond = threading.Condition()
        self._controller = None

    def start(self):
        # decode_data=False keeps the bytes for email's own parser; SMTPUTF8 in case a name needs it.
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                      decode_data=False, enable_SMTPUTF8=True, ready_timeout=10)
        self._controller.start()
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None

    def _add(self, mail):
        with self._cond:
            self.mails.append(mail)
            self._cond.notify_all()

    def matching(self, predicate):
        with self._cond:
            return [m for m in self.mails if predicate(m)]

    def wait(self, predicate, count=1, timeout=30.0, what="mail"):
        """Waits until at least count received messages satisfy predicate; returns them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in self.mails if predicate(m)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out after {timeout:.0f} s waiting for {count} {what}; got {len(found)} "
                        f"(all received: {[(m.to, m.subject) for m in self.mails]})")
                self._cond.wait(min(left, 1.0))
