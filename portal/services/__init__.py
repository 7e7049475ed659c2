"""The domain: functions and small classes that never see the HTTP request."""
