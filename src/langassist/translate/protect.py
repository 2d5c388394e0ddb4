"""Protected terms: numbers, codes, emails, URLs and glossary terms survive translation.

Translation engines rewrite what they see: a rule-based engine may localize a number,
a neural one may drop or "correct" a product name. Before translation the protected
spans are replaced by placeholders (``ZXQ0``, ``ZXQ1`` ...) that engines copy through
as unknown words; afterwards the placeholders are swapped back. When a backend loses,
duplicates or mangles a placeholder, the text is translated again piece by piece
*between* the protected spans, and the spans are copied verbatim, so the guarantee
holds for every backend, including a randomly initialised test model.

Ordinals (``3rd``) are left to the engine, which localizes them (``3.º``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from langassist.errors import BackendError
from langassist.translate.base import ProtectionMethod

__all__ = [
    "MaskedText",
    "ProtectedSpan",
    "ProtectedText",
    "ProtectionOptions",
    "find_protected",
    "mask",
    "translate_protected",
    "unmask",
]

SpanKind = Literal["term", "email", "url", "code", "number"]

PLACEHOLDER_PREFIX = "ZXQ"
_PLACEHOLDER_RE = re.compile(r"Z\s?X\s?Q\s?(\d{1,3})", re.IGNORECASE)

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# A token holding both letters and digits (order numbers, postcodes, model names),
# possibly joined by - or _ ; ordinals (1st, 22nd) are excluded.
_CODE_RE = re.compile(
    r"(?<![\w@.])(?!\d+(?:st|nd|rd|th)\b)"
    r"(?=[\w-]*[A-Za-z])(?=[\w-]*\d)[A-Za-z0-9]+(?:[-_/][A-Za-z0-9]+)*(?![\w@])"
)
# Numbers with grouping or decimal separators, times and dates; a leading + for
# international numbers. A trailing sentence dot is not part of it.
_NUMBER_RE = re.compile(r"(?<![\w.,])\+?\d+(?:[.,:/-]\d+)*(?![.,:/-]?\w)")
_TRAILING_PUNCT = ".,;:!?)]}'\""


@dataclass(frozen=True, slots=True)
class ProtectionOptions:
    """Which kinds of span to protect (glossary terms are always protected)."""

    numbers: bool = True
    codes: bool = True
    emails: bool = True
    urls: bool = True


@dataclass(frozen=True, slots=True)
class ProtectedSpan:
    """A span of the source text that must appear verbatim in the translation."""

    start: int
    end: int
    text: str
    kind: SpanKind


@dataclass(frozen=True, slots=True)
class MaskedText:
    """A text with its protected spans replaced by placeholders."""

    original: str
    text: str
    spans: tuple[ProtectedSpan, ...]

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(f"{PLACEHOLDER_PREFIX}{index}" for index in range(len(self.spans)))


@dataclass(frozen=True, slots=True)
class ProtectedText:
    """A translation with its protected terms restored."""

    text: str
    terms: tuple[str, ...]
    method: ProtectionMethod


def _term_pattern(term: str) -> re.Pattern[str]:
    escaped = re.escape(term.strip())
    left = r"(?<!\w)" if term.strip()[:1].isalnum() else ""
    right = r"(?!\w)" if term.strip()[-1:].isalnum() else ""
    return re.compile(left + escaped + right, re.IGNORECASE)


def find_protected(
    text: str,
    terms: Iterable[str] = (),
    options: ProtectionOptions | None = None,
) -> tuple[ProtectedSpan, ...]:
    """Spans of ``text`` that must survive translation, left to right, not overlapping.

    Args:
        text: the source text.
        terms: exact strings to keep (product names, names from the glossary); matched
            case-insensitively on word boundaries, the source's spelling is kept.
        options: which automatic kinds to protect (all by default).

    When spans overlap, the earliest wins, then the longest; glossary terms win over
    automatic kinds at the same start.
    """
    options = options or ProtectionOptions()
    candidates: list[tuple[int, int, int, SpanKind]] = []  # start, -length, rank, kind
    rank: dict[SpanKind, int] = {"term": 0, "email": 1, "url": 2, "code": 3, "number": 4}

    def add(pattern: re.Pattern[str], kind: SpanKind) -> None:
        for match in pattern.finditer(text):
            start, end = match.start(), match.end()
            while end > start and text[end - 1] in _TRAILING_PUNCT and kind in {"url", "code"}:
                end -= 1
            if end > start:
                candidates.append((start, -(end - start), rank[kind], kind))

    for term in {t.strip() for t in terms if t and t.strip()}:
        add(_term_pattern(term), "term")
    if options.emails:
        add(_EMAIL_RE, "email")
    if options.urls:
        add(_URL_RE, "url")
    if options.codes:
        add(_CODE_RE, "code")
    if options.numbers:
        add(_NUMBER_RE, "number")
    candidates.sort(key=lambda item: (item[0], item[1], item[2]))
    spans: list[ProtectedSpan] = []
    cursor = 0
    for start, negative_length, _, kind in candidates:
        end = start - negative_length
        if start < cursor:
            continue
        spans.append(ProtectedSpan(start, end, text[start:end], kind))
        cursor = end
    return _merge_number_groups(text, spans)


def _merge_number_groups(text: str, spans: list[ProtectedSpan]) -> tuple[ProtectedSpan, ...]:
    """Join digit groups split by single spaces (``+44 20 7946 0958``) into one span.

    A run is merged when it starts with ``+`` or has at least three groups, which is how
    phone and card numbers are written; ``between 2 and 3`` is left alone.
    """
    merged: list[ProtectedSpan] = []
    index = 0
    while index < len(spans):
        run = [spans[index]]
        while (
            index + len(run) < len(spans)
            and run[-1].kind == "number"
            and spans[index + len(run)].kind == "number"
            and text[run[-1].end:spans[index + len(run)].start] == " "
        ):
            run.append(spans[index + len(run)])
        if len(run) > 1 and (len(run) >= 3 or run[0].text.startswith("+")):
            merged.append(
                ProtectedSpan(run[0].start, run[-1].end, text[run[0].start:run[-1].end], "number")
            )
            index += len(run)
        else:
            merged.append(spans[index])
            index += 1
    return tuple(merged)


def mask(text: str, spans: Sequence[ProtectedSpan]) -> MaskedText:
    """Replace each span with its placeholder ``ZXQ<i>``."""
    pieces: list[str] = []
    cursor = 0
    for index, span in enumerate(spans):
        if span.start < cursor or text[span.start:span.end] != span.text:
            raise ValueError("spans must be ordered, non-overlapping spans of text")
        pieces.append(text[cursor:span.start])
        pieces.append(f"{PLACEHOLDER_PREFIX}{index}")
        cursor = span.end
    pieces.append(text[cursor:])
    return MaskedText(original=text, text="".join(pieces), spans=tuple(spans))


def unmask(translated: str, masked: MaskedText) -> str | None:
    """Put the protected spans back; ``None`` when a placeholder is missing or repeated.

    Placeholders are recognized case-insensitively and with a stray space inside
    (``zxq 0``), as engines sometimes split or lower-case unknown words.
    """
    count = len(masked.spans)
    seen: dict[int, int] = {}
    for match in _PLACEHOLDER_RE.finditer(translated):
        index = int(match.group(1))
        seen[index] = seen.get(index, 0) + 1
    if set(seen) != set(range(count)) or any(value != 1 for value in seen.values()):
        return None

    def restore(match: re.Match[str]) -> str:
        return masked.spans[int(match.group(1))].text

    return _PLACEHOLDER_RE.sub(restore, translated)


def _segments(text: str, spans: Sequence[ProtectedSpan]) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, is_protected) in order."""
    parts: list[tuple[str, bool]] = []
    cursor = 0
    for span in spans:
        if span.start > cursor:
            parts.append((text[cursor:span.start], False))
        parts.append((span.text, True))
        cursor = span.end
    if cursor < len(text):
        parts.append((text[cursor:], False))
    return parts


