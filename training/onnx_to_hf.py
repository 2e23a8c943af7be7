"""Rebuild a Hugging Face checkpoint from newswire's shipped int8 ONNX model.

The export stage records which ONNX initializer holds each parameter of the fine-tuned
checkpoint (`weights.json`: name, whether it was transposed). Dequantising the shipped int8
weights ((q - zero_point) * scale, per channel) and loading them into the architecture of the
model card gives the very model that serves, in Hugging Face format, on any machine, from the
committed bytes alone: what `--ner-model` is tested with.

    python -m training.onnx_to_hf MODEL_DIR OUT_DIR      (in a venv with torch)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np


def weights_map(torch_state: dict[str, Any], onnx_path: Path) -> dict[str, dict[str, Any]]:
    """For each parameter, the fp32 ONNX initializer equal to it (maybe transposed)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_path))
    arrays = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    out: dict[str, dict[str, Any]] = {}
    for name, tensor in torch_state.items():
        value = tensor.detach().cpu().numpy()
        for init, array in arrays.items():
            if array.shape == value.shape and np.array_equal(array, value):
                out[name] = {"onnx": init, "transposed": False}
                break
            if array.ndim == 2 and array.shape == value.T.shape and np.array_equal(array, value.T):
                out[name] = {"onnx": init, "transposed": True}
                break
    return out


def dequantised(onnx_path: Path) -> dict[str, np.ndarray]:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_path))
    arrays = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    out: dict[str, np.ndarray] = {}
    for name, array in arrays.items():
        if name.endswith("_quantized"):
            base = name.removesuffix("_quantized")
            scale = arrays[base + "_scale"].astype(np.float32)
            zero = arrays[base + "_zero_point"].astype(np.float32)
            q = array.astype(np.float32)
            if scale.ndim == 1 and scale.size > 1:
                axis = next(a for a, d in enumerate(q.shape) if d == scale.size)
                shape = [1] * q.ndim
                shape[axis] = scale.size
                scale, zero = scale.reshape(shape), zero.reshape(shape)
            out[base] = (q - zero) * scale
        elif array.dtype == np.float32:
            out.setdefault(name, array)
    return out


def rebuild(model_dir: Path, out_dir: Path) -> Path:
    import torch
    from transformers import AutoConfig, AutoModelForTokenClassification

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_bytes((model_dir / "hf-config.json").read_bytes())
    config = AutoConfig.from_pretrained(out_dir)
    model = AutoModelForTokenClassification.from_config(config)
    mapping = json.loads((model_dir / "weights.json").read_text())
    values = dequantised(model_dir / json.loads((model_dir / "model.json").read_text())["onnx"])
    state = model.state_dict()
    missing = [n for n in state if n not in mapping and not n.endswith("position_ids")]
    if missing:
        raise ValueError(f"no ONNX weights recorded for {missing[:5]}")
    for name, where in mapping.items():
        array = values[where["onnx"]]
        state[name] = torch.from_numpy(
            np.ascontiguousarray(array.T if where["transposed"] else array)
        )
    model.load_state_dict(state)
    model.save_pretrained(out_dir)
    tokenizer = out_dir / "tokenizer.json"
    tokenizer.write_bytes((model_dir / "tokenizer.json").read_bytes())
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        (out_dir / name).write_bytes((model_dir / f"hf-{name}").read_bytes())
    return out_dir


if __name__ == "__main__":
    print(rebuild(Path(sys.argv[1]), Path(sys.argv[2])))
