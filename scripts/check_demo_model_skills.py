"""Checks that a demo GGUF learnt the Harmony skills an OpenAI-compatible server exposes:
reasoning (an analysis message before the answer) and function calling (a commentary message to
`functions.NAME` with JSON arguments, then an answer built on the tool's result).

Prompts are rendered by openai-harmony (o200k ids, mapped to the GGUF's own ids by token bytes);
the model runs in PyTorch on the GGUF's dequantised weights (float32, greedy; on CUDA when there
is a GPU); its output is mapped back and parsed by openai-harmony's own parser. Cases:

    reasoning   reasoning medium, a Shakespeare request     -> analysis message, then a final one
    low         reasoning low, the same request             -> a final message without analysis
    call        reasoning medium, the four tools, a question -> a functions.* call, JSON arguments
    answer      the call above + the tool's true result      -> a final message using the result

    python3 scripts/check_demo_model_skills.py MODEL.gguf [--tools Assets/models/gptoss-shakespeare-tools.json]
        [--example N] [--out result.json] [--device cpu|cuda]

Exits 1 when a required case fails (reasoning, call, answer), 0 otherwise; `low` is reported only.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_tokenizer  # noqa: E402
from gptoss_gguf_export import gpt2_byte_to_unicode  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOCAB = os.path.join(ROOT, "Assets", "tokenizer", "o200k_base.tiktoken")


class Harmony:
    """openai-harmony over the repo's o200k file, and the GGUF's tokens as bytes."""

    def __init__(self, gguf_path: str):
        import gguf

        folder = tempfile.mkdtemp(prefix="tiktoken-")
        os.symlink(VOCAB, os.path.join(folder, "o200k_base.tiktoken"))
        os.environ["TIKTOKEN_ENCODINGS_BASE"] = folder
        import openai_harmony as oh

        self.oh = oh
        self.enc = oh.load_harmony_encoding(oh.HarmonyEncodingName.HARMONY_GPT_OSS)
        self.o200k_rank = demo_tokenizer.load_o200k_ranks(VOCAB)
        self.o200k_bytes = {r: b for b, r in self.o200k_rank.items()}
        self.harmony_special = {name: self.enc.encode(name, allowed_special="all")[0] for name in demo_tokenizer.HARMONY_SPECIALS}

        tokens = gguf.GGUFReader(gguf_path).fields["tokenizer.ggml.tokens"].contents()
        char_byte = {c: b for b, c in gpt2_byte_to_unicode().items()}
        self.special = {t: i for i, t in enumerate(tokens) if t in self.harmony_special}
        self.bytes_of = [b"" if t in self.special else bytes(char_byte[c] for c in t) for t in tokens]
        self.ranks = {b: i for i, b in enumerate(self.bytes_of) if b}
        self.special_name = {i: t for t, i in self.special.items()}
        self.harmony_of_special = {self.special[n]: h for n, h in self.harmony_special.items() if n in self.special}
        self.outside_vocab = 0  # prompt tokens the GGUF lacks (re-split over its vocabulary)

    def to_model(self, o200k_ids: list[int]) -> list[int]:
        out = []
        names = {h: n for n, h in self.harmony_special.items()}
        for t in o200k_ids:
            if t in names:
                out.append(self.special[names[t]])
                continue
            b = self.o200k_bytes[t]
            if b in self.ranks:
                out.append(self.ranks[b])
            else:
                self.outside_vocab += 1
                out.extend(self.ranks[p] for p in demo_tokenizer.bpe(b, self.ranks))
        return out

    def to_o200k(self, model_ids: list[int]) -> list[int]:
        """Every GGUF token is an o200k token (the vocabulary is a subset): map by bytes."""
        return [self.harmony_of_special[t] if t in self.harmony_of_special else self.o200k_rank[self.bytes_of[t]]
                for t in model_ids]

    def text(self, model_ids: list[int]) -> str:
        return b"".join(self.special_name[t].encode() if t in self.special_name else self.bytes_of[t]
                        for t in model_ids).decode("utf-8", errors="replace")

    # Messages, as the corpus renders them (scripts/demo_skills.py).

    def system(self, reasoning: str):
        oh = self.oh
        effort = {"low": oh.ReasoningEffort.LOW, "medium": oh.ReasoningEffort.MEDIUM, "high": oh.ReasoningEffort.HIGH}[reasoning]
        return oh.Message.from_role_and_content(oh.Role.SYSTEM, oh.SystemContent.new().with_reasoning_effort(effort))

    def developer(self, tools: list[dict]):
        oh = self.oh
        described = [oh.ToolDescription.new(t["function"]["name"], t["function"]["description"],
                                            parameters=t["function"]["parameters"]) for t in tools]
        return oh.Message.from_role_and_content(oh.Role.DEVELOPER, oh.DeveloperContent.new().with_function_tools(described))

    def user(self, text: str):
        return self.oh.Message.from_role_and_content(self.oh.Role.USER, text)

    def tool_result(self, name: str, result: dict):
        oh = self.oh
        return (oh.Message.from_author_and_content(oh.Author.new(oh.Role.TOOL, f"functions.{name}"),
                                                   json.dumps(result, ensure_ascii=False))
                .with_channel("commentary").with_recipient("assistant"))

    def prompt(self, messages: list) -> list[int]:
        oh = self.oh
        return self.to_model(self.enc.render_conversation_for_completion(oh.Conversation.from_messages(messages), oh.Role.ASSISTANT))

    def parse(self, model_ids: list[int]):
        """openai-harmony's parse of a completion (lenient: a cut-off message is still returned)."""
        try:
            return self.enc.parse_messages_from_completion_tokens(self.to_o200k(model_ids), self.oh.Role.ASSISTANT, strict=False), None
        except Exception as e:  # noqa: BLE001 - any parse failure is a finding to report
            return [], f"{type(e).__name__}: {e}"


