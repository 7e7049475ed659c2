"""What a patient owes: invoices, patients, the ledger that holds every balance, desk
payments, voids and write-offs, credits, receipts, and the bill page a patient sees."""
