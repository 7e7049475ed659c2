"""Every refusal a service raises derives from the one base, `Refused`, with its own code."""

import importlib
import inspect
import pkgutil

import portal.services
from portal.services.core.refusals import Refused
from portal.services.payments.payments import PaymentRefused

#: the only exceptions of the services that are not refusals: they never leave the service
#: that raises them (`ClaimTaken`: another process claimed the charge attempt first, caught
#: in `charging`). `models.ledger.LedgerIsAppendOnly` is the other internal one, below the
#: services.
INTERNAL = {"ClaimTaken"}


def _refusal_classes():
    for info in pkgutil.walk_packages(portal.services.__path__, "portal.services."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and issubclass(cls, Exception) and cls is not Refused:
                yield name, cls


def test_each_refusal_derives_from_refused_with_a_code_of_its_own():
    refusals = dict(_refusal_classes())
    assert {"AlertRefused", "HoldRefused", "PlanRefused", "InvalidPatient"} <= set(refusals)
    assert {"CannotSend", "CsvError", "InvalidExport", "MalformedEvent"} <= set(refusals)
    assert set(refusals) >= INTERNAL  # the list names only what still exists
    codes = {}
    for name, cls in refusals.items():
        if name in INTERNAL:
            continue
        assert issubclass(cls, Refused), name
        if cls is not PaymentRefused:
            codes[name] = cls.code
    assert "refused" not in codes.values()
    assert len(set(codes.values())) == len(codes)


def test_a_payment_refusal_says_its_reason_as_its_code():
    exc = PaymentRefused("amount_changed", "15450")
    assert isinstance(exc, Refused)
    assert (exc.code, exc.detail) == ("amount_changed", "15450")
