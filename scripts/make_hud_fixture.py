#!/usr/bin/env python3
"""Writes the canned telemetry logs the HUD snapshot tests replay (Tests/HUDTests/Fixtures).

Usage: scripts/make_hud_fixture.py [OUT_DIR]   (default Tests/HUDTests/Fixtures)

run.jsonl   a gpt-oss-20b load on an H100-class GPU (the real tensor table: names, shapes,
            types and sizes), then a Harmony answer of ~50 tokens with router choices, top-5,
            entropy, KV use and attention summaries.
error.jsonl the same model on llvmpipe, failing with out-of-GPU-memory part way through upload.
speculation.jsonl  the H100 load, then an answer with speculative decoding: each verification
            step's `speculation` event and the accepted draft tokens (`drafted: true`).
sessions.jsonl     `gptoss-gl server` on the H100: five requests on four slots (one waits),
            their tokens tagged with `sequence`, a `sessions` table ten times a second.

Token ids and pieces come from the o200k vocabulary in Assets/tokenizer (tiktoken 0.14), with
the Harmony special tokens at their gpt-oss ids. Everything else is drawn from a seeded RNG, so
the output is the same on every run. The format is the one Sources/Telemetry writes: one JSON
object a line, "t" (seconds) and "event" first-class, the payload's fields beside them.
"""
import json
import math
import os
import random
import sys

import tiktoken
from tiktoken.load import load_tiktoken_bpe

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPECIAL = {"<|start|>": 200006, "<|end|>": 200007, "<|message|>": 200008, "<|channel|>": 200005,
           "<|return|>": 200002}
LAYERS, EXPERTS, TOP_EXPERTS, HEADS = 24, 32, 4, 64
BLOCK_BYTES = {"q8_0": (32, 34), "mxfp4": (32, 17), "f32": (1, 4)}


def tensor_table():
    """(name, type, shape) in the order a GGUF file of gpt-oss-20b lists them."""
    table = [("token_embd.weight", "q8_0", [2880, 201088])]
    for layer in range(LAYERS):
        p = f"blk.{layer}."
        table += [
            (p + "attn_norm.weight", "f32", [2880]),
            (p + "attn_q.weight", "q8_0", [2880, 4096]), (p + "attn_q.bias", "f32", [4096]),
            (p + "attn_k.weight", "q8_0", [2880, 512]), (p + "attn_k.bias", "f32", [512]),
            (p + "attn_v.weight", "q8_0", [2880, 512]), (p + "attn_v.bias", "f32", [512]),
            (p + "attn_output.weight", "q8_0", [4096, 2880]), (p + "attn_output.bias", "f32", [2880]),
            (p + "attn_sinks.weight", "f32", [64]),
            (p + "post_attention_norm.weight", "f32", [2880]),
            (p + "ffn_gate_inp.weight", "f32", [2880, EXPERTS]), (p + "ffn_gate_inp.bias", "f32", [EXPERTS]),
            (p + "ffn_gate_exps.weight", "mxfp4", [2880, 2880, EXPERTS]), (p + "ffn_gate_exps.bias", "f32", [2880, EXPERTS]),
            (p + "ffn_up_exps.weight", "mxfp4", [2880, 2880, EXPERTS]), (p + "ffn_up_exps.bias", "f32", [2880, EXPERTS]),
            (p + "ffn_down_exps.weight", "mxfp4", [2880, 2880, EXPERTS]), (p + "ffn_down_exps.bias", "f32", [2880, EXPERTS]),
        ]
    table += [("output_norm.weight", "f32", [2880]), ("output.weight", "q8_0", [2880, 201088])]
    return table


def nbytes(kind, shape):
    per_block, block_bytes = BLOCK_BYTES[kind]
    return math.prod(shape) // per_block * block_bytes


class Log:
    def __init__(self):
        self.lines = []

    def emit(self, t, event, **fields):
        self.lines.append(json.dumps({"t": round(t, 4), "event": event, **fields}, sort_keys=True, ensure_ascii=False))

    def write(self, path):
        with open(path, "w", encoding="utf-8") as out:
            out.write("\n".join(self.lines) + "\n")


