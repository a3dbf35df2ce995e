"""The data a probe hands back, as bytes that carry no code.

A probe runs the student's code and returns plain data: numbers, strings,
booleans, `None`, lists, dicts with string keys and NumPy arrays of numbers.
`dumps` turns that into JSON (arrays as base64 with their dtype and shape);
`loads` reads it back, refusing anything else. Nothing is ever unpickled, so
what a student's process sends cannot run code in the grader.

Between processes a payload travels as one framed line, `frame(nonce, tag,
text)`: `<nonce> <tag> <json> <nonce>`. The nonce is random per graded run,
so lines a student's code prints before it could know the nonce are never
taken for a payload, and a payload cut short (the process was killed while
writing it) lacks its closing nonce and is ignored.
"""

import base64
import json
import math
import numbers

import numpy as np

__all__ = ["WireError", "dumps", "loads", "frame", "unframe", "MAX_BYTES", "MIME"]

MAX_BYTES = 64 * 1024 * 1024
"""The largest payload `loads` accepts (64 MiB)."""

MIME = "application/x.secuah-dl.payload"
"""The display-data type a notebook's probe cell publishes its payload as."""

_DTYPES = {
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
}
_ARRAY = "__ndarray__"
_FLOAT = "__float__"
_MAX_DEPTH = 32


class WireError(ValueError):
    """The data is not of the allowed kinds (or the payload is malformed)."""


def _encode(value, depth):
    if depth > _MAX_DEPTH:
        raise WireError(f"Data nested deeper than {_MAX_DEPTH} levels.")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else {_FLOAT: repr(value)}
    if isinstance(value, np.ndarray) or (
        hasattr(value, "__array__") and hasattr(value, "dtype")
    ):
        array = np.asarray(value)
        if array.dtype.name not in _DTYPES:
            raise WireError(
                f"Arrays must hold numbers or booleans. Received: dtype {array.dtype}"
            )
        array = np.ascontiguousarray(array)
        return {
            _ARRAY: base64.b64encode(array.tobytes()).decode("ascii"),
            "dtype": array.dtype.name,
            "shape": list(array.shape),
        }
    if isinstance(value, (list, tuple)):
        return [_encode(item, depth + 1) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise WireError("Dict keys must be strings.")
        return {key: _encode(item, depth + 1) for key, item in value.items()}
    raise WireError(
        f"Only numbers, strings, lists, dicts and numeric arrays travel. "
        f"Received: {type(value).__name__}"
    )


def dumps(data):
    """Encodes probe data as JSON text.

    Args:
        data: nested lists/dicts (string keys) of `None`, bool, int, float,
            str and numeric NumPy arrays. Tuples become lists.

    Returns:
        str. JSON text.

    Raises:
        WireError: if `data` holds anything else.
    """
    return json.dumps(_encode(data, 0), ensure_ascii=True, allow_nan=False)


def _decode(value, depth):
    if depth > _MAX_DEPTH:
        raise WireError(f"Data nested deeper than {_MAX_DEPTH} levels.")
    if isinstance(value, list):
        return [_decode(item, depth + 1) for item in value]
    if isinstance(value, dict):
        if set(value) == {_FLOAT}:
            text = value[_FLOAT]
            if text not in ("nan", "inf", "-inf"):
                raise WireError(f"Bad special float {text!r}.")
            return float(text)
        if _ARRAY in value:
            dtype, shape = value.get("dtype"), value.get("shape")
            if dtype not in _DTYPES or not isinstance(shape, list):
                raise WireError(f"Bad array header: dtype={dtype!r}, shape={shape!r}")
            if not all(isinstance(n, int) and n >= 0 for n in shape):
                raise WireError(f"Bad array shape {shape!r}.")
            raw = base64.b64decode(value[_ARRAY], validate=True)
            expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
            if len(raw) != expected:
                raise WireError(
                    f"Array of shape {shape} and dtype {dtype} needs {expected} "
                    f"bytes. Received: {len(raw)}"
                )
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        return {key: _decode(item, depth + 1) for key, item in value.items()}
    return value


def loads(text):
    """Decodes JSON text written by `dumps`.

    Args:
        text: str or bytes. The payload.

    Returns:
        The data, with arrays as NumPy arrays.

    Raises:
        WireError: if the payload is too large, not JSON, or holds anything
            `dumps` would not write.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="strict")
    if len(text) > MAX_BYTES:
        raise WireError(
            f"Payload larger than {MAX_BYTES} bytes. Received: {len(text)} bytes"
        )
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise WireError(f"Payload is not valid JSON: {error}") from None
    return _decode(raw, 0)


def frame(nonce, tag, text):
    """One payload as a line of text, framed by the run's nonce.

    Args:
        nonce: str. The run's random token (hex).
        tag: str. What the payload is (an exercise id, `"ready"`, ...),
            without spaces.
        text: str. The payload, e.g. from `dumps` (no newlines).

    Returns:
        str. `"\\n<nonce> <tag> <text> <nonce>\\n"` (the leading newline
        ends whatever half-line was printed before).
    """
    return f"\n{nonce} {tag} {text} {nonce}\n"


def unframe(line, nonce):
    """Reads one line written by `frame`.

    Args:
        line: str or bytes. One line of output, with or without its newline.
        nonce: str. The run's nonce.

    Returns:
        `(tag, text)`, or `None` if the line is not a complete payload of
        this run.
    """
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    line = line.rstrip("\r\n")
    prefix, suffix = f"{nonce} ", f" {nonce}"
    if not (line.startswith(prefix) and line.endswith(suffix)):
        return None
    tag, _, text = line[len(prefix) : -len(suffix)].partition(" ")
    return (tag, text) if tag and text else None
