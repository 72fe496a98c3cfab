"""Bytes to text: the only place that guesses encodings.

Order of trust, cheapest and surest first:
1. a byte-order mark (UTF-8, UTF-16 LE/BE) says the encoding outright;
2. valid UTF-8 is UTF-8 (legacy 8-bit text is almost never valid UTF-8 by accident);
3. UTF-16 without a BOM shows as NUL bytes in every other position;
4. otherwise charset-normalizer (a maintained successor of chardet) picks a legacy encoding.
Binary data (NUL bytes, many control characters) is refused before any guessing, because every
byte string decodes as *something* in latin-1 and we would score garbage.
"""
from __future__ import annotations

import codecs

# A text file may hold a few control characters (form feeds, stray escapes); more than this share
# of the first kilobytes means a binary format. 5% was chosen so that PNG, PDF, gzip and ELF
# headers are refused while scraped HTML with a few control bytes is accepted.
MAX_CONTROL_SHARE = 0.05
SNIFF_BYTES = 8192

_CONTROL_BYTES = frozenset(range(0, 32)) - {9, 10, 12, 13}


class DecodeError(ValueError):
    """The bytes are not text we can read; the message is fit to show a user."""


def _looks_like_utf16(sample: bytes) -> str | None:
    """Return 'utf-16-le'/'utf-16-be' when NULs sit in every other byte, as in ASCII-heavy UTF-16."""
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) / 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _is_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    if not sample:
        return False
    controls = sum(1 for byte in sample if byte in _CONTROL_BYTES)
    return controls / len(sample) > MAX_CONTROL_SHARE


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a document's bytes; return (text, encoding name). Raises DecodeError."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _strict(data, "utf-16"), "utf-16"
    sample = data[:SNIFF_BYTES]
    utf16 = _looks_like_utf16(sample)
    if utf16:
        return _strict(data, utf16), utf16
    if _is_binary(sample):
        raise DecodeError("binary data, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return _guess_legacy(data)


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"not valid {encoding}: {exc.reason} at byte {exc.start}") from None


def _guess_legacy(data: bytes) -> tuple[str, str]:
    import charset_normalizer  # imported here: only legacy-encoded input pays for it

    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    # On Western European letters (Å, Ø, é) cp1250, cp1252 and cp1257 often tie (same chaos and
    # coherence) and charset-normalizer returns the first, cp1250, which reads Å as Ĺ. English
    # text in a legacy encoding is Windows-1252 (or its subset latin-1) far more often: prefer it
    # on a tie.
    for match in matches:
        if (best is not None and match.encoding == "cp1252" and match.chaos <= best.chaos
                and match.coherence >= best.coherence):
            best = match
            break
    # charset-normalizer measures "chaos" (mess); above ~0.3 its guess is itself a guess.
    if best is None or best.encoding is None or best.chaos > 0.3:
        raise DecodeError("not valid UTF-8 or any detected encoding")
    text = str(best)
    if _is_binary(text[:SNIFF_BYTES].encode("utf-8", "replace")):
        raise DecodeError("not valid UTF-8 or any detected encoding")
    return text, best.encoding
