"""From a fine-tuned checkpoint to what the pipeline serves: ONNX fp32, static int8, model card.

The ONNX graph returns the BIO logits and hidden states of chosen layers, so one pass gives
entities and the document vector for topics. int8 is static (calibrated) quantisation:
activation scales are fixed from calibration windows, so an article's result never depends on
its batch-mates (dynamic quantisation computes scales per batch).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from enrich.token_windows import pad_batch
from training.finetune import TrainWindow


def export_onnx(
    model: Any, out: Path, opset: int = 17, topic_layers: tuple[int, ...] = (6,)
) -> Path:
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner
            self.layers = topic_layers

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            result = self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                output_hidden_states=True,
            )
            # "hidden" feeds the topic classifier: the mean of the chosen layers' states (the
            # middle layers keep more of the sentence encoder's sense of what a text is about).
            states = torch.stack([result.hidden_states[i] for i in self.layers]).mean(dim=0)
            return result.logits, states

    model.eval()
    example = (
        torch.ones((2, 16), dtype=torch.long),
        torch.ones((2, 16), dtype=torch.long),
        torch.zeros((2, 16), dtype=torch.long),
    )
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        Wrapped(model),
        example,
        str(out),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits", "hidden"],
        dynamic_axes={
            "input_ids": axes,
            "attention_mask": axes,
            "token_type_ids": axes,
            "logits": axes,
            "hidden": axes,
        },
        opset_version=opset,
        dynamo=False,
    )
    return out


class _Calibration:
    def __init__(self, windows: Sequence[TrainWindow], batch: int = 8) -> None:
        self._batches: Iterator[dict[str, np.ndarray]] = iter(
            [_feeds(windows[i : i + batch]) for i in range(0, len(windows), batch)]
        )

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


def _feeds(windows: Sequence[TrainWindow]) -> dict[str, np.ndarray]:
    from enrich.token_windows import Window

    return pad_batch([Window(0, 0, w.input_ids, w.token_type_ids) for w in windows])


def quantize_static_int8(fp32: Path, out: Path, calibration: Sequence[TrainWindow]) -> Path:
    prepared = out.with_name(out.stem + ".prep.onnx")
    # onnxruntime writes temporary model files into the working directory.
    with contextlib.chdir(out.parent):
        _quantize(fp32, prepared, out, calibration)
    prepared.unlink(missing_ok=True)
    return out


def _quantize(fp32: Path, prepared: Path, out: Path, calibration: Sequence[TrainWindow]) -> None:
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
    # Stay fp32: the classifier, and each layer's second feed-forward projection (its inputs
    # come out of GELU with the widest ranges). Quantising everything cost 1.2-1.4 points of
    # dev entity F1 (more than the 1 point allowed); without these, 0.7 (docs/models.md).
    graph = onnx.load(str(prepared)).graph
    keep_fp32 = [
        n.name
        for n in graph.node
        if n.op_type == "MatMul"
        and ("classifier" in n.name or ("/output/dense/" in n.name and "attention" not in n.name))
    ]
    quantize_static(
        str(prepared),
        str(out),
        _Calibration(calibration),
        quant_format=QuantFormat.QOperator,
        op_types_to_quantize=["MatMul", "Gather"],
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        nodes_to_exclude=keep_fp32,
        extra_options={"MatMulConstBOnly": True},
    )


def write_card(directory: Path, card: dict[str, Any]) -> None:
    (directory / "model.json").write_text(json.dumps(card, indent=2) + "\n")
