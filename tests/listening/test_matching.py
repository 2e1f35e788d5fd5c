"""Evaluation: what matches what, table-driven, including every documented example."""

from __future__ import annotations

import pytest

from tests.listening.test_parser import DOCUMENTED_EXAMPLES
from webcare.listening.query import Document, evaluate, parse, prepare
from webcare.listening.query.text import split


def matches(query: str, text: str = "", **fields: object) -> bool:
    return evaluate(parse(query).node, prepare(Document(text, **fields)))  # type: ignore[arg-type]


EXAMPLE_CASES = [
    (
        DOCUMENTED_EXAMPLES[0],
        Document("@NS_online alweer vertraging op Utrecht CS", site="twitter.com"),
        Document("NS meldt storing, zie https://www.ns.nl/reisinfo", site="ns.nl"),
    ),
    (
        DOCUMENTED_EXAMPLES[1],
        Document("KLM is mijn koffers kwijtgeraakt op Schiphol", language="nl"),
        Document("KLM is mijn koffers kwijtgeraakt op Schiphol", language="en"),
    ),
    (
        DOCUMENTED_EXAMPLES[2],
        Document("Ziggo, waar is mijn internet?", author="janjansen"),
        Document("Ziggo internet is terug, excuses!", author="ZiggoWebcare"),
    ),
    (
        DOCUMENTED_EXAMPLES[3],
        Document("KPN, hoe kan ik opzeggen?", author_followers=5000),
        Document("kpn, hoe kan ik opzeggen?", author_followers=5000),
    ),
    (
        DOCUMENTED_EXAMPLES[4],
        Document("Coolblue bezorgde een kapotte tv", rating=1),
        Document("Coolblue bezorgde een kapotte tv", rating=5),
    ),
]


@pytest.mark.parametrize(("query", "positive", "negative"), EXAMPLE_CASES)
def test_documented_example_matches_positive_and_not_negative(
    query: str, positive: Document, negative: Document
) -> None:
    node = parse(query).node
    assert evaluate(node, prepare(positive))
    assert not evaluate(node, prepare(negative))


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("storing", "Storing in Utrecht", True),
        ("storing", "storingen in Utrecht", False),
        ("storing", "alweer #storing", True),
        ("#storing", "storing in Utrecht", False),
        ("#storing", "alweer #Storing", True),
        ("klm", "hoi @KLM", False),
        ("@klm", "hoi @KLM", True),
        ("cafe", "Café de Zwaan", True),
        ("café", "Cafe de Zwaan", False),
        ("café", "CAFÉ de Zwaan", True),
        ("{KPN}", "kpn storing", False),
        ("{KPN}", "KPN storing", True),
        ('"apple juice"', "I like apple juice", True),
        ('"apple juice"', "juice from an apple", False),
        ('"apple juice"~2', "juice from an apple", True),
        ('"apple juice"~1', "juice from an apple", False),
        ("logitech NEAR/2f keyboard", "logitech wireless keyboard", True),
        ("logitech NEAR/2f keyboard", "keyboard by logitech", False),
        ("logitech NEAR/0f keyboard", "logitech keyboard", True),
        ("logitech NEAR/0f keyboard", "logitech wireless keyboard", False),
        ("logitech NEAR/2 keyboard", "keyboard by logitech", True),
        ("a NEAR/3 a", "a b", False),
        ("a NEAR/3 a", "a b a", True),
        ("complain*", "she complained loudly", True),
        ("complain*", "no complaint", True),
        ("complain*", "compliant", False),
        ("customi?e", "customise or customize", True),
        ("customi?e", "customiize", False),
        ("stor*", "weer #storingen", True),
        ("tv-ontvanger", "mijn tv-ontvanger doet raar", True),
        ("tv-ontvanger", "tv en ontvanger", False),
        ("😡", "Alweer storing 😡😡", True),
        ("❤️", "ik ❤ jullie", True),
        ("doesn't", "it doesn’t work", True),
        ("ns", "zie https://www.ns.nl/storing", False),
        ("apple <<<fruit>>>", "apple", True),
        ("apple NOT juice", "apple juice", False),
        ("A OR B AND C NOT D", "a", True),
        ("A OR B AND C NOT D", "b c d", False),
        ("A OR B AND C NOT D", "b c", True),
    ],
)
def test_text_matching(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


@pytest.mark.parametrize(
    ("query", "fields", "expected"),
    [
        ("site:tweakers.net", {"site": "https://www.tweakers.net/forum"}, True),
        ("site:tweakers.net", {"site": "gathering.tweakers.net"}, True),
        ("site:tweakers.net", {"site": "nottweakers.net"}, False),
        ("links:ns.nl", {"links": ("https://www.ns.nl/a",)}, True),
        ("links:ns.nl", {"text": "kijk op https://ns.nl/storingen."}, True),
        ("links:ns.nl", {"links": ("https://nos.nl/a",)}, False),
        ('url:"nu.nl/economie"', {"url": "https://www.nu.nl/economie/123"}, True),
        ('url:"nu.nl/economie"', {"url": "https://www.nu.nl/sport/123"}, False),
        ("author:ziggo", {"author": "@Ziggo"}, True),
        ("language:nl", {"language": "NL"}, True),
        ("country:nld", {"country": "bel"}, False),
        ("authorFollowers:[1000 TO 100000]", {"author_followers": 1000}, True),
        ("authorFollowers:[1000 TO 100000]", {"author_followers": 999}, False),
        ("authorFollowers:[1000 TO 100000]", {}, False),
        ("authorVerified:true", {"author_verified": True}, True),
        ("authorVerified:false", {"author_verified": True}, False),
        ("engagementType:REPLY", {"engagement_type": "reply"}, True),
        ("rating:[1 TO 2]", {"rating": 2}, True),
        ('channelId:"141273439246434"', {"channel_id": "141273439246434"}, True),
        ('title:"storing"', {"title": "Grote storing bij NS"}, True),
        ('title:"grote storing"', {"title": "Storing groot"}, False),
        ("title:stor*", {"title": "Storingen"}, True),
    ],
)
def test_field_matching(query: str, fields: dict[str, object], expected: bool) -> None:
    text = str(fields.pop("text", "bericht"))
    assert matches(query, text, **fields) is expected


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hoi @KLM, #storing!", ["Hoi", "@KLM", "#storing"]),
        ("zie https://ns.nl/a?b=1.", ["zie", "https://ns.nl/a?b=1"]),
        ("'s avonds tv-ontvanger", ["s", "avonds", "tv", "ontvanger"]),
        ("mail jan@example.nl", ["mail", "jan", "example", "nl"]),
        ("😡👍🏽 ok", ["😡", "👍🏽", "ok"]),
        ("Zoë en Chloé", ["Zoë", "en", "Chloé"]),
        ("€24,50 per maand", ["24", "50", "per", "maand"]),
    ],
)
def test_tokenisation(text: str, tokens: list[str]) -> None:
    assert split(text) == tokens
