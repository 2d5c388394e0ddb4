"""The suggestion engine: barrier events in, a few useful suggestions out.

It reacts to the assessment events of one call:

* an agent :class:`TranscriptFinal` that holds codes, numbers or emails: read them back
  in chunks, spell them, offer to send them in writing; and, when the customer speaks
  another language, the utterance translated (or, with no backend for the pair, the
  closest phrasebook phrase, and a plain statement that no translation exists);
* a customer :class:`LanguageDetected` in a language the agent does not serve: what the
  customer said, translated for the agent (or said to be untranslatable);
* a :class:`DifficultyScored` at or above ``min_difficulty``: a plain-language rewrite
  and coaching cues from the score's reasons (slow down, check understanding, shorter
  sentences);
* a :class:`ConfusionDetected`: the next best move for its kind (repeat more simply,
  confirm, check they are still there, switch language, and after repeated confusion
  send it in writing or offer an interpreter);
* a :class:`MismatchDetected`: language help (a queue or an interpreter when configured,
  whether translation is available, and a phrase in the customer's language);
* an :class:`AccentScored` at or above ``min_accent``: a coaching cue.

Every suggestion carries its trigger and reason; the :class:`SuggestionPolicy` ranks,
de-duplicates and rate-limits them and records every decision. The engine is a stage
(``feed``/``flush``/``reset``): it reads no clock and does no I/O of its own; the
translation router it is given may call a backend.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import Sequence
from typing import Any

from langassist.difficulty.glossary import Glossary
from langassist.errors import LangassistError
from langassist.events import (
    AGENT,
    CUSTOMER,
    AccentScored,
    ConfusionDetected,
    DifficultyScored,
    LanguageCode,
    LanguageDetected,
    MismatchDetected,
    Reason,
    SuggestionProposed,
    TranscriptFinal,
    normalize_language,
)
from langassist.phrasebook.book import Phrasebook
from langassist.phrasebook.search import PhraseIndex
from langassist.pii import card_numbers
from langassist.suggest.plain_words import PlainWords
from langassist.suggest.policy import SuggestionPolicy, SuggestionRecord
from langassist.suggest.rewrite import Rewrite, rewrite_plain, spell_code
from langassist.suggest.settings import SuggestionSettings
from langassist.suggest.suggestion import KINDS, Suggestion
from langassist.translate.router import TranslationRouter

__all__ = ["LANGUAGE_NAMES", "SuggestionEngine", "language_name"]

logger = logging.getLogger(__name__)

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "es": "Spanish", "de": "German", "fr": "French", "pl": "Polish",
    "pt": "Portuguese", "it": "Italian", "nl": "Dutch", "tr": "Turkish", "zh": "Chinese",
    "ja": "Japanese", "ko": "Korean", "ru": "Russian", "uk": "Ukrainian", "ar": "Arabic",
    "hi": "Hindi", "ro": "Romanian", "cs": "Czech", "sv": "Swedish", "vi": "Vietnamese",
    "ca": "Catalan", "el": "Greek", "hu": "Hungarian", "fa": "Persian", "id": "Indonesian",
}

_VOCABULARY_FEATURES = {
    "rare_words", "rarest_word", "rarity_load", "cefr_level", "advanced_words", "cefr_load",
    "long_words", "syllables_per_word", "word_length", "word_frequency",
}
_LENGTH_FEATURES = {"sentence_length", "clauses"}
_JARGON_FEATURES = {"jargon", "acronyms", "idioms"}
_CODE_FEATURES = {"codes", "numbers"}
_BASE_PRIORITY = {
    "repeat_simply": 0.95, "confirm": 0.9, "switch_language": 0.9, "offer_queue": 0.88,
    "offer_interpreter": 0.86, "translation": 0.85, "incoming_translation": 0.8,
    "phrase": 0.75, "no_translation": 0.74, "plain_rewrite": 0.7, "slow_down": 0.65,
    "spell_it": 0.6, "send_in_writing": 0.55, "check_understanding": 0.5,
    "short_sentences": 0.45,
}
_REPEATED_CONFUSION = 3
_CONFUSION_MEMORY_S = 120.0
_UTTERANCES_KEPT = 64


def language_name(code: str | None) -> str:
    """English name of a language code (the code itself when unknown)."""
    if code is None:
        return "an unknown language"
    return LANGUAGE_NAMES.get(code, code)


def _top_reasons(reasons: Sequence[Reason], count: int = 2) -> list[Reason]:
    positive = [reason for reason in reasons if reason.contribution > 0]
    positive.sort(key=lambda reason: -reason.contribution)
    return positive[:count]


class SuggestionEngine:
    """Stage that turns barrier events into rate-limited suggestions for one call.

    Args:
        settings: triggers and policy.
        glossary: jargon with plain explanations, for rewrites.
        plain_words: formal -> plain word swaps, for rewrites.
        phrases: phrasebook search index (multilingual embeddings); needed for the
            phrasebook fallback when no translation backend serves a pair.
        phrasebook: the phrasebook, when no index is given (phrases by id only).
        router: translation backends per language pair; ``None`` means no translation.
        agent_languages: languages the agent serves (``AssessmentSettings``).
        target_syllables_per_s: the speech-rate target (``AssessmentSettings``).
    """

    name = "suggest"
    accepts: tuple[type, ...] = (
        TranscriptFinal, LanguageDetected, DifficultyScored, ConfusionDetected,
        MismatchDetected, AccentScored,
    )

    def __init__(
        self,
        settings: SuggestionSettings | None = None,
        *,
        glossary: Glossary | None = None,
        plain_words: PlainWords | None = None,
        phrases: PhraseIndex | None = None,
        phrasebook: Phrasebook | None = None,
        router: TranslationRouter | None = None,
        agent_languages: Sequence[str] = ("en",),
        target_syllables_per_s: float = 4.0,
    ) -> None:
        self.settings = settings or SuggestionSettings()
        self.glossary = glossary
        self.plain_words = plain_words
        self.phrases = phrases
        self.phrasebook = phrasebook if phrasebook is not None else (
            phrases.phrasebook if phrases is not None else None
        )
        self.router = router
        codes = [normalize_language(code) for code in agent_languages]
        self.agent_languages = tuple(code for code in codes if code) or ("en",)
        self.target_syllables_per_s = target_syllables_per_s
        self.policy = SuggestionPolicy(self.settings)
        self._utterances: OrderedDict[str, TranscriptFinal] = OrderedDict()
        self._languages: dict[str, LanguageCode] = {}
        self._confusions: deque[float] = deque()
        self._last_agent: TranscriptFinal | None = None
        self._last_customer: TranscriptFinal | None = None

    # -- stage protocol -----------------------------------------------------------------

    def feed(self, event: Any) -> list[SuggestionProposed]:
        return [suggestion.to_event() for suggestion in self.propose(event)]

    def flush(self) -> list[SuggestionProposed]:
        return []

    def reset(self) -> None:
        self.policy.reset()
        self._utterances.clear()
        self._languages.clear()
        self._confusions.clear()
        self._last_agent = None
        self._last_customer = None

    # -- public -------------------------------------------------------------------------

    @property
    def history(self) -> tuple[SuggestionRecord, ...]:
        return self.policy.history

    def propose(self, event: Any) -> list[Suggestion]:
        """Admitted suggestions (with ids) for one event."""
        candidates = self.candidates(event)
        if not candidates:
            return []
        time_s = float(getattr(event, "time_s", getattr(event, "end_s", 0.0)))
        return self.policy.admit(candidates, time_s)

    def candidates(self, event: Any) -> list[Suggestion]:
        """Every suggestion the event warrants, before ranking and rate limiting."""
        if isinstance(event, TranscriptFinal):
            return self._on_final(event)
        if isinstance(event, LanguageDetected):
            return self._on_language(event)
        if isinstance(event, DifficultyScored):
            return self._on_difficulty(event)
        if isinstance(event, ConfusionDetected):
            return self._on_confusion(event)
        if isinstance(event, MismatchDetected):
            return self._on_mismatch(event)
        if isinstance(event, AccentScored):
            return self._on_accent(event)
        return []

    def rewrite(self, text: str, language: str | None = "en") -> Rewrite:
        """The plain-language rewrite with this engine's glossary and settings."""
        settings = self.settings
        return rewrite_plain(
            text,
            glossary=self.glossary,
            plain_words=self.plain_words,
            protected_terms=settings.protected_terms,
            language=language,
            max_sentence_words=settings.max_sentence_words,
            read_back_min_chars=settings.read_back_min_chars,
            chunk_size=settings.chunk_size,
        )

    # -- state helpers ------------------------------------------------------------------

    def _agent_language(self) -> LanguageCode:
        return self._languages.get(AGENT) or self.agent_languages[0]

    def _customer_language(self) -> LanguageCode | None:
        return self._languages.get(CUSTOMER)

    def _foreign_customer(self) -> LanguageCode | None:
        language = self._customer_language()
        return language if language and language not in self.agent_languages else None

    def _phrase_text(self, phrase_id: str, language: str | None) -> str | None:
        if self.phrasebook is None or language is None:
            return None
        phrase = self.phrasebook.get(phrase_id)
        return phrase.text(language) if phrase is not None else None

    def _make(
        self,
        event: Any,
        kind: str,
        text: str,
        trigger: str,
        reason: str,
        *,
        strength: float = 1.0,
        utterance_id: str | None = None,
        details: Sequence[tuple[str, str]] = (),
    ) -> Suggestion:
        return Suggestion(
            call_id=event.call_id,
            track=event.track,
            time_s=float(getattr(event, "time_s", getattr(event, "end_s", 0.0))),
            category=KINDS[kind],
            kind=kind,
            text=text,
            trigger=trigger,
            reason=reason,
            priority=round(_BASE_PRIORITY[kind] * max(0.0, min(1.0, strength)), 4),
            utterance_id=utterance_id,
            details=tuple(details),
        )

    def _phrase_details(self, phrase_id: str, language: str | None) -> list[tuple[str, str]]:
        text = self._phrase_text(phrase_id, language)
        if text is None or language is None:
            return []
        return [("phrase_id", phrase_id), (f"say_in_{language}", text)]

    # -- handlers -----------------------------------------------------------------------

    def _on_final(self, event: TranscriptFinal) -> list[Suggestion]:
        self._utterances[event.utterance_id] = event
        while len(self._utterances) > _UTTERANCES_KEPT:
            self._utterances.popitem(last=False)
        if event.track == CUSTOMER:
            self._last_customer = event
            return []
        self._last_agent = event
        if not event.text.strip():
            return []
        rewrite = self.rewrite(event.text, self._agent_language())
        trigger = f"agent utterance {event.utterance_id} at {event.end_s:.1f} s"
        out = self._read_back_cues(event, rewrite, trigger)
        customer = self._foreign_customer()
        if customer is not None:
            out.extend(self._translate_for_customer(event, rewrite, customer, trigger))
        return out

    def _read_back_cues(self, event: Any, rewrite: Rewrite, trigger: str) -> list[Suggestion]:
        out: list[Suggestion] = []
        customer = self._foreign_customer()
        read_back: list[tuple[str, str]] = []
        for original, spoken in rewrite.read_back:
            cards = card_numbers(original)
            if cards:
                # A card number is never read back or sent in writing (PCI DSS): the
                # agent confirms its last four digits only.
                last_four = cards[0][-4:]
                out.append(self._make(
                    event, "spell_it",
                    f'Do not read the card number back; confirm only its last four digits: "{" ".join(last_four)}".',
                    trigger,
                    "Card numbers are never repeated in full on a call or sent in writing; the "
                    "last four digits are enough to check it.",
                    utterance_id=getattr(event, "utterance_id", None),
                    details=[("item", "card number"), ("last_four", last_four)],
                ))
                continue
            read_back.append((original, spoken))
            if "@" in original:
                text = f'Spell the email address: "{spoken}".'
            else:
                text = f'Read "{original}" back in chunks: "{spoken}".'
            details = [("item", original), ("read_back", spoken)]
            letters = spell_code(original)
            if any(character.isalpha() for character in original):
                details.append(("spelling", letters))
            out.append(self._make(
                event, "spell_it", text, trigger,
                "Codes and long numbers are easy to mishear; short groups are easier to note "
                "and to check.",
                utterance_id=getattr(event, "utterance_id", None), details=details,
            ))
        emails = [item for item, _ in read_back if "@" in item]
        if len(read_back) >= 2 or emails:
            items = ", ".join(item for item, _ in read_back)
            out.append(self._make(
                event, "send_in_writing",
                f"Offer to send these details in writing (email or text message): {items}.",
                trigger,
                "Several codes or an email address in one turn are hard to note by ear; "
                "in writing they arrive exactly.",
                utterance_id=getattr(event, "utterance_id", None),
                details=[("items", items), *self._phrase_details("language.written", customer)],
            ))
        return out

    def _translate_for_customer(
        self, event: TranscriptFinal, rewrite: Rewrite, customer: LanguageCode, trigger: str
    ) -> list[Suggestion]:
        source = self._agent_language()
        text = rewrite.text if rewrite.changed else event.text
        pair = f"{source}->{customer}"
        message = f"No translation backend is configured for {pair}."
        if self.router is not None:
            try:
                outcome = self.router.translate(
                    [text], source=source, target=customer, terms=self.settings.protected_terms
                )
            except LangassistError as exc:
                outcome = None
                message = f"Translation {pair} failed: {exc}."
            if outcome is not None and outcome.ok:
                translation = outcome.translations[0]
                return [self._make(
                    event, "translation", translation.text, trigger,
                    f"The customer speaks {language_name(customer)}; your last sentence "
                    f"translated with {outcome.backend} (numbers and names kept as said).",
                    utterance_id=event.utterance_id,
                    details=[
                        ("source_text", text), ("language", customer),
                        ("backend", str(outcome.backend)), ("protection", translation.protection),
                    ],
                )]
            if outcome is not None:
                message = outcome.message
        return self._phrasebook_fallback(event, text, customer, trigger, message)

    def _phrasebook_fallback(
        self, event: TranscriptFinal, text: str, customer: LanguageCode, trigger: str, message: str
    ) -> list[Suggestion]:
        if self.phrases is not None and self.phrasebook is not None and self.phrasebook.supports(customer):
            matches = self.phrases.search(
                text, top_k=1, min_score=self.settings.phrase_min_similarity
            )
            if matches:
                match = matches[0]
                phrase_text = match.text(customer) or ""
                return [self._make(
                    event, "phrase", phrase_text, trigger,
                    f"{message} Closest phrasebook phrase in {language_name(customer)} "
                    f"({match.phrase.id}, similarity {match.score:.2f}).",
                    utterance_id=event.utterance_id,
                    details=[
                        ("phrase_id", match.phrase.id), ("language", customer),
                        ("meaning", match.text(self._agent_language()) or ""),
                        ("similarity", f"{match.score:.3f}"),
                    ],
                )]
            note = "no phrasebook phrase is close enough in meaning"
        elif self.phrasebook is not None and not self.phrasebook.supports(customer):
            note = f"the phrasebook has no {language_name(customer)}"
        else:
            note = "no phrasebook search is configured"
        return [self._make(
            event, "no_translation",
            f"No translation into {language_name(customer)} is available for this sentence: "
            "keep it short, send it in writing, or offer an interpreter.",
            trigger, f"{message} Also {note}.",
            utterance_id=event.utterance_id,
            details=[("language", customer)],
        )]

    def _on_language(self, event: LanguageDetected) -> list[Suggestion]:
        # The agent's language (the target of translations) follows the agent's settled
        # language only: one utterance in another language (a greeting in the
        # customer's) must not turn the translations around. A customer's follows the
        # latest utterance while their language is unsettled.
        language = event.speaker_language
        if language is None and event.track != AGENT:
            language = event.language
        if language is not None:
            self._languages[event.track] = language
        if event.track != CUSTOMER or event.language is None:
            return []
        if event.language in self.agent_languages:
            return []
        utterance = self._utterances.get(event.utterance_id)
        if utterance is None or not utterance.text.strip():
            return []
        target = self._agent_language()
        trigger = f"customer spoke {language_name(event.language)} ({event.utterance_id})"
        pair = f"{event.language}->{target}"
        message = f"No translation backend is configured for {pair}."
        if self.router is not None:
            outcome = self.router.translate(
                [utterance.text], source=event.language, target=target,
                terms=self.settings.protected_terms,
            )
            if outcome.ok:
                return [self._make(
                    event, "incoming_translation",
                    f"Customer said: {outcome.translations[0].text}", trigger,
                    f"Translated from {language_name(event.language)} with {outcome.backend}.",
                    utterance_id=event.utterance_id,
                    details=[("source_text", utterance.text), ("backend", str(outcome.backend))],
                )]
            message = outcome.message
        if self.phrases is not None:
            matches = [
                match for match in self.phrases.search(
                    utterance.text, top_k=1, min_score=self.settings.phrase_min_similarity
                )
                if match.margin >= self.settings.phrase_guess_min_margin
            ]
            if matches:
                meaning = matches[0].text(target) or ""
                return [self._make(
                    event, "incoming_translation", f"Customer probably means: {meaning}",
                    trigger,
                    f"{message} Matched the phrasebook phrase {matches[0].phrase.id} "
                    f"(similarity {matches[0].score:.2f}, {matches[0].margin:.2f} above the next "
                    "phrase); treat it as a guess.",
                    strength=0.8, utterance_id=event.utterance_id,
                    details=[("source_text", utterance.text), ("phrase_id", matches[0].phrase.id)],
                )]
        return [self._make(
            event, "no_translation",
            f"The customer is speaking {language_name(event.language)} and nothing here can "
            "translate it: ask for their preferred language or offer an interpreter.",
            trigger, message,
            utterance_id=event.utterance_id,
            details=[("language", event.language)],
        )]

    def _on_difficulty(self, event: DifficultyScored) -> list[Suggestion]:
        value = event.score.value
        if value is None or value < self.settings.min_difficulty:
            return []
        utterance = self._utterances.get(event.utterance_id)
        reasons = _top_reasons(event.score.reasons, 3)
        reason_text = "; ".join(reason.detail for reason in reasons if reason.detail)
        trigger = f"difficulty {value:.2f} on {event.utterance_id}"
        features = {reason.feature: reason for reason in event.score.reasons}
        top = {reason.feature for reason in reasons}
        out: list[Suggestion] = []
        rewrite: Rewrite | None = None
        if utterance is not None and utterance.text.strip():
            rewrite = self.rewrite(utterance.text, self._agent_language())
            if rewrite.changed:
                out.append(self._make(
                    event, "plain_rewrite", rewrite.text, trigger,
                    f"Hard to follow ({reason_text or f'difficulty {value:.2f}'}). "
                    f"Plain version: {rewrite.summary()}; numbers, codes and names kept as said.",
                    strength=value, utterance_id=event.utterance_id,
                    details=[("original", rewrite.original), ("changes", rewrite.summary())],
                ))
            out.extend(self._read_back_cues(event, rewrite, trigger))
        rate = features.get("speech_rate")
        if rate is not None and rate.value > self.target_syllables_per_s and rate.contribution > 0:
            out.append(self._make(
                event, "slow_down",
                f"Slow down: about {rate.value:.1f} syllables a second; aim for "
                f"{self.target_syllables_per_s:.1f} or less, and pause after each point.",
                trigger, rate.detail or "Fast speech is the first thing a non-native listener loses.",
                strength=max(value, 0.5), utterance_id=event.utterance_id,
                details=[("rate_syllables_per_s", f"{rate.value:.2f}"),
                         ("target_syllables_per_s", f"{self.target_syllables_per_s:.2f}")],
            ))
        if top & _LENGTH_FEATURES and (rewrite is None or not any(
            change.kind == "split" for change in rewrite.changes
        )):
            out.append(self._make(
                event, "short_sentences",
                "Use shorter sentences: one point per sentence, then pause.",
                trigger, reason_text or "Long sentences with many clauses are hard to follow.",
                strength=value, utterance_id=event.utterance_id,
            ))
        if value >= max(0.7, self.settings.min_difficulty) or top & (_VOCABULARY_FEATURES | _JARGON_FEATURES):
            customer = self._foreign_customer()
            out.append(self._make(
                event, "check_understanding",
                'Check understanding: ask "Does that make sense so far?"',
                trigger,
                f"That was hard to follow ({reason_text or f'difficulty {value:.2f}'}); "
                "a quick check catches a misunderstanding before it costs a call-back.",
                strength=value, utterance_id=event.utterance_id,
                details=self._phrase_details("understand.check", customer),
            ))
        return out

    def _on_confusion(self, event: ConfusionDetected) -> list[Suggestion]:
        value = event.score.value
        if value is None or value < self.settings.min_confusion:
            return []
        while self._confusions and event.time_s - self._confusions[0] > _CONFUSION_MEMORY_S:
            self._confusions.popleft()
        self._confusions.append(event.time_s)
        customer = self._foreign_customer()
        trigger = f"confusion: {event.kind.replace('_', ' ')} ({value:.2f}) at {event.time_s:.1f} s"
        out: list[Suggestion] = []
        last = self._last_agent
        if event.kind == "clarification_request":
            if last is not None and last.text.strip():
                rewrite = self.rewrite(last.text, self._agent_language())
                said = rewrite.text if rewrite.changed else last.text
                text = f"Say it again more simply: {said}"
                reason = (
                    "The customer asked you to repeat. Repeat slowly, in short sentences"
                    + (f" ({rewrite.summary()})." if rewrite.changed else ".")
                )
                details = [("original", last.text)]
            else:
                text = "Say it again slowly, in short and simple sentences."
                reason = "The customer asked you to repeat."
                details = []
            out.append(self._make(
                event, "repeat_simply", text, trigger, reason, strength=value,
                utterance_id=last.utterance_id if last else None,
                details=[*details, *self._phrase_details("repeat.simpler", customer)],
            ))
        elif event.kind == "repeated_question":
            asked = self._last_customer.text.strip() if self._last_customer else ""
            text = (
                f'Confirm what they need: "Let me check that I understood you correctly: '
                f'{asked}?"' if asked else
                'Confirm what they need: "Let me check that I understood you correctly."'
            )
            out.append(self._make(
                event, "confirm", text, trigger,
                "The customer asked the same thing again: your answer did not land. Confirm "
                "the question, then answer it in one short sentence.",
                strength=value, utterance_id=event.utterance_id,
                details=self._phrase_details("confirm.understood", customer),
            ))
        elif event.kind == "long_silence":
            out.append(self._make(
                event, "check_understanding",
                'Check in: "Are you still there? Does that make sense so far?"',
                trigger,
                "A long silence after your explanation often means the customer is lost or "
                "unsure how to answer.",
                strength=value, utterance_id=event.utterance_id,
                details=self._phrase_details("understand.check", customer),
            ))
        elif event.kind == "language_switch":
            out.extend(self._language_help(event, trigger, strength=value))
        else:
            out.append(self._make(
                event, "check_understanding",
                'Check understanding: "Does that make sense so far?"', trigger,
                f"A sign of confusion ({event.kind}).", strength=value,
                utterance_id=event.utterance_id,
            ))
        if len(self._confusions) >= _REPEATED_CONFUSION:
            count = len(self._confusions)
            out.append(self._make(
                event, "send_in_writing",
                "Confusion keeps coming back: offer to send the key details in writing.",
                trigger,
                f"{count} signs of confusion in the last {_CONFUSION_MEMORY_S:.0f} s; saying it "
                "again is not working.",
                strength=value,
                details=self._phrase_details("language.written", customer),
            ))
            if customer is not None:
                out.extend(self._escalations(event, customer, trigger, value))
        return out

    def _language_help(self, event: Any, trigger: str, *, strength: float) -> list[Suggestion]:
        customer = self._customer_language()
        if customer is None:
            return [self._make(
                event, "switch_language",
                'Ask which language they prefer: "Which language would you prefer to speak?"',
                trigger, "The customer may not be comfortable in this language.",
                strength=strength,
            )]
        if customer in self.agent_languages:
            return [self._make(
                event, "switch_language",
                f"Switch to {language_name(customer)}: the customer is speaking it and you serve it.",
                trigger, f"The customer switched to {language_name(customer)}.",
                strength=strength, details=[("language", customer)],
            )]
        out = self._escalations(event, customer, trigger, strength)
        source = self._agent_language()
        if self.router is not None and self.router.has_route(source, customer):
            steps = ", ".join(str(step) for step in self.router.steps_for(source, customer))
            out.append(self._make(
                event, "switch_language",
                f"Use translation: your sentences can be translated into "
                f"{language_name(customer)} ({steps}).",
                trigger, f"The customer speaks {language_name(customer)}.",
                strength=strength, details=[("language", customer), ("backend", steps)],
            ))
        else:
            phrase = self._phrase_text("language.speak_slowly", customer)
            out.append(self._make(
                event, "no_translation",
                f"No translation backend serves {source}->{customer}: use phrasebook "
                f"phrases in {language_name(customer)}"
                + (f', e.g. "{phrase}"' if phrase else "") + ".",
                trigger,
                f"The customer speaks {language_name(customer)} and no configured backend "
                f"translates {source}->{customer}.",
                strength=strength,
                details=[("language", customer), *self._phrase_details("language.speak_slowly", customer)],
            ))
        return out

    def _escalations(
        self, event: Any, customer: LanguageCode, trigger: str, strength: float
    ) -> list[Suggestion]:
        out: list[Suggestion] = []
        if customer in self.settings.queue_languages:
            out.append(self._make(
                event, "offer_queue",
                f"Offer a transfer to the {language_name(customer)} queue.", trigger,
                f"The customer speaks {language_name(customer)} and a "
                f"{language_name(customer)} queue exists.",
                strength=strength,
                details=[("language", customer), *self._phrase_details("language.queue", customer)],
            ))
        if self.settings.interpreter_available:
            out.append(self._make(
                event, "offer_interpreter",
                f"Offer an interpreter for {language_name(customer)}.", trigger,
                f"The customer speaks {language_name(customer)}, which you do not serve.",
                strength=strength,
                details=[("language", customer), *self._phrase_details("language.interpreter", customer)],
            ))
        return out

    def _on_mismatch(self, event: MismatchDetected) -> list[Suggestion]:
        value = event.score.value
        if event.customer_language is not None:
            self._languages[CUSTOMER] = event.customer_language
        if event.agent_language is not None:
            self._languages.setdefault(AGENT, event.agent_language)
        if value is None or value < self.settings.min_mismatch:
            return []
        trigger = (
            f"language mismatch ({value:.2f}): agent {language_name(event.agent_language)}, "
            f"customer {language_name(event.customer_language)}"
        )
        return self._language_help(event, trigger, strength=value)

    def _on_accent(self, event: AccentScored) -> list[Suggestion]:
        value = event.score.value
        if value is None or value < self.settings.min_accent:
            return []
        trigger = f"accent {value:.2f} on the {event.track} side"
        if event.track == AGENT:
            return [self._make(
                event, "slow_down",
                "Slow down a little and stress the key words; check they follow.",
                trigger,
                "Your accent may be unfamiliar to this customer; a slower pace makes it much "
                "easier to follow.",
                strength=value,
            )]
        return [self._make(
            event, "check_understanding",
            "Confirm names and numbers by reading them back before you act on them.",
            trigger,
            "The customer's speech is hard to transcribe and to hear; a read-back catches "
            "errors early.",
            strength=value,
            details=self._phrase_details("confirm.read_back", self._foreign_customer()),
        )]
