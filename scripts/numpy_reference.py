"""A plain numpy forward pass of gpt-oss, computed straight from the tensors of a GGUF file.

Written to be read: every step names the GGUF tensor it uses and its shape. Arrays are in numpy
order (the row length LAST): the GGUF tensor of ggml shape [H, V] is the numpy array (V, H), so
`W @ x` multiplies a weight by a column vector exactly as ggml's mul_mat does.

    python3 scripts/numpy_reference.py MODEL.gguf --tokens 1,2,3 [--out logits.npy]

make_reference_fixtures.py checks this file against transformers' logits for every fixture, so
the two cannot drift apart unnoticed.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gptoss_gguf_export import read_gguf  # noqa: E402


@dataclass
class Hyper:
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    experts: int
    experts_used: int
    window: int
    theta: float
    eps: float
    yarn_factor: float
    yarn_original_context: int
    yarn_beta_fast: float = 32.0
    yarn_beta_slow: float = 1.0

    @staticmethod
    def from_metadata(meta: dict) -> "Hyper":
        a = meta["general.architecture"]

        def key(k, default=None):
            v = meta.get(f"{a}.{k}", default)
            if v is None:
                raise KeyError(f"GGUF metadata lacks {a}.{k}")
            return v

        heads = int(key("attention.head_count"))
        hidden = int(key("embedding_length"))
        return Hyper(
            layers=int(key("block_count")),
            hidden=hidden,
            heads=heads,
            kv_heads=int(key("attention.head_count_kv")),
            head_dim=int(key("attention.key_length", hidden // heads)),
            experts=int(key("expert_count")),
            experts_used=int(key("expert_used_count")),
            window=int(key("attention.sliding_window")),
            theta=float(key("rope.freq_base")),
            eps=float(key("attention.layer_norm_rms_epsilon")),
            yarn_factor=float(key("rope.scaling.factor", 1.0)),
            yarn_original_context=int(key("rope.scaling.original_context_length", 4096)),
            # Absent from the released files: the values the model was trained with.
            yarn_beta_fast=float(meta.get(f"{a}.rope.scaling.yarn_beta_fast", 32.0)),
            yarn_beta_slow=float(meta.get(f"{a}.rope.scaling.yarn_beta_slow", 1.0)),
        )


# MARK: - building blocks


def rmsnorm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    """x: [T, H]; weight: [H] (attn_norm / post_attention_norm / output_norm)."""
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def yarn_inv_freq_and_scale(hp: Hyper) -> tuple[np.ndarray, float]:
    """Per rotary pair j (0 <= j < head_dim/2): YaRN's frequency and the cos/sin scale.

    truncate=false: the ramp ends `low`/`high` are NOT rounded. transformers clamps them to
    [0, head_dim-1]; the configs used here keep them inside, so the clamp never acts.
    """
    d = hp.head_dim
    j = np.arange(d // 2, dtype=np.float64)
    inv_freq = hp.theta ** (-2.0 * j / d)
    if hp.yarn_factor <= 1.0:
        return inv_freq, 1.0

    def correction_dim(rotations: float) -> float:
        return d * math.log(hp.yarn_original_context / (rotations * 2 * math.pi)) / (2 * math.log(hp.theta))

    low = max(correction_dim(hp.yarn_beta_fast), 0.0)
    high = min(correction_dim(hp.yarn_beta_slow), d - 1.0)
    if low == high:
        high += 0.001
    ramp = np.clip((j - low) / (high - low), 0.0, 1.0)
    keep = 1.0 - ramp  # 1: keep the original frequency (fast dims); 0: interpolate (divide by factor)
    inv = inv_freq / hp.yarn_factor * (1.0 - keep) + inv_freq * keep
    concentration = 0.1 * math.log(hp.yarn_factor) + 1.0
    return inv, concentration


def rope_neox(x: np.ndarray, positions: np.ndarray, inv_freq: np.ndarray, scale: float) -> np.ndarray:
    """x: [T, n_heads, head_dim]. NEOX pairing: dim i rotates with dim i + head_dim/2."""
    angles = positions[:, None].astype(np.float64) * inv_freq[None, :]  # [T, head_dim/2]
    cos = (np.cos(angles) * scale).astype(np.float32)[:, None, :]
    sin = (np.sin(angles) * scale).astype(np.float32)[:, None, :]
    half = x.shape[-1] // 2
    a, b = x[..., :half], x[..., half:]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def attention(q, k, v, sinks, window: int | None) -> np.ndarray:
    """q: [T, heads, D]; k, v: [T, kv_heads, D]; sinks: [heads] (blk.N.attn_sinks.weight).

    Causal; with a window W a query at position p sees keys p-W+1 .. p. The sink is one extra
    logit per head in the softmax denominator, with no value vector.
    """
    t, heads, d = q.shape
    group = heads // k.shape[1]  # query head h reads KV head h // group
    out = np.zeros_like(q)
    pos = np.arange(t)
    allowed = pos[None, :] <= pos[:, None]
    if window is not None:
        allowed &= (pos[:, None] - pos[None, :]) < window
    for h in range(heads):
        kv = h // group
        scores = (q[:, h, :] @ k[:, kv, :].T) / math.sqrt(d)  # [Tq, Tk]
        scores = np.where(allowed, scores, -np.inf)
        m = np.maximum(scores.max(axis=-1, keepdims=True), sinks[h])
        e = np.exp(scores - m)
        p = e / (e.sum(axis=-1, keepdims=True) + np.exp(sinks[h] - m))
        out[:, h, :] = p @ v[:, kv, :]
    return out


def swiglu_oai(gate: np.ndarray, up: np.ndarray, limit: float = 7.0, alpha: float = 1.702) -> np.ndarray:
    gate = np.minimum(gate, limit)
    up = np.clip(up, -limit, limit)
    return gate * (1.0 / (1.0 + np.exp(-alpha * gate))) * (up + 1.0)


def moe(x: np.ndarray, w: dict[str, np.ndarray], blk: str, hp: Hyper) -> np.ndarray:
    """x: [T, H] (already post_attention_norm'ed). Expert tensors in numpy order:
    ffn_gate_exps / ffn_up_exps (E, I, H), their biases (E, I); ffn_down_exps (E, H, I), bias (E, H)."""
    router = x @ w[blk + "ffn_gate_inp.weight"].T + w[blk + "ffn_gate_inp.bias"]  # [T, E]
    out = np.zeros_like(x)
    for t in range(x.shape[0]):
        top = np.argsort(-router[t], kind="stable")[: hp.experts_used]
        logits = router[t, top]
        weights = np.exp(logits - logits.max())
        weights /= weights.sum()  # softmax over the chosen k only
        for e, we in zip(top, weights):
            g = w[blk + "ffn_gate_exps.weight"][e] @ x[t] + w[blk + "ffn_gate_exps.bias"][e]  # [I]
            u = w[blk + "ffn_up_exps.weight"][e] @ x[t] + w[blk + "ffn_up_exps.bias"][e]  # [I]
            y = w[blk + "ffn_down_exps.weight"][e] @ swiglu_oai(g, u) + w[blk + "ffn_down_exps.bias"][e]  # [H]
            out[t] += we * y
    return out


# MARK: - the model


def forward(w: dict[str, np.ndarray], hp: Hyper, tokens: list[int]) -> np.ndarray:
    """Logits [T, V] for the token ids, all positions (a full prefill)."""
    x = w["token_embd.weight"][np.asarray(tokens)]  # (V, H) table -> [T, H]
    positions = np.arange(len(tokens))
    inv_freq, rope_scale = yarn_inv_freq_and_scale(hp)
    for layer in range(hp.layers):
        b = f"blk.{layer}."
        h = rmsnorm(x, w[b + "attn_norm.weight"], hp.eps)
        q = h @ w[b + "attn_q.weight"].T + w[b + "attn_q.bias"]  # weight (heads*D, H)
        k = h @ w[b + "attn_k.weight"].T + w[b + "attn_k.bias"]  # weight (kv_heads*D, H)
        v = h @ w[b + "attn_v.weight"].T + w[b + "attn_v.bias"]
        q = rope_neox(q.reshape(len(tokens), hp.heads, hp.head_dim), positions, inv_freq, rope_scale)
        k = rope_neox(k.reshape(len(tokens), hp.kv_heads, hp.head_dim), positions, inv_freq, rope_scale)
        v = v.reshape(len(tokens), hp.kv_heads, hp.head_dim)
        window = hp.window if layer % 2 == 0 else None  # even layers slide
        a = attention(q, k, v, w[b + "attn_sinks.weight"], window).reshape(len(tokens), -1)
        x = x + a @ w[b + "attn_output.weight"].T + w[b + "attn_output.bias"]  # weight (H, heads*D)
        h2 = rmsnorm(x, w[b + "post_attention_norm.weight"], hp.eps)
        x = x + moe(h2, w, b, hp)
    return rmsnorm(x, w["output_norm.weight"], hp.eps) @ w["output.weight"].T  # (V, H)


def logits_for_file(path: str, tokens: list[int]) -> np.ndarray:
    meta, tensors, _ = read_gguf(path)
    return forward(tensors, Hyper.from_metadata(meta), tokens).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--tokens", required=True, help="comma-separated token ids")
    ap.add_argument("--out", help="write float32 logits [n_tokens, n_vocab] as .npy")
    args = ap.parse_args()
    tokens = [int(s) for s in args.tokens.split(",") if s.strip()]
    logits = logits_for_file(args.model, tokens)
    if args.out:
        np.save(args.out, logits)
    print("argmax per position:", logits.argmax(axis=-1).tolist())


if __name__ == "__main__":
    main()
