"""Shared code: a transformers GptOssForCausalLM <-> GGUF tensors of the real gpt-oss files.

Used by make_reference_fixtures.py, train_demo_model.py (export step) and
measure_perplexity.py. Layout facts (see docs/models.md and docs/gpt-oss.md §2-3):

* ggml lists a tensor's shape with the row length first (ne0); numpy lists it last. A GGUF
  tensor of ggml shape [H, V] is the numpy array of shape (V, H). Every array in this module is
  in numpy order; `ggml_shape()` reverses it for messages.
* transformers stores the experts' gate and up projections as ONE tensor
  `gate_up_proj` of shape (E, H, 2I) that is multiplied as `x @ W` (so it is transposed with
  respect to ggml's `W @ x` rows), with gate in the even columns and up in the odd ones.
  GGUF stores them apart: ffn_gate_exps / ffn_up_exps of numpy shape (E, I, H).
* down_proj is (E, I, H) in transformers (x @ W); GGUF's ffn_down_exps is (E, H, I).
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

import numpy as np
import torch
import gguf
from gguf import GGMLQuantizationType as QT

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gptoss_config import ModelHyper  # noqa: F401  (re-exported: callers build GGUFs from it)

ARCH = "gpt-oss"

# File-type numbers llama.cpp writes in general.file_type (gguf.LlamaFileType).
FILE_TYPE = {"f32": 0, "q8_0": 7, "mxfp4": 38}

EXPERT_TENSORS = ("ffn_gate_exps", "ffn_up_exps", "ffn_down_exps")
MATRIX_TENSORS = ("attn_q", "attn_k", "attn_v", "attn_output")


def ggml_shape(array: np.ndarray) -> list[int]:
    return list(reversed(array.shape))


# MARK: - transformers <-> GGUF names and layouts


def hf_to_gguf_tensors(state: dict[str, torch.Tensor], n_layers: int) -> dict[str, np.ndarray]:
    """Float32 numpy tensors (numpy order) keyed by GGUF name, from a GptOssForCausalLM state dict."""

    def t(name: str) -> np.ndarray:
        return state[name].detach().to(torch.float32).cpu().numpy()

    out: dict[str, np.ndarray] = {
        "token_embd.weight": t("model.embed_tokens.weight"),  # (V, H)
        "output_norm.weight": t("model.norm.weight"),  # (H,)
        "output.weight": t("lm_head.weight"),  # (V, H)
    }
    for i in range(n_layers):
        p = f"model.layers.{i}."
        b = f"blk.{i}."
        out[b + "attn_norm.weight"] = t(p + "input_layernorm.weight")
        for ours, theirs in (("attn_q", "q_proj"), ("attn_k", "k_proj"), ("attn_v", "v_proj"), ("attn_output", "o_proj")):
            out[b + ours + ".weight"] = t(p + f"self_attn.{theirs}.weight")  # (out, in): nn.Linear is already W @ x
            out[b + ours + ".bias"] = t(p + f"self_attn.{theirs}.bias")
        out[b + "attn_sinks.weight"] = t(p + "self_attn.sinks")  # (heads,)
        out[b + "post_attention_norm.weight"] = t(p + "post_attention_layernorm.weight")
        out[b + "ffn_gate_inp.weight"] = t(p + "mlp.router.weight")  # (E, H)
        out[b + "ffn_gate_inp.bias"] = t(p + "mlp.router.bias")  # (E,)
        gate_up = t(p + "mlp.experts.gate_up_proj")  # (E, H, 2I), x @ W, gate = even columns
        gate_up_bias = t(p + "mlp.experts.gate_up_proj_bias")  # (E, 2I)
        out[b + "ffn_gate_exps.weight"] = np.ascontiguousarray(gate_up[:, :, 0::2].transpose(0, 2, 1))  # (E, I, H)
        out[b + "ffn_up_exps.weight"] = np.ascontiguousarray(gate_up[:, :, 1::2].transpose(0, 2, 1))  # (E, I, H)
        out[b + "ffn_gate_exps.bias"] = np.ascontiguousarray(gate_up_bias[:, 0::2])  # (E, I)
        out[b + "ffn_up_exps.bias"] = np.ascontiguousarray(gate_up_bias[:, 1::2])  # (E, I)
        down = t(p + "mlp.experts.down_proj")  # (E, I, H), x @ W
        out[b + "ffn_down_exps.weight"] = np.ascontiguousarray(down.transpose(0, 2, 1))  # (E, H, I)
        out[b + "ffn_down_exps.bias"] = t(p + "mlp.experts.down_proj_bias")  # (E, H)
    return out


def gguf_to_hf_state(tensors: dict[str, np.ndarray], n_layers: int) -> dict[str, torch.Tensor]:
    """The inverse of hf_to_gguf_tensors: a state dict for GptOssForCausalLM.load_state_dict."""

    def t(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))

    state = {
        "model.embed_tokens.weight": t(tensors["token_embd.weight"]),
        "model.norm.weight": t(tensors["output_norm.weight"]),
        "lm_head.weight": t(tensors["output.weight"]),
    }
    for i in range(n_layers):
        p = f"model.layers.{i}."
        b = f"blk.{i}."
        state[p + "input_layernorm.weight"] = t(tensors[b + "attn_norm.weight"])
        for ours, theirs in (("attn_q", "q_proj"), ("attn_k", "k_proj"), ("attn_v", "v_proj"), ("attn_output", "o_proj")):
            state[p + f"self_attn.{theirs}.weight"] = t(tensors[b + ours + ".weight"])
            state[p + f"self_attn.{theirs}.bias"] = t(tensors[b + ours + ".bias"])
        state[p + "self_attn.sinks"] = t(tensors[b + "attn_sinks.weight"])
        state[p + "post_attention_layernorm.weight"] = t(tensors[b + "post_attention_norm.weight"])
        state[p + "mlp.router.weight"] = t(tensors[b + "ffn_gate_inp.weight"])
        state[p + "mlp.router.bias"] = t(tensors[b + "ffn_gate_inp.bias"])
        gate = tensors[b + "ffn_gate_exps.weight"].transpose(0, 2, 1)  # (E, H, I)
        up = tensors[b + "ffn_up_exps.weight"].transpose(0, 2, 1)
        gate_up = np.empty(gate.shape[:2] + (2 * gate.shape[2],), dtype=np.float32)
        gate_up[:, :, 0::2] = gate
        gate_up[:, :, 1::2] = up
        state[p + "mlp.experts.gate_up_proj"] = t(gate_up)
        gate_up_bias = np.empty((gate.shape[0], 2 * gate.shape[2]), dtype=np.float32)
        gate_up_bias[:, 0::2] = tensors[b + "ffn_gate_exps.bias"]
        gate_up_bias[:, 1::2] = tensors[b + "ffn_up_exps.bias"]
        state[p + "mlp.experts.gate_up_proj_bias"] = t(gate_up_bias)
        state[p + "mlp.experts.down_proj"] = t(tensors[b + "ffn_down_exps.weight"].transpose(0, 2, 1))
        state[p + "mlp.experts.down_proj_bias"] = t(tensors[b + "ffn_down_exps.bias"])
    return state


# MARK: - storage types per flavour


def storage_type(name: str, array: np.ndarray, flavour: str) -> QT:
    """The ggml type a tensor gets in a flavour: 'f32', 'q8_0' (all matrices but the router),
    'mxfp4' (the real files' layout: MXFP4 experts, Q8_0 other matrices, F32 router and vectors)."""
    if flavour not in FILE_TYPE:
        raise ValueError(f"unknown flavour {flavour!r}; expected one of {sorted(FILE_TYPE)}")
    is_matrix = name.endswith(".weight") and array.ndim >= 2 and "ffn_gate_inp" not in name
    if flavour == "f32" or not is_matrix:
        return QT.F32
    if flavour == "mxfp4" and any(e in name for e in EXPERT_TENSORS):
        return QT.MXFP4
    return QT.Q8_0


def quantise(array: np.ndarray, qtype: QT) -> np.ndarray:
    """Bytes as stored in the file (uint8 rows) for quantised types, float32 otherwise."""
    if qtype == QT.F32:
        return np.ascontiguousarray(array, dtype=np.float32)
    if array.shape[-1] % 32 != 0:
        raise ValueError(f"row length {array.shape[-1]} is not a multiple of 32: cannot store as {qtype.name}")
    return gguf.quants.quantize(np.ascontiguousarray(array, dtype=np.float32), qtype)


def dequantise(stored: np.ndarray, qtype: QT) -> np.ndarray:
    if qtype == QT.F32:
        return np.asarray(stored, dtype=np.float32)
    return gguf.quants.dequantize(stored, qtype).astype(np.float32)


# MARK: - tokenizer metadata


@dataclass
class TokenizerSpec:
    tokens: list[str]
    token_types: list[int]  # 1 normal, 3 control, 6 byte (gguf.TokenType)
    merges: list[str]
    pre: str = "gpt-4o"
    bos_id: int | None = None
    eos_id: int | None = None
    pad_id: int | None = None
    chat_template: str | None = None


def gpt2_byte_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character table used by GGUF's BPE token strings."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table = {}
    extra = 0
    for byte in range(256):
        if byte in printable:
            table[byte] = chr(byte)
        else:
            table[byte] = chr(256 + extra)
            extra += 1
    return table


# MARK: - writing


def write_gguf(path: str, hyper: ModelHyper, tensors: dict[str, np.ndarray], flavour: str,
               tokenizer: TokenizerSpec, name: str) -> dict[str, np.ndarray]:
    """Writes one GGUF; returns the tensors as the file holds them, dequantised to float32."""
    writer = gguf.GGUFWriter(path, ARCH)
    writer.add_name(name)
    writer.add_file_type(FILE_TYPE[flavour])
    writer.add_block_count(hyper.num_hidden_layers)
    writer.add_context_length(hyper.max_position_embeddings)
    writer.add_embedding_length(hyper.hidden_size)
    writer.add_feed_forward_length(hyper.intermediate_size)
    writer.add_head_count(hyper.num_attention_heads)
    writer.add_head_count_kv(hyper.num_key_value_heads)
    writer.add_rope_freq_base(hyper.rope_theta)
    writer.add_layer_norm_rms_eps(hyper.rms_norm_eps)
    writer.add_expert_count(hyper.num_local_experts)
    writer.add_expert_used_count(hyper.num_experts_per_tok)
    writer.add_key_length(hyper.head_dim)
    writer.add_value_length(hyper.head_dim)
    writer.add_sliding_window(hyper.sliding_window)
    writer.add_expert_feed_forward_length(hyper.intermediate_size)
    writer.add_rope_scaling_type(gguf.RopeScalingType.YARN)
    writer.add_rope_scaling_factor(float(hyper.yarn_factor))
    writer.add_rope_scaling_orig_ctx_len(hyper.yarn_original_context)

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(tokenizer.pre)
    writer.add_token_list(tokenizer.tokens)
    writer.add_token_types(tokenizer.token_types)
    writer.add_token_merges(tokenizer.merges)
    if tokenizer.bos_id is not None:
        writer.add_bos_token_id(tokenizer.bos_id)
    if tokenizer.eos_id is not None:
        writer.add_eos_token_id(tokenizer.eos_id)
    if tokenizer.pad_id is not None:
        writer.add_pad_token_id(tokenizer.pad_id)
    if tokenizer.chat_template is not None:
        writer.add_chat_template(tokenizer.chat_template)

    held: dict[str, np.ndarray] = {}
    for tensor_name, array in tensors.items():
        qtype = storage_type(tensor_name, array, flavour)
        stored = quantise(array, qtype)
        writer.add_tensor(tensor_name, stored, raw_dtype=None if qtype == QT.F32 else qtype)
        held[tensor_name] = dequantise(stored, qtype).reshape(array.shape)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return held


# MARK: - reading


def read_gguf(path: str) -> tuple[dict, dict[str, np.ndarray], dict[str, str]]:
    """(metadata, float32 tensors in numpy order, ggml type name per tensor) of a GGUF file."""
    reader = gguf.GGUFReader(path)
    meta: dict = {}
    for key, fld in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        if key in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type"):
            continue  # large and not needed for the numbers
        meta[key] = fld.contents()
    tensors: dict[str, np.ndarray] = {}
    types: dict[str, str] = {}
    for t in reader.tensors:
        shape = tuple(int(n) for n in reversed(t.shape))  # ggml ne -> numpy order
        tensors[t.name] = dequantise(np.asarray(t.data), t.tensor_type).reshape(shape)
        types[t.name] = t.tensor_type.name
    return meta, tensors, types


def library_versions() -> dict[str, str]:
    import transformers

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "gguf": getattr(gguf, "__version__", _dist_version("gguf")),
        "numpy": np.__version__,
    }


def _dist_version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def dump_json(path: str, obj) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")
