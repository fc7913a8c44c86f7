"""The demo model's Harmony skills: reasoning on the analysis channel and function calls.

make_demo_corpus.py mixes these into the Shakespeare corpus so that the tiny model writes what an
OpenAI-compatible server must carry: `reasoning_content` (an analysis message) and tool calls
(a commentary message to `functions.NAME` with JSON arguments, answered by a tool message).

One rule, kept in every conversation so the model can learn it: with `Reasoning: low` the
assistant writes no analysis message; with medium it writes one short sentence or two before each
answer or call; with high a longer one. The tools answer from the plays themselves (the
`ShakespeareIndex` below), so every tool result and every final answer built on it is true.

Every conversation is rendered by openai-harmony; the loss spans are the assistant turns (from
the token after the prompt's `<|start|>assistant` through the turn's `<|call|>` or `<|return|>`),
never the system, developer, user or tool text.
"""
from __future__ import annotations

import collections
import configparser
import json
import os
import random
import re
from dataclasses import dataclass

# MARK: - the tools


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict  # JSON schema, as an OpenAI `tools` entry carries it

    def openai(self) -> dict:
        """The tool as the official `openai` client sends it (`tools=[...]`)."""
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}


def _object(properties: dict[str, str]) -> dict:
    return {"type": "object",
            "properties": {k: {"type": "string", "description": v} for k, v in properties.items()},
            "required": list(properties)}


TOOLS = {
    "get_speaker": Tool("get_speaker", "Finds which character speaks a line of Shakespeare, and in which play.",
                        _object({"line": "The line, exactly as printed."})),
    "count_word": Tool("count_word", "Counts how often a word appears in Shakespeare's plays and poems.",
                       _object({"word": "One word, in lower case."})),
    "first_line": Tool("first_line", "Gives the first line a character speaks in a play.",
                       _object({"speaker": "The character's name.", "play": "The play's title."})),
    "list_speakers": Tool("list_speakers", "Lists the characters who speak most often in a play.",
                          _object({"play": "The play's title."})),
}

TOOL_INSTRUCTIONS = [
    None,
    "Use the tools to answer questions about Shakespeare.",
    "Answer in the words of Shakespeare's plays.",
]


def json_args(args: dict) -> str:
    """Arguments as the assistant writes them: compact JSON, non-ASCII kept."""
    return json.dumps(args, ensure_ascii=False, separators=(",", ":"))


def json_result(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False)


# MARK: - facts from the texts


def read_titles(texts_dir: str) -> dict[str, str]:
    """work (file name without _gut.txt) -> title, from the sdist's metadata.txt."""
    meta = configparser.ConfigParser(interpolation=None)
    meta.read(os.path.join(texts_dir, "metadata.txt"), encoding="utf-8")
    titles = {}
    for section in meta.sections():
        if section.endswith("_gut") and meta.has_option(section, "title"):
            titles[section[: -len("_gut")]] = meta.get(section, "title").strip()
    return titles


WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def display_name(speaker: str) -> str:
    """ROMEO -> Romeo, FIRST CITIZEN -> First Citizen (how a user writes a name)."""
    return " ".join(part.capitalize() for part in speaker.split())


