"""A living demo hospital: a seeded, reproducible log simulator with labelled attacks.

Call :func:`generate` with a :class:`SimulationConfig`; every file it writes is demo data
(hosts under ``chu-demo.local``, a ``demo`` marker in every record) and every record carries a
deterministic simulation id that the label file points at (see ``docs`` in :mod:`.sources`).
"""

from garde.simulate.config import SimulationConfig, SimulationResult
from garde.simulate.engine import generate

__all__ = ["SimulationConfig", "SimulationResult", "generate"]
