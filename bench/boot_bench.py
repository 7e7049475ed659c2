"""Worker boot benchmark: `python bench/boot_bench.py [--repeat 3]` from the project root.

Each row is a fresh Python process (what a gunicorn worker without `preload_app`, or a Huey
consumer, pays at start), timed from its start to the end of the step, best of `--repeat`:

- bare Flask app: import Flask and build `bench/bare_app.py` (the baseline);
- `create_app()`: import the portal and build the app, as a worker does;
- `create_app()` + the SDKs loaded eagerly: the same, then import what the gateways now load
  on first use (WeasyPrint, pyHanko, segno, lxml, stripe), which is what boot cost when they
  were imported at the top of their modules;
- `create_app()` + first PDF render: the one-time cost a worker pays at its first receipt.

The last column lists the heavy modules loaded at the end of the step.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "weasyprint",
    "pyhanko",
    "aiohttp",
    "segno",
    "lxml",
    "stripe",
    "argon2",
    "pyotp",
    "alembic",
    "redis",
)

PRELUDE = "import json, sys, time\nstart = time.perf_counter()\n"
APP = (
    "from portal import create_app\n"
    "app = create_app({'SALDO_ENV': 'test', 'SQLALCHEMY_DATABASE_URI': sys.argv[1]})\n"
)
STEPS = {
    "bare Flask app": "import bench.bare_app\n",
    "create_app()": APP,
    "create_app() + the SDKs loaded eagerly": APP
    + "import weasyprint, pyhanko.sign.signers, pyhanko_certvalidator, segno, lxml.etree, stripe\n",
    "create_app() + first PDF render": APP
    + "from portal.gateways import pdf\npdf.html_to_pdf('<p>receipt</p>', '.')\n",
}
REPORT = (
    "print(json.dumps([time.perf_counter() - start, "
    "[m for m in sys.argv[2:] if m in sys.modules]]))\n"
)


def boot(code: str, url: str) -> tuple[float, list[str]]:
    run = subprocess.run(
        [sys.executable, "-c", PRELUDE + code + REPORT, url, *HEAVY],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    seconds, loaded = json.loads(run.stdout.strip().splitlines()[-1])
    return seconds, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"Saldo worker boot, {os.cpu_count()} CPUs (shared), Python {sys.version.split()[0]}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory(prefix="saldo-boot-bench-") as tmp:
        url = f"sqlite:///{tmp}/boot.sqlite3"
        print(f"\n{'':42}{'best s':>8}{'worst s':>9}  heavy modules loaded")
        for name, code in STEPS.items():
            runs = [boot(code, url) for _ in range(args.repeat)]
            times = [seconds for seconds, _ in runs]
            loaded = ", ".join(runs[0][1]) or "none"
            print(f"{name:42}{min(times):8.2f}{max(times):9.2f}  {loaded}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
