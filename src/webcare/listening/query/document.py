"""What a query is matched against: a message's text and metadata, tokenised once.

:func:`prepare` does all per-message work up front (except lazily computed token forms), so
matching one message against thousands of queries pays for tokenisation only once.
"""

from __future__ import annotations

from dataclasses import dataclass

from webcare.listening.query.text import Tokens, domain_of, is_url, strip_url

#: Fields compared for equality through :attr:`PreparedDocument.field_keys`.
DOMAIN_FIELDS = frozenset({"site", "links"})


@dataclass(frozen=True, slots=True)
class Document:
    """A message as listening sees it. Every field but ``text`` may be unknown (None)."""

    text: str
    author: str | None = None
    site: str | None = None
    url: str | None = None
    links: tuple[str, ...] = ()
    language: str | None = None
    country: str | None = None
    author_followers: int | None = None
    author_verified: bool | None = None
    engagement_type: str | None = None
    rating: int | None = None
    channel_id: str | None = None
    title: str | None = None


class PreparedDocument:
    """A :class:`Document` with its tokens and the ``(field, value)`` keys it satisfies.

    Field equality is decided only through ``field_keys`` (by the evaluator and by the
    percolator's index alike), so the pre-filter can never disagree with evaluation.
    """

    __slots__ = ("_title", "document", "field_keys", "tokens", "url")

    def __init__(self, document: Document) -> None:
        self.document = document
        self.tokens = Tokens(document.text)
        self._title: Tokens | None = None
        self.url = strip_url(document.url) if document.url else None
        self.field_keys = frozenset(_field_keys(document, self.tokens))

    @property
    def title(self) -> Tokens:
        """The title's tokens, computed on first use (most messages have no title query)."""
        if self._title is None:
            self._title = Tokens(self.document.title or "")
        return self._title


def prepare(document: Document) -> PreparedDocument:
    """Tokenise a document once, for matching against any number of queries."""
    return PreparedDocument(document)


def _field_keys(document: Document, tokens: Tokens) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    if document.author:
        keys.append(("author", document.author.lower().removeprefix("@")))
    if document.site:
        keys.extend(("site", d) for d in _domain_suffixes(domain_of(document.site)))
    link_domains = {domain_of(link) for link in document.links}
    link_domains.update(domain_of(t) for t in tokens.raw if is_url(t))
    for domain in link_domains:
        keys.extend(("links", d) for d in _domain_suffixes(domain))
    for name, value in (
        ("language", document.language),
        ("country", document.country),
        ("engagementtype", document.engagement_type),
        ("channelid", document.channel_id),
    ):
        if value:
            keys.append((name, value.lower()))
    if document.author_verified is not None:
        keys.append(("authorverified", "true" if document.author_verified else "false"))
    return keys


def _domain_suffixes(domain: str) -> list[str]:
    """``news.tweakers.net`` → itself, ``tweakers.net``, ``net``: ``site:`` matches subdomains."""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts)) if parts[i]]
