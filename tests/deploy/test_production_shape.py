"""The production shape, end to end: PostgreSQL, Redis, nginx with TLS (config/nginx/) in front
of two gunicorn servers, and two Huey consumers, each its own process with its own instance
folder. Chromium pays and signs in over HTTPS; Redis stops and PostgreSQL restarts under
traffic; an agreement sealed through one server checks as valid through the other."""

import json
import re
import threading
import time
from datetime import date

import pytest
import redis
from playwright.sync_api import expect

from portal import create_app, gateways
from portal.extensions import db
from portal.services.billing import ledger
from tests import factories
from tests.browser import pages
from tests.browser import test_plan_journey as plan_steps
from tests.browser.test_staff_journey import DESKTOP, sign_in
from tests.deploy import stack
from tests.support import servers
from tests.support.browser import TIMEOUT_MS
from tests.web.staff_client import make_staff

pytestmark = [pytest.mark.deploy, pytest.mark.browser, pytest.mark.stripe]

SECRET_KEY = "deploy-test-secret-key-shared-by-every-server"
ENCRYPTION_KEY = "deploy-test-encryption-key-shared-by-every-server"
WEBHOOK_SECRET = "whsec_saldo_deploy"
HTTPS = dict(ignore_https_errors=True)
SLOW_MS = 30_000


@pytest.fixture
def shape():
    expect.set_options(timeout=SLOW_MS)  # eight processes on a small machine
    root = stack.workdir()
    pg, cache = stack.Postgres(root), stack.Redis(root)
    ports = [servers.free_port(), servers.free_port()]
    proxy = stack.Nginx(root, ports)
    with servers.localstripe() as stripe_base:
        env = {
            "SALDO_ENV": "production",
            "SECRET_KEY": SECRET_KEY,
            "SALDO_ENCRYPTION_KEY": ENCRYPTION_KEY,
            "DATABASE_URL": pg.url,
            "REDIS_URL": cache.url,
            "PORTAL_BASE_URL": proxy.url(),
            "PROXY_COUNT": "1",
            "LOG_FORMAT": "json",
            "STRIPE_SECRET_KEY": "sk_test_saldo_deploy",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_saldo_deploy",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe_base,
            "STRIPE_JS_URL": f"{stripe_base}/js.stripe.com/v3/",
        }
        processes = stack.Processes(root, env)
        try:
            pg.start()
            cache.start()
            processes.command("db", "upgrade")
            processes.gunicorn("server-a", ports[0])
            processes.gunicorn("server-b", ports[1])
            workers = [processes.huey("worker-a"), processes.huey("worker-b")]
            proxy.start()
            for _ in range(4):  # both servers have answered through the proxy
                stack.wait_until_ok(f"{proxy.url()}/staff/login")
            app = create_app(
                {
                    "SALDO_ENV": "test",
                    "SECRET_KEY": SECRET_KEY,
                    "SALDO_ENCRYPTION_KEY": ENCRYPTION_KEY,
                    "SQLALCHEMY_DATABASE_URI": pg.url,
                    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
                    "SEAL_KEY_PATH": None,
                    "SEAL_CERT_PATH": None,
                    "STRIPE_API_BASE": stripe_base,
                    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                }
            )
            with app.app_context():
                # localstripe delivers to server A directly (it would refuse our certificate)
                gateways.stripe().register_local_webhook(
                    f"http://127.0.0.1:{ports[0]}/webhooks/stripe"
                )
                yield dict(proxy=proxy, pg=pg, redis=cache, workers=workers, root=root)
                db.session.remove()
                db.engine.dispose()
        finally:
            expect.set_options(timeout=TIMEOUT_MS)
            for stop in (proxy.stop, processes.stop, cache.stop, lambda: pg.stop("immediate")):
                try:
                    stop()
                except Exception as exc:  # stop the others all the same
                    print(f"stopping: {exc!r}")


def fact(page, label: str):
    """The value next to `label` on the agreement check page."""
    row = page.locator("dl.facts > div").filter(has=page.get_by_text(label, exact=True))
    return row.locator("dd")


def slow_page(open_page, **options):
    page = open_page(**options)
    page.set_default_timeout(SLOW_MS)
    return page


