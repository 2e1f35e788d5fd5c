"""webcare: open-source, self-hosted webcare (social customer service)."""

__version__ = "0.1.0"
