"""Wire models (versioned), separate from the internal events in ``langassist.events``.

Every message the server sends on an events socket or in a chat response is a
``WireEvent``: ``{"schema": "langassist.wire/1", "type": <event class name>, ...fields}``
with times in seconds. Partials carry ``utterance_id`` + ``revision`` so the sidebar
replaces them; finals are sent once.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

WIRE_SCHEMA: Final = "langassist.wire/1"

__all__ = [
    "WIRE_SCHEMA",
    "CallList",
    "ChatMessage",
    "ChatResponse",
    "Health",
    "SessionLogin",
    "StreamStart",
    "StreamStop",
    "TranslateRequest",
    "TranslateResponse",
    "TwilioMedia",
    "TwilioMessage",
    "TwilioStart",
    "WireEvent",
    "to_wire",
]


class ChatMessage(BaseModel):
    """One typed chat message of a call."""

    model_config = ConfigDict(extra="forbid")

    speaker: Literal["agent", "customer"]
    text: str = Field(min_length=1, max_length=4000)
    time: float = Field(ge=0.0, le=86400.0, description="Seconds from the call start.")


class WireEvent(BaseModel):
    """One event as sent on the wire (fields depend on ``type``)."""

    model_config = ConfigDict(extra="allow")

    schema_: Literal["langassist.wire/1"] = Field(WIRE_SCHEMA, alias="schema")
    type: str = Field(description="Event class name: TranscriptPartial, TranscriptFinal, "
                      "LanguageDetected, DifficultyScored, ConfusionDetected, SuggestionProposed, "
                      "BarrierUpdated, StageFailed, StreamEnded, CallSummary, ...")
    call_id: str | None = None


class ChatResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    schema_: Literal["langassist.wire/1"] = Field(WIRE_SCHEMA, alias="schema")
    call_id: str
    events: list[WireEvent]


class SessionLogin(BaseModel):
    """The sidebar's one-time login: the token in a POST body (never in a URL)."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=256)


class CallList(BaseModel):
    """Calls the server knows, most recent first (the sidebar's call picker)."""

    calls: list[str]


_LANGUAGE = Field(min_length=2, max_length=12, pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?$")


class TranslateRequest(BaseModel):
    """Text to translate for the agent (the sidebar's translation panel)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2000)
    source: str = _LANGUAGE
    target: str = _LANGUAGE


class TranslateResponse(BaseModel):
    """``status`` is ``ok`` (``text`` set), ``no_backend`` or ``failed`` (``message`` says why)."""

    status: Literal["ok", "no_backend", "failed"]
    source: str
    target: str
    text: str | None = None
    backend: str | None = None
    message: str = ""


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    active_streams: int


class StreamStart(BaseModel):
    """First text message on ``/v1/stream``; binary frames follow (1-byte track index + PCM16 LE)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["start"]
    call_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
    sample_rate_hz: Literal[8000, 16000]
    tracks: list[Literal["agent", "customer", "mixed"]] = Field(min_length=1, max_length=2)


class StreamStop(BaseModel):
    type: Literal["stop"]


class TwilioStart(BaseModel):
    model_config = ConfigDict(extra="allow")

    streamSid: str | None = None
    callSid: str | None = None
    tracks: list[str] = Field(default_factory=lambda: ["inbound"])
    customParameters: dict[str, Any] = Field(default_factory=dict)
    mediaFormat: dict[str, Any] = Field(default_factory=dict)


class TwilioMedia(BaseModel):
    model_config = ConfigDict(extra="allow")

    track: str = "inbound"
    chunk: int | str | None = None
    timestamp: int | str | None = None
    payload: str


class TwilioMessage(BaseModel):
    """A Twilio Media Streams message (``connected``/``start``/``media``/``mark``/``stop``)."""

    model_config = ConfigDict(extra="allow")

    event: str
    sequenceNumber: int | str | None = None
    streamSid: str | None = None
    start: TwilioStart | None = None
    media: TwilioMedia | None = None


def to_wire(event: Any) -> dict[str, Any]:
    """Encode an internal event (or a ready dict) as a wire message."""
    from langassist.event_codec import event_to_dict

    body = dict(event) if isinstance(event, dict) else event_to_dict(event)
    body.pop("samples", None)
    return {"schema": WIRE_SCHEMA, **body}
