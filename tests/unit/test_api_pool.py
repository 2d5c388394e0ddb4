"""The live API's shared pool: fair scheduling, admission (T12), slow consumers (T12),
latency that never accumulates (T13) and disconnect cleanup (T15). Fake engines only."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from live_harness import AsgiSocket, running
from test_api_fakes import AUTH, STREAMING, TOKEN, make_app

from audio_factory import tone_bursts as bursts
from langassist.api.metrics import Metrics
from langassist.api.pool import CallScheduler, PoolFull
from langassist.api.session import ConsumerTooSlow, EventQueue
from langassist.backends.energy_vad import EnergyVad
from langassist.backends.fake import BurstTranscriber
from langassist.config import LiveSettings
from langassist.events import TranscriptFinal
from langassist.stages.streaming_asr import StreamingAsrStage

WS = "ws://127.0.0.1:8765"


# -- scheduler -------------------------------------------------------------------------


def test_round_robin_across_calls_one_job_of_a_call_at_a_time() -> None:
    pool = CallScheduler(workers=1, max_calls=3)
    lanes = {name: pool.admit(name) for name in "abc"}
    gate = threading.Event()
    order: list[str] = []

    def job(name: str) -> str:
        if not order and name == "a":
            gate.wait(5)
        order.append(name)
        return name

    futures = [pool.submit(lanes["a"], job, "a") for _ in range(30)]
    futures += [pool.submit(lanes[n], job, n) for n in "bc" for _ in range(5)]
    gate.set()
    assert [f.result(5) for f in futures][:1] == ["a"]
    # the call with 30 queued jobs gets one turn per round: b and c are done by completion 16
    assert order[:16].count("b") == 5 and order[:16].count("c") == 5
    assert order[:4] == ["a", "b", "c", "a"]
    pool.close()


def test_jobs_of_one_call_never_overlap_across_workers() -> None:
    pool = CallScheduler(workers=4, max_calls=2)
    lane = pool.admit("only")
    active = [0]
    overlaps = []

    def job() -> None:
        active[0] += 1
        if active[0] > 1:
            overlaps.append(True)
        time.sleep(0.001)
        active[0] -= 1

    for future in [pool.submit(lane, job) for _ in range(100)]:
        future.result(5)
    assert not overlaps
    pool.close()


def test_admission_refuses_beyond_max_calls_and_release_frees_the_slot() -> None:
    pool = CallScheduler(workers=1, max_calls=2)
    first, second = pool.admit("c1"), pool.admit("c2")
    again = pool.admit("c1")  # a second stream of an admitted call shares its slot
    assert again is first
    with pytest.raises(PoolFull, match="2 calls already in progress"):
        pool.admit("c3")
    pool.release(again)
    with pytest.raises(PoolFull):
        pool.admit("c3")  # c1 still has a stream
    pool.release(second)
    pool.admit("c3")
    assert pool.active_calls == 2 and pool.refused == 2
    pool.close()


def test_a_failing_job_reaches_its_future_and_the_worker_lives_on() -> None:
    pool = CallScheduler(workers=1, max_calls=1)
    lane = pool.admit("c")

    def boom() -> None:
        raise ValueError("stage bug")

    with pytest.raises(ValueError, match="stage bug"):
        pool.submit(lane, boom).result(5)
    assert pool.submit(lane, lambda: 7).result(5) == 7
    pool.close()


# -- the events socket's queue ---------------------------------------------------------


def _partial(utterance: str, revision: int) -> dict[str, Any]:
    return {"type": "TranscriptPartial", "track": "agent", "utterance_id": utterance, "revision": revision}


def _final(utterance: str) -> dict[str, Any]:
    return {"type": "TranscriptFinal", "track": "agent", "utterance_id": utterance, "text": utterance}


def test_event_queue_coalesces_partials_and_never_drops_finals() -> None:
    async def scenario() -> list[dict[str, Any]]:
        queue = EventQueue(8, [_final("replayed")], Metrics())
        for revision in range(50):
            queue.put(_partial("u1", revision))
        queue.put({"type": "SuggestionProposed", "text": "s"})
        for revision in range(5):
            queue.put(_partial("u2", revision))
        queue.put(_final("u1"))  # removes u1's queued partial
        assert len(queue) == 4 and queue.coalesced == 49 + 1 + 4
        return [await queue.get() for _ in range(4)]

    got = asyncio.run(scenario())
    assert [m["type"] for m in got] == ["TranscriptFinal", "SuggestionProposed", "TranscriptPartial",
                                        "TranscriptFinal"]
    assert got[2]["revision"] == 4 and got[3]["utterance_id"] == "u1"


def test_event_queue_overflow_marks_the_consumer_too_slow() -> None:
    async def scenario() -> EventQueue:
        queue = EventQueue(4, [], Metrics())
        for index in range(4):
            queue.put(_final(f"u{index}"))
        queue.put(_partial("u9", 0))  # a full queue drops a new partial...
        assert queue.dropped == 1 and not queue.overflowed
        queue.put(_final("u4"))  # ...and overflows on a final
        assert queue.overflow.is_set()
        with pytest.raises(ConsumerTooSlow):
            await queue.get()
        return queue

    asyncio.run(scenario())


# -- admission over the API (T12) and cleanup (T15) ---------------------------------------


def _start(call_id: str) -> dict[str, Any]:
    return {"type": "start", "call_id": call_id, "sample_rate_hz": 16000, "tracks": ["agent"]}


def _frames(audio: np.ndarray, frame_s: float = 0.1, rate: int = 16000) -> list[bytes]:
    pcm = np.round(np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    step = 2 * int(rate * frame_s)
    return [b"\x00" + pcm[i:i + step] for i in range(0, len(pcm), step)]


def _wait(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_calls_beyond_max_calls_are_refused_with_1013_and_chat_with_503() -> None:
    app = make_app(limits=LiveSettings(max_calls=2))
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        state = app.state.langassist
        with client.websocket_connect(WS + "/v1/stream", headers=AUTH) as a, \
                client.websocket_connect(WS + "/v1/stream", headers=AUTH) as b:
            a.send_json(_start("A"))
            b.send_json(_start("B"))
            _wait(lambda: state.pool.active_calls == 2)
            started = time.perf_counter()
            with client.websocket_connect(WS + "/v1/stream", headers=AUTH) as c:
                c.send_json(_start("C"))
                refused = c.receive()
            assert time.perf_counter() - started < 1.0
            assert refused["type"] == "websocket.close" and refused["code"] == 1013
            assert "server busy: 2 calls" in refused["reason"]
            with client.websocket_connect(WS + "/v1/twilio") as t:
                t.send_json({"event": "start", "start": {"callSid": "T1", "tracks": ["inbound"],
                                                          "customParameters": {"token": TOKEN}}})
                assert t.receive()["code"] == 1013
            body = {"speaker": "agent", "text": "hello", "time": 1.0}
            busy = client.post("/v1/calls/C/messages", json=body, headers=AUTH)
            assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
            assert "live.max_calls" in busy.json()["detail"]
            assert client.post("/v1/calls/A/messages", json=body, headers=AUTH).status_code == 200
            metrics = client.get("/metrics", headers=AUTH).text
            assert 'langassist_refused_calls_total{route="stream"} 1.0' in metrics
            assert 'langassist_refused_calls_total{route="twilio"} 1.0' in metrics
            assert 'langassist_refused_calls_total{route="chat"} 1.0' in metrics
            assert "langassist_active_calls 2.0" in metrics
            for name in ("langassist_active_streams", "langassist_decode_seconds_bucket",
                         "langassist_final_latency_seconds_bucket", "langassist_pool_wait_seconds_bucket",
                         "langassist_pool_queued_jobs", "langassist_pending_audio_seconds",
                         "langassist_events_queued_messages", "langassist_partials_coalesced_total",
                         "langassist_partials_dropped_total", "process_resident_memory_bytes"):
                assert name in metrics, name
            # A drops without "stop" (T15): its slot frees, and C gets in
        _wait(lambda: state.pool.active_calls == 0)
        with client.websocket_connect(WS + "/v1/stream", headers=AUTH) as c:
            c.send_json(_start("C"))
            _wait(lambda: state.pool.active_calls == 1)
            c.send_json({"type": "stop"})
            assert c.receive_json()["type"] == "StreamStopped"


def test_dropped_and_clean_streams_free_every_slot_and_finalize_once() -> None:
    """T15 (fake engine): 20 abrupt disconnects mid-media and 20 clean sessions."""
    app = make_app(limits=LiveSettings(max_calls=2))
    audio = bursts([0.2, 0.9], 1.5, 16000)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        state = app.state.langassist
        threads_before = threading.active_count()
        for index in range(40):
            call_id = f"t15-{index}"
            with client.websocket_connect(WS + "/v1/stream", headers=AUTH) as ws:
                ws.send_json(_start(call_id))
                for frame in _frames(audio)[: (8 if index % 2 else None)]:
                    ws.send_bytes(frame)
                if not index % 2:
                    ws.send_json({"type": "stop"})
                    assert ws.receive_json()["type"] == "StreamStopped"
            _wait(lambda: state.pool.active_calls == 0)
        _wait(lambda: all(not s.ingests for s in state.registry.calls.values()))
        assert state.pool.queued_jobs == 0
        assert threading.active_count() <= threads_before + 2
        for index in range(40):
            history = state.registry.calls[f"t15-{index}"].history
            assert [m["type"] for m in history].count("CallSummary") == 1, index
        metrics = client.get("/metrics", headers=AUTH).text
        assert "langassist_active_streams 0.0" in metrics
        assert "langassist_pending_audio_seconds 0.0" in metrics


# -- slow sidebar consumers (T12) --------------------------------------------------------


def _publish_on_loop(state: Any, call_id: str, events: list[Any]) -> None:
    state.registry.get(call_id).publish(events)


def test_stalled_sidebar_gets_partials_coalesced_and_every_final() -> None:
    app = make_app(limits=LiveSettings(events_queue=64))
    audio = bursts([0.3 + 0.5 * k for k in range(6)] + [5.0 + 1.5 * k for k in range(6)], 14.0, 16000)

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any]:
        async with running(app) as state:
            fast = AsgiSocket(app, "/v1/calls/S1/events").start()
            slow = AsgiSocket(app, "/v1/calls/S1/events", stalled=True).start()
            await fast.accepted.wait()
            await slow.accepted.wait()
            stream = AsgiSocket(app, "/v1/stream").start()
            stream.send_json(_start("S1"))
            for frame in _frames(audio):  # at 10x real time: partials as the words come
                stream.send_bytes(frame)
                await asyncio.sleep(0.01)
            stream.send_json({"type": "stop"})
            await stream.wait_done()

            def summary(sock: AsgiSocket) -> bool:
                return any(m.get("type") == "CallSummary" for m in sock.received)

            await fast.wait_for(lambda: summary(fast))
            slow.resume()
            await slow.wait_for(lambda: summary(slow))
            assert slow.closed is None  # coalescing kept it within its queue
            fast.disconnect(1000)
            slow.disconnect(1000)
            await fast.wait_done()
            await slow.wait_done()
            return fast.received, slow.received, state

    fast, slow, state = asyncio.run(scenario())
    finals = [m for m in fast if m["type"] == "TranscriptFinal"]
    assert len(finals) >= 3
    assert len({m["utterance_id"] for m in finals}) == len(finals)  # each final once
    first_language = next(i for i, m in enumerate(fast) if m["type"] == "LanguageDetected")
    assert fast[first_language - 1]["type"] == "TranscriptFinal"  # the final goes before its assessment
    state_types = ("TranscriptPartial", "BarrierUpdated")  # latest-wins state, coalesced
    assert [m for m in slow if m["type"] not in state_types] == [m for m in fast if m["type"] not in state_types]
    gauges = [[m for m in got if m["type"] == "BarrierUpdated"] for got in (fast, slow)]
    assert gauges[1] and gauges[1][-1] == gauges[0][-1]
    # every utterance was final before the stalled sidebar read again: its partials were
    # all superseded, while the reading one saw each revision
    assert sum(m["type"] == "TranscriptPartial" for m in slow) < sum(
        m["type"] == "TranscriptPartial" for m in fast)
    assert sum(m["type"] == "TranscriptPartial" for m in fast) > len(finals)
    assert state.metrics.partials_coalesced._value.get() > 0


def test_sidebar_too_far_behind_is_closed_4429_and_replayed_on_reconnect() -> None:
    app = make_app(limits=LiveSettings(events_queue=8))

    async def scenario() -> None:
        async with running(app) as state:
            slow = AsgiSocket(app, "/v1/calls/S2/events", stalled=True).start()
            await slow.accepted.wait()
            finals = [TranscriptFinal("S2", "agent", f"agent-{i:04d}", float(i), i + 0.5, f"word{i}")
                      for i in range(30)]
            _publish_on_loop(state, "S2", finals)
            await slow.wait_done(5)  # closed although its one send is stuck
            assert slow.closed is not None and slow.closed["code"] == 4429
            assert "reconnect" in slow.closed["reason"]
            assert state.metrics.slow_consumers.labels("queue")._value.get() == 1
            again = AsgiSocket(app, "/v1/calls/S2/events").start()
            await again.wait_for(lambda: len(again.received) == 30)
            assert [m["text"] for m in again.received] == [f"word{i}" for i in range(30)]
            again.disconnect(1000)
            await again.wait_done()

    asyncio.run(scenario())


def test_a_send_that_never_completes_closes_the_socket_4429() -> None:
    app = make_app(limits=LiveSettings(events_send_timeout_s=0.2))

    async def scenario() -> None:
        async with running(app) as state:
            slow = AsgiSocket(app, "/v1/calls/S3/events", stalled=True).start()
            await slow.accepted.wait()
            _publish_on_loop(state, "S3", [TranscriptFinal("S3", "agent", "agent-0000", 0.0, 0.5, "hi")])
            await slow.wait_done(3)
            assert slow.closed is not None and slow.closed["code"] == 4429
            assert state.metrics.slow_consumers.labels("send_timeout")._value.get() == 1

    asyncio.run(scenario())


# -- latency never accumulates (T13) -----------------------------------------------------


def test_final_latency_stays_flat_when_audio_arrives_faster_than_it_is_processed() -> None:
    """60 s of speech bursts sent at once; a simulated decode cost (real sleeps) makes the
    server slower than the sender. Backpressure keeps reading at processing speed, so the
    lag from a final's audio arriving to the final stays flat over the stream."""

    def costly_stage() -> StreamingAsrStage:
        engine = BurstTranscriber(cost_per_call_s=0.02, cost_per_audio_s=0.01, advance=time.sleep)
        return StreamingAsrStage(engine, vad=EnergyVad, settings=STREAMING)

    from langassist.api.app import create_app
    from langassist.config import load_settings
    from langassist.testing import create_fake_assessor

    app = create_app(load_settings(), token=TOKEN, assessor_factory=create_fake_assessor,
                     stage_factory=costly_stage, limits=LiveSettings(max_pending_audio_s=1.0))
    starts = [0.3 + 1.5 * k for k in range(40)]
    audio = bursts(starts, 61.0, 16000)
    frames = _frames(audio, frame_s=0.02)

    async def scenario() -> tuple[list[float], float]:
        async with running(app) as state:
            events = AsgiSocket(app, "/v1/calls/L1/events").start()
            await events.accepted.wait()
            stream = AsgiSocket(app, "/v1/stream").start()
            stream.send_json(_start("L1"))
            for frame in frames:
                stream.send_bytes(frame)
            peak = 0.0
            while len(stream.taken_at) < len(frames) + 1:
                ingests = [i for s in state.registry.calls.values() for i in s.ingests]
                peak = max([peak] + [i.pending_s for i in ingests])
                await asyncio.sleep(0.005)
            final_at = {}
            await events.wait_for(lambda: sum(m["type"] == "TranscriptFinal" for m in events.received) >= 38,
                                  timeout=30)
            stream.send_json({"type": "stop"})
            await stream.wait_done()
            for message, got in zip(events.received, events.arrived, strict=True):
                if message["type"] == "TranscriptFinal":
                    final_at[message["end_s"]] = got
            lags = []
            for end_s, got in sorted(final_at.items()):
                index = min(int(end_s / 0.02), len(frames) - 1)  # the frame holding the end
                lags.append(got - stream.taken_at[1 + index])
            events.disconnect(1000)
            await events.wait_done()
            return lags, peak

    lags, peak = asyncio.run(scenario())
    assert len(lags) >= 38
    third = len(lags) // 3
    first, last = float(np.median(lags[:third])), float(np.median(lags[-third:]))
    assert last <= first + 0.15, (first, last)
    assert max(lags) < 2.0, max(lags)
    assert peak <= 1.0 + 0.04  # the backlog never passed live.max_pending_audio_s (plus a frame)


