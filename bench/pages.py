"""Walk the patient flow over HTTP (link → verify → invoice → checkout) and size what it sends.

Each HTML response and every same-origin stylesheet/script it references is fetched once; sizes
are response bodies, raw and gzip-compressed (level 6, what a compressing proxy would use),
plus the response header bytes. Third-party scripts (Stripe.js) are listed but not counted.
"""

import gzip
import http.client
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

ASSET = re.compile(
    r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"|<script[^>]+src="([^"]+)"', re.IGNORECASE
)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    reason: str = ""

    @property
    def header_bytes(self) -> int:
        lines = [f"HTTP/1.1 {self.status} {self.reason}"] + [f"{k}: {v}" for k, v in self.headers]
        return len(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class Item:
    label: str
    raw: int
    gzip: int
    headers: int


@dataclass
class Page:
    title: str
    items: list[Item] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


class Client:
    """One keep-alive connection with a tiny cookie jar; never follows redirects."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        for value in resp.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return Response(resp.status, list(resp.headers.items()), data, resp.reason)

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def close(self) -> None:
        self.conn.close()


def _expect(resp: Response, status: int, what: str) -> Response:
    if resp.status != status:
        raise RuntimeError(
            f"{what}: expected HTTP {status}, got {resp.status}: {resp.body[:300]!r}"
        )
    return resp


def _item(label: str, resp: Response) -> Item:
    return Item(label, len(resp.body), len(gzip.compress(resp.body, 6, mtime=0)), resp.header_bytes)


def _page(client: Client, title: str, label: str, resp: Response, cache: dict) -> Page:
    page = Page(title, [_item(label, resp)])
    for css, js in ASSET.findall(resp.body.decode("utf-8", "replace")):
        url = (css or js).replace("&amp;", "&")
        if urlsplit(url).netloc:
            page.external.append(url)
            continue
        if url not in cache:
            cache[url] = _item(url, _expect(client.request("GET", url), 200, url))
        page.items.append(cache[url])
    return page


def walk(port: int, link: dict) -> tuple[list[Page], str]:
    """Open the link, verify the date of birth; return the pages and the verified cookie."""
    client, cache = Client(port), {}
    try:
        opened = _expect(client.request("GET", f"/p/{link['token']}"), 302, "GET /p/<token>")
        verify = _expect(client.request("GET", "/pay/verify"), 200, "GET /pay/verify")
        match = CSRF.search(verify.body.decode())
        if not match:
            raise RuntimeError("no csrf_token in the verify page")
        form = {"csrf_token": match.group(1) or match.group(2)}
        form |= {k: str(link[k]) for k in ("day", "month", "year")}
        done = _expect(client.request("POST", "/pay/verify", form), 302, "POST /pay/verify")
        if not (done.header("Location") or "").endswith("/pay"):
            raise RuntimeError(f"verification did not lead to /pay: {done.header('Location')}")
        invoice = _expect(client.request("GET", "/pay"), 200, "GET /pay")
        checkout = _expect(client.request("GET", "/pay/checkout"), 200, "GET /pay/checkout")
        pages = [
            _page(client, "link open  GET /p/<token>", "HTML (302 redirect)", opened, cache),
            _page(client, "verify     GET /pay/verify", "HTML", verify, cache),
            _page(client, "invoice    GET /pay", "HTML", invoice, cache),
            _page(client, "checkout   GET /pay/checkout", "HTML", checkout, cache),
        ]
        return pages, client.cookie_header()
    finally:
        client.close()


def unverified_cookie(port: int, link: dict) -> str:
    """A session that opened the link and has not given the date of birth yet."""
    client = Client(port)
    try:
        _expect(client.request("GET", f"/p/{link['token']}"), 302, "GET /p/<token>")
        _expect(client.request("GET", "/pay/verify"), 200, "GET /pay/verify")
        return client.cookie_header()
    finally:
        client.close()


def refreshed(port: int, path: str, cookie: str) -> str:
    """`cookie` with whatever a GET of `path` sets, as a browser keeps it: an unchanged
    session cookie is signed again once it is a minute old, and the load generator (which
    keeps no cookies) would otherwise send the old one and get a new one every time."""
    jar = dict(part.split("=", 1) for part in cookie.split("; ") if "=" in part)
    for value in [v for k, v in check(port, path, cookie).headers if k.lower() == "set-cookie"]:
        for name, morsel in SimpleCookie(value).items():
            jar[name] = morsel.value
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def check(port: int, path: str, cookie: str) -> Response:
    """One request as the load generator will send it (to confirm it gets the real page)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        resp = conn.getresponse()
        return Response(resp.status, list(resp.headers.items()), resp.read(), resp.reason)
    finally:
        conn.close()
