"""The durable job table and the worker that runs it."""
