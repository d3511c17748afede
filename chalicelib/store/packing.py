"""Deflated JSON for items billed by their size: a format byte, then raw deflate (no header, no checksum) with a
preset dictionary of the names and fragments such JSON repeats. A dictionary is part of its format forever: items
were deflated with it; a new dictionary is a new format byte."""

from __future__ import annotations

import json
import zlib
from typing import Any


def pack(value: Any, format_byte: bytes, dictionary: bytes) -> bytes:
    try:  # keys sorted, as the dictionaries were written (a better match); a map of mixed key types as it is
        text = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    except TypeError:
        text = json.dumps(value, separators=(",", ":")).encode()
    packer = zlib.compressobj(level=9, wbits=-15, zdict=dictionary)
    return format_byte + packer.compress(text) + packer.flush()


def unpack(blob: bytes, dictionaries: dict[bytes, bytes]) -> Any:
    dictionary = dictionaries.get(blob[:1])
    if dictionary is None:
        raise ValueError(f"unknown packed format {blob[:1]!r}")
    unpacker = zlib.decompressobj(wbits=-15, zdict=dictionary)
    return json.loads(unpacker.decompress(blob[1:]) + unpacker.flush())
