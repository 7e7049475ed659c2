"""`portal/clock.py` is the one place that reads the wall clock: everything else takes `now`
or `today` from its caller or asks the clock, so a test (or a job run for another day) can
hand it any moment."""

import ast
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


# --- zones and days: the clock is also the one place that turns a moment into a zone's day ---

#: receivers whose .now()/.today()/.utcnow() is the clock's own (not the wall clock read twice)
CLOCK_NAMES = {"clock"}
#: a tzinfo= that only marks a naive UTC moment as UTC (no zone is chosen)
UTC_NAMES = {"UTC", "dt.UTC", "timezone.utc", "datetime.UTC", "None"}
#: `.date()` calls that do not decide a day of a UTC moment, and why
DATES_ALLOWED = {
    ("jobs_cli.py", "as_of.date()"): "a day typed on the command line (click.DateTime)",
    ("report_cli.py", "as_of.date()"): "a day typed on the command line (click.DateTime)",
    ("i18n.py", "value.date()"): "a datetime handed in to be written as a day, zone chosen",
}


def _zone_work(source: str, module: str = "") -> list[str]:
    """Each call in `source` that builds a zone, converts to one, reads the wall clock or
    takes the day of a moment, as "line: code"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func, code = node.func, ast.unparse(node)
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else None
        zoned = [
            k for k in node.keywords if k.arg == "tzinfo" and ast.unparse(k.value) not in UTC_NAMES
        ]
        day_of_moment = (
            name == "date"
            and receiver is not None
            and not node.args
            and not node.keywords
            and (module, code) not in DATES_ALLOWED
        )
        if (
            name == "ZoneInfo"
            or (name == "astimezone" and receiver is not None)
            or (name in {"now", "today", "utcnow"} and receiver not in (None, *CLOCK_NAMES))
            or day_of_moment
            or zoned
        ):
            found.append(f"{node.lineno}: {code}")
    return found


def test_only_the_clock_turns_a_moment_into_a_zone_and_a_day():
    found = {}
    for path in sorted(PORTAL.rglob("*.py")):
        name = path.relative_to(PORTAL).as_posix()
        if name.startswith("migrations/") or name == "clock.py":
            continue
        calls = _zone_work(path.read_text(), name)
        if calls:
            found[name] = calls
    assert found == {}


def test_every_allowed_date_call_is_still_there():
    for module, code in DATES_ALLOWED:
        assert code in (PORTAL / module).read_text(), (module, code)


def test_the_zone_scan_finds_each_way_of_deciding_a_day():
    for line in (
        'zone = ZoneInfo("Europe/Rome")',
        "zone = zoneinfo.ZoneInfo(name)",
        "local = now.replace(tzinfo=UTC).astimezone(zone)",
        "day = date.today()",
        "moment = datetime.now(UTC)",
        "moment = dt.datetime.utcnow()",
        "day = utcnow().date()",
        "day = payment.succeeded_at.date()",
        "opening = datetime.combine(day, SEND_FROM, tzinfo=zone)",
    ):
        expected = ast.unparse(ast.parse(line.split(" = ")[1]))
        assert _zone_work(line, "services/x.py") == [f"1: {expected}"], line
    for line in (
        "now = clock.utcnow()",
        "now = utcnow()",
        "day = practice_today(practice)",
        "day = day_of(moment, zone)",
        "aware = utcnow().replace(tzinfo=dt.UTC)",
        "day = date(2026, 12, 31)",
        "day = as_of.date()",
    ):
        assert _zone_work(line, "jobs_cli.py") == [], line
