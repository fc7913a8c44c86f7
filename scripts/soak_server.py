#!/usr/bin/env python3
"""Soak test: `gptoss-gl server` under many concurrent streaming chats and hostile clients.

For --duration seconds, --streams well-formed clients each loop on streamed chats
(/v1/chat/completions, stream=True) while hostile clients, at --hostile-rate connections a
second, take turns at: half-open connections (partial headers, partial body, held), streams
dropped mid-answer or right after sending, garbage bytes instead of HTTP, bodies over the size
limit, invalid UTF-8 inside JSON strings, malformed JSON and bad fields, and every
--burst-every seconds a burst of requests beyond slots + queue. Then it checks:

  - every well-formed request ended with a whole stream (`[DONE]`, a finish_reason, usage) or a
    refusal with a status (429 queue_full, 503) in OpenAI's error shape: never a hang (each
    has --request-timeout), a reset, an error event or a stream cut short;
  - no sequence lost or mixed: prompts are fixed and sampled deterministically (temperature 0,
    or 0.8 with a seed), so every repeat of a prompt must give exactly the text of its first
    answer; a token delivered to the wrong stream changes some answer. Each stream's chunks
    carry one id (unique over the run) and the server's model name;
  - hostile requests get the status they deserve (400 invalid_json for bad UTF-8, 413 for
    oversize bodies...) or a closed connection, and a half-open connection is closed by the
    server's --idle-timeout;
  - the server stays up (/health answers throughout), its memory stays flat after the warm-up
    (RSS from /proc, GPU bytes from /metrics), and once every client is gone no sequence, queue
    entry, KV position or socket is left; SIGTERM then exits 0.

It prints a summary and one line per failure, and exits 1 on any failure.

Starts the server itself (--binary, with the bundled model, on 127.0.0.1 and a free port) or
attaches to a running one (--url; then RSS and sockets are not sampled, and --max-body-bytes,
--idle-timeout must say what that server was started with). `make test` runs a bounded version
(60 s); `make soak` the long one (docs/server.md#soak has the figures).

    python3 scripts/soak_server.py --binary .build/debug/gptoss-gl --duration 60 --streams 64
"""
import argparse
import asyncio
import json
import os
import random
import re
import signal
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20
START_TIMEOUT = 180       # model load and kernel compilation on llvmpipe, with the machine busy
REFUSALS = (429, 503)     # a well-formed request may be turned away with these, never dropped
NAMES = ("Romeo", "Juliet", "Hamlet", "Ophelia", "Lear", "Cordelia", "Macbeth", "Portia", "Prospero", "Miranda",
         "Othello", "Desdemona", "Rosalind", "Orlando", "Viola", "Benedick")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build" / "debug" / "gptoss-gl"), help="gptoss-gl to start")
    parser.add_argument("--model", default=str(ROOT / "Assets" / "models" / "gptoss-shakespeare.gguf"))
    parser.add_argument("--url", help="attach to this running server instead of starting one")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (then in-flight requests finish)")
    parser.add_argument("--streams", type=int, default=64, help="concurrent well-formed streaming clients")
    parser.add_argument("--parallel", type=int, default=8, help="the started server's --parallel")
    parser.add_argument("--queue", type=int, default=16, help="the started server's --queue")
    parser.add_argument("--context", type=int, default=256, help="the started server's --context")
    parser.add_argument("--max-body-bytes", type=int, default=65536, help="the server's --max-body-bytes")
    parser.add_argument("--idle-timeout", type=float, default=5,
                        help="the server's --idle-timeout; half-open connections must be closed within it (+5 s)")
    parser.add_argument("--hostile-rate", type=float, default=4, help="hostile connections started per second")
    parser.add_argument("--burst-every", type=float, default=15, help="seconds between bursts (0: none)")
    parser.add_argument("--burst-size", type=int, help="requests per burst (default: 2 × (parallel + queue))")
    parser.add_argument("--prompts", type=int, default=24, help="distinct prompts the clients cycle through")
    parser.add_argument("--request-timeout", type=float, default=180, help="longest a well-formed request may take")
    parser.add_argument("--warmup", type=float, help="seconds before memory must stay flat (default: min(60, duration/3))")
    parser.add_argument("--memory-slack-mib", type=float, default=64, help="allowed growth after warm-up, in MiB ...")
    parser.add_argument("--memory-slack-percent", type=float, default=10, help="... or in percent, whichever is larger")
    parser.add_argument("--seed", type=int, default=1, help="seeds the hostile clients' choices")
    parser.add_argument("--json", help="also write the summary as JSON to this file")
    parser.add_argument("--server-log", help="write the started server's stderr here")
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = min(60.0, args.duration / 3)
    if args.burst_size is None:
        args.burst_size = 2 * (args.parallel + args.queue)
    if not args.url and not Path(args.binary).exists():
        sys.exit(f"error: {args.binary} does not exist. Hint: run `swift build` first, pass --binary, or --url.")
    return args


