"""safe_next against the usual open-redirect bypasses."""

import pytest

from portal.redirects import safe_next
from tests.web.test_redirects import BYPASSES


@pytest.mark.parametrize("target", [*BYPASSES, "/pay%2F%2Fevil", "/%252F%252Fevil", "/a b"])
def test_bypasses_fall_back(target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/", "/pay", "/pay?x=1&y=%20", "/staff/invoices/3#lines"])
def test_local_paths_pass(target):
    assert safe_next(target, "/home") == target


def test_prefix():
    assert safe_next("/pay", "/staff/", prefix="/staff") == "/staff/"
    assert safe_next("/staff/patients", "/staff/", prefix="/staff") == "/staff/patients"
    assert safe_next("/staffer", "/staff/", prefix="/staff/") == "/staff/"
