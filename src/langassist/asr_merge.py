"""Join Whisper segments that continue each other into one utterance.

Whisper cuts its output at timestamp tokens, not at sentence ends: a 12 s agent turn can
come out as "... wait for the light to go solid green before the" (0.72-12.80 s) and
"DHCP lease renews." (12.80-13.36 s). Each segment would then be its own utterance, so
the difficulty of the turn, its rewrite and its subtitle cue would be judged on half a
sentence. A segment that does not end a sentence (``.``, ``?``, ``!``, ``。`` ...; a
trailing ``...`` is a thought left open) is joined with the next one of the same track
when that one starts within ``max_gap_s`` seconds, is decoded in the same language, and
the joined utterance lasts at most ``max_duration_s`` seconds. A word or two that
Whisper wrote again at the start of the next segment ("before the" + "the HCP-0.") is
dropped from the join (a known Whisper artifact at segment boundaries). The live path already
gives one final per turn (the endpoint decides), so this makes the offline transcript
agree with it.

Runs after the hallucination guards (:mod:`langassist.asr_guards`): a dropped segment is
never joined to anything.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from langassist.asr_guards import compression_ratio
from langassist.backends.base import Segment
from langassist.events import LanguageDistribution
from langassist.streaming.buffer import is_sentence_end

__all__ = ["MergeOptions", "merge_continuations"]

_REPEAT_GAP_S = 0.3


@dataclass(frozen=True, slots=True)
class MergeOptions:
    """When consecutive segments become one utterance (``asr.merge_*`` settings).

    Attributes:
        max_gap_s: the most silence between the end of one segment and the start of
            the next for them to be joined; ``None`` keeps every segment apart.
        max_duration_s: the longest a joined utterance may be, so a language written
            without sentence punctuation (Thai) does not become one endless utterance.
    """

    max_gap_s: float | None = 0.5
    max_duration_s: float = 30.0


def merge_continuations(
    segments: Sequence[Segment], options: MergeOptions | None = None
) -> list[Segment]:
    """``segments`` (in time order, one track) with continuations joined."""
    options = options or MergeOptions()
    if options.max_gap_s is None:
        return list(segments)
    merged: list[Segment] = []
    for segment in segments:
        if merged and _continues(merged[-1], segment, options):
            merged[-1] = _join(merged[-1], segment)
        else:
            merged.append(segment)
    return merged


def _continues(previous: Segment, segment: Segment, options: MergeOptions) -> bool:
    text = previous.text.strip()
    if not text or not segment.text.strip() or is_sentence_end(text):
        return False
    assert options.max_gap_s is not None
    if segment.start_s - previous.end_s > options.max_gap_s:
        return False
    if segment.end_s - previous.start_s > options.max_duration_s:
        return False
    before, after = previous.language, segment.language
    return before is None or after is None or before.top == after.top


def _join(first: Segment, second: Segment) -> Segment:
    second = _without_boundary_repeat(first, second)
    left, right = first.text.rstrip(), second.text.strip()
    separator = "" if _unspaced(left[-1]) and _unspaced(right[0]) else " "
    text = left + separator + right
    return Segment(
        start_s=first.start_s,
        end_s=max(first.end_s, second.end_s),
        text=text,
        words=first.words + second.words,
        avg_logprob=_weighted(
            first.avg_logprob, max(1, len(first.words)),
            second.avg_logprob, max(1, len(second.words)),
        ),
        no_speech_prob=_lowest(first.no_speech_prob, second.no_speech_prob),
        compression_ratio=compression_ratio(text.strip()),
        temperature=_highest(first.temperature, second.temperature),
        language=_mixed_language(first, second),
    )


def _key(text: str) -> str:
    return "".join(character for character in text.casefold() if character.isalnum())


def _without_boundary_repeat(first: Segment, second: Segment) -> Segment:
    """``second`` less the words that repeat the end of ``first`` right where it stops.

    Whisper often writes the last word or two of a segment again at the start of the
    next one (the timestamp went in before the word ended): "before the" + "the HCP-0."
    Up to three words are dropped, when they match case- and punctuation-blind, the
    repeat starts within ``_REPEAT_GAP_S`` of the first copy's end, and the words are
    whitespace tokens of the text (not for scripts written without spaces).
    """
    tokens = second.text.split()
    for size in (3, 2, 1):
        if len(first.words) < size or len(second.words) <= size or len(tokens) <= size:
            continue
        before, after = first.words[-size:], second.words[:size]
        keys = [_key(word.text) for word in before]
        if not all(keys) or keys != [_key(word.text) for word in after]:
            continue
        if keys != [_key(token) for token in tokens[:size]]:
            continue
        if after[0].start_s - before[-1].end_s > _REPEAT_GAP_S:
            continue
        words = second.words[size:]
        return dataclasses.replace(
            second, start_s=words[0].start_s, text=" " + " ".join(tokens[size:]), words=words
        )
    return second


def _unspaced(character: str) -> bool:
    """Whether ``character`` belongs to a script written without spaces between words."""
    name = unicodedata.name(character, "")
    return name.startswith((
        "CJK", "HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA", "THAI", "LAO", "KHMER",
        "MYANMAR", "TIBETAN", "IDEOGRAPHIC", "LEFT CORNER BRACKET", "RIGHT CORNER BRACKET",
    )) or "FULLWIDTH" in name


def _weighted(a: float | None, weight_a: int, b: float | None, weight_b: int) -> float | None:
    if a is None or b is None:
        return a if b is None else b
    return (a * weight_a + b * weight_b) / (weight_a + weight_b)


def _lowest(a: float | None, b: float | None) -> float | None:
    """The joined utterance holds speech if either part does."""
    values = [value for value in (a, b) if value is not None]
    return min(values) if values else None


def _highest(a: float | None, b: float | None) -> float | None:
    values = [value for value in (a, b) if value is not None]
    return max(values) if values else None


def _mixed_language(first: Segment, second: Segment) -> LanguageDistribution | None:
    """The parts' distributions weighted by duration (the same one when they share a window)."""
    a, b = first.language, second.language
    if a is None:
        return b
    if b is None or a == b:
        return a
    weight_a = max(0.1, first.end_s - first.start_s)
    weight_b = max(0.1, second.end_s - second.start_s)
    mixed: dict[str, float] = {}
    for distribution, weight in ((a, weight_a), (b, weight_b)):
        for code, probability in distribution.probabilities:
            mixed[code] = mixed.get(code, 0.0) + probability * weight / (weight_a + weight_b)
    return LanguageDistribution.from_mapping(mixed)