# MARK: - The server process

class ServerProcess:
    """`gptoss-gl server` started here: its URL once it listens, its pid for /proc, its stderr."""

    def __init__(self, args):
        self.args = args
        self.process = None
        self.url = None
        self.stderr_lines = []

    async def start(self):
        a = self.args
        command = [a.binary, "server", "--model", a.model, "--host", "127.0.0.1", "--port", "0",
                   "--parallel", str(a.parallel), "--batch", str(max(a.parallel, 8)), "--queue", str(a.queue),
                   "--context", str(a.context), "--max-body-bytes", str(a.max_body_bytes),
                   "--idle-timeout", str(a.idle_timeout), "--no-dashboard", "--quiet"]
        self.process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
                                                            stderr=asyncio.subprocess.PIPE)
        asyncio.ensure_future(self._collect_stderr())
        try:
            self.url = await asyncio.wait_for(self._read_url(), START_TIMEOUT)
        except asyncio.TimeoutError:
            self.process.kill()
            raise SystemExit(f"error: the server did not print its URL within {START_TIMEOUT} s:\n" + self.stderr_text())
        if self.url is None:
            raise SystemExit(f"error: the server exited ({await self.process.wait()}) before listening:\n" + self.stderr_text())
        asyncio.ensure_future(self._drain_stdout())

    async def _read_url(self):
        async for line in self.process.stdout:
            match = re.search(rb"(http://127\.0\.0\.1:\d+)", line)
            if match:
                return match.group(1).decode()
        return None

    async def _drain_stdout(self):
        async for _ in self.process.stdout:
            pass

    async def _collect_stderr(self):
        async for line in self.process.stderr:
            self.stderr_lines.append(line.decode(errors="replace"))

    def stderr_text(self):
        return "".join(self.stderr_lines[-40:])

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.returncode is None

    async def stop(self, timeout):
        """SIGTERM and the exit status (None if it had to be killed)."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except asyncio.TimeoutError:
            self.process.kill()
            await self.process.wait()
            return None


def proc_numbers(pid):
    """RSS in bytes, open file descriptors and threads of a process (None when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024
        threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        return rss, fds, threads
    except (OSError, AttributeError):
        return None


# MARK: - HTTP/1.1 over raw sockets (exact control over what is sent, and when the socket closes)

class ProtocolError(Exception):
    """The server's answer is not well-formed HTTP or SSE."""


def request_bytes(host, method, path, body=b""):
    """A request on a connection of its own (Connection: close, so each ends by a close)."""
    head = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def read_head(reader):
    """Status code and lower-cased headers; ConnectionError if the server closed first."""
    line = await reader.readline()
    if not line:
        raise ConnectionError("the server closed the connection without a status line")
    parts = line.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP status line: {line[:80]!r}")
    headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n"):
            return int(parts[1]), headers
        if not line:
            raise ConnectionError("the server closed the connection inside the response headers")
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()


async def body_pieces(reader, headers):
    """The response body as it arrives: chunked, by Content-Length, or up to the close."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size_line = await reader.readline()
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise ProtocolError(f"bad chunk size line {size_line[:40]!r}") from None
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return
            yield await reader.readexactly(size)
            await reader.readexactly(2)
    elif "content-length" in headers:
        yield await reader.readexactly(int(headers["content-length"]))
    else:
        while data := await reader.read(65536):
            yield data


async def whole_body(reader, headers):
    return b"".join([piece async for piece in body_pieces(reader, headers)])


async def sse_events(reader, headers):
    """Each `data:` payload of an event stream, as text."""
    buffer = b""
    async for piece in body_pieces(reader, headers):
        buffer += piece
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            if not event.startswith(b"data: "):
                raise ProtocolError(f"not an SSE data event: {event[:80]!r}")
            yield event[6:].decode()
    if buffer.strip():
        raise ProtocolError(f"the stream ended inside an event: {buffer[:80]!r}")


def openai_error(body):
    """The `error` object of an OpenAI-shaped error body, or None."""
    try:
        error = json.loads(body)["error"]
        return error if {"message", "type", "param", "code"} <= set(error) else None
    except (ValueError, KeyError, TypeError):
        return None


async def simple_request(soak, method, path, body=b"", timeout=30):
    """One request on its own connection: (status, body bytes)."""
    async def exchange():
        reader, writer = await asyncio.open_connection(soak.host, soak.port)
        try:
            writer.write(request_bytes(soak.host, method, path, body))
            await writer.drain()
            status, headers = await read_head(reader)
            return status, await whole_body(reader, headers)
        finally:
            writer.close()
    return await asyncio.wait_for(exchange(), timeout)


# MARK: - Well-formed streaming clients

@dataclass(frozen=True)
class Prompt:
    """A fixed request: repeats must answer exactly alike (greedy, or sampled with a seed)."""
    index: int
    text: str
    max_tokens: int
    temperature: float
    seed: int

    def body(self):
        return json.dumps({"model": "soak", "messages": [{"role": "user", "content": self.text}],
                           "max_tokens": self.max_tokens, "temperature": self.temperature, "seed": self.seed,
                           "reasoning_effort": "low", "stream": True,
                           "stream_options": {"include_usage": True}}).encode()


def make_prompts(count):
    # Distinct names and numbers tokenise differently, so answers differ; every other prompt is
    # sampled (temperature 0.8, its own seed), which also checks that sequences keep their own RNG.
    return [Prompt(k, f"Soak prompt {k}: what says {NAMES[k % len(NAMES)]} of {NAMES[(k * 7 + 3) % len(NAMES)]}?",
                   max_tokens=8 + (k * 5) % 17, temperature=0.0 if k % 2 == 0 else 0.8, seed=1000 + k)
            for k in range(count)]


@dataclass
class StreamResult:
    status: int
    error: dict = None
    content: str = ""
    reasoning: str = ""
    finish_reason: str = None
    ids: set = field(default_factory=set)
    models: set = field(default_factory=set)
    usage: dict = None
    done: bool = False
    first_token_seconds: float = None


async def stream_chat(soak, body):
    """One streamed chat on its own connection, read to `[DONE]`."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(soak.host, soak.port)
    try:
        writer.write(request_bytes(soak.host, "POST", "/v1/chat/completions", body))
        await writer.drain()
        status, headers = await read_head(reader)
        result = StreamResult(status)
        if status != 200:
            result.error = openai_error(await whole_body(reader, headers))
            return result
        async for payload in sse_events(reader, headers):
            if result.done:
                raise ProtocolError("an event after [DONE]")
            if payload == "[DONE]":
                result.done = True
                continue
            chunk = json.loads(payload)
            if "error" in chunk:
                raise ProtocolError(f"an error event mid-stream: {chunk['error'].get('message')}")
            read_chunk(result, chunk)
            if result.first_token_seconds is None and (result.content or result.reasoning):
                result.first_token_seconds = time.monotonic() - started
        return result
    finally:
        writer.close()


def read_chunk(result, chunk):
    if chunk.get("object") != "chat.completion.chunk":
        raise ProtocolError(f"a chunk of object {chunk.get('object')!r}")
    result.ids.add(chunk.get("id"))
    result.models.add(chunk.get("model"))
    if chunk.get("usage"):
        result.usage = chunk["usage"]
    for choice in chunk.get("choices", []):
        delta = choice.get("delta", {})
        result.content += delta.get("content") or ""
        result.reasoning += delta.get("reasoning_content") or ""
        result.finish_reason = choice.get("finish_reason") or result.finish_reason


async def chat_client(soak, client):
    """Loops on streamed chats until the load ends; backs off after a refusal as a client should."""
    rng = random.Random(client)
    turn = 0
    while soak.loading():
        # Clients start at different prompts and walk the whole set, so every prompt is asked
        # again and again by different clients, in different batches.
        prompt = soak.prompts[(client * 5 + turn) % len(soak.prompts)]
        turn += 1
        started = time.monotonic()
        try:
            result = await asyncio.wait_for(stream_chat(soak, prompt.body()), soak.args.request_timeout)
        except asyncio.TimeoutError:
            soak.fail(f"stream client {client}: prompt {prompt.index} had no answer within {soak.args.request_timeout:.0f} s")
            continue
        except (OSError, asyncio.IncompleteReadError, ProtocolError, ValueError) as error:
            soak.fail(f"stream client {client}: prompt {prompt.index}: {type(error).__name__}: {error}")
            await asyncio.sleep(1)
            continue
        soak.check_stream(client, prompt, result, time.monotonic() - started)
        # A person reads the answer before asking again; a refused client waits longer.
        await asyncio.sleep(rng.uniform(0.5, 2.0) if result.status in REFUSALS else rng.uniform(0, 1.0))


# MARK: - Hostile clients: each returns a short label for what happened, or calls soak.fail

async def until_closed(reader, limit):
    """Seconds until the server closes the connection (reading and ignoring what it sends), or None."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(limit):
            while await reader.read(4096):
                pass
        return time.monotonic() - started
    except TimeoutError:
        return None
    except ConnectionError:
        return time.monotonic() - started


async def held_open(soak, kind, opening):
    """Sends the start of a request and holds the socket: the server's idle timeout must close it."""
    reader, writer = await asyncio.open_connection(soak.host, soak.port)
    try:
        writer.write(opening)
        await writer.drain()
        limit = soak.args.idle_timeout + 5 if soak.args.idle_timeout > 0 else 10
        closed_after = await until_closed(reader, limit)
        if closed_after is None:
            if soak.args.idle_timeout > 0:
                soak.fail(f"{kind}: the server still held the connection after {limit:.0f} s (--idle-timeout "
                          f"{soak.args.idle_timeout:g})")
            return "held open"
        return "closed by the server"
    finally:
        writer.close()


async def half_open_headers(soak, rng):
    return await held_open(soak, "half-open headers", b"POST /v1/chat/completions HTTP/1.1\r\nHost: soak\r\nContent-Ty")


async def half_open_body(soak, rng):
    body = b'{"messages": [{"role": "user", "content": "never fini'
    head = request_bytes(soak.host, "POST", "/v1/chat/completions", b"x" * 400).split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    return await held_open(soak, "half-open body", head + body)


async def dropped_mid_stream(soak, rng):
    """Starts a long answer, reads a few chunks, then goes away (half the time with a reset).
    Refused while the queue is full, it asks again for up to 30 s (the other clients keep the
    queue full, and only an admitted stream can be dropped mid-answer)."""
    body = json.dumps({"messages": [{"role": "user", "content": f"Sing a long song, {rng.randrange(10**6)}."}],
                       "max_tokens": 64, "temperature": 0, "stream": True}).encode()
    give_up = time.monotonic() + 30
    while True:
        reader, writer = await asyncio.open_connection(soak.host, soak.port)
        try:
            writer.write(request_bytes(soak.host, "POST", "/v1/chat/completions", body))
            await writer.drain()
            status, headers = await asyncio.wait_for(read_head(reader), soak.args.request_timeout)
            if status != 200:
                if status in REFUSALS and time.monotonic() < give_up and soak.loading():
                    continue
                return f"refused {status}"
            # The first chunk (the role) is written at once, so leaving after it leaves the queue.
            wanted, seen = rng.randint(1, 4), 0
            async with asyncio.timeout(soak.args.request_timeout):
                async for _ in sse_events(reader, headers):
                    seen += 1
                    if seen >= wanted:
                        break
            return "dropped mid-stream"
        finally:
            close_abruptly(writer, rng)
            await asyncio.sleep(0.1)


async def dropped_after_sending(soak, rng):
    """Sends a whole streamed request and closes at once: the server may not even have read it."""
    body = json.dumps({"messages": [{"role": "user", "content": "Speak!"}], "max_tokens": 32, "stream": True}).encode()
    _, writer = await asyncio.open_connection(soak.host, soak.port)
    writer.write(request_bytes(soak.host, "POST", "/v1/chat/completions", body))
    await writer.drain()
    close_abruptly(writer, rng)
    return "dropped after sending"


def close_abruptly(writer, rng):
    if rng.random() < 0.5:
        writer.transport.abort()  # RST: the server's next write fails at once
    else:
        writer.close()            # FIN: the server learns it on its next write


async def garbage(soak, rng):
    """Bytes that are not HTTP, a request line and then nonsense, or a header of 200 KB:
    refused (4xx) or closed."""
    noise = bytes(rng.randrange(256) for _ in range(rng.randint(1, 2048)))
    payload = rng.choice((noise, b"POST /v1/chat/completions HTTP/1.1\r\nHost: soak\r\n" + noise + b"\r\n\r\n",
                          b"GET /health HTTP/1.1\r\nHost: soak\r\nX-Junk: " + b"j" * 200_000 + b"\r\n\r\n"))
    reader, writer = await asyncio.open_connection(soak.host, soak.port)
    try:
        try:
            writer.write(payload)
            await writer.drain()
            status, _ = await asyncio.wait_for(read_head(reader), soak.args.idle_timeout + 5)
        except (ConnectionError, asyncio.IncompleteReadError):
            return "closed"
        except asyncio.TimeoutError:
            soak.fail(f"garbage: no answer and no close within {soak.args.idle_timeout + 5:.0f} s")
            return "hung"
        if status >= 500:
            soak.fail(f"garbage: answered {status} (a server error, not a refusal)")
        return f"refused {status}" if status >= 400 else f"answered {status}"
    finally:
        writer.close()


async def oversize_body(soak, rng):
    """A body over --max-body-bytes (declared, or chunked with no length): 413, or a close."""
    limit = soak.args.max_body_bytes
    padding = "a" * (limit + rng.randint(1, 4096))
    body = json.dumps({"messages": [{"role": "user", "content": padding}]}).encode()
    chunked = rng.random() < 0.5
    if chunked:
        head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {soak.host}\r\nConnection: close\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
        payload = head + b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                                  for part in (body[i:i + 8192] for i in range(0, len(body), 8192))) + b"0\r\n\r\n"
    else:
        payload = request_bytes(soak.host, "POST", "/v1/chat/completions", body)
    kind = "chunked" if chunked else "sized"
    reader, writer = await asyncio.open_connection(soak.host, soak.port)
    try:
        try:
            writer.write(payload)
            await writer.drain()
        except ConnectionError:
            pass  # the server may answer and close before reading everything: read what it said
        try:
            status, headers = await asyncio.wait_for(read_head(reader), 30)
            error = openai_error(await asyncio.wait_for(whole_body(reader, headers), 30))
        except (ConnectionError, asyncio.IncompleteReadError):
            return f"{kind}: closed"
        except asyncio.TimeoutError:
            soak.fail(f"oversize body ({kind}): no answer within 30 s")
            return f"{kind}: hung"
        if status != 413 or not error or error["code"] != "request_too_large":
            soak.fail(f"oversize body ({kind}, {len(body)} bytes): answered {status} {error}, expected 413 request_too_large")
        return f"{kind}: {status}"
    finally:
        writer.close()


