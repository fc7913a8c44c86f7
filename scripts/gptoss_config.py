"""The hyperparameters of a gpt-oss model, and the transformers config they make.

Kept apart from the GGUF code so the training machine (which has no gguf package) can use it.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ModelHyper:
    """The gpt-oss hyperparameters a GGUF carries (names follow transformers' GptOssConfig)."""

    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    num_local_experts: int
    num_experts_per_tok: int
    sliding_window: int
    rope_theta: float
    yarn_factor: float
    yarn_original_context: int
    max_position_embeddings: int
    rms_norm_eps: float = 1e-5
    extra: dict = field(default_factory=dict)

    def transformers_config(self):
        from transformers import GptOssConfig

        return GptOssConfig(
            vocab_size=self.vocab_size,
            hidden_size=self.hidden_size,
            intermediate_size=self.intermediate_size,
            num_hidden_layers=self.num_hidden_layers,
            num_attention_heads=self.num_attention_heads,
            num_key_value_heads=self.num_key_value_heads,
            head_dim=self.head_dim,
            num_local_experts=self.num_local_experts,
            num_experts_per_tok=self.num_experts_per_tok,
            sliding_window=self.sliding_window,
            max_position_embeddings=self.max_position_embeddings,
            rms_norm_eps=self.rms_norm_eps,
            # Even layers (0, 2, ...) slide, as in the released models; spelled out, not defaulted.
            layer_types=["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(self.num_hidden_layers)],
            # Explicit: GptOssConfig silently falls back to the 20b's YaRN (factor 32, ctx 4096) when absent.
            rope_parameters={
                "rope_type": "yarn",
                "rope_theta": self.rope_theta,
                "factor": float(self.yarn_factor),
                "original_max_position_embeddings": self.yarn_original_context,
                "beta_fast": 32.0,
                "beta_slow": 1.0,
                "truncate": False,
            },
            swiglu_limit=7.0,
            swiglu_alpha=1.702,
            attention_bias=True,
            tie_word_embeddings=False,
            attn_implementation="eager",
        )

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "extra"}
        d.update(self.extra)
        return d