def a_patient_pays_over_https_through_the_proxy(shape, open_page):
    invoice, token = factories.invoice_with_link(
        first_name="Emily", last_name="Carter", date_of_birth=date(1990, 7, 4), locale="en"
    )
    page = slow_page(open_page, **plan_steps.PHONE, locale="en-GB", **HTTPS)
    pages.open_link(page, f"{shape['proxy'].url()}/p/{token}")
    assert page.url.startswith("https://")
    pages.verify(page, date(1990, 7, 4))
    pages.go_to_checkout(page)
    pages.fill_card(page, pages.CARD_OK)
    pages.pay(page)
    expect(page).to_have_url(pages.RESULT_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["__Host-session"]["secure"] and cookies["__Host-session"]["httpOnly"]
    db.session.expire_all()
    assert ledger.balance(invoice.id) == 0
    # the limits live in Redis, shared by both servers and all their workers
    assert redis.Redis.from_url(shape["redis"].url).keys("LIMITS*")


def staff_sign_in_over_https(shape, open_page):
    email = make_staff(factories.practice(), "owner").email
    page = slow_page(open_page, **DESKTOP, **HTTPS)
    sign_in(page, shape["proxy"].url(), email)
    response = page.request.get(f"{shape['proxy'].url()}/staff/")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["referrer-policy"] == "no-referrer"


def sealed_by_a_worker(who, timeout: float = 180.0):
    """The plan once one of the Huey consumers has sealed its agreement (pending work, run
    every minute by the consumers' periodic task)."""
    deadline = time.monotonic() + timeout
    while (plan := who.plan()).agreement_pdf is None:
        assert time.monotonic() < deadline, "no worker sealed the agreement"
        time.sleep(1)
    return plan


def an_agreement_signed_through_one_server(shape, open_page):
    """A patient signs a plan through server A and pays its down payment; the sealing is
    left to the consumers' pending work (every minute), which the next steps wait for."""
    who = plan_steps.italian_patient()
    patient = slow_page(
        open_page, **plan_steps.PHONE, locale="it-IT", timezone_id="Europe/Rome", **HTTPS
    )
    plan_steps.open_bill(patient, shape["proxy"].url(pinned=0), who)  # server A only
    plan_steps.go_to_plans(patient, who)
    plan_steps.choose_plan(patient, who, 6)
    plan_steps.consent(patient, who)
    plan_steps.read_agreement(patient, who, 6)
    plan_steps.type_name(patient, who, "Giulia Bianchi")
    plan_steps.sign(patient, who)
    plan_steps.pay_down_payment(patient, who)
    return who


def its_agreement_sealed_by_a_worker_checks_on_the_other_server(shape, open_page, who):
    owner = make_staff(who.invoice.practice, "owner").email
    plan = sealed_by_a_worker(who)
    assert plan.status == "active" and plan.agreement_pdf.startswith(b"%PDF")

    for server in (1, 0):  # B, which never saw this patient, then A
        staff = slow_page(open_page, **DESKTOP, **HTTPS)
        base = shape["proxy"].url(pinned=server)
        sign_in(staff, base, owner)
        staff.goto(f"{base}/staff/plans/{plan.id}/check")
        expect(fact(staff, "Stored SHA-256 matches the file")).to_have_text("yes")
        expect(fact(staff, "Seal intact and valid")).to_have_text("yes")
        expect(fact(staff, "Sealed by")).to_have_text(who.invoice.practice.name)
    assert not (shape["root"] / "server-a" / "seal").exists()


def pages_answer_while_redis_is_down(shape, open_page):
    base = shape["proxy"].url()
    email = make_staff(factories.practice(), "owner").email
    shape["redis"].stop()
    try:
        statuses = [stack.get(f"{base}/staff/login")[0] for _ in range(6)]
        assert statuses == [200] * 6  # both servers, several workers: none fails
        page = slow_page(open_page, **DESKTOP, **HTTPS)
        sign_in(page, base, email)  # a rate-limited POST, now counted per process
        status, body = stack.get(f"{base}/readyz")
        assert (status, json.loads(body)) == (
            503,
            {"status": "unavailable", "database": "ok", "redis": "unreachable"},
        )
        assert stack.get(f"{base}/healthz")[0] == 200
    finally:
        shape["redis"].start()
    assert stack.wait_until_ok(f"{base}/readyz") >= 0
    assert [worker.poll() for worker in shape["workers"]] == [None, None]


def pages_recover_after_postgresql_restarts_under_traffic(shape, open_page):
    base = shape["proxy"].url()
    email = make_staff(factories.practice(), "owner").email
    db.session.commit()
    page = slow_page(open_page, **DESKTOP, **HTTPS)
    sign_in(page, base, email)
    stop = threading.Event()
    answers: list[int] = []

    def traffic():
        for _ in range(300):
            if stop.is_set():
                return
            try:
                answers.append(stack.get(f"{base}/readyz", timeout=5)[0])
            except OSError:
                answers.append(0)

    thread = threading.Thread(target=traffic)
    thread.start()
    try:
        db.session.remove()
        db.engine.dispose()
        shape["pg"].stop("fast")
        shape["pg"].start()
        stack.wait_until_ok(f"{base}/readyz")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert answers, "no traffic reached the servers"
    assert [stack.get(f"{base}/readyz")[0] for _ in range(8)] == [200] * 8
    response = page.goto(f"{base}/staff/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoices")
    assert re.search(r"/staff/$", page.url)


def test_the_production_shape(shape, open_page):
    """One test, so that the steps run in this order on one worker (make test uses xdist).
    The agreement is signed first: its sealing waits for the consumers' next minute, while
    the payment and the staff sign-in go on."""
    signed = an_agreement_signed_through_one_server(shape, open_page)
    a_patient_pays_over_https_through_the_proxy(shape, open_page)
    staff_sign_in_over_https(shape, open_page)
    its_agreement_sealed_by_a_worker_checks_on_the_other_server(shape, open_page, signed)
    pages_answer_while_redis_is_down(shape, open_page)
    pages_recover_after_postgresql_restarts_under_traffic(shape, open_page)
