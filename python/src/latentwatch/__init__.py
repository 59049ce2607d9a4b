"""latentwatch: publish sampled hidden states of a PyTorch / Hugging Face model to the monitor.

The pieces: :class:`Publisher` (Kafka + the registry, never blocks), :class:`SamplingPolicy`
(which requests, hooks and positions), :mod:`latentwatch.encoding` (F16/BF16/F32 wire bytes) and,
with transformers installed, :mod:`latentwatch.hf` (hooks by TransformerLens names during
``generate()``).
"""

from .encoding import Dtype, activation, decode, encode
from .publisher import Publisher, Stats, producer_defaults
from .sampling import Positions, Reservoir, SamplingPolicy
from .schemas import TOPIC_RECORDS, schema_text, subject

__all__ = [
    "Dtype",
    "Positions",
    "Publisher",
    "Reservoir",
    "SamplingPolicy",
    "Stats",
    "TOPIC_RECORDS",
    "activation",
    "decode",
    "encode",
    "producer_defaults",
    "schema_text",
    "subject",
]
