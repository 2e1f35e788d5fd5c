"""Telling an agent that something needs them: a mention in a note, an assignment."""
