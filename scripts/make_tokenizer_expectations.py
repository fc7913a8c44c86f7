#!/usr/bin/env python3
"""Writes the tokenizer and Harmony expectations that Tests/TokenizerTests check, using the
reference implementations offline:

  - tiktoken's o200k_harmony `encode_ordinary` for a few hundred strings (strings.json),
  - openai-harmony (HarmonyEncodingName.HARMONY_GPT_OSS) `render_conversation_for_completion`
    for a dozen conversations in gptoss-gl's conversation JSON (conversations.json),
  - openai-harmony's StreamableParser on model-output token streams (parsing.json).

Both libraries normally download o200k_base.tiktoken; here they read the copy in
Assets/tokenizer through TIKTOKEN_ENCODINGS_BASE (a temporary folder holding it under its plain
name, which is what openai-harmony looks for; tiktoken is given the ranks directly).

Run from the repository root:  python3 scripts/make_tokenizer_expectations.py

With `--bench-corpus PATH` it instead writes the 1 MB mixed-text corpus that docs/tokenizer.md's
speed figure uses (the strings above, Python's LICENSE prose and the source of its json package,
interleaved with a fixed seed), tokenizes it with tiktoken for comparison, and writes the ids
next to it (PATH.ids.json).
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
OUT = ROOT / "Tests" / "TokenizerTests" / "Fixtures"

temp = tempfile.mkdtemp(prefix="o200k-")
shutil.copy(VOCAB, Path(temp) / "o200k_base.tiktoken")
os.environ["TIKTOKEN_ENCODINGS_BASE"] = temp

import regex  # noqa: E402
import tiktoken  # noqa: E402
from tiktoken.load import load_tiktoken_bpe  # noqa: E402
from tiktoken_ext import openai_public  # noqa: E402
import openai_harmony as harmony  # noqa: E402
from openai_harmony import (  # noqa: E402
    Author, Conversation, DeveloperContent, HarmonyEncodingName, Message, ReasoningEffort, Role,
    StreamableParser, SystemContent, load_harmony_encoding,
)


def o200k_harmony():
    """tiktoken's own o200k_harmony definition, with the ranks read from the local file."""
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda *_args, **_kw: load_tiktoken_bpe(str(VOCAB))
    try:
        return tiktoken.Encoding(**openai_public.o200k_harmony())
    finally:
        openai_public.load_tiktoken_bpe = original


# MARK: - Strings

