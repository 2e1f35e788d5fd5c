"""Who is looking at or typing in a conversation right now (collision control)."""
