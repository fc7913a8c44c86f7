#!/usr/bin/env python3
"""Runs `gptoss-gl logits` on every reference fixture (prefill and --decode) and compares with
transformers' float32 logits. Used where `swift test` cannot run (the NVIDIA machine has no
Swift): the same bound as the tests, max |gpu - torch| <= 1e-3 * max |logit|.

usage: scripts/check_fixtures.py BINARY [FIXTURES_DIR] [--flavours f32,q8_0] [--cases seq0]
                                  [--greedy MODEL ...] [--greedy-tokens 256]
(the filters keep a run short on a slow driver: `make softpipe-check` checks f32 seq0 only)

--greedy MODEL (repeatable; `bundled` for the bundled model) also runs `generate` greedily on a
fixed prompt of 300 seeded ids (1000..19999) with the device's own tuning and with the portable one that CI runs
(GPTOSS_GL_TUNE=preset=portable,useSubgroups=0), and requires the same tokens: the check that a
card-only fast path agrees with its portable twin. Two tunings sum in different orders, so
where the two best logits are closer than rounding can separate, greedy picks may part; when
the tokens part, the logits at that position are computed under both tunings (`logits`) and the
parting passes only as a near-tie: the tunings' rows within the fixtures' bound (1e-3 ·
max |logit|) of each other, and both picked tokens within that bound of each other in both
rows. Anything else fails. The device tuning's run is also made twice and must repeat itself
exactly.
"""
import argparse, json, os, pathlib, random, subprocess, sys, tempfile
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("root", nargs="?", default="Tests/GPTOSSTests/Fixtures")
parser.add_argument("--flavours", help="comma-separated flavours to check (default: all)")
parser.add_argument("--cases", help="comma-separated case names to check (default: all)")
parser.add_argument("--greedy", action="append", default=[], metavar="MODEL",
                    help="also compare greedy output, device tuning against the portable one, on MODEL")
parser.add_argument("--greedy-tokens", type=int, default=256, help="tokens each greedy run generates")
args = parser.parse_args()


# The greedy runs' prompt: 300 seeded ids in 1000..19999 (long enough for the batched prefill
# kernels), drawn once from one generator.
_rng = random.Random(17)
GREEDY_PROMPT = ",".join(str(_rng.randrange(1000, 20000)) for _ in range(300))


def tuning_env(tune):
    env = dict(os.environ)
    env.pop("GPTOSS_GL_TUNE", None)
    if tune:
        env["GPTOSS_GL_TUNE"] = tune
    return env


def last_logits(model, tokens, tune, tmp):
    """The logits row after `tokens` (prefill), with GPTOSS_GL_TUNE=tune."""
    out = pathlib.Path(tmp) / "greedy-logits.npy"
    cmd = [args.binary, "logits", "--tokens", ",".join(map(str, tokens)), "--out", str(out), "--quiet"]
    if model != "bundled":
        cmd += ["--model", model]
    subprocess.run(cmd, env=tuning_env(tune), check=True, capture_output=True)
    return np.load(out)[-1].astype(np.float64)


def near_tie(model, common, a, b, tmp):
    """Whether tokens a (device) and b (portable), picked after GREEDY_PROMPT + common, are a
    near-tie under both tunings; and the numbers that say so."""
    prompt = [int(t) for t in GREEDY_PROMPT.split(",")] + common
    device = last_logits(model, prompt, None, tmp)
    portable = last_logits(model, prompt, PORTABLE, tmp)
    bound = 1e-3 * float(np.abs(portable).max())
    apart = float(np.abs(device - portable).max())
    gaps = (device[a] - device[b], portable[a] - portable[b])
    ok = apart <= bound and max(map(abs, gaps)) <= bound
    # Whether each run's pick is its own tuning's argmax: a run that picked a token its own
    # logits row does not put first has a wrong sampler or head step, not a rounding difference.
    def rank(row, token):
        return int((row > row[token]).sum())
    own = f"device's pick {a} is rank {rank(device, a)} of its own row, portable's pick {b} rank {rank(portable, b)} of its own"
    return ok, (f"tokens {a} / {b}: logit of {a} minus {b} {gaps[0]:+.2e} (device) / {gaps[1]:+.2e} (portable), "
                f"rows apart by {apart:.2e}, bound {bound:.2e}; {own}")


