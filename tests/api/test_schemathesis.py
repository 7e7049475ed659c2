"""Property-based run of schemathesis over /api/v1/openapi.json against the WSGI app (SQLite).

Every documented operation is called with generated data (valid, and deliberately invalid) and a
valid key; the responses must be documented, match their schemas, and never be a server error.
For POSTs the check that schema-valid data is accepted is left out: the services' rules (a date
of birth in the past, a phone number with its country code, the due date after the issue date,
insurance no more than the charge) go beyond what JSON Schema can say, and answer 422.

`schema.parametrize()` with `schemathesis.pytest.from_fixture` fails on pytest 9 (schemathesis
4.32 reads `request.node._nodeid`), so each operation's Hypothesis strategy is driven here.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from portal.api.openapi import DOCUMENT
from portal.extensions import db
from tests.api.conftest import PATIENT, make_api, new_invoice, new_patient
from tests.conftest import _make_app

OPERATIONS = [
    pytest.param(method.upper(), path, mode, id=f"{method.upper()} {path} {mode.value}")
    for path, item in DOCUMENT["paths"].items()
    for method, spec in item.items()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    # an operation without parameters or body has nothing to get wrong
    if mode == GenerationMode.POSITIVE or spec.get("parameters") or spec.get("requestBody")
]
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def fuzzed(sqlite_url):
    """A practice with a key, patients and invoices (ids 1, 2, …: what Hypothesis tries first)."""
    app = _make_app(sqlite_url)
    api = make_api(app)
    patient_id = new_patient(api)
    new_invoice(api, patient_id)
    new_invoice(api, patient_id, number="2026-0043", draft=True)
    new_patient(api, **{**PATIENT, "sms_consent": True})
    yield api
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzzed):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed.app)
    # the key is sent with every call; negative cases must not be about a missing key
    schema.config.generation.update(with_security_parameters=False)
    return schema


@pytest.mark.parametrize(("method", "path", "mode"), OPERATIONS)
def test_operation_conforms_to_the_document(api_schema, fuzzed, method, path, mode):
    operation = api_schema[path][method]
    excluded = [checks.positive_data_acceptance] if method in ("POST", "PUT") else []

    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        case.call_and_validate(headers=fuzzed.headers(), excluded_checks=excluded)

    check()
