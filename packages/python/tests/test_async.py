"""``AsyncAmbit``: its HTTP/1.1 client against local fakes, and each path it shares with ``Ambit``
(create, paging, the run stream with a forced disconnect, errors, retries) against the real
server."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, Type

from _support import API_KEY, BASE_URL, POOL, BareServer, FaultProxy, ScriptedAnswers, need_server

import ambit
from ambit import AsyncAmbit
from ambit.types import RunEvent


async def raises_async(
    case: unittest.TestCase, cls: Type[BaseException], make: Callable[[], Awaitable[object]]
) -> Any:
    with case.assertRaises(cls) as ctx:
        await make()
    return ctx.exception


class RawServer:
    """Answers each connection with the next scripted bytes, then closes it; records what it was
    sent."""

    def __init__(self, answers: List[bytes]) -> None:
        self.answers = list(answers)
        self.received: List[bytes] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self.answers:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            self.received.append(data)
            for part in self.answers.pop(0).split(
                b"|"
            ):  # "|" marks a pause, so the body arrives in pieces
                conn.sendall(part)
                time.sleep(0.02)
            conn.close()

    def stop(self) -> None:
        self.sock.close()


def self_signed(directory: str) -> Tuple[str, str]:
    """A fresh certificate for localhost and 127.0.0.1 and its key (made with the openssl command)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert]
        + ["-days", "1", "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


class AsyncTransportTest(unittest.IsolatedAsyncioTestCase):
    async def test_https_verified_against_the_trusted_certificates_from_both_clients(self) -> None:
        if not shutil.which("openssl"):
            self.skipTest("no openssl command to make a certificate with")
        with tempfile.TemporaryDirectory() as directory:
            cert, key = await asyncio.to_thread(self_signed, directory)  # openssl takes a moment
            answer: Tuple[int, Dict[str, str], Any] = (200, {}, {"name": "over tls"})
            server = ScriptedAnswers([answer] * 3, tls=(cert, key))
            saved = os.environ.get("SSL_CERT_FILE")
            try:
                # untrusted: the handshake fails, and that is a connection error (not retried to success)
                untrusted = AsyncAmbit(api_key="k", base_url=server.url, max_retries=0)
                err = await raises_async(
                    self, ambit.APIConnectionError, lambda: untrusted.team.retrieve()
                )
                self.assertIn("CERTIFICATE_VERIFY_FAILED", str(err))
                os.environ["SSL_CERT_FILE"] = cert  # what ssl.create_default_context() trusts
                trusted = AsyncAmbit(api_key="k", base_url=server.url)
                self.assertEqual((await trusted.team.retrieve())["name"], "over tls")
                sync = await asyncio.to_thread(
                    lambda: ambit.Ambit(api_key="k", base_url=server.url).team.retrieve()
                )
                self.assertEqual(sync["name"], "over tls")
                self.assertEqual(server.paths, ["/api/v1/team", "/api/v1/team"])
            finally:
                if saved is None:
                    os.environ.pop("SSL_CERT_FILE", None)
                else:
                    os.environ["SSL_CERT_FILE"] = saved
                await asyncio.to_thread(server.stop)

    async def test_chunked_content_length_read_to_close_and_empty_bodies(self) -> None:
        raw = RawServer(
            [
                b"HTTP/1.1 100 Continue\r\n\r\n"
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
                b'4\r\n{"a"|\r\n6;ext=1\r\n: [1, \r\n|3\r\n2]}\r\n0\r\ntrailer: x\r\n\r\n',
                b"HTTP/1.1 200 OK\r\ncontent-type: application/problem+json\r\n"
                b"content-length: 11\r\n\r\n"
                b'{"b"|: true}',
                b"HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil |the end",
                b"HTTP/1.1 204 No Content\r\n\r\n",
            ]
        )
        try:
            c = AsyncAmbit(api_key="k", base_url=raw.url)
            self.assertEqual(await c.request("GET", "/chunked"), {"a": [1, 2]})
            self.assertEqual(await c.request("GET", "/length"), {"b": True})
            self.assertEqual(await c.request("GET", "/eof", query={"q": "a b"}), "until the end")
            self.assertIsNone(await c.request("DELETE", "/empty"))
            first = raw.received[0].decode("latin-1")
            self.assertTrue(first.startswith("GET /api/v1/chunked HTTP/1.1\r\n"), first)
            self.assertIn("authorization: Bearer k\r\n", first)
            self.assertIn("host: 127.0.0.1:", first)
            self.assertTrue(raw.received[2].startswith(b"GET /api/v1/eof?q=a+b HTTP/1.1"))
        finally:
            raw.stop()

    async def test_retries_honouring_retry_after_with_one_idempotency_key(self) -> None:
        fake = ScriptedAnswers(
            [
                (
                    503,
                    {"x-should-retry": "true", "retry-after": "0"},
                    {"error_code": "unavailable", "detail": "busy"},
                ),
                (
                    429,
                    {"retry-after-ms": "10"},
                    {"error_code": "rate_limited", "detail": "slow down"},
                ),
                (201, {}, {"run_id": "r1", "task_id": "r1", "state": "QUEUED"}),
            ]
        )
        try:
            c = AsyncAmbit(api_key="k", base_url=fake.url, max_retries=2)
            created = await c.agent.runs.create(prompt="x")
            self.assertEqual(created["run_id"], "r1")
            self.assertEqual([h["x-ambit-retry-count"] for h in fake.seen], ["0", "1", "2"])
            self.assertEqual(len({h["idempotency-key"] for h in fake.seen}), 1)
            self.assertEqual(fake.seen[0]["content-type"], "application/json")
            assert c.last_response is not None
            self.assertEqual(c.last_response.status, 201)
            err = await raises_async(
                self, ambit.InternalServerError, lambda: c.team.retrieve(max_retries=0)
            )
            self.assertEqual(err.status, 500)
        finally:
            await asyncio.to_thread(fake.stop)  # shutdown() waits up to half a second

    async def test_refused_closed_and_silent_servers(self) -> None:
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.bind(("127.0.0.1", 0))
        refused_url = f"http://127.0.0.1:{probe.getsockname()[1]}"
        probe.close()
        err = await raises_async(
            self,
            ambit.APIConnectionError,
            lambda: AsyncAmbit(api_key="k", base_url=refused_url, max_retries=0).team.retrieve(),
        )
        self.assertIn("ECONNREFUSED", str(err))

        closing = BareServer("close")
        try:
            err = await raises_async(
                self,
                ambit.APIConnectionError,
                lambda: AsyncAmbit(api_key="k", base_url=closing.url).agent.runs.create(prompt="x"),
            )
            self.assertNotIsInstance(err, ambit.APITimeoutError)
            self.assertEqual(closing.accepted, 3)  # one try and two retries
        finally:
            closing.stop()

        silent = BareServer("hold")
        try:
            c = AsyncAmbit(api_key="k", base_url=silent.url)
            started = time.monotonic()
            await raises_async(
                self,
                ambit.APITimeoutError,
                lambda: c.agent.runs.list(timeout=0.3, max_retries=1).first_page(),
            )
            self.assertGreaterEqual(time.monotonic() - started, 0.6)
            self.assertEqual(silent.accepted, 2)
            # the loop was never blocked: another task ran meanwhile
            ticks: List[float] = []

            async def tick() -> None:
                for _ in range(5):
                    ticks.append(time.monotonic())
                    await asyncio.sleep(0.02)

            await asyncio.gather(
                raises_async(
                    self,
                    ambit.APITimeoutError,
                    lambda: c.with_options(timeout=0.3, max_retries=0).team.retrieve(),
                ),
                tick(),
            )
            self.assertEqual(len(ticks), 5)
        finally:
            silent.stop()

    async def test_sign_up_sends_no_key_from_either_client(self) -> None:
        fake = ScriptedAnswers([(200, {}, {"api_key": "ambit_new", "team": {}, "user": {}})] * 2)
        try:
            sync = await asyncio.to_thread(
                lambda: ambit.Ambit.sign_up(
                    name="a", owner_email="a@example.com", base_url=fake.url
                )
            )
            async_ = await AsyncAmbit.sign_up(
                name="b", owner_email="b@example.com", owner_display_name="B", base_url=fake.url
            )
            self.assertEqual((sync["api_key"], async_["api_key"]), ("ambit_new", "ambit_new"))
            self.assertEqual(fake.paths, ["/api/v1/teams", "/api/v1/teams"])
            self.assertEqual([h.get("authorization") for h in fake.seen], [None, None])
        finally:
            await asyncio.to_thread(fake.stop)

    async def test_a_download_follows_the_redirect_without_the_api_key(self) -> None:
        fake = ScriptedAnswers(
            [(302, {"location": "/signed/content?token=t"}, None), (200, {}, "the bytes")]
        )
        try:
            got = await AsyncAmbit(api_key="k", base_url=fake.url).agent.artifacts.download("a/1")
            self.assertEqual(got, b'"the bytes"')
            self.assertEqual(
                fake.paths, ["/api/v1/agent/artifacts/a%2F1/download", "/signed/content?token=t"]
            )
            self.assertEqual([h.get("authorization") for h in fake.seen], ["Bearer k", None])
        finally:
            await asyncio.to_thread(fake.stop)  # shutdown() waits up to half a second


class AsyncApiTest(unittest.IsolatedAsyncioTestCase):
    proxy: Optional[FaultProxy] = None

    def setUp(self) -> None:
        need_server(self)
        self.client = AsyncAmbit(api_key=API_KEY, base_url=BASE_URL)

    def tearDown(self) -> None:
        if self.proxy:
            self.proxy.stop()

    async def test_create_retrieve_and_list_paging_lazily(self) -> None:
        name = f"async-pages-{uuid.uuid4()}"
        created = [
            (await self.client.agent.runs.create(prompt=f"async page {i}", config={"name": name}))[
                "run_id"
            ]
            for i in range(12)
        ]
        try:
            run = await self.client.agent.runs.retrieve(created[0])
            self.assertEqual(
                (run["run_id"], run["state"], run["prompt"]), (created[0], "QUEUED", "async page 0")
            )
            self.proxy = FaultProxy(BASE_URL)
            via = AsyncAmbit(api_key=API_KEY, base_url=self.proxy.url)
            listing = via.agent.runs.list(
                name=name, limit=5, sort_by="created_at", sort_order="asc"
            )
            self.assertEqual(self.proxy.requests, [])  # nothing is sent before it is iterated
            walked: List[str] = []
            async for r in listing:
                walked.append(r["run_id"])
                if len(walked) == 5:
                    self.assertEqual(len(self.proxy.matching("GET /api/v1/agent/runs")), 1)
            self.assertEqual(walked, created)
            self.assertEqual(len(self.proxy.matching("GET /api/v1/agent/runs")), 3)
            sizes = [len(p) async for p in self.client.agent.runs.list(name=name, limit=5).pages()]
            self.assertEqual(sizes, [5, 5, 2])
            first = await self.client.agent.runs.list(name=name, limit=5).first_page()
            self.assertTrue(first.has_next_page)
        finally:
            await asyncio.gather(*(self.client.agent.runs.cancel(r) for r in created))
        self.assertEqual(
            {(await self.client.agent.runs.retrieve(r))["state"] for r in created}, {"CANCELLED"}
        )

    async def test_error_classes_from_real_answers(self) -> None:
        bad = await raises_async(
            self, ambit.BadRequestError, lambda: self.client.agent.runs.create()
        )
        self.assertEqual((bad.status, bad.code), (400, "invalid_request"))
        self.assertIn("prompt", [e["path"] for e in bad.errors])
        unauth = await raises_async(
            self,
            ambit.AuthenticationError,
            lambda: AsyncAmbit(api_key="ambit_nope", base_url=BASE_URL).team.retrieve(),
        )
        self.assertEqual(unauth.code, "authentication_required")
        missing = await raises_async(
            self, ambit.NotFoundError, lambda: self.client.agent.runs.retrieve(str(uuid.uuid4()))
        )
        self.assertEqual((missing.status, missing.code), (404, "resource_not_found"))
        self.assertIsInstance(missing.trace_id, str)

    async def test_a_retried_post_whose_answer_was_lost_creates_exactly_one_run(self) -> None:
        self.proxy = FaultProxy(BASE_URL)
        token = f"asyncdrop{uuid.uuid4().hex[:8]}"
        via = AsyncAmbit(api_key=API_KEY, base_url=self.proxy.url, max_retries=2)
        self.proxy.drop("POST /api/v1/agent/runs", 1)
        created = await via.agent.runs.create(prompt=f"Dropped {token}")
        attempts = self.proxy.matching("POST /api/v1/agent/runs")
        self.assertEqual([a.dropped for a in attempts], [True, False])
        self.assertEqual(attempts[1].idempotency_key, attempts[0].idempotency_key)
        assert via.last_response is not None
        self.assertEqual(via.last_response.header("idempotent-replayed"), "true")
        self.assertEqual(
            [r["run_id"] async for r in self.client.agent.runs.list(q=token)], [created["run_id"]]
        )
        await self.client.agent.runs.cancel(created["run_id"])

    async def test_a_config_resource_round_trip_and_secrets_set(self) -> None:
        rules = self.client.agent.rules
        rule = await rules.create(name=f"async-{uuid.uuid4().hex[:6]}", content="Run the tests")
        self.assertIn(rule["uid"], [r["uid"] for r in await rules.list()])
        updated = await rules.update(
            rule["uid"], name=rule["name"], content="Run every test", enabled=False
        )
        self.assertEqual((updated["content"], updated["enabled"]), ("Run every test", False))
        self.assertEqual((await rules.retrieve(rule["uid"]))["content"], "Run every test")
        await rules.delete(rule["uid"])
        await raises_async(self, ambit.NotFoundError, lambda: rules.retrieve(rule["uid"]))
        name = f"PY_ASYNC_{uuid.uuid4().hex[:8].upper()}"
        await self.client.agent.secrets.set(name, "one")
        await self.client.agent.secrets.set(
            name, "two"
        )  # the create's 409 becomes an update inside the flow
        self.assertEqual(
            [s["name"] for s in await self.client.agent.secrets.list() if s["name"] == name], [name]
        )
        await self.client.agent.secrets.delete(name)

    async def test_stats_me_and_sessions_concurrently(self) -> None:
        run_id = (await self.client.agent.runs.create(prompt="async stats"))["run_id"]
        await self.client.agent.runs.cancel(run_id)
        start = (await self.client.agent.runs.retrieve(run_id))["created_at"]
        # the suite's tests run one at a time: [start, now) holds this run alone
        stats, me, sessions = await asyncio.gather(
            self.client.stats.runs(from_=start, group_by="state"),
            self.client.me.retrieve(),
            self.client.auth.sessions.list(),
        )
        self.assertEqual((stats["from"], stats["total"]), (start, 1))
        self.assertEqual([(b["key"], b["total"]) for b in stats["series"]], [("CANCELLED", 1)])
        self.assertIsNone(stats["success_rate"])  # a cancellation is not counted either way
        self.assertEqual((me["via"], me["role"]), ("api_key", "owner"))
        self.assertFalse(any(s["current"] for s in sessions))  # with a key, none is this one
        await raises_async(
            self, ambit.NotFoundError, lambda: self.client.auth.sessions.delete("nope")
        )

    async def test_streams_with_a_forced_disconnect_while_other_calls_run(self) -> None:
        if not POOL:
            self.skipTest("no scripted host (AMBIT_TEST_POOL)")
        run_id = (
            await self.client.agent.runs.create(
                prompt=f"py:stream {uuid.uuid4()}", config={"worker_host": POOL}
            )
        )["run_id"]
        got: List[RunEvent] = []
        cuts = 0
        polls = 0
        stream = self.client.agent.runs.stream(run_id)

        async def follow() -> None:
            nonlocal cuts
            async with stream:
                async for event in stream:
                    got.append(event)
                    if event["type"] == "agent.message" and event["payload"].get("text") in (
                        "m2",
                        "m5",
                    ):
                        assert stream.response is not None
                        stream.response.close()  # the connection drops mid-stream
                        cuts += 1

        async def poll() -> None:
            nonlocal polls
            while (
                not got
                or got[-1]["type"] != "run.state_changed"
                or stream.state not in ("SUCCEEDED", "FAILED")
            ):
                await self.client.agent.runs.retrieve(run_id)
                polls += 1
                await asyncio.sleep(0.1)

        await asyncio.wait_for(asyncio.gather(follow(), poll()), 90)
        self.assertEqual(cuts, 2)
        self.assertGreaterEqual(stream.reconnects, 1)
        self.assertGreater(polls, 3)  # the stream's waits never blocked the loop
        self.assertEqual([e["seq"] for e in got], list(range(1, len(got) + 1)))
        self.assertEqual(
            [e["payload"]["text"] for e in got if e["type"] == "agent.message"],
            [f"m{i}" for i in range(1, 9)],
        )
        self.assertEqual(stream.state, "SUCCEEDED")
        self.assertEqual(
            (await self.client.agent.runs.wait(run_id, timeout=30))["state"], "SUCCEEDED"
        )
        tail = [e async for e in self.client.agent.runs.stream(run_id, after=len(got) - 2)]
        self.assertEqual([e["seq"] for e in tail], [len(got) - 1, len(got)])
        missing = self.client.agent.runs.stream(str(uuid.uuid4()))
        await raises_async(self, ambit.NotFoundError, lambda: missing.__anext__())


if __name__ == "__main__":
    unittest.main()