def _needs_translation(piece: str) -> bool:
    return any(character.isalpha() for character in piece)


def translate_protected(
    translate_batch: Callable[[list[str]], list[str]],
    texts: Sequence[str],
    terms: Iterable[str] = (),
    options: ProtectionOptions | None = None,
) -> list[ProtectedText]:
    """Translate ``texts`` with ``translate_batch`` keeping protected spans verbatim.

    ``translate_batch`` is called at most twice: once with every masked text, and once
    more with the pieces of the texts whose placeholders did not survive.

    Raises:
        BackendError: ``translate_batch`` returned the wrong number of texts.
    """
    term_list = [term for term in terms if term and term.strip()]
    masked = [mask(text, find_protected(text, term_list, options)) for text in texts]
    first = translate_batch([item.text for item in masked])
    if len(first) != len(masked):
        raise BackendError(
            f"translator returned {len(first)} texts for {len(masked)} inputs"
        )
    results: list[ProtectedText | None] = []
    retry: list[int] = []
    for index, (item, translated) in enumerate(zip(masked, first, strict=True)):
        terms_kept = tuple(span.text for span in item.spans)
        if not item.spans:
            results.append(ProtectedText(translated, (), "none"))
            continue
        restored = unmask(translated, item)
        if restored is None:
            results.append(None)
            retry.append(index)
        else:
            results.append(ProtectedText(restored, terms_kept, "placeholders"))
    if retry:
        pieces: list[str] = []
        layout: list[list[tuple[str, bool, int]]] = []
        for index in retry:
            item = masked[index]
            row: list[tuple[str, bool, int]] = []
            for piece, protected in _segments(item.original, item.spans):
                if protected or not _needs_translation(piece):
                    row.append((piece, True, -1))
                else:
                    row.append((piece, False, len(pieces)))
                    pieces.append(piece.strip())
            layout.append(row)
        second = translate_batch(pieces) if pieces else []
        if len(second) != len(pieces):
            raise BackendError(
                f"translator returned {len(second)} texts for {len(pieces)} inputs"
            )
        for index, row in zip(retry, layout, strict=True):
            out: list[str] = []
            for piece, verbatim, position in row:
                if verbatim:
                    out.append(piece)
                    continue
                leading = piece[: len(piece) - len(piece.lstrip())]
                trailing = piece[len(piece.rstrip()):]
                out.append(leading + second[position].strip() + trailing)
            item = masked[index]
            results[index] = ProtectedText(
                "".join(out), tuple(span.text for span in item.spans), "segments"
            )
    final: list[ProtectedText] = []
    for result in results:
        if result is None:  # pragma: no cover - every retry index is filled above
            raise BackendError("internal error: a protected translation was not restored")
        final.append(result)
    return final
