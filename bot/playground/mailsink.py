"""A small SMTP server on 127.0.0.1 that keeps what the bot emails, for the page's Email panel.

The bot sends through its own SMTP code (bot.services.email.smtp) to it, as it would to a real
server; nothing is relayed anywhere. It speaks just enough SMTP for that: EHLO, MAIL, RCPT,
DATA, RSET, NOOP, QUIT.
"""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

HOST = "127.0.0.1"


class _Session(socketserver.StreamRequestHandler):
    server: _SinkServer

    def _say(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self._say("220 playground mail sink")
        recipients: list[str] = []
        while line := self.rfile.readline(65536):
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 playground")
            elif verb == "MAIL":
                recipients = []
                self._say("250 OK")
            elif verb == "RCPT":
                recipients.append(line.decode(errors="replace"))
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 end with <CRLF>.<CRLF>")
                self.server.sink.keep(self._data())
                self._say("250 kept")
            elif verb in ("RSET", "NOOP"):
                self._say("250 OK")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not here")

    def _data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline(65536)) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)  # dot-stuffing
        return b"".join(lines)


class _SinkServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sink: MailSink) -> None:
        self.sink = sink
        super().__init__((HOST, 0), _Session)


class MailSink:
    """The emails the playground's bot sent, newest last, as the page shows them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: list[dict[str, Any]] = []
        self._server = _SinkServer(self)

    def start(self) -> str:
        """Serve in the background; the SMTP_URL that reaches it."""
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"smtp://{HOST}:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def keep(self, raw: bytes) -> None:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        html = message.get_body(("html",))
        text = message.get_body(("plain",))
        calendar = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        with self._lock:
            self._kept.append(
                {
                    "id": len(self._kept) + 1,
                    "to": str(message["To"]),
                    "subject": str(message["Subject"]),
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "html": html.get_content() if html else "",
                    "text": text.get_content() if text else "",
                    "invitation": calendar[0].get_param("method") if calendar else "",
                    "unsubscribe": str(message["List-Unsubscribe"] or ""),
                }
            )

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._kept)
