"""Triage: runs the pure analyses of :mod:`webcare.enrichment` on stored messages.

Enrichment happens in jobs after ingest (never in the webhook's request), its results are
stored next to the message with the model versions that made them, agents' corrections become
the workspace's own training labels, and a workspace's retrained model is kept in the database
so every server and worker serves the same one.
"""
