"""langassist.client without a server: Twilio message shapes, native frames, quantiles, URLs."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from langassist.client import CallAudio, TwilioMessages, _quantile, native_frames, websocket_url


def test_twilio_messages_have_the_documented_shapes() -> None:
    twilio = TwilioMessages("CA1", ["inbound", "outbound"], {"token": "t"}, stream_sid="MZ1", account_sid="AC1")
    assert twilio.connected() == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    assert twilio.start() == {
        "event": "start", "sequenceNumber": "1", "streamSid": "MZ1",
        "start": {"streamSid": "MZ1", "accountSid": "AC1", "callSid": "CA1", "tracks": ["inbound", "outbound"],
                  "customParameters": {"token": "t"},
                  "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}
    audio = CallAudio({"agent": np.zeros(1600, np.float32), "customer": np.full(1600, 0.1, np.float32)})
    media = list(twilio.media_stream(audio))
    assert len(media) == 10  # 100 ms, 20 ms per message per track
    end_s, first = media[0]
    assert end_s == pytest.approx(0.02)
    assert first == {"event": "media", "sequenceNumber": "2", "streamSid": "MZ1",
                     "media": {"track": "outbound", "chunk": "1", "timestamp": "0", "payload": first["media"]["payload"]}}
    assert len(base64.b64decode(first["media"]["payload"])) == 160
    assert [m["media"]["chunk"] for _, m in media if m["media"]["track"] == "inbound"] == ["1", "2", "3", "4", "5"]
    assert [m["media"]["timestamp"] for _, m in media if m["media"]["track"] == "inbound"] == ["0", "20", "40", "60", "80"]
    assert twilio.mark("m")["mark"] == {"name": "m"}
    stop = twilio.stop()
    assert stop == {"event": "stop", "sequenceNumber": "13", "streamSid": "MZ1",
                    "stop": {"accountSid": "AC1", "callSid": "CA1"}}
    json.dumps(stop)


def test_native_frames_carry_the_track_index_and_pcm16() -> None:
    audio = CallAudio({"agent": np.full(640, 0.5, np.float32), "customer": np.full(640, -0.5, np.float32)})
    frames = list(native_frames(audio, 16000))
    assert len(frames) == 4 and [f[0] for _, f in frames] == [0, 1, 0, 1]
    pcm = np.frombuffer(frames[1][1][1:], dtype="<i2")
    assert pcm.size == 320 and int(pcm[0]) == -16384
    at_8k = list(native_frames(audio, 8000))
    assert len(at_8k[0][1]) == 1 + 2 * 160


def test_quantiles_and_urls() -> None:
    assert _quantile([], 0.5) is None
    assert _quantile([3.0], 0.95) == 3.0
    assert _quantile([1.0, 2.0, 3.0, 4.0], 0.5) == pytest.approx(float(np.quantile([1, 2, 3, 4], 0.5)))
    assert _quantile([1.0, 2.0, 3.0, 10.0], 0.95) == pytest.approx(float(np.quantile([1, 2, 3, 10], 0.95)))
    assert websocket_url("http://127.0.0.1:8765", "/v1/stream") == "ws://127.0.0.1:8765/v1/stream"
    assert websocket_url("https://host:1/x?y", "/v1/twilio") == "wss://host:1/v1/twilio"
    assert websocket_url("127.0.0.1:9", "/a") == "ws://127.0.0.1:9/a"
    with pytest.raises(ValueError):
        websocket_url("ftp://x", "/a")
