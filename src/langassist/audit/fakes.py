"""Deterministic fake audit resources, for tests and dry wiring. Named as fakes.

:class:`FakeResources` (spec ``"langassist.audit.fakes:FakeResources"``) gives the
audit a :class:`~langassist.backends.fake.BurstTranscriber` and a real
:class:`~langassist.assessment.Assessor` around small fake stages, so the audit runs
the same replay driver and barrier stage as production, with no model weights:

* language: ``es`` when an utterance holds a common Spanish word, else ``en``;
* difficulty of agent utterances: word count / 12, with a ``jargon`` reason for
  glossary-like words (``router``, ``modem``, ``firmware``, ``dns``, ``ont``);
* confusion: customer utterances with ``sorry``, ``repeat``, ``what`` or ``entiendo``;
* a ``clarify`` suggestion after each confusion signal.

Poison markers (for isolation tests): an utterance containing ``__HANG__`` blocks
forever, ``__CRASH__`` kills the process (a simulated native crash). The environment
variable ``LANGASSIST_FAKE_AUDIT_DELAY_S`` adds a sleep per call (a slow model).
"""

from __future__ import annotations

import os
import time
from typing import Any

from langassist.assessment import Assessor
from langassist.backends.fake import BurstTranscriber
from langassist.config import Settings
from langassist.events import (
    AGENT,
    ConfusionDetected,
    DifficultyScored,
    LanguageDetected,
    LanguageDistribution,
    Reason,
    Score,
    StreamEnded,
    SuggestionProposed,
    TranscriptFinal,
)

__all__ = ["FakeResources", "create_fake_assessor"]

DELAY_ENV = "LANGASSIST_FAKE_AUDIT_DELAY_S"
_SPANISH = {"hola", "entiendo", "gracias", "habla", "español", "por", "favor", "no", "qué"}
_JARGON = {"router": "the box for the internet", "modem": "the internet box",
           "firmware": "the device software", "dns": "the address book of the internet",
           "ont": "the box on your wall"}
_CONFUSED = ("sorry", "repeat", "what", "entiendo")


class _FakeStage:
    name = "fake-audit"
    accepts: tuple[type, ...] = (TranscriptFinal, StreamEnded)

    def __init__(self) -> None:
        self.suggested = 0

    def feed(self, event: Any) -> list[Any]:
        if isinstance(event, StreamEnded):
            return []
        text = event.text
        if "__HANG__" in text:
            while True:
                time.sleep(3600)
        if "__CRASH__" in text:
            os._exit(70)
        words = [w.strip(".,!?¿¡").lower() for w in text.split()]
        language = "es" if any(w in _SPANISH for w in words) else "en"
        out: list[Any] = [LanguageDetected(
            event.call_id, event.track, event.end_s, event.utterance_id, language,
            LanguageDistribution.from_mapping({language: 0.9}), speaker_language=language,
        )]
        if event.track == AGENT:
            value = min(1.0, len(words) / 12)
            reasons = [Reason("words", float(len(words)), value, f"{len(words)} words")]
            hits = [w for w in words if w in _JARGON]
            if hits:
                shown = ", ".join(f"{h} ({_JARGON[h]})" for h in hits[:4])
                reasons.append(Reason("jargon", float(len(hits)), 0.1, f"{len(hits)} jargon term(s): {shown}"))
            out.append(DifficultyScored(event.call_id, event.track, event.end_s, event.utterance_id,
                                        Score(value, tuple(reasons), 0.8)))
        elif any(marker in words for marker in _CONFUSED):
            out.append(ConfusionDetected(event.call_id, event.track, event.end_s, "clarification_request",
                                         Score(0.9, (Reason("lexicon", 1.0, 0.9, "asks to repeat"),), 0.9),
                                         event.utterance_id))
            self.suggested += 1
            out.append(SuggestionProposed(event.call_id, AGENT, event.end_s, f"s{self.suggested}",
                                          "clarify", "Say it again in shorter, plainer words.",
                                          "clarification_request", "the customer asked to repeat"))
        return out

    def flush(self) -> list[Any]:
        return []

    def reset(self) -> None:
        self.suggested = 0


def create_fake_assessor(settings: Settings | None = None) -> Assessor:
    """An :class:`Assessor` over the fake stage (real replay driver and barrier stage)."""
    threshold = settings.assessment.barrier_threshold if settings else 0.5
    return Assessor(lambda call_id: [_FakeStage()], barrier_threshold=threshold,
                    metadata={"assessor": "fake"})


class FakeResources:
    """Audit resources with no model weights (see the module docstring)."""

    name = "fake"

    def __init__(self) -> None:
        self.delay_s = float(os.environ.get(DELAY_ENV, "0") or 0)

    def transcriber(self, settings: Settings) -> BurstTranscriber:
        return BurstTranscriber(threshold_dbfs=-40.0, sentence_every=5)

    def assessor(self, settings: Settings) -> Any:
        if self.delay_s:
            time.sleep(self.delay_s)
        return create_fake_assessor(settings)



class FakeAssessorResources:
    """The real speech model (``service.create_transcriber``) with the fake assessor: for
    throughput benchmarks of the audio path while the assessment models are unavailable."""

    name = "real-asr-fake-assessor"

    def __init__(self) -> None:
        from langassist.audit.worker import ServiceResources

        self._service = ServiceResources()

    def transcriber(self, settings: Settings) -> Any:
        return self._service.transcriber(settings)

    def assessor(self, settings: Settings) -> Any:
        return create_fake_assessor(settings)