def emit_load(log, rng, limits, kernels, bandwidth, fail_at=None):
    """Returns the time the load ended (or failed)."""
    table = tensor_table()
    total = sum(nbytes(k, s) for _, k, s in table)
    log.emit(0.0, "session", tool="gptoss-gl 0.1.0", model="gpt-oss-20b (MXFP4)",
             source="https://models.example/gpt-oss-20b-mxfp4.gguf")
    log.emit(0.002, "stage", stage="gguf_parse", status="started")
    log.emit(0.121, "load_plan", tensorCount=len(table), totalBytes=total, architecture="gpt-oss",
             layers=LAYERS, experts=EXPERTS)
    log.emit(0.122, "stage", stage="gguf_parse", status="completed", bytes=13_541_376, durationMs=120.4)
    budget = limits.pop("budget")
    log.emit(0.130, "limits", **limits)
    for op in kernels:
        log.emit(0.131, "kernel_mode", op=op)
    t = 0.14
    log.emit(t, "stage", stage="weights_fetch", status="started")
    log.emit(t, "stage", stage="gpu_upload", status="started")
    in_use = resident = moved = 0
    for name, kind, shape in table:
        size = nbytes(kind, shape)
        fetch_ms = size / bandwidth * 1000 * rng.uniform(0.85, 1.2) + rng.uniform(0.05, 0.4)
        t += fetch_ms / 1000
        log.emit(t, "tensor_fetched", name=name, type=kind, shape=shape, bytes=size, ms=round(fetch_ms, 3))
        moved += size
        if fail_at is not None and moved > fail_at * total:
            t += 0.004
            message = (f"out of GPU memory uploading {name} ({size} bytes) with {in_use} bytes already in use; "
                       "try a smaller model or a GPU with more memory")
            log.emit(t, "stage", stage="gpu_upload", status="failed", bytes=in_use, durationMs=round((t - 0.14) * 1000, 1),
                     message=message)
            log.emit(t, "error", message=message, stage="gpu_upload")
            return t
        upload_ms = size / (bandwidth * 2.5) * 1000 + rng.uniform(0.02, 0.2)
        t += upload_ms / 1000
        log.emit(t, "tensor_uploaded", name=name, type=kind, shape=shape, bytes=size, ms=round(upload_ms, 3))
        in_use += size
        resident += 1
        log.emit(t, "gpu_allocation", label=name, bytes=size)
        log.emit(t, "gpu_memory", inUseBytes=in_use, budgetBytes=budget, residentTensors=resident)
    log.emit(t, "stage", stage="weights_fetch", status="completed", bytes=total, durationMs=round((t - 0.14) * 1000, 1))
    log.emit(t, "stage", stage="gpu_upload", status="completed", bytes=in_use, durationMs=round((t - 0.14) * 1000, 1))
    log.emit(t + 0.001, "stage", stage="runtime", status="started")
    kv = 2 * LAYERS * 8 * 64 * 4 * 4096
    log.emit(t + 0.050, "gpu_allocation", label="kv_cache", bytes=kv)
    log.emit(t + 0.051, "gpu_allocation", label="scratch", bytes=48 << 20)
    in_use += kv + (48 << 20)
    log.emit(t + 0.052, "gpu_memory", inUseBytes=in_use, budgetBytes=budget, residentTensors=resident)
    log.emit(t + 0.180, "stage", stage="runtime", status="completed", durationMs=179.0)
    return t + 0.180


