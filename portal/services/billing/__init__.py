"""What a patient owes: invoices, patients, the ledger that holds every balance, desk
payments, voids and write-offs, credits, receipts, the bill page a patient sees, and
invoices imported from a CSV file (`imports`: reading, mapping, checking, committing)."""
