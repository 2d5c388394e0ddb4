"""SuggestionEngine and SuggestionPolicy: triggers, reasons, ranking and flood control."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from langassist.errors import ConfigError
from langassist.events import (
    AccentScored,
    ConfusionDetected,
    DifficultyScored,
    LanguageDetected,
    LanguageDistribution,
    MismatchDetected,
    Reason,
    Score,
    SuggestionProposed,
    TranscriptFinal,
)
from langassist.suggest import (
    CATEGORIES,
    KINDS,
    Suggestion,
    SuggestionEngine,
    SuggestionPolicy,
    SuggestionSettings,
)
from langassist.suggest.build import create_engine, create_resources
from langassist.translate.router import TranslationRouter
from langassist.translate.settings import TranslationSettings

CALL = "call-1"


def final(track: str, uid: str, end_s: float, text: str) -> TranscriptFinal:
    return TranscriptFinal(CALL, track, uid, max(0.0, end_s - 2.0), end_s, text)


def difficulty(uid: str, time_s: float, value: float, *reasons: Reason) -> DifficultyScored:
    return DifficultyScored(CALL, "agent", time_s, uid, Score(value, tuple(reasons), 0.9))


def confusion(kind: str, time_s: float, value: float = 0.9) -> ConfusionDetected:
    return ConfusionDetected(CALL, "customer", time_s, kind, Score(value, (), 0.9), "c1")


def customer_language(code: str, time_s: float = 1.0, uid: str = "c0") -> LanguageDetected:
    return LanguageDetected(
        CALL, "customer", time_s, uid, code, LanguageDistribution.from_mapping({code: 1.0}),
        speaker_language=code,
    )


class ReverseTranslator:
    """A fake backend that reverses words (keeps placeholders intact)."""

    name = "reverse"

    def __init__(self, pairs: Sequence[tuple[str, str]] = (("en", "es"), ("es", "en"))) -> None:
        self.pairs = set(pairs)
        self.calls = 0

    def supports(self, source: str, target: str) -> bool:
        return (source, target) in self.pairs

    def translate(self, texts: Sequence[str], *, source: str, target: str) -> list[str]:
        self.calls += 1
        return [" ".join(reversed(text.split())) for text in texts]


@pytest.fixture(scope="module")
def resources():  # type: ignore[no-untyped-def]
    return create_resources()


@pytest.fixture
def engine(resources) -> SuggestionEngine:  # type: ignore[no-untyped-def]
    return create_engine(resources)


def all_admitted(engine: SuggestionEngine) -> list[Suggestion]:
    return engine.policy.shown()


# --------------------------------------------------------------------------- engine


def test_every_kind_has_a_known_category() -> None:
    assert set(KINDS.values()) <= set(CATEGORIES)


def test_difficulty_gives_plain_rewrite_with_trigger_and_reason(engine: SuggestionEngine) -> None:
    text = "Please check the firmware on your Fibrelink 500 router and call back within 3 days."
    engine.propose(final("agent", "a1", 4.0, text))
    out = engine.propose(difficulty("a1", 4.0, 0.9, Reason("jargon", 1.0, 0.3, "1 jargon term")))
    rewrite = next(s for s in out if s.kind == "plain_rewrite")
    assert "the software inside the device" in rewrite.text
    assert "500" in rewrite.text and "3 days" in rewrite.text
    assert rewrite.trigger.startswith("difficulty 0.90")
    assert rewrite.reason and rewrite.detail("original") == text
    for suggestion in out:
        assert suggestion.trigger and suggestion.reason and suggestion.suggestion_id


def test_below_threshold_difficulty_is_silent(engine: SuggestionEngine) -> None:
    engine.propose(final("agent", "a1", 4.0, "The firmware is old."))
    assert engine.propose(difficulty("a1", 4.0, 0.2)) == []


def test_slow_down_states_measured_and_target_rate(engine: SuggestionEngine) -> None:
    engine.propose(final("agent", "a1", 4.0, "Okay so we can do that now."))
    rate = Reason("speech_rate", 6.2, 0.4, "6.2 syllables/s, fast for a non-native listener")
    out = engine.propose(difficulty("a1", 4.0, 0.8, rate))
    slow = next(s for s in out if s.kind == "slow_down")
    assert "6.2" in slow.text and "4.0" in slow.text
    assert slow.detail("rate_syllables_per_s") == "6.20"
    assert slow.detail("target_syllables_per_s") == "4.00"
    assert slow.category == "coach"


def test_check_understanding_on_hard_vocabulary(engine: SuggestionEngine) -> None:
    engine.propose(final("agent", "a1", 4.0, "The remuneration is commensurate."))
    out = engine.propose(difficulty("a1", 4.0, 0.75, Reason("rare_words", 2.0, 0.3, "2 rare words")))
    kinds = {s.kind for s in engine.candidates(difficulty("a1", 4.0, 0.75,
                                                          Reason("rare_words", 2.0, 0.3, "x")))}
    assert "check_understanding" in kinds
    assert out  # something was admitted (rate limit lets one per category through)


def test_spell_it_and_send_in_writing_for_codes_and_email(engine: SuggestionEngine) -> None:
    text = "Your order ORD-2291-A ships today; write to help@example.com with reference 88123456."
    candidates = engine.candidates(final("agent", "a1", 4.0, text))
    spell = [s for s in candidates if s.kind == "spell_it"]
    items = {s.detail("item") for s in spell}
    assert {"ORD-2291-A", "help@example.com", "88123456"} <= items
    code = next(s for s in spell if s.detail("item") == "ORD-2291-A")
    assert code.detail("read_back") == "O R D - 2291 - A"
    assert "Oscar" in (code.detail("spelling") or "")
    writing = next(s for s in candidates if s.kind == "send_in_writing")
    assert "help@example.com" in writing.text


def test_a_card_number_is_never_read_back_or_sent_in_writing(engine: SuggestionEngine) -> None:
    text = "I have your card 4111 1111 1111 1111 and the order ORD-2291-A, reference 88123456."
    candidates = engine.candidates(final("agent", "a1", 4.0, text))
    spell = [s for s in candidates if s.kind == "spell_it"]
    card = next(s for s in spell if s.detail("item") == "card number")
    assert card.detail("last_four") == "1111" and '"1 1 1 1"' in card.text
    assert "4111" not in card.text and "read_back" not in dict(card.details)
    assert {"ORD-2291-A", "88123456"} <= {s.detail("item") for s in spell}
    writing = next(s for s in candidates if s.kind == "send_in_writing")
    assert "ORD-2291-A" in writing.text and "4111" not in writing.text
    # The card alone: its cue, and nothing to send in writing.
    alone = engine.candidates(final("agent", "a2", 9.0, "Thanks, I read 4111 1111 1111 1111."))
    assert [s.detail("item") for s in alone if s.kind == "spell_it"] == ["card number"]
    assert not any(s.kind == "send_in_writing" for s in alone)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("clarification_request", "repeat_simply"),
        ("repeated_question", "confirm"),
        ("long_silence", "check_understanding"),
        ("language_switch", "switch_language"),
    ],
)
def test_next_best_move_for_each_confusion(engine: SuggestionEngine, kind: str, expected: str) -> None:
    engine.propose(final("agent", "a1", 3.0, "You need to reprovision the ONT before the line test."))
    engine.propose(final("customer", "c1", 6.0, "What is my balance?"))
    out = engine.propose(confusion(kind, 7.0))
    assert [s.kind for s in out][:1] == [expected]
    assert out[0].trigger.startswith("confusion:")


def test_repeat_simply_offers_the_simpler_version(engine: SuggestionEngine) -> None:
    engine.propose(final("agent", "a1", 3.0, "We will escalate this and the firmware update follows."))
    out = engine.propose(confusion("clarification_request", 5.0))
    assert out[0].kind == "repeat_simply"
    assert "pass your case to a senior team" in out[0].text


def test_repeated_confusion_escalates_to_writing_interpreter_and_queue(resources) -> None:  # type: ignore[no-untyped-def]
    settings = SuggestionSettings(interpreter_available=True, language_queues=("pl",))
    engine = SuggestionEngine(settings, glossary=resources.glossary,
                              plain_words=resources.plain_words, phrasebook=resources.phrasebook)
    engine.propose(customer_language("pl"))
    kinds: list[str] = []
    for index, time_s in enumerate((10.0, 30.0, 50.0)):
        kinds += [s.kind for s in engine.candidates(confusion("clarification_request", time_s))]
        assert index < 2 or "send_in_writing" in kinds
    assert {"send_in_writing", "offer_interpreter", "offer_queue"} <= set(kinds)
    queue = next(s for s in engine.candidates(confusion("long_silence", 60.0)) if s.kind == "offer_queue")
    assert queue.detail("say_in_pl")  # a phrase in the customer's language


def test_mismatch_gives_language_help_and_phrase(engine: SuggestionEngine) -> None:
    event = MismatchDetected(CALL, "customer", 5.0, "en", "tr", Score(0.9, (), 0.9))
    out = engine.propose(event)
    assert out[0].kind == "no_translation"
    assert "en->tr" in out[0].text and out[0].detail("say_in_tr")


def test_mismatch_with_translation_route_suggests_translation(resources) -> None:  # type: ignore[no-untyped-def]
    router = TranslationRouter(TranslationSettings(), translators={"apertium": ReverseTranslator()})
    engine = SuggestionEngine(router=router, phrasebook=resources.phrasebook)
    out = engine.propose(MismatchDetected(CALL, "customer", 5.0, "en", "es", Score(0.9, (), 0.9)))
    assert out[0].kind == "switch_language" and "apertium" in out[0].text


def test_accent_triggers_coaching(engine: SuggestionEngine) -> None:
    out = engine.propose(AccentScored(CALL, "agent", 5.0, "en", Score(0.8, (), 0.9)))
    assert out[0].kind == "slow_down"
    assert engine.propose(AccentScored(CALL, "agent", 6.0, "en", Score(0.2, (), 0.9))) == []


def test_agent_utterance_translated_for_foreign_customer(resources) -> None:  # type: ignore[no-untyped-def]
    backend = ReverseTranslator()
    router = TranslationRouter(TranslationSettings(), translators={"apertium": backend})
    engine = SuggestionEngine(router=router, phrasebook=resources.phrasebook,
                              glossary=resources.glossary, plain_words=resources.plain_words)
    engine.propose(customer_language("es"))
    out = engine.propose(final("agent", "a1", 8.0, "Your code is AB12 and it costs 19.99 today"))
    translation = next(s for s in out if s.kind == "translation")
    assert "AB12" in translation.text and "19.99" in translation.text
    assert translation.detail("backend") == "apertium"


def test_unserved_pair_falls_back_to_phrasebook_and_says_so(resources) -> None:  # type: ignore[no-untyped-def]
    from langassist.backends.fake import FakeEmbedder
    from langassist.phrasebook import PhraseIndex

    index = PhraseIndex(resources.phrasebook, FakeEmbedder())
    settings = SuggestionSettings(phrase_min_similarity=0.3)
    engine = SuggestionEngine(settings, phrases=index, router=TranslationRouter(TranslationSettings()))
    engine.propose(customer_language("pl"))
    out = engine.propose(final("agent", "a1", 8.0, "Could you repeat that, please?"))
    phrase = next(s for s in out if s.category == "translate")
    assert phrase.kind == "phrase"
    assert phrase.text == "Proszę powtórzyć."
    assert "No translation backend is configured for en->pl" in phrase.reason


@pytest.mark.parametrize(("margin", "kind"), [(0.03, "incoming_translation"), (2.0, "no_translation")])
def test_incoming_phrasebook_guess_needs_its_margin(resources, margin: float, kind: str) -> None:  # type: ignore[no-untyped-def]
    """A customer line no translator serves gets "Customer probably means" only when its
    phrase beats the next one by ``phrase_guess_min_margin``; the guess is the matched
    sentence in the agent's language."""
    from langassist.backends.fake import FakeEmbedder
    from langassist.phrasebook import PhraseIndex

    index = PhraseIndex(resources.phrasebook, FakeEmbedder())
    settings = SuggestionSettings(phrase_min_similarity=0.3, phrase_guess_min_margin=margin)
    engine = SuggestionEngine(settings, phrases=index, router=TranslationRouter(TranslationSettings()))
    engine.propose(final("customer", "c1", 3.0, "Dziękuję."))
    out = engine.propose(customer_language("pl", 3.0, "c1"))
    assert out[0].kind == kind
    if kind == "incoming_translation":
        assert out[0].text == "Customer probably means: Thank you."
        assert "above the next phrase" in out[0].reason


