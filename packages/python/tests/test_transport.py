"""Configuration, retries, timeouts and idempotency keys: against local fakes, and through a proxy to the real server."""

from __future__ import annotations

import ast
import os
import pathlib
import socket
import time
import unittest
import uuid
from typing import Callable, Optional, Type

from _support import API_KEY, BASE_URL, BareServer, FaultProxy, ScriptedAnswers, need_server

import ambit
from ambit import Ambit


def raises(case: unittest.TestCase, cls: Type[BaseException], fn: Callable[[], object]) -> BaseException:
    with case.assertRaises(cls) as ctx:
        fn()
    return ctx.exception


class ConfigurationTest(unittest.TestCase):
    def test_reads_key_and_base_url_from_the_environment(self) -> None:
        saved = {k: os.environ.get(k) for k in ("AMBIT_API_KEY", "AMBIT_BASE_URL")}
        try:
            os.environ["AMBIT_API_KEY"] = "ambit_from_env"
            os.environ["AMBIT_BASE_URL"] = "http://example.test:1234/"
            c = Ambit()
            self.assertEqual(c.api_key, "ambit_from_env")
            self.assertEqual(c.base_url, "http://example.test:1234/api/v1")
            self.assertEqual(Ambit(base_url="http://h/api/v1/").base_url, "http://h/api/v1")
            del os.environ["AMBIT_API_KEY"]
            raises(self, ambit.AmbitError, lambda: Ambit())
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def test_the_sources_parse_as_python_3_9(self) -> None:
        root = pathlib.Path(ambit.__file__).parent
        files = sorted(root.rglob("*.py"))
        self.assertGreater(len(files), 5)
        for f in files:
            ast.parse(f.read_text(encoding="utf-8"), filename=str(f), feature_version=(3, 9))
        self.assertTrue((root / "py.typed").exists())

    def test_query_encoding(self) -> None:
        c = Ambit(api_key="k", base_url="http://h")
        url = c.build_url("/agent/runs", {"state": ["FAILED", "ERROR"], "metadata": {"team": "a b"}, "limit": 5, "x": None, "flag": True})
        self.assertEqual(url, "http://h/api/v1/agent/runs?state=FAILED&state=ERROR&metadata%5Bteam%5D=a+b&limit=5&flag=true")


class RetryTest(unittest.TestCase):
    def test_retries_a_retryable_answer_honouring_retry_after_with_one_idempotency_key(self) -> None:
        fake = ScriptedAnswers([
            (503, {"x-should-retry": "true", "retry-after": "0"}, {"error_code": "unavailable", "detail": "busy", "retryable": True}),
            (429, {"retry-after-ms": "10"}, {"error_code": "rate_limited", "detail": "slow down"}),
            (201, {}, {"run_id": "r1", "task_id": "r1", "state": "QUEUED"}),
        ])
        try:
            c = Ambit(api_key="k", base_url=fake.url, max_retries=2)
            started = time.monotonic()
            created = c.agent.runs.create(prompt="x")
            self.assertLess(time.monotonic() - started, 2)
            self.assertEqual(created["run_id"], "r1")
            self.assertEqual([h["x-ambit-retry-count"] for h in fake.seen], ["0", "1", "2"])
            keys = {h["idempotency-key"] for h in fake.seen}
            self.assertEqual(len(keys), 1)
            self.assertTrue(next(iter(keys)).startswith("ambit-sdk-"))
            self.assertEqual(fake.seen[0]["authorization"], "Bearer k")
            self.assertIsNotNone(c.last_response)
            assert c.last_response is not None
            self.assertEqual(c.last_response.status, 201)
        finally:
            fake.stop()

    def test_gives_up_after_max_retries_and_raises_the_status_class(self) -> None:
        fake = ScriptedAnswers([(500, {}, {"error_code": "internal", "detail": "boom", "trace_id": "t-1"})] * 3)
        try:
            err = raises(self, ambit.InternalServerError, lambda: Ambit(api_key="k", base_url=fake.url).agent.runs.retrieve("r", max_retries=1))
            assert isinstance(err, ambit.InternalServerError)
            self.assertEqual(len(fake.seen), 2)
            self.assertEqual((err.status, err.code, err.trace_id), (500, "internal", "t-1"))
        finally:
            fake.stop()

    def test_x_should_retry_false_wins(self) -> None:
        fake = ScriptedAnswers([(503, {"x-should-retry": "false"}, {"error_code": "x", "detail": "final"})])
        try:
            raises(self, ambit.InternalServerError, lambda: Ambit(api_key="k", base_url=fake.url).team.retrieve())
            self.assertEqual(len(fake.seen), 1)
        finally:
            fake.stop()

    def test_connection_errors_are_retried_one_plus_max_retries_times(self) -> None:
        bare = BareServer("close")
        try:
            c = Ambit(api_key="k", base_url=bare.url, max_retries=2)
            err = raises(self, ambit.APIConnectionError, lambda: c.agent.runs.create(prompt="x"))
            self.assertNotIsInstance(err, ambit.APITimeoutError)
            self.assertEqual(bare.accepted, 3)
            raises(self, ambit.APIConnectionError, lambda: c.agent.runs.list(max_retries=0).first_page())
            self.assertEqual(bare.accepted, 4)
        finally:
            bare.stop()

    def test_a_refused_connection(self) -> None:
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.bind(("127.0.0.1", 0))  # a port nobody listens on
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
        probe.close()
        err = raises(self, ambit.APIConnectionError, lambda: Ambit(api_key="k", base_url=url, max_retries=0).team.retrieve())
        self.assertIn("ECONNREFUSED", str(err))

    def test_a_download_follows_the_redirect_without_the_api_key_and_retries_the_link(self) -> None:
        fake = ScriptedAnswers([
            (302, {"location": "/signed/content?token=t"}, None),
            (503, {"retry-after": "0"}, {"error_code": "unavailable", "detail": "busy"}),
            (200, {}, "the bytes"),
        ])
        try:
            got = Ambit(api_key="k", base_url=fake.url).agent.artifacts.download("a/1", max_retries=1)
            self.assertEqual(got, b'"the bytes"')  # the body as sent, not parsed
            self.assertEqual(fake.paths, ["/api/v1/agent/artifacts/a%2F1/download", "/signed/content?token=t", "/signed/content?token=t"])
            self.assertEqual([h.get("authorization") for h in fake.seen], ["Bearer k", None, None])
        finally:
            fake.stop()

    def test_a_silent_server_times_out_per_request_and_is_retried(self) -> None:
        bare = BareServer("hold")
        try:
            c = Ambit(api_key="k", base_url=bare.url)
            started = time.monotonic()
            raises(self, ambit.APITimeoutError, lambda: c.agent.runs.list(timeout=0.3, max_retries=1).first_page())
            self.assertGreaterEqual(time.monotonic() - started, 0.6)
            self.assertEqual(bare.accepted, 2)
            slow = c.with_options(timeout=0.2, max_retries=0)
            raises(self, ambit.APITimeoutError, lambda: slow.team.retrieve())
            self.assertEqual(bare.accepted, 3)
        finally:
            bare.stop()


