"""o200k_harmony shrunk to what a corpus needs, as a self-consistent byte-level BPE for GGUF.

Kept: every o200k token the corpus encodes to, all 256 single-byte tokens, and every token that
byte-pair merging passes through on the way to a kept token (its merge tree). Why that suffices:
inside the span of a final token, BPE merges in rank order exactly as it would on that token's
bytes alone, so the full-vocabulary run only ever merges into kept tokens, and the kept subset
(same relative ranks) picks the same pair at every step. `check_corpus()` checks it on the corpus.

Ids are dense and keep o200k's order (so merge rank order is preserved); the Harmony special
tokens follow with their names and token type 3 (control).
"""
from __future__ import annotations

import base64
import os
import sys
from dataclasses import dataclass

import regex

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gptoss_gguf_export import TokenizerSpec, gpt2_byte_to_unicode  # noqa: E402

# o200k's pre-tokenizer (docs/gpt-oss.md §6; tiktoken_ext.openai_public).
O200K_PATTERN = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])

# Harmony's control tokens, in o200k_harmony's id order (docs/gpt-oss.md §6).
HARMONY_SPECIALS = ["<|startoftext|>", "<|endoftext|>", "<|return|>", "<|constrain|>", "<|channel|>",
                    "<|start|>", "<|end|>", "<|message|>", "<|call|>"]
FIRST_SPECIAL_ID = 199998  # o200k_harmony ids at and above this are special


def load_o200k_ranks(path: str) -> dict[bytes, int]:
    ranks = {}
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    return ranks


