"""Deterministic fake audit resources, for tests and dry wiring. Named as fakes.

:class:`FakeResources` (spec ``"langassist.audit.fakes:FakeResources"``) gives the
audit a :class:`~langassist.backends.fake.BurstTranscriber` and a real
:class:`~langassist.assessment.Assessor` around
:class:`~langassist.testing.FakeAssessmentStage`, so the audit runs
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

from langassist.backends.fake import BurstTranscriber
from langassist.config import Settings
from langassist.testing import create_fake_assessor

__all__ = ["FakeResources", "create_fake_assessor"]

DELAY_ENV = "LANGASSIST_FAKE_AUDIT_DELAY_S"
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
