"""The SDK against a real `wrangler dev` (started by test/e2e/python-sdk.test.ts, with a scripted host on AMBIT_TEST_POOL)."""

from __future__ import annotations

import json
import time
import unittest
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List, Tuple, Type
from urllib.parse import urlsplit

from _support import API_KEY, BASE_URL, MAX_QUEUED, POOL, FaultProxy, need_server

import ambit
from ambit import Ambit
from ambit.types import RunEvent, RunItem


def raises(case: unittest.TestCase, cls: Type[BaseException], fn: Callable[[], object]) -> Any:
    with case.assertRaises(cls) as ctx:
        fn()
    return ctx.exception


class ApiTestCase(unittest.TestCase):
    def setUp(self) -> None:
        need_server(self)
        self.client = Ambit(api_key=API_KEY, base_url=BASE_URL)


class RunsTest(ApiTestCase):
    def test_create_retrieve_and_raw_response_on_both_base_url_forms(self) -> None:
        name = f"paths-{uuid.uuid4()}"
        created = self.client.agent.runs.create(prompt="Fix the flaky test", title="Flaky", config={"name": name})
        self.assertEqual(created["state"], "QUEUED")
        self.assertEqual(created["task_id"], created["run_id"])
        raw = self.client.last_response
        assert raw is not None
        self.assertEqual(raw.status, 200)
        self.assertIn("json", raw.header("content-type") or "")
        with_suffix = Ambit(api_key=API_KEY, base_url=BASE_URL.rstrip("/") + "/api/v1/")
        other = with_suffix.agent.runs.create(prompt="Other path", config={"name": name})
        run = self.client.agent.runs.retrieve(created["run_id"])
        self.assertEqual((run["run_id"], run["title"], run["prompt"], run["state"]), (created["run_id"], "Flaky", "Fix the flaky test", "QUEUED"))
        self.assertEqual(run.get("agent_config", {}).get("name"), name)
        self.assertEqual(sorted(r["run_id"] for r in self.client.agent.runs.list(name=name)), sorted([created["run_id"], other["run_id"]]))
        for r in (created, other):
            self.client.agent.runs.cancel(r["run_id"])

    def test_list_filters_and_lazy_paging_across_pages(self) -> None:
        # 25 runs with limit 5: five pages
        name = f"pages-{uuid.uuid4()}"
        created: List[str] = []
        for i in range(25):
            run = self.client.agent.runs.create(prompt=f"page {i}", config={"name": name, "model_id": "m-1"}, metadata={"batch": name[:40], "i": str(i)})
            created.append(run["run_id"])
        try:
            listing = self.client.agent.runs.list(name=name, limit=5, sort_by="created_at", sort_order="asc")
            self.assertEqual([r["run_id"] for r in listing], created)
            pages = list(self.client.agent.runs.list(name=name, limit=5).pages())
            self.assertEqual([len(p) for p in pages], [5, 5, 5, 5, 5])
            self.assertEqual([p.has_next_page for p in pages], [True, True, True, True, False])
            first = self.client.agent.runs.list(name=name, limit=5).first_page()
            self.assertTrue(first.has_next_page)
            self.assertIsInstance(first.next_cursor, str)
            second = self.client.agent.runs.list(name=name, limit=5, cursor=first.next_cursor).first_page()
            self.assertEqual(len({r["run_id"] for r in first} | {r["run_id"] for r in second}), 10)
            # the lazy iterator sends nothing until iterated, and stops early when the caller does
            lazy = self.client.agent.runs.list(name=name, limit=5, sort_by="created_at", sort_order="asc")
            it = iter(lazy)
            self.assertEqual([next(it)["run_id"] for _ in range(7)], created[:7])
            # every filter reaches the server
            self.assertEqual([r["run_id"] for r in self.client.agent.runs.list(name=name, metadata={"i": "3"})], [created[3]])
            all_five = self.client.agent.runs.list(
                name=name, state=["QUEUED", "PENDING"], model_id="m-1", source="API", execution_location="REMOTE", limit=100
            )
            self.assertEqual(len(list(all_five)), 25)
            self.assertEqual(len(list(self.client.agent.runs.list(config_name=name, state="QUEUED"))), 25)
            self.assertEqual([r["run_id"] for r in self.client.agent.runs.list(name=name, q="page 17")], [created[17]])
            self.assertEqual(list(self.client.agent.runs.list(name=name, created_after="2099-01-01T00:00:00Z")), [])
            self.assertEqual(len(list(self.client.agent.runs.list(name=name, created_before="2099-01-01T00:00:00Z", updated_after="2000-01-01T00:00:00Z"))), 25)
            self.assertEqual(list(self.client.agent.runs.list(name=name, state="SUCCEEDED")), [])
            self.assertEqual(list(self.client.agent.runs.list(name=name, schedule_id="nope")), [])
            self.assertEqual(list(self.client.agent.runs.list(name=name, artifact_type="PULL_REQUEST")), [])
            self.assertEqual(len(list(self.client.agent.runs.list(name=name, environment_id="empty-environment"))), 25)
        finally:
            for run_id in created:
                self.client.agent.runs.cancel(run_id)

    def test_lazy_paging_across_250_runs_in_three_pages(self) -> None:
        name = f"many-{uuid.uuid4()}"

        def make(i: int) -> str:
            # LOCAL: never offered to a host pool; the listing needs no dispatch, and 250 of them
            # would only load the machine
            run_id = self.client.agent.runs.create(prompt=f"many {i}", config={"name": name}, execution_location="LOCAL")["run_id"]
            # out of the line at once, so the team stays far below its cap of queued runs (the 429 test's)
            self.client.agent.runs.cancel(run_id)
            return run_id

        with ThreadPoolExecutor(max_workers=6) as pool:
            created = list(pool.map(make, range(250)))
        proxy = FaultProxy(BASE_URL)
        try:
            via = Ambit(api_key=API_KEY, base_url=proxy.url)

            def gets() -> int:
                return len(proxy.matching("GET /api/v1/agent/runs"))

            it = iter(via.agent.runs.list(name=name, limit=100, sort_by="created_at", sort_order="asc"))
            self.assertEqual(gets(), 0)  # nothing is sent before the first run is asked for
            walked: List[RunItem] = []
            sent_by: List[Tuple[int, int]] = []
            for run in it:
                walked.append(run)
                if len(walked) in (1, 100, 101, 200, 201, 250):
                    sent_by.append((len(walked), gets()))
            # each page is asked for when its first run is needed, and none after the last
            self.assertEqual(sent_by, [(1, 1), (100, 1), (101, 2), (200, 2), (201, 3), (250, 3)])
            self.assertEqual(gets(), 3)
        finally:
            proxy.stop()
        ids = [r["run_id"] for r in walked]
        self.assertEqual(len(set(ids)), 250)  # no duplicate
        self.assertEqual(set(ids), set(created))  # none missing
        keys = [(r["created_at"], r["run_id"]) for r in walked]
        self.assertEqual(keys, sorted(keys))  # in order: created_at, then run_id for runs of the same millisecond
        pages = list(self.client.agent.runs.list(name=name, limit=100, sort_by="created_at", sort_order="asc").pages())
        self.assertEqual([(len(p), p.has_next_page) for p in pages], [(100, True), (100, True), (50, False)])
        self.assertEqual([r["run_id"] for p in pages for r in p], ids)
        newest_first = [r["run_id"] for r in self.client.agent.runs.list(name=name, limit=100, sort_by="created_at", sort_order="desc")]
        self.assertEqual(newest_first, ids[::-1])

    def test_the_legacy_run_path_and_signup_through_teams(self) -> None:
        # agent.run: POST /agent/run (as oz-agent-sdk's), the same fields and answer as runs.create
        token = f"legacy{uuid.uuid4().hex[:8]}"
        created = self.client.agent.run(prompt=f"Legacy {token}", title="legacy", metadata={"via": "agent.run"})
        self.assertEqual((created["state"], created["task_id"]), ("QUEUED", created["run_id"]))
        raw = self.client.last_response
        assert raw is not None
        self.assertTrue(raw.url.endswith("/api/v1/agent/run"))
        run = self.client.agent.runs.retrieve(created["run_id"])
        self.assertEqual((run["title"], run.get("metadata")), ("legacy", {"via": "agent.run"}))
        self.client.agent.runs.cancel(created["run_id"])
        # teams.create is POST /teams (what Ambit.sign_up sends without a key)
        team = self.client.teams.create(name="py-teams", owner_email=f"owner-{uuid.uuid4()}@example.com", owner_display_name="Ada")
        other = Ambit(api_key=team["api_key"], base_url=BASE_URL)
        self.assertEqual(other.team.retrieve()["name"], "py-teams")
        self.assertEqual([m["display_name"] for m in other.team.members.list()], ["Ada"])

    def test_a_conversation_by_id(self) -> None:
        conversation_id = f"conv-{uuid.uuid4().hex[:12]}"
        run = self.client.agent.runs.create(prompt="first turn", conversation_id=conversation_id)
        self.assertEqual(self.client.agent.runs.retrieve(run["run_id"]).get("conversation_id"), conversation_id)
        conversation = self.client.agent.conversations.retrieve(conversation_id)
        self.assertIsInstance(conversation, dict)
        raises(self, ambit.NotFoundError, lambda: self.client.agent.conversations.retrieve(f"conv-{uuid.uuid4().hex[:12]}"))
        self.client.agent.runs.cancel(run["run_id"])

    def test_followup_and_cancel(self) -> None:
        run_id = self.client.agent.runs.create(prompt="cancel me")["run_id"]
        self.assertEqual(self.client.agent.runs.followup(run_id, message="also update the docs"), {})
        self.assertEqual(self.client.agent.runs.cancel(run_id), run_id)
        self.assertEqual(self.client.agent.runs.retrieve(run_id)["state"], "CANCELLED")
        again = raises(self, ambit.BadRequestError, lambda: self.client.agent.runs.cancel(run_id))
        self.assertIn("CANCELLED", again.detail or "")

    def test_wait_returns_the_ended_run_and_times_out(self) -> None:
        if not POOL:
            self.skipTest("no scripted host (AMBIT_TEST_POOL)")
        ok = self.client.agent.runs.create(prompt=f"py:succeed {uuid.uuid4()}", config={"worker_host": POOL})
        ended = self.client.agent.runs.wait(ok["run_id"], timeout=60, poll_interval=0.2)
        self.assertEqual(ended["state"], "SUCCEEDED")
        failed = self.client.agent.runs.create(prompt=f"py:fail {uuid.uuid4()}", config={"worker_host": POOL})
        run = self.client.agent.runs.wait(failed["run_id"], timeout=60, poll_interval=0.2)
        self.assertEqual(run["state"], "FAILED")
        self.assertIn("tests still failing", run.get("status_message", {}).get("message", ""))
        queued = self.client.agent.runs.create(prompt="never taken")
        err = raises(self, ambit.RunWaitTimeoutError, lambda: self.client.agent.runs.wait(queued["run_id"], timeout=0.5, poll_interval=0.1))
        self.assertIsInstance(err, TimeoutError)
        self.assertEqual(err.run["state"], "QUEUED")
        self.client.agent.runs.cancel(queued["run_id"])


