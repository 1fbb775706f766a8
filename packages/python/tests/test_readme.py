"""The README's examples: every Python block parses as Python 3.9, and the task examples run as
written against the server, with only what cannot be fixed in a README replaced (the prompt, which
tells the scripted host how to play the run, and ids the test made)."""

from __future__ import annotations

import ast
import os
import pathlib
import re
import subprocess
import sys
import unittest
import uuid
from typing import Dict, List, Tuple

from _support import API_KEY, BASE_URL, POOL, need_server

from ambit import Ambit

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
SOURCES = pathlib.Path(__file__).resolve().parent.parent / "src"


def blocks() -> List[Tuple[str, str]]:
    """(the heading above it, its code) of every ```python block."""
    found: List[Tuple[str, str]] = []
    heading = ""
    for part in re.split(
        r"(^## [^\n]*$|^```python\n.*?^```$)", README.read_text(encoding="utf-8"), flags=re.M | re.S
    ):
        if part.startswith("## "):
            heading = part[3:].strip()
        elif part.startswith("```python"):
            found.append((heading, part[len("```python\n") : -3]))
    return found


def example(heading: str) -> str:
    codes = [code for h, code in blocks() if h == heading]
    assert len(codes) == 1, f"one python block under ## {heading}"
    return codes[0]


def swap(code: str, replacements: Dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in code, f"the README example no longer has {old!r}"
        code = code.replace(old, new)
    return code


def run(code: str) -> "subprocess.CompletedProcess[str]":
    env = {
        **os.environ,
        "AMBIT_BASE_URL": BASE_URL,
        "AMBIT_API_KEY": API_KEY,
        "PYTHONPATH": str(SOURCES),
    }
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


CLIENT = "from ambit import Ambit\nclient = Ambit()\n"
TO_POOL = f'config={{"worker_host": "{POOL}"}}'


class ReadmeTest(unittest.TestCase):
    def test_every_python_block_parses_as_python_3_9(self) -> None:
        found = blocks()
        self.assertGreater(len(found), 8)
        for heading, code in found:
            with self.subTest(heading):
                ast.parse(code, feature_version=(3, 9))

    def need_host(self) -> None:
        need_server(self)
        if not POOL:
            self.skipTest("no scripted host (AMBIT_TEST_POOL)")

    def test_fail_a_ci_job_when_the_run_fails(self) -> None:
        self.need_host()
        code = example("Fail a CI job when the run fails")
        for play, exit_code in (("py:fail", 1), ("py:succeed", 0)):
            prompt = f'prompt="{play} {uuid.uuid4()}", {TO_POOL}'
            done = run(swap(code, {'prompt="Review this PR for security issues"': prompt}))
            self.assertEqual(done.returncode, exit_code, done.stderr)
            if exit_code:
                self.assertRegex(
                    done.stderr, r"^agent run \S+ ended FAILED: tests still failing\n$"
                )

    def test_start_a_run_and_wait_for_it(self) -> None:
        self.need_host()
        token = uuid.uuid4()
        done = run(
            CLIENT
            + swap(
                example("Start a run and wait for it"),
                {
                    '"Upgrade the lodash dependency and fix what breaks"': f'"py:succeed {token}"',
                    'config={"environment_id": "env_…", "model_id": "gpt-5"}': TO_POOL,
                },
            )
        )
        self.assertEqual((done.returncode, done.stdout), (0, "SUCCEEDED all green\n"), done.stderr)

    def test_stream_a_runs_events_then_its_artifacts(self) -> None:
        self.need_host()
        created = f"run = client.agent.runs.create(prompt='py:stream {uuid.uuid4()}', {TO_POOL})\n"
        done = run(CLIENT + created + example("Stream a run's events"))
        self.assertEqual(
            (done.returncode, done.stdout),
            (0, "".join(f"m{i}\n" for i in range(1, 9))),
            done.stderr,
        )
        # the artifacts example, after a run that made a file and a pull request
        prompt = f"prompt='py:artifacts {uuid.uuid4()}'"
        made = f"run_id = client.agent.runs.create({prompt}, {TO_POOL})['run_id']\n"
        waited = "client.agent.runs.wait(run_id, timeout=60)\n"
        shown = "print(len(data), info['data']['content_type'])\n"
        done = run(CLIENT + made + waited + example("A run's artifacts") + shown)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(
            done.stdout,
            r"^report.bin (\d+)\n"
            r"https://github.com/acme/web/pull/7 ambit/\S+\n"
            r"\1 application/x-ambit-report\n$",
        )

    def test_asyncio(self) -> None:
        self.need_host()
        token = uuid.uuid4()
        done = run(
            swap(
                example("asyncio"),
                {
                    '"Fix the flaky test in test/cart.test.ts"': f'"py:stream {token}", {TO_POOL}',
                    "limit=20)": 'limit=20, q="no run has this title")',
                },
            )
        )
        self.assertEqual(
            (done.returncode, done.stdout),
            (0, "".join(f"m{i}\n" for i in range(1, 9)) + "SUCCEEDED\n"),
            done.stderr,
        )

    def test_a_nightly_schedule(self) -> None:
        need_server(self)
        client = Ambit(api_key=API_KEY, base_url=BASE_URL)
        env = client.agent.environments.create(
            name=f"readme-{uuid.uuid4().hex[:6]}", docker_image="node:22"
        )
        name = f"nightly dependency check {uuid.uuid4().hex[:6]}"
        done = run(
            CLIENT
            + swap(
                example("A nightly schedule"),
                {
                    '"nightly dependency check"': repr(name),
                    '"env_…"': repr(env["uid"]),
                },
            )
        )
        try:
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn(f"{name} True ", done.stdout)  # resumed, with its next run
            made = [s for s in client.agent.schedules.list() if s["name"] == name]
            self.assertEqual(
                [(s["cron_schedule"], s["timezone"], s["enabled"]) for s in made],
                [("0 3 * * *", "Europe/Berlin", True)],
            )
        finally:
            for s in client.agent.schedules.list():
                if s["name"] == name:
                    client.agent.schedules.delete(s["id"])
            client.agent.environments.delete(env["uid"])


if __name__ == "__main__":
    unittest.main()
