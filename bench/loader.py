"""Closed-loop HTTP load against 127.0.0.1: `wrk` when it is on PATH, else a Python loader.

Both keep N keep-alive connections busy for a warm-up, then for a fixed measured duration, and
report requests per second, p50/p99 latency, non-2xx/3xx responses and mean bytes per response.
The Python loader runs 2 processes x N/2 threads, each with one persistent http.client
connection; every loop is bounded by a deadline and a request cap.
"""

import http.client
import re
import shutil
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

MAX_REQUESTS_PER_CONNECTION = 500_000
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    bad: int  # non-2xx/3xx responses plus socket errors
    bytes_per_response: float
    statuses: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


# --- wrk ---------------------------------------------------------------------------------------


def _wrk(port: int, path: str, cookie: str, connections: int, seconds: float) -> str:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    cmd += ["--timeout", "5s"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=True)
    return done.stdout


def _num(pattern: str, text: str) -> re.Match:
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"unexpected wrk output (no {pattern!r}):\n{text}")
    return match


def parse_wrk(text: str) -> Result:
    def latency(pct: str) -> float:
        m = _num(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)$", text)
        return float(m.group(1)) * UNITS[m.group(2)]

    text = "\n".join(line.rstrip() for line in text.splitlines())
    total = _num(r"(\d+) requests in ([\d.]+)(us|ms|s|m), ([\d.]+)(B|KB|MB|GB) read", text)
    requests = int(total.group(1))
    seconds = float(total.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[total.group(3)]
    read = float(total.group(4)) * SIZES[total.group(5)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    bad = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(int(g) for g in errors.groups()) if errors else 0
    )
    p50 = latency("50")
    p99 = latency("99")
    return Result(requests, seconds, p50, p99, bad, read / requests if requests else 0.0)


def run_wrk(port: int, path: str, cookie: str, connections: int, warmup: float, seconds: float):
    if warmup > 0:
        _wrk(port, path, cookie, connections, warmup)
    return parse_wrk(_wrk(port, path, cookie, connections, seconds))


# --- Python ------------------------------------------------------------------------------------


def _connection_loop(port, path, headers, start, end, out):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    latencies, statuses, read, errors, count = [], Counter(), 0, 0, 0
    while count < MAX_REQUESTS_PER_CONNECTION:
        now = time.time()
        if now >= end:
            break
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            errors += 1 if now >= start else 0
            time.sleep(0.01)
            continue
        elapsed = time.perf_counter() - t0
        count += 1
        if now >= start and time.time() <= end:
            latencies.append(elapsed * 1000)
            statuses[resp.status] += 1
            # status line + headers + blank line + body, as wrk counts "read" bytes
            head = sum(len(k) + len(v) + 4 for k, v in resp.getheaders())
            read += len(f"HTTP/1.1 {resp.status} {resp.reason}") + 4 + head + len(body)
    conn.close()
    out.append((latencies, statuses, read, errors))


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
        worker.join(timeout=end - time.time() + 15)
    return out


def run_python(port: int, path: str, cookie: str, connections: int, warmup: float, seconds: float):
    processes = 2 if connections >= 2 else 1
    per_process = [connections // processes + (i < connections % processes) for i in range(2)]
    start = time.time() + 1.0 + warmup  # 1 s for the processes to start
    end = start + seconds
    with ProcessPoolExecutor(processes) as pool:
        futures = [
            pool.submit(_process, port, path, cookie, n, start, end)
            for n in per_process[:processes]
        ]
        parts = [part for f in futures for part in f.result(timeout=seconds + warmup + 30)]
    latencies = sorted(x for part in parts for x in part[0])
    statuses = sum((part[1] for part in parts), Counter())
    read = sum(part[2] for part in parts)
    errors = sum(part[3] for part in parts)
    n = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(n - 1, max(0, round(p / 100 * n + 0.5) - 1))] if n else float("nan")

    bad = errors + sum(c for s, c in statuses.items() if not 200 <= s < 400)
    shown = ", ".join(f"{s}: {c}" for s, c in sorted(statuses.items()))
    return Result(n, seconds, pct(50), pct(99), bad, read / n if n else 0.0, shown)
