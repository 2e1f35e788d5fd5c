"""X (formerly Twitter): Account Activity webhooks in, X API v2 posts and DMs out."""
