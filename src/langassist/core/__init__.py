"""Core: the stage protocol, pipeline composition and drivers."""