class StreamTest(ApiTestCase):
    def setUp(self) -> None:
        super().setUp()
        if not POOL:
            self.skipTest("no scripted host (AMBIT_TEST_POOL)")

    def test_streams_to_the_end_reconnecting_after_a_forced_disconnect_without_gap_or_duplicate(self) -> None:
        run_id = self.client.agent.runs.create(prompt=f"py:stream {uuid.uuid4()}", config={"worker_host": POOL})["run_id"]
        stream = self.client.agent.runs.stream(run_id)
        got: List[RunEvent] = []
        cuts = 0
        for event in stream:
            got.append(event)
            if event["type"] == "agent.message" and event["payload"].get("text") in ("m2", "m5"):
                assert stream.response is not None
                stream.response.close()  # the connection drops mid-stream
                cuts += 1
        self.assertEqual(cuts, 2)
        # each cut reconnects unless the rest of the run had already arrived with it (a very slow reader)
        self.assertGreaterEqual(stream.reconnects, 1)
        self.assertEqual([e["seq"] for e in got], list(range(1, len(got) + 1)))
        self.assertEqual([e["payload"]["text"] for e in got if e["type"] == "agent.message"], [f"m{i}" for i in range(1, 9)])
        self.assertEqual(got[0]["type"], "run.created")
        self.assertEqual((got[-1]["type"], got[-1]["payload"].get("to")), ("run.state_changed", "SUCCEEDED"))
        self.assertEqual(stream.state, "SUCCEEDED")

        # `after` replays only what came later; a finished run's stream ends by itself
        tail = list(self.client.agent.runs.stream(run_id, after=len(got) - 2))
        self.assertEqual([e["seq"] for e in tail], [len(got) - 1, len(got)])
        self.assertEqual(list(self.client.agent.runs.stream(run_id, after=len(got))), [])
        page = self.client.agent.runs.events(run_id, after=0, limit=2)
        self.assertEqual((page["last_seq"], page["has_more"], len(page["events"])), (len(got), True, 2))

        # the record endpoints of the ended run
        self.assertEqual([e["seq"] for e in self.client.agent.runs.transcript(run_id)], [e["seq"] for e in got])
        self.assertGreater(len(self.client.agent.runs.timeline(run_id)["events"]), 0)
        self.assertIn("m8", json.dumps(self.client.agent.runs.conversation(run_id)))
        shared = self.client.agent.runs.share(run_id, team="VIEWER", public="VIEWER")
        self.assertEqual((shared["team"], shared["public"]), ("VIEWER", "VIEWER"))
        self.assertIsInstance(shared.get("public_url"), str)
        self.assertEqual(self.client.agent.runs.share(run_id, public="NONE")["public"], "NONE")
        token = self.client.agent.runs.session_token(run_id)
        self.assertEqual(token["access"], "EDITOR")
        self.assertTrue(str(token["session_url"]).startswith("ws"))
        self.assertIsInstance(token["token"], str)

    def test_close_ends_the_stream_and_a_missing_run_is_not_retried(self) -> None:
        run_id = self.client.agent.runs.create(prompt=f"py:stream {uuid.uuid4()}", config={"worker_host": POOL})["run_id"]
        got: List[RunEvent] = []
        with self.client.agent.runs.stream(run_id) as stream:
            for event in stream:
                got.append(event)
                if event["type"] == "agent.message":
                    stream.close()
        self.assertEqual(got[-1]["type"], "agent.message")
        self.assertEqual(stream.reconnects, 0)
        self.client.agent.runs.wait(run_id, timeout=60, poll_interval=0.2)
        missing = self.client.agent.runs.stream(str(uuid.uuid4()))
        raises(self, ambit.NotFoundError, lambda: list(missing))


