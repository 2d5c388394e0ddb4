"""Build the bundled sample call, ``samples/sample-call.flac``, and its script sidecar.

A short synthetic support call with a language barrier, spoken by espeak-ng:

- left channel, the agent: US English, fast, long sentences full of telecom jargon;
- right channel, the customer: a Spanish speaker, first asking in Spanish-accented English
  for a repeat, then switching to Spanish.

Turns never overlap and are separated by realistic gaps. The FLAC is 16 kHz stereo PCM16;
``samples/sample-call.json`` holds the script (speaker, text, language, voice, start and
end in seconds) so tests can compare against it. The output is deterministic for a given
espeak-ng and SoX version (both recorded in the JSON).

Run from the repository root::

    .venv/bin/python scripts/make_sample_call.py
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_RATE_HZ = 16000
MAX_BYTES = 1_500_000

AGENT_FAST_WPM = 240
CUSTOMER_WPM = 140

# (speaker, voice, language, words per minute, gap before in seconds, text)
SCRIPT = (
    ("agent", "en-us", "en", AGENT_FAST_WPM, 0.0,
     "Thanks for calling FiberNet support. I have pulled up your "
     "account and it looks like your ONT needs a firmware reprovision, so I am going to push "
     "a fresh config profile from the OLT, and once that completes you will need to power "
     "cycle the gateway and wait for the PON light to go solid green before the DHCP lease "
     "renews."),
    ("customer", "es", "en", CUSTOMER_WPM, 1.1,
     "Sorry, can you repeat that please?"),
    ("agent", "en-us", "en", AGENT_FAST_WPM, 0.7,
     "Sure, so basically the optical network terminal on your side is running a stale "
     "provisioning profile, which means the VLAN tagging does not match what the head end "
     "expects, and until we reprovision it your WAN interface will not pull an IP address."),
    ("customer", "es", "es", CUSTOMER_WPM, 1.6,
     "No entiendo. ¿Habla español?"),
    ("agent", "en-us", "en", 185, 1.3,
     "Okay, one moment please, I will transfer you to a Spanish speaking colleague."),
)


def _tool_version(command: list[str]) -> str:
    try:
        result = subprocess.run(command, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def build(output: Path) -> dict[str, object]:
    """Synthesize the call, write ``output`` (FLAC) and its ``.json`` script; return the script."""
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    import audio_factory as af

    turns = [
        af.speech_turn(speaker, text, voice, language, gap_before_s=gap,
                       sample_rate_hz=SAMPLE_RATE_HZ, words_per_minute=wpm)
        for speaker, voice, language, wpm, gap, text in SCRIPT
    ]
    call = af.build_stereo_call(turns, SAMPLE_RATE_HZ, lead_in_s=0.8, tail_s=1.0)
    output.parent.mkdir(parents=True, exist_ok=True)
    af.write_audio(output, call.samples, SAMPLE_RATE_HZ)
    speeds = {text: wpm for _s, _v, _l, wpm, _g, text in SCRIPT}
    script: dict[str, object] = {
        "file": output.name,
        "sample_rate_hz": SAMPLE_RATE_HZ,
        "channels": ["agent", "customer"],
        "duration_s": round(call.duration_s, 3),
        "generator": "scripts/make_sample_call.py",
        "espeak_ng": _tool_version(["espeak-ng", "--version"]),
        "sox": _tool_version(["sox", "--version"]),
        "turns": [
            {**asdict(line), "words_per_minute": speeds[line.text]} for line in call.script
        ],
    }
    output.with_suffix(".json").write_text(
        json.dumps(script, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return script


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", type=Path, default=REPO_ROOT / "samples" / "sample-call.flac",
        help="where to write the FLAC (the JSON script goes next to it)",
    )
    args = parser.parse_args(argv)
    script = build(args.output)
    size = args.output.stat().st_size
    print(f"wrote {args.output} ({size / 1024:.0f} KiB, {script['duration_s']} s) and its .json")
    if size > MAX_BYTES:
        print(f"error: {args.output} is over {MAX_BYTES} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
