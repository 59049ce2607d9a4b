"""Activation values to wire bytes, byte-identical to the Java encoder (``ActivationEncoder``).

Row-major, little-endian, one of:

* ``F16`` (default): IEEE binary16, round to nearest even. A finite value beyond 65504 is refused
  here, at encode time (publish the hook as BF16 or F32), rather than turning into Inf downstream.
* ``BF16``: the top 16 bits of the float32 after rounding to nearest even (F32's range).
* ``F32``: exact.

NaN stays a quiet NaN with Java's bit pattern (numpy and torch write other NaN payloads), so even
non-finite values encode to the same bytes in both languages; the monitor rejects them as
``non-finite``.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
import numpy.typing as npt

F16_MAX = 65504.0


class Dtype(str, Enum):
    """The wire dtypes (Avro enum ``io.latentwatch.schema.Dtype``)."""

    F32 = "F32"
    F16 = "F16"
    BF16 = "BF16"

    @property
    def itemsize(self) -> int:
        return 4 if self is Dtype.F32 else 2


def _f16_bits(x: npt.NDArray[np.float32]) -> npt.NDArray[np.uint16]:
    bits = x.astype("<f2").view("<u2").copy()  # numpy rounds to nearest even, subnormals included
    nan = np.isnan(x)
    if nan.any():
        # Java: sign | 0x7c00 | 0x200 | (mantissa >>> 13)
        u = x[nan].view(np.uint32)
        bits[nan] = (((u >> 16) & 0x8000) | 0x7C00 | 0x200 | ((u & 0x7FFFFF) >> 13)).astype(np.uint16)
    return bits


def _bf16_bits(x: npt.NDArray[np.float32]) -> npt.NDArray[np.uint16]:
    u = x.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFFFFFF) >> 16
    nan = np.isnan(x)
    if nan.any():
        rounded[nan] = (u[nan] >> 16) | 0x40  # keep NaN a NaN, as Java does
    return rounded.astype(np.uint16)


def encode(values: npt.ArrayLike, dtype: Dtype | str = Dtype.F16, *, hook: str = "activation") -> bytes:
    """The wire bytes of ``values`` (any shape, flattened row-major) as ``dtype``."""
    dt = Dtype(dtype)
    x = np.ascontiguousarray(np.asarray(values, dtype=np.float32).reshape(-1))
    if dt is Dtype.F32:
        return x.astype("<f4").tobytes()
    if dt is Dtype.F16:
        over = np.isfinite(x) & (np.abs(x) > F16_MAX)
        if over.any():
            i = int(np.argmax(over))
            raise ValueError(
                f"activation at {hook} index {i} = {float(x[i])} overflows F16 (max 65504); "
                "publish this hook as BF16 or F32"
            )
        return _f16_bits(x).astype("<u2").tobytes()
    return _bf16_bits(x).astype("<u2").tobytes()


def decode(data: bytes, dtype: Dtype | str, count: int | None = None) -> npt.NDArray[np.float32]:
    """Float32 values of wire bytes (what the monitor reads)."""
    dt = Dtype(dtype)
    if count is not None and len(data) != count * dt.itemsize:
        raise ValueError(f"{dt.value} data of {len(data)} bytes cannot hold {count} values")
    if dt is Dtype.F32:
        return np.frombuffer(data, dtype="<f4").astype(np.float32)
    u = np.frombuffer(data, dtype="<u2")
    if dt is Dtype.F16:
        return u.view("<f2").astype(np.float32)
    return (u.astype(np.uint32) << 16).view(np.float32)


def activation(hook: str, position: int, values: npt.ArrayLike, dtype: Dtype | str = Dtype.F16) -> dict[str, object]:
    """One ``Activation`` record: ``values`` shaped as published (e.g. [d_model] or [n_heads, d_head])."""
    if not hook or not hook.strip():
        raise ValueError("activation hook name is empty")
    if position < 0:
        raise ValueError(f"activation at {hook} has negative position {position}")
    arr = np.asarray(values, dtype=np.float32)
    if arr.ndim == 0 or any(d <= 0 for d in arr.shape):
        raise ValueError(f"activation at {hook} has shape {list(arr.shape)}: every dimension must be positive")
    return {
        "hook": hook,
        "position": int(position),
        "dtype": Dtype(dtype).value,
        "shape": [int(d) for d in arr.shape],
        "data": encode(arr, dtype, hook=hook),
    }