class ArtifactsTest(ApiTestCase):
    def test_a_runs_file_and_pull_request_listed_retrieved_and_downloaded(self) -> None:
        if not POOL:
            self.skipTest("no scripted host (AMBIT_TEST_POOL)")
        runs, artifacts = self.client.agent.runs, self.client.agent.artifacts
        run_id = runs.create(prompt=f"py:artifacts {uuid.uuid4()}", config={"worker_host": POOL})["run_id"]
        self.assertEqual(runs.wait(run_id, timeout=60, poll_interval=0.2)["state"], "SUCCEEDED")
        expected = f"report of {run_id}\n".encode() + bytes([0, 255, 254, 10, 13, 128])

        listed = runs.artifacts(run_id)
        self.assertEqual([a["artifact_type"] for a in listed], ["FILE", "PULL_REQUEST"])
        file_item, pr_item = listed
        self.assertEqual(
            {k: file_item["data"].get(k) for k in ("filename", "filepath", "mime_type", "size_bytes", "title")},
            {"filename": "report.bin", "filepath": "out/report.bin", "mime_type": "application/x-ambit-report", "size_bytes": len(expected), "title": "Report"},
        )
        self.assertEqual(pr_item["data"], {"url": "https://github.com/acme/web/pull/7", "branch": f"ambit/{run_id}"})
        self.assertEqual(listed, runs.retrieve(run_id).get("artifacts"))

        file_uid: str = file_item["data"]["artifact_uid"]
        got = artifacts.retrieve(file_uid)
        self.assertEqual((got["artifact_uid"], got["artifact_type"], got["created_at"]), (file_uid, "FILE", file_item["created_at"]))
        self.assertEqual((got["data"]["filename"], got["data"]["content_type"], got["data"]["size_bytes"]), ("report.bin", "application/x-ambit-report", len(expected)))
        self.assertTrue(got["data"]["download_url"].startswith(f"{BASE_URL.rstrip('/')}/api/v1/agent/artifacts/{file_uid}/content?token="))
        self.assertIsInstance(got["data"]["expires_at"], str)

        # the 302 is followed to the signed link, which gets no API key
        self.assertEqual(artifacts.download(file_uid), expected)
        raw = self.client.last_response
        assert raw is not None
        self.assertEqual((raw.status, raw.url.split("?")[0]), (200, f"{BASE_URL.rstrip('/')}/api/v1/agent/artifacts/{file_uid}/content"))
        self.assertEqual(raw.header("content-type"), "application/x-ambit-report")
        self.assertIn('filename="report.bin"', raw.header("content-disposition") or "")

        # the pull request, by the uid its artifact.created event carries: readable, nothing to download
        announced = [e["payload"]["data"] for e in runs.transcript(run_id) if e["type"] == "artifact.created"]
        self.assertEqual([d["artifact_uid"] for d in announced][:1], [file_uid])
        pr_uid: str = announced[1]["artifact_uid"]
        pr = artifacts.retrieve(pr_uid)
        self.assertEqual((pr["artifact_type"], pr["data"]), ("PULL_REQUEST", pr_item["data"]))
        no_file = raises(self, ambit.BadRequestError, lambda: artifacts.download(pr_uid))
        self.assertIn("no file to download", no_file.detail or "")
        raises(self, ambit.NotFoundError, lambda: artifacts.retrieve(str(uuid.uuid4())))
        raises(self, ambit.NotFoundError, lambda: artifacts.download(str(uuid.uuid4())))