def test_unserved_pair_without_phrase_search_says_no_translation(resources) -> None:  # type: ignore[no-untyped-def]
    engine = SuggestionEngine(phrasebook=resources.phrasebook, router=TranslationRouter(TranslationSettings()))
    engine.propose(customer_language("de"))
    out = engine.propose(final("agent", "a1", 8.0, "We have sent the technician."))
    assert out[0].kind == "no_translation"
    assert "no phrasebook search" in out[0].reason


def test_incoming_translation_for_agent(resources) -> None:  # type: ignore[no-untyped-def]
    router = TranslationRouter(TranslationSettings(), translators={"apertium": ReverseTranslator()})
    engine = SuggestionEngine(router=router, phrasebook=resources.phrasebook)
    engine.propose(final("customer", "c1", 3.0, "hola buenas tardes"))
    out = engine.propose(customer_language("es", 3.0, "c1"))
    assert out[0].kind == "incoming_translation"
    assert out[0].text == "Customer said: tardes buenas hola"


def test_one_agent_utterance_in_another_language_keeps_the_translation_target(resources) -> None:  # type: ignore[no-untyped-def]
    # One agent utterance read as French ("Bonjour") was taken as the agent's language,
    # and the customer's Spanish was then routed es->fr (no backend) instead of es->en.
    router = TranslationRouter(TranslationSettings(), translators={"apertium": ReverseTranslator()})
    engine = SuggestionEngine(router=router, phrasebook=resources.phrasebook)
    engine.propose(final("agent", "a1", 2.0, "Bonjour"))
    engine.propose(LanguageDetected(CALL, "agent", 2.0, "a1", "fr", LanguageDistribution.from_mapping({"fr": 1.0})))
    engine.propose(final("customer", "c1", 5.0, "hola buenas tardes"))
    out = engine.propose(customer_language("es", 5.0, "c1"))
    assert out[0].kind == "incoming_translation"
    assert out[0].text == "Customer said: tardes buenas hola"
    # When the agent's language is settled as French, translations go into French.
    engine = SuggestionEngine(router=router, phrasebook=resources.phrasebook)
    engine.propose(final("agent", "a1", 2.0, "Bonjour, je vous écoute"))
    engine.propose(LanguageDetected(CALL, "agent", 2.0, "a1", "fr", LanguageDistribution.from_mapping({"fr": 1.0}),
                                    speaker_language="fr"))
    engine.propose(final("customer", "c1", 5.0, "hola buenas tardes"))
    out = engine.propose(customer_language("es", 5.0, "c1"))
    assert out and out[0].kind != "incoming_translation"  # no es->fr backend here
    assert "es->fr" in out[0].reason