# Invalid UTF-8 inside JSON strings: a stray continuation byte, an overlong encoding, an encoded
# surrogate, a sequence cut short, a code point beyond U+10FFFF; in a value and in a key.
BAD_UTF8 = (b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xf4\x90\x80\x80", b"\xff\xfe")


async def invalid_utf8(soak, rng):
    bad = rng.choice(BAD_UTF8)
    template = rng.choice((b'{"messages": [{"role": "user", "content": "Hello BAD there"}], "max_tokens": 4}',
                           b'{"messages": [{"role": "user", "content": "hi"}], "stop": ["BAD"], "max_tokens": 4}',
                           b'{"messages": [{"role": "user", "content": "hi", "nameBAD": "x"}], "max_tokens": 4}'))
    return await expect_400(soak, "invalid UTF-8", template.replace(b"BAD", bad), code="invalid_json")


# Malformed JSON and well-formed JSON with bad fields; each must get 400 in OpenAI's shape.
MALFORMED = (
    (b'{"messages": [{"role": "user", "content": "hi"}]', "invalid_json"),
    (b'{"messages": [{"role": "user", "content": "hi"},]}', "invalid_json"),
    (b"{'messages': []}", "invalid_json"),
    (b'{"messages": [{"role": "user", "content": "hi"}], "temperature": NaN}', "invalid_json"),
    (b"", "invalid_json"),
    (b"[" * 200 + b"]" * 200, "json_too_deep"),
    (b'{"messages": "hi"}', None),
    (b'{"messages": []}', None),
    (b'{"messages": [{"role": "wizard", "content": "hi"}]}', None),
    (b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": -1}', None),
    (b'{"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}', None),
    (b'{"messages": [{"role": "user", "content": "hi"}], "n": 3}', None),
)


async def malformed_json(soak, rng):
    body, code = rng.choice(MALFORMED)
    return await expect_400(soak, "malformed request", body, code=code)


async def over_long_prompt(soak, rng):
    """A prompt longer than one sequence's context: 400 context_length_exceeded, before any slot."""
    text = " ".join(NAMES[rng.randrange(len(NAMES))] for _ in range(soak.args.context * 2))
    body = json.dumps({"messages": [{"role": "user", "content": text}], "stream": True}).encode()
    return await expect_400(soak, "over-long prompt", body, code="context_length_exceeded")


async def expect_400(soak, kind, body, code):
    try:
        status, answer = await simple_request(soak, "POST", "/v1/chat/completions", body)
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ProtocolError) as error:
        soak.fail(f"{kind}: {type(error).__name__}: {error} instead of 400 (body {body[:60]!r})")
        return "failed"
    error = openai_error(answer)
    if status != 400 or error is None or (code is not None and error["code"] != code):
        soak.fail(f"{kind}: answered {status} {answer[:160]!r} to {body[:60]!r}; expected 400 {code or ''}")
    return f"{status} {error['code'] if error else '?'}"


async def keep_alive_mix(soak, rng):
    """One connection for several requests: a pipelined pair (two requests in one write), a bad
    body, then a good one; each must be answered in order on the same connection, which the idle
    timeout then closes. Checks that a refusal does not poison the connection after it."""
    reader, writer = await asyncio.open_connection(soak.host, soak.port)
    try:
        pipelined = (f"GET /health HTTP/1.1\r\nHost: {soak.host}\r\n\r\n"
                     f"GET /v1/models HTTP/1.1\r\nHost: {soak.host}\r\n\r\n").encode()
        bad = request_bytes(soak.host, "POST", "/v1/chat/completions", b'{"messages": 7}').replace(b"Connection: close\r\n", b"")
        expected = [(pipelined, (200, 200)), (bad, (400,)), (pipelined, (200, 200))]
        for payload, statuses in expected:
            writer.write(payload)
            await writer.drain()
            for want in statuses:
                status, headers = await asyncio.wait_for(read_head(reader), 30)
                await asyncio.wait_for(whole_body(reader, headers), 30)
                if status != want:
                    soak.fail(f"keep-alive: answered {status} where {want} was due")
                    return f"wrong status {status}"
        closed_after = await until_closed(reader, soak.args.idle_timeout + 5) if soak.args.idle_timeout > 0 else 0
        if closed_after is None:
            soak.fail(f"keep-alive: an idle connection was still open after {soak.args.idle_timeout + 5:g} s")
            return "held open"
        return "5 answers, then closed when idle"
    finally:
        writer.close()


HOSTILE_KINDS = {
    "half-open headers": half_open_headers,
    "half-open body": half_open_body,
    "dropped mid-stream": dropped_mid_stream,
    "dropped after sending": dropped_after_sending,
    "garbage": garbage,
    "oversize body": oversize_body,
    "invalid UTF-8": invalid_utf8,
    "malformed JSON": malformed_json,
    "over-long prompt": over_long_prompt,
    "keep-alive and pipelining": keep_alive_mix,
}


async def hostile_clients(soak):
    """Starts one hostile connection every 1/rate seconds, the kinds in turn (a seeded shuffle)."""
    rng = random.Random(soak.args.seed)
    kinds = list(HOSTILE_KINDS)
    tasks = []
    turn = 0
    while soak.loading() and soak.args.hostile_rate > 0:
        if turn % len(kinds) == 0:
            rng.shuffle(kinds)
        kind = kinds[turn % len(kinds)]
        turn += 1
        tasks.append(asyncio.ensure_future(run_hostile(soak, kind, random.Random(rng.random()))))
        await asyncio.sleep(1 / soak.args.hostile_rate)
    await asyncio.gather(*tasks)


async def run_hostile(soak, kind, rng):
    try:
        label = await HOSTILE_KINDS[kind](soak, rng)
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, TimeoutError, ProtocolError) as error:
        # A refused connect or a reset on a hostile socket is the server defending itself, unless
        # the server is gone, which the health checks report.
        label = f"{type(error).__name__}"
    soak.hostile[kind][label] += 1


