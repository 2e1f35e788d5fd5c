"""The percolator returns exactly what evaluating every query in turn returns.

The property test generates query text (so the parser is exercised too) and documents from a
small vocabulary, so that queries and documents actually meet, including accents, case,
hashtags, mentions, wildcards, NEAR and fields.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webcare.listening.query import Document, Percolator, evaluate, parse, prepare
from webcare.listening.query.ast import Form
from webcare.listening.query.compiled import compile_query
from webcare.listening.query.evaluate import matching
from webcare.listening.query.percolator import anchors
from webcare.listening.query.text import Tokens, in_form, split

VOCABULARY = ["storing", "Storing", "café", "cafe", "KPN", "kpn", "wifi", "modem", "trein"]
TEXT_EXTRA = ["#storing", "@kpn", "#Café", "😡", "storingen", "wifis", "modems", "de", "het"]
QUERY_WORDS = [*VOCABULARY, "#storing", "@kpn", "{KPN}", "{Café}", "😡"]
WILDCARDS = ["stor*", "caf?", "wif*", "mod?m", "kp*", "#sto*"]
FIELDS = [
    "language:nl",
    "site:ns.nl",
    "links:ns.nl",
    "author:jan",
    "authorVerified:true",
    "rating:[1 TO 2]",
    "authorFollowers:[100 TO *]",
    'url:"ns.nl/storing"',
    'title:"storing"',
]

words = st.sampled_from(QUERY_WORDS)
leaf = st.one_of(
    words,
    st.sampled_from(WILDCARDS),
    st.lists(st.sampled_from(VOCABULARY), min_size=2, max_size=3).map(
        lambda ws: '"' + " ".join(ws) + '"'
    ),
    st.tuples(st.lists(st.sampled_from(VOCABULARY), min_size=2, max_size=3), st.integers(0, 3)).map(
        lambda t: '"' + " ".join(t[0]) + f'"~{t[1]}'
    ),
    st.sampled_from(FIELDS),
)
near = st.tuples(words, st.sampled_from(["NEAR/1", "NEAR/3", "NEAR/0f", "ONEAR/2"]), words).map(
    " ".join
)


def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["AND", "OR", "NOT", "AND NOT", ""]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        children.map(lambda c: f"NOT {c}"),
        children.map(lambda c: f"-{c}"),
    )


queries = st.recursive(st.one_of(leaf, near), combine, max_leaves=6)
texts = st.lists(st.sampled_from([*VOCABULARY, *TEXT_EXTRA]), max_size=10).map(" ".join)
documents = st.builds(
    Document,
    text=texts,
    author=st.sampled_from([None, "jan", "@Jan", "piet"]),
    site=st.sampled_from([None, "ns.nl", "www.ns.nl", "nos.nl"]),
    url=st.sampled_from([None, "https://ns.nl/storing/1", "https://ns.nl/over"]),
    links=st.sampled_from([(), ("https://ns.nl/x",), ("https://nos.nl",)]),
    language=st.sampled_from([None, "nl", "en"]),
    author_followers=st.sampled_from([None, 5, 100, 5000]),
    author_verified=st.sampled_from([None, True, False]),
    rating=st.sampled_from([None, 1, 3]),
    title=st.sampled_from([None, "Grote storing", "Nieuws"]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    query_texts=st.lists(queries, min_size=1, max_size=12),
    docs=st.lists(documents, min_size=1, max_size=4),
    removed=st.sets(st.integers(0, 11), max_size=3),
)
def test_percolator_matches_exactly_what_the_reference_evaluator_matches(
    query_texts: list[str], docs: list[Document], removed: set[int]
) -> None:
    nodes = {i: parse(q).node for i, q in enumerate(query_texts)}
    percolator = Percolator()
    for query_id, node in nodes.items():
        percolator.add(query_id, parse("placeholder").node)  # replaced on the next line
        percolator.update(query_id, node)
    for query_id in removed:
        percolator.remove(query_id)
        nodes.pop(query_id, None)
    for document in docs:
        prepared = prepare(document)
        assert percolator.match(prepared) == matching(nodes.items(), prepared)


def test_anchor_picks_the_required_brand_not_the_optional_words() -> None:
    node = parse("(kpn OR ziggo) AND (storing OR traag OR eruit OR plat)").node
    assert {a.value for a in anchors(node) or ()} == {"kpn", "ziggo"}


def test_query_without_required_terms_is_always_checked() -> None:
    percolator = Percolator()
    percolator.add(1, parse("NOT spam").node)
    percolator.add(2, parse("rating:[1 TO 2]").node)
    percolator.add(3, parse("kpn").node)
    doc = prepare(Document("hallo", rating=1))
    assert percolator.candidates(doc) == {1, 2}
    assert percolator.match(doc) == {1, 2}


def test_only_queries_sharing_an_anchor_are_evaluated() -> None:
    percolator = Percolator()
    for i in range(1000):
        percolator.add(i, parse(f"merk{i} AND (storing OR klacht)").node)
    doc = prepare(Document("merk7 heeft een storing"))
    assert percolator.candidates(doc) == {7}
    assert percolator.match(doc) == {7}


def test_removed_query_no_longer_matches_and_index_is_emptied() -> None:
    percolator = Percolator()
    percolator.add(1, parse("kpn OR stor*").node)
    percolator.remove(1)
    percolator.remove(1)
    assert len(percolator) == 0
    assert percolator.match(Document("kpn storing")) == set()


def test_updated_query_matches_its_new_terms_only() -> None:
    percolator = Percolator()
    percolator.add(1, parse("kpn").node)
    percolator.update(1, parse("ziggo").node)
    assert percolator.match(Document("kpn")) == set()
    assert percolator.match(Document("ziggo")) == {1}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query_text=queries, document=documents)
def test_compiled_query_answers_what_the_reference_evaluator_answers(
    query_text: str, document: Document
) -> None:
    node = parse(query_text).node
    prepared = prepare(document)
    assert compile_query(node)(prepared) == evaluate(node, prepared)
    assert compile_query(node)(prepared) == evaluate(node, prepared)  # memoised answers too


MIXED = [*TEXT_EXTRA, "Café", "www.ns.nl/x.", "#Tag", "İs", "ΣΑΣ", "x-y"]


@given(text=st.lists(st.sampled_from(MIXED)).map(" ".join))
def test_folded_forms_of_ascii_and_unicode_texts_agree_with_their_definition(text: str) -> None:
    tokens = Tokens(text)
    for form in Form:
        expected = [in_form(t, form) for t in split(text)]
        assert tokens.spelled(form) == expected
        assert tokens.values(form) == frozenset(tokens.positions(form))


def test_or_takes_the_anchor_its_siblings_already_have() -> None:
    node = parse('(kpn OR @kpnwebcare OR "kpn abonnement") AND (storing OR traag OR plat)').node
    assert {a.value for a in anchors(node) or ()} == {"kpn", "@kpnwebcare"}


def test_among_equal_anchors_the_one_fewer_queries_share_is_indexed() -> None:
    percolator = Percolator()
    for i in range(20):
        percolator.add(i, parse(f'"merk{i}"~3 "internet"').node)
    doc = prepare(Document("mijn internet is traag"))
    assert len(percolator.candidates(doc)) <= 1
    assert percolator.match(doc) == set()
