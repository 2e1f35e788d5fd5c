"""A recursive-descent parser for the listening query language (see QUERY_LANGUAGE.md).

Grammar, loosest first (Meltwater's documented precedence ``NOT > AND > OR``)::

    query   := or END
    or      := and (OR and)*
    and     := unary ((AND | <nothing>) unary)*     -- "x NOT y" is "x AND NOT y"
    unary   := (NOT | "-") unary | near
    near    := primary (NEAR/n primary)*
    primary := "(" or ")" | term | "phrase"[~n] | {case} | field:value

Adjacent terms are joined by an implicit AND. Brandwatch insists on explicit operators, but
the examples users paste (``"ziggo"~3 "internet" NOT author:x``, ``… language:nl``) rely on
adjacency, and Talkwalker and Google read it as AND; refusing it would reject real queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from webcare.listening.query import leaves
from webcare.listening.query.ast import And, Near, Node, Not, Or, Phrase, Wildcard, Word
from webcare.listening.query.document import Document, prepare
from webcare.listening.query.errors import QueryError, QueryWarning
from webcare.listening.query.evaluate import evaluate
from webcare.listening.query.tokens import Kind, Token, lex

_STARTS_OPERAND = frozenset(
    {Kind.LPAREN, Kind.TERM, Kind.PHRASE, Kind.CASE, Kind.FIELD, Kind.NOT, Kind.MINUS}
)
_BINARY = frozenset({Kind.AND, Kind.OR, Kind.NEAR})
_LOWER_OPERATORS = frozenset({"and", "or", "not", "And", "Or", "Not"})
_EMPTY = prepare(Document(""))


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A parsed query and the warnings worth showing next to it before it is saved."""

    node: Node
    warnings: tuple[QueryWarning, ...]


def parse(query: str) -> ParsedQuery:
    """Parse ``query``; raises :class:`QueryError` with the position of the first problem."""
    parser = _Parser(lex(query))
    node = parser.parse()
    if evaluate(node, _EMPTY):
        parser.warnings.append(
            QueryWarning(
                "this query matches almost every message (it has no term that must occur); "
                "add a keyword that must be present",
                0,
            )
        )
    return ParsedQuery(node, tuple(sorted(parser.warnings, key=lambda w: w.position)))


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.warnings: list[QueryWarning] = []

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def kind(self) -> Kind:
        """The next token's kind (a call, so type narrowing never outlives an advance)."""
        return self.tokens[self.at].kind

    def advance(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Node:
        if self.kind() is Kind.END:
            raise QueryError("the query is empty", 0)
        node = self.or_()
        if self.kind() is Kind.RPAREN:
            raise QueryError("')' without a matching '('", self.token.position)
        if self.kind() is not Kind.END:  # pragma: no cover - and_() consumes all operands
            raise QueryError(f"unexpected {self.kind().value}", self.token.position)
        return node

    def or_(self) -> Node:
        first, mixed = self.and_()
        children = [first]
        or_position = -1
        while self.kind() is Kind.OR:
            or_token = self.advance()
            or_position = or_position if or_position >= 0 else or_token.position
            child, joined = self.and_(after=or_token)
            children.append(child)
            mixed = mixed or joined
        if len(children) == 1:
            return first
        if mixed:
            self.warnings.append(
                QueryWarning(
                    "AND and OR are mixed without brackets; it is read as A OR (B AND C): "
                    "add brackets to say what you mean",
                    or_position,
                )
            )
        return Or(tuple(children))

    def and_(self, after: Token | None = None) -> tuple[Node, bool]:
        """An AND chain, and whether it joined several operands (for the mixing warning)."""
        children = [self.unary(after)]
        while True:
            kind = self.kind()
            if kind is Kind.AND:
                children.append(self.unary(self.advance()))
            elif kind in _STARTS_OPERAND:
                children.append(self.unary(None))
            else:
                break
        if len(children) == 1:
            return children[0], False
        return And(tuple(children)), True

    def unary(self, after: Token | None) -> Node:
        if self.kind() in (Kind.NOT, Kind.MINUS):
            operator = self.advance()
            return Not(self.unary(operator))
        return self.near(after)

    def near(self, after: Token | None) -> Node:
        node = self.primary(after)
        while self.kind() is Kind.NEAR:
            operator = self.advance()
            right = self.primary(operator)
            for side in (node, right):
                self._check_near_operand(side, operator)
            assert operator.number is not None
            node = Near(node, right, operator.number, operator.ordered)
        return node

    def _check_near_operand(self, node: Node, operator: Token) -> None:
        if isinstance(node, Or | Near):
            children = node.children if isinstance(node, Or) else (node.left, node.right)
            for child in children:
                self._check_near_operand(child, operator)
        elif isinstance(node, Wildcard):
            self.warnings.append(
                QueryWarning(
                    f"wildcard '{node.pattern}' inside NEAR is slow and often too broad",
                    operator.position,
                )
            )
        elif not isinstance(node, Word | Phrase):
            raise QueryError(
                "NEAR can only join keywords, phrases and OR groups of them "
                "(no AND, NOT or fields inside NEAR)",
                operator.position,
            )

    def primary(self, after: Token | None) -> Node:
        token = self.token
        kind = token.kind
        if kind is Kind.LPAREN:
            return self._group()
        if kind in (Kind.TERM, Kind.PHRASE, Kind.CASE, Kind.FIELD):
            self.advance()
            return self._leaf(token)
        raise self._missing_operand(token, after)

    def _group(self) -> Node:
        opening = self.advance()
        if self.kind() is Kind.RPAREN:
            raise QueryError("empty brackets '()'", opening.position)
        node = self.or_()
        if self.kind() is not Kind.RPAREN:
            if self.kind() is Kind.END:
                raise QueryError("bracket '(' is never closed", opening.position)
            raise QueryError(  # pragma: no cover - and_() consumes all operands
                f"expected ')' for the bracket at {opening.position + 1}", self.token.position
            )
        self.advance()
        return node

    def _leaf(self, token: Token) -> Node:
        if token.kind is Kind.FIELD:
            return leaves.field(token.field, token.text, token.position, self.warnings)
        if token.kind is Kind.TERM and token.text in _LOWER_OPERATORS:
            self.warnings.append(
                QueryWarning(
                    f"'{token.text}' is searched as a word; operators are written in "
                    f"capitals ({token.text.upper()})",
                    token.position,
                )
            )
        text = token.text
        if token.kind is Kind.CASE:
            text = text.replace('"', " ")
        return leaves.leaf(
            text,
            token.position,
            self.warnings,
            case_sensitive=token.kind is Kind.CASE,
            slop=token.number if token.kind is Kind.PHRASE else None,
        )

    @staticmethod
    def _missing_operand(token: Token, after: Token | None) -> QueryError:
        found = token.kind.value if token.kind is not Kind.RPAREN else "')'"
        if after is not None:
            name = after.text or after.kind.value
            return QueryError(
                f"expected a keyword, phrase or '(' after {name}, found {found}", token.position
            )
        if token.kind in _BINARY:
            return QueryError(
                f"{token.text} needs a keyword, phrase or bracket on its left", token.position
            )
        return QueryError(f"expected a keyword, phrase or '(', found {found}", token.position)
