"""Answers a prompt with a gpt-oss GGUF through PyTorch: the reference for what the engine's
`generate` should produce from the bundled demo model.

The prompt is rendered as Harmony (default system message with `--reasoning`, low by default as in
`gptoss-gl generate`; the user's text, then `<|start|>assistant`) and encoded with the file's own tokenizer (tokens + merges; BPE by merge
rank as in scripts/demo_tokenizer.py).

    python3 scripts/sample_demo_model.py Assets/models/gptoss-shakespeare.gguf --prompt "ROMEO:" [--greedy] [--reasoning medium]
"""
from __future__ import annotations

import argparse
import os
import sys

import regex
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_tokenizer  # noqa: E402
from gptoss_gguf_export import gpt2_byte_to_unicode  # noqa: E402
from measure_perplexity import load_model  # noqa: E402

SYSTEM = ("You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\n\n"
          "Reasoning: {reasoning}\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.")


class FileTokenizer:
    def __init__(self, path: str):
        import gguf

        reader = gguf.GGUFReader(path)
        tokens = reader.fields["tokenizer.ggml.tokens"].contents()
        char_byte = {c: b for b, c in gpt2_byte_to_unicode().items()}
        self.special = {t: i for i, t in enumerate(tokens) if t.startswith("<|") and t.endswith("|>")}
        self.bytes_of = [b"" if i in self.special.values() else bytes(char_byte[c] for c in t) for i, t in enumerate(tokens)]
        self.ranks = {b: i for i, b in enumerate(self.bytes_of) if b}

    def encode_text(self, text: str) -> list[int]:
        ids = []
        for piece in regex.findall(demo_tokenizer.O200K_PATTERN, text):
            ids.extend(self.ranks[p] for p in demo_tokenizer.bpe(piece.encode("utf-8"), self.ranks))
        return ids

    def harmony_prompt(self, user: str, reasoning: str) -> list[int]:
        s = self.special
        system = SYSTEM.format(reasoning=reasoning)
        return ([s["<|start|>"]] + self.encode_text("system") + [s["<|message|>"]] + self.encode_text(system)
                + [s["<|end|>"], s["<|start|>"]] + self.encode_text("user") + [s["<|message|>"]]
                + self.encode_text(user) + [s["<|end|>"], s["<|start|>"]] + self.encode_text("assistant"))

    def decode(self, ids: list[int]) -> str:
        names = {i: t for t, i in self.special.items()}
        return "".join(names.get(i) or self.bytes_of[i].decode("utf-8", errors="replace") for i in ids)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--prompt", default="ROMEO:")
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--greedy", action="store_true")
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--top-k", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reasoning", choices=["low", "medium", "high"], default="low",
                    help="the system message's reasoning level; medium and high make the model write an analysis message first")
    args = ap.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    tok = FileTokenizer(args.model)
    model, _ = load_model(args.model)
    prompt = tok.harmony_prompt(args.prompt, args.reasoning)
    stops = {tok.special["<|return|>"], tok.special["<|call|>"]}
    torch.manual_seed(args.seed)
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt]), max_new_tokens=args.max_tokens, do_sample=not args.greedy,
                             temperature=args.temperature, top_k=args.top_k, eos_token_id=sorted(stops),
                             pad_token_id=tok.special["<|endoftext|>"])
    new = out[0, len(prompt):].tolist()
    print(f"prompt ids ({len(prompt)}): {prompt}")
    print(f"reply ids: {new}")
    print(tok.decode(new))


if __name__ == "__main__":
    main()
