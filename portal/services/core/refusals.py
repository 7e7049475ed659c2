"""The one base of the refusals services raise when a domain rule says no.

Each domain's refusal (`PaymentRefused`, `PlanRefused`, `HoldRefused`...) derives from
`Refused`; its `code` names the domain (or, for payments, the reason) and its message, when
it has one, is translated for the person who asked. A view catches `Refused`, rolls back and
shows the message; nothing was changed.
"""


class Refused(Exception):
    """A domain rule refused the request; nothing was changed."""

    #: what refused, e.g. "plan", "hold"; subclasses set it
    code = "refused"
