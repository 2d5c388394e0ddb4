"""Plain-language rewrite of a hard agent utterance, keeping its meaning.

Steps, on English text:

1. Protected spans (numbers, codes, emails, URLs, product terms) are masked with
   placeholders so that no later step can touch them (the same masking translation
   uses, :mod:`langassist.translate.protect`).
2. Glossary jargon and acronyms are replaced by their plain explanation where it fits
   the sentence as a drop-in (a noun phrase after "the"/"your", or a phrase at the end
   of a clause); where it does not, the term stays and a short sentence explains it
   (``Power cycle means turn it off, ...``).
3. Formal words are swapped for plain ones (``approximately`` -> ``about``).
4. Sentences longer than ``max_sentence_words`` are split at clause boundaries
   (``;``, ``, and``, ``, because`` ...).
5. The placeholders are restored and every protected span is checked to be present;
   if one is not, the rewrite is abandoned and the original returned (never a rewrite
   that changes a number).

Numbers and codes are not respaced in the rewrite itself (that would change them); a
``read_back`` form for saying them aloud in chunks is returned beside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from langassist.difficulty.glossary import Glossary, GlossaryHit
from langassist.suggest.plain_words import PlainWords
from langassist.translate.protect import (
    MaskedText,
    ProtectedSpan,
    find_protected,
    mask,
    unmask,
)

__all__ = [
    "Rewrite",
    "RewriteChange",
    "chunk_for_reading",
    "rewrite_plain",
    "spell_code",
]

ChangeKind = Literal["jargon", "acronym", "idiom", "plain_word", "explain", "split"]

_ARTICLES = {"the", "a", "an"}
_POSSESSIVES = {"your", "my", "our", "his", "her", "their", "its", "this", "that", "these", "those"}
_DETERMINERS = _ARTICLES | _POSSESSIVES
# After a drop-in, the clause may go on with one of these without breaking grammar.
_CLAUSE_CONTINUATIONS = {
    "is", "are", "was", "were", "will", "would", "can", "could", "should", "has", "have",
    "had", "does", "did", "do", "may", "might", "must", "and", "or", "but", "so", "then",
    "to", "for", "with", "in", "on", "at", "from", "by", "of", "if", "when", "because",
    "that", "which", "who", "now", "again", "today", "first", "please", "as", "after",
    "before", "until", "while", "too", "also",
}
_WORD_RE = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# A sentence ends at . ! ? followed by a space or the end ("currently .com" is not an end).
_SENTENCE_RE = re.compile(r".+?(?:[.!?]+(?=\s|$)|$)", re.DOTALL)
# Clause boundaries where a long sentence may be split, and what starts the new sentence.
_SPLITS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\s*;\s+"), ""),
    (re.compile(r",\s+and then\s+", re.IGNORECASE), "Then "),
    (re.compile(r",\s+because\s+", re.IGNORECASE), "This is because "),
    (re.compile(r",\s+which\s+", re.IGNORECASE), "This "),
    (re.compile(r",\s+but\s+", re.IGNORECASE), "But "),
    (re.compile(r",\s+so\s+", re.IGNORECASE), "So "),
    (re.compile(r",\s+then\s+", re.IGNORECASE), "Then "),
    (re.compile(r",\s+or\s+", re.IGNORECASE), "Or "),
    (re.compile(r",\s+and\s+", re.IGNORECASE), ""),
    (re.compile(r"\s+[-–—]\s+"), ""),
)
_NATO = {
    "A": "Alpha", "B": "Bravo", "C": "Charlie", "D": "Delta", "E": "Echo", "F": "Foxtrot",
    "G": "Golf", "H": "Hotel", "I": "India", "J": "Juliett", "K": "Kilo", "L": "Lima",
    "M": "Mike", "N": "November", "O": "Oscar", "P": "Papa", "Q": "Quebec", "R": "Romeo",
    "S": "Sierra", "T": "Tango", "U": "Uniform", "V": "Victor", "W": "Whiskey",
    "X": "X-ray", "Y": "Yankee", "Z": "Zulu",
}


@dataclass(frozen=True, slots=True)
class RewriteChange:
    """One edit the rewrite made, for the suggestion's reason."""

    kind: ChangeKind
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Rewrite:
    """A plain-language version of an utterance.

    Attributes:
        original: the text as said.
        text: the rewrite (equal to ``original`` when nothing was changed).
        changes: the edits, in order.
        preserved: the protected spans, each present verbatim in ``text``.
        read_back: ``(span, spoken form)`` for codes and long numbers, chunked for
            reading aloud (``("4111111111111111", "4111 1111 1111 1111")``).
    """

    original: str
    text: str
    changes: tuple[RewriteChange, ...] = ()
    preserved: tuple[str, ...] = ()
    read_back: tuple[tuple[str, str], ...] = ()

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def summary(self) -> str:
        """The changes in a few words (``"2 jargon terms, 1 long sentence split"``)."""
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.kind] = counts.get(change.kind, 0) + 1
        labels = {
            "jargon": "jargon term", "acronym": "acronym", "idiom": "idiom",
            "plain_word": "formal word", "explain": "term explained",
            "split": "long sentence split",
        }
        parts = []
        for kind, count in counts.items():
            label = labels[kind]
            if count > 1:
                label = label.replace("term explained", "terms explained").replace(
                    "sentence split", "sentences split"
                )
                if not label.endswith(("explained", "split")):
                    label += "s"
            parts.append(f"{count} {label}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class _Edit:
    start: int
    end: int
    replacement: str
    change: RewriteChange


def chunk_for_reading(token: str, chunk_size: int = 3) -> str:
    """A code or number written for reading aloud in short groups.

    Digit runs are cut into groups of ``chunk_size`` (a last group of one digit joins
    the one before it, so nobody reads a lone digit); short letter runs are spelled one
    by one; separators become pauses (`` - ``): ``"ORD-2291-A"`` ->
    ``"O R D - 2291 - A"``, ``"5550100"`` -> ``"555 0100"``.
    """
    groups = [group for group in re.split(r"[\s\-_/.]+", token) if group]
    spoken: list[str] = []
    for group in groups:
        pieces: list[str] = []
        for run in re.findall(r"\d+|[^\W\d_]+|.", group):
            if run.isdigit():
                size = 4 if len(run) % chunk_size and len(run) % 4 == 0 else chunk_size
                chunks = [run[i:i + size] for i in range(0, len(run), size)]
                if len(chunks) > 1 and len(chunks[-1]) == 1:
                    last = chunks.pop()
                    chunks[-1] += last
                pieces.append(" ".join(chunks))
            elif run.isalpha():
                pieces.append(" ".join(run.upper()) if len(run) <= 4 or run.isupper() else run)
            else:
                pieces.append(run)
        spoken.append(" ".join(pieces))
    return " - ".join(spoken)


def spell_code(token: str) -> str:
    """Letters of a code with the spelling alphabet (``"AB1"`` -> ``"A as in Alpha, ..."``)."""
    parts: list[str] = []
    for character in token:
        upper = character.upper()
        if upper in _NATO:
            parts.append(f"{upper} as in {_NATO[upper]}")
        elif character.isdigit():
            parts.append(character)
        elif character == "@":
            parts.append("at")
        elif character == ".":
            parts.append("dot")
        elif character in "-_":
            parts.append({"-": "dash", "_": "underscore"}[character])
    return ", ".join(parts)


def _spoken_email(email: str) -> str:
    return email.replace(".", " dot ").replace("@", " at ").replace("-", " dash ").replace(
        "_", " underscore "
    )


def _read_back(spans: Sequence[ProtectedSpan], min_chars: int, chunk_size: int) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for span in spans:
        if span.text in seen:
            continue
        seen.add(span.text)
        compact = re.sub(r"\W", "", span.text)
        if span.kind == "email":
            out.append((span.text, _spoken_email(span.text)))
        elif span.kind == "number" and re.search(r"\d[.,]\d", span.text):
            continue  # amounts and decimals are read as numbers, not digit by digit
        elif span.kind in {"code", "number"} and len(compact) >= min_chars:
            out.append((span.text, chunk_for_reading(span.text, chunk_size)))
    return tuple(out)


def _word_before(text: str, start: int) -> tuple[str, int] | None:
    match = re.search(r"([^\W_]+)\s+$", text[:start])
    if match is None:
        return None
    return match.group(1), match.start(1)


def _word_after(text: str, end: int) -> str | None:
    """The next word after ``end`` in the same clause, or ``None`` at a clause end."""
    rest = text[end:]
    match = re.match(r"\s*([^\W_]+)", rest)
    if match is None or re.match(r"\s*[,.;:!?)]", rest):
        return None
    return match.group(1).lower()


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?;:"


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _with_article(determiner: str, phrase: str) -> str:
    """Fix ``a``/``an`` before ``phrase``."""
    lower = determiner.lower()
    if lower not in {"a", "an"}:
        return f"{determiner} {phrase}"
    article = "an" if phrase[:1].lower() in "aeiou" else "a"
    if determiner[:1].isupper():
        article = article.capitalize()
    return f"{article} {phrase}"


def _glossary_edit(text: str, hit: GlossaryHit) -> _Edit | None:
    """A drop-in replacement for one hit, or ``None`` when only an explanation fits."""
    if hit.kind == "acronym":
        kind: ChangeKind = "acronym"
        options = [hit.plain, hit.expansion or ""]
    else:
        kind = "jargon" if hit.kind == "term" else "idiom"
        options = [hit.plain]
    inflected = hit.matched.lower() != hit.term.lower()
    if inflected:
        return None
    before = _word_before(text, hit.start)
    determiner = before[0] if before and before[0].lower() in _DETERMINERS else None
    follower = _word_after(text, hit.end)
    if follower is not None and follower not in _CLAUSE_CONTINUATIONS:
        # "the DHCP lease", "restart the router box": the term modifies a noun or
        # takes an object, so no explanation fits in its place.
        return None
    for plain in options:
        plain = plain.strip()
        if not plain:
            continue
        words = plain.split()
        first = words[0].lower()
        if determiner is not None and before is not None:
            lower = determiner.lower()
            if first in _ARTICLES:
                if lower in _POSSESSIVES and "your" not in plain.lower().split():
                    phrase = f"{determiner} {' '.join(words[1:])}"
                else:
                    phrase = plain if not determiner[:1].isupper() else _capitalize(plain)
            elif first in _POSSESSIVES:
                phrase = plain if not determiner[:1].isupper() else _capitalize(plain)
            elif hit.kind == "acronym" and plain == (hit.expansion or "").strip():
                phrase = _with_article(determiner, plain)
            else:
                continue
            if phrase.split()[0].lower() in {"a", "an"}:
                phrase = _with_article(phrase.split()[0], " ".join(phrase.split()[1:]))
            phrase = _trim_overlap(phrase, text, hit.end)
            return _Edit(before[1], hit.end, phrase, RewriteChange(kind, text[before[1]:hit.end], phrase))
        phrase = _capitalize(plain) if _sentence_start(text, hit.start) else plain
        phrase = _trim_overlap(phrase, text, hit.end)
        return _Edit(hit.start, hit.end, phrase, RewriteChange(kind, hit.matched, phrase))
    return None


def _explanation(hit: GlossaryHit) -> str:
    """``"DHCP is the system that ..."`` / ``"Power cycle means turn it off ..."``."""
    meaning = (hit.plain or hit.expansion or "").strip().rstrip(".")
    first = meaning.split()[0].lower() if meaning else ""
    term = hit.matched if hit.kind == "acronym" else _capitalize(hit.matched)
    verb = "is" if first in _DETERMINERS else "means"
    if hit.kind == "acronym" and hit.expansion and hit.plain:
        return f"{term} ({hit.expansion}) {verb} {meaning}."
    return f"{term} {verb} {meaning}."


def _trim_overlap(phrase: str, text: str, end: int) -> str:
    """Drop the end of ``phrase`` that the text repeats right after the term.

    ``"an outage in your area"`` with the plain ``"a fault that stops the service in your
    area"`` would say "in your area" twice.
    """
    words = phrase.split()
    following = [word.lower() for word in _WORD_RE.findall(text[end:end + 80])]
    for size in range(min(len(words) - 1, len(following)), 1, -1):
        tail = [word.lower().strip(",.") for word in words[-size:]]
        if tail == following[:size]:
            return " ".join(words[:-size])
    return phrase


def _split_long(sentence: str, max_words: int) -> tuple[list[str], int]:
    """Split one sentence at clause boundaries until every part is short enough."""
    words = len(_WORD_RE.findall(sentence))
    if words <= max_words:
        return [sentence], 0
    best: tuple[int, re.Match[str], str] | None = None
    middle = len(sentence) / 2
    for pattern, opener in _SPLITS:
        for match in pattern.finditer(sentence):
            left, right = sentence[:match.start()], sentence[match.end():]
            if len(_WORD_RE.findall(left)) < 4 or len(_WORD_RE.findall(right)) < 4:
                continue
            distance = int(abs(match.start() - middle))
            if best is None or distance < best[0]:
                best = (distance, match, opener)
        if best is not None:
            break
    if best is None:
        return [sentence], 0
    _, match, opener = best
    left = sentence[:match.start()].rstrip(" ,;")
    right = sentence[match.end():]
    right = opener + (right if opener else _capitalize(right))
    left_parts, left_splits = _split_long(left + ".", max_words)
    right_parts, right_splits = _split_long(right, max_words)
    return left_parts + right_parts, 1 + left_splits + right_splits


def _split_sentences(text: str, max_words: int) -> tuple[str, list[RewriteChange]]:
    changes: list[RewriteChange] = []
    out: list[str] = []
    for match in _SENTENCE_RE.finditer(text):
        sentence = match.group().strip()
        if not sentence:
            continue
        parts, splits = _split_long(sentence, max_words)
        if splits:
            changes.append(RewriteChange("split", sentence, " ".join(parts)))
        out.extend(parts)
    if not changes:
        return text, changes
    return " ".join(out), changes


def rewrite_plain(
    text: str,
    *,
    glossary: Glossary | None = None,
    plain_words: PlainWords | None = None,
    protected_terms: Iterable[str] = (),
    language: str | None = "en",
    max_sentence_words: int = 18,
    read_back_min_chars: int = 5,
    chunk_size: int = 3,
) -> Rewrite:
    """Rewrite ``text`` in plain language; see the module docstring for the steps.

    Args:
        text: the agent's utterance.
        glossary: jargon and acronyms with plain explanations.
        plain_words: formal -> plain word swaps.
        protected_terms: product names and other strings to keep verbatim.
        language: the utterance language; only English is rewritten (other languages
            get read-back forms only).
        max_sentence_words: split sentences longer than this.
        read_back_min_chars / chunk_size: which codes get a chunked read-back form.
    """
    spans = find_protected(text, protected_terms)
    read_back = _read_back(spans, read_back_min_chars, chunk_size)
    preserved = tuple(span.text for span in spans)
    if language != "en" or not text.strip():
        return Rewrite(text, text, (), preserved, read_back)
    masked: MaskedText = mask(text, spans)
    working = masked.text
    edits: list[_Edit] = []
    explanations: list[RewriteChange] = []
    explained: set[str] = set()
    if glossary is not None:
        for hit in glossary.find(working, language="en"):
            edit = _glossary_edit(working, hit)
            if edit is not None:
                edits.append(edit)
            elif hit.term.lower() not in explained and hit.plain:
                explained.add(hit.term.lower())
                explanations.append(RewriteChange("explain", hit.matched, _explanation(hit)))
    if plain_words is not None:
        taken = [(edit.start, edit.end) for edit in edits]
        for word_hit in plain_words.find(working):
            if any(word_hit.start < end and start < word_hit.end for start, end in taken):
                continue
            replacement = word_hit.plain
            if word_hit.matched[:1].isupper():
                replacement = _capitalize(replacement)
            start = word_hit.start
            before = _word_before(working, start)
            if before and before[0].lower() in {"a", "an"}:
                start = before[1]
                replacement = _with_article(before[0], replacement)
            edits.append(
                _Edit(start, word_hit.end, replacement,
                      RewriteChange("plain_word", working[start:word_hit.end], replacement))
            )
    edits.sort(key=lambda edit: edit.start)
    accepted: list[_Edit] = []
    cursor = 0
    for edit in edits:
        if edit.start >= cursor:
            accepted.append(edit)
            cursor = edit.end
    for edit in reversed(accepted):
        working = working[:edit.start] + edit.replacement + working[edit.end:]
    working, split_changes = _split_sentences(working, max_sentence_words)
    if explanations:
        working = working.rstrip().rstrip(",;:-").rstrip()
        if working and working[-1] not in ".!?":
            # No full stop of its own: the utterance was cut off (the rest comes in the
            # next one) or left unpunctuated; an ellipsis does not make a cut phrase
            # ("wait before the") read as a finished sentence.
            working += "..."
        working += " " + " ".join(change.after for change in explanations)
    restored = unmask(working, masked) if masked.spans else working
    changes = tuple(
        [edit.change for edit in accepted] + split_changes + explanations
    )
    if restored is None or not _all_present(restored, preserved):
        return Rewrite(text, text, (), preserved, read_back)
    if restored.strip() == text.strip():
        return Rewrite(text, text, (), preserved, read_back)
    return Rewrite(text, restored, changes, preserved, read_back)


def _all_present(text: str, preserved: Sequence[str]) -> bool:
    for item in set(preserved):
        if text.count(item) < preserved.count(item):
            return False
    return True
