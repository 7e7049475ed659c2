"""Closed-loop HTTP load against 127.0.0.1: `wrk` when it is on PATH, else a Python loader.

Both keep N keep-alive connections busy for a fixed duration and report requests per second,
p50/p99 latency, bad answers (non-2xx/3xx, socket errors) and mean bytes read per response.
The Python loader runs 2 processes x N/2 threads, each with one persistent http.client
connection; every loop is bounded by a deadline and a request cap.
"""

import http.client
import math
import re
import shutil
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

MAX_REQUESTS_PER_CONNECTION = 500_000
STARTUP = 0.5  # seconds the Python loader gives its processes before measuring
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}
SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


@dataclass
class Result:
    requests: int  # answered inside the measured window
    seconds: float
    p50_ms: float
    p99_ms: float
    bad: int
    bytes_per_response: float
    sent: int  # answered during the whole call (the Python loader's start-up included)
    statuses: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run(name: str, port: int, path: str, cookie: str, connections: int, seconds: float) -> Result:
    """Load `path` for `seconds` with loader `name` ("wrk" or "python")."""
    if name == "wrk":
        return parse_wrk(_wrk(port, path, cookie, connections, seconds))
    return _python(port, path, cookie, connections, seconds)


# --- wrk ---------------------------------------------------------------------------------------


def _wrk(port: int, path: str, cookie: str, connections: int, seconds: float) -> str:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    cmd += ["--timeout", "5s", f"http://127.0.0.1:{port}{path}"]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=True)
    return done.stdout


def _search(pattern: str, text: str) -> re.Match:
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"unexpected wrk output (no {pattern!r}):\n{text}")
    return match


def parse_wrk(text: str) -> Result:
    text = "\n".join(line.rstrip() for line in text.splitlines())
    p50, p99 = (_search(rf"^\s*{p}%\s+([\d.]+)(us|ms|s)$", text) for p in (50, 99))
    total = _search(r"(\d+) requests in ([\d.]+)(us|ms|s|m), ([\d.]+)(B|KB|MB|GB) read", text)
    requests = int(total.group(1))
    seconds = float(total.group(2)) * SECONDS[total.group(3)]
    read = float(total.group(4)) * SIZES[total.group(5)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    bad = int(non2xx.group(1)) if non2xx else 0
    bad += sum(int(g) for g in errors.groups()) if errors else 0
    return Result(
        requests,
        seconds,
        float(p50.group(1)) * UNITS[p50.group(2)],
        float(p99.group(1)) * UNITS[p99.group(2)],
        bad,
        read / requests if requests else 0.0,
        requests,
    )


# --- Python ------------------------------------------------------------------------------------


def _connection_loop(port, path, headers, start, end, out):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    latencies, statuses, read, errors, sent = [], Counter(), 0, 0, 0
    while sent < MAX_REQUESTS_PER_CONNECTION and time.time() < end:
        began, t0 = time.time(), time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            errors += began >= start
            time.sleep(0.01)
            continue
        elapsed = time.perf_counter() - t0
        sent += 1
        if began >= start and time.time() <= end:
            latencies.append(elapsed * 1000)
            statuses[resp.status] += 1
            # status line + headers + blank line + body, as wrk counts bytes read
            head = sum(len(k) + len(v) + 4 for k, v in resp.getheaders())
            read += len(f"HTTP/1.1 {resp.status} {resp.reason}") + 4 + head + len(body)
    conn.close()
    out.append((latencies, statuses, read, errors, sent))


def _process(port, path, cookie, threads, start, end):
    headers = {"Cookie": cookie} if cookie else {}
    out: list = []
    workers = [
        threading.Thread(target=_connection_loop, args=(port, path, headers, start, end, out))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=max(0.0, end - time.time()) + 15)
    return out


def _python(port: int, path: str, cookie: str, connections: int, seconds: float) -> Result:
    processes = min(2, connections)
    shares = [connections // processes + (i < connections % processes) for i in range(processes)]
    start = time.time() + STARTUP
    end = start + seconds
    with ProcessPoolExecutor(processes) as pool:
        futures = [pool.submit(_process, port, path, cookie, n, start, end) for n in shares]
        parts = [part for f in futures for part in f.result(timeout=seconds + 30)]
    latencies = sorted(x for part in parts for x in part[0])
    statuses = sum((part[1] for part in parts), Counter())
    n = len(latencies)

    def pct(p: float) -> float:
        return latencies[max(0, math.ceil(p / 100 * n) - 1)] if n else float("nan")

    bad = sum(part[3] for part in parts)
    bad += sum(c for s, c in statuses.items() if not 200 <= s < 400)
    read = sum(part[2] for part in parts)
    shown = ", ".join(f"HTTP {s}: {c}" for s, c in sorted(statuses.items()))
    sent = sum(part[4] for part in parts)
    return Result(n, seconds, pct(50), pct(99), bad, read / n if n else 0.0, sent, shown)
