"""The container engine, for the tests marked `container`: Debian's docker client (its BuildKit
builds the Dockerfile's `RUN --mount` secrets), the base image `scripts/provide-engine.sh`
makes from Debian's packages, the CA bundle pip is configured with. When any is missing the
test is skipped with the reason (CI tries to provide them first; a package mirror's bad day
must not block a landing)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BASE_IMAGE = os.environ.get("PAPERSCOUT_BASE_IMAGE", "paperscout-base:bookworm")
IMAGE = "paperscout:container-test"
BUILD_TIMEOUT = 1200.0


def docker_client() -> str | None:
    """Debian's client first: the one at /usr/local/bin may lack BuildKit (no buildx)."""
    for candidate in ("/usr/bin/docker", shutil.which("docker")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def engine_or_skip() -> str:
    """The docker client to use, once the engine answers and the base image is there."""
    docker = docker_client()
    if docker is None:
        pytest.skip("no container engine: no docker client (scripts/provide-engine.sh installs it)")
    info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=30)
    if info.returncode != 0:
        reason = (info.stderr.strip().splitlines() or ["no answer"])[-1]
        pytest.skip(f"no container engine: `docker info` failed ({reason})")
    found = subprocess.run(
        [docker, "image", "inspect", BASE_IMAGE], capture_output=True, timeout=30
    )
    if found.returncode != 0:
        pytest.skip(
            f"no base image {BASE_IMAGE} (images come from no registry here: "
            "scripts/provide-engine.sh makes it with debootstrap)"
        )
    return docker


def pip_ca_bundle() -> str | None:
    """The CA bundle pip is configured with (PIP_CERT, or `pip config`): builds behind a
    TLS-intercepting proxy need it."""
    if os.environ.get("PIP_CERT"):
        return os.environ["PIP_CERT"]
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60
    ).stdout
    found = re.search(r"^(?:global|install|:env:)\.cert='([^']+)'", listed, re.MULTILINE)
    return found[1] if found and Path(found[1]).is_file() else None


async def run(
    *args: str, seconds: float = 120.0, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """(exit status, stdout and stderr together) of one command, without blocking the loop
    (the fake Discord and upstream answer the container from this process)."""
    process = await asyncio.create_subprocess_exec(
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=seconds)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


async def build_image(docker: str) -> None:
    """Build the Dockerfile on the local base image (BuildKit, the host's network, the CA
    bundle as a secret); fail the test with the build's log when it fails."""
    args = [docker, "build", "--network", "host", "--build-arg", f"BASE={BASE_IMAGE}"]
    bundle = pip_ca_bundle()
    if bundle:
        args += ["--secret", f"id=ca,src={bundle}"]
    status, log = await run(
        *args, "-t", IMAGE, str(REPO), seconds=BUILD_TIMEOUT, env={"DOCKER_BUILDKIT": "1"}
    )
    if status != 0:
        skip_when_registries_fail(log)
    assert status == 0, f"docker build failed:\n{log[-4000:]}"


# What pip and apt say when the package registries cannot be reached (not a broken Dockerfile).
REGISTRY_TROUBLE = re.compile(
    r"Temporary failure in name resolution|Could not resolve|Failed to fetch|"
    r"Connection (?:reset|refused|timed out)|connection broken|NewConnectionError|"
    r"ConnectTimeoutError|ReadTimeoutError|Read timed out|503 Service Unavailable"
)


def skip_when_registries_fail(log: str) -> None:
    """A build that failed because a package registry did not answer is skipped with the
    line that says so; any other failure fails the test."""
    found = REGISTRY_TROUBLE.search(log)
    if found:
        line = next(x for x in log.splitlines() if found[0] in x)
        pytest.skip(f"the image could not be built, a package registry failed: {line.strip()}")
