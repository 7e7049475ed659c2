"""The machinery every domain leans on: the audit trail, jobs and leases, domain events and
the outbox that performs work after a commit, counters, readiness checks, CSV writing, the
wiring of event subscribers, and the demo data."""
