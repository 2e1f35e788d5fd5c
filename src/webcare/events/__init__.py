"""Domain events and their after-commit delivery."""
