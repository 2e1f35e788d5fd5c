"""What a query is matched against: a message's text and metadata, tokenised once.

:func:`prepare` tokenises the message up front; token forms, field keys and the title are
computed on first use and then kept, so matching one message against thousands of queries pays
for each of them at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from webcare.listening.query.text import Tokens, domain_of, strip_url

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

    __slots__ = ("_field_keys", "_title", "document", "tokens", "url")

    def __init__(self, document: Document) -> None:
        self.document = document
        self.tokens = Tokens(document.text)
        self._title: Tokens | None = None
        self._field_keys: frozenset[tuple[str, str]] | None = None
        self.url = strip_url(document.url) if document.url else None

    @property
    def field_keys(self) -> frozenset[tuple[str, str]]:
        """The ``(field, value)`` keys, computed on first use (many messages need none)."""
        keys = self._field_keys
        if keys is None:
            keys = self._field_keys = frozenset(_field_keys(self.document, self.tokens))
        return keys

    def has_key(self, key: tuple[str, str]) -> bool:
        """``key in field_keys``, without computing every key when one attribute decides it.

        Each shortcut reads the one attribute :func:`_field_keys` derives that field's keys
        from, so the answer is the same; other fields (``links``) use :attr:`field_keys`.
        """
        if self._field_keys is not None:
            return key in self._field_keys
        field, value = key
        document = self.document
        if field == "site":
            return bool(document.site) and key in _domain_keys("site", document.site)
        if field == "author":
            author = document.author
            return author is not None and author != "" and _author_key(author) == value
        attribute = _PLAIN_FIELDS.get(field)
        if attribute is not None:
            raw: str | None = getattr(document, attribute)
            return raw is not None and raw != "" and raw.lower() == value
        return key in self.field_keys

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
        keys.append(("author", _author_key(document.author)))
    if document.site:
        keys.extend(_domain_keys("site", document.site))
    if document.links or tokens.urls:
        link_domains = {domain_of(link) for link in document.links}
        link_domains.update(domain_of(t) for t in tokens.urls)
        for domain in link_domains:
            keys.extend(("links", d) for d in _domain_suffixes(domain))
    for name, attribute in _PLAIN_FIELDS.items():
        value: str | None = getattr(document, attribute)
        if value:
            keys.append((name, value.lower()))
    if document.author_verified is not None:
        keys.append(("authorverified", "true" if document.author_verified else "false"))
    return keys


#: Fields whose one key is the lower-cased attribute: field name → :class:`Document` attribute.
_PLAIN_FIELDS = {
    "language": "language",
    "country": "country",
    "engagementtype": "engagement_type",
    "channelid": "channel_id",
}


def _author_key(author: str) -> str:
    return author.lower().removeprefix("@")


@lru_cache(maxsize=4096)
def _domain_keys(name: str, site: str) -> tuple[tuple[str, str], ...]:
    """The keys of a site: the same few sites recur in every batch, so they are cached."""
    return tuple((name, d) for d in _domain_suffixes(domain_of(site)))


def _domain_suffixes(domain: str) -> list[str]:
    """``news.tweakers.net`` → itself, ``tweakers.net``, ``net``: ``site:`` matches subdomains."""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts)) if parts[i]]
