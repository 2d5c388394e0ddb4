"""Peer streaming recognizers for ``streaming_latency.py``, driven in real time like ours.

Each peer runs on the same loaded faster-whisper model and returns a :class:`Trace`: what
it showed (partials) and what it committed (finals), with the wall time since the stream
start, so the benchmark scores every system the same way.

``whisperlivekit`` (PyPI, installed with ``--no-deps``: it hard-requires torchaudio and
librosa, and its server's warm-up downloads a sample from GitHub): its LocalAgreement
policy (``local_agreement.online_asr.OnlineASRProcessor``), its faster-whisper backend
(``local_agreement.backends.FasterWhisperASR``: beam 5, word timestamps, conditioned on
previous text) and its voice activity controller (``FixedVADIterator`` over its bundled
Silero ONNX model, its defaults) are used as they are. Its ``AudioProcessor`` (asyncio,
ffmpeg, the web front end) is not: :func:`run_whisperlivekit` is a synchronous copy of
that processor's transcription loop for PCM input (silence start runs ``start_silence``,
silence end ``end_silence``, speech audio is queued, and all audio queued while a decode
ran is decoded in one ``process_iter``; at the end, ``finish`` flushes the buffer).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SAMPLE_RATE_HZ = 16000


@dataclass(frozen=True, slots=True)
class TimedWords:
    """Words a system output at ``wall_s``: ``final`` ones are never revised."""

    wall_s: float
    final: bool
    words: tuple[tuple[float, float, str], ...]


@dataclass(slots=True)
class Trace:
    outputs: list[TimedWords] = field(default_factory=list)
    decode_s: float = 0.0
    decodes: int = 0
    max_lag_s: float = 0.0

    @property
    def final_text(self) -> str:
        return " ".join(w[2].strip() for out in self.outputs if out.final for w in out.words if w[2].strip())


def whisperlivekit_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("whisperlivekit")
    except Exception:
        return None


def run_whisperlivekit(
    whisper_model: Any,
    samples: np.ndarray,
    *,
    language: str = "en",
    chunk_s: float = 0.1,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> Trace:
    """Stream ``samples`` (16 kHz mono) in real time through whisperlivekit's
    LocalAgreement + faster-whisper backend, sharing ``whisper_model``."""
    from whisperlivekit.local_agreement.backends import FasterWhisperASR
    from whisperlivekit.local_agreement.online_asr import OnlineASRProcessor
    from whisperlivekit.silero_vad_iterator import FixedVADIterator, OnnxWrapper, load_onnx_session

    class SharedModelASR(FasterWhisperASR):  # type: ignore[misc]
        """whisperlivekit's faster-whisper backend on the benchmark's loaded model."""

        def load_model(self, model_size: Any = None, cache_dir: Any = None, model_dir: Any = None) -> Any:
            return whisper_model

    asr = SharedModelASR(lan=language, model_dir="shared")
    # whisperlivekit's defaults (WhisperLiveKitConfig): segment trimming at 15 s,
    # no confidence validation, no sentence tokenizer.
    asr.confidence_validation = False
    asr.tokenizer = None
    asr.buffer_trimming = "segment"
    asr.buffer_trimming_sec = 15.0
    online = OnlineASRProcessor(asr)
    vac = FixedVADIterator(OnnxWrapper(session=load_onnx_session()))

    trace = Trace()
    queue: list[Any] = []  # np arrays, ("start", t) or ("end", duration)
    silence_start: float | None = 0.0  # the processor starts in a placeholder silence
    total = 0
    last_token_end = 0.0
    shown_tail: tuple[tuple[float, float, str], ...] = ()
    origin = clock()

    def now() -> float:
        return clock() - origin

    def words(tokens: Any) -> tuple[tuple[float, float, str], ...]:
        return tuple((float(t.start), float(t.end), str(t.text)) for t in tokens if str(t.text).strip())

    def timed(call: Callable[[], Any]) -> Any:
        started = clock()
        result = call()
        trace.decode_s += clock() - started
        trace.decodes += 1
        return result

    def publish(committed: Any) -> None:
        nonlocal last_token_end, shown_tail
        if committed:
            trace.outputs.append(TimedWords(now(), True, words(committed)))
            last_token_end = float(committed[-1].end)
        tail = words(online.transcript_buffer.buffer)
        if tail and tail != shown_tail:
            trace.outputs.append(TimedWords(now(), False, tail))
        shown_tail = tail

    def intake(pcm: np.ndarray) -> None:
        nonlocal silence_start, total
        start_sample = total
        end_sample = total + pcm.size
        last = 0
        for event in vac(pcm) or []:
            if "start" in event and silence_start is not None:
                at = max(start_sample, min(end_sample, int(event["start"])))
                queue.append(("end", at / SAMPLE_RATE_HZ - silence_start))
                silence_start = None
                last = at - start_sample
            if "end" in event and silence_start is None:
                at = max(start_sample, min(end_sample, int(event["end"])))
                if at - start_sample > last:
                    queue.append(pcm[last:at - start_sample])
                queue.append(("start", at / SAMPLE_RATE_HZ))
                silence_start = at / SAMPLE_RATE_HZ
                last = at - start_sample
        if silence_start is None and last < pcm.size:
            queue.append(pcm[last:])
        total = end_sample

    def drain() -> None:
        while queue:
            item = queue.pop(0)
            if isinstance(item, tuple):
                kind, value = item
                if kind == "start":
                    committed, _ = timed(online.start_silence)
                    publish(committed)
                else:
                    online.end_silence(value, last_token_end)
                continue
            arrays = [item]
            while queue and not isinstance(queue[0], tuple):
                arrays.append(queue.pop(0))
            online.insert_audio_chunk(np.concatenate(arrays))
            committed, _ = timed(online.process_iter)
            publish(committed)

    size = max(1, int(round(chunk_s * SAMPLE_RATE_HZ)))
    index = 0
    while index < samples.size:
        arrival = min(index + size, samples.size) / SAMPLE_RATE_HZ
        wait = arrival - now()
        if wait > 0:
            sleep(wait)
        arrived = min(samples.size, max(index + size, int(now() * SAMPLE_RATE_HZ) // size * size))
        intake(np.asarray(samples[index:arrived], dtype=np.float32))
        index = arrived
        drain()
        trace.max_lag_s = max(trace.max_lag_s, now() - index / SAMPLE_RATE_HZ)
    if silence_start is not None:
        queue.append(("end", total / SAMPLE_RATE_HZ - silence_start))
    drain()
    remaining, _ = online.finish()
    if remaining:
        trace.outputs.append(TimedWords(now(), True, words(remaining)))
    return trace
