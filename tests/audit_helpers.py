"""Helpers for the audit tests: chat transcripts, tone-burst stereo calls, file scans."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import audio_factory as af

FAKE = "langassist.audit.fakes:FakeResources"
CANARY_CARD = "4111 1111 1111 1111"
CANARY_DIGITS = ("4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111")


def write_chat(path: Path, index: int, *, extra: str = "") -> Path:
    lines = [
        {"speaker": "agent", "text": f"Hello, please restart the router number {index} and check the firmware"},
        {"speaker": "customer", "text": "sorry, can you repeat that?" + (f" {extra}" if extra else "")},
        {"speaker": "agent", "text": "Unplug it, wait, plug it in."},
    ]
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def write_chats(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_chat(folder / f"chat-{index:03d}.jsonl", index) for index in range(count)]


def write_stereo_bursts(path: Path, seed: int = 0) -> Path:
    """A 6 s stereo 16 kHz WAV with tone bursts on each channel (the fake transcriber's words)."""
    rng = np.random.default_rng(seed)
    samples = np.zeros((2, 6 * 16000), dtype=np.float32)
    for channel, starts in ((0, (0.5, 1.0, 3.5)), (1, (2.0, 2.5, 5.0))):
        for start in starts:
            burst = af.tone(400 + 100 * channel + int(rng.integers(0, 50)), 0.25, 16000, amplitude=0.3)
            begin = int(start * 16000)
            samples[channel, begin:begin + burst.size] = burst
    return af.write_wav(path, samples, 16000)


def scan_for(folder: Path, needles: tuple[str, ...]) -> list[str]:
    """Files under ``folder`` whose bytes hold any needle."""
    hits = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(needle.encode() in data for needle in needles):
                hits.append(str(path))
    return hits
