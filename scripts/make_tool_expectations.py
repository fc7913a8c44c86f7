#!/usr/bin/env python3
"""Writes Tests/TokenizerTests/Fixtures/tools.json: conversations with function tools (in
gptoss-gl's conversation JSON, "tools" included) and openai-harmony's rendering of each
(`render_conversation_for_completion(…, assistant)`), so the tokenizer tests can check that the
Swift renderer writes `# Tools` / `namespace functions` and the tool-call and tool-result
messages byte for byte as openai-harmony 0.0.8 does.

The JSON schemas cover: no parameters, required and optional members, string enums with and
without defaults, numbers and booleans, nested objects, arrays (of scalars and of objects),
descriptions on every level, titles and examples, oneOf, nullable, and a type list.

The file keeps every object's members in the order written here (no sort_keys): the renderer
must follow the client's property order, as openai-harmony does.

Run from the repository root:  python3 scripts/make_tool_expectations.py
"""
import json
import os
import shutil
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOCAB = ROOT / "Assets" / "tokenizer" / "o200k_base.tiktoken"
OUT = ROOT / "Tests" / "TokenizerTests" / "Fixtures" / "tools.json"

# openai-harmony looks for o200k_base.tiktoken under TIKTOKEN_ENCODINGS_BASE (no download).
temp = tempfile.mkdtemp(prefix="o200k-")
shutil.copy(VOCAB, Path(temp) / "o200k_base.tiktoken")
os.environ["TIKTOKEN_ENCODINGS_BASE"] = temp

from openai_harmony import (  # noqa: E402
    Author, Conversation, DeveloperContent, HarmonyEncodingName, Message, ReasoningEffort, Role,
    SystemContent, ToolDescription, load_harmony_encoding,
)

WEATHER = {
    "name": "get_weather",
    "description": "Gets the current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "The city, e.g. Verona"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
        },
        "required": ["city"],
    },
}
DEFINE = {
    "name": "define",
    "description": "Looks a word up in the dictionary.",
    "parameters": {"type": "object", "properties": {"word": {"type": "string"}}, "required": ["word"]},
}
NO_PARAMS = {"name": "get_time", "description": "Returns the current time."}
EVERYTHING = {
    "name": "search_plays",
    "description": "Searches Shakespeare's plays.\nReturns matching lines.",
    "parameters": {
        "type": "object",
        "description": "The search",
        "properties": {
            "query": {"type": "string", "description": "Words to find", "examples": ["rose", "dagger"]},
            "limit": {"type": "integer", "description": "At most this many lines", "default": 10},
            "exact": {"type": "boolean", "default": False},
            "score": {"type": "number"},
            "plays": {"type": "array", "items": {"type": "string", "enum": ["Hamlet", "Macbeth"]},
                      "description": "Only these plays"},
            "any_list": {"type": "array"},
            "range": {
                "type": "object",
                "title": "Line range",
                "description": "Where to look",
                "properties": {
                    "from": {"type": "integer", "description": "First line"},
                    "to": {"type": "integer"},
                    "inner": {"type": "object", "properties": {"deep": {"type": "string", "default": "yes"}}},
                },
                "required": ["from"],
            },
            "speakers": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}},
                                                      "required": ["name"]}},
            "mode": {"description": "How to match",
                     "oneOf": [{"type": "string", "enum": ["words", "phrase"], "description": "How to match"},
                               {"type": "integer", "description": "Edit distance", "default": 1},
                               {"type": "boolean", "nullable": True}]},
            "note": {"type": "string", "nullable": True, "default": "none"},
            "id": {"type": ["string", "integer"]},
            "anything": {},
        },
        "required": ["query", "mode"],
    },
}
ONE_OF_TOP = {"name": "pick", "description": "",
              "parameters": {"oneOf": [{"type": "string", "description": "a name"}, {"type": "number", "default": 0}]}}
EMPTY_OBJECT = {"name": "ping", "description": "Checks that the service answers.",
                "parameters": {"type": "object", "properties": {}}}

