"""langassist: find language barriers in customer-support calls and help the agent.

The public entry point is :mod:`langassist.service`; events and errors are re-exported
here for convenience.
"""

from __future__ import annotations

from langassist.errors import (
    AudioFormatError,
    BackendError,
    BackendUnavailable,
    ConfigError,
    LangassistError,
    ModelIntegrityError,
    ModelUnavailable,
    TranscriptFormatError,
)

__all__ = [
    "AudioFormatError",
    "BackendError",
    "BackendUnavailable",
    "ConfigError",
    "LangassistError",
    "ModelIntegrityError",
    "ModelUnavailable",
    "TranscriptFormatError",
    "__version__",
]

__version__ = "0.1.0"
