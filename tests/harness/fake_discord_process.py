"""The fake Discord in its own process, for load measurements (docs/testing.md#benchmarks).

In a test, the fake runs on the bot's event loop: parsing a multipart upload, building payloads
and validating them is CPU the bot's loop then pays for. A load test that wants the bot's own
numbers runs the fake here instead, in a child process on loopback, and drives it over pipes:

    async with FakeDiscordProcess(lifetime=120) as fake:     # parent: the bot's process
        settings = ...(discord_api_url=fake.api_url, discord_gateway_url=fake.gateway_url,
                       discord_token=fake.token, dev_guild_id=fake.guild_id)
        ...start the bot, wait until it is ready (it syncs its commands with the fake)...
        result = await fake.load("help", [{"topic": "metrics"}], calls=200, concurrency=200)
        result["latencies_ms"], result["errors"], result["wall_s"]

The child builds each INTERACTION_CREATE from the commands the bot registered
(`FakeDiscord.slash_payload`, validated like Discord), all before the clock starts, then sends
them over the gateway with at most `concurrency` in flight. An interaction is done when the
fake accepted its response: a callback of type 4, 7, 8 or 9, or, after a deferral (5, 6), the
first followup or edit. Its latency is from just before the event is sent to that moment, on
the child's clock. A response the fake refused (not 2xx), a missing embed or file
(`require_embed`, `require_files`), or no answer within `timeout` is an error.

Bounded: the child exits after `lifetime` seconds, when its stdin closes (the parent died),
or on `stop`. Protocol: one JSON object per line; the child's first line is
`{"event": "ready", ...}`.

    python -m tests.harness.fake_discord_process --lifetime 60   # for a manual look
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__" and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.harness import payloads as p  # noqa: E402
from tests.harness.fake_discord import (  # noqa: E402
    DiscordWouldReject,
    FakeDiscord,
    RecordedRequest,
    validate_command_interaction,
)

_CALLBACK = re.compile(r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback")
_WEBHOOK = re.compile(r"/webhooks/\d+/(?P<token>[^/]+)(?:/messages/[^/]+)?")
_FINAL_CALLBACKS = {4, 7, 8, 9}
BACKLOG = 2048  # the listen queue (see `LoadFakeDiscord.start`)


class _Pending:
    """One interaction in flight: when it was sent, and its outcome."""

    __slots__ = ("done", "require_embed", "require_files", "started")

    def __init__(self, future: asyncio.Future[str | None], *, embed: bool, files: bool) -> None:
        self.started = 0.0
        self.done = future  # result: None when fine, else what went wrong
        self.require_embed = embed
        self.require_files = files


class LoadFakeDiscord(FakeDiscord):
    """A `FakeDiscord` that tells `load` when an interaction's response was accepted."""

    def __init__(self, *, backlog: int = BACKLOG, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.backlog = backlog
        self.pending: dict[str, _Pending] = {}  # by token
        self.finished: dict[str, float] = {}  # token -> perf_counter when accepted

    async def start(self) -> LoadFakeDiscord:
        """`FakeDiscord.start` with a listen backlog that holds a burst of connections.

        aiohttp's default backlog is 128. 200 responses at once open up to 200 new connections
        (the bot's pool holds only the ones it needed before); past the backlog the kernel
        drops the SYN and the client retries it after its 1 s initial timeout, a latency
        real Discord, behind its load balancers, does not add.
        """
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway-ws", self._gateway)
        app.router.add_get("/gateway-ws/", self._gateway)
        app.router.add_get("/attachments/{aid}/{filename}", self._serve_attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=self.backlog)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def _answer(self, rec: RecordedRequest) -> Any:
        reply = await super()._answer(rec)
        self._settle(rec, int(reply[0]))
        return reply

    def _settle(self, rec: RecordedRequest, status: int) -> None:
        callback = _CALLBACK.fullmatch(rec.path) if rec.method == "POST" else None
        webhook = None if callback else _WEBHOOK.fullmatch(rec.path)
        match = callback or webhook
        if match is None:
            return
        pending = self.pending.get(match["token"])
        if pending is None or pending.done.done():
            return
        if not 200 <= status < 300:
            pending.done.set_result(f"{rec.method} {rec.path.split('/')[1]} answered {status}")
            return
        body = rec.json if isinstance(rec.json, dict) else {}
        if callback is not None:
            ctype = body.get("type")
            if ctype not in _FINAL_CALLBACKS:
                return  # deferred: the followup or edit finishes it
            body = body.get("data") or {}
        elif rec.method not in ("POST", "PATCH"):
            return
        self.finished[match["token"]] = time.perf_counter()
        problem = None
        if pending.require_embed and not body.get("embeds"):
            problem = "the response has no embed"
        elif pending.require_files and not rec.files:
            problem = "the response has no file"
        pending.done.set_result(problem)

    def command_payload(self, command: str, options: Mapping[str, Any]) -> dict[str, Any]:
        """`slash_payload` for alice in #general, options as a mapping (an option may be
        called `name`), built from the registered schema and validated like Discord."""
        root, *path = command.split()
        schema = self.registered_command(root, self.guild["id"])
        if schema is None:
            raise DiscordWouldReject(f"/{root} is not registered in guild {self.guild_id}")
        perms = p.permissions_value(p.MEMBER_PERMISSIONS)
        data = p.command_data(
            schema,
            path=path,
            values=dict(options),
            command_id=schema["id"],
            guild_id=schema.get("guild_id"),
            focused=None,
            resolve_entity=self.resolver(self.guild["id"]),
        )
        validate_command_interaction(
            schema, data, autocomplete=False, context=p.CONTEXT_GUILD, member_permissions=perms
        )
        return p.interaction(
            interaction_type=p.INTERACTION_COMMAND,
            data=data,
            invoker=dict(self.member),
            channel=self.channel,
            guild=self.guild,
            member_permissions=perms,
            application_id=self.application_id,
        )

    async def load(
        self,
        command: str,
        options: Sequence[Mapping[str, Any]],
        *,
        calls: int,
        concurrency: int,
        timeout: float,  # noqa: ASYNC109  (a bound on the whole run)
        require_embed: bool = False,
        require_files: bool = False,
    ) -> dict[str, Any]:
        """Send `calls` interactions `/command` (options cycled), at most `concurrency` at once."""
        if not self.sessions:
            raise RuntimeError("no bot is connected to the gateway")
        payloads = [self.command_payload(command, options[i % len(options)]) for i in range(calls)]
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(max(1, concurrency))
        latencies: list[float] = []
        errors: list[str] = []

        async def one(payload: dict[str, Any]) -> None:
            async with gate:
                pending = _Pending(loop.create_future(), embed=require_embed, files=require_files)
                token = str(payload["token"])
                self.pending[token] = pending
                self.register_interaction(payload)
                pending.started = time.perf_counter()
                try:
                    if await self.send_event("INTERACTION_CREATE", payload) == 0:
                        errors.append("no gateway session got the interaction")
                        return
                    problem = await pending.done
                    if problem is not None:
                        errors.append(problem)
                    else:
                        latencies.append((self.finished[token] - pending.started) * 1000)
                finally:
                    self.pending.pop(token, None)
                    self.finished.pop(token, None)

        cpu, wall = time.process_time(), time.perf_counter()
        tasks = [asyncio.ensure_future(one(payload)) for payload in payloads]
        done, not_done = await asyncio.wait(tasks, timeout=timeout)
        for task in not_done:
            task.cancel()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        for task in done:
            if task.exception() is not None:
                errors.append(f"driver: {task.exception()!r}"[:200])
        if not_done:
            errors.append(f"{len(not_done)} interaction(s) unanswered after {timeout}s")
        crashes, self.handler_errors[:] = list(self.handler_errors), []
        errors += [f"fake crashed: {c.splitlines()[0]}" for c in crashes]
        # The recorded requests of a load run are not needed: keep memory bounded.
        self.requests.clear()
        return {
            "latencies_ms": latencies,
            "errors": errors,
            "wall_s": wall,
            "fake_cpu_s": cpu,
        }


async def _serve(lifetime: float) -> int:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def emit(message: Mapping[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    async with LoadFakeDiscord() as fake:
        emit(
            {
                "event": "ready",
                "api_url": fake.api_url,
                "gateway_url": fake.gateway_url,
                "token": fake.token,
                "guild_id": fake.guild_id,
                "pid": os.getpid(),
            }
        )
        deadline = loop.time() + lifetime
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return 2  # lifetime over: never outlive a run that forgot us
            try:
                line = await asyncio.wait_for(reader.readline(), left)
            except TimeoutError:
                return 2
            if not line:
                return 0  # the parent closed our stdin
            request = json.loads(line)
            if request.get("cmd") == "stop":
                return 0
            if request.get("cmd") == "load":
                try:
                    result = await fake.load(
                        request["command"],
                        request["options"],
                        calls=int(request["calls"]),
                        concurrency=int(request["concurrency"]),
                        timeout=min(float(request["timeout"]), max(left, 0.1)),
                        require_embed=bool(request.get("require_embed")),
                        require_files=bool(request.get("require_files")),
                    )
                except Exception as error:  # answered, so the parent does not hang
                    result = {"latencies_ms": [], "errors": [f"load failed: {error!r}"]}
                emit({"event": "load", **result})
            else:
                emit({"event": "error", "error": f"unknown request {request!r}"[:200]})


class FakeDiscordProcess:
    """Parent side: start the child, read its URLs, ask it for load runs, stop it."""

    def __init__(self, *, lifetime: float = 120.0, python: str = sys.executable) -> None:
        self.lifetime = lifetime
        self.python = python
        self.process: asyncio.subprocess.Process | None = None
        self.api_url = self.gateway_url = self.token = ""
        self.guild_id = 0

    async def start(self) -> FakeDiscordProcess:
        self.process = await asyncio.create_subprocess_exec(
            self.python,
            "-m",
            "tests.harness.fake_discord_process",
            "--lifetime",
            str(self.lifetime),
            cwd=str(ROOT),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        ready = await self._read(timeout=30.0)
        if ready.get("event") != "ready":
            raise RuntimeError(f"the fake Discord process did not start: {ready!r}")
        self.api_url, self.gateway_url = ready["api_url"], ready["gateway_url"]
        self.token, self.guild_id = ready["token"], int(ready["guild_id"])
        return self

    async def _read(self, *, timeout: float) -> dict[str, Any]:  # noqa: ASYNC109
        assert self.process is not None and self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            raise RuntimeError("the fake Discord process exited")
        return dict(json.loads(line))

    async def load(
        self,
        command: str,
        options: Sequence[Mapping[str, Any]],
        *,
        calls: int,
        concurrency: int,
        timeout: float = 30.0,  # noqa: ASYNC109
        require_embed: bool = False,
        require_files: bool = False,
    ) -> dict[str, Any]:
        """One load run in the child (see the module docstring); returns its result."""
        assert self.process is not None and self.process.stdin is not None
        request = {
            "cmd": "load",
            "command": command,
            "options": [dict(o) for o in options],
            "calls": calls,
            "concurrency": concurrency,
            "timeout": timeout,
            "require_embed": require_embed,
            "require_files": require_files,
        }
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        await self.process.stdin.drain()
        # The child bounds the run by `timeout`; building payloads and reporting take little.
        return await self._read(timeout=timeout + 30.0)

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None
        with contextlib.suppress(Exception):
            process.stdin.write(b'{"cmd": "stop"}\n')
            await process.stdin.drain()
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 5.0)
        except TimeoutError:
            process.kill()  # only the child this object started
            await process.wait()

    async def __aenter__(self) -> FakeDiscordProcess:
        try:
            return await self.start()
        except BaseException:
            await self.stop()
            raise

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lifetime", type=float, default=120.0, help="exit after this (s)")
    args = parser.parse_args()
    return asyncio.run(_serve(args.lifetime))


if __name__ == "__main__":
    sys.exit(main())
