"""Early-payment discounts, deposits and settlement offers: what a practice's policy grants
and how a discounted or settled payment is booked."""
