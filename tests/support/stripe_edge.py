"""Stripe's edge for what localstripe cannot do: a small HTTP server that answers the calls
Saldo makes for a Link payment method with the objects Stripe's API reference documents
(a SetupIntent that saved a `link` PaymentMethod, the PaymentMethod of type `link`, a
PaymentIntent charged with it), and records every request's form parameters as sent.

`gateway()` is a Stripe gateway that believes it talks to Stripe itself (no API base), so
it sends what it sends only to Stripe, while its client's address is this server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import stripe as stripe_sdk

from portal.gateways.stripe_gateway import StripeGateway
from tests.support.servers import ServedInThread, free_port

LINK_METHOD = "pm_1LinkEdge0000000000000001"
LINK_EMAIL = "anna.rossi@example.org"


class StripeEdge(ServedInThread):
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        #: (HTTP method, path, form parameters) of every request, in order
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.objects: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._count = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True

    def gateway(self) -> StripeGateway:
        gateway = StripeGateway("sk_test_edge", api_base=None, max_network_retries=0)
        gateway._client = stripe_sdk.StripeClient(
            "sk_test_edge", base_addresses={"api": self.url}, max_network_retries=0
        )
        return gateway

    def sent(self, method: str, path: str) -> list[dict[str, str]]:
        """The form parameters of each `method` request to `path`."""
        return [form for m, p, form in self.requests if (m, p) == (method, path)]

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            self._count += 1
            return f"{prefix}_1Edge{self._count:020d}"

    def answer(self, method: str, path: str, form: dict[str, str]) -> tuple[int, dict]:
        parts = path.strip("/").split("/")[1:]  # without "v1"
        if method == "POST" and parts == ["customers"]:
            return self._store({"id": self._new_id("cus"), "object": "customer", **_meta(form)})
        if method == "POST" and parts == ["setup_intents"]:
            seti = self._new_id("seti")
            return self._store(
                {
                    "id": seti,
                    "object": "setup_intent",
                    "client_secret": f"{seti}_secret_edge",
                    "customer": form.get("customer"),
                    "usage": form.get("usage"),
                    "payment_method_types": _list(form, "payment_method_types"),
                    # the patient chose Link in the Payment Element and confirmed it there
                    "status": "succeeded",
                    "payment_method": LINK_METHOD,
                    "last_setup_error": None,
                    **_meta(form),
                }
            )
        if method == "POST" and parts == ["payment_intents"]:
            pi = self._new_id("pi")
            return self._store(
                {
                    "id": pi,
                    "object": "payment_intent",
                    "amount": int(form["amount"]),
                    "currency": form["currency"],
                    "customer": form.get("customer"),
                    "payment_method": form.get("payment_method"),
                    "payment_method_types": _list(form, "payment_method_types"),
                    "client_secret": f"{pi}_secret_edge",
                    "status": "succeeded",
                    "latest_charge": self._new_id("ch"),
                    "last_payment_error": None,
                    "created": 1796000000,
                    **_meta(form),
                }
            )
        if method == "GET" and parts == ["payment_methods", LINK_METHOD]:
            return 200, {
                "id": LINK_METHOD,
                "object": "payment_method",
                "type": "link",
                "link": {"email": LINK_EMAIL},
                "customer": None,
            }
        if method == "GET" and len(parts) == 2 and parts[1] in self.objects:
            return 200, self.objects[parts[1]]
        return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing"}}

    def _store(self, obj: dict) -> tuple[int, dict]:
        self.objects[obj["id"]] = obj
        return 200, obj

    def _handler(self):
        edge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                path, _, query = self.path.partition("?")
                form = dict(parse_qsl(body or query, keep_blank_values=True))
                edge.requests.append((method, path, form))
                status, obj = edge.answer(method, path, form)
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        return Handler


def _list(form: dict[str, str], name: str) -> list[str]:
    return [v for k, v in sorted(form.items()) if k.startswith(f"{name}[")]


def _meta(form: dict[str, str]) -> dict:
    return {"metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}}
