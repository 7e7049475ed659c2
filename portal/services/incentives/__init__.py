"""Incentives to pay: the practice's early-payment discount, settlement offers on an invoice,
and the deposit a large balance needs before a payment plan.

Early-payment discount. A practice may take `percent` off the balance when the patient pays
it in full, in one payment, by `issued_on + within_days` (that day included, in the
practice's time zone). It never applies to a plan: not once a plan has taken a payment, and
a plan payer's instalments are never discounted (`forgone_discount_minor` is what a plan
payer gives up, for the Truth in Lending finance charge). It applies once per invoice.

Rounding. The discount is ``balance * percent / 100`` minor units rounded half up, so a half
cent goes to the patient: 5 % of €154.50 is 772.5 cents, a discount of €7.73 and €146.77 to
pay. The amount charged is the balance minus that discount, both whole minor units, so the
payment and the discount entry add up to the balance exactly. A discount of nothing, or of
the whole balance, is not offered.

Settlement offer. Staff offer to close the invoice for an amount below the balance until an
expiry date (included). The patient accepts by paying exactly that amount, once. The payment
is booked as a "payment" by `payments`; the rest of the balance is forgiven with a
"settlement" entry, so the balance is zero and the invoice is paid.

How a discounted or settlement payment is made. `pay_discounted` and `pay_settlement` call
`payments.charge` for the amount computed here, with the payment's purpose and a claim that
runs in the same transaction as the in-flight payment row: it re-reads the balance the
amount was computed from (refusing if it moved), claims the settlement offer by
compare-and-set (one live payment per offer), and writes a
"discount.claimed" / "settlement.claimed" audit event holding what is to be forgiven. When
the payment succeeds, by the page's read-back, the webhook or synchronously,
`on_payment_succeeded` books that amount (never more than what is still owed) once: the
ledger holds at most one entry per payment and kind.
"""
