"""An HTTP proxy in front of localstripe that can lose Stripe's answer.

`drop(method, path_prefix, times)` makes the next matching requests reach localstripe (so
the work is done there) while the caller gets no answer: the connection is closed instead,
as when a network or a process dies between Stripe's answer and Saldo's booking.
"""

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.support.servers import ServedInThread, free_port


class LosingProxy(ServedInThread):
    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dropped: list[str] = []
        self._rules: list[list] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                finally:
                    conn.close()
                if proxy._take(self.command, self.path):
                    proxy.dropped.append(f"{self.command} {self.path}")
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                # no kept-alive sockets left behind on either side when the test ends
                self.send_header("Connection", "close")
                self.close_connection = True
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _forward

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def drop(self, method: str, path_prefix: str, times: int = 1) -> None:
        with self._lock:
            self._rules.append([method, path_prefix, times])

    def _take(self, method: str, path: str) -> bool:
        with self._lock:
            for rule in self._rules:
                if rule[0] == method and path.startswith(rule[1]) and rule[2] > 0:
                    rule[2] -= 1
                    return True
        return False
