#!/usr/bin/env python3
"""Drives `gptoss-gl server` with the official `openai` Python client, as users will.

Starts the server with the bundled model (Assets/models/gptoss-shakespeare.gguf) on 127.0.0.1
with a free port (--port 0; the URL is read from its first line) and checks: a plain chat; a
streamed chat whose chunks reassemble to the non-streamed text for the same seed; a bad request
(400 in OpenAI's error shape); a wrong key (401); a full queue (429, a server with --queue 0); a
queued request whose client closes its socket leaves the queue at once; 8 concurrent streamed
chats whose texts equal their one-at-a-time runs (greedy, on a server with --parallel 4, so they
are decoded four at a time in one step); and a clean exit 0 on SIGTERM while a stream is running.
Every wait is bounded.

Two tests rely on the bundled model's trained skills (docs/models.md): reasoning_content present
at reasoning medium, and a tool-call round trip (the model's call parsed, a `tool` message sent
back, the answer continues) with the tools and a held-out question of
Assets/models/gptoss-shakespeare-tools.json (the tools the model was trained on, so the prompt
stays in its distribution).

Run from the repository root after `swift build`:
    python3 scripts/test_openai_server.py [--binary .build/debug/gptoss-gl] [--model PATH]
"""
import argparse
import concurrent.futures
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.request
from pathlib import Path

import openai

ROOT = Path(__file__).resolve().parent.parent
ARGS = argparse.Namespace(binary=str(ROOT / ".build" / "debug" / "gptoss-gl"),
                          model=str(ROOT / "Assets" / "models" / "gptoss-shakespeare.gguf"))
KEY = "test-key"
START_TIMEOUT = 120     # model load and kernel compilation on llvmpipe
REQUEST_TIMEOUT = 180
# The retrained demo model's tools and held-out questions (docs/models.md).
TOOLS_FILE = ROOT / "Assets" / "models" / "gptoss-shakespeare-tools.json"


