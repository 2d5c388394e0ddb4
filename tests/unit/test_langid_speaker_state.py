"""T9: per-speaker language hysteresis (scripted evidence, no engines)."""

from __future__ import annotations

from langassist.events import LanguageDistribution
from langassist.langid.speaker_state import (
    LanguageObservation,
    SpeakerLanguages,
    SpeakerLanguageState,
)


def _obs(code: str, p: float, seconds: float = 3.0) -> LanguageObservation:
    rest = "de" if code != "de" else "en"
    return LanguageObservation(LanguageDistribution.from_mapping({code: p, rest: 1 - p}), seconds)


def test_first_language_settles_on_one_strong_utterance() -> None:
    state = SpeakerLanguageState()
    assert state.observe(_obs("en", 0.95)).language == "en"


def test_alternating_low_confidence_guesses_never_switch() -> None:
    state = SpeakerLanguageState()
    state.observe(_obs("en", 0.95))
    changes = 0
    for index in range(20):
        update = state.observe(_obs("es" if index % 2 else "fr", 0.45))
        changes += update.changed
    assert changes == 0 and state.settled == "en"


def test_short_utterances_never_switch() -> None:
    state = SpeakerLanguageState()
    state.observe(_obs("en", 0.95))
    for _ in range(10):  # "si", "vale": under min_speech_s (1 s) each
        assert not state.observe(_obs("es", 0.99, seconds=0.8)).changed
    assert state.settled == "en"
    # one 1.5-s utterance counts, but cannot switch alone; a second consistent one can
    assert not state.observe(_obs("es", 0.99, seconds=1.5)).changed
    assert state.observe(_obs("es", 0.99, seconds=1.5)).language == "es"


def test_one_confident_utterance_does_not_flip() -> None:
    state = SpeakerLanguageState()
    state.observe(_obs("en", 0.95))
    assert state.observe(_obs("es", 0.99)).language == "en"
    assert state.observe(_obs("en", 0.9)).language == "en"
    assert state.observe(_obs("es", 0.99)).language == "en"


def test_consistent_evidence_switches_within_two_utterances() -> None:
    state = SpeakerLanguageState()
    state.observe(_obs("en", 0.95))
    first = state.observe(_obs("es", 0.85, 2.0))
    second = state.observe(_obs("es", 0.9, 2.0))
    assert not first.changed and second.changed and second.language == "es"


def test_alternating_confident_languages_do_not_switch() -> None:
    state = SpeakerLanguageState()
    state.observe(_obs("en", 0.95))
    for index in range(10):
        assert not state.observe(_obs("es" if index % 2 else "fr", 0.95)).changed


def test_state_is_kept_per_track_and_chat_counts_words() -> None:
    speakers = SpeakerLanguages()
    speakers.observe("agent", _obs("en", 0.95))
    chat = LanguageObservation.from_chat(LanguageDistribution.from_mapping({"es": 0.95}), 10)
    assert speakers.observe("customer", chat).language == "es"
    assert speakers.state("agent").settled == "en"
    assert speakers.established() == {"en": 1.0, "es": 1.0}
    short_chat = LanguageObservation.from_chat(LanguageDistribution.from_mapping({"fr": 0.99}), 2)
    assert speakers.observe("customer", short_chat).reason.feature == "ignored_short"


def test_empty_distribution_is_ignored() -> None:
    state = SpeakerLanguageState()
    update = state.observe(LanguageObservation(LanguageDistribution(), 5.0))
    assert update.language is None and not update.changed


def test_short_typed_message_joins_a_switch_but_never_flips_alone() -> None:
    state = SpeakerLanguageState()
    state.observe(_obs("en", 0.95))
    short = LanguageObservation.from_chat(LanguageDistribution.from_mapping({"es": 0.99}), 4)
    assert not state.observe(short).changed  # one short message: no flip
    longer = LanguageObservation.from_chat(LanguageDistribution.from_mapping({"es": 0.99}), 8)
    update = state.observe(longer)
    assert update.changed and update.language == "es"  # switched on the second message


