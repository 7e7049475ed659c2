"""The payments core announces what happened; it never calls up into the domains that care."""

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parent.parent / "portal" / "services"
CORE = ("payments", "webhooks", "refunds", "disputes", "credits", "events", "outbox")
#: plans, incentives, collections and messaging: they subscribe in `subscriptions`
ABOVE = {
    "agreements",
    "alerts",
    "cadence",
    "calls",
    "holds",
    "incentives",
    "installments",
    "messaging",
    "plans",
}


def imported_services(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "portal.services":
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "portal.services."
        ):
            names.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            names |= {
                a.name.split(".")[2] for a in node.names if a.name.startswith("portal.services.")
            }
    return names


@pytest.mark.parametrize("module", CORE)
def test_the_payments_core_imports_no_domain_above_it(module):
    assert imported_services(SERVICES / f"{module}.py") & ABOVE == set()