def strings():
    cases = [
        "", " ", "a", "Hello, world!", "hello world", "Hello World HELLO world",
        "The quick brown fox jumps over the lazy dog.",
        # contractions in every case, and near misses
        "I'm you're we've they'll she'd it's don't", "I'M YOU'RE WE'VE THEY'LL SHE'D IT'S DON'T",
        "I'm You'Re wE'vE They'lL She'D it'S Don'T", "'s 't 're 've 'm 'll 'd", "'S'T'RE'VE'M'LL'D",
        "rock'n'roll", "o'clock", "y'all'd've", "ma'am", "it’s curly", "it'ſ long s", "'sss", "x'llama",
        "123'st", "ABC's DEF'LL", "Σ's", "ǅ'd title", "ÉCOLE'S école's",
        # numbers
        "0", "12", "123", "1234", "12345678901234567890", "3.14159265358979", "1,000,000", "-42",
        "١٢٣٤٥ Arabic-Indic", "½ ⅓ ¼ superscript² ³", "Ⅻ roman numeral", "①②③④", "0x1F600", "1e-10",
        "v1.2.3-beta+exp.sha.5114f85", "2025-06-28T12:34:56Z", "$1,234.56", "50%",
        # whitespace runs, tabs, CR/LF
        "a  b", "a   b", "a\tb", "a\t\tb", "\t\tindented", "a\nb", "a\n\nb", "a\r\nb", "a\r\n\r\nb",
        "a \n b", "a  \n\n  b", "trailing   ", "   leading", "  ", "\n", "\n\n\n", "\r", "\r\r\n",
        "line1\nline2\r\nline3\rline4", "\u00a0nbsp\u00a0 \u2003em space\u3000ideographic",
        " \t \n \t ", "x \u2028 y \u2029 z", "word\u0085next", "tab\t\n", "a \t\nb", "end\n ",
        "    def f():\n        return 1\n", "\n\n  \n", "a\n\t\tb", "!\n\n", "?! \n",
        # punctuation and symbols
        "...", "!!!", "?!?!", "a...b", " ... ", "--", "—", "a/b/c", "path/to/file.txt", "a//b",
        "http://example.com/a?b=c&d=e#f", "email@example.com", "<html><body>hi</body></html>",
        "#include <stdio.h>", "x += 1; y -= 2;", "a->b", "::std", "@@ -1,3 +1,4 @@", "/* c */",
        "!/\n", "=/\r\n//", " ///", ";\n/", "©®™", "€£¥₹₿", "§¶†‡", "«quotes» „German“ 「Japanese」",
        # special-token look-alikes (ordinary text!)
        "<|start|>", "<|end|>", "<|message|>", "<|channel|>", "<|return|>", "<|call|>",
        "<|constrain|>", "<|endoftext|>", "<|startoftext|>", "<|reserved_200013|>", "<|endofprompt|>",
        "<|start|>assistant<|channel|>final<|message|>Hi<|end|>", "< |start| >", "<||>", "|<>|",
        "<|im_start|>user", "[INST] hi [/INST]", "<s></s>",
        # code and JSON
        "func encode(_ text: String) -> [Int] {\n    return []\n}\n",
        "def hello():\n    print(\"Hello, World!\")\n\nif __name__ == '__main__':\n    hello()\n",
        "for (int i = 0; i < n; ++i) { sum += a[i]; }",
        "let x = { a: 1, b: [2, 3], c: \"four\" };",
        '{"key": "value", "n": 123, "list": [1, 2.5, true, null], "nested": {"a": {}}}',
        '{\n  "indent": true,\n  "tabs": "\\t"\n}',
        "SELECT * FROM users WHERE id = 42 AND name LIKE '%o%';",
        "<div class=\"x\">\n  <span>text</span>\n</div>", "$ ls -la | grep \"\\.swift$\"",
        "fn main() { println!(\"{}\", 1_000_000u64); }", "x**2 + y**2 == z**2", "λx.x",
        "camelCaseIdentifier snake_case_identifier SCREAMING_CASE kebab-case",
        "HTTPServerError XMLHttpRequest iOS macOS GPUBuffer", "ABCdef ABCDef AbCdEf",
        # scripts
        "Привет, мир! Как дела?", "Γειά σου Κόσμε", "שלום עולם", "مرحبا بالعالم", "नमस्ते दुनिया",
        "こんにちは世界", "你好，世界！", "안녕하세요 세계", "สวัสดีชาวโลก", "გამარჯობა მსოფლიო",
        "Բարեւ աշխարհ", "ሰላም ዓለም", "ជំរាបសួរ", "ᐊᐃᓐᖓᐃ", "Ṁăłţëşë ğłÿphş", "Ølæ på Åland",
        "İstanbul ılık", "straße STRASSE ß ẞ", "ﬁ ligature ﬀ", "ǅungla ǈ ǋ", "ꓐꓑꓒ Lisu",
        "ḀḁḂḃ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙", "𝟘𝟙𝟚 math digits", "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ１２３", "ｶﾀｶﾅ",
        "日本語のテキストとEnglish mixed", "中文English混合123", "Ελληνικά123English",
        "Đặng Thị Thu Hà", "Tiếng Việt có dấu", "ñandú pingüino", "Œuvre cœur",
        # combining marks
        "e\u0301", "cafe\u0301", "n\u0303o", "a\u0308\u0304", "\u0301alone", " \u0301space",
        "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dalgo",
        "ห\u0e34\u0e48", "क\u094dष", "\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd", "1\u20e3", "x\u20dd",
        "A\u0301BC", "\u0300\u0301\u0302", "!\u0301", "'\u0301s",
        # emoji
        "😀", "😀😃😄", "👍", "👍🏽", "👍🏿 thumbs", "👨‍👩‍👧‍👦", "👩🏽‍💻", "🏳️‍🌈", "🇺🇸🇯🇵",
        "❤️", "☺︎", "🧑‍🤝‍🧑", "emoji😀inside", "😀 😀  😀", "🤖🦾🧠", "🫠🫡", "👁️‍🗨️",
        "#️⃣ keycap", "🏴󠁧󠁢󠁳󠁣󠁴󠁿 flag", "a😀b😀c",
        # control characters and odd code points
        "\x00", "a\x00b", "\x01\x02\x03", "\x7f", "\u200b zero width", "a\u200db", "\ufeffBOM",
        "\ufffd replacement", "\U0010ffff", "\ue000 private", "\u0378 unassigned", "\U0001fbf9",
        # mixed
        "Hello! How are you doing today? I'm fine, thanks.\n\nLet's meet at 10:30am.",
        "The price is $12.50 (about €11).", "Q: What's 2+2?\nA: 4.",
        "  Multiple   spaces   between   words  ", "MiXeD CaSe WoRdS", "ALLCAPS lowercase Capitalized",
        "a1b2c3", "abc123def456", "test123test", "x1 x12 x123 x1234",
        "What's the weather in SF? 72°F", "C++ and C# and F#", "#hashtag @mention",
        "ROMEO:\nBut, soft! what light through yonder window breaks?\nIt is the east, and Juliet is the sun.",
    ]
    # Longer, generated ones: runs that stress the scanner and the long-piece merge.
    cases += [
        " " * 17 + "x", "\n" * 9 + "y", "\t " * 8, "a" * 100, "ab" * 60, "1" * 25, "=" * 80,
        "😀" * 12, "ÿ" * 40, "e\u0301" * 20, "x" * 1000, " " * 200, "-" * 300 + "\n",
        "".join(chr(c) for c in range(0x20, 0x7f)), "".join(chr(c) for c in range(0xa0, 0x180)),
        "abcdefghijklmnopqrstuvwxyz" * 5, "ThisIsAVeryLongCamelCaseIdentifierThatKeepsGoingAndGoing" * 3,
    ]
    # Every contraction after every letter case and a few neighbours.
    for suffix in ["s", "t", "re", "ve", "m", "ll", "d"]:
        for variant in dict.fromkeys([suffix, suffix.upper(), suffix.capitalize(), suffix[0] + suffix[1:].upper()]):
            cases.append(f"word'{variant} WORD'{variant} 1'{variant} '{variant}x")
    return cases


