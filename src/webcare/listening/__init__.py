"""Social listening: saved Boolean queries matched against every incoming message.

Pure code only (no database, HTTP or settings): :mod:`webcare.listening.query` parses the query
language users know from Brandwatch and friends, and :class:`~webcare.listening.query.percolator.
Percolator` matches each message against all saved queries of all workspaces at once.
"""
