"""A live API server over fakes (burst transcriber, fake assessor) on 127.0.0.1, for the
soak test: ``python tests/unit/live_server_fake.py PORT``. Settings come from the
environment (``LANGASSIST_LIVE__MAX_CALLS`` ...), as for ``langassist serve``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import uvicorn  # noqa: E402
from test_api_fakes import make_app  # noqa: E402

if __name__ == "__main__":
    uvicorn.run(make_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False, ws_max_size=70 * 1024)
