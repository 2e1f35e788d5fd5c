"""Enrichment: pure analysis of message text that helps agents triage.

Every step here is plain code with no database, HTTP or settings, so it can run inline in a
job, in a benchmark or in a unit test alike. Callers pass in whatever workspace configuration a
step needs (for example customer-number patterns) as arguments.
"""