async def bursts(soak):
    """Every --burst-every seconds, --burst-size requests at once (half streamed): each is answered
    200 or refused 429, none hangs."""
    if soak.args.burst_every <= 0:
        return
    while soak.loading():
        await asyncio.sleep(soak.args.burst_every)
        if not soak.loading():
            break
        outcomes = await asyncio.gather(*(burst_request(soak, i) for i in range(soak.args.burst_size)))
        soak.burst_outcomes.update(outcomes)


async def burst_request(soak, index):
    streamed = index % 2 == 1
    body = json.dumps({"messages": [{"role": "user", "content": f"Burst {index}: who goes there?"}],
                       "max_tokens": 4, "temperature": 0, "stream": streamed}).encode()
    try:
        if streamed:
            result = await asyncio.wait_for(stream_chat(soak, body), soak.args.request_timeout)
            status, ok = result.status, result.done and result.finish_reason is not None
            error = result.error
        else:
            status, answer = await simple_request(soak, "POST", "/v1/chat/completions", body, soak.args.request_timeout)
            ok = status == 200 and json.loads(answer)["choices"][0]["finish_reason"] is not None
            error = openai_error(answer) if status != 200 else None
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ProtocolError, ValueError, KeyError) as e:
        soak.fail(f"burst request {index}: {type(e).__name__}: {e}")
        return "failed"
    if status == 200 and not ok:
        soak.fail(f"burst request {index}: 200 without a finish_reason")
    if status in REFUSALS and error is None:
        soak.fail(f"burst request {index}: {status} without an OpenAI error body")
    if status not in (200, *REFUSALS):
        soak.fail(f"burst request {index}: answered {status} {error}")
    return status


