"""What happened to money, announced by `payments` for the other domains to act on.

`payments` (and the Stripe webhook handling under it) imports none of the domains that care:
plans, incentives, collections and messaging subscribe to these signals in
`portal.services.core.subscriptions.connect`, which `create_app` calls. Each signal is sent after
the change it announces is committed; receivers commit their own work and must be safe to
run twice (a replayed webhook or a read-back racing it announces the same thing again).
"""

from blinker import Namespace

_signals = Namespace()

payment_succeeded = _signals.signal(
    "payment-succeeded",
    doc="""A payment was booked. `sender` is the `Payment`; `actor` who caused it.""",
)

payment_failed = _signals.signal(
    "payment-failed",
    doc="""A payment failed or was canceled at Stripe. `sender` is the `Payment`.""",
)

payment_refunded = _signals.signal(
    "payment-refunded",
    doc="""A refund was booked (made here or in the Stripe Dashboard). `sender` is the
    `Payment`; `refund` the `Refund`.""",
)

payment_disputed = _signals.signal(
    "payment-disputed",
    doc="""The patient's bank opened a chargeback. `sender` is the `Payment`; `dispute` the
    `Dispute`. Collections pause the reminder cadence while it lasts.""",
)

dispute_closed = _signals.signal(
    "dispute-closed",
    doc="""A chargeback ended (won, lost or warning closed). `sender` is the `Payment`;
    `dispute` the `Dispute`.""",
)

invoice_settled = _signals.signal(
    "invoice-settled",
    doc="""An invoice's balance reached zero through a payment. `sender` is the `Invoice`.""",
)
