from pathlib import Path

import pytest

from langassist.config import Settings, load_settings
from langassist.errors import ConfigError


def test_defaults_are_valid() -> None:
    settings = load_settings(environ={})
    assert settings.asr.model == "whisper-base"
    assert settings.audio.channel_tracks == ("agent", "customer")
    assert isinstance(settings, Settings)


def test_pipeline_then_env_then_overrides(tmp_path: Path) -> None:
    pipeline = tmp_path / "mine.toml"
    pipeline.write_text('[asr]\nbeam_size = 5\nmodel = "whisper-tiny.en"\n')
    environ = {"LANGASSIST_ASR__BEAM_SIZE": "3", "LANGASSIST_DATA_DIR": "/data"}
    settings = load_settings(pipeline, environ=environ, overrides={"asr.cpu_threads": 1})
    assert settings.asr.model == "whisper-tiny.en"
    assert settings.asr.beam_size == 3
    assert settings.asr.cpu_threads == 1
    assert settings.data_dir == "/data"
    assert settings.pipeline == str(pipeline)


def test_list_values_from_text() -> None:
    settings = load_settings(environ={}, overrides={"audio.channel_tracks": "customer,agent"})
    assert settings.audio.channel_tracks == ("customer", "agent")


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"asr.beam_size": 0}, "asr.beam_size"),
        ({"asr.compute_type": "int3"}, "asr.compute_type"),
        ({"asr.nonsense": 1}, "unknown setting asr.nonsense"),
        ({"audio.channel_tracks": "agent,agent"}, "audio.channel_tracks"),
        ({"asr.beam_size": "many"}, "cannot read"),
        ({"nosuch.key": 1}, "unknown settings section"),
    ],
)
def test_bad_settings_name_the_field(overrides: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings(environ={}, overrides=overrides)


def test_named_pipelines_load() -> None:
    for name in ("audit", "live", "english-fast", "eval-asr"):
        settings = load_settings(name, environ={})
        assert settings.pipeline is not None and settings.pipeline.endswith(f"{name}.toml")


def test_unknown_pipeline_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="pipeline 'nope' not found"):
        load_settings("nope", environ={})


def test_fingerprint_changes_with_settings() -> None:
    a = load_settings(environ={})
    b = load_settings(environ={}, overrides={"asr.beam_size": 5})
    assert a.fingerprint("asr") != b.fingerprint("asr")
    assert a.fingerprint("audio") == b.fingerprint("audio")


def test_twilio_stream_url_must_be_a_websocket_url() -> None:
    import pytest

    from langassist.config import LiveSettings
    from langassist.errors import ConfigError

    assert LiveSettings(twilio_stream_url="wss://assist.example.com/v1/twilio").twilio_stream_url
    with pytest.raises(ConfigError, match="twilio_stream_url"):
        LiveSettings(twilio_stream_url="https://assist.example.com/v1/twilio")
