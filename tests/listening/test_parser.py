"""The query parser: the documented examples, precedence, errors with positions, warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from webcare.listening.query import QueryError, parse
from webcare.listening.query.ast import (
    And,
    FieldMatch,
    FieldRange,
    Form,
    Near,
    Not,
    Or,
    Phrase,
    UrlPrefix,
    Wildcard,
    Word,
)

LANGUAGE_DOC = Path("/work/shared/QUERY_LANGUAGE.md")


def w(value: str, form: Form = Form.FOLD) -> Word:
    return Word(value, form)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("apple AND juice", And((w("apple"), w("juice")))),
        ("apple juice", And((w("apple"), w("juice")))),
        ("apple OR juice", Or((w("apple"), w("juice")))),
        ("apple NOT juice", And((w("apple"), Not(w("juice"))))),
        ("apple AND NOT juice", And((w("apple"), Not(w("juice"))))),
        ("apple -juice", And((w("apple"), Not(w("juice"))))),
        (
            "A OR B AND C NOT D",
            Or((w("a"), And((w("b"), w("c"), Not(w("d")))))),
        ),
        ('"apple juice"', Phrase((w("apple"), w("juice")))),
        ('"apple juice"~5', Phrase((w("apple"), w("juice")), 5)),
        ('"ziggo"~3', w("ziggo")),
        ("logitech NEAR/2f keyboard", Near(w("logitech"), w("keyboard"), 2, ordered=True)),
        ("logitech ONEAR/2 keyboard", Near(w("logitech"), w("keyboard"), 2, ordered=True)),
        ("a NEAR/5 b", Near(w("a"), w("b"), 5)),
        ("{BT}", w("BT", Form.RAW_FOLD)),
        ("café", w("café", Form.LOWER)),
        ("{Café}", w("Café", Form.RAW)),
        ("Cafe", w("cafe")),
        ("#Storing", w("#storing")),
        ("@NS_online", w("@ns_online")),
        ("tv-ontvanger", Phrase((w("tv"), w("ontvanger")))),
        ("apple <<<competitors>>> OR pear", Or((w("apple"), w("pear")))),
        ("site:www.Tweakers.net", FieldMatch("site", "tweakers.net")),
        ('url:"https://www.nu.nl/economie"', UrlPrefix("nu.nl/economie")),
        ("author:@ZiggoWebcare", FieldMatch("author", "ziggowebcare")),
        ("engagementType:REPLY", FieldMatch("engagementtype", "reply")),
        ("authorVerified:true", FieldMatch("authorverified", "true")),
        ("rating:[1 TO 2]", FieldRange("rating", 1, 2)),
        ("authorFollowers:[1000 TO *]", FieldRange("authorfollowers", 1000, None)),
        ("rating:5", FieldRange("rating", 5, 5)),
        ("x -(a OR b)", And((w("x"), Not(Or((w("a"), w("b"))))))),
    ],
)
def test_parses_to_the_expected_tree(query: str, expected: object) -> None:
    assert parse(query).node == expected


def test_wildcard_keeps_its_stem_for_the_index() -> None:
    node = parse("customi?e").node
    assert isinstance(node, Wildcard)
    assert node.prefix == "customi"
    assert node.regex.fullmatch("customise")
    assert not node.regex.fullmatch("customiise")


#: The "Examples to try" of the query language description, which must keep working.
DOCUMENTED_EXAMPLES = (
    '(ns OR "nederlandse spoorwegen" OR @NS_online) AND (storing OR vertraging OR "rijdt niet")'
    " NOT site:ns.nl",
    "(klm OR @KLM) NEAR/5 (koffer* OR bagage OR baggage) language:nl",
    '"ziggo"~3 "internet" NOT author:ZiggoWebcare',
    '{KPN} AND (opzeggen OR "klantenservice") authorFollowers:[1000 TO 10000000]',
    "coolblue AND rating:[1 TO 2]",
)


def test_documented_examples_are_the_ones_in_the_description() -> None:
    if not LANGUAGE_DOC.exists():
        pytest.skip("the shared query language description is not on this machine")
    text = LANGUAGE_DOC.read_text(encoding="utf-8")
    block = text.split("## Examples to try", 1)[1].split("```")[1]
    assert tuple(line for line in block.strip().splitlines() if line) == DOCUMENTED_EXAMPLES


@pytest.mark.parametrize("example", DOCUMENTED_EXAMPLES)
def test_every_documented_example_parses(example: str) -> None:
    parse(example)


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ("(storing AND", 12, "after AND, found end of query"),
        ("(storing", 0, "never closed"),
        ("storing)", 7, "without a matching '('"),
        ("AND vertraging", 0, "AND needs a keyword"),
        ("storing OR", 10, "after OR"),
        ("*ing", 0, "cannot start a word"),
        ("koffer AND s*", 11, "at least 2 letters"),
        ('"unclosed', 0, "never closed"),
        ('"storing"~x', 9, "needs a number"),
        ("ns NEAR/x trein", 3, "NEAR needs a whole number"),
        ("NEAR/x", 0, "NEAR needs a whole number"),
        ("ns NEAR/3 (a AND b)", 3, "NEAR can only join"),
        ("", 0, "empty"),
        ("()", 0, "empty brackets"),
        ("{KPN", 0, "never closed"),
        ("a <<<note", 2, "never closed"),
        ("foo:bar", 0, "unknown field"),
        ("rating:[3 TO 1]", 0, "empty"),
        ("rating:good", 0, "not a number"),
        ("authorVerified:maybe", 0, "true or false"),
        ("engagementType:LIKE", 0, "REPLY"),
        ("!!!", 0, "no letters"),
        ("a OR", 4, "after OR"),
        ("a NOT", 5, "after NOT"),
    ],
)
def test_broken_query_names_position_and_problem(query: str, position: int, fragment: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert caught.value.position == position
    assert fragment in caught.value.message


def test_error_caret_points_at_the_problem() -> None:
    with pytest.raises(QueryError) as caught:
        parse("storing OR *ing")
    assert caught.value.caret("storing OR *ing").splitlines()[1].startswith(" " * 11 + "^")


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ("a OR b AND c", 2, "mixed without brackets"),
        ("a b OR c", 4, "mixed without brackets"),
        ("NOT spam", 0, "matches almost every message"),
        ("a OR NOT b", 0, "matches almost every message"),
        ("ko*", 0, "short stem"),
        ("ns NEAR/3 vertrag*", 3, "inside NEAR"),
        ("ns and trein", 3, "capitals (AND)"),
    ],
)
def test_warns(query: str, position: int, fragment: str) -> None:
    warnings = parse(query).warnings
    assert any(w.position == position and fragment in w.message for w in warnings), warnings


@pytest.mark.parametrize(
    "query",
    ["(a OR b) AND c", "a AND b AND c", "a OR b OR c", "kpn NOT spam", "storing*"],
)
def test_clean_queries_have_no_warnings(query: str) -> None:
    assert parse(query).warnings == ()
