"""Deterministic fakes for unit tests. Named as fakes; never used by default.

* :class:`ScriptedTranscriber` returns one given script of segments per call, so tests
  state exactly what the "engine" said (including hallucinations and loops).
* :class:`BurstTranscriber` hears bursts of sound as words named by their start time,
  so streaming tests get hypotheses that follow the audio (and a modelled decode cost).
* :class:`ScriptTranscriber` "hears" a call script (the words of the turn at that
  time), for end-to-end tests of the live path where the words matter.
* :class:`FakeEmbedder` hashes words into a fixed-size bag-of-words vector, so texts that
  share words are similar and nothing needs model weights.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from langassist.backends.base import Segment, Transcription
from langassist.events import LanguageDistribution, Word

__all__ = ["BurstTranscriber", "FakeEmbedder", "ScriptTranscriber", "ScriptedTranscriber"]


class ScriptedTranscriber:
    """A fake :class:`~langassist.backends.base.Transcriber`.

    Args:
        scripts: one sequence of segments per expected ``transcribe`` call, in order
            (times relative to the audio given); after the last script, an empty
            transcription is returned.
        language: the spoken-language distribution to report (multilingual fake).
        name: recorded as the model name.
    """

    def __init__(
        self,
        scripts: Iterable[Sequence[Segment]] = (),
        *,
        language: LanguageDistribution | None = None,
        name: str = "fake-scripted",
    ) -> None:
        self.name = name
        self.multilingual = language is not None
        self._scripts = [tuple(script) for script in scripts]
        self._language = language
        self.calls: list[tuple[int, str | None, float]] = []
        self.prompts: list[str | None] = []

    def detect_language(self, audio: np.ndarray) -> LanguageDistribution:
        return self._language or LanguageDistribution()

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        language: str | None = None,
        offset_s: float = 0.0,
        prompt: str | None = None,
    ) -> Transcription:
        index = len(self.calls)
        self.calls.append((int(audio.size), language, offset_s))
        self.prompts.append(prompt)
        script = self._scripts[index] if index < len(self._scripts) else ()
        segments = tuple(
            dataclasses.replace(
                segment,
                start_s=segment.start_s + offset_s,
                end_s=segment.end_s + offset_s,
                words=tuple(
                    dataclasses.replace(word, start_s=word.start_s + offset_s, end_s=word.end_s + offset_s)
                    for word in segment.words
                ),
                language=segment.language or self._language,
            )
            for segment in script
        )
        duration = audio.size / 16000.0
        return Transcription(
            segments=segments,
            language=self._language,
            duration_s=duration,
            speech_s=duration,
            decode_s=0.0,
            options={"model": self.name},
        )


_FAKE_WORD_RE = re.compile(r"\w+", re.UNICODE)


class FakeEmbedder:
    """A fake :class:`~langassist.backends.base.Embedder`: hashed bag of words, no model.

    Each lower-cased word adds one to a bucket picked by a stable hash (BLAKE2b, not
    Python's salted ``hash``), so results are identical across runs and processes. Rows
    are L2-normalized; a text without words maps to one fixed "empty" bucket. Cosine
    similarity is then word overlap, which is enough to test logic that compares texts.

    Args:
        dim: vector size.
        name: recorded as the embedder name.
    """

    similarity_floor = 0.0

    def __init__(self, dim: int = 256, *, name: str = "fake-hash") -> None:
        if dim < 2:
            raise ValueError(f"FakeEmbedder dim must be at least 2, got {dim}")
        self.dim = dim
        self.name = name
        self.calls = 0

    def _bucket(self, word: str) -> int:
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        return 1 + int.from_bytes(digest, "little") % (self.dim - 1)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings; wrap a single text in a list")
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _FAKE_WORD_RE.findall(text.lower())
            if not words:
                out[row, 0] = 1.0
                continue
            for word in words:
                out[row, self._bucket(word)] += 1.0
            out[row] /= np.linalg.norm(out[row])
        return out


class BurstTranscriber:
    """A fake transcriber that "hears" bursts of sound as words, for streaming tests.

    Every run of loud 10 ms frames (RMS at or above ``threshold_dbfs``, gaps shorter than
    ``merge_gap_s`` bridged) is one word, named by its absolute start time in tenths of a
    second (``"w12"`` for a burst at 1.2 s), so the same sound gives the same word in
    every decode that sees it whole. A burst touching the end of the audio is cut off
    and comes out as ``"w12~"``, like Whisper guessing at a word it has not heard out,
    so it cannot agree with the whole word. Every word whose number is divisible by
    ``sentence_every`` ends with ``"."``. One segment per call.

    Args:
        cost_per_call_s / cost_per_audio_s: the modelled decode time, reported as
            ``decode_s`` and passed to ``advance`` (a virtual clock's advance).
    """

    def __init__(
        self,
        *,
        threshold_dbfs: float = -30.0,
        merge_gap_s: float = 0.05,
        sentence_every: int = 0,
        cost_per_call_s: float = 0.0,
        cost_per_audio_s: float = 0.0,
        advance: Callable[[float], None] | None = None,
        name: str = "fake-burst",
    ) -> None:
        self.name = name
        self.multilingual = False
        self._threshold = float(10.0 ** (threshold_dbfs / 10.0))
        self._merge_frames = max(0, round(merge_gap_s / 0.01))
        self._sentence_every = sentence_every
        self._cost = (cost_per_call_s, cost_per_audio_s)
        self._advance = advance
        self.calls: list[tuple[int, str | None, float]] = []
        self.prompts: list[str | None] = []

    def detect_language(self, audio: np.ndarray) -> LanguageDistribution:
        return LanguageDistribution()

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        language: str | None = None,
        offset_s: float = 0.0,
        prompt: str | None = None,
    ) -> Transcription:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        self.calls.append((int(audio.size), language, offset_s))
        self.prompts.append(prompt)
        frame = 160
        count = audio.size // frame
        loud = (
            np.mean(np.square(audio[: count * frame].reshape(count, frame), dtype=np.float64), axis=1)
            >= self._threshold
            if count
            else np.zeros(0, dtype=bool)
        )
        runs: list[list[int]] = []
        for index in np.flatnonzero(loud):
            if runs and index - runs[-1][1] <= self._merge_frames + 1:
                runs[-1][1] = int(index)
            else:
                runs.append([int(index), int(index)])
        words: list[Word] = []
        for first, last in runs:
            start_s = round(offset_s + first * 0.01, 3)
            end_s = round(offset_s + (last + 1) * 0.01, 3)
            number = int(round(start_s * 10))
            text = f"w{number}"
            if last >= count - 1:
                text += "~"
            elif self._sentence_every and number % self._sentence_every == 0:
                text += "."
            words.append(Word(start_s=start_s, end_s=end_s, text=text, probability=0.9))
        segments: tuple[Segment, ...] = ()
        if words:
            segments = (
                Segment(
                    start_s=words[0].start_s,
                    end_s=words[-1].end_s,
                    text=" ".join(word.text for word in words),
                    words=tuple(words),
                    avg_logprob=-0.2,
                    no_speech_prob=0.01,
                    compression_ratio=1.2,
                ),
            )
        duration = audio.size / 16000.0
        decode_s = self._cost[0] + self._cost[1] * duration
        if self._advance is not None and decode_s > 0:
            self._advance(decode_s)
        return Transcription(
            segments=segments,
            language=None,
            duration_s=duration,
            speech_s=duration,
            decode_s=decode_s,
            options={"model": self.name},
        )


class ScriptTranscriber:
    """A fake transcriber that "hears" a call script: the words of each scripted turn
    whose time overlaps the audio given and whose audio is not silent there.

    Words are spread evenly over their turn (``(start_s, end_s, text)``, absolute times);
    a decode returns the words that start in the audio given and whose first half it
    holds, so partials grow as audio arrives, like a real engine's. For end-to-end tests
    of the live path (sidebar, replay) where the words matter but a model would be slow.
    """

    def __init__(self, turns: Sequence[tuple[float, float, str]], *, threshold_dbfs: float = -45.0,
                 name: str = "fake-script") -> None:
        self.name = name
        self.multilingual = False
        self._turns = [(float(a), float(b), str(t)) for a, b, t in turns]
        self._threshold = float(10.0 ** (threshold_dbfs / 10.0))
        self.calls: list[tuple[int, str | None, float]] = []

    def detect_language(self, audio: np.ndarray) -> LanguageDistribution:
        return LanguageDistribution()

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        language: str | None = None,
        offset_s: float = 0.0,
        prompt: str | None = None,
    ) -> Transcription:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        self.calls.append((int(audio.size), language, offset_s))
        end = offset_s + audio.size / 16000.0
        words: list[Word] = []
        for start_s, end_s, text in self._turns:
            lo, hi = max(start_s, offset_s), min(end_s, end)
            if hi <= lo:
                continue
            piece = audio[int((lo - offset_s) * 16000):int((hi - offset_s) * 16000)]
            if not piece.size or float(np.mean(np.square(piece, dtype=np.float64))) < self._threshold:
                continue
            tokens = text.split()
            step = (end_s - start_s) / max(len(tokens), 1)
            for index, token in enumerate(tokens):
                w0, w1 = start_s + index * step, start_s + (index + 1) * step
                if w0 >= offset_s - 0.05 and (w0 + w1) / 2 <= end:  # heard at least half of it
                    words.append(Word(start_s=round(w0, 3), end_s=round(w1, 3), text=token, probability=0.9))
        segments: tuple[Segment, ...] = ()
        if words:
            segments = (Segment(start_s=words[0].start_s, end_s=words[-1].end_s,
                                text=" ".join(w.text for w in words), words=tuple(words),
                                avg_logprob=-0.2, no_speech_prob=0.01, compression_ratio=1.2),)
        duration = audio.size / 16000.0
        return Transcription(segments=segments, language=None, duration_s=duration, speech_s=duration,
                             decode_s=0.0, options={"model": self.name})
