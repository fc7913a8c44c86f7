#!/usr/bin/env python3
"""Times one gptoss-gl binary over several shader trees, alternating them, the way the
shader-only experiments of BENCHMARKS.md were measured (session 8): the binary reads its GLSL
from GPTOSS_GL_HOME at run time, so a kernel change that keeps its bindings and parameters can
be compared with the kernel before it without a second binary or a second lease.

usage: scripts/compare_shader_trees.py BINARY [--model M] [--prompt-tokens 512] [--gen-tokens 1]
           [--depth N ...] [--repeat 3] [--rounds 2] [--kernels 6] NAME=TREE [NAME=TREE ...]

TREE is a folder with Shaders/glsl (a checkout, or a copy with some .comp files edited), or
@REV for the Shaders of git revision REV of this checkout (exported to a temporary folder,
Assets linked). For each round, each tree runs `bench --profile --json` once (the trees take
turns, so drift hits them alike); the table gives every round's prefill and decode tok/s and the
median GPU ms of the slowest prefill kernels. A tree whose parameters no longer match the
binary's launchers fails with the binary's error, which is printed.
"""
import argparse, json, os, pathlib, statistics, subprocess, sys, tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("binary")
    p.add_argument("trees", nargs="+", metavar="NAME=TREE")
    p.add_argument("--model", help="GGUF model (default: the bundled one)")
    p.add_argument("--prompt-tokens", type=int, default=512)
    p.add_argument("--gen-tokens", type=int, default=1)
    p.add_argument("--depth", type=int, action="append", default=[])
    p.add_argument("--repeat", type=int, default=3, help="bench --repeat (each figure is a median of this many)")
    p.add_argument("--rounds", type=int, default=2, help="times each tree runs, in turn")
    p.add_argument("--kernels", type=int, default=6, help="prefill kernels listed per tree")
    return p.parse_args()


def resolve_tree(spec, scratch):
    name, sep, where = spec.partition("=")
    if not sep or not name or not where:
        sys.exit(f"'{spec}' is not NAME=TREE")
    if where.startswith("@"):
        home = pathlib.Path(scratch) / name
        home.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", where[1:], "Shaders"], capture_output=True)
        if archive.returncode != 0:
            sys.exit(f"{name}: git archive {where[1:]} failed: {archive.stderr.decode().strip()}")
        subprocess.run(["tar", "-x", "-C", str(home)], input=archive.stdout, check=True)
        os.symlink(ROOT / "Assets", home / "Assets")
        return name, home
    home = pathlib.Path(where).resolve()
    if not (home / "Shaders" / "glsl").is_dir():
        sys.exit(f"{name}: {home} has no Shaders/glsl")
    return name, home


def bench(args, home):
    cmd = [args.binary, "bench", "--prompt-tokens", str(args.prompt_tokens), "--gen-tokens", str(args.gen_tokens),
           "--repeat", str(args.repeat), "--profile", "--json"]
    if args.model:
        cmd += ["--model", args.model]
    for d in args.depth:
        cmd += ["--depth", str(d)]
    run = subprocess.run(cmd, env=dict(os.environ, GPTOSS_GL_HOME=str(home)), capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"bench failed with GPTOSS_GL_HOME={home}:\n{run.stderr.strip()[-800:]}")
    return json.loads(run.stdout)


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        trees = [resolve_tree(spec, scratch) for spec in args.trees]
        results = {name: [] for name, _ in trees}
        for r in range(args.rounds):
            for name, home in trees:
                print(f"round {r + 1}: {name}", file=sys.stderr, flush=True)
                results[name].append(bench(args, home))
    for name, _ in trees:
        runs = results[name]
        prefill = ", ".join(f"{b['prefill']['tokensPerSecond']:.1f}" for b in runs)
        print(f"{name}: prefill {args.prompt_tokens} tok/s {prefill}")
        for i, d in enumerate(runs[0]["decode"]):
            rates = ", ".join(f"{b['decode'][i]['timing']['tokensPerSecond']:.1f}" for b in runs)
            print(f"{name}: decode {args.gen_tokens} tok @ depth {d['depth']} tok/s {rates}")
        ms = {}
        for b in runs:
            for profile in b.get("profiles", []):
                if not profile["phase"].startswith("prefill"):
                    continue
                for row in profile["rows"]:
                    key = f"{row['shader']} {row.get('format', '')}".strip()
                    ms.setdefault(key, []).append(row["secondsPerStep"] * 1000 * profile["steps"])
        for key, values in sorted(ms.items(), key=lambda kv: -statistics.median(kv[1]))[:args.kernels]:
            print(f"{name}:   {key:40} {statistics.median(values):9.3f} ms (prefill, median of {len(values)})")


if __name__ == "__main__":
    main()
