"""`portal/clock.py` is the one place that reads the wall clock: everything else takes `now`
or `today` from its caller or asks the clock, so a test (or a job run for another day) can
hand it any moment."""

import re
from pathlib import Path

PORTAL = Path(__file__).resolve().parents[1] / "portal"

#: reading the wall clock: datetime.now/utcnow/today, date.today, time.time and friends
WALL_CLOCK = re.compile(
    r"\b(?:datetime\.(?:now|utcnow|today)|date\.today|time\.(?:time|time_ns|localtime|gmtime|ctime)"
    r"|_time\.time)\s*\("
)
#: the modules allowed to read it, and why
ALLOWED = {
    "clock.py": "the one clock",
}


def _readers() -> dict[str, list[str]]:
    found = {}
    for path in sorted(PORTAL.rglob("*.py")):
        name = path.relative_to(PORTAL).as_posix()
        if name.startswith("migrations/"):
            continue
        lines = [
            f"{number}: {line.strip()}"
            for number, line in enumerate(path.read_text().splitlines(), 1)
            if WALL_CLOCK.search(line)
        ]
        if lines:
            found[name] = lines
    return found


def test_only_the_clock_reads_the_wall_clock():
    readers = _readers()
    assert set(readers) == set(ALLOWED), {k: v for k, v in readers.items() if k not in ALLOWED}


def test_the_scan_finds_each_way_of_reading_it():
    for line in (
        "now = datetime.now(UTC)",
        "day = date.today()",
        "since = int(time.time())",
        "stamp = dt.datetime.now(dt.UTC)",
        "moment = datetime.utcnow()",
    ):
        assert WALL_CLOCK.search(line), line
    for line in ("now = utcnow()", "clock.timestamp()", "elapsed = time.monotonic()"):
        assert not WALL_CLOCK.search(line), line
