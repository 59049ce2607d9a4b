"""Which requests, hooks and token positions are sampled: the Java ``SamplingPolicy``'s semantics.

* a share ``sample_rate`` in (0, 1] of requests, decided by ``java.util.Random(seed).nextDouble() <
  rate`` (so a seeded Python node makes the same decisions as a seeded Java one);
* ``hooks``: the hook names to publish (empty: every hook the node captures);
* ``positions``: ``last`` (the position that predicts the next token), ``all``, or ``random-k``
  (k distinct positions). For a whole sequence :meth:`SamplingPolicy.positions` draws a partial
  Fisher-Yates shuffle from the same generator as Java; during generation :class:`Reservoir` keeps a
  uniform k-subset of the positions as they stream by (Vitter's algorithm R) with the draws of
  ``java.util.SplittableRandom(seed)``, as the Java node's ``SampleCapture`` does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from enum import Enum

from .javarandom import JavaRandom, SplittableRandom


class Positions(str, Enum):
    LAST = "last"
    ALL = "all"
    RANDOM_K = "random-k"

    @classmethod
    def parse(cls, s: str) -> Positions:
        for p in cls:
            if s.lower() in (p.value, p.name.lower()):
                return p
        raise ValueError(f"unknown position policy '{s}': use last, all or random-k")


class SamplingPolicy:
    """
    :param hooks: hook names to publish; empty means every hook the node captures
    :param sample_rate: share of requests sampled, in (0, 1]
    :param positions: ``last``, ``all`` or ``random-k``
    :param k: positions per request for ``random-k`` (ignored otherwise)
    :param seed: seed of the sampling decisions (reproducible runs)
    """

    def __init__(
        self,
        hooks: Iterable[str] = (),
        sample_rate: float = 1.0,
        positions: str | Positions = Positions.LAST,
        k: int = 1,
        seed: int = 0,
    ) -> None:
        if not (0 < sample_rate <= 1):
            raise ValueError(f"sample rate must be in (0, 1], got {sample_rate}")
        self.positions_policy = positions if isinstance(positions, Positions) else Positions.parse(positions)
        if self.positions_policy is Positions.RANDOM_K and k <= 0:
            raise ValueError(f"random-k needs k > 0, got {k}")
        self.sample_rate = float(sample_rate)
        self.hooks = frozenset(hooks)
        self.k = k
        self.seed = seed
        self._random = JavaRandom(seed)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        hooks = sorted(self.hooks) if self.hooks else "all"
        k = f", k={self.k}" if self.positions_policy is Positions.RANDOM_K else ""
        return f"SamplingPolicy{{rate={self.sample_rate}, hooks={hooks}, positions={self.positions_policy.value}{k}}}"

    def sample_request(self) -> bool:
        with self._lock:
            return self.sample_rate >= 1.0 or self._random.next_double() < self.sample_rate

    def hook_selected(self, hook: str) -> bool:
        return not self.hooks or hook in self.hooks

    def positions(self, seq_len: int) -> list[int]:
        """The positions to publish for a sequence of ``seq_len`` tokens, ascending."""
        if seq_len <= 0:
            return []
        if self.positions_policy is Positions.LAST:
            return [seq_len - 1]
        if self.positions_policy is Positions.ALL or self.k >= seq_len:
            return list(range(seq_len))
        idx = list(range(seq_len))
        with self._lock:
            for i in range(self.k):  # partial Fisher-Yates: the first k entries are a uniform k-subset
                j = i + self._random.next_int(seq_len - i)
                idx[i], idx[j] = idx[j], idx[i]
        return sorted(idx[: self.k])

    def metadata(self) -> dict[str, object]:
        """The ``SamplingMetadata`` every sample carries (generation settings are added by the caller)."""
        return {
            "sampleRate": float(self.sample_rate),
            "positionPolicy": self.positions_policy.value,
            "temperature": None,
            "topK": None,
            "topP": None,
            "seed": None,
            "scenario": None,
        }


class Reservoir:
    """A uniform k-subset of positions streaming by (algorithm R), Java ``SampleCapture``'s draws.

    :meth:`offer` says whether the position enters the sample and which kept position it evicts.
    Every hook of one request uses its own reservoir with the same seed, so all keep the same positions.
    """

    def __init__(self, k: int, seed: int) -> None:
        self.k = max(1, k)
        self.seen = 0
        self.kept: list[int] = []  # ascending
        self._random = SplittableRandom(seed)

    def offer(self, position: int) -> tuple[bool, int | None]:
        n = self.seen
        self.seen += 1
        if n < self.k:
            self.kept.append(position)
            self.kept.sort()
            return True, None
        j = self._random.next_long(n + 1)
        if j < self.k:
            victim = self.kept.pop(j)  # the j-th smallest, as Java's TreeMap walk
            self.kept.append(position)
            self.kept.sort()
            return True, victim
        return False, None