class ShakespeareIndex:
    """What the tools know, computed from the parsed texts: every line's speaker, every
    character's first line, word counts per work, and each play's most frequent speakers."""

    def __init__(self, plays: dict[str, list[tuple[str, list[str]]]], poems: dict[str, list[list[str]]],
                 titles: dict[str, str]):
        self.titles = titles
        line_count: collections.Counter[str] = collections.Counter()
        self.speaker_of: dict[str, tuple[str, str]] = {}
        self.first_line: dict[tuple[str, str], str] = {}
        self.speech_count: dict[str, collections.Counter[str]] = {}
        words: dict[str, collections.Counter[str]] = {}
        for work, speeches in plays.items():
            counts: collections.Counter[str] = collections.Counter()
            wc = words.setdefault(work, collections.Counter())
            for speaker, lines in speeches:
                counts[speaker] += 1
                self.first_line.setdefault((work, speaker), lines[0])
                for line in lines:
                    line_count[line] += 1
                    self.speaker_of[line] = (work, speaker)
                    wc.update(WORD.findall(line.lower()))
            self.speech_count[work] = counts
        for work, stanzas in poems.items():
            wc = words.setdefault(work, collections.Counter())
            for lines in stanzas:
                for line in lines:
                    wc.update(WORD.findall(line.lower()))
        # A line names its speaker only if it occurs once in all the plays.
        self.unique_lines = sorted(ln for ln, n in line_count.items() if n == 1 and 24 <= len(ln) <= 72)
        self.word_total: collections.Counter[str] = collections.Counter()
        for wc in words.values():
            self.word_total.update(wc)
        self.word_works = words

    def title(self, work: str) -> str:
        return self.titles.get(work, display_name(work.replace("_", " ")))

    def work_of_title(self, title: str) -> str | None:
        for work, t in self.titles.items():
            if t.lower() == title.strip().lower() and work in self.speech_count:
                return work
        return None

    # The tools themselves: arguments as the model writes them -> the JSON result.

    def get_speaker(self, line: str) -> dict:
        found = self.speaker_of.get(" ".join(line.split()))
        if found is None:
            return {"error": "line not found"}
        work, speaker = found
        return {"speaker": speaker, "play": self.title(work)}

    def count_word(self, word: str) -> dict:
        w = word.strip().lower()
        total = self.word_total.get(w, 0)
        if total == 0:
            return {"word": w, "count": 0}
        most = max(self.word_works, key=lambda work: (self.word_works[work].get(w, 0), work))
        return {"word": w, "count": total, "most_in": self.title(most)}

    def first_line_of(self, speaker: str, play: str) -> dict:
        work = self.work_of_title(play)
        key = (work, " ".join(speaker.upper().split())) if work else None
        if key not in self.first_line:
            return {"error": "no such character in that play"}
        return {"speaker": key[1], "play": self.title(work), "line": self.first_line[key]}

    def list_speakers(self, play: str) -> dict:
        work = self.work_of_title(play)
        if work is None:
            return {"error": "no such play"}
        top = [name for name, _ in self.speech_count[work].most_common(4)]
        return {"play": self.title(work), "speakers": top}

    def call(self, name: str, args: dict) -> dict:
        if name == "get_speaker":
            return self.get_speaker(args["line"])
        if name == "count_word":
            return self.count_word(args["word"])
        if name == "first_line":
            return self.first_line_of(args["speaker"], args["play"])
        if name == "list_speakers":
            return self.list_speakers(args["play"])
        raise KeyError(name)


# MARK: - what the assistant says


