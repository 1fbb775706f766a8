"""Pure pieces: backoff and Retry-After, error messages, pagination's stopping rule."""

from __future__ import annotations

import email.utils
import time
import unittest
from typing import Any, Dict, List, Optional, Tuple

from ambit import audit_entry_hash, verify_audit_chain
from ambit import Ambit, APIError, BadRequestError, InternalServerError, Page, Paginator, RateLimitError
from ambit._flow import Flow, Sleep
from ambit._client import retry_delay, should_retry
from ambit._errors import make_status_error


class RetryDelayTest(unittest.TestCase):
    def test_backoff_doubles_with_jitter_up_to_eight_seconds(self) -> None:
        for retry, base in ((1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (9, 8.0)):
            for _ in range(20):
                d = retry_delay(retry)
                self.assertTrue(base * 0.75 <= d <= base, (retry, d))

    def test_the_server_asked_wait_wins_up_to_a_minute(self) -> None:
        self.assertEqual(retry_delay(1, {"retry-after-ms": "250"}), 0.25)
        self.assertEqual(retry_delay(1, {"retry-after": "3"}), 3.0)
        future = email.utils.formatdate(time.time() + 10, usegmt=True)
        self.assertTrue(8 <= retry_delay(1, {"retry-after": future}) <= 10.5)
        self.assertLessEqual(retry_delay(1, {"retry-after": "3600"}), 0.5)  # too long: back off instead

    def test_should_retry(self) -> None:
        self.assertTrue(should_retry(503, {}))
        self.assertTrue(should_retry(429, {}))
        self.assertTrue(should_retry(409, {}))
        self.assertFalse(should_retry(400, {}))
        self.assertFalse(should_retry(500, {"x-should-retry": "false"}))
        self.assertTrue(should_retry(400, {"x-should-retry": "true"}))


class ErrorTest(unittest.TestCase):
    def test_status_classes_and_messages(self) -> None:
        err = make_status_error(400, {"error_code": "invalid_request", "detail": "bad body", "errors": [{"path": "prompt", "message": "required"}]}, {"X-Request-Id": "req-1"})
        self.assertIsInstance(err, BadRequestError)
        self.assertEqual(str(err), "400 invalid_request: bad body [prompt: required]")
        self.assertEqual(err.trace_id, "req-1")
        self.assertIsInstance(make_status_error(502, "Bad gateway", {}), InternalServerError)
        self.assertEqual(str(make_status_error(418, None, {})), "418 (no body)")
        self.assertIs(type(make_status_error(418, None, {})), APIError)
        limited = make_status_error(429, {"error_code": "rate_limited"}, {"Retry-After": "30"})
        assert isinstance(limited, RateLimitError)
        self.assertEqual(limited.retry_after, 30.0)


class PaginatorTest(unittest.TestCase):
    def test_is_lazy_follows_cursors_and_stops_on_an_empty_page(self) -> None:
        calls: List[Optional[str]] = []
        pages: Dict[Optional[str], Tuple[List[int], str]] = {None: ([1, 2], "c1"), "c1": ([3], "c2"), "c2": ([], "c3")}

        def fetch(cursor: Optional[str]) -> Flow[Page[int]]:
            calls.append(cursor)
            items, nxt = pages[cursor]
            yield Sleep(0)
            return Page(items, {"has_next_page": True, "next_cursor": nxt}, {})

        paginator = Paginator(fetch, Ambit(api_key="k", base_url="http://unused").drive)
        self.assertEqual(calls, [])
        self.assertEqual(list(paginator), [1, 2, 3])
        self.assertEqual(calls, [None, "c1", "c2"])  # an empty page ends it even if it claims a next one
        self.assertEqual(paginator.first_page().items, [1, 2])


if __name__ == "__main__":
    unittest.main()


class AuditChainTest(unittest.TestCase):
    # an entry hashed by the Worker's own code (packages/protocol/src/audit.ts): the two agree
    ENTRY: Dict[str, Any] = {
        "id": "aud1",
        "team_id": "team1",
        "seq": 1,
        "at": "2026-12-07T04:00:00.000Z",
        "actor": {"type": "key", "id": "k1", "name": "ci key (Zo\u00eb \u2603)", "member_id": "u1"},
        "ip": None,
        "user_agent": "curl/8",
        "request_id": "r-1",
        "action": "member.update",
        "target": {"type": "member", "id": "u2"},
        "changes": {
            "role": {"before": "viewer", "after": "admin"},
            "config.setup_commands": {"after": ["npm ci", 'a"b']},
        },
        "prev_hash": "0" * 64,
        "hash": "65e80028fc75d328f48e51232f56942790c4742bdcbb300d2bf367532ce347ff",
    }

    def test_the_hash_is_the_workers(self) -> None:
        self.assertEqual(audit_entry_hash(self.ENTRY), self.ENTRY["hash"])
        self.assertIsNone(verify_audit_chain([self.ENTRY]))

    def test_an_edited_entry_is_named(self) -> None:
        edited = {**self.ENTRY, "action": "member.remove"}
        self.assertEqual(verify_audit_chain([edited])["seq"], 1)  # type: ignore[index]
