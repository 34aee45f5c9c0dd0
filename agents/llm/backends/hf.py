"""transformers: `AutoProcessor` + `AutoModelForImageTextToText` (Qwen2.5-VL and similar), or a tokenizer and a
causal LM for text-only models. Batched generation with left padding, in chunks of `max_batch_size`.

`generate` has one RNG for the whole batch, so sampling is seeded per call (from the first request's seed):
with temperature > 0, replies depend on how episodes were batched. Greedy decoding does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.llm.backends.base import DEFAULT_MAX_TOKENS, Backend, Reply, Sampling, require
from agents.llm.messages import Message, to_hf

DEFAULT_BATCH = 8


def load(model_name: str, *, dtype: str = "auto", device: str | None = None, trust_remote_code: bool = False,
         **model_kwargs: Any) -> tuple[Any, Any]:
    """(model, processor-or-tokenizer): an image-text-to-text model where the config is one, else a causal LM."""
    require("torch", "llm")
    transformers = require("transformers", "llm")
    common = {"trust_remote_code": trust_remote_code}
    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    model_kwargs["dtype" if (major, minor) >= (4, 56) else "torch_dtype"] = dtype  # renamed in 4.56
    try:
        model = transformers.AutoModelForImageTextToText.from_pretrained(model_name, **common, **model_kwargs)
        processor = transformers.AutoProcessor.from_pretrained(model_name, **common)
    except ValueError:  # not an image-text-to-text config: a text model
        model = transformers.AutoModelForCausalLM.from_pretrained(model_name, **common, **model_kwargs)
        processor = transformers.AutoTokenizer.from_pretrained(model_name, **common)
    if device is not None:
        model = model.to(device)
    return model.eval(), processor


class HFBackend(Backend):
    name = "hf"

    def __init__(self, model: Any, processor: Any, sampling: Sampling | None = None, *,
                 max_batch_size: int = DEFAULT_BATCH, name: str = "") -> None:
        """`processor`: an `AutoProcessor` (images allowed) or a tokenizer (text only)."""
        self.torch = require("torch", "llm")
        self.lm, self.processor = model, processor
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.multimodal = self.tokenizer is not processor
        self.sampling = sampling or Sampling()
        self.max_batch_size = max(1, int(max_batch_size))
        self.model = name or str(getattr(model, "name_or_path", "") or type(model).__name__)
        self.tokenizer.padding_side = "left"  # decoder-only batches pad on the left
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.stop_ids = self._stop_ids()

    @classmethod
    def from_pretrained(cls, model_name: str, sampling: Sampling | None = None, *, max_batch_size: int = DEFAULT_BATCH,
                        **load_kwargs: Any) -> HFBackend:
        model, processor = load(model_name, **load_kwargs)
        return cls(model, processor, sampling, max_batch_size=max_batch_size, name=model_name)

    def _stop_ids(self) -> set[int]:
        ids = {self.tokenizer.eos_token_id, self.tokenizer.pad_token_id}
        eos = getattr(getattr(self.lm, "generation_config", None), "eos_token_id", None)
        ids.update(eos if isinstance(eos, list) else [eos])
        return {i for i in ids if i is not None}

    def _generate_kwargs(self) -> dict[str, Any]:
        s = self.sampling
        kwargs: dict[str, Any] = {"max_new_tokens": s.max_tokens or DEFAULT_MAX_TOKENS,
                                  "pad_token_id": self.tokenizer.pad_token_id}
        if s.temperature is not None:
            kwargs["do_sample"] = s.temperature > 0
            if s.temperature > 0:
                kwargs["temperature"] = s.temperature
        if s.top_p is not None and kwargs.get("do_sample", True):
            kwargs["top_p"] = s.top_p
        return kwargs

    def _inputs(self, chats: Sequence[list[Message]]) -> Any:
        texts, images = [], []
        for chat in chats:
            template, pictures = to_hf(chat, self.multimodal)
            texts.append(self.processor.apply_chat_template(template, tokenize=False, add_generation_prompt=True))
            images.extend(pictures)
        if self.multimodal:
            return self.processor(text=texts, images=images or None, padding=True, return_tensors="pt")
        return self.tokenizer(texts, padding=True, add_special_tokens=False, return_tensors="pt")

    def generate(self, chats: Sequence[list[Message]], seeds: Sequence[int | None] | None = None) -> list[Reply]:
        seeds = list(seeds) if seeds is not None else [None] * len(chats)
        replies: list[Reply] = []
        for start in range(0, len(chats), self.max_batch_size):
            replies.extend(self._batch(chats[start:start + self.max_batch_size], seeds[start]))
        return replies

    def _batch(self, chats: Sequence[list[Message]], seed: int | None) -> list[Reply]:
        torch = self.torch
        inputs = self._inputs(chats).to(self.lm.device)
        if seed is not None:
            torch.manual_seed(seed)
        with torch.inference_mode():
            output = self.lm.generate(**inputs, **self._generate_kwargs())
        width = inputs["input_ids"].shape[1]
        prompt_lengths = inputs["attention_mask"].sum(dim=1).tolist()
        replies = []
        for row, prompt_tokens in zip(output[:, width:].tolist(), prompt_lengths):
            end = next((i + 1 for i, token in enumerate(row) if token in self.stop_ids), len(row))
            text = self.tokenizer.decode(row[:end], skip_special_tokens=True)
            replies.append(Reply(text, int(prompt_tokens), end))
        return replies

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def context_tokens(self) -> int | None:
        config = getattr(self.lm, "config", None)
        config = getattr(config, "text_config", None) or config
        length = getattr(config, "max_position_embeddings", None)
        if not length:
            return None
        return int(length) - (self.sampling.max_tokens or DEFAULT_MAX_TOKENS)