class BudgetTest(ApiTestCase):
    def test_set_read_and_remove_budgets(self) -> None:
        b = self.client.team.budget.update(monthly_usd=1000, run_max_cost_usd=5)
        self.assertEqual((b["monthly_usd"], b["member_monthly_usd"], b["run_max_cost_usd"]), (1000, None, 5))
        self.assertRegex(b["period"]["resets_at"], r"^\d{4}-\d\d-01T00:00:00")
        self.assertEqual(b["thresholds"], [80, 90, 100])
        cleared = self.client.team.budget.update(monthly_usd=None, run_max_cost_usd=None)
        self.assertEqual((cleared["monthly_usd"], cleared["run_max_cost_usd"]), (None, None))
        self.assertIsNone(self.client.team.budget.retrieve()["monthly_usd"])

    def test_a_members_own_budget(self) -> None:
        me = self.client.team.retrieve()["caller"]["uid"]
        own = self.client.team.budget.set_member(me, monthly_usd=250)
        self.assertEqual((own["member_id"], own["monthly_usd"], own["source"]), (me, 250, "member"))
        listed = {m["member_id"]: m for m in self.client.team.budget.retrieve()["members"]}
        self.assertEqual(listed[me]["monthly_usd"], 250)
        back = self.client.team.budget.clear_member(me)
        self.assertEqual(back["source"], None if back["monthly_usd"] is None else "team")
        raises(self, ambit.NotFoundError, lambda: self.client.team.budget.set_member("nobody", monthly_usd=1))


