"""Held-out perplexity of a gpt-oss GGUF, measured by PyTorch on the file's dequantised weights.

Reads the held-out token file written by make_demo_corpus.py (conversations from a play the
demo model never saw, in the GGUF's own token ids), runs transformers' GptOssForCausalLM in
float32 with eager attention, and scores each conversation's assistant reply:

    ppl = exp( sum over sequences and positions p >= assistant_start of -log P(tokens[p] | tokens[<p])
               / number of such positions )

Per-sequence sums are written too, so an engine that measures a prefix of the file can compare.

    python3 scripts/measure_perplexity.py Assets/models/gptoss-shakespeare.gguf \
        --heldout Assets/models/gptoss-shakespeare-heldout.json --out Assets/models/gptoss-shakespeare-perplexity.json
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gptoss_gguf_export import ModelHyper, dump_json, gguf_to_hf_state, library_versions, read_gguf  # noqa: E402


def hyper_from_metadata(meta: dict, vocab_size: int) -> ModelHyper:
    a = meta["general.architecture"]
    k = lambda name, default=None: meta.get(f"{a}.{name}", default)  # noqa: E731
    return ModelHyper(
        vocab_size=vocab_size,
        hidden_size=int(k("embedding_length")),
        intermediate_size=int(k("expert_feed_forward_length", k("feed_forward_length"))),
        num_hidden_layers=int(k("block_count")),
        num_attention_heads=int(k("attention.head_count")),
        num_key_value_heads=int(k("attention.head_count_kv")),
        head_dim=int(k("attention.key_length")),
        num_local_experts=int(k("expert_count")),
        num_experts_per_tok=int(k("expert_used_count")),
        sliding_window=int(k("attention.sliding_window")),
        rope_theta=float(k("rope.freq_base")),
        yarn_factor=float(k("rope.scaling.factor", 1.0)),
        yarn_original_context=int(k("rope.scaling.original_context_length", 4096)),
        max_position_embeddings=int(k("context_length")),
        rms_norm_eps=float(k("attention.layer_norm_rms_epsilon")),
    )


def load_model(path: str):
    """transformers' GptOssForCausalLM holding the GGUF's weights, dequantised to float32."""
    from transformers import GptOssForCausalLM

    meta, tensors, _ = read_gguf(path)
    hyper = hyper_from_metadata(meta, tensors["token_embd.weight"].shape[0])
    config = hyper.transformers_config()
    config._attn_implementation = "eager"
    model = GptOssForCausalLM(config).eval()
    model.load_state_dict(gguf_to_hf_state(tensors, hyper.num_hidden_layers), strict=True)
    return model, hyper


@torch.no_grad()
def score(model, sequences: list[dict]) -> list[dict]:
    out = []
    for seq in sequences:
        tokens = torch.tensor([seq["tokens"]])
        logp = torch.log_softmax(model(tokens).logits[0].double(), dim=-1)
        start = seq["assistant_start"]
        targets = tokens[0, start:]
        nll = -logp[start - 1:-1].gather(1, targets[:, None]).sum()
        out.append({"nll_sum": float(nll), "count": int(targets.numel())})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--heldout", required=True, help="JSON with sequences[{tokens, assistant_start}]")
    ap.add_argument("--out", help="write the result JSON here")
    args = ap.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    with open(args.heldout) as f:
        sequences = json.load(f)["sequences"]
    model, _ = load_model(args.model)
    per_sequence = score(model, sequences)
    total = sum(s["nll_sum"] for s in per_sequence)
    count = sum(s["count"] for s in per_sequence)
    result = {
        "model": os.path.basename(args.model),
        "heldout": os.path.basename(args.heldout),
        "how": "transformers GptOssForCausalLM, float32, eager attention, weights dequantised from the GGUF; "
               "each sequence from position 0, scored on positions >= assistant_start",
        "sequences": len(sequences),
        "scored_tokens": count,
        "mean_nll": total / count,
        "perplexity": math.exp(total / count),
        "per_sequence": per_sequence,
        "versions": library_versions(),
    }
    print(f"{args.model}: {len(sequences)} sequences, {count} scored tokens, "
          f"mean NLL {total / count:.4f}, perplexity {math.exp(total / count):.2f}")
    if args.out:
        dump_json(args.out, result)


if __name__ == "__main__":
    main()