# MARK: - Watching the server

@dataclass
class Sample:
    t: float
    rss: int = None
    fds: int = None
    threads: int = None
    gpu: float = None


async def watch(soak):
    """Every 2 s: /health must answer within 10 s; RSS, sockets, threads from /proc; GPU bytes from /metrics."""
    while not soak.finished:
        sample = Sample(time.monotonic() - soak.started)
        if soak.server:
            numbers = proc_numbers(soak.server.pid)
            if numbers is None or not soak.server.alive():
                soak.fail(f"the server process is gone at t={sample.t:.0f} s:\n{soak.server.stderr_text()}")
                return
            sample.rss, sample.fds, sample.threads = numbers
        try:
            status, _ = await simple_request(soak, "GET", "/health", timeout=10)
            if status != 200:
                soak.fail(f"/health answered {status} at t={sample.t:.0f} s")
            sample.gpu = (await scrape_metrics(soak)).get("gptoss_gpu_memory_bytes")
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ProtocolError) as error:
            soak.fail(f"/health or /metrics did not answer at t={sample.t:.0f} s: {type(error).__name__} {error}")
        soak.samples.append(sample)
        await asyncio.sleep(2)


async def scrape_metrics(soak):
    """The unlabelled samples of /metrics as {name: value}."""
    status, body = await simple_request(soak, "GET", "/metrics", timeout=10)
    values = {}
    for line in body.decode().splitlines():
        match = re.fullmatch(r"([a-z_]+) ([0-9.e+-]+)", line)
        if match:
            values[match.group(1)] = float(match.group(2))
    return values