class ErrorsTest(ApiTestCase):
    def test_400_with_every_invalid_field(self) -> None:
        bad = raises(self, ambit.BadRequestError, lambda: self.client.agent.runs.create())
        self.assertEqual((bad.status, bad.code, bad.error_code, bad.retryable), (400, "invalid_request", "invalid_request", False))
        self.assertIsInstance(bad.trace_id, str)
        self.assertIsInstance(bad.detail, str)
        self.assertIn("prompt", [e["path"] for e in bad.errors])
        self.assertRegex(str(bad), r"^400 invalid_request: .*prompt")

    def test_401_403_404(self) -> None:
        unauth = raises(self, ambit.AuthenticationError, lambda: Ambit(api_key="ambit_nope", base_url=BASE_URL).agent.runs.list().first_page())
        self.assertEqual((unauth.status, unauth.code), (401, "authentication_required"))

        member = self.client.team.members.add(email=f"viewer-{uuid.uuid4()}@example.com", role="viewer")
        key = self.client.api_keys.create(name="viewer", user_uid=member["uid"])
        viewer = Ambit(api_key=key["key"], base_url=BASE_URL)
        denied = raises(self, ambit.PermissionDeniedError, lambda: viewer.agent.runs.create(prompt="no"))
        self.assertEqual((denied.status, denied.code), (403, "not_authorized"))

        missing = raises(self, ambit.NotFoundError, lambda: self.client.agent.runs.retrieve(str(uuid.uuid4())))
        self.assertEqual((missing.status, missing.code), (404, "resource_not_found"))

    def test_409_and_422(self) -> None:
        name = f"PY_DUP_{uuid.uuid4().hex[:8].upper()}"
        self.client.agent.secrets.create(name=name, value="one")
        dup = raises(self, ambit.ConflictError, lambda: self.client.agent.secrets.create(name=name, value="two"))
        self.assertEqual(dup.status, 409)
        self.assertIs(dup.retryable, False)
        self.client.agent.secrets.delete(name)

        key = str(uuid.uuid4())
        first = self.client.agent.runs.create(prompt="A", idempotency_key=key)
        reused = raises(self, ambit.UnprocessableEntityError, lambda: self.client.agent.runs.create(prompt="B", idempotency_key=key))
        self.assertEqual((reused.status, reused.code), (422, "idempotency_key_reused"))
        # the same key with the same body answers the same run
        self.assertEqual(self.client.agent.runs.create(prompt="A", idempotency_key=key)["run_id"], first["run_id"])
        self.client.agent.runs.cancel(first["run_id"])

    def test_429_when_the_queue_is_full(self) -> None:
        if not MAX_QUEUED:
            self.skipTest("AMBIT_TEST_MAX_QUEUED_RUNS is not set")
        signup = Ambit.sign_up(name="py-full", owner_email=f"full-{uuid.uuid4()}@example.com", base_url=BASE_URL)
        self.assertTrue(signup["api_key"].startswith("ambit_"))
        full = Ambit(api_key=signup["api_key"], base_url=BASE_URL, max_retries=0)
        self.assertEqual(full.team.retrieve()["name"], "py-full")
        for i in range(MAX_QUEUED):
            full.agent.runs.create(prompt=f"fill {i}")
        limited = raises(self, ambit.RateLimitError, lambda: full.agent.runs.create(prompt="one too many"))
        self.assertEqual(limited.status, 429)
        self.assertIsInstance(limited.code, str)
        self.assertIsNotNone(limited.retry_after)
        self.assertTrue(limited.retryable)


