#!/usr/bin/env python3
"""Held-out perplexity of the bundled model measured by gptoss-gl (issue 7), to set beside the
PyTorch number in Assets/models/gptoss-shakespeare-perplexity.json: the same sequences, the same
scored positions (p >= assistant_start, scored by logits[p-1]), logits from `gptoss-gl logits`.

usage: scripts/engine_perplexity.py BINARY [--limit N]
"""
import argparse, json, math, pathlib, subprocess, tempfile
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--limit", type=int, default=None, help="score only the first N sequences")
args = parser.parse_args()
assets = pathlib.Path("Assets/models")
heldout = json.loads((assets / "gptoss-shakespeare-heldout.json").read_text())["sequences"][: args.limit]
torch_run = json.loads((assets / "gptoss-shakespeare-perplexity.json").read_text())

nll, count, torch_nll = 0.0, 0, 0.0
with tempfile.TemporaryDirectory() as tmp:
    out = pathlib.Path(tmp) / "logits.npy"
    for index, seq in enumerate(heldout):
        tokens, start = seq["tokens"], seq["assistant_start"]
        subprocess.run([args.binary, "logits", "--model", str(assets / "gptoss-shakespeare.gguf"), "--quiet",
                        "--context", str(len(tokens)), "--tokens", ",".join(map(str, tokens)), "--out", str(out)],
                       check=True, capture_output=True)
        logits = np.load(out).astype(np.float64)
        shifted = logits - logits.max(axis=1, keepdims=True)
        logprobs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        seq_nll = -sum(logprobs[p - 1, tokens[p]] for p in range(start, len(tokens)))
        nll += seq_nll
        count += len(tokens) - start
        reference = torch_run["per_sequence"][index]
        torch_nll += reference["nll_sum"]
        print(f"seq {index:2d}: gptoss-gl nll {seq_nll:9.3f}  pytorch {reference['nll_sum']:9.3f}  ({len(tokens) - start} tokens)")

engine_ppl, torch_ppl = math.exp(nll / count), math.exp(torch_nll / count)
print(f"{len(heldout)} sequences, {count} scored tokens")
print(f"perplexity: gptoss-gl {engine_ppl:.3f}, pytorch {torch_ppl:.3f} (relative difference {abs(engine_ppl / torch_ppl - 1):.2e})")