def check_flat(soak, name, values, unit=MIB):
    """After the warm-up nothing may exceed the warm-up's peak by more than the slack: under the
    same load a server that frees what it allocates plateaus once every code path (all slots busy,
    every hostile kind, a burst) has run, while a leak keeps climbing with requests."""
    baseline = max((v for t, v in values if t <= soak.args.warmup), default=None)
    later = [v for t, v in values if t > soak.args.warmup]
    if baseline is None or not later:
        return None
    slack = max(soak.args.memory_slack_mib * MIB, baseline * soak.args.memory_slack_percent / 100)
    if max(later) > baseline + slack:
        soak.fail(f"{name} grew after the warm-up: {baseline / unit:.1f} → {max(later) / unit:.1f} MiB "
                  f"(allowed +{slack / unit:.1f})")
    return baseline


async def settle(soak):
    """Once every client has gone: no sequence, queue entry or KV position may remain, and the
    server's sockets must fall back to what it had before the load."""
    deadline = time.monotonic() + 30
    metrics = {}
    while time.monotonic() < deadline:
        try:
            metrics = await scrape_metrics(soak)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ProtocolError) as error:
            soak.fail(f"/metrics did not answer after the load: {type(error).__name__} {error}")
            return {}, None
        numbers = proc_numbers(soak.server.pid) if soak.server else None
        idle = (metrics.get("gptoss_active_sequences") == 0 and metrics.get("gptoss_queue_depth") == 0
                and metrics.get("gptoss_kv_used_tokens") == 0)
        sockets_back = numbers is None or numbers[1] <= soak.idle_fds + 4
        if idle and sockets_back:
            return metrics, numbers
        await asyncio.sleep(1)
    soak.fail(f"30 s after the last client: active {metrics.get('gptoss_active_sequences')}, queued "
              f"{metrics.get('gptoss_queue_depth')}, KV positions {metrics.get('gptoss_kv_used_tokens')}, "
              f"open fds {numbers[1] if numbers else '?'} (before the load: {soak.idle_fds})")
    return metrics, numbers


