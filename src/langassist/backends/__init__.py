"""Engine adapters behind small protocols (see base.py)."""