@torch.no_grad()
def greedy(model, h: Harmony, prompt: list[int], max_tokens: int) -> list[int]:
    stops = [h.special["<|return|>"], h.special["<|call|>"]]
    device = next(model.parameters()).device
    out = model.generate(torch.tensor([prompt], device=device), max_new_tokens=max_tokens, do_sample=False, eos_token_id=stops,
                         pad_token_id=h.special["<|endoftext|>"])
    return out[0, len(prompt):].tolist()


def describe(messages) -> list[dict]:
    out = []
    for m in messages:
        text = "".join(getattr(c, "text", "") for c in m.content)
        out.append({"channel": m.channel, "recipient": m.recipient, "content_type": m.content_type, "text": text})
    return out


def run_case(name: str, model, h: Harmony, messages: list, max_tokens: int) -> dict:
    prompt = h.prompt(messages)
    ids = greedy(model, h, prompt, max_tokens)
    parsed, error = h.parse(ids)
    case = {"case": name, "prompt_tokens": len(prompt), "output": h.text(ids), "parse_error": error,
            "messages": describe(parsed), "ended": bool(ids) and ids[-1] in (h.special["<|return|>"], h.special["<|call|>"])}
    print(f"--- {name} ({len(prompt)} prompt tokens)\n{case['output']}\n", flush=True)
    return case, parsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help="the GGUF to check")
    ap.add_argument("--tools", default=os.path.join(ROOT, "Assets", "models", "gptoss-shakespeare-tools.json"))
    ap.add_argument("--example", type=int, default=0, help="which of the tools file's held-out questions")
    ap.add_argument("--prompt", default="What says Juliet?", help="the Shakespeare request of the reasoning cases")
    ap.add_argument("--max-tokens", type=int, default=200)
    ap.add_argument("--out", help="write the findings as JSON here")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                    help="where PyTorch runs the model (default: cuda when there is one; float32 either way)")
    args = ap.parse_args()
    if not os.path.exists(args.model):
        raise SystemExit(f"{args.model}: no such file (give the demo GGUF to check)")
    with open(args.tools) as f:
        tools_file = json.load(f)
    if not 0 <= args.example < len(tools_file["examples"]):
        raise SystemExit(f"--example {args.example}: the tools file has {len(tools_file['examples'])} examples (0-based)")
    example = tools_file["examples"][args.example]

    from measure_perplexity import load_model

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    h = Harmony(args.model)
    model, _ = load_model(args.model)
    model = model.to(args.device)
    findings = {}

    # (a) reasoning medium: an analysis message with text, then a final one.
    case, msgs = run_case("reasoning", model, h, [h.system("medium"), h.user(args.prompt)], args.max_tokens)
    channels = [m.channel for m in msgs]
    case["pass"] = bool(msgs) and msgs[0].channel == "analysis" and bool(case["messages"][0]["text"].strip()) and "final" in channels
    findings["reasoning"] = case

    # Reasoning low: no analysis message (reported, not required).
    case, msgs = run_case("low", model, h, [h.system("low"), h.user(args.prompt)], args.max_tokens)
    case["pass"] = bool(msgs) and all(m.channel != "analysis" for m in msgs) and msgs[-1].channel == "final"
    findings["low"] = case

    # (b) a question one of the tools answers: a functions.* call with JSON arguments.
    history = [h.system("medium"), h.developer(tools_file["tools"]), h.user(example["question"])]
    case, msgs = run_case("call", model, h, history, args.max_tokens)
    calls = [m for m in msgs if (m.recipient or "").startswith("functions.")]
    call_ok, arguments = False, None
    if calls:
        try:
            arguments = json.loads(case["messages"][msgs.index(calls[-1])]["text"])
            call_ok = isinstance(arguments, dict) and case["ended"]
        except json.JSONDecodeError as e:
            case["json_error"] = str(e)
    names = {t["function"]["name"] for t in tools_file["tools"]}
    called = calls[-1].recipient[len("functions."):] if calls else None
    case.update({"pass": call_ok and called in names, "called": called, "arguments": arguments,
                 "expected_tool": example["tool"], "expected_arguments": example["arguments"],
                 "right_tool": called == example["tool"], "right_arguments": arguments == example["arguments"],
                 "analysis_first": bool(msgs) and msgs[0].channel == "analysis"})
    findings["call"] = case

    # (c) the round trip: the model's own turn (or the expected call, if it made none) and the
    # tool's true result; the answer must be a final message that uses the result.
    turn = msgs if calls else [h.oh.Message.from_role_and_content(h.oh.Role.ASSISTANT, json.dumps(example["arguments"]))
                               .with_channel("commentary").with_recipient(f"functions.{example['tool']}")
                               .with_content_type("<|constrain|>json")]
    result_message = h.tool_result(example["tool"], example["result"])
    case, msgs = run_case("answer", model, h, history + list(turn) + [result_message], args.max_tokens)
    finals = [m for m in msgs if m.channel == "final"]
    answer = case["messages"][msgs.index(finals[-1])]["text"] if finals else ""
    facts = [str(v) for v in example["result"].values() if not isinstance(v, list)]
    facts += [str(v) for value in example["result"].values() if isinstance(value, list) for v in value]
    used = [f for f in facts if f.lower() in answer.lower() or f.title().lower() in answer.lower()]
    case.update({"pass": bool(finals) and case["ended"], "facts_in_answer": used, "facts": facts,
                 "expected_answer": example["answer"], "analysis_first": bool(msgs) and msgs[0].channel == "analysis"})
    findings["answer"] = case

    print("case       pass   notes")
    print(f"reasoning  {findings['reasoning']['pass']!s:6} channels {[m['channel'] for m in findings['reasoning']['messages']]}")
    print(f"low        {findings['low']['pass']!s:6} channels {[m['channel'] for m in findings['low']['messages']]} (reported only)")
    c = findings["call"]
    print(f"call       {c['pass']!s:6} called {c['called']} args {c['arguments']} "
          f"(expected {c['expected_tool']} {c['expected_arguments']}; analysis first {c['analysis_first']})")
    a = findings["answer"]
    print(f"answer     {a['pass']!s:6} facts used {a['facts_in_answer']} of {a['facts']}")
    if h.outside_vocab:
        print(f"note: {h.outside_vocab} prompt tokens were outside the GGUF's vocabulary (re-split)")
    findings["prompt_tokens_outside_vocab"] = h.outside_vocab
    if args.out:
        with open(args.out, "w") as f:
            json.dump(findings, f, indent=1, ensure_ascii=False)
    ok = findings["reasoning"]["pass"] and findings["call"]["pass"] and findings["answer"]["pass"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
