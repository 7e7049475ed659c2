"""Saldo benchmark: `python bench/run.py` from the project root, inside the virtualenv.

Prints requests/s, p50/p99 latency and server CPU of the verified invoice page (GET /pay), the
checkout (GET /pay/checkout) and the verify page (GET /pay/verify, before the date of birth)
next to the floor of this stack (GET /bench/floor) and a bare Flask route, all served by
gunicorn with config/gunicorn.conf.py in one run, and the bytes each patient page sends (HTML
plus our own CSS/JS, raw and gzip). See bench/README.md.
"""

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import loader
import pages
import servers

BARE_APP = "bench.bare_app:app"
# the portal plus GET /bench/floor (base template, verified session, no database); the
# default rate limit (300/min per IP) raised so the load test is not all 429s
PORTAL_APP = "bench.floor_app:create(keep_rate_limit=True)"
PORTAL_APP_UNLIMITED = "bench.floor_app:create()"


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=float, default=5.0, help="measured seconds of each round"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="measured rounds per endpoint, each on new connections (the median is shown)",
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections")
    parser.add_argument(
        "--more-connections",
        type=int,
        default=16,
        help="the bare route, the floor and the bill again with this many (0: not)",
    )
    parser.add_argument("--loader", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--workers", help="GUNICORN_WORKERS (default: the settings file's)")
    parser.add_argument("--threads", help="GUNICORN_THREADS (default: the settings file's)")
    parser.add_argument(
        "--keep-rate-limit", action="store_true", help="keep the 300/min limit on /pay"
    )
    args = parser.parse_args()
    args.duration = min(max(args.duration, 1.0), 60.0)
    args.rounds = min(max(args.rounds, 1), 15)
    args.warmup = min(max(args.warmup, 0.0), 10.0)
    args.connections = min(max(args.connections, 1), 64)
    args.more_connections = min(max(args.more_connections, 0), 64)
    if args.loader == "auto":
        args.loader = "wrk" if loader.have_wrk() else "python"
    elif args.loader == "wrk" and not loader.have_wrk():
        sys.exit("wrk is not on PATH (apt-get install wrk), or use --loader python")
    return args


def say(text: str) -> None:
    print(f"· {text}", file=sys.stderr, flush=True)


def environment(tmp: Path, args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env |= {
        "SALDO_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "SESSION_COOKIE_SECURE": "0",
        "GUNICORN_ACCESSLOG": "/dev/null",  # "" makes gunicorn exit: "'' isn't writable"
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name, value in (("GUNICORN_WORKERS", args.workers), ("GUNICORN_THREADS", args.threads)):
        if value:
            env[name] = value
    return env


def seed(env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.seed"],
        cwd=servers.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        raise RuntimeError(f"seeding failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Load:
    result: loader.Result  # the median round by rps
    server_cpu_ms: float | None  # gunicorn CPU time per request, over every round
    client_cpu: float  # load generator CPU time / wall time (1.0 = one core)
    connections: int
    rounds: list[float]  # each round's rps, in the order run
    bad: int  # bad answers over every round


def load(args, server: servers.Server, path: str, cookie: str, connections: int = 0) -> Load:
    """`args.rounds` rounds on `path`, each with new connections: the kernel hands each new
    connection to whichever worker accepts first and it stays there, so one round may load
    three workers and another two; the median round is shown, and the spread next to it."""
    connections = connections or args.connections
    say(
        f"load on GET {path} ({args.loader}, {connections} connections, "
        f"{args.warmup:g} s warm-up + {args.rounds} x {args.duration:g} s)"
    )
    if cookie:
        cookie = pages.refreshed(server.port, path, cookie)
    if args.warmup:
        loader.run(args.loader, server.port, path, cookie, connections, args.warmup)
    cpu0, wall0 = servers.cpu_seconds(server), time.monotonic()
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    results = [
        loader.run(args.loader, server.port, path, cookie, connections, args.duration)
        for _ in range(args.rounds)
    ]
    child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu1, wall = servers.cpu_seconds(server), time.monotonic() - wall0
    client = (child1.ru_utime + child1.ru_stime - child0.ru_utime - child0.ru_stime) / wall
    sent = sum(r.sent for r in results)
    server_ms = None
    if cpu0 is not None and cpu1 is not None and sent:
        server_ms = (cpu1 - cpu0) * 1000 / sent
    median = sorted(results, key=lambda r: r.rps)[len(results) // 2]
    bad = sum(r.bad for r in results)
    return Load(median, server_ms, client, connections, [r.rps for r in results], bad)


def measure(args, tmp: Path, env: dict[str, str], launcher: servers.Launcher) -> dict:
    link = seed(env)
    say(f"seeded demo data; patient link for {link['practice']}, invoice {link['invoice']}")
    app = PORTAL_APP if args.keep_rate_limit else PORTAL_APP_UNLIMITED
    portal_env = env | {"GUNICORN_BIND": f"127.0.0.1:{servers.free_port()}"}
    bare_env = env | {"GUNICORN_BIND": f"127.0.0.1:{servers.free_port()}"}
    found = {"settings": servers.settings(portal_env), "app": app}
    found["loadavg"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with launcher.run("portal", app, portal_env, "/static/css/saldo.css") as server:
        found["pages"], cookie = pages.walk(server.port, link)
        first = pages.check(server.port, "/pay", cookie)
        if first.status != 200 or link["invoice"].encode() not in first.body:
            raise RuntimeError(f"GET /pay with the verified cookie gave HTTP {first.status}")
        found["invoice_size"] = first.header_bytes + len(first.body)
        found["invoice"] = load(args, server, "/pay", cookie)
        if args.more_connections:
            found["invoice_more"] = load(args, server, "/pay", cookie, args.more_connections)
        found["after"] = pages.check(server.port, "/pay", cookie).status
        cookie = pages.refreshed(server.port, "/bench/floor", cookie)  # as a browser keeps it
        floor = pages.check(server.port, "/bench/floor", cookie)
        if floor.status != 200:
            raise RuntimeError(f"GET /bench/floor with the verified cookie gave {floor.status}")
        found["floor_size"] = floor.header_bytes + len(floor.body)
        found["floor"] = load(args, server, "/bench/floor", cookie)
        if args.more_connections:
            found["floor_more"] = load(args, server, "/bench/floor", cookie, args.more_connections)
        cookie = pages.refreshed(server.port, "/pay/checkout", cookie)
        checkout = pages.check(server.port, "/pay/checkout", cookie)
        if checkout.status != 200:
            raise RuntimeError(f"GET /pay/checkout with the verified cookie gave {checkout.status}")
        found["checkout_size"] = checkout.header_bytes + len(checkout.body)
        found["checkout"] = load(args, server, "/pay/checkout", cookie)
        fresh = pages.unverified_cookie(server.port, link)
        verify = pages.check(server.port, "/pay/verify", fresh)
        if verify.status != 200:
            raise RuntimeError(f"GET /pay/verify with an unverified cookie gave {verify.status}")
        found["verify_size"] = verify.header_bytes + len(verify.body)
        found["verify"] = load(args, server, "/pay/verify", fresh)
    with launcher.run("bare", BARE_APP, bare_env) as server:
        first = pages.check(server.port, "/", "")
        found["bare_size"] = first.header_bytes + len(first.body)
        found["bare"] = load(args, server, "/", "")
        if args.more_connections:
            found["bare_more"] = load(args, server, "/", "", args.more_connections)
    return found


def load_table(found: dict) -> list[str]:
    rows = [
        ("bare flask route (GET /)", found["bare"], found["bare_size"]),
        ("floor: base template, verified", found["floor"], found["floor_size"]),
        ("verified invoice page (GET /pay)", found["invoice"], found["invoice_size"]),
        ("checkout (GET /pay/checkout)", found["checkout"], found["checkout_size"]),
        ("verify page (GET /pay/verify)", found["verify"], found["verify_size"]),
    ]
    more = found.get("bare_more") and found["bare_more"].connections
    if more:
        rows += [
            (f"bare route, {more} connections", found["bare_more"], found["bare_size"]),
            (f"floor, {more} connections", found["floor_more"], found["floor_size"]),
            (f"invoice page, {more} connections", found["invoice_more"], found["invoice_size"]),
        ]
    out = [
        f"{'endpoint':33}{'rps':>7}{'p50 ms':>8}{'p99 ms':>8}{'srv CPU':>9}"
        f"{'client':>8}{'B/resp':>8}{'bad':>5}{'rounds: rps':>18}",
        f"{'':33}{'':>7}{'':>8}{'':>8}{'ms/req':>9}{'CPU':>8}",
    ]
    for name, m, _ in rows:
        r = m.result
        cpu = f"{m.server_cpu_ms:9.2f}" if m.server_cpu_ms is not None else f"{'n/a':>9}"
        out.append(
            f"{name:33}{r.rps:7.0f}{r.p50_ms:8.2f}{r.p99_ms:8.2f}{cpu}"
            f"{m.client_cpu:8.0%}{r.bytes_per_response:8.0f}{m.bad:5d}   "
            + " ".join(f"{rps:.0f}" for rps in m.rounds)
        )
    bare, floor = found["bare"], found["floor"]
    for page in ("invoice page", "checkout", "verify page"):
        measured = found[page.split()[0]]
        for name, base in (("the bare route", bare), ("the floor", floor)):
            label = f"{page}:" if name == "the bare route" else ""
            if base.result.rps:
                share = measured.result.rps / base.result.rps
                out.append(f"{label:14}{share:.1%} of the rps of {name}")
            if base.server_cpu_ms and measured.server_cpu_ms:
                ratio = measured.server_cpu_ms / base.server_cpu_ms
                out.append(f"{'':14}{ratio:.1f}x the server CPU per request of {name}")
    for name, m, size in rows:
        r = m.result
        if m.bad or (r.requests and abs(r.bytes_per_response - size) > 0.05 * size):
            out.append(
                f"WARNING {name}: {m.bad} bad answers, {r.bytes_per_response:.0f} B/resp "
                f"vs {size} B for the full page {r.statuses}"
            )
    out.append(f"after the load, GET /pay with the same cookie: HTTP {found['after']}")
    return out


def bytes_table(page_list: list[pages.Page]) -> list[str]:
    out = [f"{'page / resource':40}{'raw B':>9}{'gzip B':>9}{'headers B':>11}"]
    for page in page_list:
        out.append(page.title)
        for item in page.items:
            out.append(f"  {item.label:38}{item.raw:9d}{item.gzip:9d}{item.headers:11d}")
        raw, gz, head = (sum(getattr(i, a) for i in page.items) for a in ("raw", "gzip", "headers"))
        out.append(f"  {'total (own HTML+CSS+JS)':38}{raw:9d}{gz:9d}{head:11d}")
        out.extend(f"  not counted (third party): {url}" for url in page.external)
    return out


def report(args, found: dict, launcher: servers.Launcher, seconds: float) -> None:
    conf, cpus = found["settings"], os.cpu_count()
    print(f"Saldo benchmark  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  ({seconds:.0f} s)")
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.platform()}, {cpus} CPUs; gunicorn {version('gunicorn')}, "
        f"Flask {version('flask')}"
    )
    print(f"load average before the run: {found['loadavg']}  (> 0.5: other work shares the CPUs)")
    print(
        f"gunicorn -c {launcher.conf}: {conf['workers']} workers x {conf['threads']} threads "
        f"({conf['worker_class']}), keepalive {conf['keepalive']} s; access log to /dev/null"
    )
    if launcher.note:
        print(
            f"  NOTE {launcher.note};\n  used {servers.FALLBACK_CONF}: the same settings "
            "plus a root logger"
        )
    print(f"portal app: {found['app']}\n  SALDO_ENV=development, SQLite in a temp dir")
    print(
        f"load: {args.loader}, {args.connections} keep-alive connections "
        f"(the last rows {args.more_connections}), "
        f"{args.warmup:g} s warm-up + {args.rounds} rounds x {args.duration:g} s measured per "
        "endpoint, each round on new connections; rps, p50 and p99 of the median round, "
        "127.0.0.1 only"
    )
    print(
        f"NOTE client and server share this machine's {cpus} CPUs: compare the rows, "
        "don't read them as capacity.\n"
        "srv CPU = gunicorn CPU time per request; client CPU = load generator, 100% = one core\n"
    )
    print("\n".join(load_table(found)))
    print("\nBytes each patient page sends (first visit, empty cache). Flask/gunicorn send raw;")
    print("gzip = level 6, what a compressing reverse proxy would send; headers stay raw.\n")
    print("\n".join(bytes_table(found["pages"])))


def main() -> None:
    args = options()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="saldo-bench-") as name:
        tmp = Path(name)
        launcher = servers.Launcher(tmp)
        found = measure(args, tmp, environment(tmp, args), launcher)
    report(args, found, launcher, time.monotonic() - started)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted; gunicorn stopped")
