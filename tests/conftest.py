from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st

try:  # the tests import pseudolog from this tree: its native core must be built into it
    from pseudolog import _core  # noqa: F401
except ImportError:
    raise pytest.UsageError(
        "pseudolog's native core is not built in this tree: install with pip install -e '.[test]' (README)"
    ) from None

from pseudolog.config import FilterOptions
from tests.reference.core.engine import Engine

# Hypothesis profiles (README, Development). `ci`, the default, runs a tenth of the examples each property
# test was written with (at least 25), so the whole suite fits in a coffee break on two cores; `deep` runs
# twice as many, for long runs before a release: HYPOTHESIS_PROFILE=deep pytest. Neither has a deadline: a
# loaded machine must not fail a test.
PROFILE_SCALE = {"ci": 0.1, "deep": 2.0}
# `ci` is derandomized: the same examples every run, so CI is reproducible; `deep` draws new ones every time.
settings.register_profile("ci", max_examples=25, deadline=None, print_blob=True, derandomize=True)
settings.register_profile("deep", max_examples=200, deadline=None, print_blob=True)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in PROFILE_SCALE:
    raise pytest.UsageError(f"HYPOTHESIS_PROFILE={PROFILE!r}: use one of {', '.join(PROFILE_SCALE)}")
settings.load_profile(PROFILE)


def examples(written: int) -> int:
    """A property test's example count under the loaded profile; `written` is its full count."""
    return max(25, int(written * PROFILE_SCALE[PROFILE]))


KEY = bytes(range(32))
REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
# The formats issue 2 requires to be built in.
REQUIRED_FORMATS = frozenset(
    (
        "nginx_combined",
        "nginx_main",
        "apache_common",
        "apache_combined",
        "apache_vhost_combined",
        "haproxy_http",
        "haproxy_tcp",
        "squid_native",
    )
)
# 2026-11-21T12:00:00Z
NOW = 1795262400.0


def texts_from(pieces: list[str], min_size: int = 0, max_size: int = 30) -> st.SearchStrategy[bytes]:
    """Byte texts put together from `pieces`: the near-misses and look-alikes a rule must tell apart."""
    return st.lists(st.sampled_from(pieces), min_size=min_size, max_size=max_size).map(
        lambda parts: "".join(parts).encode()
    )


@pytest.fixture
def engine_factory():
    def make(**options) -> Engine:
        return Engine(FilterOptions(**options), KEY)

    return make


@pytest.fixture(scope="session")
def pseudolog_bin() -> str:
    """The installed console script (the README installs it into the active environment)."""
    candidate = Path(sys.executable).parent / "pseudolog"
    found = str(candidate) if candidate.exists() else shutil.which("pseudolog")
    if not found:
        pytest.fail("the pseudolog console script is not installed; install the project as the README says")
    return found


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "pseudolog.key"
    path.write_bytes(KEY)
    os.chmod(path, 0o600)
    return path


def process_with_times(engine: Engine, line: bytes, now: float) -> tuple[bytes | None, list[float | None]]:
    """Process one line and also return the event time the time step gave it."""
    times: list[float | None] = []
    time_step = engine.steps[1]

    def spy(record):
        record = time_step(record)
        times.append(record.time)
        return record

    steps = engine.steps
    engine.steps = (steps[0], spy, *steps[2:])
    try:
        return engine.process(line, now), times
    finally:
        engine.steps = steps


def _pids_controller() -> Path | None:
    """Where this process may make a pids cgroup: systemd's TasksMax= and a container's pids limit are this
    controller (cgroup v1's hierarchy, or v2's with pids enabled for children)."""
    v1 = Path("/sys/fs/cgroup/pids")
    if (v1 / "cgroup.procs").exists() and os.access(v1, os.W_OK):
        return v1
    v2 = Path("/sys/fs/cgroup")
    try:
        enabled = (v2 / "cgroup.subtree_control").read_text().split()
    except OSError:
        return None
    return v2 if "pids" in enabled and os.access(v2, os.W_OK) else None


@pytest.fixture
def task_limit() -> Iterator:
    """A command prefix that runs its command in a new pids cgroup allowing `tasks` tasks (threads included)."""
    controller = _pids_controller()
    if controller is None:
        pytest.skip("no pids cgroup this user may create (needs root and the pids controller)")
    groups: list[Path] = []

    def limited(tasks: int) -> list[str]:
        group = controller / f"pseudolog-test-{uuid.uuid4().hex}"
        group.mkdir()
        groups.append(group)
        (group / "pids.max").write_text(f"{tasks}\n")
        return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(group)]

    yield limited
    for group in groups:
        group.rmdir()