def join_names(names: list[str]) -> str:
    names = [display_name(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass
class ToolTask:
    """One question a tool answers: the user's words, the call, and everything said after."""
    tool: str
    user: str
    args: dict
    result: dict
    ask: str  # what the user asks, for the analysis ("who speaks a line")
    found: str  # what the result says, for the analysis after it
    answer: str  # the final answer, from the result


def speaker_task(index: ShakespeareIndex, line: str, rng: random.Random) -> ToolTask:
    result = index.get_speaker(line)
    user = rng.choice([f'Who says "{line}"?', f'Which character speaks the line "{line}"?',
                       f'Who speaks this line: "{line}"'])
    who, play = display_name(result["speaker"]), result["play"]
    return ToolTask("get_speaker", user, {"line": line}, result, "who speaks a line",
                    f"{who} speaks it, in {play}", f"That line is spoken by {who}, in {play}.")


def word_task(index: ShakespeareIndex, word: str, rng: random.Random) -> ToolTask:
    result = index.count_word(word)
    user = rng.choice([f'How often does Shakespeare use the word "{word}"?',
                       f'How many times does "{word}" appear in Shakespeare?', f'Count the word "{word}".'])
    n, most = result["count"], result["most_in"]
    times = "once" if n == 1 else f"{n} times"
    return ToolTask("count_word", user, {"word": word}, result, f'how often "{word}" appears',
                    f'"{word}" appears {times}, most in {most}',
                    f'The word "{word}" appears {times} in Shakespeare\'s plays and poems, most often in {most}.')


def first_line_task(index: ShakespeareIndex, work: str, speaker: str, rng: random.Random) -> ToolTask:
    who, play = display_name(speaker), index.title(work)
    result = index.first_line_of(who, play)
    user = rng.choice([f"What is {who}'s first line in {play}?", f"What does {who} say first in {play}?",
                       f"Give me the first words of {who} in {play}."])
    return ToolTask("first_line", user, {"speaker": who, "play": play}, result,
                    f"for {who}'s first line in {play}", f"{who} first says \"{result['line']}\"",
                    f"{who}'s first line in {play} is: \"{result['line']}\"")


def speakers_task(index: ShakespeareIndex, work: str, rng: random.Random) -> ToolTask:
    play = index.title(work)
    result = index.list_speakers(play)
    user = rng.choice([f"Who are the main characters of {play}?", f"Which characters speak most in {play}?",
                       f"Who speaks most often in {play}?"])
    names = join_names(result["speakers"])
    return ToolTask("list_speakers", user, {"play": play}, result, f"who speaks most in {play}",
                    f"the chief speakers are {names}", f"The characters who speak most in {play} are {names}.")


def analysis_before_call(task: ToolTask, reasoning: str) -> str:
    if reasoning == "medium":
        return f"The user asks {task.ask}. I will call {task.tool}."
    return (f"The user asks {task.ask}. The {task.tool} tool answers that from the texts, so I will call it "
            f"with the user's words and answer from its result.")


def analysis_after_result(task: ToolTask, reasoning: str) -> str:
    if reasoning == "medium":
        return f"The tool says {task.found}. I will answer."
    return f"The tool says {task.found}. That answers the question, so I will reply in one sentence."


def analysis_for_scene(kind: str, speaker: str | None, reasoning: str, tools_offered: bool) -> str:
    """The thought before a Shakespeare reply: what was asked, and that it is quoted, not looked up."""
    if kind == "name" and speaker:
        text = f"The user asks for {display_name(speaker)}'s lines. "
        plan = f"I will continue the scene from {display_name(speaker)}'s speech."
    else:
        text = "The user gives a line of verse. "
        plan = "I will continue from that line."
    if tools_offered:
        text += "No tool is needed. "
    text += plan
    if reasoning == "high":
        text += " The reply is Shakespeare's own text, line by line, with each speaker's name before the speech."
    return text


# MARK: - rendering


class SkillRenderer:
    """Renders conversations with openai-harmony and marks the assistant turns for the loss."""

    def __init__(self, oh, enc):
        self.oh = oh
        self.enc = enc
        self.stops = {enc.encode("<|call|>", allowed_special="all")[0], enc.encode("<|return|>", allowed_special="all")[0]}

    def system(self, system: dict):
        oh = self.oh
        content = oh.SystemContent.new().with_reasoning_effort(
            {"low": oh.ReasoningEffort.LOW, "medium": oh.ReasoningEffort.MEDIUM, "high": oh.ReasoningEffort.HIGH}[system["reasoning"]])
        if system.get("date"):
            content = content.with_conversation_start_date(system["date"])
        return oh.Message.from_role_and_content(oh.Role.SYSTEM, content)

    def developer(self, instructions: str | None, tools: list[Tool]):
        oh = self.oh
        content = oh.DeveloperContent.new()
        if instructions:
            content = content.with_instructions(instructions)
        if tools:
            content = content.with_function_tools(
                [oh.ToolDescription.new(t.name, t.description, parameters=t.parameters) for t in tools])
        return oh.Message.from_role_and_content(oh.Role.DEVELOPER, content)

    def user(self, text: str):
        return self.oh.Message.from_role_and_content(self.oh.Role.USER, text)

    def assistant(self, text: str, channel: str):
        return self.oh.Message.from_role_and_content(self.oh.Role.ASSISTANT, text).with_channel(channel)

    def call(self, tool: str, args: dict):
        return (self.oh.Message.from_role_and_content(self.oh.Role.ASSISTANT, json_args(args))
                .with_channel("commentary").with_recipient(f"functions.{tool}").with_content_type("<|constrain|>json"))

    def tool_result(self, tool: str, result: dict):
        oh = self.oh
        return (oh.Message.from_author_and_content(oh.Author.new(oh.Role.TOOL, f"functions.{tool}"), json_result(result))
                .with_channel("commentary").with_recipient("assistant"))

    def render(self, messages: list, trained_turns: list[int]) -> tuple[list[int], list[tuple[int, int]]]:
        """The whole conversation (analysis kept: each turn is shown as the model saw it), and the
        token spans of the assistant turns that start at messages[k] for k in trained_turns.
        A turn's span starts after the `<|start|>assistant` of its completion prompt (rendered by
        openai-harmony for the messages before it) and ends with its `<|call|>` or `<|return|>`."""
        oh = self.oh
        keep = oh.RenderConversationConfig(auto_drop_analysis=False)
        full = list(self.enc.render_conversation_for_training(oh.Conversation.from_messages(messages), keep))
        spans = []
        for k in trained_turns:
            prompt = self.enc.render_conversation_for_completion(oh.Conversation.from_messages(messages[:k]), oh.Role.ASSISTANT)
            if full[:len(prompt)] != list(prompt):
                raise AssertionError(f"openai-harmony's prompt for turn {k} is not a prefix of the conversation")
            end = next(p for p in range(len(prompt), len(full)) if full[p] in self.stops)
            spans.append((len(prompt), end + 1))
        return full, spans


@dataclass
class SkillMix:
    """How often each kind of conversation occurs (fractions of their own kind of row)."""
    scene_reasoning: tuple[float, float, float] = (0.78, 0.15, 0.07)  # low, medium, high: scene rows
    tool_reasoning: tuple[float, float, float] = (0.35, 0.45, 0.20)  # low, medium, high: tool rows
    scene_tools_offered: float = 0.08  # scene rows whose developer message lists tools (no call)
    history_without_analysis: float = 0.25  # tool rows (medium/high) whose history lacks the first analysis
    tool_weights: tuple[float, float, float, float] = (0.35, 0.30, 0.20, 0.15)  # get_speaker, count_word, first_line, list_speakers


def pick_reasoning(weights, rng: random.Random) -> str:
    return rng.choices(["low", "medium", "high"], weights=weights)[0]


def random_date(rng: random.Random) -> str | None:
    if rng.random() < 0.2:
        return f"{rng.randint(2024, 2027)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return None


def offered_tools(needed: str | None, rng: random.Random) -> list[Tool]:
    """The needed tool (if any) among 0-3 others (so up to all four), in a random order."""
    others = [t for t in TOOLS if t != needed]
    chosen = rng.sample(others, rng.randint(0 if needed else 1, 3)) + ([needed] if needed else [])
    rng.shuffle(chosen)
    return [TOOLS[name] for name in chosen]


def scene_conversation(r: SkillRenderer, mix: SkillMix, user: str, reply: str, kind: str, speaker: str | None,
                       developer_note: str | None, rng: random.Random, reasoning: str | None = None):
    """A Shakespeare request: [analysis when reasoning is not low] then the scene on the final channel."""
    reasoning = reasoning or pick_reasoning(mix.scene_reasoning, rng)
    tools = offered_tools(None, rng) if rng.random() < mix.scene_tools_offered else []
    messages = [r.system({"reasoning": reasoning, "date": random_date(rng)})]
    if developer_note or tools:
        messages.append(r.developer(developer_note, tools))
    messages.append(r.user(user))
    turn = len(messages)
    if reasoning != "low":
        messages.append(r.assistant(analysis_for_scene(kind, speaker, reasoning, bool(tools)), "analysis"))
    messages.append(r.assistant(reply, "final"))
    return r.render(messages, [turn])


def tool_conversation(r: SkillRenderer, mix: SkillMix, task: ToolTask, rng: random.Random):
    """Question -> [analysis] -> call -> tool result -> [analysis] -> final answer from the result.
    Both assistant turns are trained, except a first turn whose analysis the history lacks (as
    when a client does not send the reasoning back): that turn is context only."""
    reasoning = pick_reasoning(mix.tool_reasoning, rng)
    messages = [r.system({"reasoning": reasoning, "date": random_date(rng)}),
                r.developer(rng.choice(TOOL_INSTRUCTIONS), offered_tools(task.tool, rng)),
                r.user(task.user)]
    first_turn = len(messages)
    trained = [first_turn]
    if reasoning != "low":
        if rng.random() < mix.history_without_analysis:
            trained = []
        else:
            messages.append(r.assistant(analysis_before_call(task, reasoning), "analysis"))
    messages.append(r.call(task.tool, task.args))
    messages.append(r.tool_result(task.tool, task.result))
    trained.append(len(messages))
    if reasoning != "low":
        messages.append(r.assistant(analysis_after_result(task, reasoning), "analysis"))
    messages.append(r.assistant(task.answer, "final"))
    return r.render(messages, trained)


def tool_tasks(index: ShakespeareIndex, works: list[str], count: int, words: list[str], mix: SkillMix,
               rng: random.Random) -> list[ToolTask]:
    """`count` tool questions about the given works (and the given words), each fact used once
    where there are enough of them."""
    works = [w for w in works if w in index.speech_count]
    wanted = set(works)
    lines = [ln for ln in index.unique_lines if index.speaker_of[ln][0] in wanted]
    rng.shuffle(lines)
    words = list(words)
    rng.shuffle(words)
    people = sorted(k for k, v in index.first_line.items() if k[0] in wanted and index.speech_count[k[0]][k[1]] >= 3
                    and 12 <= len(v) <= 72)
    rng.shuffle(people)
    tasks = []
    for k in range(count):
        tool = rng.choices(list(TOOLS), weights=mix.tool_weights)[0]
        if tool == "get_speaker" and lines:
            tasks.append(speaker_task(index, lines.pop(), rng))
        elif tool == "count_word" and words:
            tasks.append(word_task(index, words.pop(), rng))
        elif tool == "first_line" and people:
            work, speaker = people.pop()
            tasks.append(first_line_task(index, work, speaker, rng))
        elif works:
            tasks.append(speakers_task(index, rng.choice(works), rng))
    return tasks


def split_words(index: ShakespeareIndex, rng: random.Random, held_share: float = 0.05) -> tuple[list[str], list[str]]:
    """Words for count_word questions (4+ letters, used 3+ times), split into training and held-out."""
    words = sorted(w for w, n in index.word_total.items() if n >= 3 and len(w) >= 4 and "'" not in w)
    rng.shuffle(words)
    cut = int(len(words) * held_share)
    return words[cut:], words[:cut]


def tools_file(held_out: list[ToolTask], per_tool: int = 3) -> dict:
    """The tool definitions in the `openai` client's form, with held-out questions (the first
    `per_tool` of each tool) the model was taught to answer through them (for the server's tests
    and scripts/check_demo_model_skills.py)."""
    examples = [t for name in TOOLS for t in [t for t in held_out if t.tool == name][:per_tool]]
    return {
        "about": "The functions the demo model gptoss-shakespeare was trained to call, as OpenAI `tools` "
                 "entries (rendered by openai-harmony 0.0.8 into the developer message), and held-out "
                 "questions with the tool's true result. Reasoning low: no analysis message; medium/high: "
                 "an analysis message before each call and each answer.",
        "tools": [t.openai() for t in TOOLS.values()],
        "examples": [{"question": t.user, "tool": t.tool, "arguments": t.args, "result": t.result,
                      "answer": t.answer} for t in examples],
    }
