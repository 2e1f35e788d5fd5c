"""Users, passwords, sessions, CSRF and API tokens."""
