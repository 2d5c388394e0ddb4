"""Hallucination and repetition guards applied to every transcriber's output.

Whisper writes words into silence, noise and hold music ("Thank you.", "Subtitles by
..."), and falls into repetition loops (research/reliability.md section 3). These pure
functions remove such segments and collapse loops before anything reaches a report or
the sidebar. They work on any :class:`~langassist.backends.base.Segment`, so the guards
are the same for the real engine and the scripted fake used in tests.

Rules, in order, for each segment:

1. no letters or digits at all (``"♪♪"``, ``"..."``) -> dropped;
2. ``no_speech_prob >= no_speech_threshold`` and ``avg_logprob < log_prob_threshold``
   (Whisper's own silence rule) -> dropped;
3. a phrase that never occurs in a support call (video captions, credits) -> dropped;
4. a stock filler phrase ("thank you", "bye", "you") with weak acoustic evidence
   (``no_speech_prob > 0.3`` or ``avg_logprob < -0.7`` or mean word probability < 0.5)
   -> dropped; said clearly, it is kept;
5. any run of the same 1- to 8-word n-gram repeated more than ``max_repeats`` times in a
   row is collapsed to one occurrence ("no, no, no" stays);
6. after collapsing, a compression ratio still above ``compression_ratio_threshold``
   -> dropped.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from langassist.backends.base import Segment
from langassist.events import Word

__all__ = ["GuardOptions", "GuardResult", "apply_guards", "collapse_repeats", "compression_ratio"]

_NEVER_SAID = (
    "subtitles by",
    "subtitled by",
    "captions by",
    "amara.org",
    "thanks for watching",
    "thank you for watching",
    "please subscribe",
    "like and subscribe",
    "transcribed by",
    "translated by",
    "untertitel",
    "sous-titres",
    "sous-titrage",
    "subtítulos",
    "napisy",
    "www.",
)
_FILLERS = {
    "thank you", "thank you very much", "thanks", "you", "bye", "bye bye", "okay", "ok",
    "so", "uh", "um", "hmm", "oh", "gracias", "danke", "merci", "dziękuję", "obrigado",
}
_WORD_RE = re.compile(r"[\w']+", re.UNICODE)
_HAS_CONTENT = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True, slots=True)
class GuardOptions:
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    max_repeats: int = 3


@dataclass(frozen=True, slots=True)
class GuardResult:
    segments: tuple[Segment, ...]
    notes: tuple[str, ...]


def compression_ratio(text: str) -> float:
    """Whisper's gzip compression ratio of ``text`` (high means repetitive)."""
    data = text.encode("utf-8")
    if not data:
        return 0.0
    return len(data) / len(zlib.compress(data))


def _normalize(text: str) -> str:
    return " ".join(_WORD_RE.findall(text.lower()))


def collapse_repeats(tokens: Sequence[str], max_repeats: int = 3, max_n: int = 8) -> list[int]:
    """Indices of ``tokens`` to keep after collapsing n-gram loops.

    A run of the same n-gram repeated more than ``max_repeats`` times consecutively is
    reduced to its first occurrence. Tokens are compared case- and punctuation-blind.
    """
    keys = [_normalize(token) for token in tokens]
    keep = list(range(len(tokens)))
    changed = True
    while changed:
        changed = False
        current = [keys[i] for i in keep]
        for n in range(1, max_n + 1):
            index = 0
            while index + n <= len(current):
                gram = current[index:index + n]
                if not any(gram):
                    index += 1
                    continue
                repeats = 1
                while current[index + repeats * n:index + (repeats + 1) * n] == gram:
                    repeats += 1
                if repeats > max_repeats:
                    del keep[index + n:index + repeats * n]
                    changed = True
                    break
                index += 1
            if changed:
                break
    return keep


def _mean_word_probability(words: Iterable[Word]) -> float | None:
    values = [word.probability for word in words]
    return sum(values) / len(values) if values else None


def _guard_one(segment: Segment, options: GuardOptions) -> tuple[Segment | None, str | None]:
    text = segment.text.strip()
    where = f"{segment.start_s:.2f}-{segment.end_s:.2f} s"
    if not _HAS_CONTENT.search(text):
        return None, f"dropped non-speech segment at {where}: {text!r}"
    no_speech = segment.no_speech_prob or 0.0
    logprob = segment.avg_logprob if segment.avg_logprob is not None else 0.0
    if no_speech >= options.no_speech_threshold and logprob < options.log_prob_threshold:
        return None, f"dropped silent segment at {where} (no_speech_prob {no_speech:.2f})"
    normalized = _normalize(text)
    lowered = text.lower()
    if any(phrase in lowered for phrase in _NEVER_SAID):
        return None, f"dropped caption-like hallucination at {where}: {text!r}"
    word_probability = _mean_word_probability(segment.words)
    weak = no_speech > 0.3 or logprob < -0.7 or (word_probability is not None and word_probability < 0.5)
    if normalized in _FILLERS and weak:
        return None, f"dropped low-confidence filler at {where}: {text!r}"
    # Collapse repetition loops, on words when we have them so timestamps stay right.
    if segment.words:
        keep = collapse_repeats([word.text for word in segment.words], options.max_repeats)
        if len(keep) < len(segment.words):
            words = tuple(segment.words[i] for i in keep)
            segment = dataclasses.replace(
                segment, words=words, text=" ".join(word.text for word in words)
            )
    else:
        tokens = text.split()
        keep = collapse_repeats(tokens, options.max_repeats)
        if len(keep) < len(tokens):
            segment = dataclasses.replace(segment, text=" ".join(tokens[i] for i in keep))
    note = None
    if segment.text.strip() != text:
        note = f"collapsed a repetition loop at {where}"
    if compression_ratio(segment.text) > options.compression_ratio_threshold:
        return None, f"dropped repetitive segment at {where} (compression ratio)"
    return segment, note


def apply_guards(segments: Iterable[Segment], options: GuardOptions | None = None) -> GuardResult:
    """Drop hallucinated segments and collapse repetition loops (see module docstring)."""
    options = options or GuardOptions()
    kept: list[Segment] = []
    notes: list[str] = []
    for segment in segments:
        result, note = _guard_one(segment, options)
        if note:
            notes.append(note)
        if result is not None:
            kept.append(result)
    # A loop can also span segments: the same text emitted over and over.
    deduplicated: list[Segment] = []
    run = 0
    for segment in kept:
        if deduplicated and _normalize(segment.text) == _normalize(deduplicated[-1].text):
            run += 1
            if run >= options.max_repeats and len(segment.text.split()) >= 3:
                notes.append(f"dropped repeated segment at {segment.start_s:.2f} s")
                continue
        else:
            run = 0
        deduplicated.append(segment)
    return GuardResult(tuple(deduplicated), tuple(notes))