def bpe(piece: bytes, ranks: dict[bytes, int], rank_limit: int | None = None) -> list[bytes]:
    """tiktoken's rule: repeatedly join the adjacent pair whose concatenation has the lowest rank."""
    parts = [piece[i:i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        best, at = None, -1
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (rank_limit is None or r < rank_limit) and (best is None or r < best):
                best, at = r, i
        if at < 0:
            break
        parts[at:at + 2] = [parts[at] + parts[at + 1]]
    return parts


@dataclass
class SubsetTokenizer:
    tokens: list[bytes]  # dense new id -> bytes (normal tokens only)
    new_id_of_o200k: dict[int, int]  # o200k rank -> new id, normal tokens
    special_ids: dict[str, int]  # name -> new id
    merges: list[tuple[bytes, bytes]]  # in rank order
    ranks: dict[bytes, int]  # bytes -> new id (= rank order)

    @property
    def vocab_size(self) -> int:
        return len(self.tokens) + len(self.special_ids)

    def remap(self, o200k_ids: list[int], o200k_special_names: dict[int, str]) -> list[int]:
        out = []
        for t in o200k_ids:
            if t >= FIRST_SPECIAL_ID:
                out.append(self.special_ids[o200k_special_names[t]])
            else:
                out.append(self.new_id_of_o200k[t])
        return out

    def encode_ordinary(self, text: str) -> list[int]:
        ids = []
        cache: dict[str, list[int]] = {}
        for piece in regex.findall(O200K_PATTERN, text):
            got = cache.get(piece)
            if got is None:
                got = [self.ranks[p] for p in bpe(piece.encode("utf-8"), self.ranks)]
                cache[piece] = got
            ids.extend(got)
        return ids

    def gguf_spec(self) -> TokenizerSpec:
        byte_char = gpt2_byte_to_unicode()
        names = ["".join(byte_char[b] for b in tok) for tok in self.tokens]
        types = [1] * len(names)
        for name, _ in sorted(self.special_ids.items(), key=lambda kv: kv[1]):
            names.append(name)
            types.append(3)
        merges = [" ".join("".join(byte_char[b] for b in part) for part in pair) for pair in self.merges]
        return TokenizerSpec(
            tokens=names, token_types=types, merges=merges, pre="gpt-4o",
            bos_id=self.special_ids["<|startoftext|>"],
            eos_id=self.special_ids["<|return|>"],
            pad_id=self.special_ids["<|endoftext|>"],
        )


def build_subset(used_o200k_ids: set[int], o200k_ranks: dict[bytes, int]) -> SubsetTokenizer:
    by_rank = {r: b for b, r in o200k_ranks.items()}
    keep: set[bytes] = {bytes([b]) for b in range(256)}
    stack = [by_rank[t] for t in used_o200k_ids if t < FIRST_SPECIAL_ID]
    while stack:
        tok = stack.pop()
        if tok in keep:
            continue  # expanded already, or a single byte (seeded; nothing builds it)
        keep.add(tok)
        # tok's merge tree: BPE on its own bytes, with the ranks below its own, ends in two parts
        # (its last merge); the parts' own trees follow from the stack.
        parts = bpe(tok, o200k_ranks, rank_limit=o200k_ranks[tok])
        if len(parts) != 2:
            raise ValueError(f"o200k token {tok!r} is not the merge of two tokens: {parts}")
        stack.extend(parts)
    ordered = sorted(keep, key=lambda b: o200k_ranks[b])
    new_ranks = {tok: i for i, tok in enumerate(ordered)}
    merges: list[tuple[bytes, bytes]] = []
    for tok in ordered:
        if len(tok) == 1:
            continue
        # Every split into two kept tokens, as llama.cpp's converter lists them; the first one
        # gives the token its rank in a merges-list reader.
        splits = [(tok[:i], tok[i:]) for i in range(1, len(tok)) if tok[:i] in new_ranks and tok[i:] in new_ranks]
        splits.sort(key=lambda s: (new_ranks[s[0]], new_ranks[s[1]]))
        merges.extend(splits)
    special_ids = {name: len(ordered) + i for i, name in enumerate(HARMONY_SPECIALS)}
    return SubsetTokenizer(
        tokens=ordered,
        new_id_of_o200k={o200k_ranks[t]: new_ranks[t] for t in ordered},
        special_ids=special_ids,
        merges=merges,
        ranks=new_ranks,
    )


# MARK: - checking a finished corpus


def check_corpus(data_dir: str) -> tuple[int, int]:
    """Re-encodes every text segment (between control tokens) of every conversation in
    DATA/train.npz (training, held-out and held-out skill rows) with the BPE of
    DATA/tokenizer.json alone and compares with the stored ids, which came from
    openai-harmony's o200k encoding. Returns (segments, distinct pieces) checked."""
    import json

    import numpy as np

    with open(os.path.join(data_dir, "tokenizer.json")) as f:
        spec = json.load(f)
    char_byte = {c: b for b, c in gpt2_byte_to_unicode().items()}
    control = {i for i, t in enumerate(spec["token_types"]) if t == 3}
    token_bytes = [b"" if i in control else bytes(char_byte[c] for c in tok) for i, tok in enumerate(spec["tokens"])]
    ranks = {b: i for i, b in enumerate(token_bytes) if b}
    # The merges list must give every multi-byte token a merge whose parts are tokens.
    made = {m.replace(" ", "") for m in spec["merges"]}
    unmade = [t for i, t in enumerate(spec["tokens"]) if len(t) > 1 and i not in control and t not in made]
    if unmade:
        raise AssertionError(f"{len(unmade)} tokens no merge builds, e.g. {unmade[:5]}")

    data = np.load(os.path.join(data_dir, "train.npz"))
    is_control = np.zeros(len(spec["tokens"]), dtype=bool)
    is_control[list(control)] = True
    segments: set[bytes] = set()  # each segment's ids as int32 bytes: compact on a small machine
    sets = [(data[p + "tokens"], data[p + "lengths"]) for p in ("", "held_", "skill_") if p + "tokens" in data.files]
    for rows, lengths in sets:
        for row, n in zip(rows, lengths):
            row = row[:n].astype(np.int32)
            cuts = np.flatnonzero(is_control[row])
            for a, b in zip(np.concatenate([[-1], cuts]), np.concatenate([cuts, [len(row)]])):
                if b - a > 1:
                    segments.add(row[a + 1:b].tobytes())
    cache: dict[str, list[int]] = {}
    for key in segments:
        ids = np.frombuffer(key, dtype=np.int32).tolist()
        text = b"".join(token_bytes[i] for i in ids).decode("utf-8")
        ours: list[int] = []
        for piece in regex.findall(O200K_PATTERN, text):
            got = cache.get(piece)
            if got is None:
                got = [ranks[p] for p in bpe(piece.encode("utf-8"), ranks)]
                cache[piece] = got
            ours.extend(got)
        if ours != ids:
            raise AssertionError(f"subset BPE differs from the corpus ids on {text[:80]!r}")
    return len(segments), len(cache)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Check a corpus folder's tokenizer against its token ids.")
    ap.add_argument("data", help="folder written by make_demo_corpus.py (tokenizer.json, train.npz)")
    n_segments, n_pieces = check_corpus(ap.parse_args().data)
    print(f"subset BPE reproduces the o200k ids of all {n_segments} distinct text segments ({n_pieces} distinct pieces)")
