"""Plots the demo model's loss curves (train_demo_model.py's loss.csv) into one PNG.

    python3 scripts/plot_loss_curve.py OUT.png RUN.csv[:label] [RUN.csv[:label] ...]
"""
from __future__ import annotations

import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(path: str):
    steps, train, held_steps, held, skill = [], [], [], [], []
    with open(path) as f:
        for row in csv.DictReader(f):
            steps.append(int(row["step"]))
            train.append(float(row["train_loss"]))
            if row["held_out_loss"]:
                held_steps.append(int(row["step"]))
                held.append(float(row["held_out_loss"]))
                if row.get("held_out_skill_loss"):  # runs since the reasoning and tool-call skills
                    skill.append(float(row["held_out_skill_loss"]))
    return steps, train, held_steps, held, skill


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    out, runs = sys.argv[1], sys.argv[2:]
    fig, axes = plt.subplots(1, len(runs), figsize=(6 * len(runs), 4), squeeze=False)
    for ax, run in zip(axes[0], runs):
        path, _, label = run.partition(":")
        steps, train, held_steps, held, skill = read(path)
        ax.plot(steps, train, label="train (assistant tokens)")
        ax.plot(held_steps, held, "o-", label="held-out play (The Tempest)")
        if skill:
            ax.plot(held_steps, skill, "s-", label="held-out reasoning and tool calls")
        best = min(range(len(held)), key=held.__getitem__)
        ax.annotate(f"best {held[best]:.3f}", (held_steps[best], held[best]), textcoords="offset points", xytext=(0, 10))
        ax.set_title(label or path)
        ax.set_xlabel("step (batch 128 conversations)")
        ax.set_ylabel("cross-entropy (nats / token)")
        ax.set_ylim(0, 10.5)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=90)


if __name__ == "__main__":
    main()