def random_strings(count=1500, seed=20250628):
    """Random strings over an alphabet chosen to hit every branch of the pre-tokenizer:
    letters of each case category, marks, digits of several kinds, apostrophes and contraction
    letters (including long s), every kind of whitespace, CR/LF, slashes and punctuation."""
    import random
    rng = random.Random(seed)
    alphabet = list("aAbBsStTrReEvVmMlLdDkK'’ſ0123456789 \t\n\r/.,!?-_\"#<|>()[]{}") + [
        "\u00a0", "\u2003", "\u3000", "\u2028", "\u0085", "\u000b", "\u000c",       # whitespace
        "\u0301", "\u0308", "\u093f", "\u0e34", "\u20dd",                        # marks Mn/Mc/Me
        "\u01c5", "\u1f88", "\u02b0", "\u3005", "\u4e2d", "\u3042", "\u05d0",      # Lt, Lt, Lm, Lm, Lo
        "\u00e9", "\u00c9", "\u03a3", "\u03c3", "\u0416", "\u0436", "\u00df",      # Ll/Lu
        "\u0663", "\u00bd", "\u2167", "\u2460", "\U0001d7d8",                      # Nd, No, Nl, No, Nd
        "\U0001f600", "\U0001f3fd", "\u200d", "\ufe0f", "\u00a9", "\u20ac", "\u2014",  # emoji, ZWJ, symbols
        "\x00", "\x7f", "\ufeff", "\U0001d518",
    ]
    cases = []
    for _ in range(count):
        length = rng.randrange(1, 24)
        cases.append("".join(rng.choice(alphabet) for _ in range(length)))
    return cases


