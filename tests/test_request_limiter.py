"""The limiter asks its request filters first: an exempt request looks up no limit, and
every other request is limited as Flask-Limiter limits it (meta limits too)."""

from flask import Flask, request

from portal.request_limiter import FilterFirstLimiter


def limited_app(meta: str | None = None) -> tuple[Flask, FilterFirstLimiter, list]:
    app = Flask(__name__)
    app.config.update(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_META=meta)
    limiter = FilterFirstLimiter(key_func=lambda: "one client", app=app)
    limiter.request_filter(lambda: request.args.get("exempt") == "1")
    resolved: list[str] = []
    real = limiter.limit_manager.exemption_scope
    limiter.limit_manager.exemption_scope = lambda *a: resolved.append(a[1]) or real(*a)

    @app.get("/page")
    @limiter.limit("2 per minute")
    def page():
        return "page"

    return app, limiter, resolved


def test_an_exempt_request_looks_up_no_limit_and_is_never_refused():
    app, _, resolved = limited_app()
    client = app.test_client()
    assert [client.get("/page?exempt=1").status_code for _ in range(4)] == [200] * 4
    assert resolved == []


def test_other_requests_are_limited():
    app, _, resolved = limited_app()
    client = app.test_client()
    assert [client.get("/page").status_code for _ in range(3)] == [200, 200, 429]
    assert resolved[:2] == ["page", "page"]  # the before_request hook, then the decorator


def test_with_meta_limits_an_exempt_request_is_refused_once_they_are_breached():
    app, _, _ = limited_app(meta="1 per minute")
    client = app.test_client()
    assert [client.get("/page").status_code for _ in range(3)] == [200, 200, 429]
    # the breach counted against the meta limit refuses the client's every request, as in
    # Flask-Limiter itself: the filter is not asked first then
    assert client.get("/page?exempt=1").status_code == 429