def test_feed_returns_events_and_reset_clears(engine: SuggestionEngine) -> None:
    events = engine.feed(confusion("long_silence", 4.0))
    assert events and isinstance(events[0], SuggestionProposed)
    assert events[0].trigger and events[0].reason
    assert engine.flush() == []
    engine.reset()
    assert engine.history == ()


# --------------------------------------------------------------------------- policy


def make(kind: str, time_s: float, text: str = "x", priority: float = 0.5) -> Suggestion:
    return Suggestion(CALL, "agent", time_s, KINDS[kind], kind, text, "t", "r", priority)


def test_policy_ranks_by_priority() -> None:
    policy = SuggestionPolicy(SuggestionSettings(max_per_category_window=5))
    out = policy.admit([make("spell_it", 1, "a", 0.2), make("slow_down", 1, "b", 0.9)], 1.0)
    assert [s.kind for s in out] == ["slow_down", "spell_it"]
    assert [s.suggestion_id for s in out] == ["s1", "s2"]


def test_policy_one_per_category_per_window() -> None:
    policy = SuggestionPolicy()
    assert len(policy.admit([make("slow_down", 0, "a"), make("spell_it", 0, "b")], 0.0)) == 1
    assert policy.admit([make("spell_it", 5, "c")], 5.0) == []
    assert policy.admit([make("repeat_simply", 5, "d")], 5.0)  # another category
    assert len(policy.admit([make("spell_it", 10, "c")], 10.0)) == 1  # window passed
    notes = [record.note for record in policy.history if not record.shown]
    assert any(note.startswith("rate limit: coach") for note in notes)


