#!/usr/bin/env python3
"""Runs `gptoss-gl logits` on every reference fixture (prefill and --decode) and compares with
transformers' float32 logits. Used where `swift test` cannot run (the NVIDIA machine has no
Swift): the same bound as the tests, max |gpu - torch| <= 1e-3 * max |logit|.

usage: scripts/check_fixtures.py BINARY [FIXTURES_DIR]
"""
import json, pathlib, subprocess, sys, tempfile
import numpy as np

binary = sys.argv[1]
root = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "Tests/GPTOSSTests/Fixtures")
failures, checked = 0, 0
with tempfile.TemporaryDirectory() as tmp:
    for manifest_path in sorted(root.glob("*/manifest.json")):
        manifest = json.loads(manifest_path.read_text())
        folder = manifest_path.parent
        for flavour, info in manifest["flavours"].items():
            for case in manifest["cases"]:
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
sys.exit(1 if failures else 0)
