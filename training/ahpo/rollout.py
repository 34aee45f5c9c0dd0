"""Sampling rollouts from the model being trained, keeping token ids and the sampler's log-probs.

`HFRollout` runs `model.generate` on left-padded prompt batches (text, or text + pictures through the vision
inputs of each prompt) with a fresh generation config: the model's own (e.g. Qwen2.5-VL-Instruct's top_k=1,
repetition_penalty=1.05) must not leak into RL sampling. A response ends at the first stop token, which it keeps
(its log-prob is trained like any other token); one that hits `max_new_tokens` first is `truncated` and keeps
whatever reward the verifier gives it (no overlong masking, spec §1.9).

At scale, generation belongs to an engine (vLLM inside TRL, training/ahpo/trl.py); the interface here is what
our own loop needs: prompts and counts in, samples out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from training.ahpo.batch import vision_inputs
from training.ahpo.data import Prompt


@dataclass
class Sample:
    response: list[int]  # token ids, stop token included when there was one
    logprobs: list[float]  # the sampler's log-probs of those tokens (after temperature / top-p)
    text: str  # decoded without special tokens
    truncated: bool


class RolloutBackend:
    def sample(self, prompts: list[Prompt], counts: list[int], seed: int | None = None) -> list[list[Sample]]:
        """`counts[i]` samples of prompt i."""
        raise NotImplementedError


class HFRollout(RolloutBackend):
    def __init__(self, model: Any, processor: Any, *, temperature: float = 1.0, top_p: float = 1.0,
                 max_new_tokens: int = 256, batch_size: int = 64) -> None:
        from transformers import GenerationConfig

        self.model = model
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.max_new_tokens = int(max_new_tokens)
        self.batch_size = max(1, int(batch_size))
        eos = {self.tokenizer.eos_token_id}
        model_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        eos.update(model_eos if isinstance(model_eos, list) else [model_eos])
        self.stop_ids = sorted(i for i in eos if i is not None)
        greedy = temperature <= 0
        self.suppressed = self._vision_token_ids() if getattr(processor, "tokenizer", None) is not None else []
        self.config = GenerationConfig(
            suppress_tokens=self.suppressed or None,
            do_sample=not greedy, temperature=None if greedy else float(temperature),
            top_p=None if greedy else float(top_p), top_k=None if greedy else 0, repetition_penalty=1.0,
            max_new_tokens=self.max_new_tokens, eos_token_id=self.stop_ids, pad_token_id=self.tokenizer.pad_token_id,
            output_scores=True, return_dict_in_generate=True)

    VISION_TOKENS = ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>", "<image>", "<video>")

    def _vision_token_ids(self) -> list[int]:
        """Picture placeholder tokens: a vision-language model's response must never contain them (the forward
        pass would look for pictures that are not there), so its sampling suppresses them. The sampler's
        log-probs are then renormalised over the other tokens (a tiny model shows it; a 150k vocabulary not)."""
        vocab = self.tokenizer.get_vocab()
        return sorted({vocab[t] for t in self.VISION_TOKENS if t in vocab})

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def sample(self, prompts: list[Prompt], counts: list[int], seed: int | None = None) -> list[list[Sample]]:
        flat = [i for i, n in enumerate(counts) for _ in range(n)]
        results: list[list[Sample]] = [[] for _ in prompts]
        was_training = self.model.training
        self.model.eval()
        try:
            for start in range(0, len(flat), self.batch_size):
                chunk = flat[start:start + self.batch_size]
                if seed is not None:
                    torch.manual_seed(int(seed) * 1_000_003 + start)
                for i, sample in zip(chunk, self._generate([prompts[i] for i in chunk])):
                    results[i].append(sample)
        finally:
            self.model.train(was_training)
        return results

    @torch.no_grad()
    def _generate(self, prompts: list[Prompt]) -> list[Sample]:
        width = max(len(p.ids) for p in prompts)
        pad = self.tokenizer.pad_token_id
        ids = torch.full((len(prompts), width), pad, dtype=torch.long)
        attn = torch.zeros((len(prompts), width), dtype=torch.long)
        for i, p in enumerate(prompts):
            ids[i, width - len(p.ids):] = torch.tensor(p.ids, dtype=torch.long)
            attn[i, width - len(p.ids):] = 1
        device = self.device
        out = self.model.generate(input_ids=ids.to(device), attention_mask=attn.to(device),
                                  generation_config=self.config, **vision_inputs(prompts, device))
        new = out.sequences[:, width:]
        scores = self.model.compute_transition_scores(out.sequences, out.scores, normalize_logits=True)
        samples = []
        stops = set(self.stop_ids)
        for row, logps in zip(new.tolist(), scores.float().cpu().tolist()):
            end = next((k + 1 for k, tok in enumerate(row) if tok in stops), None)
            truncated = end is None
            end = len(row) if end is None else end
            response = row[:end]
            text = self.tokenizer.decode(response, skip_special_tokens=True)
            samples.append(Sample(response, logps[:end], text, truncated))
        return samples