def emit_generation(log, rng, start):
    ranks = load_tiktoken_bpe(os.path.join(ROOT, "Assets/tokenizer/o200k_base.tiktoken"))
    encoding = tiktoken.Encoding("o200k_base", pat_str=r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
                                 mergeable_ranks=ranks, special_tokens={})
    vocabulary = [p.decode("ascii") for p in list(ranks)[1000:8000] if p.isascii() and p.decode("ascii").isprintable()]

    def pieces(text):
        return [(i, encoding.decode_single_token_bytes(i).decode("utf-8", "replace")) for i in encoding.encode(text)]

    answer = ([("<|channel|>", "other"), ("analysis", "other"), ("<|message|>", "other")]
              + [(p, "analysis") for p in pieces("User wants a haiku about GPUs. Keep it short, vivid.")]
              + [("<|end|>", "other"), ("<|start|>", "other"), ("assistant", "other"), ("<|channel|>", "other"),
                 ("final", "other"), ("<|message|>", "other")]
              + [(p, "final") for p in pieces("Silicon rivers\nthousands of cores hum in time\nlight becomes thought")]
              + [("<|return|>", "other")])
    prompt_tokens = 87
    t = start + 0.002
    log.emit(t, "note", message=f"prompt: {prompt_tokens} tokens")
    log.emit(t, "stage", stage="prefill", status="started")
    t += 0.412
    log.emit(t, "throughput", stage="prefill", tokens=prompt_tokens, tokensPerSecond=round(prompt_tokens / 0.412, 2))
    log.emit(t, "stage", stage="prefill", status="completed", durationMs=412.0)
    log.emit(t + 0.001, "stage", stage="decode", status="started")
    decode_start = t
    hits = misses = 0
    for index, (piece, channel) in enumerate(answer):
        t += rng.uniform(0.032, 0.046)
        position = prompt_tokens + index
        for layer in range(LAYERS):
            experts = rng.sample(range(EXPERTS), TOP_EXPERTS)
            weights = sorted((rng.random() for _ in experts), reverse=True)
            norm = sum(weights)
            log.emit(t, "router", layer=layer, experts=experts, weights=[round(w / norm, 4) for w in weights])
            for _ in experts:
                if rng.random() < 0.93:
                    hits += 1
                else:
                    misses += 1
        log.emit(t, "expert_cache", hits=hits, misses=misses)
        columns = list(range(max(0, position - 31), position + 1))
        weights = []
        for head in range(8):
            focus = rng.choice(columns)
            row = [math.exp(-abs(c - focus) / rng.uniform(1.5, 6)) + (0.6 if c == position else 0) for c in columns]
            s = sum(row)
            weights += [round(v / s, 4) for v in row]
        log.emit(t, "attention", layer=LAYERS - 1, heads=8, positions=columns, weights=weights)
        log.emit(t, "kv_cache", usedTokens=position + 1, capacityTokens=4096, bytes=(position + 1) * LAYERS * 2 * 8 * 64 * 4)
        if isinstance(piece, tuple):
            token_id, text = piece
        else:
            token_id, text = SPECIAL.get(piece) or encoding.encode(piece)[0], piece
        chosen = rng.uniform(0.35, 0.97) if channel != "other" else rng.uniform(0.97, 0.9999)
        rest = [rng.random() for _ in range(4)]
        scale = (1 - chosen) * rng.uniform(0.6, 0.95) / sum(rest)
        others = sorted((r * scale for r in rest), reverse=True)
        top = [{"id": token_id, "text": text, "probability": round(chosen, 4)}]
        for p in others:
            candidate = rng.choice(vocabulary)
            top.append({"id": encoding.encode(candidate)[0] if candidate.strip() else 220, "text": candidate, "probability": max(1e-4, round(p, 4))})
        top.sort(key=lambda c: -c["probability"])
        tail = 1 - sum(c["probability"] for c in top)
        entropy = -sum(c["probability"] * math.log(c["probability"]) for c in top) + (tail * (math.log(1e5) - math.log(max(tail, 1e-9))) if tail > 0 else 0)
        log.emit(t, "token", position=position, id=token_id, text=text, channel=channel, top=top, entropy=round(entropy, 4))
        log.emit(t, "throughput", stage="decode", tokens=index + 1, tokensPerSecond=round((index + 1) / (t - decode_start), 2))
    log.emit(t + 0.001, "stage", stage="decode", status="completed", durationMs=round((t - decode_start) * 1000, 1))


H100_LIMITS = {"renderer": "NVIDIA H100 80GB HBM3/PCIe/SSE2", "version": "OpenGL ES 3.2 NVIDIA 580.65.06",
               "entries": [{"key": "max_buffer_bytes", "value": str(80 << 30)},
                           {"key": "max_storage_block_bytes", "value": str((2 << 30) - 1)},
                           {"key": "storage_blocks_per_shader", "value": "16"},
                           {"key": "max_workgroup_invocations", "value": "1024"},
                           {"key": "shared_memory_bytes", "value": str(48 << 10)},
                           {"key": "f16", "value": "yes"}, {"key": "subgroups", "value": "yes 32"}],
               "budget": 80 << 30}
LLVMPIPE_LIMITS = {"renderer": "llvmpipe (LLVM 15.0.6, 256 bits)", "version": "OpenGL ES 3.2 Mesa 22.3.6",
                   "entries": [{"key": "max_buffer_bytes", "value": str(4 << 30)},
                               {"key": "max_storage_block_bytes", "value": str(128 << 20)},
                               {"key": "storage_blocks_per_shader", "value": "16"},
                               {"key": "f16", "value": "no"}, {"key": "subgroups", "value": "no"}],
                   "budget": 4 << 30}
# The kernel families the model reports (Sources/Kernels' table); every one runs on the GPU.
GPU_KERNELS = ["embedding", "rmsnorm", "matmul", "rope", "kv_append", "attention_decode", "attention_prefill", "router", "moe", "sampling"]
FALLBACK_KERNELS = GPU_KERNELS


