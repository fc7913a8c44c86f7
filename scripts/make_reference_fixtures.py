"""Reference fixtures for the engine's forward pass (issue 4, "Reference fixtures").

Makes small gpt-oss models with seeded random weights (scaled so the logits have real spread),
writes each as GGUF in three flavours and records transformers' float32 logits for token
sequences longer than the sliding window:

    f32    every tensor F32
    q8_0   every matrix Q8_0 except the router; vectors F32
    mxfp4  the released files' layout: experts MXFP4, other matrices Q8_0, router and vectors F32

For q8_0 / mxfp4 the expected logits come from transformers running the DEQUANTISED weights
of that very file, so the only difference left for the engine is arithmetic order.
Every case is also recomputed by scripts/numpy_reference.py from the GGUF file alone; the run
fails if the two disagree.

    python3 scripts/make_reference_fixtures.py [--out Tests/GPTOSSTests/Fixtures]
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_reference  # noqa: E402
from gptoss_gguf_export import (  # noqa: E402
    ModelHyper, TokenizerSpec, dump_json, gguf_to_hf_state, gpt2_byte_to_unicode, hf_to_gguf_tensors,
    library_versions, read_gguf, write_gguf,
)

FLAVOURS = ("f32", "q8_0", "mxfp4")
SEQUENCE_LENGTHS = (24, 33, 40)
GREEDY_PROMPT_LENGTH = 12
GREEDY_NEW_TOKENS = 16
GREEDY_PROMPT_TRIES = 8
# The numpy reference recomputes every case from the GGUF alone; float32 in another order.
NUMPY_AGREEMENT = 1e-4  # max |diff| / max |logit|
# Router logits closer than this at the k-th choice would let float rounding pick another expert.
MIN_ROUTER_GAP = 2e-3

# Configurations differ in every dimension an index can hide in (see docs/models.md).
MODELS = {
    "tiny-a": ModelHyper(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16,
        num_local_experts=4, num_experts_per_tok=2, sliding_window=8,
        rope_theta=150000.0, yarn_factor=4.0, yarn_original_context=256, max_position_embeddings=1024,
    ),
    "tiny-b": ModelHyper(
        vocab_size=384, hidden_size=96, intermediate_size=32, num_hidden_layers=3,
        num_attention_heads=6, num_key_value_heads=2, head_dim=32,
        num_local_experts=6, num_experts_per_tok=3, sliding_window=16,
        rope_theta=10000.0, yarn_factor=8.0, yarn_original_context=512, max_position_embeddings=4096,
    ),
    "tiny-c": ModelHyper(
        vocab_size=288, hidden_size=64, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=8, num_key_value_heads=1, head_dim=64,
        num_local_experts=8, num_experts_per_tok=4, sliding_window=12,
        rope_theta=150000.0, yarn_factor=32.0, yarn_original_context=4096, max_position_embeddings=131072,
    ),
}


# MARK: - weights


def random_weights(model: torch.nn.Module, hp: ModelHyper, gen: torch.Generator) -> dict[str, torch.Tensor]:
    """Weights with spread: activations of order 1, router logits of order 2 (clear top-k),
    expert gates of order 3 (the SwiGLU clamp at 7 is reached now and then), logits std ~1-2."""
    H, I = hp.hidden_size, hp.intermediate_size
    q_width = hp.num_attention_heads * hp.head_dim

    def normal(shape, std, mean=0.0):
        return torch.randn(shape, generator=gen, dtype=torch.float32) * std + mean

    state = {}
    for name, p in model.state_dict().items():
        shape = tuple(p.shape)
        if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
            w = normal(shape, 0.2, 1.0)
        elif name == "model.embed_tokens.weight":
            w = normal(shape, 1.0)
        elif name == "lm_head.weight":
            w = normal(shape, 1.5 / H**0.5)
        elif name.endswith("self_attn.sinks"):
            w = normal(shape, 1.0)
        elif name.endswith("o_proj.weight"):
            w = normal(shape, 1.0 / q_width**0.5)
        elif name.endswith("proj.weight"):  # q, k, v
            w = normal(shape, 1.0 / H**0.5)
        elif name.endswith("proj.bias") and "self_attn" in name:
            w = normal(shape, 0.1)
        elif name.endswith("router.weight"):
            w = normal(shape, 2.0 / H**0.5)
        elif name.endswith("router.bias"):
            w = normal(shape, 0.5)
        elif name.endswith("gate_up_proj"):
            w = normal(shape, 3.0 / H**0.5)
        elif name.endswith("gate_up_proj_bias"):
            w = normal(shape, 0.3)
        elif name.endswith("down_proj"):
            w = normal(shape, 1.0 / I**0.5)
        elif name.endswith("down_proj_bias"):
            w = normal(shape, 0.1)
        else:
            raise KeyError(f"no initialiser for parameter {name} {shape}")
        state[name] = w
    return state


def new_model(hp: ModelHyper):
    from transformers import GptOssForCausalLM

    config = hp.transformers_config()
    config._attn_implementation = "eager"
    model = GptOssForCausalLM(config).eval()
    assert model.config._attn_implementation == "eager", model.config._attn_implementation
    return model


# MARK: - checks on a model


def router_gap_and_logits(model, tokens: list[int], top_k: int) -> tuple[float, np.ndarray]:
    """Smallest gap between the k-th and (k+1)-th router logit over all layers and positions."""
    gaps = []

    def hook(_module, _inputs, output):
        router_logits = output[0].detach()
        top = torch.topk(router_logits, top_k + 1, dim=-1).values
        gaps.append(float((top[:, top_k - 1] - top[:, top_k]).min()))

    handles = [layer.mlp.router.register_forward_hook(hook) for layer in model.model.layers]
    try:
        with torch.no_grad():
            logits = model(torch.tensor([tokens])).logits[0].float().numpy()
    finally:
        for h in handles:
            h.remove()
    return min(gaps), logits


def greedy_by_recompute(model, prompt: list[int], new_tokens: int) -> tuple[list[int], float]:
    """Greedy continuation by a full forward per step (no cache); also the smallest top-1/top-2 margin."""
    seq = list(prompt)
    margins = []
    with torch.no_grad():
        for _ in range(new_tokens):
            last = model(torch.tensor([seq])).logits[0, -1]
            top2 = torch.topk(last, 2).values
            margins.append(float(top2[0] - top2[1]))
            seq.append(int(last.argmax()))
    return seq[len(prompt):], min(margins)


def greedy_by_generate(model, prompt: list[int], new_tokens: int) -> list[int]:
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt]), max_new_tokens=new_tokens, do_sample=False,
                             min_new_tokens=new_tokens, pad_token_id=0)
    return out[0, len(prompt):].tolist()


# MARK: - tokenizer metadata for numeric fixtures


def fixture_tokenizer(vocab_size: int) -> TokenizerSpec:
    """A small self-consistent byte-level BPE: the 256 byte tokens, then tokens made of two
    lowercase letters with their merges. The numeric tests use ids directly; this only makes the
    file loadable by a tokenizer that insists on one."""
    byte_char = gpt2_byte_to_unicode()
    tokens = [byte_char[b] for b in range(256)]
    types = [6] * 256  # BYTE
    merges = []
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    for a in letters:
        for b in letters:
            if len(tokens) == vocab_size:
                break
            tokens.append(a + b)
            types.append(1)
            merges.append(f"{a} {b}")
    if len(tokens) != vocab_size:
        raise ValueError(f"vocab {vocab_size} larger than the fixture tokenizer can fill")
    return TokenizerSpec(tokens=tokens, token_types=types, merges=merges, pre="gpt-4o")


# MARK: - one model


def make_model(name: str, hp: ModelHyper, out_dir: str, seed: int) -> dict:
    model_dir = os.path.join(out_dir, name)
    os.makedirs(model_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    sequences = [rng.integers(0, hp.vocab_size, n).tolist() for n in SEQUENCE_LENGTHS]
    for n in SEQUENCE_LENGTHS:
        assert n > hp.sliding_window, "sequences must be longer than the window"

    # Draw weights until no router choice is a near-tie on the fixture sequences.
    model = new_model(hp)
    for attempt in range(20):
        gen = torch.Generator().manual_seed(seed * 1000 + attempt)
        model.load_state_dict(random_weights(model, hp, gen), strict=True)
        gap = min(router_gap_and_logits(model, s, hp.num_experts_per_tok)[0] for s in sequences)
        if gap >= MIN_ROUTER_GAP:
            break
    else:
        raise RuntimeError(f"{name}: router near-ties on every draw")
    base = hf_to_gguf_tensors(model.state_dict(), hp.num_hidden_layers)
    tokenizer = fixture_tokenizer(hp.vocab_size)

    manifest = {
        "model": name,
        "about": "Random-weight gpt-oss fixture; logits are transformers' float32 (eager attention) "
                 "on the weights as stored in each GGUF (dequantised). See docs/models.md.",
        "hyper": {**hp.as_dict(), "layer_types": ["sliding" if i % 2 == 0 else "full" for i in range(hp.num_hidden_layers)],
                  "yarn_beta_fast": 32.0, "yarn_beta_slow": 1.0, "yarn_truncate": False,
                  "swiglu_limit": 7.0, "swiglu_alpha": 1.702},
        "seed": seed,
        "weights_attempt": attempt,
        "versions": library_versions(),
        "numpy_reference_tolerance": NUMPY_AGREEMENT,
        "flavours": {},
        "cases": [{"name": f"seq{i}", "tokens": s, "logits": {}, "stats": {}} for i, s in enumerate(sequences)],
    }

    for flavour in FLAVOURS:
        file_name = f"{name}-{flavour}.gguf"
        path = os.path.join(model_dir, file_name)
        held = write_gguf(path, hp, base, flavour, tokenizer, name=f"{name} ({flavour}, random weights)")
        flavour_model = new_model(hp)
        flavour_model.load_state_dict(gguf_to_hf_state(held, hp.num_hidden_layers), strict=True)
        meta, file_tensors, types = read_gguf(path)
        np_hyper = numpy_reference.Hyper.from_metadata(meta)
        manifest["flavours"][flavour] = {
            "file": file_name,
            "bytes": os.path.getsize(path),
            "tensor_types": types,
        }
        for case in manifest["cases"]:
            gap, logits = router_gap_and_logits(flavour_model, case["tokens"], hp.num_experts_per_tok)
            np_logits = numpy_reference.forward(file_tensors, np_hyper, case["tokens"])
            scale = float(np.abs(logits).max())
            diff = float(np.abs(np_logits - logits).max())
            if diff > NUMPY_AGREEMENT * scale:
                raise RuntimeError(f"{name}/{flavour}/{case['name']}: numpy reference differs from transformers "
                                   f"by {diff:.3g} (max |logit| {scale:.3g})")
            if gap < MIN_ROUTER_GAP / 4:
                raise RuntimeError(f"{name}/{flavour}/{case['name']}: router near-tie {gap:.3g} after quantisation")
            npy = f"logits-{flavour}-{case['name']}.npy"
            np.save(os.path.join(model_dir, npy), logits.astype(np.float32))
            case["logits"][flavour] = npy
            case["stats"][flavour] = {
                "max_abs_logit": scale,
                "logit_std": float(logits.std()),
                "min_router_gap": gap,
                "numpy_reference_max_abs_diff": diff,
            }
        if flavour in ("f32", "mxfp4"):
            # Of a few seeded prompts keep the one whose greedy path is least close to a tie, so
            # an engine within tolerance cannot legitimately pick another token.
            prompt_rng = np.random.default_rng(seed + 100)
            best = None
            for _ in range(GREEDY_PROMPT_TRIES):
                candidate = prompt_rng.integers(0, hp.vocab_size, GREEDY_PROMPT_LENGTH).tolist()
                cont, margin = greedy_by_recompute(flavour_model, candidate, GREEDY_NEW_TOKENS)
                if best is None or margin > best[2]:
                    best = (candidate, cont, margin)
            prompt, cont, margin = best
            via_generate = greedy_by_generate(flavour_model, prompt, GREEDY_NEW_TOKENS)
            manifest.setdefault("greedy", {})[flavour] = {
                "prompt": prompt,
                "continuation": cont,
                "min_top2_margin": margin,
                "transformers_generate_agrees": via_generate == cont,
            }
            if via_generate != cont:
                print(f"warning: {name}/{flavour}: generate() (KV cache) {via_generate} != recompute {cont}")
        print(f"{name}/{flavour}: {os.path.getsize(path)} bytes; "
              + ", ".join(f"{c['name']} maxdiff(numpy)={c['stats'][flavour]['numpy_reference_max_abs_diff']:.2e} "
                          f"max|logit|={c['stats'][flavour]['max_abs_logit']:.2f}" for c in manifest["cases"]))

    dump_json(os.path.join(model_dir, "manifest.json"), manifest)
    return manifest


def main() -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description="Write the gpt-oss reference fixtures (GGUF + expected logits).")
    ap.add_argument("--out", default=os.path.join(root, "Tests", "GPTOSSTests", "Fixtures"))
    ap.add_argument("--only", help="make one model (name)")
    args = ap.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    for i, (name, hp) in enumerate(MODELS.items()):
        if args.only and name != args.only:
            continue
        make_model(name, hp, args.out, seed=4 + i)


if __name__ == "__main__":
    main()
