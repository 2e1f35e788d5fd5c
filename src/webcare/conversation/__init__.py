"""Conversations, their messages, internal notes and labels."""
