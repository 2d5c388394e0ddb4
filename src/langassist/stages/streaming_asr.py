"""Streaming ASR: audio chunks per track -> speech boundaries, partials and finals.

Per track the stage keeps a bounded audio buffer, a VAD with an endpointer and a
LocalAgreement commit policy (:mod:`langassist.streaming`); the transcribers are
injected (one for partials, one for finals; the same by default).

* **Utterances.** Speech starts at the first VAD speech frame (``SpeechStarted``); the
  buffer keeps ``speech_pad_ms`` of audio before it. Speech ends after
  ``end_silence_ms`` of silence (``SpeechEnded``), and the utterance is finalized.
* **Partials.** While speech goes on, the buffer (from the utterance start) is decoded
  at most once per :meth:`feed`, when ``first_decode_s`` (first decode) or
  ``min_chunk_s`` of new audio has arrived, and never sooner than
  ``decode_s / max_compute_share`` after a decode that took ``decode_s`` (the
  transcriber's own measure) nor than ``interval_growth`` times the buffered audio
  (what a decode costs): the interval grows with the measured cost and with long speech. While the
  utterance has shown nothing, the next try comes ``RETRY_S`` later. A partial
  decode is skipped when the VAD heard no speech since the last decode. A per-track
  compute bucket earns ``max_compute_share`` seconds of decode time per second of audio
  (at most ``MAX_CREDIT_S`` saved) and pays each decode's ``decode_s``; while it is
  negative no partial decode runs, so a slow engine decodes less often instead of
  falling behind. On a shared pool (``defer_partials``) a due partial decode also waits
  while other calls' work is queued, at most ``MAX_DEFER_S`` of audio, so that their
  finals are not stuck behind it. Each hypothesis passes the hallucination guards, then
  the commit policy; the committed words plus the tail are a :class:`TranscriptPartial`
  with the utterance's id and the next revision (only when the text changed).
* **Finals.** Once ``eager_end_ms`` of silence follows speech, the final decode runs
  (not throttled by the bucket: finals are what the sidebar waits for): with
  ``final_decode = "utterance"`` one decode of the whole utterance by the final
  transcriber, with ``"tail"`` a decode of the audio after the last committed word. Its
  words also go to the policy and a partial, so if the end is confirmed with no new
  speech, the final comes out with no decode at all. Otherwise (speech resumed and
  stopped between feeds, a stream closed, a cut) the final decode runs then. Each
  utterance gets exactly one :class:`TranscriptFinal`.
* **Bounds.** Past ``trim_s`` of buffered audio, committed words up to the last
  committed sentence end become a final of their own and the buffer is trimmed there
  (the rest continues under a new utterance id). If the buffer would pass
  ``max_buffer_s``, the utterance is finalized as it stands. The buffer never holds
  more than ``max_buffer_s``. Per feed there is at most one partial or early final
  decode, plus a final decode when speech ends in that feed.
* **Time.** Every time is absolute (seconds from the call start), counted from the
  samples received per track; a gap in chunk times is filled with silence (up to 1 s)
  or ends the utterance and moves the track clock.
* **End of stream.** ``StreamEnded`` (aborted or not) and :meth:`flush` finalize any
  open utterance, so a dropped stream still gets its final results.

The stage reads no clock. Its cadence depends on the engine only through the
``decode_s`` the transcriber reports; with fakes everything is deterministic.
:func:`streaming_transcribers` derives the partial and final transcribers from an
offline one (shared model, streaming decode options).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from langassist.asr_guards import GuardOptions, apply_guards, compression_ratio
from langassist.backends.base import Segment, Transcriber, VoiceActivityDetector
from langassist.config import StreamingSettings
from langassist.errors import AudioFormatError
from langassist.events import (
    AudioChunk,
    LanguageDistribution,
    SpeechEnded,
    SpeechStarted,
    StreamEnded,
    TranscriptFinal,
    TranscriptPartial,
    Word,
)
from langassist.streaming import (
    AudioBuffer,
    Endpointer,
    EndpointOptions,
    LocalAgreement,
    align_hypothesis,
    build_prompt,
    choose_trim_time,
    join_words,
)

__all__ = ["StreamingAsrStage", "StreamingStats", "create_vad", "streaming_transcribers"]

logger = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 16000
MAX_GAP_FILL_S = 1.0
"""A gap in chunk times up to this long is filled with silence; a longer one moves the clock."""
PIECE_S = 0.1
"""Audio is taken in pieces of at most this length, so boundaries land where they are."""
PROMPT_HISTORY_WORDS = 60
RETRY_S = 0.5
"""While an utterance has shown nothing, the next partial decode comes this soon."""
MAX_CREDIT_S = 2.0
"""Most decode time a quiet track can save up for later (the compute bucket's depth)."""
MAX_DEFER_S = 2.0
"""A partial decode put off for other calls' work (``defer_partials``) runs anyway once it
is this much audio overdue."""


def create_vad(settings: StreamingSettings) -> Callable[[], VoiceActivityDetector]:
    """A factory of per-track VADs for ``settings.vad`` (``silero`` or ``energy``)."""
    if settings.vad == "energy":
        from langassist.backends.energy_vad import EnergyVad

        threshold = settings.energy_threshold_dbfs
        return lambda: EnergyVad(threshold)
    from langassist.backends.silero_vad import SileroVad

    SileroVad()  # load now (faster-whisper caches the model), not on the first chunk
    return SileroVad


def streaming_transcribers(
    transcriber: Transcriber, settings: StreamingSettings, *, beam_size: int | None = None
) -> tuple[Transcriber, Transcriber]:
    """The partial and final transcribers for streaming, sharing ``transcriber``'s model.

    Both run without the engine's VAD (the stage endpoints speech itself); on
    faster-whisper they also take ``encoder_pad_s``/``encoder_min_s``/
    ``without_timestamps``. Partials decode at temperature 0 only (bounded work, and a
    bad partial is soon replaced); the final keeps the engine's temperature fallback
    (a repetition loop or a low log-probability is decoded again, as offline) and
    decodes at ``final_beam_size``; only the final checks unsure segments for a
    language switch (``segment_language_check``). An engine without ``with_options`` is used as it
    is for both.
    """
    with_options = getattr(transcriber, "with_options", None)
    if with_options is None:
        return transcriber, transcriber
    changes: dict[str, Any] = {
        "vad_filter": False,
        "one_pass": False,  # a buffer is one input: fitted (encoder_pad_s) or Whisper's own loop
        "encoder_pad_s": settings.encoder_pad_s or None,
        "encoder_min_s": settings.encoder_min_s,
        "without_timestamps": settings.without_timestamps,
    }
    # Partials skip the segment language check: a bad partial is soon replaced, and the
    # final decode of the utterance checks its segments.
    partial = with_options(**changes, temperatures=(0.0,), segment_language_check=False,
                           **({"beam_size": beam_size} if beam_size else {}))
    final = with_options(**{**changes, "encoder_min_s": settings.final_encoder_min_s},
                         beam_size=settings.final_beam_size)
    return partial, final


@dataclass(slots=True)
class StreamingStats:
    """Counters over every track, for benchmarks and tests (not events)."""

    decodes: int = 0
    tail_decodes: int = 0
    """Final decodes run when the end was confirmed (no early final decode covered it)."""
    early_final_decodes: int = 0
    skipped_no_speech: int = 0
    deferred_partials: int = 0
    """Partial decodes put off because other work was waiting (``defer_partials``)."""
    decode_s: float = 0.0
    decoded_audio_s: float = 0.0
    audio_s: float = 0.0
    partials: int = 0
    finals: int = 0
    splits: int = 0
    forced_cuts: int = 0
    max_buffer_s: float = 0.0
    dropped_s: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Track:
    call_id: str
    track: str
    vad: VoiceActivityDetector
    endpointer: Endpointer
    buffer: AudioBuffer
    policy: LocalAgreement
    next_s: float
    number: int = 0
    revision: int = 0
    utterance_open: bool = False
    speech_start_s: float = 0.0
    decodes: int = 0
    last_decode_end_s: float | None = None
    last_decode_cost_s: float = 0.0
    early_final: tuple[float, tuple[Word, ...]] | None = None
    """(speech end it covered, words) of the final decode run after ``eager_end_ms``."""
    credit_s: float = 0.0
    deferred_since_s: float | None = None
    """Stream time of the first partial decode put off since the last decode."""
    last_text: str = ""
    history: tuple[Word, ...] = ()
    last_final_end_s: float = 0.0
    segment_stats: tuple[float | None, float | None, LanguageDistribution | None] = (None, None, None)

    @property
    def utterance_id(self) -> str:
        return f"{self.track}-{self.number:04d}"


class StreamingAsrStage:
    """:class:`~langassist.core.stage.Stage` for live transcription of every track.

    Args:
        transcriber: the engine for partials (its ``transcribe`` gets the buffer,
            ``offset_s`` and, if it takes one, a ``prompt``).
        final_transcriber: the engine for finals (default: ``transcriber``); see
            :func:`streaming_transcribers`.
        vad: makes one VAD per track (see :func:`create_vad`).
        settings: cadence, endpointing and bounds.
        language: forced language for the transcriber (``None``: the engine decides).
        guards: hallucination and repetition guards for each hypothesis.
    """

    name = "streaming_asr"
    accepts: tuple[type, ...] = (AudioChunk, StreamEnded)

    def __init__(
        self,
        transcriber: Transcriber,
        *,
        vad: Callable[[], VoiceActivityDetector],
        settings: StreamingSettings | None = None,
        language: str | None = None,
        guards: GuardOptions | None = None,
        final_transcriber: Transcriber | None = None,
    ) -> None:
        self.transcriber = transcriber
        self.final_transcriber = final_transcriber or transcriber
        self.settings = settings or StreamingSettings()
        self.language = language
        self.guards = guards
        self._make_vad = vad
        self._tracks: dict[tuple[str, str], _Track] = {}
        self.defer_partials: Callable[[], bool] | None = None
        """Set by a shared pool: true while other calls' work waits for a worker. A due
        partial decode is then put off (up to ``MAX_DEFER_S`` of audio) so that their
        finals go first; finals are never put off."""
        self._takes_prompt = _takes_prompt(transcriber)
        self._final_takes_prompt = _takes_prompt(self.final_transcriber)
        self.stats = StreamingStats()
        s = self.settings
        self._pad_s = s.speech_pad_ms / 1000.0
        self._endpoint = EndpointOptions(threshold=s.vad_threshold, min_silence_s=s.end_silence_ms / 1000.0)

    # -- stage protocol ------------------------------------------------------------------

    def feed(self, event: Any) -> list[Any]:
        if isinstance(event, StreamEnded):
            return self._end_stream(event)
        if not isinstance(event, AudioChunk):
            return []
        if event.sample_rate_hz != SAMPLE_RATE_HZ:
            raise AudioFormatError(
                f"streaming ASR needs {SAMPLE_RATE_HZ} Hz audio, got {event.sample_rate_hz} Hz "
                f"on track {event.track!r}: resample first"
            )
        samples = np.asarray(event.samples, dtype=np.float32).reshape(-1)
        state = self._state(event)
        out: list[Any] = []
        gap = event.start_s - state.next_s
        if gap > 0.5 / SAMPLE_RATE_HZ:
            if gap <= MAX_GAP_FILL_S:
                samples = np.concatenate([np.zeros(int(round(gap * SAMPLE_RATE_HZ)), np.float32), samples])
            else:
                out.extend(self._close_speech(state, state.endpointer.finish()))
                state.buffer.clear(start_s=event.start_s)
                state.endpointer.jump(event.start_s)
                state.vad.reset()
                state.next_s = event.start_s
        elif gap < -0.5 / SAMPLE_RATE_HZ:
            samples = samples[int(round(-gap * SAMPLE_RATE_HZ)):]
        seconds = samples.size / SAMPLE_RATE_HZ
        state.next_s += seconds
        self.stats.audio_s += seconds
        share = self.settings.max_compute_share
        state.credit_s = min(state.credit_s + seconds * share, MAX_CREDIT_S)
        piece = int(PIECE_S * SAMPLE_RATE_HZ)
        for first in range(0, samples.size, piece):
            out.extend(self._take_piece(state, samples[first:first + piece]))
        if state.utterance_open:
            due = self._decode_due(state)
            if due == "final":
                out.extend(self._decode_early_final(state))
            elif due == "partial" and not self._defer(state):
                out.extend(self._decode_partial(state))
        return out

    def flush(self) -> list[Any]:
        out: list[Any] = []
        for state in list(self._tracks.values()):
            out.extend(self._close_speech(state, state.endpointer.finish()))
        self._tracks.clear()
        return out

    def reset(self) -> None:
        self._tracks.clear()
        self.stats = StreamingStats()

    # -- per-track state -----------------------------------------------------------------

    def _state(self, chunk: AudioChunk) -> _Track:
        key = (chunk.call_id, chunk.track)
        state = self._tracks.get(key)
        if state is None:
            vad = self._make_vad()
            s = self.settings
            state = _Track(
                call_id=chunk.call_id,
                track=chunk.track,
                vad=vad,
                endpointer=Endpointer(vad.frame_samples / SAMPLE_RATE_HZ, self._endpoint, start_s=chunk.start_s),
                buffer=AudioBuffer(s.max_buffer_s, start_s=chunk.start_s),
                policy=LocalAgreement(s.agreement),
                next_s=chunk.start_s,
                last_final_end_s=chunk.start_s,
            )
            self._tracks[key] = state
        return state

    def _end_stream(self, event: StreamEnded) -> list[Any]:
        out: list[Any] = []
        for key in [k for k in self._tracks if k[0] == event.call_id and event.track in ("", "*", k[1])]:
            state = self._tracks.pop(key)
            out.extend(self._close_speech(state, state.endpointer.finish()))
        return out

    # -- audio in ------------------------------------------------------------------------

    def _take_piece(self, state: _Track, piece: np.ndarray) -> list[Any]:
        out: list[Any] = []
        buffer = state.buffer
        if state.utterance_open and buffer.duration_s + piece.size / SAMPLE_RATE_HZ > buffer.max_s + 1e-9:
            out.extend(self._cut(state))
        buffer.append(piece)
        self.stats.max_buffer_s = max(self.stats.max_buffer_s, buffer.duration_s)
        self.stats.dropped_s = max(self.stats.dropped_s, buffer.dropped_s)
        for boundary in state.endpointer.push(state.vad.probabilities(piece)):
            if boundary.kind == "start":
                self._open(state, boundary.time_s)
                out.append(SpeechStarted(call_id=state.call_id, track=state.track, time_s=boundary.time_s))
            else:
                out.extend(self._close_speech(state, boundary))
        if not state.utterance_open:
            buffer.keep_last(self._pad_s + PIECE_S + state.vad.frame_samples / SAMPLE_RATE_HZ)
        return out

    def _open(self, state: _Track, speech_start_s: float) -> None:
        state.buffer.trim_to(max(speech_start_s - self._pad_s, state.last_final_end_s))
        state.number += 1
        state.revision = 0
        state.decodes = 0
        state.last_decode_end_s = None
        state.early_final = None
        state.deferred_since_s = None
        state.last_text = ""
        state.policy.reset()
        state.utterance_open = True
        state.speech_start_s = speech_start_s

    # -- decoding ------------------------------------------------------------------------

    def _decode_due(self, state: _Track) -> str | None:
        """``"final"`` (early final decode), ``"partial"`` or ``None`` for this feed."""
        s = self.settings
        endpointer = state.endpointer
        last_speech = endpointer.last_speech_end_s
        if (
            s.eager_end_ms
            and last_speech is not None
            and endpointer.silence_s >= s.eager_end_ms / 1000.0
            and (state.early_final is None or state.early_final[0] < last_speech - 1e-9)
        ):
            return "final"
        if state.credit_s < 0:
            return None  # behind: decode time so far exceeds the share of audio time
        buffer = state.buffer
        since = buffer.end_s - (state.last_decode_end_s if state.last_decode_end_s is not None else buffer.start_s)
        if state.decodes == 0:
            due = since >= s.first_decode_s - 1e-9
        elif state.revision == 0:  # decoded, but nothing to show yet: try again soon
            due = since >= max(RETRY_S, state.last_decode_cost_s / s.max_compute_share) - 1e-9
        else:
            interval = max(s.min_chunk_s, state.last_decode_cost_s / s.max_compute_share,
                           s.interval_growth * buffer.duration_s)
            due = since >= interval - 1e-9
        if due and state.last_decode_end_s is not None and (
            last_speech is None or last_speech <= state.last_decode_end_s
        ):
            self.stats.skipped_no_speech += 1  # nothing heard since the last decode
            return None
        return "partial" if due else None

    def _defer(self, state: _Track) -> bool:
        """Put this due partial decode off (other work waits), unless overdue."""
        if self.defer_partials is None or not self.defer_partials():
            return False
        now = state.buffer.end_s
        if state.deferred_since_s is None:
            state.deferred_since_s = now
        if now - state.deferred_since_s >= MAX_DEFER_S - 1e-9:
            return False
        self.stats.deferred_partials += 1
        return True

    def _decode(
        self,
        state: _Track,
        start_s: float,
        end_s: float,
        prompt_words: tuple[Word, ...],
        *,
        final: bool = False,
    ) -> tuple[Word, ...]:
        audio = state.buffer.samples(start_s, end_s)
        if audio.size == 0:
            return ()
        start_s = max(start_s, state.buffer.start_s)
        kwargs: dict[str, Any] = {"language": self.language, "offset_s": start_s}
        if self._final_takes_prompt if final else self._takes_prompt:
            prompt = build_prompt(prompt_words, max_chars=self.settings.prompt_chars)
            if prompt:
                kwargs["prompt"] = prompt
        engine = self.final_transcriber if final else self.transcriber
        result = engine.transcribe(audio, **kwargs)
        self.stats.decodes += 1
        self.stats.decode_s += result.decode_s
        self.stats.decoded_audio_s += audio.size / SAMPLE_RATE_HZ
        state.decodes += 1
        state.deferred_since_s = None
        state.last_decode_cost_s = result.decode_s
        state.credit_s -= result.decode_s
        guarded = apply_guards(result.segments, self.guards)
        self.stats.notes.extend(guarded.notes)
        segments = guarded.segments
        if segments:
            logprobs = [x.avg_logprob for x in segments if x.avg_logprob is not None]
            no_speech = [x.no_speech_prob for x in segments if x.no_speech_prob is not None]
            state.segment_stats = (
                sum(logprobs) / len(logprobs) if logprobs else None,
                max(no_speech) if no_speech else None,
                segments[-1].language or result.language,
            )
        end_limit = max(end_s, start_s)
        return tuple(
            _clamp(word, start_s, end_limit) for segment in segments for word in _words_of(segment)
        )

    def _decode_partial(self, state: _Track) -> list[Any]:
        buffer = state.buffer
        prompt = state.history
        words = self._decode(state, buffer.start_s, buffer.end_s, prompt)
        state.last_decode_end_s = buffer.end_s
        state.policy.insert(words)
        out = self._partial(state)
        out.extend(self._maybe_split(state))
        return out

    def _decode_early_final(self, state: _Track) -> list[Any]:
        """``eager_end_ms`` of silence: run the final decode now, show it as a partial."""
        last_speech = state.endpointer.last_speech_end_s
        assert last_speech is not None  # _decode_due checked
        audio_end_s = min(last_speech + self._pad_s, state.buffer.end_s)
        words = self._final_words(state, audio_end_s)
        self.stats.early_final_decodes += 1
        state.early_final = (last_speech, words)
        state.last_decode_end_s = state.buffer.end_s
        state.policy.insert(words)
        out = self._partial(state)
        out.extend(self._maybe_split(state))
        return out

    def _final_words(self, state: _Track, audio_end_s: float) -> tuple[Word, ...]:
        """One final decode; the utterance's words (since the buffer start) it gives:
        the whole buffer decoded, or the committed words plus a decode of the rest."""
        buffer = state.buffer
        policy = state.policy
        committed = policy.committed
        if self.settings.final_decode == "utterance":
            # a long utterance keeps its committed words up to final_max_s before the
            # end; the decode covers the rest (bounded cost, seconds of context)
            kept = tuple(w for w in committed if w.end_s <= audio_end_s - self.settings.final_max_s)
            start_s = kept[-1].end_s if kept else buffer.start_s
            decoded = self._decode(state, start_s, audio_end_s, state.history + kept, final=True)
            if not kept:
                return decoded
            return kept + align_hypothesis(decoded, kept)
        tail_start = policy.committed_end_s if policy.committed_end_s is not None else buffer.start_s
        tail_start = max(tail_start, buffer.start_s)
        tail = policy.tail
        if audio_end_s - tail_start >= 0.05:
            hypothesis = self._decode(state, tail_start, audio_end_s, state.history + committed, final=True)
            tail = align_hypothesis(hypothesis, committed, committed_end_s=policy.committed_end_s) or tail
        return committed + tail

    def _partial(self, state: _Track) -> list[Any]:
        words = state.policy.committed + state.policy.tail
        text = join_words(words)
        if not text or text == state.last_text:
            return []
        state.revision += 1
        state.last_text = text
        self.stats.partials += 1
        return [
            TranscriptPartial(
                call_id=state.call_id,
                track=state.track,
                utterance_id=state.utterance_id,
                revision=state.revision,
                start_s=words[0].start_s,
                end_s=words[-1].end_s,
                text=text,
                words=words,
            )
        ]

    # -- finals --------------------------------------------------------------------------

    def _close_speech(self, state: _Track, boundary: Any) -> list[Any]:
        """Speech ended at ``boundary`` (or the stream closed): finalize, then ``SpeechEnded``."""
        if boundary is None or not state.utterance_open:
            return []
        speech_end_s = boundary.time_s
        audio_end_s = min(speech_end_s + self._pad_s, state.buffer.end_s)
        ended = SpeechEnded(call_id=state.call_id, track=state.track, time_s=speech_end_s)
        out: list[Any] = [ended]
        speech_s = speech_end_s - state.speech_start_s
        if state.decodes == 0 and speech_s < self.settings.min_speech_ms / 1000.0:
            state.utterance_open = False  # a blip: never decoded, too short to matter
            return out
        out.extend(self._finalize(state, speech_end_s, audio_end_s))
        state.buffer.trim_to(audio_end_s)
        return out

    def _finalize(self, state: _Track, speech_end_s: float, audio_end_s: float) -> list[Any]:
        """The early final decode's words if it heard this end of speech, else one final
        decode now (``final_decode``: the utterance, or committed words plus the tail)."""
        policy = state.policy
        early = state.early_final
        if early is not None and early[0] >= speech_end_s - 1e-9:
            words = early[1]
        else:
            words = self._final_words(state, audio_end_s)
            self.stats.tail_decodes += 1
        words = tuple(w for w in words if w.start_s < audio_end_s)
        state.utterance_open = False
        state.early_final = None
        policy.reset()
        return self._emit_final(state, words)

    def _emit_final(self, state: _Track, words: tuple[Word, ...]) -> list[Any]:
        words = tuple(
            Word(
                start_s=max(w.start_s, state.last_final_end_s),
                end_s=max(w.end_s, state.last_final_end_s),
                text=w.text,
                probability=w.probability,
            )
            for w in words
        )
        text = join_words(words)
        if not text:
            if state.revision:
                self.stats.notes.append(f"{state.utterance_id}: partials shown but no words to finalize")
            return []
        state.last_final_end_s = words[-1].end_s
        state.history = (state.history + words)[-PROMPT_HISTORY_WORDS:]
        self.stats.finals += 1
        avg_logprob, no_speech, language = state.segment_stats
        final = TranscriptFinal(
            call_id=state.call_id,
            track=state.track,
            utterance_id=state.utterance_id,
            start_s=words[0].start_s,
            end_s=words[-1].end_s,
            text=text,
            words=words,
            avg_logprob=avg_logprob,
            no_speech_prob=no_speech,
            compression_ratio=compression_ratio(text),
            language=language,
            source="asr",
        )
        return [final]

    def _maybe_split(self, state: _Track) -> list[Any]:
        """Past ``trim_s``: committed words up to the last sentence end become a final."""
        buffer = state.buffer
        if buffer.duration_s <= self.settings.trim_s:
            return []
        committed = state.policy.committed
        cut_s = choose_trim_time(committed, sentences_only=True)
        if cut_s is None or cut_s <= buffer.start_s:
            return []
        count = sum(1 for w in committed if w.end_s <= cut_s)
        words = state.policy.take(count)
        state.early_final = None  # it covered audio now split off
        out = self._emit_final(state, words)
        self.stats.splits += 1
        buffer.trim_to(cut_s)
        self._continue(state)
        out.extend(self._partial(state))
        return out

    def _cut(self, state: _Track) -> list[Any]:
        """The buffer is full: finalize what there is and continue under a new id."""
        self.stats.forced_cuts += 1
        logger.info("buffer cap of %.1f s reached on %s; finalizing %s",
                    self.settings.max_buffer_s, state.track, state.utterance_id)
        out = self._finalize(state, state.buffer.end_s, state.buffer.end_s)
        state.buffer.clear()
        state.utterance_open = True
        state.speech_start_s = state.buffer.start_s
        self._continue(state)
        return out

    def _continue(self, state: _Track) -> None:
        """A new utterance id for speech that goes on (after a split or a cut)."""
        state.number += 1
        state.revision = 0
        state.last_text = ""


def _clamp(word: Word, start_s: float, end_s: float) -> Word:
    first = min(max(word.start_s, start_s), end_s)
    last = min(max(word.end_s, first), end_s)
    if first == word.start_s and last == word.end_s:
        return word
    return Word(start_s=first, end_s=last, text=word.text, probability=word.probability)


def _words_of(segment: Segment) -> tuple[Word, ...]:
    """The segment's words; without word timestamps, its text spread evenly over it."""
    if segment.words:
        return tuple(w for w in segment.words if w.text.strip())
    tokens = segment.text.split()
    if not tokens:
        return ()
    step = max(segment.end_s - segment.start_s, 0.0) / len(tokens)
    return tuple(
        Word(start_s=segment.start_s + i * step, end_s=segment.start_s + (i + 1) * step, text=t, probability=0.5)
        for i, t in enumerate(tokens)
    )


def _takes_prompt(transcriber: Transcriber) -> bool:
    try:
        parameters = inspect.signature(transcriber.transcribe).parameters
    except (TypeError, ValueError):
        return False
    return "prompt" in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