def fnv1a64(ids):
    """FNV-1a over the ids (one xor-multiply per id): a compact, easily reimplemented checksum."""
    h = 0xCBF29CE484222325
    for i in ids:
        h ^= i
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def unicode_blocks():
    """Every code point of planes 0 and 1 (less surrogates), 256 at a time, each in the context
    " c a c 1" so that its character class shows in the pieces: catches any difference between
    Swift's Unicode tables and those of tiktoken's regex engine. Stored as checksums of the ids."""
    for start in range(0, 0x20000, 256):
        chars = [chr(c) for c in range(start, start + 256) if not (0xD800 <= c < 0xE000)]
        if chars:
            yield start, "".join(" " + ch + "a" + ch + "1" for ch in chars)


# MARK: - Conversations (gptoss-gl's conversation JSON) and their openai-harmony rendering

CONVERSATIONS = [
    {"messages": [{"role": "user", "content": "Hello!"}]},
    {"system": {"reasoning": "low", "date": "2025-06-28"}, "developer": "Answer in French.",
     "messages": [{"role": "user", "content": "What is the capital of Italy?"}]},
    {"system": {"reasoning": "high"}, "messages": [{"role": "user", "content": "Prove that √2 is irrational."}]},
    {"system": {"reasoning": "medium", "date": "2024-12-31", "knowledge_cutoff": "2024-06",
                "identity": "You are a helpful pirate."},
     "messages": [{"role": "user", "content": "Ahoy?"}]},
    {"developer": "Be terse.\nUse bullet points.",
     "messages": [{"role": "user", "content": "List three colours."},
                  {"role": "assistant", "channel": "analysis", "content": "Red, green, blue are fine."},
                  {"role": "assistant", "channel": "final", "content": "- red\n- green\n- blue"},
                  {"role": "user", "content": "Two more."}]},
    {"messages": [{"role": "user", "content": "1"},
                  {"role": "assistant", "channel": "analysis", "content": "a1"},
                  {"role": "assistant", "channel": "final", "content": "f1"},
                  {"role": "user", "content": "2"},
                  {"role": "assistant", "channel": "analysis", "content": "a2"},
                  {"role": "assistant", "channel": "final", "content": "f2"},
                  {"role": "user", "content": "3"}]},
    {"messages": [{"role": "user", "content": "Think first."},
                  {"role": "assistant", "channel": "analysis", "content": "Still thinking..."}]},
    {"messages": [{"role": "user", "content": "Typed control text: <|start|>assistant<|channel|>final<|message|>hi<|end|>"}]},
    {"system": {"reasoning": "low"},
     "messages": [{"role": "user", "content": "What's the weather in Tokyo?"},
                  {"role": "assistant", "channel": "analysis", "content": "Need to call the tool."},
                  {"role": "assistant", "channel": "commentary", "recipient": "functions.get_weather",
                   "content_type": "<|constrain|>json", "content": "{\"city\":\"Tokyo\"}"},
                  {"role": "tool", "name": "functions.get_weather", "channel": "commentary",
                   "recipient": "assistant", "content": "{\"temp_c\": 21}"}]},
    {"system": {"date": "2025-01-01"},
     "messages": [{"role": "user", "content": "Emoji 👩🏽‍💻 and 日本語 and\ttabs\r\nand CRLF."},
                  {"role": "assistant", "channel": "final", "content": "Noted: 👍"},
                  {"role": "user", "content": ""}]},
    {"messages": [{"role": "user", "content": "Write code."},
                  {"role": "assistant", "channel": "final",
                   "content": "```python\ndef f(x):\n    return x * 2\n```"},
                  {"role": "user", "content": "  leading and trailing spaces  "}]},
    {"developer": "", "messages": [{"role": "user", "content": "Empty developer instructions."}]},
    {"messages": [{"role": "user", "content": "first"}, {"role": "user", "content": "second"}]},
]

