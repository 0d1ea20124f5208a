import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

SHARED_RAW = TESTS.parents[1] / "shared" / "data" / "raw"


@pytest.fixture
def shared_raw() -> Path:
    """../shared/data/raw next to the repo; skips the test where it is absent."""
    if not SHARED_RAW.is_dir():
        pytest.skip("../shared/data/raw is not available")
    return SHARED_RAW