CONVERSATIONS = [
    {"tools": [WEATHER], "messages": [{"role": "user", "content": "Weather in Verona?"}]},
    {"system": {"reasoning": "low"}, "developer": "Answer in verse.", "tools": [DEFINE, NO_PARAMS],
     "messages": [{"role": "user", "content": "What does 'anon' mean?"}]},
    {"tools": [NO_PARAMS], "messages": [{"role": "user", "content": "Time?"}]},
    {"system": {"reasoning": "high", "date": "2025-06-28"}, "tools": [EVERYTHING],
     "messages": [{"role": "user", "content": "Find 'rose'."}]},
    {"tools": [ONE_OF_TOP, EMPTY_OBJECT], "messages": [{"role": "user", "content": "Pick."}]},
    # A whole round trip: the call (analysis, then the commentary call with <|constrain|>json and
    # <|call|>), the tool's answer, then the next assistant turn.
    {"system": {"reasoning": "low"}, "tools": [WEATHER],
     "messages": [{"role": "user", "content": "Weather in Verona?"},
                  {"role": "assistant", "channel": "analysis", "content": "Need the weather tool."},
                  {"role": "assistant", "channel": "commentary", "recipient": "functions.get_weather",
                   "content_type": "<|constrain|>json", "content": "{\"city\":\"Verona\"}"},
                  {"role": "tool", "name": "functions.get_weather", "channel": "commentary",
                   "recipient": "assistant", "content": "{\"temperature\": 21, \"sky\": \"clear\"}"}]},
    # A finished turn after a tool call, then a new question.
    {"developer": "Be brief.", "tools": [DEFINE],
     "messages": [{"role": "user", "content": "Define 'wherefore'."},
                  {"role": "assistant", "channel": "commentary", "recipient": "functions.define",
                   "content_type": "<|constrain|>json", "content": "{\"word\":\"wherefore\"}"},
                  {"role": "tool", "name": "functions.define", "channel": "commentary", "recipient": "assistant",
                   "content": "why"},
                  {"role": "assistant", "channel": "final", "content": "It means why."},
                  {"role": "user", "content": "Thanks."}]},
]

EFFORTS = {"low": ReasoningEffort.LOW, "medium": ReasoningEffort.MEDIUM, "high": ReasoningEffort.HIGH}


def to_harmony(conversation):
    """gptoss-gl's conversation JSON as openai-harmony messages (the system message always)."""
    system = conversation.get("system", {})
    content = SystemContent.new()
    if "date" in system:
        content = content.with_conversation_start_date(system["date"])
    content = content.with_reasoning_effort(EFFORTS[system.get("reasoning", "medium")])
    messages = [Message.from_role_and_content(Role.SYSTEM, content)]
    developer = None
    if "developer" in conversation:
        developer = DeveloperContent.new().with_instructions(conversation["developer"])
    if conversation.get("tools"):
        developer = developer or DeveloperContent.new()
        developer = developer.with_function_tools([
            ToolDescription.new(t["name"], t.get("description", ""), parameters=t.get("parameters"))
            for t in conversation["tools"]])
    if developer is not None:
        messages.append(Message.from_role_and_content(Role.DEVELOPER, developer))
    for m in conversation["messages"]:
        if m["role"] == "tool":
            message = Message.from_author_and_content(Author.new(Role.TOOL, m["name"]), m["content"])
        else:
            message = Message.from_role_and_content(Role(m["role"]), m["content"])
        if "channel" in m:
            message = message.with_channel(m["channel"])
        if "recipient" in m:
            message = message.with_recipient(m["recipient"])
        if "content_type" in m:
            message = message.with_content_type(m["content_type"])
        messages.append(message)
    return Conversation.from_messages(messages)


def main():
    encoding = load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)
    cases = []
    for conversation in CONVERSATIONS:
        ids = encoding.render_conversation_for_completion(to_harmony(conversation), Role.ASSISTANT)
        cases.append({"conversation": conversation, "ids": ids, "text": encoding.decode_utf8(ids)})
    payload = {"generator": "openai-harmony HARMONY_GPT_OSS render_conversation_for_completion(…, assistant) "
                            "with DeveloperContent.with_function_tools",
               "versions": {"openai-harmony": version("openai-harmony"), "python": sys.version.split()[0]},
               "cases": cases}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False, indent=1)
        f.write("\n")
    shutil.rmtree(temp)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(cases)} conversations)")


if __name__ == "__main__":
    main()
