"""Domain-free helpers. Nothing here imports another webcare package."""