class ConfigResourcesTest(ApiTestCase):
    def test_schedules_round_trip(self) -> None:
        s = self.client.agent.schedules
        created = s.create(name=f"nightly-{uuid.uuid4().hex[:6]}", cron_schedule="0 3 * * *", prompt="Run the nightly checks",
                           timezone="Europe/Berlin", metadata={"kind": "nightly"}, agent_config={"worker_host": "nowhere"})
        sid = created["id"]
        self.assertEqual((created["cron_schedule"], created["enabled"], created["timezone"]), ("0 3 * * *", True, "Europe/Berlin"))
        self.assertEqual(s.retrieve(sid)["prompt"], "Run the nightly checks")
        self.assertIn(sid, [x["id"] for x in s.list()])
        updated = s.update(sid, name=created["name"], cron_schedule="30 4 * * 1-5", enabled=True, prompt="Weekday checks")
        self.assertEqual((updated["cron_schedule"], updated["prompt"], updated["timezone"]), ("30 4 * * 1-5", "Weekday checks", "Europe/Berlin"))
        self.assertFalse(s.pause(sid)["enabled"])
        self.assertTrue(s.resume(sid)["enabled"])
        s.delete(sid)
        raises(self, ambit.NotFoundError, lambda: s.retrieve(sid))

    def test_secrets_round_trip_without_values(self) -> None:
        sec = self.client.agent.secrets
        name = f"PY_SECRET_{uuid.uuid4().hex[:8].upper()}"
        created = sec.create(name=name, value="s3cret", description="for the tests")
        self.assertEqual((created["name"], created["description"]), (name, "for the tests"))
        self.assertNotIn("value", created)
        listed = [x for x in sec.list() if x["name"] == name]
        self.assertEqual(len(listed), 1)
        self.assertNotIn("s3cret", repr(listed))
        self.assertEqual(sec.set(name, "rotated", description="rotated")["description"], "rotated")
        personal = sec.set(f"{name}_P", "mine", scope="personal")
        self.assertEqual(personal["scope"]["type"], "User")
        sec.delete(f"{name}_P", scope="personal")
        sec.delete(name)
        self.assertNotIn(name, [x["name"] for x in sec.list()])
        rotation = sec.rotate()
        self.assertIsInstance(rotation["key_id"], str)
        self.assertIs(rotation["rewrapped"], False)
        raises(self, ambit.NotFoundError, lambda: sec.delete(name))

    def test_environments_round_trip(self) -> None:
        envs = self.client.agent.environments
        created = envs.create(name=f"py-env-{uuid.uuid4().hex[:6]}", docker_image="node:22", setup_commands=["npm ci"],
                              env_vars={"CI": "1"}, repositories=[{"url": "octo/repo"}])
        uid = created["uid"]
        self.assertEqual((created["config"]["docker_image"], created["config"]["env_vars"]), ("node:22", {"CI": "1"}))
        self.assertEqual(envs.retrieve(uid)["config"]["setup_commands"], ["npm ci"])
        updated = envs.update(uid, name=created["config"]["name"], docker_image="python:3.12", description="py")
        self.assertEqual((updated["config"]["docker_image"], updated["config"].get("description")), ("python:3.12", "py"))
        self.assertIn(uid, [e["uid"] for e in envs.list(sort_by="name")])
        envs.delete(uid)
        raises(self, ambit.NotFoundError, lambda: envs.retrieve(uid))

    def test_rules_prompts_env_vars_and_mcp_servers_round_trip(self) -> None:
        a = self.client.agent
        rule = a.rules.create(name=f"rule-{uuid.uuid4().hex[:6]}", content="Always run the tests")
        self.assertTrue(rule["enabled"])
        self.assertEqual(a.rules.retrieve(rule["uid"])["content"], "Always run the tests")
        self.assertFalse(a.rules.update(rule["uid"], name=rule["name"], content="Run the tests", enabled=False)["enabled"])
        self.assertIn(rule["uid"], [r["uid"] for r in a.rules.list()])
        a.rules.delete(rule["uid"])
        raises(self, ambit.NotFoundError, lambda: a.rules.retrieve(rule["uid"]))

        prompt = a.prompts.create(name=f"triage-{uuid.uuid4().hex[:6]}", prompt="Triage the failing tests", description="d")
        self.assertEqual(a.prompts.retrieve(prompt["uid"])["prompt"], "Triage the failing tests")
        self.assertEqual(a.prompts.update(prompt["uid"], name=prompt["name"], prompt="Triage again")["prompt"], "Triage again")
        run = a.runs.create(saved_prompt=prompt["name"])
        self.assertIn("Triage again", a.runs.retrieve(run["run_id"])["prompt"])
        a.runs.cancel(run["run_id"])
        self.assertIn(prompt["uid"], [p["uid"] for p in a.prompts.list()])
        a.prompts.delete(prompt["uid"])

        var = f"PY_VAR_{uuid.uuid4().hex[:6].upper()}"
        self.assertEqual(a.env_vars.set(var, "one", description="x")["value"], "one")
        self.assertEqual(a.env_vars.set(var, "two")["value"], "two")
        self.assertEqual([v["value"] for v in a.env_vars.list() if v["name"] == var], ["two"])
        a.env_vars.delete(var)
        self.assertNotIn(var, [v["name"] for v in a.env_vars.list()])

        mcp = a.mcp_servers.create(name=f"mcp-{uuid.uuid4().hex[:6]}", command="npx", args=["-y", "some-mcp"], env={"TOKEN": "${TOKEN}"})
        self.assertEqual((mcp["config"]["command"], mcp["config"]["env"]), ("npx", {"TOKEN": "${TOKEN}"}))
        updated = a.mcp_servers.update(mcp["uid"], name=mcp["name"], url="https://mcp.example.com/mcp", headers={"authorization": "Bearer ${T}"})
        self.assertEqual(updated["config"].get("url"), "https://mcp.example.com/mcp")
        self.assertNotIn("command", updated["config"])
        self.assertEqual(a.mcp_servers.retrieve(mcp["uid"])["name"], mcp["name"])
        self.assertIn(mcp["uid"], [m["uid"] for m in a.mcp_servers.list()])
        bad = raises(self, ambit.BadRequestError, lambda: a.mcp_servers.create(name="neither"))
        self.assertEqual(bad.code, "invalid_request")
        a.mcp_servers.delete(mcp["uid"])
        raises(self, ambit.NotFoundError, lambda: a.mcp_servers.retrieve(mcp["uid"]))

    def test_models_round_trip(self) -> None:
        models = self.client.agent.models
        mid = f"py-{uuid.uuid4().hex[:6]}"
        created = models.create(id=mid, provider="openai", model="gpt-test", base_url="https://models.example.com/v1", display_name="Py")
        self.assertEqual((created["id"], created["api"], created["model"]), (mid, "openai", "gpt-test"))
        catalog = models.list()
        self.assertIn(mid, [m["id"] for m in catalog["models"]])
        self.assertIsInstance(catalog["default_model_id"], str)
        updated = models.update(mid, provider="anthropic", model="claude-test", default=True)
        self.assertEqual((updated["api"], updated["model"], updated["is_default"]), ("anthropic", "claude-test", True))
        self.assertEqual(models.list()["default_model_id"], mid)
        models.delete(mid)
        self.assertNotIn(mid, [m["id"] for m in models.list()["models"]])

    def test_identities_round_trip_and_run_as_one(self) -> None:
        ids = self.client.agent.identities
        created = ids.create(name=f"reviewer-{uuid.uuid4().hex[:6]}", description="reviews PRs", prompt="You review pull requests", skills=["review"])
        uid = created["uid"]
        self.assertEqual((created.get("description"), created["skills"]), ("reviews PRs", ["review"]))
        self.assertEqual(ids.retrieve(uid).get("prompt"), "You review pull requests")
        updated = ids.update(uid, description="reviews carefully")
        self.assertEqual((updated.get("description"), updated.get("prompt")), ("reviews carefully", "You review pull requests"))
        self.assertIn(uid, [i["uid"] for i in ids.list()])
        run = self.client.agent.runs.create(prompt="review #12", agent_identity_uid=uid)
        self.assertEqual(self.client.agent.runs.retrieve(run["run_id"]).get("executor", {}).get("uid"), uid)
        self.client.agent.runs.cancel(run["run_id"])
        ids.delete(uid)
        raises(self, ambit.NotFoundError, lambda: ids.retrieve(uid))

    def test_skills_register_list_delete(self) -> None:
        repo = f"acme/py-{uuid.uuid4().hex[:6]}"
        content = "---\nname: triage\ndescription: Triage failing tests\n---\nRead the failures, then fix them.\n"
        registered = self.client.agent.skills.register(repo=repo, skill_path=".agents/skills/triage/SKILL.md", content=content)
        self.assertEqual((registered["name"], registered["error"]), ("triage", None))
        listed = self.client.agent.skills.list(repo=repo)
        self.assertEqual([s["name"] for s in listed], ["triage"])
        self.assertEqual([v["id"] for v in listed[0]["variants"]], [registered["id"]])
        self.assertEqual(listed[0]["variants"][0]["description"], "Triage failing tests")
        self.client.agent.skills.delete(registered["id"])
        self.assertEqual(self.client.agent.skills.list(repo=repo), [])

    def test_hosts_lists_the_scripted_host(self) -> None:
        if not POOL:
            self.skipTest("no scripted host (AMBIT_TEST_POOL)")
        hosts = [h for h in self.client.hosts.list() if h["worker_id"] == POOL]
        self.assertEqual(len(hosts), 1)
        self.assertEqual(hosts[0]["capacity"], 16)
        self.assertIn(POOL, [w.get("worker_host") for w in self.client.hosts.connected_workers()])

    def test_team_members_and_api_keys(self) -> None:
        team = self.client.team.retrieve()
        self.assertEqual(team["caller"]["role"], "owner")
        self.assertIn(team["caller"]["uid"], [m["uid"] for m in self.client.team.members.list()])
        renamed = self.client.team.update(name="py renamed", limits={"max_concurrent_runs": 7})
        self.assertEqual((renamed["name"], renamed["limits"]["max_concurrent_runs"]), ("py renamed", 7))
        self.client.team.update(name=team["name"], limits={"max_concurrent_runs": team["limits"]["max_concurrent_runs"]})

        members = self.client.team.members
        m = members.add(email=f"m-{uuid.uuid4()}@example.com", display_name="M")
        self.assertEqual(m["role"], "member")
        self.assertEqual(members.update(m["uid"], role="admin")["role"], "admin")
        dup = raises(self, ambit.ConflictError, lambda: members.add(email=m["email"]))
        self.assertEqual(dup.status, 409)
        members.remove(m["uid"])
        self.assertNotIn(m["uid"], [x["uid"] for x in members.list()])

        created = self.client.api_keys.create(name="ci", expires_in_days=30)
        self.assertTrue(created["key"].startswith("ambit_"))
        listed = [k for k in self.client.api_keys.list() if k["uid"] == created["uid"]]
        self.assertEqual(len(listed), 1)
        self.assertEqual((listed[0]["name"], listed[0]["prefix"], listed[0]["revoked_at"]), ("ci", created["prefix"], None))
        self.assertNotIn("key", listed[0])
        self.assertEqual(Ambit(api_key=created["key"], base_url=BASE_URL).team.retrieve()["uid"], team["uid"])
        self.client.api_keys.delete(created["uid"])
        raw = self.client.last_response
        assert raw is not None
        self.assertEqual(raw.status, 204)
        time.sleep(0.1)
        raises(self, ambit.AuthenticationError, lambda: Ambit(api_key=created["key"], base_url=BASE_URL).team.retrieve())