PORTABLE = "preset=portable,useSubgroups=0"


class GenerateFailed(Exception):
    pass


def greedy_tokens(model, tune, extra_env=None, tokens=None, failure_raises=False):
    """The ids `generate` picks greedily after GREEDY_PROMPT, with GPTOSS_GL_TUNE=tune (None:
    the device's own tuning) and `extra_env` set; `tokens` of them (default --greedy-tokens).
    A failed run stops the script, or raises GenerateFailed with its error when asked to."""
    env = tuning_env(tune)
    env.update(extra_env or {})
    cmd = [args.binary, "generate", "--tokens", GREEDY_PROMPT, "--max-tokens", str(tokens or args.greedy_tokens), "--quiet"]
    if model != "bundled":
        cmd += ["--model", model]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        message = f"generate failed on {model} (GPTOSS_GL_TUNE={tune}): {run.stderr.strip()[-400:]}"
        if failure_raises:
            raise GenerateFailed(message)
        sys.exit(message)
    lines = [l for l in run.stdout.splitlines() if l.startswith("generated: ")]
    return [int(t) for t in lines[-1].split(": ", 1)[1].split(",") if t]


# Where the portable run parts from the device's not at a near-tie, it runs again with one
# thing changed at a time, to say which part of the portable path the parting follows.
PORTABLE_BISECT = [
    ("one prefill step (prefillBatch=512)", PORTABLE + ",prefillBatch=512", {}),
    ("glFinish before every upload", PORTABLE, {"GPTOSS_GL_FINISH_BEFORE_UPLOAD": "1"}),
    ("the wide sampler sizes", PORTABLE + ",samplerSlice=4096,samplerWorkgroup=256", {}),
    ("the wide linear sizes", PORTABLE + ",linearWorkgroup=256,linearThreadsPerRow=64,linearTokenTile=8", {}),
    ("the per-slot MoE kernels (no grouping)", PORTABLE + ",groupedMinTokens=1000000", {}),
    ("4 tokens a thread in the grouped MoE (groupedTokenVecs=1)", PORTABLE + ",groupedTokenVecs=1", {}),
    # Recomputes every grouped pass with the per-slot kernels and stops at the first mismatch.
    ("every grouped MoE pass checked against the per-slot kernels", PORTABLE, {"GPTOSS_GL_CHECK_GROUPED": "1"}),
]


def bisect_portable(model, device, first):
    """Which single change makes the portable run pick the device's first `first + 1` tokens."""
    lines = []
    for label, tune, env in PORTABLE_BISECT:
        try:
            got = greedy_tokens(model, tune, env, tokens=first + 1, failure_raises=True)
        except GenerateFailed as failure:
            lines.append(f"    portable with {label}: {failure}")
            continue
        lines.append(f"    portable with {label}: {'agrees with the device' if got == device[:first + 1] else 'still parts'}")
    return "\n".join(lines)


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
greedy_failures = 0
for model in args.greedy:
    device = greedy_tokens(model, None)
    # The same run twice must give the same tokens: a kernel with a race shows here first.
    again = greedy_tokens(model, None)
    if again != device:
        first = next((i for i, (a, b) in enumerate(zip(device, again)) if a != b), min(len(device), len(again)))
        greedy_failures += 1
        print(f"FAIL greedy {model}: two runs with the device tuning part at token {first} (not deterministic)")
    portable = greedy_tokens(model, PORTABLE)
    same = device == portable
    first = next((i for i, (a, b) in enumerate(zip(device, portable)) if a != b), min(len(device), len(portable)))
    verdict, detail = same, "all equal"
    if not same and first < min(len(device), len(portable)):
        with tempfile.TemporaryDirectory() as tmp:
            verdict, numbers = near_tie(model, device[:first], device[first], portable[first], tmp)
        detail = f"part at token {first} " + ("at a near-tie" if verdict else "NOT at a near-tie") + f" ({numbers})"
    elif not same:
        detail = f"different lengths, equal for the first {first}"
    greedy_failures += not verdict
    print(f"{'OK  ' if verdict else 'FAIL'} greedy {model}: {len(device)} tokens with the device tuning, "
          f"{len(portable)} portable, {detail}")
    if not verdict and first < min(len(device), len(portable)):
        print(bisect_portable(model, device, first))
sys.exit(1 if failures or greedy_failures or not checked else 0)