# MARK: - The run

class Soak:
    def __init__(self, args):
        self.args = args
        self.prompts = make_prompts(args.prompts)
        self.failures = []
        self.server = None
        self.started = 0
        self.load_ends = 0
        self.finished = False
        self.idle_fds = None
        self.samples = []
        self.ok = 0
        self.refused = Counter()
        self.completion_tokens = 0
        self.latencies = []
        self.first_token_latencies = []
        self.answers = {}           # prompt index → (content, reasoning, finish_reason) of its first answer
        self.repeats_matched = 0
        self.stream_ids = set()
        self.model_name = None
        self.hostile = defaultdict(Counter)
        self.burst_outcomes = Counter()

    def loading(self):
        return time.monotonic() < self.load_ends and not self.failed_fatally()

    def failed_fatally(self):
        return self.server is not None and not self.server.alive()

    def fail(self, message):
        if len(self.failures) < 200:
            self.failures.append(message)
        print(f"FAIL: {message}", file=sys.stderr, flush=True)

    def check_stream(self, client, prompt, result, seconds):
        where = f"stream client {client}, prompt {prompt.index}"
        if result.status in REFUSALS:
            self.refused[result.status] += 1
            if result.error is None:
                self.fail(f"{where}: {result.status} without an OpenAI error body")
            return
        if result.status != 200:
            self.fail(f"{where}: answered {result.status} {result.error}")
            return
        problems = []
        if not result.done:
            problems.append("no [DONE]")
        if result.finish_reason not in ("stop", "length"):
            problems.append(f"finish_reason {result.finish_reason!r}")
        if len(result.ids) != 1:
            problems.append(f"chunks with {len(result.ids)} ids")
        elif result.ids & self.stream_ids:
            problems.append(f"id {next(iter(result.ids))} was used by another stream")
        if result.models != {self.model_name}:
            problems.append(f"model {result.models}, /v1/models says {self.model_name!r}")
        usage = result.usage or {}
        if not 1 <= usage.get("completion_tokens", 0) <= prompt.max_tokens:
            problems.append(f"usage {usage} for max_tokens {prompt.max_tokens}")
        if problems:
            self.fail(f"{where}: " + "; ".join(problems))
            return
        self.stream_ids |= result.ids
        answer = (result.content, result.reasoning, result.finish_reason)
        first = self.answers.setdefault(prompt.index, answer)
        if first is not answer:
            if answer != first:
                self.fail(f"{where}: the answer differs from this prompt's first one (a sequence mixed with "
                          f"another?): {answer[:2]!r} vs {first[:2]!r}")
                return
            self.repeats_matched += 1
        self.ok += 1
        self.completion_tokens += usage["completion_tokens"]
        self.latencies.append(seconds)
        if result.first_token_seconds is not None:
            self.first_token_latencies.append(result.first_token_seconds)

    async def run(self):
        if self.args.url:
            parsed = urlparse(self.args.url)
            self.host, self.port = parsed.hostname, parsed.port or 80
        else:
            self.server = ServerProcess(self.args)
            await self.server.start()
            parsed = urlparse(self.server.url)
            self.host, self.port = parsed.hostname, parsed.port
        try:
            await self.load()
        finally:
            self.finished = True
            if self.server:
                await self.stop_server()
                if self.args.server_log:
                    Path(self.args.server_log).write_text("".join(self.server.stderr_lines))

    async def load(self):
        status, models = await simple_request(self, "GET", "/v1/models")
        if status != 200:
            raise SystemExit(f"error: GET /v1/models answered {status}: {models[:200]!r}")
        self.model_name = json.loads(models)["data"][0]["id"]
        if self.server:
            self.idle_fds = proc_numbers(self.server.pid)[1]
        self.started = time.monotonic()
        self.load_ends = self.started + self.args.duration
        watcher = asyncio.ensure_future(watch(self))
        await asyncio.gather(*(chat_client(self, c) for c in range(self.args.streams)), hostile_clients(self), bursts(self))
        self.wall = time.monotonic() - self.started
        self.end_metrics, self.end_numbers = await settle(self)
        self.finished = True
        await watcher

    async def stop_server(self):
        status = await self.server.stop(timeout=60)
        if status != 0:
            self.fail(f"the server exited with {status} after SIGTERM (0 expected; None: killed after 60 s):\n"
                      + self.server.stderr_text())

    def summary(self):
        s = self.args
        rss = [(x.t, x.rss) for x in self.samples if x.rss is not None]
        gpu = [(x.t, x.gpu) for x in self.samples if x.gpu is not None]
        rss_base = check_flat(self, "server RSS", rss)
        gpu_base = check_flat(self, "GPU memory", gpu)
        if self.ok == 0:
            self.fail("no well-formed request was answered")
        if self.repeats_matched == 0 and self.ok > len(self.prompts):
            self.fail("no prompt was answered twice: nothing checked that sequences stay apart")
        refusals = sum(self.refused.values()) + sum(n for status, n in self.burst_outcomes.items() if status in REFUSALS)
        if refusals == 0 and max(s.streams, s.burst_size if s.burst_every > 0 else 0) > s.parallel + s.queue:
            self.fail(f"no request was refused although {s.streams} clients and bursts of {s.burst_size} "
                      f"exceed {s.parallel} slots + {s.queue} queued")
        return {
            "duration_s": s.duration, "wall_s": round(self.wall, 1), "streams": s.streams,
            "parallel": s.parallel, "queue": s.queue,
            "streams_ok": self.ok, "repeats_matching_first_answer": self.repeats_matched,
            "distinct_prompts_answered": len(self.answers), "refused": dict(self.refused),
            "completion_tokens": self.completion_tokens,
            "tokens_per_second": round(self.completion_tokens / self.wall, 2),
            "latency_s": percentiles(self.latencies), "first_token_s": percentiles(self.first_token_latencies),
            "bursts": {str(k): v for k, v in sorted(self.burst_outcomes.items(), key=str)},
            "hostile": {kind: dict(labels) for kind, labels in sorted(self.hostile.items())},
            "rss_mib": series(rss, rss_base, MIB), "rss_mib_timeline": timeline(rss, MIB),
            "gpu_mib": series(gpu, gpu_base, MIB),
            "fds": series([(x.t, x.fds) for x in self.samples if x.fds is not None], None, 1)
            | {"idle_before": self.idle_fds, "after": self.end_numbers[1] if self.end_numbers else None},
            "threads": series([(x.t, x.threads) for x in self.samples if x.threads is not None], None, 1),
            "failures": len(self.failures),
        }