class IdempotencyTest(unittest.TestCase):
    proxy: Optional[FaultProxy] = None

    def setUp(self) -> None:
        need_server(self)
        self.proxy = FaultProxy(BASE_URL)
        self.client = Ambit(api_key=API_KEY, base_url=BASE_URL)

    def tearDown(self) -> None:
        if self.proxy:
            self.proxy.stop()

    def test_a_retried_post_whose_answer_was_lost_creates_exactly_one_run(self) -> None:
        assert self.proxy is not None
        token = f"dropped{uuid.uuid4().hex[:8]}"
        via = Ambit(api_key=API_KEY, base_url=self.proxy.url, max_retries=2)
        self.proxy.drop("POST /api/v1/agent/runs", 1)
        created = via.agent.runs.create(prompt=f"Dropped {token}")
        attempts = self.proxy.matching("POST /api/v1/agent/runs")
        self.assertEqual([a.dropped for a in attempts], [True, False])
        self.assertTrue(attempts[0].idempotency_key)
        self.assertEqual(attempts[1].idempotency_key, attempts[0].idempotency_key)
        assert via.last_response is not None
        self.assertEqual(via.last_response.header("idempotent-replayed"), "true")
        self.assertEqual([r["run_id"] for r in self.client.agent.runs.list(q=token)], [created["run_id"]])
        self.client.agent.runs.cancel(created["run_id"])

    def test_without_retries_the_lost_answer_is_a_connection_error_and_the_run_exists(self) -> None:
        assert self.proxy is not None
        token = f"noretry{uuid.uuid4().hex[:8]}"
        via = Ambit(api_key=API_KEY, base_url=self.proxy.url, max_retries=0)
        self.proxy.drop("POST /api/v1/agent/runs", 1)
        raises(self, ambit.APIConnectionError, lambda: via.agent.runs.create(prompt=f"No retry {token}"))
        runs = list(self.client.agent.runs.list(q=token))
        self.assertEqual(len(runs), 1)
        self.client.agent.runs.cancel(runs[0]["run_id"])

    def test_answers_marked_not_retryable_are_not_retried(self) -> None:
        assert self.proxy is not None
        via = Ambit(api_key=API_KEY, base_url=self.proxy.url, max_retries=2)
        raises(self, ambit.NotFoundError, lambda: via.agent.runs.retrieve(str(uuid.uuid4())))
        raises(self, ambit.BadRequestError, lambda: via.agent.runs.create())
        self.assertEqual(len(self.proxy.requests), 2)


if __name__ == "__main__":
    unittest.main()
