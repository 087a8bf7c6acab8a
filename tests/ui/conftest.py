"""GUI fixtures (the harness itself lives in gui_harness.py so test modules can import it)."""
import pytest

from gui_harness import close_env, make_env


@pytest.fixture
def env(qapp, tmp_path):
    e = make_env(qapp, tmp_path)
    try:
        yield e
    finally:
        close_env(e)
