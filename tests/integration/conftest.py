"""Fixtures for lakestream's integration tests.

CTest (tests/CMakeLists.txt, lakestream_pytest) runs each test file against the broker its
"kafka" fixture started, and passes:
  LAKESTREAM_BIN             the lakestream binary under test
  LAKESTREAM_TEST_BOOTSTRAP  that broker, e.g. 127.0.0.1:19092
  LAKESTREAM_SOURCE_DIR      the source tree (test data)
  LAKESTREAM_TEST_TMP        a scratch folder in the build tree
  LAKESTREAM_TEST_BROKER_DIR the folder of that broker
To run a file by hand, start a broker (`lakestream broker start --port 19092 --dir ...`) and
set the same variables.
"""
import os
import re
import shlex
import subprocess
import uuid

import pytest


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run the integration tests through ctest "
                    f"(ctest -L integration), or see tests/integration/conftest.py", returncode=2)
    return value


@pytest.fixture(scope="session")
def bootstrap():
    """host:port of the test broker."""
    return _env("LAKESTREAM_TEST_BOOTSTRAP")


@pytest.fixture(scope="session")
def source_dir():
    return os.environ.get("LAKESTREAM_SOURCE_DIR",
                          os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))


@pytest.fixture(scope="session")
def test_tmp():
    """A scratch folder in the build tree, shared by the whole run."""
    path = _env("LAKESTREAM_TEST_TMP")
    os.makedirs(path, exist_ok=True)
    return path


class Lakestream:
    """Runs the lakestream binary; every call is bounded by a timeout."""

    def __init__(self, binary, bootstrap):
        self.binary = binary
        self.bootstrap = bootstrap

    def run(self, *args, expect=0, timeout=120, broker=True, env=None):
        """Runs `lakestream ARGS` and returns the CompletedProcess (text stdout/stderr).

        expect: the exit code required (None: any). broker: append
        -X bootstrap.servers=<test broker> (only valid for Kafka-facing subcommands).
        env: variables to set on top of this process's environment.
        Fails the test with both output streams on an unexpected exit code.
        """
        argv = [self.binary, *map(str, args)]
        if broker:
            argv += ["-X", f"bootstrap.servers={self.bootstrap}"]
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                               env={**os.environ, **(env or {})})
        except subprocess.TimeoutExpired as e:
            pytest.fail(f"`{shlex.join(argv)}` did not finish within {timeout} s\n"
                        f"--- stdout ---\n{e.stdout}\n--- stderr ---\n{e.stderr}")
        if expect is not None and p.returncode != expect:
            pytest.fail(f"`{shlex.join(argv)}` exited {p.returncode}, expected {expect}\n"
                        f"--- stdout ---\n{p.stdout}\n--- stderr ---\n{p.stderr}")
        return p


@pytest.fixture(scope="session")
def lakestream(bootstrap):
    """A Lakestream runner for the binary under test."""
    return Lakestream(_env("LAKESTREAM_BIN"), bootstrap)


@pytest.fixture(scope="session")
def broker_dir():
    """The folder of the broker the "kafka" CTest fixture started."""
    return _env("LAKESTREAM_TEST_BROKER_DIR")


@pytest.fixture
def topic_name(request):
    """A topic name no other test (or earlier run against the same broker) uses."""
    base = re.sub(r"[^A-Za-z0-9._-]", "-", request.node.name)[:80]
    return f"t-{base}-{uuid.uuid4().hex[:8]}"
