"""Getting overdue balances paid: the reminder cadence and its settings, calls, letters,
holds, consent and quiet hours, the staff worklist, reports and alerts."""
