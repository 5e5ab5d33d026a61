"""One small simulated hospital shared by the simulator's unit tests (about a second to make)."""

from __future__ import annotations

import pytest
from simhelpers import Records, read_back, small_config

from garde.simulate import generate


@pytest.fixture(scope="session")
def hospital(tmp_path_factory: pytest.TempPathFactory) -> Records:
    return read_back(generate(small_config(tmp_path_factory.mktemp("sim"))))
