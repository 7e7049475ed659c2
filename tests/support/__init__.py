"""Real servers the tests run against: PostgreSQL, localstripe, SMTP, the portal itself."""