EFFORTS = {"low": ReasoningEffort.LOW, "medium": ReasoningEffort.MEDIUM, "high": ReasoningEffort.HIGH}


def to_harmony(conversation):
    """gptoss-gl's conversation JSON as openai-harmony messages. Without "system" the default
    system message is rendered (gpt-oss.md §7), as gptoss-gl does."""
    system = conversation.get("system", {})
    content = SystemContent.new()
    if "identity" in system:
        content = content.with_model_identity(system["identity"])
    if "knowledge_cutoff" in system:
        content = content.with_knowledge_cutoff(system["knowledge_cutoff"])
    if "date" in system:
        content = content.with_conversation_start_date(system["date"])
    content = content.with_reasoning_effort(EFFORTS[system.get("reasoning", "medium")])
    messages = [Message.from_role_and_content(Role.SYSTEM, content)]
    if "developer" in conversation:
        messages.append(Message.from_role_and_content(
            Role.DEVELOPER, DeveloperContent.new().with_instructions(conversation["developer"])))
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


# MARK: - Output parsing

OUTPUTS = [
    ("analysis then final", "<|channel|>analysis<|message|>Let me think.<|end|><|start|>assistant<|channel|>final<|message|>Hello there!<|return|>"),
    ("final only", "<|channel|>final<|message|>42<|return|>"),
    ("tool call", "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>"),
    ("recipient before channel", " to=functions.lookup<|channel|>commentary json<|message|>{}<|call|>"),
    ("commentary preamble then final", "<|channel|>commentary<|message|>Checking.<|end|><|start|>assistant<|channel|>final<|message|>Done.<|return|>"),
    ("unicode content", "<|channel|>final<|message|>Emoji 👩🏽‍💻, 日本語, e\u0301.<|return|>"),
    ("multi-line analysis", "<|channel|>analysis<|message|>Step 1: x.\nStep 2: y.\n\nSo z.<|end|><|start|>assistant<|channel|>final<|message|>z<|return|>"),
    ("stream cut off (no end token)", "<|channel|>final<|message|>partial answer"),
    ("return ends the stream", "<|channel|>final<|message|>done<|return|>"),
    ("empty content", "<|channel|>final<|message|><|return|>"),
    ("end then eos", "<|channel|>analysis<|message|>only thinking<|end|>"),
]