def test_idle_stream_is_closed_4408_and_finalized_while_silence_keeps_it_open() -> None:
    """T15: nothing for ``live.idle_timeout_s`` closes the stream (its finals still come);
    silence frames are traffic, not idleness."""
    app = make_app(limits=LiveSettings(idle_timeout_s=0.5))
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        state = app.state.langassist
        with client.websocket_connect(WS + "/v1/calls/I1/events", headers=AUTH) as events:
            with client.websocket_connect(WS + "/v1/stream", headers=AUTH) as ws:
                ws.send_json(_start("I1"))
                for frame in _frames(bursts([0.2], 0.6, 16000)):
                    ws.send_bytes(frame)
                started = time.perf_counter()
                closed = ws.receive()
                assert closed["type"] == "websocket.close" and closed["code"] == 4408
                assert 0.3 < time.perf_counter() - started < 2.5
            received = []
            while not received or received[-1]["type"] != "CallSummary":
                received.append(events.receive_json())
            assert [m["text"] for m in received if m["type"] == "TranscriptFinal"] == ["w2"]
        _wait(lambda: state.pool.active_calls == 0)
        with client.websocket_connect(WS + "/v1/stream", headers=AUTH) as ws:
            ws.send_json(_start("I2"))
            silence = _frames(np.zeros(3200, dtype=np.float32), frame_s=0.2)[0]
            for _ in range(8):  # 1.6 s of wall time, three idle limits
                ws.send_bytes(silence)
                time.sleep(0.2)
            ws.send_json({"type": "stop"})
            assert ws.receive_json()["type"] == "StreamStopped"
            assert ws.receive()["code"] == 1000


def test_live_settings_come_from_the_environment_and_are_checked() -> None:
    from langassist.config import load_settings
    from langassist.errors import ConfigError

    settings = load_settings("live", environ={"LANGASSIST_LIVE__MAX_CALLS": "3"})
    assert settings.live.max_calls == 3 and settings.live.idle_timeout_s == LiveSettings().idle_timeout_s
    with pytest.raises(ConfigError, match="live.max_calls"):
        load_settings(environ={"LANGASSIST_LIVE__MAX_CALLS": "0"})
