"""The listening query language: lexer, parser, message tokeniser, evaluator and percolator.

Entry points: :func:`parse` turns query text into an AST (or a :class:`QueryError` naming the
position), :func:`prepare` tokenises a :class:`Document` once, :func:`evaluate` is the reference
evaluator, and :class:`Percolator` matches a document against many queries at once.
"""

from webcare.listening.query.document import Document, PreparedDocument, prepare
from webcare.listening.query.errors import QueryError, QueryWarning
from webcare.listening.query.evaluate import evaluate
from webcare.listening.query.parser import ParsedQuery, parse
from webcare.listening.query.percolator import Percolator

__all__ = [
    "Document",
    "ParsedQuery",
    "Percolator",
    "PreparedDocument",
    "QueryError",
    "QueryWarning",
    "evaluate",
    "parse",
    "prepare",
]
