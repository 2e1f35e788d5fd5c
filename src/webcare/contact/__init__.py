"""Customers and their identities on every platform."""
