"""The practice's own side: staff sign-in and the staff roster, the staff layout's figures,
API keys, branding and the secrets kept in the database."""
