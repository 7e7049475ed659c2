"""An HTTP proxy in front of localstripe that can delay, hold or fail the PaymentIntent
create call, to widen the window between Stripe's answer and the booking (and to play an
outage or a bank's decline reason that localstripe cannot produce)."""

import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.support.servers import ServedInThread, free_port

CREATE = "/v1/payment_intents"


class StripeProxy(ServedInThread):
    """`mode` for POST /v1/payment_intents: "pass", "delay_answer" (forward, then wait
    `delay` seconds before answering), "hold" (never forward; answer 503 after `delay`),
    "late" (wait until `release` is set, at most `delay` seconds, then forward, whether or
    not the caller still waits: a create that reaches Stripe late), "status" (answer `status` with a Stripe error body,
    never forward). `path` is the POST the mode applies to (default the PaymentIntent
    create; e.g. "/v1/refunds"); `creates` counts the calls to it."""

    def __init__(self, upstream: str):
        target = urlsplit(upstream)
        self.upstream = (target.hostname, target.port)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mode = "pass"
        self.path = CREATE
        self.delay = 0.0
        self.status = 503
        self.error: dict = {"type": "api_error", "message": "Stripe is down"}
        #: set when a create call reached the proxy (and, for delay_answer, was forwarded)
        self.create_seen = threading.Event()
        #: set when a "late" create has been forwarded and answered by Stripe
        self.late_done = threading.Event()
        #: lets a held "late" create go on to Stripe
        self.release = threading.Event()
        self.creates = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True

    def reset(self, mode: str = "pass", **values) -> None:
        self.mode = mode
        for name, value in values.items():
            setattr(self, name, value)
        self.create_seen.clear()
        self.late_done.clear()
        self.release.clear()

    def _forward(self, method: str, path: str, headers, body: bytes):
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
        conn.request(method, path, body=body or None, headers=keep)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, response.getheader("Content-Type", "application/json"), data

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                is_create = self.command == "POST" and self.path.split("?")[0] == proxy.path
                if is_create:
                    proxy.creates += 1
                mode = proxy.mode if is_create else "pass"
                if mode == "hold":
                    proxy.create_seen.set()
                    time.sleep(proxy.delay)
                    return self._answer(503, "application/json", self._error_body())
                if mode == "status":
                    proxy.create_seen.set()
                    return self._answer(proxy.status, "application/json", self._error_body())
                if mode == "late":
                    proxy.create_seen.set()
                    proxy.release.wait(proxy.delay)
                status, kind, data = proxy._forward(self.command, self.path, self.headers, body)
                if mode == "late":
                    proxy.late_done.set()
                if mode == "delay_answer":
                    proxy.create_seen.set()
                    time.sleep(proxy.delay)
                self._answer(status, kind, data)

            def _error_body(self) -> bytes:
                return json.dumps({"error": proxy.error}).encode()

            def _answer(self, status: int, kind: str, data: bytes):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = _serve

        return Handler
