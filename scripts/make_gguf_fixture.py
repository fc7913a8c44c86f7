#!/usr/bin/env python3
"""Writes the small reference GGUF files the GGUF tests parse, with gguf-py (PyPI `gguf`).

Outputs, in Tests/GGUFTests/Fixtures/:
  tiny.gguf                          one file: metadata of every value type and F32/F16/BF16/Q8_0/MXFP4/I32 tensors
  tiny-split-0000N-of-00003.gguf     the same tensors split by gguf-py into three parts (two tensors each)
  tiny.expected.json                 what a reader must find: metadata, tensor types, shapes, sha256 of each tensor's bytes

Made with gguf 0.19.0 and numpy; rerun with `python3 scripts/make_gguf_fixture.py`.
"""
import hashlib
import json
import os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf.quants import quantize

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "GGUFTests", "Fixtures")


def tensors():
    rng = np.random.default_rng(20260127)
    out = []
    out.append(("token_embd.weight", rng.standard_normal((8, 64), dtype=np.float32), Q.Q8_0))
    out.append(("output_norm.weight", rng.standard_normal(64, dtype=np.float32), Q.F32))
    out.append(("blk.0.attn_q.weight", rng.standard_normal((16, 32), dtype=np.float32), Q.F16))
    out.append(("blk.0.attn_q.bias", rng.standard_normal(16, dtype=np.float32), Q.BF16))
    out.append(("blk.0.ffn_gate_exps.weight", rng.standard_normal((2, 4, 64), dtype=np.float32), Q.MXFP4))
    out.append(("blk.0.positions", np.arange(12, dtype=np.int32).reshape(3, 4), Q.I32))
    return out


def add_metadata(w):
    w.add_name("tiny fixture")
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_uint64("test.u64", 18000000000000000000)
    w.add_int64("test.i64", -9000000000000000000)
    w.add_float32("test.f32", 1.5)
    w.add_float64("test.f64", -2.25)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo ✓ world")
    w.add_array("test.strings", ["a", "Ġthe", "<|start|>", ""])
    w.add_array("test.int32s", [1, -2, 3])
    w.add_array("test.floats", [0.5, -1.0, 2.0])
    w.add_array("test.bools", [True, False, True])
    # No nested array: gguf-py writes them, but ggml's reader refuses any file holding one, and so
    # does ours (docs/gguf.md, "What the reader refuses").


def write(path, split_max_tensors=0):
    w = gguf.GGUFWriter(path, arch="tiny", split_max_tensors=split_max_tensors)
    add_metadata(w)
    for name, data, qtype in tensors():
        if qtype in (Q.F32, Q.I32):
            w.add_tensor(name, data)
        elif qtype == Q.F16:
            w.add_tensor(name, data.astype(np.float16))
        else:
            q = quantize(data, qtype)
            w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def expected(path):
    reader = gguf.GGUFReader(path)
    result = {"tensors": []}
    for t in reader.tensors:
        raw = bytes(np.asarray(t.data).view(np.uint8).reshape(-1))
        result["tensors"].append({
            "name": t.name,
            "type": int(t.tensor_type),
            "shape": [int(x) for x in t.shape],
            "bytes": int(t.n_bytes),
            "offset": int(t.data_offset),
            "sha256": hashlib.sha256(raw).hexdigest(),
        })
    result["keys"] = [f.name for f in reader.fields.values() if not f.name.startswith("GGUF.")]
    return result


def main():
    os.makedirs(OUT, exist_ok=True)
    single = os.path.join(OUT, "tiny.gguf")
    write(single)
    write(os.path.join(OUT, "tiny-split.gguf"), split_max_tensors=2)
    with open(os.path.join(OUT, "tiny.expected.json"), "w") as f:
        json.dump(expected(single), f, indent=1, ensure_ascii=False)
        f.write("\n")
    for name in sorted(os.listdir(OUT)):
        print(name, os.path.getsize(os.path.join(OUT, name)))


if __name__ == "__main__":
    main()
