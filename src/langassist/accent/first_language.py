"""The likely first language behind an accent, when the evidence points to one.

Whisper's spoken-language distribution of accented speech spreads mass from the spoken
language to others, and the first language of the speaker tends to collect the largest
share of it (Mandarin-L1 English puts mass on ``zh``; English read with a French voice
on ``fr``). A language is reported only when

* it holds at least ``min_mass`` of the whole distribution, and
* it holds at least ``min_share`` of the mass that is neither on the spoken language
  nor on a catch-all language,

so diffuse mass over many languages, as in noisy native speech, gives ``None``. A few
languages that Whisper uses as catch-alls for unclear speech (Latin, Nynorsk, Welsh,
Maori, Hawaiian...) are never reported as a first language and their mass is left out
of the share: English read by espeak-ng's Spanish voice puts 66 % on Latin and 14 % on
Spanish, and Spanish is the real signal there.
"""

from __future__ import annotations

from dataclasses import dataclass

from langassist.events import LanguageCode, LanguageDistribution

__all__ = ["CATCH_ALL_LANGUAGES", "FirstLanguageGuess", "guess_first_language"]

CATCH_ALL_LANGUAGES: frozenset[str] = frozenset(
    {"la", "nn", "cy", "mi", "haw", "jw", "ln", "sn", "yo", "br", "sa", "bo", "tl"}
)
"""Whisper labels that soak up unclear speech rather than mark a real first language."""


@dataclass(frozen=True, slots=True)
class FirstLanguageGuess:
    """The best candidate first language and how much of the distribution backs it."""

    language: LanguageCode | None
    mass: float
    share_of_other: float


def guess_first_language(
    distribution: LanguageDistribution | None,
    spoken: LanguageCode | None,
    *,
    min_mass: float = 0.1,
    min_share: float = 0.4,
) -> FirstLanguageGuess:
    """The likely first language of a speaker of ``spoken``, or ``language=None``.

    Args:
        distribution: the speaker's pooled spoken-language distribution.
        spoken: the language being spoken (never returned as the first language).
        min_mass: least probability the candidate must hold overall.
        min_share: least share of the mass off ``spoken`` and off the catch-all
            languages that the candidate must hold.
    """
    if not distribution or spoken is None:
        return FirstLanguageGuess(None, 0.0, 0.0)
    candidates = [
        (code, p) for code, p in distribution.probabilities
        if code != spoken and code not in CATCH_ALL_LANGUAGES
    ]
    other = sum(p for _, p in candidates)
    if not candidates or other <= 0.0:
        return FirstLanguageGuess(None, 0.0, 0.0)
    code, mass = candidates[0]
    share = mass / other
    if mass >= min_mass and share >= min_share:
        return FirstLanguageGuess(code, mass, share)
    return FirstLanguageGuess(None, mass, share)