def console_request(path: str, *, body: Any = None, cookie: str = "") -> Tuple[int, str]:
    """(status, Set-Cookie) of a request as the web console sends it: JSON, with this origin and
    the session cookie, if any."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(BASE_URL))
    headers = {"origin": origin, "content-type": "application/json"}
    if cookie:
        headers["cookie"] = f"ambit_session={cookie}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(origin + path, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, res.headers.get("set-cookie") or ""
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("set-cookie") or ""


class AccountTest(ApiTestCase):
    def test_stats_runs_counts_a_window_of_runs_exactly(self) -> None:
        if not POOL:
            self.skipTest("no scripted host (AMBIT_TEST_POOL)")
        model = f"stats-{uuid.uuid4()}"
        config = {"worker_host": POOL, "model_id": model}
        runs = [self.client.agent.runs.create(prompt=f"{p} {uuid.uuid4()}", config=config)["run_id"] for p in ("py:succeed", "py:succeed", "py:fail")]
        ended = [self.client.agent.runs.wait(r, timeout=60, poll_interval=0.2)["state"] for r in runs]
        self.assertEqual(ended, ["SUCCEEDED", "SUCCEEDED", "FAILED"])
        queued = self.client.agent.runs.create(prompt="stats cancelled", config={"model_id": model})["run_id"]
        self.client.agent.runs.cancel(queued)
        start = self.client.agent.runs.retrieve(runs[0])["created_at"]
        end = self.client.agent.runs.retrieve(queued)["created_at"]

        # the suite's tests run one at a time: [start, now) holds these four runs and no other
        stats = self.client.stats.runs(from_=start, group_by="model")
        self.assertEqual((stats["from"], stats["group_by"], stats["tz"], stats["total"]), (start, "model", "UTC", 4))
        self.assertEqual({k: v for k, v in stats["by_state"].items() if v}, {"SUCCEEDED": 2, "FAILED": 1, "CANCELLED": 1})
        self.assertEqual(stats["by_state"]["QUEUED"], 0)  # every state, 0 included
        self.assertAlmostEqual(stats["success_rate"] or 0, 2 / 3)
        self.assertEqual((stats["run_time_ms"]["count"], stats["queue_time_ms"]["count"]), (3, 3))
        self.assertEqual([(f["message"], f["count"]) for f in stats["failure_reasons"]], [("tests still failing", 1)])
        self.assertEqual([(b["key"], b["total"], b["success_rate"]) for b in stats["series"]], [(model, 4, stats["success_rate"])])
        self.assertFalse(stats["series_truncated"])
        # to is exclusive: a window ending at the cancelled run's creation leaves it out
        before = self.client.stats.runs(from_=start, to=end, group_by="state")
        self.assertEqual(sorted((b["key"], b["total"]) for b in before["series"]), [("FAILED", 1), ("SUCCEEDED", 2)])
        self.assertEqual(self.client.stats.runs(to=start)["series"][-1]["key"], start[:10])  # by day, the last one start's
        # a date means its midnight in tz, and as to includes that whole day
        day = self.client.stats.runs(from_=start[:10], to=start[:10], tz="Europe/Paris")
        self.assertEqual((day["tz"], day["group_by"], len(day["series"])), ("Europe/Paris", "day", 1))
        bad = raises(self, ambit.BadRequestError, lambda: self.client.stats.runs(group_by="week", tz="Mars/Olympus"))  # type: ignore[arg-type]
        self.assertEqual(sorted(e["path"] for e in bad.errors), ["query.group_by", "query.tz"])

    def test_stats_usage_sums_the_team_and_bounds_the_range(self) -> None:
        model = f"usage-{uuid.uuid4()}"
        run_id = self.client.agent.runs.create(prompt="usage queued", config={"model_id": model})["run_id"]
        start = self.client.agent.runs.retrieve(run_id)["created_at"]
        self.client.agent.runs.cancel(run_id)
        usage = self.client.stats.usage(from_=start, group_by="model")
        self.assertEqual((usage["from"], usage["group_by"], usage["tz"]), (start, "model", "UTC"))
        mine = [b for b in usage["series"] if b["key"] == model]
        self.assertEqual([(b["runs"], b["model_calls"], b["cost_usd"]) for b in mine], [(1, 0, 0)])
        self.assertGreaterEqual(usage["total"]["runs"], 1)
        bad = raises(self, ambit.BadRequestError, lambda: self.client.stats.usage(from_="2020-01-01", to="2021-06-01"))
        self.assertIn("at most 366", str(bad))

    def test_me_is_the_keys_owner_via_api_key(self) -> None:
        me = self.client.me.retrieve()
        team = self.client.team.retrieve()
        self.assertEqual((me["via"], me["role"], me["personal"]), ("api_key", "owner", True))
        self.assertEqual(me["team"], {"uid": team["uid"], "name": team["name"]})
        assert me["user"] is not None
        self.assertEqual(me["user"]["uid"], team["caller"]["uid"])
        self.assertIn("@", me["user"]["email"])

    def test_web_sessions_listed_and_deleted(self) -> None:
        status, set_cookie = console_request("/auth/sign-in", body={"api_key": API_KEY})
        self.assertEqual(status, 204)
        token = set_cookie.split("ambit_session=", 1)[1].split(";", 1)[0]
        self.assertEqual(console_request("/api/v1/me", cookie=token)[0], 200)
        sessions = self.client.auth.sessions.list()
        self.assertNotIn(token, json.dumps(sessions))  # never the token
        # with a key no session is the current one; the newest is the one just opened
        self.assertEqual([s["current"] for s in sessions], [False] * len(sessions))
        uid = max(sessions, key=lambda s: s["created_at"])["uid"]
        self.client.auth.sessions.delete(uid)
        self.assertNotIn(uid, [s["uid"] for s in self.client.auth.sessions.list()])
        self.assertEqual(console_request("/api/v1/me", cookie=token)[0], 401)
        missing = raises(self, ambit.NotFoundError, lambda: self.client.auth.sessions.delete(uid))
        self.assertEqual(missing.code, "resource_not_found")


if __name__ == "__main__":
    unittest.main()