class Tokens:
    """o200k pieces and the sampler's view of a chosen token (top-5, entropy), as the HUD sees it."""

    def __init__(self, rng):
        self.rng = rng
        ranks = load_tiktoken_bpe(os.path.join(ROOT, "Assets/tokenizer/o200k_base.tiktoken"))
        self.encoding = tiktoken.Encoding("o200k_base", pat_str=r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
                                      mergeable_ranks=ranks, special_tokens={})
        self.vocabulary = [p.decode("ascii") for p in list(ranks)[1000:8000] if p.isascii() and p.decode("ascii").isprintable()]

    def pieces(self, text):
        return [(i, self.encoding.decode_single_token_bytes(i).decode("utf-8", "replace")) for i in self.encoding.encode(text)]

    def sample(self, position, token_id, text, channel, confident=False):
        rng = self.rng
        chosen = rng.uniform(0.9, 0.99) if confident else rng.uniform(0.35, 0.97)
        rest = [rng.random() for _ in range(4)]
        scale = (1 - chosen) * rng.uniform(0.6, 0.95) / sum(rest)
        top = [{"id": token_id, "text": text, "probability": round(chosen, 4)}]
        for p in sorted((r * scale for r in rest), reverse=True):
            candidate = rng.choice(self.vocabulary)
            top.append({"id": self.encoding.encode(candidate)[0] if candidate.strip() else 220, "text": candidate,
                        "probability": max(1e-4, round(p, 4))})
        top.sort(key=lambda c: -c["probability"])
        tail = 1 - sum(c["probability"] for c in top)
        entropy = -sum(c["probability"] * math.log(c["probability"]) for c in top) + (tail * (math.log(1e5) - math.log(max(tail, 1e-9))) if tail > 0 else 0)
        return {"position": position, "id": token_id, "text": text, "channel": channel, "top": top, "entropy": round(entropy, 4)}


def emit_router(log, rng, t, hits_misses):
    for layer in range(LAYERS):
        experts = rng.sample(range(EXPERTS), TOP_EXPERTS)
        weights = sorted((rng.random() for _ in experts), reverse=True)
        norm = sum(weights)
        log.emit(t, "router", layer=layer, experts=experts, weights=[round(w / norm, 4) for w in weights])
        for _ in experts:
            hits_misses[0 if rng.random() < 0.9 else 1] += 1
    log.emit(t, "expert_cache", hits=hits_misses[0], misses=hits_misses[1])


def emit_speculative(log, rng, start):
    """A final-channel answer decoded with a drafter: per step 4 drafted, some accepted."""
    tokens = Tokens(rng)
    answer = tokens.pieces("The GPU verifies four drafted tokens at once; when the drafter guesses well, "
                           "several tokens land in a single step and decoding runs faster than one by one.")
    prompt_tokens = 64
    t = start + 0.002
    log.emit(t, "note", message=f"prompt: {prompt_tokens} tokens, speculative k=4")
    log.emit(t, "stage", stage="prefill", status="started")
    t += 0.3
    log.emit(t, "throughput", stage="prefill", tokens=prompt_tokens, tokensPerSecond=round(prompt_tokens / 0.3, 2))
    log.emit(t, "stage", stage="prefill", status="completed", durationMs=300.0)
    log.emit(t + 0.001, "stage", stage="decode", status="started")
    decode_start = t
    hits_misses = [0, 0]
    index = 0
    while index < len(answer):
        t += rng.uniform(0.05, 0.07)
        position = prompt_tokens + index
        accepted = min(rng.choice([0, 1, 2, 3, 3, 4, 4]), len(answer) - index - 1)
        log.emit(t, "speculation", position=position, drafted=4, accepted=accepted)
        emit_router(log, rng, t, hits_misses)
        for step in range(accepted + 1):
            token_id, text = answer[index]
            sample = tokens.sample(prompt_tokens + index, token_id, text, "final", confident=step < accepted)
            if step < accepted:
                sample["drafted"] = True
            log.emit(t, "token", **sample)
            index += 1
        log.emit(t, "kv_cache", usedTokens=prompt_tokens + index, capacityTokens=4096,
                 bytes=(prompt_tokens + index) * LAYERS * 2 * 8 * 64 * 4)
        log.emit(t, "throughput", stage="decode", tokens=index, tokensPerSecond=round(index / (t - decode_start), 2))
    log.emit(t + 0.001, "stage", stage="decode", status="completed", durationMs=round((t - decode_start) * 1000, 1))


