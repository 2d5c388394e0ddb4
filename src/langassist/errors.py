"""Exception tree for langassist.

    LangassistError
    ├── ConfigError            a setting is missing, malformed or out of range
    ├── AudioFormatError       an input could not be decoded as usable audio
    │   └── (carries .status: truncated | corrupt | empty | unsupported | too_long)
    ├── ModelUnavailable       a catalog model is not installed / not pulled
    ├── ModelIntegrityError    a cached weight file does not match its checksum
    ├── BackendUnavailable     an optional engine (extra) is not installed
    ├── BackendError           an engine failed while running
    ├── TranscriptFormatError  a transcript or chat log could not be read
    └── SessionClosed          an operation on a finished session

Every message names the problem and, where there is one, the fix (the pip extra or the
command to run). Engine adapters translate library exceptions into these and chain the
original with ``raise ... from exc``.
"""

from __future__ import annotations

__all__ = [
    "AudioFormatError",
    "BackendError",
    "BackendUnavailable",
    "ConfigError",
    "LangassistError",
    "ModelIntegrityError",
    "ModelUnavailable",
    "SessionClosed",
    "TranscriptFormatError",
]


class LangassistError(Exception):
    """Base class of every error langassist raises on purpose."""


class ConfigError(LangassistError):
    """A setting is missing, malformed or outside its allowed range."""


class AudioFormatError(LangassistError):
    """An input could not be used as audio.

    Attributes:
        status: one of ``truncated``, ``corrupt``, ``empty``, ``unsupported``, ``too_long``.
        path: the offending input, when it is a file.
    """

    def __init__(self, message: str, *, status: str = "corrupt", path: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.path = path


class ModelUnavailable(LangassistError):
    """A model named in the catalog is not installed or not pulled into the cache."""


class ModelIntegrityError(LangassistError):
    """A cached weight file does not match the checksum recorded in its manifest."""


class BackendUnavailable(LangassistError):
    """An optional engine is not installed; the message names the extra to install."""


class BackendError(LangassistError):
    """An engine raised while it was running."""


class TranscriptFormatError(LangassistError):
    """A transcript JSON or chat log (JSONL) could not be read."""


class SessionClosed(LangassistError):
    """An operation was attempted on a session that has already ended."""