def percentiles(values):
    if not values:
        return None
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"p50": round(statistics.median(ordered), 2), "p99": round(pick(0.99), 2), "max": round(ordered[-1], 2)}


def series(values, warm, unit):
    if not values:
        return None
    numbers = [v for _, v in values]
    shown = lambda v: round(v / unit, 1) if unit != 1 else int(v)
    out = {"start": shown(numbers[0]), "end": shown(numbers[-1]), "max": shown(max(numbers))}
    if warm is not None:
        out["after_warmup_baseline"] = shown(warm)
    return out


def timeline(values, unit, points=11):
    """(seconds, value) at evenly spaced samples from start to end: a leak shows as a climb."""
    if not values:
        return None
    picks = sorted({round(i * (len(values) - 1) / (points - 1)) for i in range(points)})
    return [(int(values[i][0]), round(values[i][1] / unit, 1)) for i in picks]


def print_summary(summary, failures):
    print("\nsoak summary")
    for key, value in summary.items():
        if key == "hostile":
            print("  hostile:")
            for kind, labels in value.items():
                print(f"    {kind}: " + ", ".join(f"{label} ×{count}" for label, count in sorted(labels.items())))
        else:
            print(f"  {key}: {value}")
    for failure in failures:
        print(f"FAILURE: {failure}")
    print("soak: " + ("PASS" if not failures else f"FAIL ({len(failures)} failures)"))


def main():
    args = parse_arguments()
    soak = Soak(args)
    asyncio.run(soak.run())
    summary = soak.summary()
    print_summary(summary, soak.failures)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    sys.exit(1 if soak.failures else 0)


if __name__ == "__main__":
    main()
