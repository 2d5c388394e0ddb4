"""Plain-language rewrite: it simplifies, and never changes a number, code, email or name."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from langassist.difficulty.glossary import load_glossary
from langassist.suggest import chunk_for_reading, load_plain_words, rewrite_plain
from langassist.suggest.rewrite import spell_code
from langassist.translate.protect import find_protected

GLOSSARY = load_glossary()
PLAIN = load_plain_words()
PRODUCTS = ("Fibrelink 500", "HomeHub X2", "SkyMesh")


def plain(text: str, **kwargs: object) -> str:
    return rewrite_plain(
        text, glossary=GLOSSARY, plain_words=PLAIN, protected_terms=PRODUCTS, **kwargs  # type: ignore[arg-type]
    ).text


def test_jargon_replaced_in_place() -> None:
    result = rewrite_plain("Please check the firmware.", glossary=GLOSSARY, plain_words=PLAIN)
    assert result.text == "Please check the software inside the device."
    assert result.changed and result.changes[0].kind == "jargon"


def test_formal_words_swapped() -> None:
    assert plain("It will take approximately 48 hours.") == "It will take about 48 hours."


def test_jargon_that_does_not_fit_is_explained() -> None:
    result = rewrite_plain("Please power cycle the router now.", glossary=GLOSSARY)
    assert result.text.startswith("Please power cycle the router now.")
    assert "Power cycle means turn it off" in result.text


def test_long_sentence_split() -> None:
    text = (
        "I have checked your account and the payment arrived yesterday, but the system "
        "still shows a balance of 25.40 because the update runs overnight."
    )
    result = rewrite_plain(text, max_sentence_words=12)
    assert any(change.kind == "split" for change in result.changes)
    assert result.text.count(".") > text.count(".") - 1
    assert "25.40" in result.text


def test_non_english_is_left_alone_but_read_back_given() -> None:
    result = rewrite_plain("Su pedido ORD-7731 llega mañana.", glossary=GLOSSARY, language="es")
    assert result.text == result.original
    assert result.read_back == (("ORD-7731", "O R D - 7731"),)


def test_product_terms_kept_verbatim() -> None:
    text = "Your Fibrelink 500 firmware update is approximately ready for the HomeHub X2."
    out = plain(text)
    assert "Fibrelink 500" in out and "HomeHub X2" in out
    assert "new software for the device" in out


@pytest.mark.parametrize(
    ("token", "spoken"),
    [
        ("ORD-2291-A", "O R D - 2291 - A"),
        ("5550100", "555 0100"),
        ("4111111111111111", "4111 1111 1111 1111"),
        ("123456", "123 456"),
    ],
)
def test_chunk_for_reading(token: str, spoken: str) -> None:
    assert chunk_for_reading(token) == spoken


def test_spell_code() -> None:
    assert spell_code("AB-1") == "A as in Alpha, B as in Bravo, dash, 1"


# --------------------------------------------------------------------------- properties

_FILLER = [
    "please", "check", "your", "account", "the", "router", "and", "we", "will", "call",
    "you", "back", "today", "because", "it", "is", "ready", "now", "firmware", "outage",
    "approximately", "purchase", "escalate", "bandwidth", "assist", "subsequently",
    "in the loop", "power cycle", "ASAP", "DHCP", "ONT", "latency", "provisioning",
]
_numbers = st.one_of(
    st.integers(0, 10**9).map(str),
    st.tuples(st.integers(0, 9999), st.integers(0, 99)).map(lambda t: f"{t[0]}.{t[1]:02d}"),
    st.tuples(st.integers(1, 28), st.integers(1, 12), st.integers(2000, 2030)).map(
        lambda t: f"{t[0]}/{t[1]}/{t[2]}"
    ),
    st.just("+44 20 7946 0958"),
    st.integers(1, 23).map(lambda h: f"{h}:30"),
)
_codes = st.tuples(
    st.sampled_from(["ORD", "REF", "AB", "X"]), st.integers(10, 99999)
).map(lambda t: f"{t[0]}-{t[1]}")
_emails = st.sampled_from(["jane.doe@example.com", "help@mail.example.org", "a_b@x.io"])
_names = st.sampled_from(PRODUCTS + ("Ms Kowalska", "Mr O'Neill"))
_token = st.one_of(st.sampled_from(_FILLER), _numbers, _codes, _emails, _names)
_sentence = st.lists(_token, min_size=3, max_size=30).map(
    lambda words: " ".join(words)[:1].upper() + " ".join(words)[1:] + "."
)
_text = st.lists(
    st.tuples(_sentence, st.sampled_from([" ", ", ", "; ", ", and "])), min_size=1, max_size=3
).map(lambda parts: "".join(s + sep for s, sep in parts).strip(" ,;"))


def _numbers_in(text: str) -> list[str]:
    return re.findall(r"\d+", text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_text)
def test_rewrite_keeps_every_protected_span(text: str) -> None:
    result = rewrite_plain(
        text, glossary=GLOSSARY, plain_words=PLAIN, protected_terms=PRODUCTS, max_sentence_words=8
    )
    for span in find_protected(text, PRODUCTS):
        assert result.text.count(span.text) >= text.count(span.text), span
    # Digit runs are never altered, dropped or invented.
    assert sorted(_numbers_in(result.text)) == sorted(_numbers_in(text))
    for name in ("Ms Kowalska", "Mr O'Neill"):
        assert result.text.count(name) >= text.count(name)
    assert set(result.preserved) <= set(span.text for span in find_protected(result.text, PRODUCTS))


@settings(max_examples=60, deadline=None)
@given(_text)
def test_rewrite_is_idempotent_on_its_protected_spans(text: str) -> None:
    once = plain(text)
    twice = plain(once)
    assert sorted(_numbers_in(twice)) == sorted(_numbers_in(text))


def test_explanations_follow_a_clean_sentence_end() -> None:
    from langassist.difficulty.glossary import load_glossary
    from langassist.suggest.rewrite import rewrite_plain

    result = rewrite_plain("the terminal is running a provisioning profile,", glossary=load_glossary())
    assert ",." not in result.text and "profile... Provisioning" in result.text


def test_an_utterance_cut_off_mid_sentence_is_not_closed_with_a_full_stop() -> None:
    # Whisper split "... go solid green before the" | "DHCP ..."; the rewrite of the
    # first part read "... before the. Firmware is the software inside the device."
    from langassist.difficulty.glossary import load_glossary
    from langassist.suggest.rewrite import rewrite_plain

    glossary = load_glossary()
    cut = rewrite_plain("the terminal is running a provisioning profile and you wait before the", glossary=glossary)
    assert "before the... Provisioning means" in cut.text and "the. " not in cut.text
    whole = rewrite_plain("the terminal is running a provisioning profile now.", glossary=glossary)
    assert "now. Provisioning means" in whole.text and "..." not in whole.text
