"""faster-whisper (CTranslate2) transcriber.

The model is always loaded from a local directory (a catalog path); a model *name*
would make faster-whisper go to the hub. Audio is cut at VAD pauses into windows of at
most ``MAX_WINDOW_S`` seconds; each window is decoded on its own, so every utterance
gets the spoken-language distribution of its own window (multilingual models), memory
stays bounded on long calls, and a per-window time budget caps re-decoding work
(temperature fallback loops).

Results are fully materialized here: faster-whisper's segments are a lazy generator,
and the work happens while iterating it, so the budget wraps the iteration.

Two options make transcription cheaper: ``encode_once`` (on by default) runs the encoder
once per window for both the language evidence and the decoding, and ``pack_windows``
(off by default, on in the audit pipeline) decodes several VAD windows of a track as one Whisper
input (Whisper's encoder costs the same for 5 s of speech as for 30 s, and each side of
a two-party call is silent about half the time).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from langassist.backends.base import LanguageIdentifier, Segment, Transcription
from langassist.errors import BackendError, BackendUnavailable
from langassist.events import LanguageDistribution, Word

__all__ = [
    "DecodeOptions",
    "FasterWhisperTranscriber",
    "fitted_frames",
    "pack_windows",
    "plan_windows",
    "seed_sampling",
    "split_at_timestamps",
]

logger = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 16000
MAX_WINDOW_S = 28.0
MAX_GAP_S = 2.0
WHISPER_INPUT_S = 30.0
MIN_BUDGET_S = 3.0
MAX_TOKENS_PER_S = 8.0
"""Fitted decodes stop after this many tokens per second of audio (plus ``MIN_TOKENS``):
speech is 2-5 tokens a second, a repetition loop runs on to Whisper's 448."""
MIN_TOKENS = 16
PACK_GAP_S = 0.3
"""Silence put between two packed windows (Whisper ends a segment at a pause)."""
SQUEEZED_WORD_S = 0.06
"""A repeated phrase whose words average less than this is Whisper looping, not speech."""
TAIL_REDECODE_S = 1.0
"""``one_pass``: a window is decoded again from its last word when at least this much
of its speech comes after that word."""
MAX_TAIL_PASSES = 2
TAIL_PAD_S = 4.0
"""A tail pass's encoder input: the tail plus this much padding (at least
``encoder_min_s``), not 30 s: tails are a few seconds."""
FIRST_PASS_STEP_S = 5.0
"""``one_pass_pad_s``: a first pass's input length is rounded up to a multiple of this, so
that windows of similar length share a batch (the input depends on the window alone)."""
SWITCH_TEXT_P = 0.5
"""``pack_windows``: a packed window whose text reads as another language than the
pack's with at least this probability (text language ID) is decoded again alone."""
UNSURE_WORD_P = 0.5
"""``segment_language_check``: a segment whose words' mean probability is below this is
unsure, and its language is detected again on its own audio."""
UNSURE_MIN_WORDS = 3
UNSURE_MIN_S = 1.0
"""Shorter or fewer-word segments are not checked (too little audio to detect a language)."""
SEGMENT_SWITCH_P = 0.5
"""An unsure segment is decoded again in the language detected on its own audio when that
language differs from its window's and has at least this probability."""
SEGMENT_SWITCH_GAIN = 0.15
"""The new transcript replaces the segment only when its words' mean probability is at
least this much higher."""
SEGMENT_PAD_S = 0.2
"""The audio decoded again starts this long before the segment's first word..."""
SEGMENT_TAIL_S = 1.0
"""...and ends at the next segment, at most this long after the segment's end."""
UNHEARD_SPEECH_S = 1.5
"""A stretch of VAD speech inside a decoded window that no segment covers, of at least
this many seconds, is decoded again alone (Whisper can skip speech mid-window: a Spanish
turn 1 s after an English one, in a window decoded in English, left out entirely)."""
ENCODER_FRAMES_PER_S = 50
"""Whisper's encoder output frames per second of input (two 10 ms mel frames each)."""
SPAN_MIN_S = 1.5
"""``span_language_check``: VAD speech spans at least this long are read for their
language, when an input holds two or more of them."""
SPAN_BATCH = 8
"""Span language reads run in batches of at most this many spans."""
SPAN_SCREEN_P = 0.3
"""A span whose language read from the input's encoder output is another language than
the input was decoded in, with at least this probability, has its language detected
again on its own audio..."""
SPAN_SWITCH_P = 0.5
"""...and is decoded again alone when that detection gives another language at least
this probability..."""
SPAN_SWITCH_GAIN = 0.0
"""...and the new words replace the old only when their mean probability is at least
this much higher (accented English that its own detection calls another language
decodes into less probable words)..."""
SPAN_SWITCH_MIN_P = 0.5
"""...and their mean probability is at least this (a garbled accented turn decoded again
as another garble gains a little and stays improbable: 0.32 -> 0.33 on one such turn,
against 0.80-0.92 for real turns in another language decoded alone)."""
SPAN_TRANSLATED_P = 0.8
"""A span that reads as the language it was decoded in, whose words read as another
language (Whisper wrote a translation despite the language token), is decoded again
alone in its language when the read, its own detection and the text language ID all
give at least this probability, and the new words read as that language."""
SPAN_TRANSLATED_MIN_WORDS = 4
"""...and the words over the span are at least this many (shorter texts are too little
evidence of their language)."""
UNHEARD_SLACK_S = 0.5
"""A segment is taken to cover this much speech either side of its timestamps (they are
not exact), so slivers at its edges are never decoded again."""
UNHEARD_PAD_S = 0.2
"""The audio of an unheard stretch is decoded with up to this much more of its
surroundings (never reaching into a segment)."""


def seed_sampling(seed: int) -> None:
    """Seed CTranslate2's sampling (the temperature fallback) for this process: see
    ``AsrSettings.seed``. Only decodes sampled after this call, on worker threads that
    have not sampled yet, follow it."""
    import ctranslate2

    ctranslate2.set_random_seed(seed)


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """The decoding options the transcriber uses (mirrors ``AsrSettings``)."""

    beam_size: int = 1
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4)
    word_timestamps: bool = True
    condition_on_previous_text: bool = False
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    hallucination_silence_threshold_s: float | None = 2.0
    vad_filter: bool = True
    vad_min_silence_ms: int = 500
    vad_speech_pad_ms: int = 200
    vad_window_context_s: float = 1.0
    max_decode_factor: float = 3.0
    detect_language: bool = True
    candidate_languages: tuple[str, ...] = ()
    """When set and no language is forced, each window is decoded in the most probable
    of these languages (the full distribution is still recorded as evidence)."""
    encoder_pad_s: float | None = None
    """``None``: Whisper's way, every window's mel is padded to 30 s (the encoder cost is
    the same for 1 s of audio as for 30 s). A number: the mel is padded only this far
    past the audio (to at least ``encoder_min_s``) and the window is decoded in one pass,
    so the encoder works on a fraction of the frames (CTranslate2 takes shorter inputs;
    with no padding at all Whisper loops, hence the margin). For short streaming buffers."""
    encoder_min_s: float = 5.0
    without_timestamps: bool = False
    """Decode text tokens only (no segment timestamps); word timestamps still come from
    the cross-attention alignment when ``word_timestamps`` is on. Fitted decodes only."""
    pack_windows: bool = False
    """Decode consecutive VAD windows of a track as one input of up to ``MAX_WINDOW_S``
    (the silence between them cut to ``PACK_GAP_S``), times mapped back to the track; a
    segment that spans two packed windows is split between them by its words. The
    windows share one language distribution, except a window decoded again alone because
    its text reads as another language (see :meth:`FasterWhisperTranscriber._decode_pack`)."""
    segment_language_check: bool = True
    """Multilingual models, language detected: a segment of a window (or pack) that
    Whisper decoded with little confidence, among others of the same decode, has its
    language detected again on its own audio; when that reads as another language, it is
    decoded again in it (see :meth:`FasterWhisperTranscriber._recheck_unsure`). Catches a
    speaker switching language within one VAD window, which one detection per window
    decodes as garble."""
    span_language_check: bool = True
    """``one_pass``, multilingual, language detected, VAD: each VAD speech span (of at
    least ``SPAN_MIN_S``) of an input holding several is read for its language from the
    input's own encoder output (the span's frames, the rest replaced by encoded silence:
    one decoder step per span, no encoder pass). A span that reads as another language
    than the input's has its language detected on its own audio, and when that confirms
    it, is decoded again alone in it, replacing the words decoded over it when the new
    ones are more probable (``SPAN_SWITCH_GAIN``, ``SPAN_SWITCH_MIN_P``). Catches a
    turn in another language that one detection per input decodes as a translation (a
    French turn packed between English ones came out as fluent English); with a
    ``text_identifier``, also a span decoded in its own language whose words are a
    translation (``SPAN_TRANSLATED_P``)."""
    skipped_speech_check: bool = True
    """With VAD: a stretch of at least ``UNHEARD_SPEECH_S`` of VAD speech, inside a window
    or pack Whisper decoded, that no segment covers is decoded again alone (with its own
    language detection when the language is not forced). Whisper can skip a whole turn:
    a Spanish sentence 1 s after an English one, decoded in English, left out."""
    encode_once: bool = True
    """Reuse the encoder output of the language detection for decoding (one encoder pass
    per window instead of two on multilingual models)."""
    one_pass: bool = True
    """Decode each window in one encoder pass, keeping its unfinished last segment, and
    encode again only when the VAD heard at least ``TAIL_REDECODE_S`` of speech after the
    last decoded word. faster-whisper's own loop (``False``) re-encodes from the last
    complete timestamp whenever the window goes on past it, which on VAD windows (speech
    plus a second of context) is most of the time: a whole 30 s encoder pass for a tail
    of silence."""
    pack_max_s: float = MAX_WINDOW_S
    """``pack_windows``: the most speech (with the silence joining it) in one pack."""
    one_pass_pad_s: float | None = 8.0
    """``one_pass``: ``None``, each window's first pass gets Whisper's full 30 s input. A
    number: the input is the window plus at least this much padding (rounded up to a
    multiple of ``FIRST_PASS_STEP_S``, at least ``encoder_min_s``): with packs of about
    15 s, Whisper decodes a pack whole in one pass, where on a 30 s input of packed speech
    it often stops half-way and the rest needs a second encoder pass. The language
    distribution comes from the same pass."""
    batch_size: int = 1
    """``one_pass``: the first passes of up to this many windows (across all the audio
    given to :meth:`FasterWhisperTranscriber.transcribe_many`, e.g. both channels of a
    call) are generated as one batch. The encoder runs window by window as before (its
    cost is per frame either way); the decoder's step costs little more for 8 sequences
    than for one. Greedy windows whose result passes the fallback thresholds keep the
    batch's result; the others are decoded again alone, exactly as without batching."""
    second_language_below: float | None = None
    """``one_pass``, multilingual models, no forced language: when the language a window
    is decoded in has probability below this, the window is decoded again (same encoder
    output) in the next most probable language (among ``candidate_languages`` when set)
    and the transcript with the higher average log-probability is kept. Whisper labels
    some accented English as another language (in speech-en-accented, a minute of
    French-accented English as Welsh), and the transcript in that language is useless.
    ``None`` (the default): off. Off by default because it can also go the wrong way: in
    one test run, a channel holding accented English and then Spanish ("No entiendo.
    ¿Habla español?") was decoded all in English, and the Spanish words were lost."""