def _chat(code: str, words: int, p: float = 0.95) -> LanguageObservation:
    rest = "cs" if code != "cs" else "en"
    return LanguageObservation.from_chat(LanguageDistribution.from_mapping({code: p, rest: 1 - p}), words)


def test_short_message_completes_a_first_language_a_longer_one_started() -> None:
    """Six words (2.4 s) cannot settle alone; a two-word message of the same language
    joins that run and settles it. A short message alone never starts a run."""
    state = SpeakerLanguageState()
    assert state.observe(_chat("pl", 6)).reason.feature == "pending_switch"
    update = state.observe(_chat("pl", 2, 0.9))
    assert update.changed and update.language == "pl"
    fresh = SpeakerLanguageState()
    for _ in range(5):
        assert fresh.observe(_chat("pl", 2)).reason.feature == "ignored_short"
    assert fresh.settled is None


def test_short_message_of_another_language_neither_joins_nor_breaks_a_run() -> None:
    state = SpeakerLanguageState()
    state.observe(_obs("en", 0.95))
    assert state.observe(_obs("es", 0.9, 2.0)).reason.feature == "pending_switch"
    assert state.observe(_obs("pt", 0.99, 0.5)).reason.feature == "ignored_short"
    assert state.observe(_obs("en", 0.99, 0.5)).reason.feature == "ignored_short"
    update = state.observe(_obs("es", 0.9, 0.8))  # short, but joins the es run: 2 utterances, 2.8 s
    assert not update.changed and update.reason.feature == "pending_switch"
    assert state.observe(_obs("es", 0.9, 0.5)).language == "es"  # a third: 3.3 s


def _heard(code: str, text_p: float, spoken_p: float, seconds: float = 3.5) -> LanguageObservation:
    """Speech whose text reads ``code`` with ``text_p`` and which Whisper heard as
    ``code`` with ``spoken_p``."""
    rest = "la" if code != "la" else "en"
    return LanguageObservation(
        LanguageDistribution.from_mapping({code: text_p, "en": 1 - text_p} if code != "en" else {code: text_p}),
        seconds, "asr", spoken=LanguageDistribution.from_mapping({code: spoken_p, rest: 1 - spoken_p}),
    )


def test_one_utterance_settles_first_language_only_when_heard_clearly() -> None:
    # Accented English decoded as Chinese: the text reads zh with certainty, but Whisper
    # heard zh with only 0.45. One such utterance no longer settles the customer as zh.
    state = SpeakerLanguageState()
    update = state.observe(_heard("zh", 0.99, 0.45))
    assert update.language is None and not update.changed
    assert update.reason.feature == "pending_switch"
    # Heard clearly, one long utterance still settles at once...
    assert SpeakerLanguageState().observe(_heard("es", 0.99, 0.85)).language == "es"
    # ...and two consistent ones settle whatever Whisper heard (the run rule).
    assert state.observe(_heard("zh", 0.99, 0.40)).language == "zh"
    # Chat text and speech without a spoken distribution are judged on the text alone.
    assert SpeakerLanguageState().observe(_obs("zh", 0.99, 3.5)).language == "zh"
    # The old rule, for comparison (language_id.first_settle_needs_spoken = false).
    assert SpeakerLanguageState(first_needs_spoken=False).observe(_heard("zh", 0.99, 0.45)).language == "zh"


def test_speaker_languages_pass_the_setting_on() -> None:
    from langassist.config import LanguageIdSettings

    on = SpeakerLanguages.from_settings(LanguageIdSettings())
    off = SpeakerLanguages.from_settings(LanguageIdSettings(first_settle_needs_spoken=False))
    assert on.observe("customer", _heard("zh", 0.99, 0.45)).language is None
    assert off.observe("customer", _heard("zh", 0.99, 0.45)).language == "zh"
