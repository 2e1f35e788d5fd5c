"""Language identification: the languages Dutch and Belgian customers write in, and ``und``
when a message is too short or has no words at all."""

from __future__ import annotations

import json

import pytest

from webcare.enrichment import language
from webcare.enrichment.language import UNDETERMINED, detect_language
from webcare.enrichment.train import DATA_DIR


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Mijn internet ligt er al sinds gisteravond uit, wanneer is dit opgelost?", "nl"),
        ("Ik heb gisteren gebeld maar niemand kon me verder helpen met de factuur", "nl"),
        ("Allez, nu hebde gij weer geen bereik op de trein naar Gent", "nl"),
        ("My parcel was supposed to arrive yesterday and nobody can tell me where it is", "en"),
        ("Why is my bill twice as high this month?", "en"),
        ("Mein Internet funktioniert seit gestern nicht mehr, können Sie mir helfen?", "de"),
        ("Bonjour, ma connexion ne fonctionne plus depuis ce matin, que faire ?", "fr"),
        ("Merhaba, faturamda yanlış bir ücret var, lütfen kontrol eder misiniz?", "tr"),
        ("مرحبا، الإنترنت لا يعمل منذ يومين، متى سيتم إصلاحه؟", "ar"),
        ("Dzień dobry, od wczoraj nie mam internetu, kiedy to zostanie naprawione?", "pl"),
        ("Hola, mi factura de este mes es incorrecta, ¿pueden revisarla por favor?", "es"),
        ("Buongiorno, la mia connessione non funziona da ieri sera, potete aiutarmi?", "it"),
        ("Olá, a minha internet não funciona desde ontem, podem ajudar?", "pt"),
    ],
)
def test_sentences_in_each_common_language_are_recognised(text: str, code: str) -> None:
    assert detect_language(text).code == code


@pytest.mark.parametrize(
    "text", ["", "   ", "ok", "👍", "😡😡😡🙄", "!!!???", "12345 678", "https://t.co/abc123"]
)
def test_text_without_enough_letters_is_undetermined(text: str) -> None:
    guess = detect_language(text)
    assert guess.code == UNDETERMINED
    assert 0.0 <= guess.confidence <= 1.0


def test_handles_links_and_hashtags_do_not_decide_the_language() -> None:
    text = (
        "@AppleSupport @AmazonHelp @klant_1a2b3c4d https://t.co/xyz #FirstWorldProblems "
        "ik krijg mijn telefoon niet meer aan en de winkel is dicht"
    )
    assert detect_language(text).code == "nl"


def test_mention_only_message_is_undetermined() -> None:
    assert detect_language("@OrangeBENL @Telenet @proximus").code == UNDETERMINED


def test_mixed_language_message_gets_the_language_of_most_of_its_words() -> None:
    text = "Sorry for my English, my internet is down since yesterday and nobody helps, echt balen"
    assert detect_language(text).code == "en"
    text = (
        "Mijn modem geeft een error, iets met 'connection failed', en de helpdesk is onbereikbaar"
    )
    assert detect_language(text).code == "nl"


def test_very_long_and_hostile_text_is_handled() -> None:
    assert detect_language("Het werkt niet. " * 20_000).code == "nl"
    assert detect_language("\x00\ud800\ufffe" * 1000).code == UNDETERMINED
    assert detect_language("a" * 100_000).code in {UNDETERMINED, *language.LANGUAGES}


def test_fast_path_agrees_with_the_full_model_on_labelled_customer_messages() -> None:
    texts = []
    for name in ("nl-orange.jsonl", "en-twcs.jsonl"):
        path = DATA_DIR / "labels" / name
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()[:400]
            texts.extend(json.loads(line)["text"] for line in lines)
    decided = 0
    for text in texts:
        words = language.strip_noise(text)[: language.MAX_CHARS]
        fast = language._function_word_vote(words)
        if fast is None:
            continue
        decided += 1
        ranked = language._model().rank(words)
        best = max(ranked, key=lambda pair: pair[1] * language.PRIOR.get(pair[0], 1.0))[0]
        assert fast.code == best, text
    assert decided >= len(texts) // 3
