"""Great Expectations says nothing on the analyst's console: GX gives its own loggers level INFO
when imported, and a line in English about a temporary docs folder used to reach it."""

from __future__ import annotations

import subprocess
import sys

_SCRIPT = """
import io, logging
stream = io.StringIO()
logging.basicConfig(stream=stream, level=logging.INFO)
from shnor.quality.suites import _context
_context()
print(repr(stream.getvalue()))
"""


def test_creating_the_validation_context_logs_nothing_at_info_level():
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "''", done.stdout[:500]
