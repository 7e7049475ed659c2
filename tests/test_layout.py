"""The layout a newcomer navigates: every service module sits in a domain package whose
`__init__` says what it decides, no file of the package is over 400 lines, the service tests
mirror the packages, and the README's layout names every service module."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORTAL = ROOT / "portal"
SERVICES = PORTAL / "services"
MAX_LINES = 400


def _packages(top: Path) -> list[Path]:
    """Every package under `top` (a folder with an `__init__.py`), `top` excluded."""
    return sorted(p.parent for p in top.rglob("__init__.py") if p.parent != top)


def _modules(top: Path) -> list[Path]:
    return sorted(p for p in top.rglob("*.py") if "__pycache__" not in p.parts)


def stray_modules(services: Path) -> list[str]:
    """Python files sitting directly in `services/` beside the domain packages, and folders
    holding Python files that are not packages."""
    strays = [p.name for p in services.glob("*.py") if p.name != "__init__.py"]
    strays += [
        p.name
        for p in services.iterdir()
        if p.is_dir() and p.name != "__pycache__" and not (p / "__init__.py").exists()
    ]
    return sorted(strays)


def undocumented_packages(services: Path, min_words: int = 8) -> list[str]:
    """Packages under `services/` whose `__init__` has no docstring of at least `min_words`
    words (a sentence saying what the package decides, not just its name)."""
    missing = []
    for package in _packages(services):
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
        if len(doc.split()) < min_words:
            missing.append(package.relative_to(services).as_posix())
    return missing


def long_files(top: Path, limit: int = MAX_LINES) -> dict[str, int]:
    """Text files under `top` with more than `limit` lines, with their line counts."""
    found = {}
    for path in sorted(top.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        try:
            lines = len(path.read_text().splitlines())
        except UnicodeDecodeError:
            continue
        if lines > limit:
            found[path.relative_to(top).as_posix()] = lines
    return found


def test_no_service_module_sits_outside_a_domain_package():
    assert stray_modules(SERVICES) == []
    domains = {p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists()}
    assert domains == {
        "access",
        "billing",
        "collections",
        "core",
        "fiscal",
        "incentives",
        "messaging",
        "payments",
        "plans",
        "practice",
    }


def test_each_domain_package_says_what_it_decides():
    assert undocumented_packages(SERVICES) == []
    assert "billing/imports" in {p.relative_to(SERVICES).as_posix() for p in _packages(SERVICES)}


def test_no_file_of_the_package_is_over_400_lines():
    assert long_files(PORTAL) == {}


def test_the_checks_fail_on_a_stray_module_a_bare_package_and_a_long_file(tmp_path):
    services = tmp_path / "services"
    (services / "billing").mkdir(parents=True)
    (services / "__init__.py").write_text('"""The domain."""\n')
    (services / "billing" / "__init__.py").write_text('"""Billing."""\n')
    (services / "billing" / "ledger.py").write_text("x = 1\n" * MAX_LINES)
    (services / "open_bills.py").write_text("x = 1\n")
    (services / "loose").mkdir()
    (services / "loose" / "rules.py").write_text("x = 1\n")
    assert stray_modules(services) == ["loose", "open_bills.py"]
    assert undocumented_packages(services) == ["billing"]
    assert long_files(services) == {}
    (services / "billing" / "ledger.py").write_text("x = 1\n" * (MAX_LINES + 1))
    assert long_files(services) == {"billing/ledger.py": 401}


def test_the_service_tests_mirror_the_domain_packages():
    tests = ROOT / "tests" / "services"
    assert sorted(p.name for p in tests.glob("test_*.py")) == []
    domains = {p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists()}
    assert {p.name for p in tests.iterdir() if (p / "__init__.py").exists()} == domains


def _layout_block() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Layout\n", 1)[1]
    return re.search(r"```\n(.*?)```", section, re.S).group(1)


def test_the_readme_layout_names_every_service_module_in_its_package():
    block = _layout_block()
    lines = block.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("services/"))
    listed: dict[str, set[str]] = {}
    stack: list[tuple[int, str]] = []
    for line in lines[start + 1 :]:
        match = re.match(r"^( +)(\w+)(/|\.py)\s", line + " ")
        if not match:
            continue
        depth, name, kind = len(match.group(1)), match.group(2), match.group(3)
        if depth <= 2:
            break  # back at the level of services/ itself
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = "/".join(n for _, n in stack)
        if kind == "/":
            stack.append((depth, name))
            listed.setdefault("/".join(n for _, n in stack), set())
        else:
            listed.setdefault(parent, set()).add(name)
    actual: dict[str, set[str]] = {}
    for module in _modules(SERVICES):
        package = module.parent.relative_to(SERVICES).as_posix()
        if package != "." and module.name != "__init__.py":
            actual.setdefault(package, set()).add(module.stem)
    assert listed == actual