def emit_server(log, rng, start):
    """Five requests on four slots: each prefills two steps, then decodes a token a step;
    the fifth waits for the first slot that frees. A sessions table every 0.1 s."""
    tokens = Tokens(rng)
    answers = ["Shall I compare thee to a summer's day? Thou art more lovely and more temperate.",
               "A matrix multiply is a sum of products; the GPU runs thousands of them at once.",
               "Rain on the window, tea on the stove, and a long book waiting by the lamp.",
               "To be, or not to be, that is the question.",
               "The expert cache keeps the most used experts of each layer on the GPU."]
    prompts = [42, 17, 88, 23, 31]
    slots, context, step = 4, 4096, 0.028
    log.emit(start + 0.001, "note", message="server: 4 slots, queue 8")
    log.emit(start + 0.002, "stage", stage="decode", status="started")
    pending = list(range(5))
    running = {}   # sequence -> dict
    hits_misses = [0, 0]
    t = start + 0.05
    last_table, tokens_at_table, total_tokens = None, 0, 0
    while pending or running:
        for sequence in list(pending):
            if len(running) < slots:
                free = min(set(range(slots)) - {r["slot"] for r in running.values()})
                running[sequence] = {"slot": free, "prefill": 2, "text": tokens.pieces(answers[sequence]), "done": 0,
                                     "first": None}
                pending.remove(sequence)
        t += step * rng.uniform(0.9, 1.15)
        emit_router(log, rng, t, hits_misses)
        for sequence, run in sorted(running.items()):
            if run["prefill"] > 0:
                run["prefill"] -= 1
                continue
            token_id, text = run["text"][run["done"]]
            sample = tokens.sample(prompts[sequence] + run["done"], token_id, text, "final")
            sample["sequence"] = sequence + 1
            log.emit(t, "token", **sample)
            run["done"] += 1
            total_tokens += 1
            run["first"] = run["first"] or t
        finished = [s for s, r in running.items() if r["done"] == len(r["text"])]
        for sequence in finished:
            del running[sequence]
        if last_table is None or t - last_table >= 0.1 or (not running and not pending):
            rows = []
            for sequence, run in sorted(running.items()):
                state = "prefill" if run["prefill"] > 0 or run["done"] == 0 and run["first"] is None else "decode"
                rate = (run["done"] - 1) / (t - run["first"]) if run["first"] and t > run["first"] and run["done"] > 1 else 0
                rows.append({"sequence": sequence + 1, "slot": run["slot"], "promptTokens": prompts[sequence],
                             "tokens": run["done"], "tokensPerSecond": round(rate, 2),
                             "kvUsedTokens": 0 if state == "prefill" else prompts[sequence] + run["done"], "state": state})
            for sequence in pending:
                rows.append({"sequence": sequence + 1, "promptTokens": prompts[sequence], "tokens": 0,
                             "tokensPerSecond": 0, "kvUsedTokens": 0, "state": "queued"})
            rate = (total_tokens - tokens_at_table) / (t - last_table) if last_table is not None else 0
            log.emit(t, "sessions", rows=rows, queued=len(pending), slots=slots, contextPerSequence=context,
                     tokensPerSecond=round(rate, 2))
            last_table, tokens_at_table = t, total_tokens
    log.emit(t + 0.001, "stage", stage="decode", status="completed", durationMs=round((t - start) * 1000, 1))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests/HUDTests/Fixtures")
    rng = random.Random(20251127)
    log = Log()
    end = emit_load(log, rng, dict(H100_LIMITS), GPU_KERNELS, bandwidth=2.0e9)
    emit_generation(log, rng, end)
    log.write(os.path.join(out, "run.jsonl"))
    rng = random.Random(7)
    log = Log()
    emit_load(log, rng, dict(LLVMPIPE_LIMITS), FALLBACK_KERNELS, bandwidth=0.35e9, fail_at=0.38)
    log.write(os.path.join(out, "error.jsonl"))
    rng = random.Random(41)
    log = Log()
    end = emit_load(log, rng, dict(H100_LIMITS), GPU_KERNELS, bandwidth=2.0e9)
    emit_speculative(log, rng, end)
    log.write(os.path.join(out, "speculation.jsonl"))
    rng = random.Random(43)
    log = Log()
    end = emit_load(log, rng, dict(H100_LIMITS), GPU_KERNELS, bandwidth=2.0e9)
    log.lines[0] = log.lines[0].replace('"tool": "gptoss-gl 0.1.0"', '"tool": "gptoss-gl server"')
    emit_server(log, rng, end)
    log.write(os.path.join(out, "sessions.jsonl"))
    print("wrote", out)


if __name__ == "__main__":
    main()
