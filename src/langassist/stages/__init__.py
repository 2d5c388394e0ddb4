"""Stages: adapters that connect backends and policies to the pipeline."""
