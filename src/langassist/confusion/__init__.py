"""Signs that the customer did not understand (issue "Barrier assessment", item 5).

* :mod:`.classifier`: clarification requests ("sorry, can you repeat?") from a
  multilingual lexicon, context features and, with an embedder, a sentence embedding;
* :mod:`.repeat`: repeated questions (a customer turn similar to an earlier one);
* the stage :mod:`langassist.stages.confusion` adds long silences after long agent turns
  and sudden language switches, and emits :class:`~langassist.events.ConfusionDetected`.
"""

from langassist.confusion.classifier import (
    ClarificationClassifier,
    ClarificationModel,
    load_classifier,
    load_model,
)
from langassist.confusion.lexicon import ClarificationLexicon, load_lexicon

__all__ = [
    "ClarificationClassifier",
    "ClarificationLexicon",
    "ClarificationModel",
    "load_classifier",
    "load_lexicon",
    "load_model",
]
