"""The one fingerprint helper: the bytes fed are those of the digests it replaced, so the
fingerprints a warehouse stored stay valid."""

from __future__ import annotations

import hashlib

import numpy as np

from shnor.fingerprints import digest, file_blocks, file_parts, fingerprint


def test_parts_in_order_are_one_sha256_of_their_bytes():
    numbers = np.arange(5, dtype="uint64")
    expected = hashlib.sha256("Шкала\t1\n".encode() + b"\x00raw" + numbers.tobytes()).hexdigest()
    assert fingerprint(["Шкала\t1\n", b"\x00raw", numbers]) == expected
    assert fingerprint(["b", "a"]) != fingerprint(["a", "b"])


def test_a_chain_extends_a_copy_and_leaves_its_base_alone():
    base = digest(["common"])
    first = digest(["2024"], base)
    second = digest(["2025"], first)
    assert base.hexdigest() == hashlib.sha256(b"common").hexdigest()
    assert second.hexdigest() == hashlib.sha256(b"common20242025").hexdigest()


def test_files_are_named_then_read_in_sorted_order(tmp_path):
    (tmp_path / "b.sql").write_bytes(b"SELECT 2")
    (tmp_path / "a.sql").write_bytes(b"SELECT 1")
    parts = list(file_parts(tmp_path.glob("*.sql"), lambda path: path.name))
    assert parts == ["a.sql", b"SELECT 1", "b.sql", b"SELECT 2"]
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 10_000)  # 2.5 MB: three blocks
    assert len(list(file_blocks(big))) == 3
    assert fingerprint(file_blocks(big)) == hashlib.sha256(big.read_bytes()).hexdigest()
