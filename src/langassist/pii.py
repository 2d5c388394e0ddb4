"""PII redaction for transcripts, reports and logs: on by default everywhere.

What is found and what it becomes:

* payment card numbers, 13 to 19 digits passing the Luhn check, written
  (``4111 1111 1111 1111``, ``4111-1111-...``) or spoken in groups across words
  ("four one one one, one one one one ...", digits in English, Spanish, German,
  French, Portuguese, Italian, Polish, Dutch) -> ``[CARD]``;
* IBANs (country code, check digits, mod-97 valid) -> ``[IBAN]``;
* e-mail addresses -> ``[EMAIL]``;
* national id patterns: US SSN (``123-45-6789``), UK National Insurance number,
  Spanish DNI/NIE with a valid check letter -> ``[ID]``;
* phone numbers, 7 to 15 digits written or spoken (not a card, and not a quantity:
  a number with a unit or currency, "1384844 bytes", "$2500000") -> ``[PHONE]``.

:func:`redact_text` returns the redacted text and a count per kind;
:func:`redact_document` redacts every transcript text in a JSON document (utterance
text, words, suggestions) and reports the counts. :class:`RedactingFilter` applies the
same rules to log records.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PLACEHOLDERS",
    "RedactingFilter",
    "Redaction",
    "card_numbers",
    "luhn_valid",
    "redact_document",
    "redact_text",
]

PLACEHOLDERS = {
    "card": "[CARD]",
    "iban": "[IBAN]",
    "email": "[EMAIL]",
    "id": "[ID]",
    "phone": "[PHONE]",
}

_DIGIT_WORDS: dict[str, str] = {}
for _digit, _names in enumerate([
    "zero oh o nought cero null zéro zero zero nul",
    "one uno eins un um uno jeden een",
    "two dos zwei deux dois due dwa twee",
    "three tres drei trois três tre trzy drie",
    "four cuatro vier quatre quatro quattro cztery",
    "five cinco fünf funf cinq cinque pięć piec vijf",
    "six seis sechs sei sześć szesc zes",
    "seven siete sieben sept sete sette siedem zeven",
    "eight ocho acht huit oito otto osiem",
    "nine nueve neun neuf nove dziewięć dziewiec negen",
]):
    for _name in _names.split():
        _DIGIT_WORDS.setdefault(_name, str(_digit))
_MULTIPLIERS = {"double": 2, "triple": 3, "doppel": 2}

_TOKEN_RE = re.compile(r"\d+|[^\W\d_]+|[^\s\w]", re.UNICODE)
_SEPARATORS = {"-", ",", ".", "/", "(", ")", "+"}
_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", re.UNICODE)
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_SSN_RE = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_NINO_RE = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.IGNORECASE)
_DNI_RE = re.compile(r"\b([XYZ]?)(\d{7,8})-?([A-Z])\b", re.IGNORECASE)
_AMOUNT_RE = re.compile(r"^[+]?\d{1,3}(?:[,.]\d{3})+(?:[.,]\d{1,2})?$")
"""A written amount with thousands separators (1,250,000.00) is a number, not a phone."""
_UNIT_AFTER_RE = re.compile(
    r"\s?(?:bytes?|[kmgt]i?b|samples?|frames?|[km]?hz|ms|secs?|seconds?|minutes?|hours?|"
    r"tokens?|chars?|characters?|rows?|records?|items?|[km]?bps|%|percent|"
    r"dollars?|euros?|pounds?|pesos?|usd|eur|gbp)(?!\w)",
    re.IGNORECASE,
)
"""A number followed by a unit or a currency ("1384844 bytes", "2500000 euros") is a
quantity, not a phone number (probe errors and logs quote byte and sample counts)."""
_CURRENCY_BEFORE = frozenset("$€£¥₹")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


@dataclass(frozen=True, slots=True)
class Redaction:
    """Redacted text and how many of each kind were replaced."""

    text: str
    counts: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn (mod 10) check."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rotated = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rotated)
    return int(number) % 97 == 1


def _dni_valid(match: re.Match[str]) -> bool:
    prefix, number, letter = match.group(1).upper(), match.group(2), match.group(3).upper()
    if prefix:
        number = str("XYZ".index(prefix)) + number
    elif len(number) != 8:
        return False
    return _DNI_LETTERS[int(number) % 23] == letter


def _spans_of(pattern: re.Pattern[str], text: str, check: Any = None) -> list[tuple[int, int]]:
    spans = []
    for match in pattern.finditer(text):
        if check is None or check(match):
            spans.append(match.span())
    return spans


def _digit_runs(text: str) -> list[tuple[int, int, str]]:
    """Runs of written or spoken digits: (start, end, digits), separators allowed inside."""
    runs: list[tuple[int, int, str]] = []
    start = end = -1
    digits = ""
    pending = 1
    for match in _TOKEN_RE.finditer(text):
        token = match.group()
        lowered = token.lower()
        value: str | None = None
        if token.isdigit():
            value = token
        elif lowered in _DIGIT_WORDS:
            value = _DIGIT_WORDS[lowered]
        if value is not None:
            if start < 0:
                start = match.start()
            end = match.end()
            digits += value * pending
            pending = 1
        elif lowered in _MULTIPLIERS and start >= 0 or lowered in _MULTIPLIERS and not digits:
            pending = _MULTIPLIERS[lowered]
            if start < 0:
                start = match.start()
        elif token == "+" and start < 0:
            start = match.start()
        elif token in _SEPARATORS and start >= 0:
            continue
        else:
            if digits:
                runs.append((start, end, digits))
            start, end, digits, pending = -1, -1, "", 1
    if digits:
        runs.append((start, end, digits))
    return [
        run for run in runs
        if not _AMOUNT_RE.match(text[run[0] : run[1]])
        and not (run[0] > 0 and text[run[0] - 1].isalnum())
        and not (run[1] < len(text) and text[run[1]].isalnum())
    ]


def _card_digits(digits: str) -> str | None:
    """The payment card number in a run of digits, or ``None``."""
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return digits
    # A card number inside a longer run (e.g. followed by the expiry date).
    for length in range(19, 12, -1):
        for offset in range(0, len(digits) - length + 1):
            candidate = digits[offset : offset + length]
            if luhn_valid(candidate) and candidate[0] in "2345689":
                return candidate
    return None


def card_numbers(text: str) -> list[str]:
    """The digits of each payment card number in ``text``, as redaction finds them
    (written digits or spoken digit words, Luhn-checked)."""
    out: list[str] = []
    for _, _, digits in _digit_runs(text):
        card = _card_digits(digits) if len(digits) >= 13 else None
        if card is not None:
            out.append(card)
    return out


def _is_quantity(text: str, start: int, end: int) -> bool:
    """Whether the digit run ``text[start:end]`` is a measured quantity or an amount:
    a unit or currency word right after it, or a currency sign right before it."""
    if start > 0 and text[start - 1] in _CURRENCY_BEFORE:
        return True
    return _UNIT_AFTER_RE.match(text, end) is not None


def _find(text: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for start, end in _spans_of(_EMAIL_RE, text):
        found.append((start, end, "email"))
    for start, end in _spans_of(_IBAN_RE, text, lambda m: _iban_valid(m.group())):
        found.append((start, end, "iban"))
    for pattern, check in ((_SSN_RE, None), (_NINO_RE, None), (_DNI_RE, _dni_valid)):
        for start, end in _spans_of(pattern, text, check):
            found.append((start, end, "id"))
    for start, end, digits in _digit_runs(text):
        if len(digits) >= 13 and _card_digits(digits) is not None:
            found.append((start, end, "card"))
        elif 7 <= len(digits) <= 15 and not _is_quantity(text, start, end):
            found.append((start, end, "phone"))
    # Earlier kinds win an overlap (e-mail, IBAN and ids before digit runs).
    chosen: list[tuple[int, int, str]] = []
    for span in found:
        if all(span[1] <= other[0] or span[0] >= other[1] for other in chosen):
            chosen.append(span)
    return sorted(chosen)


def redact_text(text: str) -> Redaction:
    """``text`` with every PII span replaced by its placeholder, and the counts."""
    if not text:
        return Redaction(text, {})
    spans = _find(text)
    if not spans:
        return Redaction(text, {})
    pieces: list[str] = []
    position = 0
    counts: Counter[str] = Counter()
    for start, end, kind in spans:
        pieces.append(text[position:start])
        pieces.append(PLACEHOLDERS[kind])
        counts[kind] += 1
        position = end
    pieces.append(text[position:])
    return Redaction("".join(pieces), dict(counts))


def _redact_words(words: list[Any]) -> tuple[list[Any], Counter[str]]:
    """Words as ``[start_s, end_s, text, probability]``; spans across words merge."""
    texts = [str(word[2]) for word in words]
    joined = ""
    offsets: list[tuple[int, int]] = []
    for text in texts:
        if joined:
            joined += " "
        offsets.append((len(joined), len(joined) + len(text)))
        joined += text
    spans = _find(joined)
    counts: Counter[str] = Counter(kind for _, _, kind in spans)
    if not spans:
        return words, counts
    out: list[Any] = []
    index = 0
    while index < len(words):
        start, end = offsets[index]
        hit = next((s for s in spans if s[0] < end and s[1] > start), None)
        if hit is None:
            out.append(words[index])
            index += 1
            continue
        last = index
        while last + 1 < len(words) and offsets[last + 1][0] < hit[1]:
            last += 1
        first_word, last_word = words[index], words[last]
        probability = min(float(w[3]) for w in words[index : last + 1])
        out.append([first_word[0], last_word[1], PLACEHOLDERS[hit[2]], probability])
        index = last + 1
    return out, counts


_SKIP_KEYS = frozenset({
    "type", "schema", "call_id", "id", "utterance_id", "suggestion_id", "track", "kind",
    "category", "feature", "source", "metadata", "language", "speaker_language", "stage",
})


def redact_document(document: Any) -> tuple[Any, dict[str, int]]:
    """A copy of a JSON document with every transcript text redacted, and the counts.

    Utterance words (``[start_s, end_s, text, probability]`` lists under ``words``)
    are redacted as one text, so a card number spoken across several words becomes one
    ``[CARD]`` word spanning their times. Identifiers, types and ``metadata`` are kept.
    """
    counts: Counter[str] = Counter()

    def walk(value: Any, key: str | None = None) -> Any:
        if key in _SKIP_KEYS:
            return value
        if isinstance(value, str):
            result = redact_text(value)
            counts.update(result.counts)
            return result.text
        if isinstance(value, Mapping):
            items = {}
            for item_key, item in value.items():
                if item_key == "words" and isinstance(item, list) and all(
                    isinstance(w, list) and len(w) == 4 for w in item
                ):
                    words, found = _redact_words(item)
                    items[item_key] = words
                    continue  # the utterance text counts its own findings
                items[item_key] = walk(item, str(item_key))
            return items
        if isinstance(value, list):
            return [walk(item, key) for item in value]
        return value

    return walk(document), dict(counts)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts PII from each record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted.total:
            record.msg = redacted.text
            record.args = None
        return True


def install_log_redaction(loggers: Iterable[str] = ("langassist",)) -> None:
    """Add :class:`RedactingFilter` to the given loggers' handlers (and the loggers)."""
    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
