"""Tiny local models for the transformers backend tests: nothing is downloaded.

The tokenizer is a byte-level BPE trained on a few strings. The models are Qwen2 (text) and Qwen2.5-VL
(image) with every transformer weight zeroed, so the last hidden state is the current token's embedding:
one-hot embeddings and an lm_head table make a bigram chain, and greedy decoding after the generation
prompt writes exactly `\\boxed{up}` then `<|im_end|>`. That makes replies checkable, and it proves the left
padding: with right padding the last position of a short prompt would be a pad and the chain would break.
"""

from __future__ import annotations

import itertools
from typing import Any

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>{% else %}{{ c['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
           "<|video_pad|>"]
REPLY = ["\\boxed{", "up", "}"]  # the chain the model writes, one token each
CORPUS = ["Find a way through a maze of square cells. Walls lie on the edges between cells.",
          "Put your final answer within \\boxed{}. Write exactly one command per turn.",
          "up down left right undo restart submit answer", "0123456789 +-*/() | S E P"]


def tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.add_tokens(REPLY)
    fast.chat_template = CHATML
    return fast


def _chain(model: Any, tok: Any, hidden: int) -> Any:
    """Zero the transformer layers and wire the bigram chain (prompt end -> \\boxed{ -> up -> } -> eos)."""
    import torch

    start = tok.apply_chat_template([{"role": "user", "content": "x"}], tokenize=False, add_generation_prompt=True)
    ids = tok(start, add_special_tokens=False)["input_ids"]
    chain = [ids[-1], *tok.convert_tokens_to_ids(REPLY), tok.eos_token_id]
    language = model.get_decoder() if hasattr(model, "get_decoder") else model.model
    with torch.no_grad():
        for layer in language.layers:
            for p in layer.parameters():
                p.zero_()
        embed = model.get_input_embeddings().weight
        embed.zero_()
        embed[:, :] = torch.eye(embed.shape[0], hidden)
        head = model.get_output_embeddings().weight
        head.zero_()
        for cur, nxt in itertools.pairwise(chain):
            head[nxt, cur] = 10.0
    return model.eval()


def text_model() -> tuple[Any, Any]:
    """(Qwen2ForCausalLM, tokenizer)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tok = tokenizer()
    hidden = -(-len(tok) // 16) * 16  # one dimension per token, rounded for the heads and rotary halves
    config = Qwen2Config(vocab_size=len(tok), hidden_size=hidden, intermediate_size=8, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=16384,
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, bos_token_id=None,
                         tie_word_embeddings=False)
    torch.manual_seed(0)
    return _chain(Qwen2ForCausalLM(config), tok, hidden), tok


def vision_model() -> tuple[Any, Any]:
    """(Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor) at toy sizes."""
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    tok = tokenizer()
    hidden = -(-len(tok) // 16) * 16
    ids = tok.convert_tokens_to_ids
    rotary = hidden // 4  # half of a head (two heads): split over time, height and width
    text = {"vocab_size": len(tok), "hidden_size": hidden, "intermediate_size": 8, "num_hidden_layers": 1,
            "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 16384,
            "rope_scaling": {"type": "mrope", "mrope_section": [rotary - 2 * (rotary // 4), rotary // 4, rotary // 4]},
            "eos_token_id": tok.eos_token_id, "pad_token_id": tok.pad_token_id, "bos_token_id": None}
    vision = {"depth": 1, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2, "patch_size": 14,
              "spatial_merge_size": 2, "temporal_patch_size": 2, "out_hidden_size": hidden, "window_size": 56,
              "fullatt_block_indexes": [0]}
    config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, image_token_id=ids("<|image_pad|>"),
                              video_token_id=ids("<|video_pad|>"), vision_start_token_id=ids("<|vision_start|>"),
                              vision_end_token_id=ids("<|vision_end|>"), tie_word_embeddings=False)
    torch.manual_seed(0)
    model = _chain(Qwen2_5_VLForConditionalGeneration(config), tok, hidden)
    images = Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=112 * 112, patch_size=14, merge_size=2)

    class ImageOnlyProcessor(Qwen2_5_VLProcessor):
        """Without the video processor, which needs torchvision (not installed for these tests)."""

        def __init__(self, image_processor: Any = None, tokenizer: Any = None, chat_template: Any = None) -> None:
            super().__init__(image_processor, tokenizer, None, chat_template=chat_template)

    return model, ImageOnlyProcessor(images, tok, chat_template=CHATML)
