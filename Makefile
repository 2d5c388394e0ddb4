# Quick start targets. Each one does all set-up first (idempotent), then its job.
.PHONY: setup demo test test-all lint bench

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/langassist assess samples/sample-call.flac --languages en,es

test: setup
	.venv/bin/python -m pytest

test-all: setup
	.venv/bin/python -m pytest -m "" 

lint: setup
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/mypy

bench: setup
	.venv/bin/python benchmarks/asr_speed.py