class Server:
    """A `gptoss-gl server` process; `url` once it listens."""

    def __init__(self, *extra):
        command = [ARGS.binary, "server", "--model", ARGS.model, "--host", "127.0.0.1", "--port", "0",
                   "--api-key", KEY, "--quiet", *extra]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr = []
        threading.Thread(target=lambda: self.stderr.extend(self.process.stderr), daemon=True).start()
        found = {}

        def read_url():
            for line in self.process.stdout:
                match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
                if match:
                    found["url"] = match.group(1)
                    break
        reader = threading.Thread(target=read_url, daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        if "url" not in found:
            self.stop()
            raise RuntimeError(f"the server did not print its URL within {START_TIMEOUT} s:\n{''.join(self.stderr)}")
        self.url = found["url"]
        threading.Thread(target=lambda: [None for _ in self.process.stdout], daemon=True).start()

    def client(self, key=KEY):
        return openai.OpenAI(base_url=self.url + "/v1", api_key=key, max_retries=0, timeout=REQUEST_TIMEOUT)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise AssertionError(f"the server did not exit within {timeout} s after {sig.name}")
        finally:
            for pipe in (self.process.stdout, self.process.stderr):
                try:
                    pipe.close()
                except (OSError, ValueError):
                    pass


def chat(client, content, **options):
    return client.chat.completions.create(model="gptoss-shakespeare", messages=[{"role": "user", "content": content}],
                                          **options)


def streamed_text(client, content, **options):
    """Content deltas joined, and the finish reason, of a streamed chat."""
    parts, reason = [], None
    for chunk in chat(client, content, stream=True, **options):
        if chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
            reason = chunk.choices[0].finish_reason or reason
    return "".join(parts), reason


class OpenAIClientTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Four slots: the concurrent streams are decoded together (continuous batching).
        cls.server = Server("--parallel", "4", "--queue", "8", "--context", "512")
        cls.client = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        status = cls.server.stop()
        assert status == 0, f"exit status {status} after SIGTERM"

    def test_plain_chat(self):
        # Reasoning low: the demo model answers without an analysis message (docs/models.md).
        answer = chat(self.client, "What says Juliet?", max_tokens=16, temperature=0, reasoning_effort="low")
        self.assertEqual(answer.object, "chat.completion")
        choice = answer.choices[0]
        self.assertEqual(choice.message.role, "assistant")
        self.assertIsInstance(choice.message.content, str)
        self.assertGreater(len(choice.message.content), 0)
        self.assertIn(choice.finish_reason, ("stop", "length"))
        self.assertEqual(answer.usage.total_tokens, answer.usage.prompt_tokens + answer.usage.completion_tokens)
        self.assertGreater(answer.usage.prompt_tokens, 10)
        self.assertLessEqual(answer.usage.completion_tokens, 16)

    def test_stream_reassembles_to_the_same_text(self):
        options = dict(max_tokens=24, temperature=0.8, seed=11, reasoning_effort="low")
        whole = chat(self.client, "What news from Verona?", **options)
        text, reason = streamed_text(self.client, "What news from Verona?", **options)
        self.assertEqual(text, whole.choices[0].message.content)
        self.assertEqual(reason, whole.choices[0].finish_reason)
        usage_chunks = [c for c in chat(self.client, "What news from Verona?", stream=True,
                                        stream_options={"include_usage": True}, **options) if c.usage]
        self.assertEqual(usage_chunks[-1].usage.completion_tokens, whole.usage.completion_tokens)

    def test_bad_request_has_the_openai_error_shape(self):
        with self.assertRaises(openai.BadRequestError) as caught:
            self.client.chat.completions.create(model="x", messages=[{"role": "wizard", "content": "hi"}])
        self.assertEqual(caught.exception.status_code, 400)
        error = caught.exception.response.json()["error"]
        self.assertEqual(set(error), {"message", "type", "param", "code"})
        self.assertEqual(error["type"], "invalid_request_error")
        self.assertEqual(error["param"], "messages[0].role")

    def test_wrong_key_is_401(self):
        with self.assertRaises(openai.AuthenticationError) as caught:
            chat(self.server.client(key="wrong"), "hi", max_tokens=1)
        self.assertEqual(caught.exception.status_code, 401)
        self.assertEqual(caught.exception.response.json()["error"]["code"], "invalid_api_key")

    def test_concurrent_streams_equal_their_runs_alone(self):
        prompts = [f"What says {name}?" for name in
                   ("Romeo", "Juliet", "Hamlet", "Ophelia", "Lear", "Cordelia", "Macbeth", "Portia")]
        options = dict(max_tokens=12, temperature=0, reasoning_effort="low")
        alone = [streamed_text(self.client, p, **options) for p in prompts]
        with concurrent.futures.ThreadPoolExecutor(len(prompts)) as pool:
            together = list(pool.map(lambda p: streamed_text(self.client, p, **options), prompts))
        self.assertEqual(together, alone)
        self.assertGreater(len(set(text for text, _ in alone)), 1, "different prompts should not all answer alike")

    def test_reasoning_content_is_present(self):
        # The demo model writes an analysis message at reasoning medium and high (docs/models.md).
        answer = chat(self.client, "What says Romeo?", max_tokens=300, temperature=0, reasoning_effort="medium")
        message = answer.choices[0].message
        self.assertTrue(reasoning_of(message), "no reasoning_content: the model wrote no analysis channel")
        self.assertTrue(message.content, "no final answer after the analysis")
        self.assertEqual(answer.choices[0].finish_reason, "stop")

    def test_tool_call_round_trip(self):
        # The tools the demo model was trained to call, and a held-out question with its true result.
        spec = json.loads(TOOLS_FILE.read_text())
        example = spec["examples"][0]
        messages = [{"role": "user", "content": example["question"]}]
        options = dict(model="gptoss-shakespeare", tools=spec["tools"], max_tokens=300, temperature=0,
                       reasoning_effort="medium")
        first = self.client.chat.completions.create(messages=messages, **options)
        choice = first.choices[0]
        self.assertEqual(choice.finish_reason, "tool_calls", f"no call: {choice.message}")
        call = choice.message.tool_calls[0]
        self.assertEqual(call.type, "function")
        self.assertEqual(call.function.name, example["tool"])
        arguments = json.loads(call.function.arguments)
        self.assertIsInstance(arguments, dict)
        # The assistant message goes back as the client got it (reasoning_content included).
        messages += [choice.message.model_dump(exclude_none=True),
                     {"role": "tool", "tool_call_id": call.id, "content": json.dumps(example["result"])}]
        second = self.client.chat.completions.create(messages=messages, **options)
        self.assertEqual(second.choices[0].finish_reason, "stop")
        self.assertTrue(second.choices[0].message.content)
        self.assertFalse(second.choices[0].message.tool_calls)


def health(server):
    with urllib.request.urlopen(server.url + "/health", timeout=10) as answer:
        return json.load(answer)


def wait_for(condition, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def reasoning_of(message):
    return getattr(message, "reasoning_content", None) or (message.model_extra or {}).get("reasoning_content")


class QueueAndShutdownTests(unittest.TestCase):
    def test_queue_full_is_429(self):
        server = Server("--queue", "0", "--context", "512")
        try:
            client = server.client()
            stream = chat(client, "Sing a long song.", max_tokens=400, temperature=0, stream=True)
            next(iter(stream))  # admitted: the only slot is busy, no queue
            with self.assertRaises(openai.RateLimitError) as caught:
                chat(client, "And another.", max_tokens=4)
            self.assertEqual(caught.exception.status_code, 429)
            self.assertEqual(caught.exception.response.json()["error"]["code"], "queue_full")
            stream.close()
            # The closed stream's slot frees within a step: a new request is admitted again.
            deadline = time.time() + 30
            while True:
                try:
                    chat(client, "Now?", max_tokens=2, temperature=0)
                    break
                except openai.RateLimitError:
                    self.assertLess(time.time(), deadline, "the slot was not freed after the client went away")
                    time.sleep(0.2)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_a_client_that_leaves_gives_up_its_queue_place(self):
        # The slot is busy with a long stream; a non-streamed request waits in the queue and its
        # client closes the socket. Nothing has been written to it, yet it must leave the queue
        # at once (before the fix it waited for the slot and was decoded for nobody).
        server = Server("--queue", "2", "--context", "512")
        try:
            client = server.client()
            stream = chat(client, "Sing a long song.", max_tokens=400, temperature=0, stream=True)
            next(iter(stream))
            host, port = server.url.removeprefix("http://").split(":")
            body = json.dumps({"messages": [{"role": "user", "content": "Hello?"}], "max_tokens": 50}).encode()
            with socket.create_connection((host, int(port))) as raw:
                raw.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode()
                            + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                self.assertTrue(wait_for(lambda: health(server)["queued_requests"] == 1, 10), "the request was not queued")
            self.assertTrue(wait_for(lambda: health(server)["queued_requests"] == 0, 3),
                            "the dropped request still waited 3 s after its client left")
            self.assertEqual(health(server)["active_sequences"], 1, "the long stream should still run")
            stream.close()
        finally:
            self.assertEqual(server.stop(), 0)

    def test_sigterm_ends_streams_and_exits_zero(self):
        server = Server("--queue", "2", "--context", "512", "--shutdown-grace", "1")
        client = server.client()
        stream = chat(client, "Sing a long song.", max_tokens=500, temperature=0, stream=True)
        chunks = iter(stream)
        next(chunks)
        started = time.time()
        server.process.send_signal(signal.SIGTERM)
        # The stream ends (finished or cut off with an error event) instead of hanging.
        rest = []
        try:
            rest = list(chunks)
        except openai.APIError:
            pass
        self.assertEqual(server.stop(timeout=30), 0)
        self.assertLess(time.time() - started, 30)
        self.assertLess(len(rest), 500)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=ARGS.binary)
    parser.add_argument("--model", default=ARGS.model)
    known, rest = parser.parse_known_args()
    ARGS.binary, ARGS.model = known.binary, known.model
    if not Path(ARGS.binary).exists():
        sys.exit(f"error: {ARGS.binary} does not exist. Hint: run `swift build` first or pass --binary.")
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
