"""PII redaction (T24): recall on generated card numbers, phones, e-mails, IBANs, ids."""

from __future__ import annotations

import logging
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from langassist import pii
from langassist.pii import RedactingFilter, luhn_valid, redact_document, redact_text

SPOKEN = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SPOKEN_ES = ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"]


def luhn_complete(prefix: str) -> str:
    for check in "0123456789":
        if luhn_valid(prefix + check):
            return prefix + check
    raise AssertionError("unreachable")


card_numbers = st.builds(
    lambda first, body: luhn_complete(first + body),
    st.sampled_from(["4", "5", "3", "6"]),
    st.text("0123456789", min_size=14, max_size=14),
)


def test_luhn_known_values() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("abc")


@settings(max_examples=60, deadline=None)
@given(card_numbers, st.sampled_from(["plain", "groups", "dashes", "spoken", "spoken-es"]))
def test_card_numbers_are_redacted_in_every_form(number: str, form: str) -> None:
    if form == "plain":
        written = number
    elif form == "groups":
        written = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    elif form == "dashes":
        written = "-".join(number[i : i + 4] for i in range(0, len(number), 4))
    elif form == "spoken":
        written = ", ".join(" ".join(SPOKEN[int(d)] for d in number[i : i + 4]) for i in range(0, len(number), 4))
    else:
        written = " ".join(SPOKEN_ES[int(d)] for d in number)
    text = f"Sure, my card number is {written}, expiry next year."
    result = redact_text(text)
    assert pii.card_numbers(text) == [number]  # what redaction hides, as digits
    assert number not in result.text.replace(" ", "").replace("-", "")
    assert "[CARD]" in result.text and result.counts == {"card": 1}
    assert result.text.startswith("Sure, my card number is ")


def test_other_kinds_and_what_is_kept() -> None:
    cases = {
        "write to ana.lopez+help@example.co.uk please": "[EMAIL]",
        "my IBAN is DE89 3704 0044 0532 0130 00": "[IBAN]",
        "social security 078-05-1120": "[ID]",
        "NI number AB 12 34 56 C": "[ID]",
        "DNI 12345678Z": "[ID]",
        "call me on 020 7946 0958": "[PHONE]",
        "my number is five five five one two three four five six seven": "[PHONE]",
    }
    for text, placeholder in cases.items():
        assert placeholder in redact_text(text).text, text
    for kept in ("restart the router in 2 minutes", "it costs 1,250,000.00 euros",
                 "ticket 4521 is open", "DNI 12345678A is not valid", "IBAN DE00 0000 0000 0000 0000 00"):
        assert redact_text(kept).text == kept


def test_quantities_are_not_phone_numbers() -> None:
    # A probe error quoted a WAV header's byte count; it read "declares [PHONE] bytes".
    for kept in ("the WAV data chunk declares 1384844 bytes but only 4920 follow",
                 "decoded 50000000 samples at 16 kHz", "a budget of 2500000 euros",
                 "it costs $2500000", "read 12345678 rows", "upload 3145728kb"):
        assert redact_text(kept).text == kept, kept
    # A unit must follow at once, as a whole word; a card is redacted whatever follows.
    for text, placeholder in (("call 5551234 so we can talk", "[PHONE]"),
                              ("call 020 7946 0958 s", "[PHONE]"),
                              ("call 5551234 bytesize", "[PHONE]"),
                              ("card 4111 1111 1111 1111 dollars", "[CARD]")):
        assert placeholder in redact_text(text).text, text


def test_document_redaction_merges_words_and_keeps_ids() -> None:
    number = "4111111111111111"
    words = [[0.0, 0.5, "my", 0.9], [0.5, 0.9, "card", 0.9], [0.9, 1.0, "is", 0.9]]
    words += [[1.0 + i * 0.3, 1.3 + i * 0.3, SPOKEN[int(d)], 0.8] for i, d in enumerate(number)]
    document = {
        "call_id": "4111111111111111-call",
        "utterances": [{"id": "agent-0001", "text": "my card is " + " ".join(SPOKEN[int(d)] for d in number),
                        "words": words}],
        "suggestions": [{"text": f"Read it back: {number}"}],
        "metadata": {"path": "/calls/x.wav"},
    }
    redacted, counts = redact_document(document)
    assert counts == {"card": 2}
    assert redacted["call_id"] == document["call_id"]
    (utterance,) = redacted["utterances"]
    assert utterance["text"] == "my card is [CARD]"
    assert [w[2] for w in utterance["words"]] == ["my", "card", "is", "[CARD]"]
    assert utterance["words"][-1][:2] == [1.0, words[-1][1]]
    assert redacted["suggestions"][0]["text"] == "Read it back: [CARD]"


def test_log_filter_redacts_messages(caplog) -> None:  # type: ignore[no-untyped-def]
    logger = logging.getLogger("langassist.test-pii")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="langassist.test-pii"):
        logger.info("customer said %s", "4111 1111 1111 1111")
    assert "4111" not in caplog.text and "[CARD]" in caplog.text


def test_random_text_never_raises() -> None:
    rng = random.Random(0)
    alphabet = "abc 0123456789-+@.,ñé漢"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        redact_text(text)


def test_card_numbers_finds_cards_only() -> None:
    assert pii.card_numbers("card 4111 1111 1111 1111 exp 0427") == ["4111111111111111"]
    assert pii.card_numbers("call 415 555 0100 or order 88123456") == []
    assert pii.card_numbers("4111 1111 1111 1112") == []  # fails the Luhn check
    assert pii.card_numbers("") == []
