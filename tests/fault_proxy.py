"""A small real HTTP proxy in front of the action server, for fault injection on the real protocol.

The Rasa server under test is given the proxy's URL as its action endpoint;
the proxy forwards each request (method, path, headers, body) to the real
action server and sends its real answer back. At run time a test switches it
between:

- pass-through  forward and answer what the action server answered;
- delay N       hold the request N seconds, then forward it (a slow action server);
- error         answer HTTP 500 without forwarding (an action server that fails);
- refuse        close each new connection at once, before reading anything (an
                action server that is down; the client sees the connection dropped).

In pass-through, if the action server itself cannot be reached (its process
was stopped), the proxy closes the client's connection without an answer, as
a transparent TCP proxy would, so "action server down" looks the same whether
it is injected here or real.

Every request is recorded (`calls`): when, in which mode, which action, and
what was answered, so a test can check that the fault was actually hit.

    proxy = FaultProxy("http://127.0.0.1:5055").start()
    proxy.url                  # give this to Rasa as action_endpoint.url (…/webhook)
    proxy.delay(20); proxy.error(); proxy.refuse(); proxy.pass_through()
    proxy.stop()
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Optional
from urllib.parse import urlsplit

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
    "transfer-encoding", "upgrade", "content-length", "host",
}
PASS, DELAY, ERROR, REFUSE = "pass-through", "delay", "error", "refuse"


@dataclasses.dataclass
class Call:
    at: float  # time.time() when the request (or the refused connection) arrived
    mode: str
    path: str
    action: Optional[str]  # "next_action" from Rasa's request body, when readable
    outcome: str  # "200", "500", "closed", ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: "FaultProxy"

    def verify_request(self, request, client_address) -> bool:
        if self.proxy.mode == REFUSE:
            self.proxy._record(Call(time.time(), REFUSE, "", None, "closed"))
            try:  # reset, not a polite close: the client sees the connection dropped
                request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            return False  # socketserver closes the connection unanswered
        return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args) -> None:  # quiet: the tests read the proxy's `calls`
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        action = _action_name(body)
        mode, seconds = proxy.mode, proxy.delay_seconds
        call = proxy._record(Call(time.time(), mode, self.path, action, "pending"))
        if mode == ERROR:
            payload = json.dumps({"error": "fault injected by tests/fault_proxy.py", "action_name": action}).encode()
            self._answer(500, "Internal Server Error", [("Content-Type", "application/json")], payload)
            call.outcome = "500"
            return
        if mode == DELAY:
            proxy._stopping.wait(seconds)
        try:
            status, reason, headers, answer = proxy._forward(self.command, self.path, self.headers, body)
        except OSError:
            # the action server is not there: drop the connection, as a TCP proxy would
            call.outcome = "closed (action server unreachable)"
            self.close_connection = True
            return
        try:
            self._answer(status, reason, headers, answer)
            call.outcome = str(status)
        except OSError:  # the client gave up while we waited
            call.outcome = f"{status} (client gone)"
            self.close_connection = True

    def _answer(self, status: int, reason: str, headers, body: bytes) -> None:
        self.send_response(status, reason)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


def _action_name(body: bytes) -> Optional[str]:
    try:
        value = json.loads(body or b"null")
    except ValueError:
        return None
    return value.get("next_action") if isinstance(value, dict) else None


class FaultProxy:
    """The proxy: `url` is what Rasa calls; `upstream` is the real action server's base URL (may be set later)."""

    def __init__(self, upstream: Optional[str] = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstream = upstream
        self.mode = PASS
        self.delay_seconds = 0.0
        self.calls: List[Call] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server((host, port), _Handler)
        self._server.proxy = self
        self.host, self.port = self._server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}/webhook"
        self._thread: Optional[threading.Thread] = None

    # --- switching ---
    def _set(self, mode: str, seconds: float = 0.0) -> "FaultProxy":
        with self._lock:
            self.mode, self.delay_seconds = mode, float(seconds)
        return self

    def pass_through(self) -> "FaultProxy":
        return self._set(PASS)

    def delay(self, seconds: float) -> "FaultProxy":
        return self._set(DELAY, seconds)

    def error(self) -> "FaultProxy":
        return self._set(ERROR)

    def refuse(self) -> "FaultProxy":
        return self._set(REFUSE)

    # --- what happened ---
    def _record(self, call: Call) -> Call:
        with self._lock:
            self.calls.append(call)
        return call

    def calls_since(self, moment: float) -> List[Call]:
        with self._lock:
            return [c for c in self.calls if c.at >= moment]

    # --- forwarding ---
    def _forward(self, method: str, path: str, headers, body: bytes):
        if not self.upstream:
            raise ConnectionRefusedError("no upstream set")
        target = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=300)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
            forwarded["Host"] = target.netloc
            connection.request(method, path, body=body or None, headers=forwarded)
            answer = connection.getresponse()
            return answer.status, answer.reason, answer.getheaders(), answer.read()
        finally:
            connection.close()

    # --- lifetime ---
    def start(self) -> "FaultProxy":
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # delayed requests stop waiting
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
