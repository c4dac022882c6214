"""One way to fingerprint what an output depends on: SHA-256 over parts fed in order (text as
UTF-8, bytes and buffers as they are). The warehouse stores these (loaded files, builds, scores,
published versions), so the bytes fed are the same as the hand-rolled digests they replace."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

Part = str | bytes | memoryview | Any  # Any: a contiguous buffer such as a NumPy array


def digest(parts: Iterable[Part], base: Any = None) -> Any:
    """A SHA-256 (a copy of `base` when given: a chain of digests) fed with the parts in order."""
    found = base.copy() if base is not None else hashlib.sha256()
    for part in parts:
        found.update(part.encode("utf-8") if isinstance(part, str) else part)
    return found


def fingerprint(parts: Iterable[Part]) -> str:
    """The hex SHA-256 of the parts in order: a generator streams a large file."""
    return digest(parts).hexdigest()


def file_parts(paths: Iterable[Path], name: Callable[[Path], str]) -> Iterator[Part]:
    """Each file (in sorted order) as its name, then its bytes: a renamed file counts too."""
    for path in sorted(paths):
        yield name(path)
        yield path.read_bytes()


def file_blocks(path: Path) -> Iterator[bytes]:
    """A file's bytes in 1 MB blocks (a large input is never read whole)."""
    with open(path, "rb") as handle:
        yield from iter(lambda: handle.read(1 << 20), b"")