def test_policy_deduplicates_and_cools_down() -> None:
    policy = SuggestionPolicy(SuggestionSettings(category_window_s=0.0, duplicate_cooldown_s=30.0))
    first = policy.admit([make("slow_down", 0, "Slow down."), make("slow_down", 0, "slow down")], 0.0)
    assert len(first) == 1
    assert policy.admit([make("slow_down", 20, "Slow down!")], 20.0) == []
    assert len(policy.admit([make("slow_down", 31, "Slow down!")], 31.0)) == 1
    notes = [record.note for record in policy.history if not record.shown]
    assert notes[0] == "duplicate of a suggestion admitted for the same event"
    assert notes[1].startswith("duplicate of s1 shown at 0.0 s")


def test_policy_records_what_was_suggested_when() -> None:
    policy = SuggestionPolicy(SuggestionSettings(max_per_event=1, category_window_s=0.0))
    policy.admit([make("slow_down", 2, "a"), make("spell_it", 2, "b")], 2.0)
    history = policy.history
    assert [(r.time_s, r.suggestion.kind, r.shown) for r in history] == [
        (2.0, "slow_down", True), (2.0, "spell_it", False)
    ]
    assert history[1].note == "over max_per_event = 1"
    assert policy.shown()[0].to_dict()["id"] == "s1"


def test_settings_validate() -> None:
    with pytest.raises(ConfigError, match="category_window_s"):
        SuggestionSettings(category_window_s=-1)
    with pytest.raises(ConfigError, match="language_queues"):
        SuggestionSettings(language_queues=("klingon!",))
    assert SuggestionSettings(language_queues=("ES",)).queue_languages == frozenset({"es"})


def test_jargon_reason_lists_each_term_once() -> None:
    from langassist.config import AssessmentSettings
    from langassist.difficulty import DifficultyScorer

    score = DifficultyScorer(AssessmentSettings()).score(
        "Your DHCP lease expired, so renew the DHCP lease; the DHCP server logs it.",
        language="en",
    )
    detail = next(reason.detail for reason in score.reasons if reason.feature == "jargon")
    assert detail.count("DHCP (") == 1, detail
    assert detail.startswith("1 jargon term(s)"), detail
