"""Getting overdue balances paid: the reminder cadence and its settings, calls, letters,
holds and patients' questions that pause it, consent and quiet hours, the staff worklist,
reports and alerts."""
