"""The practice's own side: staff sign-in, API keys and branding."""
