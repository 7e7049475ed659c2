"""Registering the portal's domain for wallets (Stripe's Payment Method Domains API), against
a small stand-in for that API (localstripe has none)."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.gateways.stripe_gateway import StripeGateway
from tests.support import servers


class _Domains(BaseHTTPRequestHandler):
    """GET /v1/payment_method_domains, POST …/payment_method_domains and …/{id}/validate."""

    domains: dict = {}
    seen: list = []

    def _answer(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        query = parse_qs(urlsplit(self.path).query)
        self.seen.append(("GET", urlsplit(self.path).path, query))
        found = [d for d in self.domains.values() if d["domain_name"] in query["domain_name"]]
        self._answer({"object": "list", "data": found, "has_more": False})

    def do_POST(self):
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"] or 0)).decode())
        path = urlsplit(self.path).path
        self.seen.append(("POST", path, form))
        if path.endswith("/validate"):
            domain = self.domains[path.split("/")[-2]]
            domain["apple_pay"] = {"status": "active"}
        else:
            domain = {
                "id": f"pmd_{len(self.domains) + 1}",
                "object": "payment_method_domain",
                "domain_name": form["domain_name"][0],
                "enabled": form["enabled"] == ["true"],
                "apple_pay": {
                    "status": "inactive",
                    "status_details": {"error_message": "domain association file missing"},
                },
            }
            self.domains[domain["id"]] = domain
        self._answer(domain)

    def log_message(self, *args):
        pass


@pytest.fixture
def domains_api():
    _Domains.domains, _Domains.seen = {}, []
    with servers.served(ThreadingHTTPServer(("127.0.0.1", 0), _Domains)) as server:
        yield f"http://127.0.0.1:{server.server_port}", _Domains


def test_register_then_validate_again(domains_api):
    base, api = domains_api
    gateway = StripeGateway("sk_test_x", api_base=base, max_network_retries=0)
    first = gateway.register_payment_method_domain("pay.studio-rossi.it")
    assert first == {
        "id": "pmd_1",
        "domain_name": "pay.studio-rossi.it",
        "enabled": True,
        "apple_pay": "inactive",
        "apple_pay_error": "domain association file missing",
    }
    again = gateway.register_payment_method_domain("pay.studio-rossi.it")
    assert (again["id"], again["apple_pay"], again["apple_pay_error"]) == ("pmd_1", "active", None)
    assert [(method, path) for method, path, _ in api.seen] == [
        ("GET", "/v1/payment_method_domains"),
        ("POST", "/v1/payment_method_domains"),
        ("GET", "/v1/payment_method_domains"),
        ("POST", "/v1/payment_method_domains/pmd_1/validate"),
    ]
    assert len(api.domains) == 1  # registered once
