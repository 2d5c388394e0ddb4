"""Score how hard one agent utterance is to understand: 0 (easy) to 1 (hard), with reasons.

:class:`DifficultyScorer` is the entry point: it owns the glossary, the lexicon caches and
the model, and turns an utterance into a :class:`~langassist.events.Score`.

When the score is unknown (``value is None``):

* the text holds no token (empty, spaces, punctuation or emoji only), or
* it holds a single token that carries no difficulty evidence: no glossary hit, no
  acronym or spelled code, not rare (Zipf >= 3), not B2+ vocabulary. ("DHCP" alone is
  scored; "okay" alone is unknown.)

Every other input gets a score, including mixed scripts and very long text (only its
first 20,000 characters are analysed, and a ``truncated`` reason says so).

Confidence (0..1) is ``min(1, tokens / 8) * language factor``: 1.0 for English (all
features, the language the model was fitted on); 0.7 for another language with a
wordfreq list (no CEFR, model transferred); 0.4 when the language is unknown or has no
frequency list (no word-rarity features).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from langassist.config import AssessmentSettings
from langassist.difficulty.features import (
    ADVANCED_CEFR,
    MAX_ANALYZED_CHARS,
    RARE_ZIPF,
    FeatureExtractor,
    UtteranceFeatures,
)
from langassist.difficulty.glossary import Glossary, GlossaryHit, load_glossary
from langassist.difficulty.lexicon import Lexicon
from langassist.difficulty.listener import ListenerProfile, score_for_listener
from langassist.difficulty.model import DifficultyModel, load_model
from langassist.events import Reason, Score, Word, normalize_language

__all__ = ["DifficultyScorer", "FULL_EVIDENCE_TOKENS"]

FULL_EVIDENCE_TOKENS = 8
"""An utterance with this many tokens or more gives full evidence for confidence."""
_LANGUAGE_FACTOR_MODEL = 1.0
_LANGUAGE_FACTOR_FREQUENCY = 0.7
_LANGUAGE_FACTOR_NONE = 0.4
_CEFR_NAMES = ("A1", "A2", "B1", "B2", "C1", "C2")


class DifficultyScorer:
    """Scores agent utterances. Build one per process and reuse it (it caches lookups).

    Args:
        settings: assessment settings (``glossary_path``, ``target_syllables_per_s``).
        glossary: use this glossary instead of loading the default plus
            ``settings.glossary_path``.
        model: use this model instead of the shipped ``difficulty-model.json``.
        lexicon: share frequency/CEFR caches with another component.

    Raises:
        ConfigError: the glossary or model file is missing or malformed.
    """

    def __init__(
        self,
        settings: AssessmentSettings | None = None,
        *,
        glossary: Glossary | None = None,
        model: DifficultyModel | None = None,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.settings = settings or AssessmentSettings()
        self.glossary = glossary if glossary is not None else load_glossary(
            self.settings.glossary_path
        )
        self.model = model if model is not None else load_model()
        self.extractor = FeatureExtractor(self.glossary, lexicon)

    def features(
        self, text: str, *, language: str | None, words: Sequence[Word] = ()
    ) -> UtteranceFeatures:
        """The measured features of one utterance (see :mod:`.features`)."""
        return self.extractor.extract(text, language=normalize_language(language), words=words)

    def score(
        self,
        text: str,
        *,
        language: str | None,
        words: Sequence[Word] = (),
        listener: ListenerProfile | None = None,
    ) -> Score:
        """Difficulty of ``text`` (0 easy .. 1 hard) with one reason per measured feature.

        Args:
            text: the utterance as transcribed or typed.
            language: its language (ISO 639-1); ``None`` if unknown.
            words: ASR words with timestamps, for the speech rate (optional).
            listener: adjust for this listener (see :func:`score_for_listener`).
        """
        language = normalize_language(language)
        features = self.extractor.extract(text, language=language, words=words)
        base = self._score_features(features)
        if listener is None:
            return base
        return score_for_listener(base, listener, utterance_language=language)

    def score_features(self, features: UtteranceFeatures) -> Score:
        """Score already measured features (no listener adjustment)."""
        return self._score_features(features)

    def _score_features(self, features: UtteranceFeatures) -> Score:
        unknown = _unknown_reason(features)
        if unknown is not None:
            return Score(None, (unknown,), 0.0)
        references = {"speech_rate": self.settings.target_syllables_per_s}
        latent = self.model.latent(features.values, references=references)
        value, contributions = self.model.score_contributions(latent)
        reasons = [
            Reason(name, round(features.values[name], 4), round(contributions.get(name, 0.0), 4),
                   self._detail(name, features))
            for name in features.values
        ]
        reasons.sort(key=lambda reason: (-abs(reason.contribution), reason.feature))
        if features.truncated:
            reasons.append(
                Reason("truncated", float(MAX_ANALYZED_CHARS), 0.0,
                       f"only the first {MAX_ANALYZED_CHARS:,} characters were assessed")
            )
        return Score(value, tuple(reasons), _confidence(features, self.extractor))

    # -- plain-words details -------------------------------------------------------------

    def _detail(self, name: str, features: UtteranceFeatures) -> str:
        value = features.values[name]
        target = self.settings.target_syllables_per_s
        if name == "speech_rate":
            if value > target + 0.5:
                pace = f"faster than the {target:g} target, hard for a non-native listener"
            elif value < target - 0.5:
                pace = f"slower than the {target:g} target"
            else:
                pace = f"close to the {target:g} target"
            return f"{value:.1f} syllables per second, {pace}"
        if name == "sentence_length":
            size = "long" if value > 20 else "short" if value < 8 else "medium"
            return f"{value:.0f} words per sentence ({size})"
        if name == "long_words":
            return f"{value:.0%} of words have three or more syllables"
        if name == "syllables_per_word":
            return f"{value:.1f} syllables per word on average"
        if name == "word_length":
            return f"{value:.1f} letters per word on average"
        if name == "word_frequency":
            return f"average word frequency {value:.1f} on the Zipf scale (7 very common, 3 rare)"
        if name == "rare_words":
            listed = _list(features.rare)
            return f"{value:.0%} of words are rare (below Zipf {RARE_ZIPF:g})" + (
                f": {listed}" if listed else ""
            )
        if name == "rarest_word":
            word = f"'{features.rarest}' " if features.rarest else ""
            return f"rarest word {word}has Zipf frequency {value:.1f}"
        if name == "rarity_load":
            return f"rare-word load {value:.1f} per sentence (how far words fall below Zipf 4)"
        if name == "cefr_level":
            return f"average word level {_cefr_name(value)} on the CEFR scale ({value:.1f})"
        if name == "advanced_words":
            listed = _list(features.hard_words)
            return f"{value:.0%} of known words are {_cefr_name(ADVANCED_CEFR)} or harder" + (
                f": {listed}" if listed else ""
            )
        if name == "cefr_load":
            return f"vocabulary above B1 adds {value:.1f} per sentence"
        if name == "clauses":
            return f"{value:.1f} clause breaks per sentence (commas, 'which', 'although' ...)"
        if name == "jargon":
            hits = _distinct(hit for hit in features.glossary_hits if hit.kind != "idiom")
            if not hits:
                return "no jargon from the glossary"
            shown = ", ".join(f"{hit.matched} ({hit.plain})" for hit in hits[:4])
            return f"{len(hits)} jargon term(s): {shown}"
        if name == "idioms":
            hits = _distinct(hit for hit in features.glossary_hits if hit.kind == "idiom")
            if not hits:
                return "no idioms"
            return "idioms: " + ", ".join(f"'{hit.matched}' ({hit.plain})" for hit in hits[:4])
        if name == "acronyms":
            if not features.acronyms:
                return "no unexplained acronyms"
            return "acronyms not in the glossary: " + _list(features.acronyms)
        if name == "codes":
            if not features.codes:
                return "no spelled codes or long numbers"
            return "codes or long numbers to spell out: " + _list(features.codes)
        if name == "numbers":
            return f"{value:.1f} numbers per sentence"
        return f"{name} = {value:.2f}"  # pragma: no cover - every feature has a line above


def _unknown_reason(features: UtteranceFeatures) -> Reason | None:
    if features.n_tokens == 0:
        return Reason("no_words", 0.0, 0.0, "no words to assess (empty, symbols or emoji only)")
    if features.n_tokens == 1 and not _informative(features):
        return Reason(
            "too_short", 1.0, 0.0, "a single common word says nothing about difficulty"
        )
    return None


def _informative(features: UtteranceFeatures) -> bool:
    values = features.values
    return bool(
        features.glossary_hits
        or features.acronyms
        or features.codes
        or features.rare
        or features.hard_words
        or "speech_rate" in values
    )


def _confidence(features: UtteranceFeatures, extractor: FeatureExtractor) -> float:
    evidence = min(1.0, features.n_tokens / FULL_EVIDENCE_TOKENS)
    if features.language == "en":
        factor = _LANGUAGE_FACTOR_MODEL
    elif extractor.lexicon.supports_frequency(features.language):
        factor = _LANGUAGE_FACTOR_FREQUENCY
    else:
        factor = _LANGUAGE_FACTOR_NONE
    return round(evidence * factor, 3)


def _cefr_name(level: float) -> str:
    index = min(max(int(round(level)) - 1, 0), len(_CEFR_NAMES) - 1)
    return _CEFR_NAMES[index]


def _distinct(hits: Iterable[GlossaryHit]) -> list[GlossaryHit]:
    """Glossary hits with each term once (a term said twice is one term to explain)."""
    seen: set[str] = set()
    out: list[GlossaryHit] = []
    for hit in hits:
        if hit.term.lower() not in seen:
            seen.add(hit.term.lower())
            out.append(hit)
    return out


def _list(words: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(words[:limit])
    return shown + (" ..." if len(words) > limit else "")
