"""Card money moving through Stripe: payment state transitions, charging saved methods,
webhook events, reconciliation, refunds, disputes and each practice's own Stripe account."""
