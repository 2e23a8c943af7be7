"""From a fine-tuned checkpoint to what the pipeline serves: ONNX fp32, static int8, model card.

The ONNX graph returns the BIO logits and the last hidden states, so one pass gives entities
and the document vector for topics. int8 is static (calibrated) quantisation: activation scales
are fixed from calibration windows, so an article's result never depends on its batch-mates
(dynamic quantisation computes scales per batch).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from enrich.token_windows import pad_batch
from training.finetune import TrainWindow


def export_onnx(model: Any, out: Path, opset: int = 17) -> Path:
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            result = self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                output_hidden_states=True,
            )
            return result.logits, result.hidden_states[-1]

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
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = out.with_name(out.stem + ".prep.onnx")
    quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
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
        extra_options={"MatMulConstBOnly": True},
    )
    prepared.unlink(missing_ok=True)
    return out


def write_card(directory: Path, card: dict[str, Any]) -> None:
    (directory / "model.json").write_text(json.dumps(card, indent=2) + "\n")