def parse_output(encoding, text):
    tokens = encoding.encode(text, allowed_special="all")
    parser = StreamableParser(encoding, Role.ASSISTANT)
    for token in tokens:
        parser.process(token)
    parser.process_eos()
    messages = []
    for m in parser.messages:
        d = m.to_dict()
        messages.append({
            "role": d["role"] if isinstance(d["role"], str) else d["role"].value,
            "channel": d.get("channel"),
            "recipient": d.get("recipient"),
            "content_type": d.get("content_type"),
            "content": "".join(c["text"] for c in d["content"]),
        })
    return tokens, messages


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    versions = {"tiktoken": version("tiktoken"), "openai-harmony": version("openai-harmony"), "regex": version("regex"),
                "python": sys.version.split()[0]}
    tik = o200k_harmony()
    encoding = load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)

    # The pre-tokenizer's pieces, by the `regex` module with o200k's pattern; checked against
    # tiktoken (its own regex engine) by encoding piece by piece.
    pattern = regex.compile(tik._pat_str)
    string_cases = []
    for text in strings():
        ids = tik.encode_ordinary(text)
        pieces = pattern.findall(text)
        assert "".join(pieces) == text, text
        assert [i for p in pieces for i in tik.encode_ordinary(p)] == ids, text
        assert tik.decode_bytes(ids) == text.encode("utf-8"), text
        string_cases.append({"text": text, "pieces": pieces, "ids": ids})
    random_cases = []
    for text in random_strings():
        ids = tik.encode_ordinary(text)
        pieces = pattern.findall(text)
        assert [i for p in pieces for i in tik.encode_ordinary(p)] == ids, text
        random_cases.append({"text": text, "pieces": pieces, "ids": ids})
    write("random_strings.json", {"generator": "tiktoken o200k_harmony encode_ordinary; pieces: regex.findall(o200k pat_str); "
                                                "random strings, seed 20250628", "versions": versions,
                                  "cases": random_cases}, compact=True)

    blocks = []
    for start, text in unicode_blocks():
        ids = tik.encode_ordinary(text)
        blocks.append({"start": start, "count": len(ids), "fnv1a64": str(fnv1a64(ids))})
    write("unicode_blocks.json", {"generator": "tiktoken o200k_harmony encode_ordinary of ' c' + 'a' + c + '1' for every "
                                                "code point c of a 256-block of planes 0-1; FNV-1a 64 of the ids",
                                  "versions": versions, "cases": blocks}, compact=True)

    write("strings.json", {"generator": "tiktoken o200k_harmony encode_ordinary; pieces: regex.findall(o200k pat_str)",
                           "versions": versions,
                           "cases": string_cases})

    conversation_cases = []
    for conversation in CONVERSATIONS:
        ids = encoding.render_conversation_for_completion(to_harmony(conversation), Role.ASSISTANT)
        conversation_cases.append({"conversation": conversation, "ids": ids,
                                   "text": encoding.decode_utf8(ids)})
    write("conversations.json", {"generator": "openai-harmony HARMONY_GPT_OSS render_conversation_for_completion(…, assistant)",
                                 "versions": versions, "cases": conversation_cases})

    parse_cases = []
    for name, text in OUTPUTS:
        tokens, messages = parse_output(encoding, text)
        parse_cases.append({"name": name, "tokens": tokens, "messages": messages})
    write("parsing.json", {"generator": "openai-harmony StreamableParser(HARMONY_GPT_OSS, assistant), then process_eos",
                           "versions": versions, "cases": parse_cases})

    specials = {str(i): tik.decode_single_token_bytes(i).decode() for i in range(199998, 201088)}
    write("special_tokens.json", {"generator": "tiktoken o200k_harmony decode_single_token_bytes",
                                  "versions": versions, "tokens": specials})
    shutil.rmtree(temp)


def bench_corpus(path):
    import random
    import time
    import json as json_module
    random.seed(1)
    library = Path(json_module.__file__).parent
    code = "".join(p.read_text(encoding="utf-8") for p in sorted(library.glob("*.py")))
    prose = (Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "LICENSE.txt").read_text(encoding="utf-8")
    cases = strings()
    parts, size = [], 0
    while size < 1_000_000:
        r = random.random()
        if r < 0.3:
            part = prose[random.randrange(0, len(prose) - 3000):][:3000]
        elif r < 0.6:
            part = code[random.randrange(0, len(code) - 3000):][:3000]
        else:
            part = " ".join(random.choice(cases) for _ in range(40))
        parts.append(part)
        size += len(part.encode())
    text = "\n".join(parts).encode()[:1_000_000].decode("utf-8", "ignore")
    Path(path).write_text(text, encoding="utf-8")
    tik = o200k_harmony()
    start = time.perf_counter()
    ids = tik.encode_ordinary(text)
    seconds = time.perf_counter() - start
    Path(path + ".ids.json").write_text(json.dumps(ids))
    print(f"wrote {path} ({len(text.encode())} bytes); tiktoken {tik.name}: {len(ids)} tokens in {seconds * 1000:.0f} ms")
    shutil.rmtree(temp)


def write(name, payload, compact=False):
    path = OUT / name
    with open(path, "w", encoding="utf-8") as f:
        if compact:  # one case per line: big but still diffable
            cases = payload.pop("cases")
            f.write(json.dumps(payload, ensure_ascii=False, sort_keys=True)[:-1] + ', "cases": [\n')
            f.write(",\n".join(json.dumps(c, ensure_ascii=False, sort_keys=True) for c in cases))
            f.write("\n]}")
        else:
            json.dump(payload, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bench-corpus":
        bench_corpus(sys.argv[2])
    else:
        main()
