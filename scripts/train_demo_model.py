"""Trains the bundled demo model: a small gpt-oss (every feature of the architecture) on the
Shakespeare Harmony corpus made by make_demo_corpus.py.

Runs on one CUDA GPU (bf16 autocast, float32 master weights) or, slowly, on CPU. The loss is the
assistant's turns only (train.npz's mask: from the token after each completion prompt's
`<|start|>assistant` through the turn's `<|call|>` or `<|return|>`, analysis and tool calls
included; never system, developer, user or tool text); a small router balance loss keeps every
expert in use. Two held-out losses are logged: the held-out play's scenes (the perplexity set,
which picks the weights) and the held-out skills (reasoning and tool calls on the held-out play). The float32 weights with the best held-out loss are
quantised straight into the GGUF (experts MXFP4, other matrices Q8_0, vectors F32).

    python3 scripts/train_demo_model.py --config scripts/train_demo_config.json --data .demo-data \
        --out OUT --gguf Assets/models/gptoss-shakespeare.gguf
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gptoss_config import ModelHyper  # noqa: E402

def load_config(path: str, data_dir: str) -> tuple[ModelHyper, dict]:
    with open(path) as f:
        cfg = json.load(f)
    with open(os.path.join(data_dir, "tokenizer.json")) as f:
        vocab = len(json.load(f)["tokens"])
    m = cfg["model"]
    hyper = ModelHyper(vocab_size=vocab, **m)
    for name in ("hidden_size", "intermediate_size"):
        if getattr(hyper, name) % 32:
            raise SystemExit(f"{path}: model.{name} must be a multiple of 32 (Q8_0 / MXFP4 rows)")
    if (hyper.num_attention_heads * hyper.head_dim) % 32:
        raise SystemExit(f"{path}: heads * head_dim must be a multiple of 32")
    return hyper, cfg["training"]


def build_model(hyper: ModelHyper, device: str):
    from transformers import GptOssForCausalLM

    config = hyper.transformers_config()
    config._attn_implementation = "eager"
    return GptOssForCausalLM(config).to(device)


# MARK: - loss


def assistant_loss(model, tokens, mask, lengths, aux_coef: float, top_k: int, n_experts: int):
    """Mean cross-entropy over the tokens the mask marks (targets: mask[:, p] scores tokens[:, p]
    given tokens[:, <p]); plus aux_coef times the router balance loss."""
    from transformers.models.gpt_oss.modeling_gpt_oss import load_balancing_loss_func

    out = model(input_ids=tokens, output_router_logits=aux_coef > 0)
    logits = out.logits[:, :-1].float()
    targets = tokens[:, 1:]
    mask = mask[:, 1:tokens.shape[1]].bool()
    nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
    nll = nll.view_as(targets) * mask
    loss = nll.sum() / mask.sum()
    if aux_coef > 0:
        valid = (torch.arange(tokens.shape[1], device=tokens.device)[None, :] < lengths[:, None]).long()
        aux = load_balancing_loss_func(out.router_logits, n_experts, top_k, valid)
        return loss, loss + aux_coef * aux, nll.sum(), mask.sum()
    return loss, loss, nll.sum(), mask.sum()


@torch.no_grad()
def held_out_loss(model, data, batch: int, device: str, use_bf16: bool, prefix: str = "held_") -> float:
    """Mean loss over one held-out set ("held_": the held-out play's scenes; "skill_": held-out
    reasoning and tool-call conversations)."""
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(data[prefix + "tokens"]), batch):
        lengths = data[prefix + "lengths"][i:i + batch]
        toks = data[prefix + "tokens"][i:i + batch, :int(lengths.max())]
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=use_bf16):
            _, _, s, n = assistant_loss(model, toks, data[prefix + "mask"][i:i + batch], lengths, 0.0, 1, 1)
        total += float(s)
        count += int(n)
    model.train()
    return total / count


def load_data(path: str, device: str) -> dict[str, torch.Tensor]:
    """train.npz on the device. A corpus from before the loss mask (starts/lengths only) gets the
    mask it implied: from the reply's start to the row's end."""
    raw = np.load(path)
    data = {k: torch.from_numpy(raw[k].astype(np.uint8 if k.endswith("mask") else np.int64)).to(device) for k in raw.files}
    for prefix in ("", "held_", "skill_"):
        if prefix + "tokens" in data and prefix + "mask" not in data:
            pos = torch.arange(data[prefix + "tokens"].shape[1], device=device)[None, :]
            data[prefix + "mask"] = ((pos >= data[prefix + "starts"][:, None]) & (pos < data[prefix + "lengths"][:, None])).to(torch.uint8)
    return data


# MARK: - training


def init_weights(model, hyper: ModelHyper, seed: int) -> None:
    """GPT-2-style init (std 0.02, residual projections scaled down by depth), router and sinks
    small but non-zero so every expert and sink gets a gradient from the start."""
    gen = torch.Generator().manual_seed(seed)
    depth_scale = 1.0 / math.sqrt(2 * hyper.num_hidden_layers)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or "layernorm" in name:
                p.fill_(1.0)
            elif name.endswith("bias"):
                p.zero_()
            elif name.endswith("sinks"):
                p.zero_()
            else:
                std = 0.02 * (depth_scale if name.endswith(("o_proj.weight", "down_proj")) else 1.0)
                p.copy_(torch.randn(p.shape, generator=gen) * std)


@torch.no_grad()
def choose_experts_path(model, data) -> str:
    """The fastest experts implementation that computes what transformers' reference loop does
    (checked on one batch under bf16 autocast against the float32 loop)."""
    toks, mask, lengths = data["tokens"][:16], data["mask"][:16], data["lengths"][:16]
    model.config._experts_implementation = "eager"
    reference = float(assistant_loss(model, toks, mask, lengths, 0.0, 1, 1)[0])
    for impl in ("grouped_mm", "batched_mm", "eager"):
        model.config._experts_implementation = impl
        try:
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                got = float(assistant_loss(model, toks, mask, lengths, 0.0, 1, 1)[0])
        except Exception as e:  # an implementation this torch/GPU lacks
            print(f"experts path {impl}: unavailable ({type(e).__name__}: {str(e)[:120]})", flush=True)
            continue
        print(f"experts path {impl}: bf16 loss {got:.5f} vs float32 loop {reference:.5f}", flush=True)
        if abs(got - reference) < 2e-2:
            return impl
    raise SystemExit("no experts implementation agrees with the reference loop")


def train(args) -> None:
    hyper, tcfg = load_config(args.config, args.data)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(tcfg["seed"])
    use_bf16 = device == "cuda"
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    data = load_data(os.path.join(args.data, "train.npz"), device)
    has_skills = "skill_tokens" in data
    model = build_model(hyper, device)
    init_weights(model, hyper, tcfg["seed"])
    model.train()
    if device == "cuda":
        model.config._experts_implementation = choose_experts_path(model, data)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"device {device} ({torch.cuda.get_device_name() if device == 'cuda' else 'cpu'}); "
          f"{n_params / 1e6:.2f} M parameters; {len(data['tokens'])} training rows", flush=True)

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "router" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "router" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": tcfg["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=tcfg["lr"], betas=(0.9, 0.95), fused=device == "cuda")
    steps = args.steps or tcfg["steps"]
    warmup = min(tcfg["warmup_steps"], steps // 10 + 1)
    batch = tcfg["batch_size"]
    time_limit = args.time_limit or tcfg["time_limit_s"]

    os.makedirs(args.out, exist_ok=True)
    log_path = os.path.join(args.out, "loss.csv")
    log = open(log_path, "w", newline="")
    writer = csv.writer(log)
    writer.writerow(["step", "seconds", "tokens_seen", "lr", "train_loss", "held_out_loss", "held_out_skill_loss"])
    best, best_skill = (float("inf"), None, -1), ""
    n_rows = len(data["tokens"])
    perm = torch.randperm(n_rows, device=device)
    cursor, tokens_seen, t0 = 0, 0, time.time()
    running = []
    for step in range(1, steps + 1):
        # Cosine decay over whichever runs out first, the steps or the time budget, so a run
        # cut by its time limit still ends at the low learning rate.
        progress = min(1.0, max(step / steps, (time.time() - t0) / time_limit))
        lr = tcfg["lr"] * (step / warmup if step <= warmup else
                           tcfg["min_lr_ratio"] + (1 - tcfg["min_lr_ratio"]) * 0.5 * (1 + math.cos(math.pi * progress)))
        for g in opt.param_groups:
            g["lr"] = lr
        if cursor + batch > n_rows:
            perm, cursor = torch.randperm(n_rows, device=device), 0
        idx = perm[cursor:cursor + batch]
        cursor += batch
        lengths = data["lengths"][idx]
        width = int(lengths.max())
        toks = data["tokens"][idx, :width]
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=use_bf16):
            loss, total, _, _ = assistant_loss(model, toks, data["mask"][idx], lengths,
                                               tcfg["router_aux_coef"], hyper.num_experts_per_tok, hyper.num_local_experts)
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tcfg["grad_clip"])
        opt.step()
        tokens_seen += int(lengths.sum())
        running.append(loss.detach())
        elapsed = time.time() - t0
        last = step == steps or elapsed >= time_limit
        if step % tcfg["log_every"] == 0 or last:
            evaluate = step % tcfg["eval_every"] == 0 or last
            held = held_out_loss(model, data, 64, device, use_bf16) if evaluate else ""
            skill = held_out_loss(model, data, 64, device, use_bf16, "skill_") if evaluate and has_skills else ""
            writer.writerow([step, f"{elapsed:.1f}", tokens_seen, f"{lr:.3e}", f"{float(torch.stack(running).mean()):.4f}",
                             f"{held:.4f}" if held != "" else "", f"{skill:.4f}" if skill != "" else ""])
            log.flush()
            print(f"step {step} {elapsed:6.1f}s lr {lr:.2e} train {float(torch.stack(running).mean()):.4f} "
                  f"held-out {held if held == '' else round(held, 4)} skills {skill if skill == '' else round(skill, 4)}",
                  flush=True)
            running = []
            if held != "" and held < best[0]:
                best = (held, {k: v.detach().float().cpu().clone() for k, v in model.state_dict().items()}, step)
                best_skill = skill
        if last:
            break
    log.close()
    print(f"best held-out loss {best[0]:.4f} (ppl {math.exp(best[0]):.2f}) at step {best[2]}; "
          f"{tokens_seen} tokens in {time.time() - t0:.0f}s", flush=True)
    summary_extra = {}
    if args.gguf:
        summary_extra["gguf_bytes"] = export_gguf(best[1], hyper, args.data, args.gguf)
    with open(os.path.join(args.out, "train_summary.json"), "w") as f:
        json.dump({"best_held_out_loss": best[0], "best_step": best[2], "held_out_skill_loss_at_best": best_skill,
                   "steps_run": step,
                   "tokens_seen": tokens_seen, "seconds": time.time() - t0, "parameters": n_params,
                   "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
                   "torch": torch.__version__, "experts_implementation": model.config._experts_implementation,
                   **summary_extra}, f, indent=1)


def export_gguf(state: dict[str, torch.Tensor], hyper: ModelHyper, data_dir: str, path: str) -> int:
    """float32 weights -> the released files' layout: experts MXFP4, other matrices Q8_0, vectors F32."""
    from gptoss_gguf_export import TokenizerSpec, hf_to_gguf_tensors, write_gguf  # needs the gguf package

    with open(os.path.join(data_dir, "tokenizer.json")) as f:
        spec = TokenizerSpec(**json.load(f))
    write_gguf(path, hyper, hf_to_gguf_tensors(state, hyper.num_hidden_layers), "mxfp4", spec,
               name="gptoss-shakespeare (demo model of gptoss-gl)")
    print(f"wrote {path}: {os.path.getsize(path) / 1e6:.2f} MB", flush=True)
    return os.path.getsize(path)


def main() -> None:
    ap = argparse.ArgumentParser(description="Train or export the gptoss-gl demo model.")
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", required=True, help="folder written by make_demo_corpus.py")
    ap.add_argument("--out", required=True, help="folder for loss.csv and train_summary.json")
    ap.add_argument("--steps", type=int, help="override training.steps (e.g. a smoke run)")
    ap.add_argument("--time-limit", type=float, help="override training.time_limit_s")
    ap.add_argument("--gguf", help="write the best weights as a quantised GGUF here (needs the gguf package)")
    args = ap.parse_args()
    train(args)


if __name__ == "__main__":
    main()
