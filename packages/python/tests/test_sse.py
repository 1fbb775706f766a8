"""The Server-Sent Events parser, fed in awkward chunks."""

from __future__ import annotations

import unittest
from typing import List

from ambit._run_stream import parse_sse


def Chunks(chunks: List[bytes]) -> List[bytes]:
    return chunks


class ParseSseTest(unittest.TestCase):
    def test_fields_comments_multiline_data_and_split_chunks(self) -> None:
        stream = b': hello\n\nid: 1\nevent: run\ndata: {"seq":1}\n\nid:2\ndata: a\r\ndata: b\r\n\r\nid: 3\rdata: x\r\r'
        whole = [(m.id, m.event, m.data) for m in parse_sse(Chunks([stream]))]
        expected = [("1", "run", '{"seq":1}'), ("2", None, "a\nb"), ("3", None, "x")]
        self.assertEqual(whole, expected)
        # byte by byte: a line, a "\r\n" and a UTF-8 character may be cut anywhere
        one_by_one = [(m.id, m.event, m.data) for m in parse_sse(Chunks([stream[i : i + 1] for i in range(len(stream))]))]
        self.assertEqual(one_by_one, expected)

    def test_utf8_split_across_chunks_and_an_unfinished_message_is_dropped(self) -> None:
        data = "data: caf\u00e9 \u2713\n\ndata: never dispatched".encode("utf-8")
        got = [m.data for m in parse_sse(Chunks([data[:10], data[10:13], data[13:]]))]
        self.assertEqual(got, ["caf\u00e9 \u2713"])


if __name__ == "__main__":
    unittest.main()
