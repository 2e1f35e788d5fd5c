"""The single entry point for everything customers send: idempotent, threaded, complete."""
