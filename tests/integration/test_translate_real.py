"""Real translation engines: Debian Apertium en<->es and a tiny random Marian model.

The Marian model is built in the test (sentencepiece trained here, random weights) and
converted with CTranslate2's TransformersConverter, so loading, conversion, batching
and tokenization are the real code; its output is noise, which is exactly what the
protected-term guarantee has to survive.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from langassist.errors import ModelIntegrityError
from langassist.translate import TranslationRouter, TranslationSettings, find_protected
from langassist.translate.apertium import ApertiumPipeline

pytestmark = pytest.mark.model

TERMS = ["Fibrelink 500"]
SENTENCES = [
    "Your Fibrelink 500 order ORD-2291-A costs 12.50 and ships on 3/4/2025.",
    "Please write to help@example.com or call +44 20 7946 0958.",
    "Hello, thank you for calling.",
    "",
]


def assert_protected(sources: list[str], outputs: list[str]) -> None:
    assert len(outputs) == len(sources)
    for source, output in zip(sources, outputs, strict=True):
        for span in find_protected(source, TERMS):
            assert span.text in output, (span.text, output)


# --------------------------------------------------------------------------- Apertium


@pytest.fixture(scope="module")
def apertium_router() -> Iterator[TranslationRouter]:
    if shutil.which("apertium") is None:
        pytest.skip("apertium is not installed (apt-get install apertium apertium-eng-spa)")
    from langassist.translate.apertium import ApertiumTranslator

    if ApertiumTranslator().mode_for("en", "es") is None:
        pytest.skip("apertium-eng-spa is not installed")
    router = TranslationRouter(TranslationSettings())
    yield router
    router.close()


def test_apertium_en_es_keeps_protected_terms(apertium_router: TranslationRouter) -> None:
    outcome = apertium_router.translate(SENTENCES, source="en", target="es", terms=TERMS)
    assert outcome.ok and outcome.backend == "apertium"
    assert_protected(SENTENCES, outcome.texts)
    assert "gracias" in outcome.texts[2].lower()
    assert outcome.texts[3] == ""


def test_apertium_es_en(apertium_router: TranslationRouter) -> None:
    outcome = apertium_router.translate(
        ["Mi factura de este mes es demasiado alta.", "El código es AB-7731."],
        source="es", target="en",
    )
    assert outcome.ok
    assert "bill" in outcome.texts[0].lower() or "invoice" in outcome.texts[0].lower()
    assert "AB-7731" in outcome.texts[1]


def test_apertium_unserved_pair(apertium_router: TranslationRouter) -> None:
    outcome = apertium_router.translate(["Hallo"], source="de", target="es")
    assert outcome.status == "no_backend"


@pytest.fixture()
def apertium_pipeline(apertium_router: TranslationRouter) -> Iterator[ApertiumPipeline]:
    from langassist.translate.apertium import ApertiumTranslator

    if not ApertiumPipeline.available():
        pytest.skip("apertium-wblank-mode is missing (apertium < 3.8)")
    mode = ApertiumTranslator().mode_for("en", "es")
    assert mode is not None
    pipeline = ApertiumPipeline(mode, timeout_s=20.0)
    yield pipeline
    pipeline.close()


def test_apertium_pipeline_translates_like_one_process(apertium_pipeline: ApertiumPipeline) -> None:
    from langassist.translate.apertium import ApertiumTranslator

    texts = [
        "He added.",  # a final full stop survives (the analyser needs a blank after it)
        "Please turn the router off, wait ten seconds, and turn it on again.",
        "Escaped stream syntax: [zq] b/c $5 ^d @e <f> {g} back\\slash.",
        "",
        "Two\nlines.",
    ]
    once = ApertiumTranslator(persistent=False).translate(texts, source="en", target="es")
    ours = apertium_pipeline.translate(texts)
    assert ours == [" ".join(text.split()) for text in once]
    assert ours[0].endswith(".") and ours[3] == ""
    for literal in ("[zq]", "b/c", "$5", "^d", "<f>", "{g}"):
        assert literal in ours[2]
    assert apertium_pipeline.running  # one process serves every call


def test_apertium_pipeline_restarts_after_a_crash(apertium_pipeline: ApertiumPipeline) -> None:
    import os
    import signal

    first = apertium_pipeline.translate(["Thank you for calling."])
    process = apertium_pipeline._process
    assert process is not None
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=5)
    assert apertium_pipeline.translate(["Thank you for calling."]) == first
    assert apertium_pipeline.running and apertium_pipeline._process is not process


def test_apertium_pipeline_times_out_and_recovers(apertium_pipeline: ApertiumPipeline) -> None:
    import os
    import signal

    from langassist.errors import BackendError

    apertium_pipeline.translate(["Hello."])
    process = apertium_pipeline._process
    assert process is not None
    os.killpg(process.pid, signal.SIGSTOP)  # a hung pipeline
    apertium_pipeline.timeout_s = 0.5
    with pytest.raises(BackendError, match="longer than 0.5 s"):
        apertium_pipeline.translate(["Hello again."])
    assert process.poll() is not None  # killed, not left behind
    apertium_pipeline.timeout_s = 20.0
    assert apertium_pipeline.translate(["Hello."])[0]


def test_apertium_close_stops_the_pipeline(apertium_router: TranslationRouter) -> None:
    from langassist.translate.apertium import ApertiumTranslator

    translator = ApertiumTranslator()
    router = TranslationRouter(TranslationSettings(), translators={"apertium": translator})
    outcome = router.translate(SENTENCES, source="en", target="es", terms=TERMS)
    assert_protected(SENTENCES, outcome.texts)
    pipeline = translator.pipeline("eng-spa")
    assert pipeline is not None and pipeline.running
    process = pipeline._process
    router.close()
    assert not pipeline.running and process is not None and process.poll() is not None


# --------------------------------------------------------------------------- tiny Marian


@pytest.fixture(scope="module")
def tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("sentencepiece")
    pytest.importorskip("ctranslate2")
    from langassist.translate.tiny_marian import build_tiny_marian

    return build_tiny_marian(tmp_path_factory.mktemp("tiny-marian") / "opus-mt-en-es")


@pytest.fixture(scope="module")
def converted(tiny_marian: Path) -> dict[str, Path]:
    from langassist.translate.ctranslate2_marian import convert_translation_model

    out = {}
    for quantization in ("int8", "float32"):
        target = tiny_marian.parent / f"ct2-{quantization}"
        info = convert_translation_model(tiny_marian, target, quantization=quantization)
        assert info.family == "marian" and info.languages == ("en", "es")  # from the name
        out[quantization] = target
    return out


def test_conversion_writes_model_and_sidecar(converted: dict[str, Path]) -> None:
    from langassist.translate.ctranslate2_marian import INFO_FILE, read_model_info

    for directory in converted.values():
        for name in ("model.bin", "source.spm", "target.spm", INFO_FILE):
            assert (directory / name).is_file(), name
    assert read_model_info(converted["int8"]).quantization == "int8"


def test_ctranslate2_tokenizes_like_transformers(tiny_marian: Path, converted: dict[str, Path]) -> None:
    from langassist.translate.ctranslate2_marian import CTranslate2Translator
    from langassist.translate.transformers_marian import TransformersMarianTranslator

    ct2 = CTranslate2Translator(converted["float32"], compute_type="float32", beam_size=1,
                                max_decoding_length=12, cpu_threads=1)
    reference = TransformersMarianTranslator(tiny_marian, source="en", target="es", beam_size=1,
                                             max_new_tokens=12, cpu_threads=1)
    text = "Your order has been sent."
    ids = reference._tokenizer(text)["input_ids"]
    pieces = reference._tokenizer.convert_ids_to_tokens(ids)
    assert ct2.tokenize(text, source="en") == pieces
    # Same weights, greedy: the converted model decodes what the original decodes.
    ours = ct2.translate([text, "Hello."], source="en", target="es")
    theirs = reference.translate([text, "Hello."], source="en", target="es")
    assert [o[:20] for o in ours] == [t[:20] for t in theirs]


def test_ctranslate2_batches_and_keeps_order(converted: dict[str, Path]) -> None:
    from langassist.translate.ctranslate2_marian import CTranslate2Translator

    translator = CTranslate2Translator(converted["int8"], beam_size=2, batch_size=2,
                                       max_decoding_length=16, cpu_threads=1)
    outputs = translator.translate(SENTENCES, source="en", target="es")
    assert len(outputs) == len(SENTENCES) and outputs[3] == ""
    assert all(outputs[:3])
    assert not translator.supports("es", "en")


def test_router_converts_hf_directory_and_protects_terms(tiny_marian: Path, tmp_path: Path) -> None:
    settings = TranslationSettings(
        routes=(f"en-es=ctranslate2:{tiny_marian}",), beam_size=1, max_decoding_length=16,
        cpu_threads=1,
    )
    router = TranslationRouter(settings, convert_dir=tmp_path / "converted")
    outcome = router.translate(SENTENCES, source="en", target="es", terms=TERMS)
    assert outcome.ok and outcome.backend == f"ctranslate2:{tiny_marian}"
    assert_protected(SENTENCES, outcome.texts)
    # A random model loses placeholders: the segment fallback keeps the guarantee.
    assert {t.protection for t in outcome.translations[:2]} <= {"placeholders", "segments"}
    assert len(list((tmp_path / "converted").iterdir())) == 1


def test_transformers_backend_through_router(tiny_marian: Path) -> None:
    settings = TranslationSettings(
        routes=(f"en-es=transformers:{tiny_marian}",), beam_size=1, max_decoding_length=16,
        cpu_threads=1,
    )
    outcome = TranslationRouter(settings).translate(SENTENCES[:2], source="en", target="es", terms=TERMS)
    assert outcome.ok
    assert_protected(SENTENCES[:2], outcome.texts)


def test_checksum_mismatch_refused(converted: dict[str, Path], tmp_path: Path) -> None:
    from langassist.translate.ctranslate2_marian import CTranslate2Translator

    copy = tmp_path / "tampered"
    shutil.copytree(converted["int8"], copy)
    with (copy / "model.bin").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        CTranslate2Translator(copy)


# --------------------------------------------------------------------------- models pull --from-dir


def _tiny_manifest(folder: Path, checkpoint: Path, *, tamper: str | None = None) -> Path:
    """A translation manifest for the tiny model, pinning the SHA-256 of its small files
    (computed here, as one would from a trusted copy); ``tamper`` pins a wrong one."""
    import hashlib

    lines = [
        'name = "opus-mt-en-es-tiny"', 'role = "translation"', 'backend = "ctranslate2"',
        'description = "tiny random Marian built in the test"', 'licence = "MIT"',
        'version = "test"', "size_bytes = 0", "multilingual = false", 'languages = ["en", "es"]',
        'missing_checksums = "hub"',
    ]
    for name in ("config.json", "source.spm", "target.spm", "vocab.json"):
        digest = hashlib.sha256((checkpoint / name).read_bytes()).hexdigest()
        if name == tamper:
            digest = "0" * 64
        lines += ["", "[[files]]", f'name = "{name}"', f'sha256 = "{digest}"']
    lines += ["", "[[sources]]", 'id = "hub"', 'kind = "hub"',
              'repo = "example/opus-mt-en-es-tiny"', 'revision = "main"']
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "opus-mt-en-es-tiny.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_models_pull_from_dir_converts_offline(tiny_marian: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from langassist.cli.main import app
    from langassist.config import load_settings
    from langassist.service import create_translation_router
    from langassist.translate.ctranslate2_marian import INFO_FILE, CTranslate2Translator

    manifests = _tiny_manifest(tmp_path / "manifests", tiny_marian)
    cache = tmp_path / "cache"
    args = ["models", "pull", "opus-mt-en-es-tiny", "--from-dir", str(tiny_marian),
            "--manifests-dir", str(manifests), "--cache-dir", str(cache)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    converted = Path(result.stdout.strip().splitlines()[-1])
    assert converted == cache / "translation" / "opus-mt-en-es-tiny"
    sidecar = (converted / INFO_FILE).read_text(encoding="utf-8")
    assert "source_files" in sidecar and "(local directory)" in sidecar
    translator = CTranslate2Translator(converted, beam_size=1, max_decoding_length=8, cpu_threads=1)
    assert translator.supports("en", "es") and translator.info.quantization == "int8"
    # The service resolves the manifest name to the conversion: routes can name it.
    settings = load_settings(overrides={
        "models.cache_dir": str(cache), "models.manifests_dir": str(manifests),
        "translation.routes": ["en-es=ctranslate2:opus-mt-en-es-tiny"],
        "translation.beam_size": 1, "translation.max_decoding_length": 8,
        "translation.cpu_threads": 1,
    })
    outcome = create_translation_router(settings).translate(
        SENTENCES, source="en", target="es", terms=TERMS
    )
    assert outcome.ok and outcome.backend == "ctranslate2:opus-mt-en-es-tiny"
    assert_protected(SENTENCES, outcome.texts)
    listed = CliRunner().invoke(app, ["models", "list", "--json", "--manifests-dir", str(manifests),
                                      "--cache-dir", str(cache)])
    assert listed.exit_code == 0 and '"state": "converted"' in listed.stdout
    # Pulling again from the same files reuses the conversion.
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and Path(again.stdout.strip().splitlines()[-1]) == converted


def test_models_pull_from_dir_refuses_a_checksum_mismatch(tiny_marian: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from langassist.cli.main import app

    manifests = _tiny_manifest(tmp_path / "manifests", tiny_marian, tamper="target.spm")
    result = CliRunner().invoke(app, [
        "models", "pull", "opus-mt-en-es-tiny", "--from-dir", str(tiny_marian),
        "--manifests-dir", str(manifests), "--cache-dir", str(tmp_path / "cache"),
    ])
    assert result.exit_code == 1
    assert "target.spm has SHA-256" in " ".join(result.stderr.split())
    assert not (tmp_path / "cache" / "translation" / "opus-mt-en-es-tiny").exists()


def test_models_pull_translation_offline_names_both_ways(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from langassist.cli.main import app

    result = CliRunner().invoke(app, ["models", "pull", "opus-mt-en-de", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "--allow-download" in message and "--from-dir DIR" in message
