#!/usr/bin/env python3
"""Runs `gptoss-gl logits` on every reference fixture (prefill and --decode) and compares with
transformers' float32 logits. Used where `swift test` cannot run (the NVIDIA machine has no
Swift): the same bound as the tests, max |gpu - torch| <= 1e-3 * max |logit|.

usage: scripts/check_fixtures.py BINARY [FIXTURES_DIR] [--flavours f32,q8_0] [--cases seq0]
(the filters keep a run short on a slow driver: `make softpipe-check` checks f32 seq0 only)
"""
import argparse, json, pathlib, subprocess, sys, tempfile
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("root", nargs="?", default="Tests/GPTOSSTests/Fixtures")
parser.add_argument("--flavours", help="comma-separated flavours to check (default: all)")
parser.add_argument("--cases", help="comma-separated case names to check (default: all)")
args = parser.parse_args()
binary = args.binary
root = pathlib.Path(args.root)
wanted_flavours = set(args.flavours.split(",")) if args.flavours else None
wanted_cases = set(args.cases.split(",")) if args.cases else None
failures, checked = 0, 0
with tempfile.TemporaryDirectory() as tmp:
    for manifest_path in sorted(root.glob("*/manifest.json")):
        manifest = json.loads(manifest_path.read_text())
        folder = manifest_path.parent
        for flavour, info in manifest["flavours"].items():
            if wanted_flavours is not None and flavour not in wanted_flavours:
                continue
            for case in manifest["cases"]:
                if wanted_cases is not None and case["name"] not in wanted_cases:
                    continue
                expected = np.load(folder / case["logits"][flavour])
                for mode in ([], ["--decode"]):
                    out = pathlib.Path(tmp) / "l.npy"
                    tokens = ",".join(map(str, case["tokens"]))
                    subprocess.run([binary, "logits", "--model", str(folder / info["file"]), "--tokens", tokens,
                                    "--out", str(out), "--quiet", *mode], check=True, capture_output=True)
                    got = np.load(out)
                    diff = float(np.abs(got - expected).max())
                    bound = 1e-3 * float(np.abs(expected).max())
                    ok = diff <= bound
                    failures += not ok
                    checked += 1
                    print(f"{'OK  ' if ok else 'FAIL'} {manifest['model']} {flavour:5} {case['name']} "
                          f"{'decode ' if mode else 'prefill'} maxdiff {diff:.2e} (bound {bound:.2e})")
print(f"{checked - failures}/{checked} fixture runs within bound")
sys.exit(1 if failures or not checked else 0)
