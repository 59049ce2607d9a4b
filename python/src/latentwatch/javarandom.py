"""Java's documented pseudo-random generators, bit for bit, so seeded choices match the Java side.

* :class:`JavaRandom` is ``java.util.Random``: the 48-bit linear congruential generator specified in
  its Javadoc (multiplier 0x5DEECE66D, addend 0xB), with ``nextDouble`` and ``nextInt(bound)``.
* :class:`SplittableRandom` is ``java.util.SplittableRandom(seed)``: SplitMix64 (Steele, Lea and
  Flood 2014, gamma 0x9e3779b97f4a7c15, Stafford's mix13) with ``nextLong(bound)``'s rejection
  sampling.
"""

from __future__ import annotations

_MASK48 = (1 << 48) - 1
_MASK64 = (1 << 64) - 1
_MULT = 0x5DEECE66D


def _signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


class JavaRandom:
    """``java.util.Random(seed)``."""

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ _MULT) & _MASK48

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * _MULT + 0xB) & _MASK48
        return _signed(self._seed >> (48 - bits), 32)

    def next_double(self) -> float:
        return ((self._next(26) << 27) + self._next(27)) * 2.0**-53

    def next_int(self, bound: int) -> int:
        if bound <= 0:
            raise ValueError("bound must be positive")
        r = self._next(31)
        m = bound - 1
        if bound & m == 0:
            return (bound * r) >> 31
        u = r
        while True:
            r = u % bound
            if _signed(u - r + m, 32) >= 0:
                return r
            u = self._next(31)


class SplittableRandom:
    """``java.util.SplittableRandom(seed)``."""

    _GAMMA = 0x9E3779B97F4A7C15

    def __init__(self, seed: int) -> None:
        self._seed = seed & _MASK64

    @staticmethod
    def _mix64(z: int) -> int:
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)

    def next_long(self, bound: int | None = None) -> int:
        self._seed = (self._seed + self._GAMMA) & _MASK64
        r = self._mix64(self._seed)
        if bound is None:
            return _signed(r, 64)
        if bound <= 0:
            raise ValueError("bound must be positive")
        m = bound - 1
        if bound & m == 0:
            return r & m
        u = r >> 1
        while True:
            r = u % bound
            if _signed(u + m - r, 64) >= 0:
                return r
            self._seed = (self._seed + self._GAMMA) & _MASK64
            u = self._mix64(self._seed) >> 1