def plan_windows(
    speech: list[tuple[int, int]],
    *,
    total_samples: int,
    max_window_s: float = MAX_WINDOW_S,
    max_gap_s: float = MAX_GAP_S,
    context_s: float = 0.0,
    sample_rate_hz: int = SAMPLE_RATE_HZ,
) -> list[tuple[int, int]]:
    """Group VAD speech spans (sample indices) into decode windows.

    Spans closer than ``max_gap_s`` are merged while the window stays under
    ``max_window_s``; a span longer than the window is cut into equal pieces. Each
    window is then widened by up to ``context_s`` of the audio around it (never past
    the middle of the gap to its neighbour, never beyond Whisper's 30 s input), so the
    model hears the same lead-in and tail it would without VAD: trimming speech to the
    VAD's edges changes what Whisper decodes, and costs accuracy on short clips.
    """
    max_window = int(max_window_s * sample_rate_hz)
    max_gap = int(max_gap_s * sample_rate_hz)
    pieces: list[tuple[int, int]] = []
    for start, end in speech:
        start, end = max(0, start), min(total_samples, end)
        if end <= start:
            continue
        length = end - start
        count = max(1, -(-length // max_window))
        step = -(-length // count)
        for index in range(count):
            piece_start = start + index * step
            pieces.append((piece_start, min(end, piece_start + step)))
    windows: list[tuple[int, int]] = []
    for start, end in pieces:
        if windows:
            window_start, window_end = windows[-1]
            if start - window_end <= max_gap and end - window_start <= max_window:
                windows[-1] = (window_start, end)
                continue
        windows.append((start, end))
    if context_s > 0.0 and windows:
        windows = _widen(windows, total_samples, context_s, sample_rate_hz)
    return windows


def _widen(
    windows: list[tuple[int, int]], total_samples: int, context_s: float, sample_rate_hz: int
) -> list[tuple[int, int]]:
    limit = int(WHISPER_INPUT_S * sample_rate_hz)
    context = int(context_s * sample_rate_hz)
    widened: list[tuple[int, int]] = []
    for index, (start, end) in enumerate(windows):
        floor = 0 if index == 0 else (windows[index - 1][1] + start) // 2
        ceiling = total_samples if index == len(windows) - 1 else (end + windows[index + 1][0]) // 2
        spare = max(0, limit - (end - start))
        before = min(context, start - floor, spare // 2)
        after = min(context, ceiling - end, spare - before)
        widened.append((start - before, end + after))
    return widened


def pack_windows(
    windows: list[tuple[int, int]],
    *,
    max_window_s: float = MAX_WINDOW_S,
    gap_s: float | None = None,
    sample_rate_hz: int = SAMPLE_RATE_HZ,
) -> list[list[tuple[int, int]]]:
    """Group consecutive decode windows into packs whose speech, joined with ``gap_s``
    (default ``PACK_GAP_S``) of silence, stays within ``max_window_s`` (a longer window
    stays alone)."""
    limit = int(max_window_s * sample_rate_hz)
    gap = int((PACK_GAP_S if gap_s is None else gap_s) * sample_rate_hz)
    packs: list[list[tuple[int, int]]] = []
    length = 0
    for start, end in windows:
        size = end - start
        if packs and length + gap + size <= limit:
            packs[-1].append((start, end))
            length += gap + size
        else:
            packs.append([(start, end)])
            length = size
    return packs


@dataclass(frozen=True, slots=True)
class _Piece:
    """Where one packed window sits in the joined input and in the track (seconds)."""

    packed_start_s: float
    packed_end_s: float
    track_start_s: float

    def to_track(self, packed_s: float) -> float:
        clamped = min(max(packed_s, self.packed_start_s), self.packed_end_s)
        return round(self.track_start_s + clamped - self.packed_start_s, 3)


def _join(audio: np.ndarray, pack: list[tuple[int, int]], offset_s: float) -> tuple[np.ndarray, list[_Piece]]:
    """The pack's windows joined with ``PACK_GAP_S`` of silence, and where each one went."""
    gap = np.zeros(int(PACK_GAP_S * SAMPLE_RATE_HZ), dtype=np.float32)
    parts: list[np.ndarray] = []
    pieces: list[_Piece] = []
    position = 0
    for index, (start, end) in enumerate(pack):
        if index:
            parts.append(gap)
            position += gap.size
        parts.append(audio[start:end])
        pieces.append(_Piece(position / SAMPLE_RATE_HZ, (position + end - start) / SAMPLE_RATE_HZ,
                             offset_s + start / SAMPLE_RATE_HZ))
        position += end - start
    return np.concatenate(parts), pieces


def repeated_phrase(tokens: list[str], min_words: int = 3) -> str | None:
    """The longest phrase of at least ``min_words`` words said twice in a row in
    ``tokens`` (case and punctuation ignored), or ``None``."""
    found = _repeat(_keys(tokens), min_words)
    return None if found is None else " ".join(_keys(tokens)[found[0]:found[0] + found[1]])


def _keys(tokens: list[str]) -> list[str]:
    return [re.sub(r"[^\w']+", "", token.lower()) for token in tokens]


def _repeat(keys: list[str], min_words: int, start: int = 0) -> tuple[int, int] | None:
    """(first index, length) of the longest phrase said twice in a row from ``start``."""
    for size in range((len(keys) - start) // 2, min_words - 1, -1):
        for first in range(start, len(keys) - 2 * size + 1):
            if keys[first:first + size] == keys[first + size:first + 2 * size]:
                return first, size
    return None


def drop_squeezed_repeats(
    segments: list[Segment], *, min_words: int = 2, max_word_s: float = SQUEEZED_WORD_S
) -> tuple[list[Segment], int]:
    """Drop the second copy of a phrase said twice in a row when its words are squeezed
    into almost no time (under ``max_word_s`` a word on average): Whisper looping on a
    short, padded input aligns the loop's words to the end of the audio, where a speaker
    who really repeats themselves takes the time to say it. Returns the segments and how
    many words were dropped."""
    words = [word for segment in segments for word in segment.words]
    if len(words) < 2 * min_words:
        return segments, 0
    alive = list(range(len(words)))
    all_keys = _keys([word.text for word in words])
    start = 0
    while (found := _repeat([all_keys[index] for index in alive], min_words, start)) is not None:
        first, size = found
        copy = [words[index] for index in alive[first + size:first + 2 * size]]
        if copy[-1].end_s - copy[0].start_s < max_word_s * size:
            del alive[first + size:first + 2 * size]  # and look again: loops repeat many times
            start = 0
        else:
            start = first + 1
    drop = set(range(len(words))) - set(alive)
    if not drop:
        return segments, 0
    kept: list[Segment] = []
    index = 0
    for segment in segments:
        chosen = []
        for word in segment.words:
            if index not in drop:
                chosen.append(word)
            index += 1
        if not segment.words:
            kept.append(segment)
        elif chosen:
            kept.append(dataclasses.replace(
                segment, words=tuple(chosen), text=" ".join(word.text for word in chosen),
                start_s=chosen[0].start_s, end_s=chosen[-1].end_s,
            ))
    return kept, len(drop)


def _tokens(segment: Segment) -> list[str]:
    return [word.text for word in segment.words] if segment.words else segment.text.split()


def _silent_tail_s(window: tuple[int, int], speech: list[tuple[int, int]] | None) -> float:
    """Seconds at the end of ``window`` after its last VAD speech (0 without spans)."""
    if not speech:
        return 0.0
    start, end = window
    ends = [min(span_end, end) for span_start, span_end in speech if span_start < end and span_end > start]
    return (end - max(ends)) / SAMPLE_RATE_HZ if ends else 0.0


def _piece_of(pieces: list[_Piece], start_s: float, end_s: float) -> int:
    """The piece holding the middle of ``start_s..end_s`` (the nearest one in a gap)."""
    middle = 0.5 * (start_s + end_s)

    def distance(piece: _Piece) -> float:
        return max(piece.packed_start_s - middle, 0.0, middle - piece.packed_end_s)

    return min(range(len(pieces)), key=lambda index: distance(pieces[index]))


def _unpack(segments: list[Segment], pieces: list[_Piece]) -> list[Segment]:
    """Segments decoded from a packed input (times in the input) in track time, split
    where a segment's words fall in different pieces."""
    out: list[Segment] = []
    for segment in segments:
        if not segment.words:
            piece = pieces[_piece_of(pieces, segment.start_s, segment.end_s)]
            out.append(dataclasses.replace(
                segment, start_s=piece.to_track(segment.start_s), end_s=piece.to_track(segment.end_s)
            ))
            continue
        groups: list[tuple[int, list[Word]]] = []
        for word in segment.words:
            index = _piece_of(pieces, word.start_s, word.end_s)
            piece = pieces[index]
            mapped = dataclasses.replace(
                word, start_s=piece.to_track(word.start_s), end_s=piece.to_track(word.end_s)
            )
            if groups and groups[-1][0] == index:
                groups[-1][1].append(mapped)
            else:
                groups.append((index, [mapped]))
        for _, words in groups:
            text = segment.text if len(groups) == 1 else " ".join(word.text for word in words)
            out.append(dataclasses.replace(
                segment, start_s=words[0].start_s, end_s=words[-1].end_s, text=text, words=tuple(words)
            ))
    return out


def _owner_of(spans: list[tuple[float, float]], segment: Segment) -> int:
    """The window (track-time span) holding the middle of ``segment``, else the nearest."""
    middle = (segment.start_s + segment.end_s) / 2.0
    return min(range(len(spans)), key=lambda i: 0.0 if spans[i][0] <= middle <= spans[i][1]
               else min(abs(middle - spans[i][0]), abs(middle - spans[i][1])))


def switched_windows(texts: Sequence[str], language: str | None, identifier: Any) -> set[int]:
    """Indices of the texts (one per packed window) that read as another language than
    ``language``, the one their pack was decoded in: the text identifier's top language
    is another one with probability >= ``SWITCH_TEXT_P``, or (with an ``analyze`` method,
    as the ensemble has) a span of the text is in another language."""
    out: set[int] = set()
    if language is None:
        return out
    analyze = getattr(identifier, "analyze", None)
    for index, text in enumerate(texts):
        if not text.strip():
            continue
        if analyze is not None:
            result = analyze(text)
            distribution, spans = result.distribution, tuple(result.spans)
        else:
            distribution, spans = identifier.identify(text), ()
        other_top = (distribution.top is not None and distribution.top != language
                     and distribution.top_probability >= SWITCH_TEXT_P)
        if other_top or any(span[2] != language for span in spans):
            out.add(index)
    return out


def _unheard(
    pack: list[tuple[int, int]], segments: list[Segment], offset_s: float, min_speech_s: float = 0.5
) -> list[tuple[int, int]]:
    """The pack's windows (of at least ``min_speech_s``) that no decoded segment overlaps."""
    missing = []
    for start, end in pack:
        start_s, end_s = offset_s + start / SAMPLE_RATE_HZ, offset_s + end / SAMPLE_RATE_HZ
        if end_s - start_s < min_speech_s:
            continue
        if not any(segment.start_s < end_s and segment.end_s > start_s for segment in segments):
            missing.append((start, end))
    return missing


def _speech_in_input(
    pack: list[tuple[int, int]], speech: list[tuple[int, int]], min_s: float = SPAN_MIN_S
) -> list[tuple[float, float, int, int]]:
    """The VAD speech spans of at least ``min_s`` in the input a pack is decoded from:
    ``(start_s, end_s)`` in that input (its windows joined with ``PACK_GAP_S``, see
    :func:`_join`) and ``(start, end)`` in the audio; none unless there are two or more
    (one span's language is the input's own)."""
    gap = int(PACK_GAP_S * SAMPLE_RATE_HZ) if len(pack) > 1 else 0
    found: list[tuple[float, float, int, int]] = []
    position = 0
    for window_start, window_end in pack:
        for span_start, span_end in speech:
            start, end = max(span_start, window_start), min(span_end, window_end)
            if end - start >= min_s * SAMPLE_RATE_HZ:
                found.append(((position + start - window_start) / SAMPLE_RATE_HZ,
                              (position + end - window_start) / SAMPLE_RATE_HZ, start, end))
        position += window_end - window_start + gap
    return found if len(found) > 1 else []


def _without_span(segments: list[Segment], start_s: float, end_s: float) -> list[Segment]:
    """``segments`` without the words whose middle falls in ``start_s..end_s`` (a segment
    losing words in its middle is split in two; one without words goes by its middle)."""
    out: list[Segment] = []
    for segment in segments:
        if not segment.words:
            if not start_s <= 0.5 * (segment.start_s + segment.end_s) <= end_s:
                out.append(segment)
            continue
        inside = [start_s <= 0.5 * (word.start_s + word.end_s) <= end_s for word in segment.words]
        if not any(inside):
            out.append(segment)
            continue
        group: list[Word] = []
        for word, drop in zip(segment.words, inside, strict=True):
            if not drop:
                group.append(word)
                continue
            if group:
                out.append(_from_words(segment, group))
                group = []
        if group:
            out.append(_from_words(segment, group))
    return out


def _from_words(segment: Segment, words: list[Word]) -> Segment:
    return dataclasses.replace(segment, start_s=words[0].start_s, end_s=words[-1].end_s,
                               text=" ".join(word.text.strip() for word in words), words=tuple(words))


def _unheard_speech(
    pack: list[tuple[int, int]],
    speech: list[tuple[int, int]],
    segments: list[Segment],
    offset_s: float,
    min_speech_s: float = UNHEARD_SPEECH_S,
    max_gap_s: float = MAX_GAP_S,
    slack_s: float = UNHEARD_SLACK_S,
    pad_s: float = UNHEARD_PAD_S,
) -> list[tuple[int, int]]:
    """Stretches of the pack's VAD ``speech`` (sample spans) that no segment covers, in
    the windows some segment was decoded in (a window with none is :func:`_unheard`'s,
    or silence to Whisper), as inputs to decode again: uncovered speech within
    ``max_gap_s`` of more uncovered speech, with no segment in between, is one stretch;
    stretches holding at least ``min_speech_s`` of speech are kept. A segment covers
    ``slack_s`` more either side of its times; a stretch is decoded with ``slack_s +
    pad_s`` of its surroundings, never reaching into a segment or out of its window."""
    segment_spans = sorted((int(round((segment.start_s - offset_s) * SAMPLE_RATE_HZ)),
                            int(round((segment.end_s - offset_s) * SAMPLE_RATE_HZ))) for segment in segments)
    slack = int(slack_s * SAMPLE_RATE_HZ)
    covered = [(start - slack, end + slack) for start, end in segment_spans]
    pieces: list[tuple[int, int, int, int]] = []  # uncovered start, end, and the window's bounds
    for window_start, window_end in pack:
        if not any(c_start < window_end and c_end > window_start for c_start, c_end in covered):
            continue
        for span_start, span_end in speech:
            start, end = max(span_start, window_start), min(span_end, window_end)
            for cover_start, cover_end in covered:
                if end <= start:
                    break
                if cover_end <= start or cover_start >= end:
                    continue
                if cover_start > start:
                    pieces.append((start, cover_start, window_start, window_end))
                start = max(start, cover_end)
            if end > start:
                pieces.append((start, end, window_start, window_end))
    pieces.sort()
    max_gap = int(max_gap_s * SAMPLE_RATE_HZ)
    runs: list[list[int]] = []  # [start, end, speech samples, window start, window end]
    for start, end, window_start, window_end in pieces:
        if runs:
            run = runs[-1]
            joined = (run[3] == window_start and start - run[1] <= max_gap
                      and not any(c_start < start and c_end > run[1] for c_start, c_end in covered))
            if joined:
                run[1], run[2] = end, run[2] + end - start
                continue
        runs.append([start, end, end - start, window_start, window_end])
    pad = slack + int(pad_s * SAMPLE_RATE_HZ)
    out: list[tuple[int, int]] = []
    for start, end, speech_samples, window_start, window_end in runs:
        if speech_samples < min_speech_s * SAMPLE_RATE_HZ:
            continue
        before = max([window_start, start - pad, *(s_end for s_start, s_end in segment_spans if s_end <= start)])
        after = min([window_end, end + pad, *(s_start for s_start, s_end in segment_spans if s_start >= end)])
        out.append((before, after))
    return out


def _window_of(
    audio: np.ndarray, pack: list[tuple[int, int]], offset_s: float
) -> tuple[np.ndarray, float]:
    """The input a pack is decoded from and the offset of its decode (a joined pack is
    decoded at 0 and mapped back by :func:`_unpack`)."""
    if len(pack) == 1:
        start, end = pack[0]
        return audio[start:end], offset_s + start / SAMPLE_RATE_HZ
    return _join(audio, pack, offset_s)[0], 0.0


@dataclass(slots=True)
class _Plan:
    """One piece of audio given to ``transcribe_many``: its VAD speech and packs."""

    audio: np.ndarray
    language: str | None
    speech: list[tuple[int, int]]
    packs: list[list[tuple[int, int]]]
    speech_s: float
    decode_s: float


@dataclass(frozen=True, slots=True)
class _Job:
    """One pack of one piece of audio."""

    audio_index: int
    pack: list[tuple[int, int]]
    offset_s: float
    prompt: str | None


@dataclass(frozen=True, slots=True)
class _Input:
    """One input of a ``one_pass`` decode: a window or a joined pack."""

    window: np.ndarray
    offset_s: float
    language: str | None
    prompt: str | None
    tail_s: float
    spans: tuple[tuple[float, float], ...] = ()
    """Speech spans (seconds in the input) to read the language of (``span_language_check``)."""


@dataclass(slots=True)
class _Prepared:
    """An input encoded for its first pass, ready for a batched generation."""

    entry: _Input
    frames: int
    encoded: Any
    content_frames: int
    distribution: LanguageDistribution | None
    language: str | None
    tokenizer: Any
    prompt_tokens: list[int]
    max_new_tokens: int
    span_languages: tuple[LanguageDistribution, ...] = ()


class _EncoderCache:
    """Wraps ``WhisperModel.encode`` so that the encoder output already computed for a
    window (for its language distribution) is reused when decoding that same window.
    The held output is per thread and only for the exact same features."""

    def __init__(self, encode: Any) -> None:
        self._encode = encode
        self._local = threading.local()

    def __call__(self, features: np.ndarray) -> Any:
        held = getattr(self._local, "held", None)
        if held is not None and held[0].shape == features.shape and np.array_equal(held[0], features):
            return held[1]
        return self._encode(features)

    def hold(self, features: np.ndarray, output: Any) -> None:
        """Reuse ``output`` for ``features`` in this thread until :meth:`release`."""
        self._local.held = (features, output)

    def release(self) -> None:
        self._local.held = None

    @staticmethod
    def install(model: Any) -> _EncoderCache:
        """The cache on ``model`` (installed on first use, shared by every transcriber)."""
        cache = model.__dict__.get("encode")
        if not isinstance(cache, _EncoderCache):
            cache = _EncoderCache(model.encode)
            model.encode = cache
        return cache


class FasterWhisperTranscriber:
    """:class:`~langassist.backends.base.Transcriber` over a CTranslate2 Whisper model.

    Args:
        model_dir: directory holding ``model.bin``, ``config.json`` and the tokenizer.
        name: the catalog name, recorded in outputs.
        options: decoding options.
        compute_type: CTranslate2 compute type (``int8`` on CPU).
        cpu_threads: intra-op threads.
        model: an already-loaded ``WhisperModel`` to share (the model pool passes it).
        seed: seed CTranslate2's sampling with it (:func:`seed_sampling`); ``None``
            leaves it as it is.
    """

    def __init__(
        self,
        model_dir: str | Path,
        *,
        name: str = "whisper",
        options: DecodeOptions | None = None,
        compute_type: str = "int8",
        cpu_threads: int = 2,
        model: Any | None = None,
        text_identifier: LanguageIdentifier | None = None,
        seed: int | None = None,
    ) -> None:
        if seed is not None:
            seed_sampling(seed)
        self.name = name
        self.model_dir = Path(model_dir)
        self.options = options or DecodeOptions()
        self.text_identifier = text_identifier
        """Reads the text of packed windows for a language switch (see :meth:`_decode_pack`)."""
        self.full_input_retries = 0
        """Fitted decodes done again with the full 30 s input (a repeated phrase)."""
        if model is None:
            try:
                from faster_whisper import WhisperModel
            except ModuleNotFoundError as exc:  # pragma: no cover - core dependency
                raise BackendUnavailable(
                    "the faster-whisper transcriber needs faster-whisper: pip install faster-whisper"
                ) from exc
            if not (self.model_dir / "model.bin").is_file():
                raise BackendError(f"no model.bin in {self.model_dir}: not a CTranslate2 Whisper model")
            try:
                model = WhisperModel(
                    str(self.model_dir),
                    device="cpu",
                    compute_type=compute_type,
                    cpu_threads=cpu_threads,
                    num_workers=1,
                    local_files_only=True,
                )
            except Exception as exc:  # ctranslate2 raises RuntimeError/ValueError variants
                raise BackendError(f"could not load Whisper model from {self.model_dir}: {exc}") from exc
        self._model = model
        self.multilingual = bool(getattr(model.model, "is_multilingual", False))
        self._silence: dict[int, np.ndarray] = {}
        """Encoder output of silence, per input length in mel frames (span language reads)."""

    def with_options(self, **changes: Any) -> FasterWhisperTranscriber:
        """A transcriber sharing this one's loaded model, with some decode options changed
        (the streaming stage decodes without VAD and temperature fallback)."""
        options = dataclasses.replace(self.options, **changes)
        return FasterWhisperTranscriber(self.model_dir, name=self.name, options=options, model=self._model,
                                        text_identifier=self.text_identifier)

    # -- protocol ------------------------------------------------------------------

    def detect_language(self, audio: np.ndarray) -> LanguageDistribution:
        if not self.multilingual or audio.size == 0:
            return LanguageDistribution()
        try:
            _, _, probabilities = self._model.detect_language(
                np.ascontiguousarray(audio, dtype=np.float32)
            )
        except Exception as exc:
            raise BackendError(f"language detection failed: {exc}") from exc
        return LanguageDistribution.from_mapping(probabilities)

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        language: str | None = None,
        offset_s: float = 0.0,
        prompt: str | None = None,
    ) -> Transcription:
        """Decode ``audio``; ``prompt`` (text said just before it) conditions the first window."""
        return self.transcribe_many([audio], language=language, offsets_s=[offset_s], prompts=[prompt])[0]

    def transcribe_many(
        self,
        audios: Sequence[np.ndarray],
        *,
        language: str | None = None,
        offsets_s: Sequence[float] | None = None,
        prompts: Sequence[str | None] | None = None,
        on_done: Callable[[int], None] | None = None,
    ) -> list[Transcription]:
        """Decode several pieces of audio (the blocks of a call's channels), each as
        :meth:`transcribe` would; with ``batch_size`` > 1 (and ``one_pass``) the first
        passes of their windows are generated in batches across pieces. ``on_done`` is
        called with a piece's index once it is decoded."""
        offsets = list(offsets_s) if offsets_s is not None else [0.0] * len(audios)
        texts = list(prompts) if prompts is not None else [None] * len(audios)
        if len(offsets) != len(audios) or len(texts) != len(audios):
            raise ValueError("transcribe_many: offsets_s and prompts must match audios one to one")
        plans = [self._plan(audio, language) for audio in audios]
        decoded: list[list[tuple[list[Segment], list[str]]]] = [[] for _ in plans]
        jobs = [
            _Job(index, pack, offsets[index], texts[index] if pack_index == 0 else None)
            for index, plan in enumerate(plans)
            for pack_index, pack in enumerate(plan.packs)
        ]
        remaining = [len(plan.packs) for plan in plans]
        for index, count in enumerate(remaining):
            if count == 0 and on_done is not None:
                on_done(index)
        size = max(1, self.options.batch_size) if self._one_pass() else 1
        for begin in range(0, len(jobs), size):
            group = jobs[begin:begin + size]
            started = time.perf_counter()
            if self._one_pass():
                results = self._decode_batch(group, plans)
            else:
                job = group[0]
                plan = plans[job.audio_index]
                results = [self._decode_pack(
                    plan.audio, job.pack, plan.language, job.offset_s, job.prompt, plan.speech
                )]
            share = (time.perf_counter() - started) / len(group)
            for job, result in zip(group, results, strict=True):
                decoded[job.audio_index].append(result)
                plans[job.audio_index].decode_s += share
                remaining[job.audio_index] -= 1
                if remaining[job.audio_index] == 0 and on_done is not None:
                    on_done(job.audio_index)
        out: list[Transcription] = []
        for plan, results in zip(plans, decoded, strict=True):
            segments = [segment for window_segments, _ in results for segment in window_segments]
            dropped = [note for _, notes in results for note in notes]
            out.append(Transcription(
                segments=tuple(segments),
                language=_merge_languages(segments),
                duration_s=plan.audio.size / SAMPLE_RATE_HZ,
                speech_s=plan.speech_s,
                decode_s=plan.decode_s,
                dropped=tuple(dropped),
                options=self.describe(plan.language),
            ))
        return out

    def _one_pass(self) -> bool:
        """Whether windows are decoded the ``one_pass`` way (see :meth:`_decode_inputs`)."""
        return self.options.one_pass and self.options.encoder_pad_s is None

    def _plan(self, audio: np.ndarray, language: str | None) -> _Plan:
        """VAD, windows and packs of one piece of audio."""
        started = time.perf_counter()
        audio = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        options = self.options
        if not self.multilingual:
            language = "en"
        if options.vad_filter:
            speech = self._speech_spans(audio)
        else:
            speech = [(0, audio.size)] if audio.size else []
        windows = plan_windows(speech, total_samples=audio.size, context_s=options.vad_window_context_s)
        packs = (
            pack_windows(windows, max_window_s=options.pack_max_s) if options.pack_windows
            else [[window] for window in windows]
        )
        return _Plan(
            audio=audio,
            language=language,
            speech=speech,
            packs=packs,
            speech_s=sum(end - start for start, end in speech) / SAMPLE_RATE_HZ,
            decode_s=time.perf_counter() - started,
        )

    def _decode_batch(
        self, jobs: list[_Job], plans: list[_Plan]
    ) -> list[tuple[list[Segment], list[str]]]:
        """The packs of ``jobs`` (first passes batched, see :meth:`_decode_inputs`), each
        then finished alone (packed windows the decode did not reach)."""
        inputs: list[_Input] = []
        spans_of: list[list[tuple[float, float, int, int]]] = []
        for job in jobs:
            plan = plans[job.audio_index]
            window, decode_offset_s = _window_of(plan.audio, job.pack, job.offset_s)
            spans = (_speech_in_input(job.pack, plan.speech) if self._checks_span_languages(plan.language)
                     else [])
            spans_of.append(spans)
            inputs.append(_Input(
                window=window, offset_s=decode_offset_s, language=plan.language, prompt=job.prompt,
                tail_s=_silent_tail_s(job.pack[-1], plan.speech),
                spans=tuple((start_s, end_s) for start_s, end_s, _, _ in spans),
            ))
        out: list[tuple[list[Segment], list[str]]] = []
        for job, spans, (segments, reads) in zip(jobs, spans_of, self._decode_inputs(inputs), strict=True):
            plan = plans[job.audio_index]
            out.append(self._decode_pack(
                plan.audio, job.pack, plan.language, job.offset_s, None, plan.speech, decoded=segments,
                span_languages=[(start, end, read) for (_, _, start, end), read in zip(spans, reads, strict=True)],
            ))
        return out

    def _decode_inputs(
        self, inputs: list[_Input]
    ) -> list[tuple[list[Segment], tuple[LanguageDistribution, ...]]]:
        """``one_pass`` decodes: each input's first pass (:meth:`_first_passes`), then its
        tail passes alone (:meth:`_decode_one_pass`), with the first pass's language
        distribution on every segment; and the language read for each of its spans."""
        out: list[tuple[list[Segment], tuple[LanguageDistribution, ...]]] = []
        for entry, (segments, distribution, language, reads) in zip(
            inputs, self._first_passes(inputs), strict=True
        ):
            segments = self._decode_one_pass(entry.window, language, entry.offset_s, entry.tail_s, segments)
            if distribution is not None:
                segments = [_with_language(segment, distribution) for segment in segments]
            out.append((segments, reads))
        return out

    def _first_passes(
        self, inputs: list[_Input]
    ) -> list[tuple[list[Segment], LanguageDistribution | None, str | None, tuple[LanguageDistribution, ...]]]:
        """Each input encoded once (30 s, or fitted with ``one_pass_pad_s``), its language
        distribution read from that pass, and the first passes of inputs of one shape
        generated as one batch: per input, its segments, distribution, language, and the
        language read for each of its ``spans`` (:meth:`_span_languages`)."""
        model = self._model
        pad_s = self.options.one_pass_pad_s
        items: list[_Prepared] = []
        try:
            for entry in inputs:
                if pad_s is None:
                    features, content_frames = self._fitted_input(entry.window, full_input=True, pad_s=None)
                else:
                    features, content_frames = self._fitted_input(
                        entry.window, full_input=False, pad_s=pad_s, step_s=FIRST_PASS_STEP_S
                    )
                encoded = model.encode(features)
                distribution, language = self._window_language(encoded, entry.language)
                tokenizer = self._tokenizer(language)
                prompt_tokens = self._prompt_tokens(tokenizer, entry.prompt)
                items.append(_Prepared(
                    entry=entry, frames=int(features.shape[-1]), encoded=encoded,
                    content_frames=content_frames, distribution=distribution, language=language,
                    tokenizer=tokenizer, prompt_tokens=prompt_tokens,
                    max_new_tokens=self._max_new_tokens(prompt_tokens, content_frames),
                    # spans are set only when _checks_span_languages holds (see _decode_batch)
                    span_languages=self._span_languages(encoded, int(features.shape[-1]), entry.spans),
                ))
            decode_options = self._transcription_options()
            generated: dict[int, tuple[Any, float, float, float]] = {}
            shapes: dict[tuple[int, int], list[int]] = {}
            for index, item in enumerate(items):
                shapes.setdefault((len(item.prompt_tokens), item.frames), []).append(index)
            for indices in shapes.values():
                batch = self._generate_batch([items[i] for i in indices], decode_options)
                for index, result in zip(indices, batch, strict=True):
                    generated[index] = result
            if self.multilingual and self.options.second_language_below is not None:
                for index, item in enumerate(items):
                    better = self._second_language(item, generated[index], decode_options)
                    if better is not None:
                        items[index], generated[index] = better
        except BackendError:
            raise
        except Exception as exc:
            raise BackendError(f"transcription failed (one-pass windows): {exc}") from exc
        return [
            (
                self._segments_from(
                    generated[index], tokenizer=item.tokenizer, encoder_output=item.encoded,
                    content_frames=item.content_frames, offset_s=item.entry.offset_s,
                    full_input=pad_s is None, decode_options=decode_options,
                ),
                item.distribution,
                item.language,
                item.span_languages,
            )
            for index, item in enumerate(items)
        ]

    def _second_language(
        self, item: _Prepared, result: tuple[Any, float, float, float], decode_options: Any
    ) -> tuple[_Prepared, tuple[Any, float, float, float]] | None:
        """``second_language_below``: the window decoded in its next most probable
        language, when that transcript is more probable than ``result``; else ``None``."""
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        distribution, language = item.distribution, item.language
        threshold = self.options.second_language_below
        if (item.entry.language is not None or distribution is None or language is None
                or threshold is None or distribution.probability(language) >= threshold):
            return None
        candidates = self.options.candidate_languages
        ranked = (sorted(candidates, key=distribution.probability, reverse=True) if candidates
                  else [code for code, _ in distribution.probabilities])
        second = next((code for code in ranked if code != language and code in _LANGUAGE_CODES), None)
        if second is None:
            return None
        tokenizer = self._tokenizer(second)
        prompt_tokens = self._prompt_tokens(tokenizer, item.entry.prompt)
        max_new_tokens = self._max_new_tokens(prompt_tokens, item.content_frames)
        decode_options.max_new_tokens = max_new_tokens
        decoded: tuple[Any, float, float, float] = self._model.generate_with_fallback(
            item.encoded, prompt_tokens, tokenizer, decode_options
        )
        if decoded[1] <= result[1]:
            return None
        logger.debug("window at %.2f s: %s (p=%.2f) decoded better as %s", item.entry.offset_s,
                     language, distribution.probability(language), second)
        return dataclasses.replace(
            item, language=second, tokenizer=tokenizer, prompt_tokens=prompt_tokens, max_new_tokens=max_new_tokens
        ), decoded

    def _generate_batch(
        self, items: list[_Prepared], decode_options: Any
    ) -> list[tuple[Any, float, float, float]]:
        """Greedy (or beam) generation at the first temperature for ``items`` (prompts of
        one length) in one call; an item whose result fails faster-whisper's fallback
        tests, or ran past its own token budget, is generated again alone with
        ``generate_with_fallback``, as it would have been without batching."""
        import ctranslate2
        from faster_whisper.transcribe import get_compression_ratio

        model = self._model
        options = self.options

        def alone(item: _Prepared) -> tuple[Any, float, float, float]:
            decode_options.max_new_tokens = item.max_new_tokens
            decoded: tuple[Any, float, float, float] = model.generate_with_fallback(
                item.encoded, item.prompt_tokens, item.tokenizer, decode_options
            )
            return decoded

        if len(items) == 1 or options.temperatures[0] != 0.0:  # sampling: each alone
            return [alone(item) for item in items]
        stacked = ctranslate2.StorageView.from_array(
            np.concatenate([np.asarray(item.encoded) for item in items])
        )
        results = model.model.generate(
            stacked,
            [item.prompt_tokens for item in items],
            beam_size=options.beam_size,
            patience=1.0,
            length_penalty=1.0,
            repetition_penalty=1.0,
            no_repeat_ngram_size=0,
            max_length=len(items[0].prompt_tokens) + max(item.max_new_tokens for item in items),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=[-1],
            max_initial_timestamp_index=int(round(1.0 / model.time_precision)),
        )
        out: list[tuple[Any, float, float, float]] = []
        for item, result in zip(items, results, strict=True):
            tokens = result.sequences_ids[0]
            if len(tokens) > item.max_new_tokens:
                out.append(alone(item))
                continue
            avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
            compression = get_compression_ratio(item.tokenizer.decode(tokens).strip())
            low = options.log_prob_threshold is not None and avg_logprob < options.log_prob_threshold
            needs_fallback = compression > options.compression_ratio_threshold or low
            if options.no_speech_threshold is not None and result.no_speech_prob > options.no_speech_threshold and low:
                needs_fallback = False  # silence
            out.append(alone(item) if needs_fallback else (result, avg_logprob, options.temperatures[0], compression))
        return out

    def _window_language(
        self, encoded: Any, language: str | None
    ) -> tuple[LanguageDistribution | None, str | None]:
        """A window's language distribution from its encoder output, and the language to
        decode it in (as :meth:`_decode_window` chooses it)."""
        options = self.options
        if not self.multilingual:
            return None, language or "en"
        restrict = language is None and bool(options.candidate_languages)
        distribution: LanguageDistribution | None = None
        if restrict or language is None or options.detect_language:
            distribution, top = _ranked_languages(self._model.model.detect_language(encoded)[0])
            if language is None and not restrict and top:
                language = top
        if restrict and distribution is not None and distribution.probabilities:
            language = self._decoding_language(distribution)
        return distribution, language

    # -- helpers -------------------------------------------------------------------

    def describe(self, language: str | None = None) -> dict[str, Any]:
        """The options in force, for recording in outputs."""
        options = self.options
        return {
            "model": self.name,
            "multilingual": self.multilingual,
            "language": language,
            "beam_size": options.beam_size,
            "temperatures": list(options.temperatures),
            "vad_filter": options.vad_filter,
            "condition_on_previous_text": options.condition_on_previous_text,
            "word_timestamps": options.word_timestamps,
            "max_decode_factor": options.max_decode_factor,
            "candidate_languages": list(options.candidate_languages),
            "pack_windows": options.pack_windows,
            "encode_once": options.encode_once,
            "one_pass": options.one_pass,
            "one_pass_pad_s": options.one_pass_pad_s,
            "pack_max_s": options.pack_max_s,
            "batch_size": options.batch_size,
            "second_language_below": options.second_language_below,
            "segment_language_check": options.segment_language_check,
            "span_language_check": options.span_language_check,
            "skipped_speech_check": options.skipped_speech_check,
        }

    def _speech_spans(self, audio: np.ndarray) -> list[tuple[int, int]]:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        vad = VadOptions(
            min_silence_duration_ms=self.options.vad_min_silence_ms,
            speech_pad_ms=self.options.vad_speech_pad_ms,
            min_speech_duration_ms=150,
        )
        try:
            spans = get_speech_timestamps(audio, vad)
        except Exception as exc:
            raise BackendError(f"voice activity detection failed: {exc}") from exc
        return [(int(span["start"]), int(span["end"])) for span in spans]

    def _decode_pack(
        self,
        audio: np.ndarray,
        pack: list[tuple[int, int]],
        language: str | None,
        offset_s: float,
        prompt: str | None,
        speech: list[tuple[int, int]] | None = None,
        decoded: list[Segment] | None = None,
        recheck: bool = True,
        span_languages: Sequence[tuple[int, int, LanguageDistribution]] = (),
    ) -> tuple[list[Segment], list[str]]:
        """Decode one window, or several joined into one input (``pack_windows``);
        ``decoded``: that input already decoded (a batched first pass); ``recheck``: end
        with the checks below (``False`` for the decodes within this one, whose segments
        it checks at the end); ``span_languages``: the language read for each speech span
        of the input (sample spans of ``audio``, :meth:`_decode_foreign_spans`).

        Whisper can end a joined input early, taking the rest for silence: the windows it
        did not reach are decoded again, joined again when they are several and some
        were heard, else each alone. A joined input is decoded in one language: with the
        language detected and a ``text_identifier``, a window whose text reads as another
        language (a customer switching from English to Spanish between two packed turns
        comes out as English-sounding garble) is decoded again alone, with its own
        language detection. Then, in this order: speech Whisper left out of a window it
        decoded (:meth:`_decode_unheard`), speech spans whose own language is not the one
        their words were decoded in (:meth:`_decode_foreign_spans`), and unsure segments
        (:meth:`_recheck_unsure`) are decoded again.
        """
        tail_s = _silent_tail_s(pack[-1], speech)
        # With no language given, every window's language is detected (``detect_language``
        # only adds a detection when the language is forced).
        check = language is None and self.multilingual and self.options.segment_language_check
        dropped: list[str] = []
        if len(pack) == 1:
            if decoded is None:
                start, end = pack[0]
                decoded, dropped = self._decode_window(
                    audio[start:end], language, offset_s + start / SAMPLE_RATE_HZ, prompt, tail_s
                )
            if recheck and speech and self._checks_skipped_speech():
                decoded = self._decode_unheard(audio, pack, language, offset_s, speech, decoded, dropped)
            if recheck and span_languages:
                decoded = self._decode_foreign_spans(audio, offset_s, speech, decoded, span_languages, dropped)
            if check and recheck:
                decoded = self._recheck_unsure(audio, offset_s, decoded)
            return decoded, dropped
        window, pieces = _join(audio, pack, offset_s)
        if decoded is None:
            decoded, dropped = self._decode_window(window, language, 0.0, prompt, tail_s)
        segments = _unpack(decoded, pieces)
        missed = _unheard(pack, segments, offset_s)
        if missed:
            again = [[item] for item in missed] if len(missed) == len(pack) else pack_windows(missed)
            for sub in again:
                more, more_dropped = self._decode_pack(
                    audio, sub, language, offset_s, None, speech, recheck=False
                )
                segments.extend(more)
                dropped.extend(more_dropped)
            segments.sort(key=lambda segment: segment.start_s)
        if language is None and self.multilingual and self.text_identifier is not None:
            segments = self._decode_switched(audio, pack, offset_s, speech, segments, dropped)
        if recheck and speech and self._checks_skipped_speech():
            segments = self._decode_unheard(audio, pack, language, offset_s, speech, segments, dropped)
        if recheck and span_languages:
            segments = self._decode_foreign_spans(audio, offset_s, speech, segments, span_languages, dropped)
        if check and recheck:
            segments = self._recheck_unsure(audio, offset_s, segments)
        return segments, dropped

    def _checks_span_languages(self, language: str | None) -> bool:
        """``span_language_check``: multilingual, language detected, real VAD spans."""
        options = self.options
        return options.span_language_check and options.vad_filter and self.multilingual and language is None

    def _span_languages(
        self, encoded: Any, frames: int, spans: Sequence[tuple[float, float]]
    ) -> tuple[LanguageDistribution, ...]:
        """The language of each span (seconds in the input) read from the input's encoder
        output ``encoded`` (``frames`` mel frames): the span's encoder frames kept, all
        others replaced by the encoder output of silence, and Whisper's language
        detection (one decoder step) run on each, in batches. When that fails, every span
        gets an empty distribution (nothing is decoded again) and a warning is logged."""
        if not spans:
            return ()
        import ctranslate2

        try:
            output = np.array(encoded)
            silence = self._silence.get(frames)
            if silence is None:
                from faster_whisper.audio import pad_or_trim

                extractor = self._model.feature_extractor
                quiet = extractor(np.zeros(frames * extractor.hop_length, dtype=np.float32))
                silence = np.array(self._model.encode(pad_or_trim(quiet[:, :frames], frames)))
                self._silence[frames] = silence
            length = output.shape[1]
            results: list[Any] = []
            for begin in range(0, len(spans), SPAN_BATCH):  # bounded memory: 3 MB a span at 30 s
                group = spans[begin:begin + SPAN_BATCH]
                batch = np.repeat(silence[:1], len(group), axis=0)
                for row, (start_s, end_s) in enumerate(group):
                    first = max(0, int(start_s * ENCODER_FRAMES_PER_S))
                    last = min(length, int(np.ceil(end_s * ENCODER_FRAMES_PER_S)))
                    batch[row, first:last] = output[0, first:last]
                results.extend(self._model.model.detect_language(ctranslate2.StorageView.from_array(batch)))
        except Exception as exc:  # a check, not the transcript: the decode goes on without it
            logger.warning("span language check skipped for this input: %s", exc)
            return tuple(LanguageDistribution() for _ in spans)
        return tuple(_ranked_languages(ranked)[0] for ranked in results)

    def _decode_foreign_spans(
        self,
        audio: np.ndarray,
        offset_s: float,
        speech: list[tuple[int, int]] | None,
        segments: list[Segment],
        span_languages: Sequence[tuple[int, int, LanguageDistribution]],
        dropped: list[str],
    ) -> list[Segment]:
        """``span_language_check``: ``segments`` of one input, with each speech span that
        reads as another language than the words over it were decoded in (at least
        ``SPAN_SCREEN_P``), and is detected as such on its own audio (at least
        ``SPAN_SWITCH_P``), decoded again alone in that language (with up to
        ``vad_window_context_s`` of its surroundings). Its words replace those
        whose middle lies nearer to this span than to any other VAD speech (a translation's
        word times match the audio poorly, and can fall in the silence around it), when
        their mean probability is at least ``SPAN_SWITCH_GAIN`` higher and at least
        ``SPAN_SWITCH_MIN_P``.

        With a ``text_identifier``, a span that reads as the language it was decoded in
        but whose words read as another language (Whisper wrote an English translation
        of a German turn under the German token) is decoded again alone in its language
        too, under the stricter ``SPAN_TRANSLATED_P`` conditions."""
        out = segments
        context = int(self.options.vad_window_context_s * SAMPLE_RATE_HZ)
        for start, end, read in span_languages:
            start_s, end_s = offset_s + start / SAMPLE_RATE_HZ, offset_s + end / SAMPLE_RATE_HZ
            before = max((e for _, e in speech or () if e <= start), default=None)
            after = min((b for b, _ in speech or () if b >= end), default=None)
            cell_start = -np.inf if before is None else offset_s + 0.5 * (before + start) / SAMPLE_RATE_HZ
            cell_end = np.inf if after is None else offset_s + 0.5 * (end + after) / SAMPLE_RATE_HZ
            over = next((segment.language for segment in out if segment.language
                         and start_s <= 0.5 * (segment.start_s + segment.end_s) <= end_s), None)
            if over is None or not over.probabilities:
                continue  # nothing decoded over it (the skipped-speech check's), or no evidence
            decoded_in = self._decoding_language(over)
            language = self._decoding_language(read)
            if language is None or read.probability(language) < SPAN_SCREEN_P:
                continue
            cell = (float(cell_start), float(cell_end))
            old_words = [word for segment in out for word in segment.words
                         if cell[0] <= 0.5 * (word.start_s + word.end_s) <= cell[1]]
            translated = language == decoded_in
            if translated and not self._reads_as_translation(read, language, old_words):
                continue
            # The span with up to a window's context of lead-in and tail, within its cell
            first = max(0, start - context, int(np.ceil((cell_start - offset_s) * SAMPLE_RATE_HZ))
                        if before is not None else 0)
            last = min(audio.size, end + context, int((cell_end - offset_s) * SAMPLE_RATE_HZ)
                       if after is not None else audio.size)
            piece = audio[first:last]
            own = self.detect_language(piece)
            spoken = self._decoding_language(own)
            if spoken is None:
                continue
            if translated:
                if spoken != language or own.probability(spoken) < SPAN_TRANSLATED_P:
                    continue
            elif spoken == decoded_in or own.probability(spoken) < SPAN_SWITCH_P:
                continue
            again, more_dropped = self._decode_window(piece, spoken, offset_s + first / SAMPLE_RATE_HZ)
            if not any(segment.text.strip() for segment in again):
                continue
            if translated and self._text_language(" ".join(segment.text for segment in again))[0] != spoken:
                continue  # Whisper writes the other language again: nothing gained
            before_p = _mean_word_probability(old_words)
            now_p = _mean_word_probability([word for segment in again for word in segment.words])
            logger.debug("speech at %.2f s, decoded in %s, reads as %s on its own%s (words p %s -> %s)",
                         start_s, decoded_in, spoken, " (its words were a translation)" if translated else "",
                         before_p, now_p)
            if before_p is not None and (now_p is None or now_p < before_p + SPAN_SWITCH_GAIN):
                continue
            if now_p is not None and now_p < SPAN_SWITCH_MIN_P:
                continue
            out = sorted([*_without_span(out, *cell), *(_with_language(segment, own) for segment in again)],
                         key=lambda segment: segment.start_s)
            dropped.extend(more_dropped)
        return out

    def _text_language(self, text: str) -> tuple[str | None, float]:
        """The text language ID's top language of ``text`` and its probability
        (``(None, 0.0)`` without a ``text_identifier`` or an answer)."""
        if self.text_identifier is None or not text.strip():
            return None, 0.0
        distribution = self.text_identifier.identify(text)
        return distribution.top, distribution.top_probability

    def _reads_as_translation(self, read: LanguageDistribution, language: str, words: Sequence[Word]) -> bool:
        """Whether the words over a span that reads as ``language`` (its audio, ``read``,
        at least ``SPAN_TRANSLATED_P``) read surely as another language."""
        if read.probability(language) < SPAN_TRANSLATED_P or len(words) < SPAN_TRANSLATED_MIN_WORDS:
            return False
        top, probability = self._text_language(" ".join(word.text.strip() for word in words))
        return top is not None and top != language and probability >= SPAN_TRANSLATED_P

    def _checks_skipped_speech(self) -> bool:
        """``skipped_speech_check``, which needs real VAD speech spans (without VAD the whole
        input counts as one)."""
        return self.options.skipped_speech_check and self.options.vad_filter

    def _decode_unheard(
        self,
        audio: np.ndarray,
        pack: list[tuple[int, int]],
        language: str | None,
        offset_s: float,
        speech: list[tuple[int, int]],
        segments: list[Segment],
        dropped: list[str],
    ) -> list[Segment]:
        """``segments`` of a decoded pack, with each stretch of its speech that none covers
        (:func:`_unheard_speech`) decoded again alone (its own language detection when the
        language is not forced) and added."""
        runs = _unheard_speech(pack, speech, segments, offset_s)
        if not runs:
            return segments
        found = list(segments)
        for run in runs:
            logger.debug("%.1f s of speech at %.2f s left out of the decode: decoded again alone",
                         (run[1] - run[0]) / SAMPLE_RATE_HZ, offset_s + run[0] / SAMPLE_RATE_HZ)
            more, more_dropped = self._decode_pack(audio, [run], language, offset_s, None, speech, recheck=False)
            found.extend(more)
            dropped.extend(more_dropped)
        return sorted(found, key=lambda segment: segment.start_s)

    def _decoding_language(self, distribution: LanguageDistribution) -> str | None:
        """The language a window with this (detected) distribution is decoded in: the most
        probable of ``candidate_languages`` when set, else the top language."""
        candidates = self.options.candidate_languages
        return max(candidates, key=distribution.probability) if candidates else distribution.top

    def _decode_switched(
        self,
        audio: np.ndarray,
        pack: list[tuple[int, int]],
        offset_s: float,
        speech: list[tuple[int, int]] | None,
        segments: list[Segment],
        dropped: list[str],
    ) -> list[Segment]:
        """The pack's segments, with those of each window whose text reads as another
        language than the pack's (:func:`switched_windows`) replaced by that window
        decoded alone (kept as they were when that decode finds nothing)."""
        assert self.text_identifier is not None
        distribution = next((segment.language for segment in segments if segment.language), None)
        if distribution is None or not distribution.probabilities:
            return segments
        decoded_in = self._decoding_language(distribution)
        spans = [(offset_s + start / SAMPLE_RATE_HZ, offset_s + end / SAMPLE_RATE_HZ) for start, end in pack]
        owner = [_owner_of(spans, segment) for segment in segments]
        texts = [" ".join(s.text.strip() for s, o in zip(segments, owner, strict=True) if o == i)
                 for i in range(len(pack))]
        switched = switched_windows(texts, decoded_in, self.text_identifier)
        if not switched:
            return segments
        kept = [segment for segment, o in zip(segments, owner, strict=True) if o not in switched]
        for index in sorted(switched):
            again, more_dropped = self._decode_pack(
                audio, [pack[index]], None, offset_s, None, speech, recheck=False
            )
            if not again:
                kept.extend(s for s, o in zip(segments, owner, strict=True) if o == index)
                continue
            logger.debug("packed window at %.2f s reads as another language than %s: decoded alone",
                         spans[index][0], decoded_in)
            kept.extend(again)
            dropped.extend(more_dropped)
        return sorted(kept, key=lambda segment: segment.start_s)

    def _recheck_unsure(self, audio: np.ndarray, offset_s: float, segments: list[Segment]) -> list[Segment]:
        """``segment_language_check``: ``segments`` (of one decode, times from the start
        of ``audio`` plus ``offset_s``), with each unsure one decoded again in the
        language detected on its own audio, when that language is another one.

        A segment is checked when its words' mean probability is under ``UNSURE_WORD_P``
        (with at least ``UNSURE_MIN_WORDS`` words over ``UNSURE_MIN_S``) and another
        segment shares its language distribution (it was one part of a detection over
        more audio; a lone segment's audio is what the detection heard). The new decode
        replaces it only when its words are ``SEGMENT_SWITCH_GAIN`` more probable on
        average, so accented speech that the detection on little audio mislabels keeps
        its transcript.
        """
        shared: dict[LanguageDistribution, int] = {}
        for segment in segments:
            if segment.language:
                shared[segment.language] = shared.get(segment.language, 0) + 1
        out: list[Segment] = []
        for index, segment in enumerate(segments):
            confidence = _mean_word_probability(segment.words)
            if (
                confidence is None or confidence >= UNSURE_WORD_P or not segment.language
                or shared.get(segment.language, 0) < 2 or len(segment.words) < UNSURE_MIN_WORDS
                or segment.words[-1].end_s - segment.words[0].start_s < UNSURE_MIN_S
            ):
                out.append(segment)
                continue
            before = out[-1].end_s if out else offset_s
            after = segments[index + 1].start_s if index + 1 < len(segments) else None
            # Up to the next segment (at most SEGMENT_TAIL_S past this one's end): a
            # looping decode's last word times fall short of the speech.
            start_s = max(before, segment.words[0].start_s - SEGMENT_PAD_S, offset_s)
            end_s = max(segment.end_s, segment.words[-1].end_s) + SEGMENT_TAIL_S
            if after is not None:
                end_s = min(end_s, max(after, segment.words[-1].end_s))
            piece = audio[int(round((start_s - offset_s) * SAMPLE_RATE_HZ)):int(round((end_s - offset_s) * SAMPLE_RATE_HZ))]
            replaced = self._decode_in_own_language(piece, start_s, segment, confidence)
            out.extend(replaced if replaced is not None else [segment])
        return out

    def _decode_in_own_language(
        self, piece: np.ndarray, start_s: float, segment: Segment, confidence: float
    ) -> list[Segment] | None:
        """``piece`` (the audio of ``segment``, starting at ``start_s``) decoded in the
        language detected on it, when that is another language than the segment's and the
        new words are more probable (see :meth:`_recheck_unsure`); else ``None``."""
        assert segment.language is not None
        distribution = self.detect_language(piece)
        if not distribution.probabilities:
            return None
        language = self._decoding_language(distribution)
        if (language is None or language == self._decoding_language(segment.language)
                or distribution.probability(language) < SEGMENT_SWITCH_P):
            return None
        again, _ = self._decode_window(piece, language, start_s)
        now = _mean_word_probability([word for candidate in again for word in candidate.words])
        if now is None or now < confidence + SEGMENT_SWITCH_GAIN:
            return None
        logger.debug("unsure segment at %.2f s reads as %s on its own audio: decoded again",
                     segment.start_s, language)
        return [_with_language(candidate, distribution) for candidate in again]

    def _decode_window(
        self,
        window: np.ndarray,
        language: str | None,
        offset_s: float,
        prompt: str | None = None,
        tail_s: float = 0.0,
    ) -> tuple[list[Segment], list[str]]:
        options = self.options
        if self._one_pass():
            return self._decode_inputs([_Input(window, offset_s, language, prompt, tail_s)])[0][0], []
        window_s = window.size / SAMPLE_RATE_HZ
        budget_s = max(MIN_BUDGET_S, options.max_decode_factor * window_s)
        distribution: LanguageDistribution | None = None
        restrict = self.multilingual and language is None and bool(options.candidate_languages)
        reused = self.multilingual and options.encode_once and window.size > 0 and (
            restrict or language is None or options.detect_language
        )
        if reused:
            distribution, top = self._detect_reusing_encoder(window)
            if language is None and not restrict:
                language = top
        elif self.multilingual and (restrict or (options.detect_language and language is not None)):
            distribution = self.detect_language(window)
        if restrict and distribution is not None and distribution.probabilities:
            language = self._decoding_language(distribution)
        if options.encoder_pad_s is not None:
            if reused:  # the fitted pass encodes its own (shorter) input
                _EncoderCache.install(self._model).release()
            fitted = self._decode_fitted(window, language, offset_s, prompt)
            if repeated_phrase([token for segment in fitted for token in _tokens(segment)]) and not any(
                segment.words for segment in fitted
            ):  # no word times to tell a loop from a real repeat: Whisper's own 30 s input
                fitted = self._decode_fitted(window, language, offset_s, prompt, full_input=True)
                self.full_input_retries += 1
            if distribution is not None:
                fitted = [_with_language(segment, distribution) for segment in fitted]
            return fitted, []
        started = time.perf_counter()
        try:
            generator, info = self._model.transcribe(
                window,
                language=language,
                beam_size=options.beam_size,
                best_of=max(1, options.beam_size),
                temperature=list(options.temperatures),
                word_timestamps=options.word_timestamps,
                condition_on_previous_text=options.condition_on_previous_text,
                no_speech_threshold=options.no_speech_threshold,
                log_prob_threshold=options.log_prob_threshold,
                compression_ratio_threshold=options.compression_ratio_threshold,
                hallucination_silence_threshold=(
                    options.hallucination_silence_threshold_s if options.word_timestamps else None
                ),
                vad_filter=False,
                initial_prompt=prompt or None,
            )
            if distribution is None and self.multilingual and info.all_language_probs:
                distribution = LanguageDistribution.from_mapping(info.all_language_probs)
            segments: list[Segment] = []
            dropped: list[str] = []
            for raw in generator:
                segments.append(self._convert(raw, offset_s))
                elapsed = time.perf_counter() - started
                if elapsed > budget_s and raw.end < window_s - 0.5:
                    dropped.append(
                        f"decode budget of {budget_s:.1f} s exceeded at {offset_s + raw.end:.2f} s; "
                        "rest of window skipped"
                    )
                    logger.warning("decode budget exceeded in window at %.2f s", offset_s)
                    break
        except Exception as exc:
            raise BackendError(f"transcription failed: {exc}") from exc
        finally:
            if reused:
                _EncoderCache.install(self._model).release()
        if distribution is not None:
            segments = [_with_language(segment, distribution) for segment in segments]
        return segments, dropped

    def _decode_one_pass(
        self,
        window: np.ndarray,
        language: str | None,
        offset_s: float,
        tail_s: float,
        first: list[Segment],
    ) -> list[Segment]:
        """``one_pass``: after the first pass (``first``), decode again from the last
        decoded word only while at least ``TAIL_REDECODE_S`` of speech remains after it
        (the window's speech ends ``tail_s`` before its end), each tail on an input sized
        to it (``TAIL_PAD_S``)."""
        window_s = window.size / SAMPLE_RATE_HZ
        speech_end_s = window_s - max(tail_s, 0.0)
        segments: list[Segment] = []
        start_s = 0.0
        decoded = first
        for index in range(1 + MAX_TAIL_PASSES):
            if index:
                piece = window[int(round(start_s * SAMPLE_RATE_HZ)):]
                decoded = self._decode_fitted(piece, language, offset_s + start_s, None, pad_s=TAIL_PAD_S)
            segments.extend(decoded)
            if not decoded:
                break
            last = decoded[-1]
            last_end_s = (last.words[-1].end_s if last.words else last.end_s) - offset_s
            if last_end_s <= start_s + 0.5 or speech_end_s - last_end_s < TAIL_REDECODE_S:
                break
            start_s = last_end_s
        return segments

    def _decode_fitted(
        self,
        window: np.ndarray,
        language: str | None,
        offset_s: float,
        prompt: str | None,
        *,
        full_input: bool = False,
        pad_s: float | None = None,
    ) -> list[Segment]:
        """One pass over ``window`` with the mel padded to ``fitted_frames`` (see
        :attr:`DecodeOptions.encoder_pad_s`): encode, generate (with temperature fallback),
        split at timestamps keeping the unfinished last segment, align words."""
        model = self._model
        try:
            features, content_frames = self._fitted_input(window, full_input=full_input, pad_s=pad_s)
            encoder_output = model.encode(features)
            tokenizer = self._tokenizer(language)
            decode_options = self._transcription_options()
            prompt_tokens = self._prompt_tokens(tokenizer, prompt)
            decode_options.max_new_tokens = self._max_new_tokens(prompt_tokens, content_frames)
            decoded = model.generate_with_fallback(encoder_output, prompt_tokens, tokenizer, decode_options)
        except Exception as exc:
            raise BackendError(f"transcription failed (fitted encoder window): {exc}") from exc
        return self._segments_from(
            decoded, tokenizer=tokenizer, encoder_output=encoder_output, content_frames=content_frames,
            offset_s=offset_s, full_input=full_input, decode_options=decode_options,
        )

    def _fitted_input(
        self, window: np.ndarray, *, full_input: bool, pad_s: float | None, step_s: float = 0.5
    ) -> tuple[np.ndarray, int]:
        """The mel features the encoder gets for ``window`` (Whisper's 30 s, or fitted to
        the audio plus ``pad_s``, rounded up to ``step_s``), and how many of their frames
        are audio."""
        from faster_whisper.audio import pad_or_trim

        extractor = self._model.feature_extractor
        features = extractor(window)
        content_frames = max(int(features.shape[-1]) - 1, 1)
        frames = extractor.nb_max_frames if full_input else fitted_frames(
            content_frames,
            pad_s=pad_s if pad_s is not None else self.options.encoder_pad_s or 0.0,
            min_s=self.options.encoder_min_s,
            frames_per_s=SAMPLE_RATE_HZ // extractor.hop_length,
            max_frames=extractor.nb_max_frames,
            step_s=step_s,
        )
        content_frames = min(content_frames, frames)
        return pad_or_trim(features[:, :content_frames], frames), content_frames

    def _tokenizer(self, language: str | None) -> Any:
        from faster_whisper.tokenizer import Tokenizer

        model = self._model
        return Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language or "en")

    def _transcription_options(self) -> Any:
        from faster_whisper.transcribe import TranscriptionOptions

        options = self.options
        return TranscriptionOptions(
            beam_size=options.beam_size,
            best_of=max(1, options.beam_size),
            patience=1.0,
            length_penalty=1.0,
            repetition_penalty=1.0,
            no_repeat_ngram_size=0,
            log_prob_threshold=options.log_prob_threshold,
            no_speech_threshold=options.no_speech_threshold,
            compression_ratio_threshold=options.compression_ratio_threshold,
            condition_on_previous_text=False,
            prompt_reset_on_temperature=0.5,
            temperatures=list(options.temperatures),
            initial_prompt=None,
            prefix=None,
            suppress_blank=True,
            suppress_tokens=[-1],
            without_timestamps=options.without_timestamps,
            max_initial_timestamp=1.0,
            word_timestamps=options.word_timestamps,
            prepend_punctuations="\"'“¿([{-",
            append_punctuations="\"'.。,，!！?？:：”)]}、",
            multilingual=False,
            max_new_tokens=None,
            clip_timestamps="0",
            hallucination_silence_threshold=None,
            hotwords=None,
        )

    def _prompt_tokens(self, tokenizer: Any, prompt: str | None) -> list[int]:
        previous = tokenizer.encode(" " + prompt.strip()) if prompt and prompt.strip() else []
        return list(self._model.get_prompt(tokenizer, previous, without_timestamps=self.options.without_timestamps))

    def _max_new_tokens(self, prompt_tokens: list[int], content_frames: int) -> int:
        duration_s = content_frames / (SAMPLE_RATE_HZ // self._model.feature_extractor.hop_length)
        return max(1, min(
            int(self._model.max_length) - len(prompt_tokens) - 1,
            int(MAX_TOKENS_PER_S * duration_s) + MIN_TOKENS,
        ))

    def _segments_from(
        self,
        decoded: tuple[Any, float, float, float],
        *,
        tokenizer: Any,
        encoder_output: Any,
        content_frames: int,
        offset_s: float,
        full_input: bool,
        decode_options: Any,
    ) -> list[Segment]:
        """A fitted pass's generation result (faster-whisper's ``generate_with_fallback``
        tuple) to segments: the no-speech check, segments at timestamps (the unfinished
        last one kept), word alignment, squeezed repeats dropped (fitted inputs)."""
        options = self.options
        model = self._model
        result, avg_logprob, temperature, compression = decoded
        duration_s = content_frames / (SAMPLE_RATE_HZ // model.feature_extractor.hop_length)
        try:
            if (
                options.no_speech_threshold is not None
                and result.no_speech_prob > options.no_speech_threshold
                and not (options.log_prob_threshold is not None and avg_logprob > options.log_prob_threshold)
            ):
                return []
            pieces = split_at_timestamps(
                list(result.sequences_ids[0]),
                timestamp_begin=tokenizer.timestamp_begin,
                eot=tokenizer.eot,
                time_precision=model.time_precision,
                duration_s=duration_s,
            )
            if options.word_timestamps and pieces:
                model.add_word_timestamps(
                    [pieces], tokenizer, encoder_output, content_frames,
                    decode_options.prepend_punctuations, decode_options.append_punctuations,
                    last_speech_timestamp=0.0,
                )
        except Exception as exc:
            raise BackendError(f"transcription failed (fitted encoder window): {exc}") from exc
        segments: list[Segment] = []
        for piece in pieces:
            text = tokenizer.decode([t for t in piece["tokens"] if t < tokenizer.eot]).strip()
            if not text:
                continue
            words = tuple(
                Word(
                    start_s=round(offset_s + float(w["start"]), 3),
                    end_s=round(offset_s + float(w["end"]), 3),
                    text=str(w["word"]).strip(),
                    probability=float(w["probability"]),
                )
                for w in piece.get("words", ())
                if str(w["word"]).strip()
            )
            segments.append(Segment(
                start_s=round(offset_s + float(piece["start"]), 3),
                end_s=round(offset_s + float(piece["end"]), 3),
                text=text,
                words=words,
                avg_logprob=float(avg_logprob),
                no_speech_prob=float(result.no_speech_prob),
                compression_ratio=float(compression),
                temperature=float(temperature),
            ))
        if not full_input:  # a short padded input's known failure: a phrase said twice
            segments, squeezed = drop_squeezed_repeats(segments)
            if squeezed:
                logger.debug("fitted decode: dropped %d squeezed repeated words", squeezed)
        return segments

    def _detect_reusing_encoder(
        self, window: np.ndarray
    ) -> tuple[LanguageDistribution, str | None]:
        """The window's language distribution and most probable Whisper language code from
        one encoder pass, held so that decoding the same window reuses that pass (held for
        the input faster-whisper's decoder builds for a window's first 30 s: the features
        less their last frame, padded to 30 s)."""
        from faster_whisper.audio import pad_or_trim

        model = self._model
        try:
            features = model.feature_extractor(window)
            frames = min(model.feature_extractor.nb_max_frames, features.shape[-1] - 1)
            segment = pad_or_trim(features[:, :frames])
            encoded = model.encode(segment)
            ranked = model.model.detect_language(encoded)[0]
        except Exception as exc:
            raise BackendError(f"language detection failed: {exc}") from exc
        distribution, top = _ranked_languages(ranked)
        _EncoderCache.install(model).hold(segment, encoded)
        return distribution, top

    @staticmethod
    def _convert(raw: Any, offset_s: float) -> Segment:
        words = tuple(
            Word(
                start_s=round(offset_s + float(word.start), 3),
                end_s=round(offset_s + float(word.end), 3),
                text=str(word.word).strip(),
                probability=float(word.probability),
            )
            for word in (raw.words or ())
            if str(word.word).strip()
        )
        return Segment(
            start_s=round(offset_s + float(raw.start), 3),
            end_s=round(offset_s + float(raw.end), 3),
            text=str(raw.text).strip(),
            words=words,
            avg_logprob=float(raw.avg_logprob),
            no_speech_prob=float(raw.no_speech_prob),
            compression_ratio=float(raw.compression_ratio),
            temperature=float(raw.temperature) if raw.temperature is not None else None,
        )


def fitted_frames(
    content_frames: int,
    *,
    pad_s: float,
    min_s: float,
    frames_per_s: int = 100,
    max_frames: int = 3000,
    step_s: float = 0.5,
) -> int:
    """Mel frames to give the encoder for ``content_frames`` of audio: the audio plus
    ``pad_s`` of padding, at least ``min_s``, at most ``max_frames`` (Whisper's 30 s),
    rounded up to a whole ``step_s`` (at least 0.5 s: an even count, the encoder's
    convolution has stride 2)."""
    step = max(frames_per_s // 2, int(round(step_s * frames_per_s)) // 2 * 2)
    wanted = max(content_frames + pad_s * frames_per_s, min_s * frames_per_s)
    return int(min(max_frames, -(-int(round(wanted)) // step) * step))


def split_at_timestamps(
    tokens: list[int],
    *,
    timestamp_begin: int,
    eot: int,
    time_precision: float,
    duration_s: float,
) -> list[dict[str, Any]]:
    """Whisper's output tokens to segments (``start``, ``end``, ``tokens``, ``seek``=0).

    Pairs of timestamp tokens close a segment, as in faster-whisper; unlike a 30 s window
    decode (which re-decodes an unfinished last segment from the next window), the text
    after the last timestamp is kept as a segment ending at ``duration_s``: in a
    streaming buffer that is the speech still going on.
    """
    segments: list[dict[str, Any]] = []
    text: list[int] = []
    start: float | None = None
    last_time = 0.0
    for token in tokens:
        if token >= timestamp_begin:
            time_s = (token - timestamp_begin) * time_precision
            if text:
                segments.append({"seek": 0, "start": start if start is not None else last_time,
                                 "end": max(time_s, start or 0.0), "tokens": text})
                text = []
                start = None
            else:
                start = time_s
            last_time = time_s
        elif token < eot:
            text.append(token)
    if text:
        begin = start if start is not None else last_time
        segments.append({"seek": 0, "start": begin, "end": max(duration_s, begin), "tokens": text})
    return segments


def _ranked_languages(ranked: list[tuple[str, float]]) -> tuple[LanguageDistribution, str | None]:
    """CTranslate2's ranked ``(<|code|>, probability)`` pairs as a distribution, and the
    top code."""
    distribution = LanguageDistribution.from_mapping(
        {token[2:-2]: float(probability) for token, probability in ranked}
    )
    return distribution, (str(ranked[0][0])[2:-2] if ranked else None)


def _mean_word_probability(words: Sequence[Word]) -> float | None:
    """Mean probability of ``words``, a run of the same word counted once (its first):
    Whisper looping on "no, no, no, ..." grows surer with each repeat."""
    probabilities: list[float] = []
    previous = None
    for word, key in zip(words, _keys([word.text for word in words]), strict=True):
        if key != previous or not key:
            probabilities.append(word.probability)
        previous = key
    return sum(probabilities) / len(probabilities) if probabilities else None


def _with_language(segment: Segment, distribution: LanguageDistribution) -> Segment:
    return dataclasses.replace(segment, language=distribution.head(10))


def _merge_languages(segments: list[Segment]) -> LanguageDistribution | None:
    """Duration-weighted mean of the segments' window distributions."""
    totals: dict[str, float] = {}
    weight = 0.0
    for segment in segments:
        if segment.language is None:
            continue
        seconds = max(0.1, segment.end_s - segment.start_s)
        weight += seconds
        for code, probability in segment.language.probabilities:
            totals[code] = totals.get(code, 0.0) + probability * seconds
    if weight == 0.0:
        return None
    return LanguageDistribution.from_mapping({code: value / weight for code, value in totals.items()})
