"""Tiny random models with a locally built tokenizer, for the smoke config and CPU toy runs: nothing is downloaded.

The tokenizer is character-level over a small lower-cased alphabet (unknown characters become `[UNK]`), with
ChatML special tokens and three whole-word tokens the answer format needs (`<think>`, `</think>`, `\\boxed{`).
A small vocabulary matters for RL from scratch: a random policy writes `\\boxed{...}` often enough (a few per
cent of samples) for a group-relative signal to exist. The model is a randomly initialised Qwen2 (text) or
Qwen2.5-VL (`vision: true`, toy vision tower, torchvision-free image processor) built from a config.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>{% else %}{{ c['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
           "<|video_pad|>"]
WORDS = ["<think>", "</think>", "\\boxed{"]
ALPHABET = string.ascii_lowercase + string.digits + " \n.,:;()[]{}<>+-*/=|'\"?!_#"

MARKER = "helix_tiny.json"  # written beside a saved tiny checkpoint: reload it with `load`, not the Auto classes
DEFAULTS = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "max_position_embeddings": 8192, "seed": 0, "vision": False}


def tokenizer(alphabet: str = ALPHABET) -> Any:
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[UNK]": 0}
    for ch in alphabet:
        vocab.setdefault(ch, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]")
    fast.add_special_tokens({"additional_special_tokens": SPECIAL})
    fast.add_tokens(WORDS)
    fast.eos_token = "<|im_end|>"
    fast.pad_token = "<|endoftext|>"
    fast.chat_template = CHATML
    return fast


def build(options: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """(model, tokenizer or processor) from `model.tiny` options (DEFAULTS fill the rest)."""
    import torch

    opts = {**DEFAULTS, **(options or {})}
    unknown = set(opts) - set(DEFAULTS)
    if unknown:
        raise KeyError(f"unknown model.tiny option(s): {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    tok = tokenizer()
    torch.manual_seed(int(opts["seed"]))
    if opts["vision"]:
        return _vision(tok, opts)
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(vocab_size=len(tok), hidden_size=opts["hidden_size"],
                         intermediate_size=opts["intermediate_size"], num_hidden_layers=opts["num_hidden_layers"],
                         num_attention_heads=opts["num_attention_heads"],
                         num_key_value_heads=opts["num_key_value_heads"],
                         max_position_embeddings=opts["max_position_embeddings"], eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id, bos_token_id=None, tie_word_embeddings=True)
    return Qwen2ForCausalLM(config), tok


def _vision(tok: Any, opts: dict[str, Any]) -> tuple[Any, Any]:
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    hidden, heads = opts["hidden_size"], opts["num_attention_heads"]
    ids = tok.convert_tokens_to_ids
    half = hidden // heads // 2  # rotary half-dimension per head, split over time, height and width
    text = {"vocab_size": len(tok), "hidden_size": hidden, "intermediate_size": opts["intermediate_size"],
            "num_hidden_layers": opts["num_hidden_layers"], "num_attention_heads": heads,
            "num_key_value_heads": opts["num_key_value_heads"],
            "max_position_embeddings": opts["max_position_embeddings"],
            "rope_scaling": {"type": "mrope", "mrope_section": [half - 2 * (half // 4), half // 4, half // 4]},
            "eos_token_id": tok.eos_token_id, "pad_token_id": tok.pad_token_id, "bos_token_id": None}
    vision = {"depth": 1, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2, "patch_size": 14,
              "spatial_merge_size": 2, "temporal_patch_size": 2, "out_hidden_size": hidden, "window_size": 56,
              "fullatt_block_indexes": [0]}
    config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, image_token_id=ids("<|image_pad|>"),
                              video_token_id=ids("<|video_pad|>"), vision_start_token_id=ids("<|vision_start|>"),
                              vision_end_token_id=ids("<|vision_end|>"), tie_word_embeddings=True)
    return Qwen2_5_VLForConditionalGeneration(config), vision_processor(tok)


def vision_processor(tok: Any) -> Any:
    """A Qwen2.5-VL processor over `tok` with the torchvision-free image processor and no video processor."""
    from transformers import Qwen2_5_VLProcessor
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    images = Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=112 * 112, patch_size=14, merge_size=2)

    class ImageOnlyProcessor(Qwen2_5_VLProcessor):
        """Without the video processor, which needs torchvision."""

        def __init__(self, image_processor: Any = None, tokenizer: Any = None, chat_template: Any = None) -> None:
            super().__init__(image_processor, tokenizer, None, chat_template=chat_template)

    return ImageOnlyProcessor(images, tok, chat_template=CHATML)


# ---- saved tiny checkpoints ------------------------------------------------------------------------------
def is_checkpoint(path: str | Path | None) -> bool:
    return path is not None and (Path(path) / MARKER).is_file()


def mark(path: str | Path, vision: bool) -> None:
    """Note that `path` holds a tiny model: `AutoTokenizer` would load its tokenizer as the model type's own
    (Qwen2's byte-level pre-tokenizer), which splits text differently; `load` keeps tokenizer.json as saved."""
    (Path(path) / MARKER).write_text(json.dumps({"vision": bool(vision)}) + "\n", encoding="utf-8")


def load(path: str | Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast, Qwen2_5_VLForConditionalGeneration

    options = json.loads((Path(path) / MARKER).read_text(encoding="utf-8"))
    tok = PreTrainedTokenizerFast.from_pretrained(str(path))
    tok.chat_template = CHATML
    if options.get("vision"):
        return Qwen2_5_VLForConditionalGeneration.from_pretrained(str(path)), vision_processor(tok)
    return AutoModelForCausalLM.from_pretrained(str(path)), tok
