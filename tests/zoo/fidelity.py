"""qplay's static quantization against PyTorch's FX post-training quantization, on torchvision
architectures qplay was never tuned on.

    /usr/bin/python3 tests/zoo/fidelity.py QPLAY_BINARY WORK_DIR [MODEL ...]

Each model is built with random weights (seeded; batch-norm statistics measured on inputs like
the test's, heads re-initialized, so that the output depends on the input), exported to ONNX at
opset 13, and quantized on the same 32 calibration inputs:
- by qplay, static with per-channel weights, calibrated with MinMax (ONNX Runtime's default) and
  with mse (`qplay quantize --per-channel --method mse`: the range that minimizes the L2 error);
- by PyTorch FX with each CPU engine's default qconfig (qnnpack, and onednn or fbgemm), whose
  HistogramObserver also picks the activation range that minimizes the L2 error.
The output's SQNR against the float model on 16 other inputs is printed as a table. Exits 1 when
qplay's mse calibration, the one comparable to PyTorch's observer, is more than 1 dB below
PyTorch's better engine on any model.
"""
import copy
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import torch
import torchvision
from torch import nn
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

from batch_norm import measure_batch_norm
from segmentation import SegmentationOut

warnings.filterwarnings("ignore")
torch.set_num_threads(os.cpu_count())

CALIBRATION, TEST = 32, 16
TOLERANCE_DB = 1.0


class TraceableShuffleBlock(nn.Module):
    """torchvision's ShuffleNetV2 InvertedResidual with the same arithmetic, written so that FX traces
    it (the original unpacks x.size() into a tuple)."""

    def __init__(self, block):
        super().__init__()
        self.stride, self.branch1, self.branch2 = block.stride, block.branch1, block.branch2
        self.half = block.branch2[0].in_channels  # stride 1: the channels each branch takes

    def forward(self, x):
        if self.stride == 1:
            out = torch.cat((x[:, :self.half], self.branch2(x[:, self.half:])), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        b, c, h, w = out.shape[0], out.shape[1], out.shape[2], out.shape[3]
        return out.reshape(b, 2, c // 2, h, w).transpose(1, 2).reshape(b, c, h, w)


def shufflenet():
    model = torchvision.models.shufflenet_v2_x0_5(num_classes=100)
    for stage in (model.stage2, model.stage3, model.stage4):
        for i, block in enumerate(stage):
            stage[i] = TraceableShuffleBlock(block)
    return model, (3, 64, 64)


class SmallVit(nn.Module):
    """torchvision's VisionTransformer, small, with its forward unrolled so that FX traces it; its
    LayerNorms export as separate ops at opset 13."""

    def __init__(self):
        super().__init__()
        self.vit = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2,
                                                        hidden_dim=64, mlp_dim=128, num_classes=10)
        nn.init.normal_(self.vit.heads.head.weight, std=0.2)  # torchvision starts the head at zero

    def forward(self, x):
        v = self.vit
        x = v.conv_proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([v.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = v.encoder.dropout(x + v.encoder.pos_embedding)
        for block in v.encoder.layers:
            y = block.ln_1(x)
            x = x + block.dropout(block.self_attention(y, y, y, need_weights=False)[0])
            x = x + block.mlp(block.ln_2(x))
        return v.heads(v.encoder.ln(x)[:, 0])


def models():
    def classifier(build, size=64):
        return lambda: (build(num_classes=100), (3, size, size))

    return {
        "resnet18": classifier(torchvision.models.resnet18),
        "squeezenet1_1": classifier(torchvision.models.squeezenet1_1),
        "regnet_y_400mf": classifier(torchvision.models.regnet_y_400mf),
        "shufflenet_v2": shufflenet,
        "deeplabv3_mobilenet": lambda: (SegmentationOut(torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(
            num_classes=21, weights_backbone=None, aux_loss=False)), (3, 96, 96)),
        "lraspp_mobilenet": lambda: (SegmentationOut(torchvision.models.segmentation.lraspp_mobilenet_v3_large(
            num_classes=21, weights_backbone=None)), (3, 96, 96)),
        "vit_small": lambda: (SmallVit(), (3, 32, 32)),
    }


def sqnr_db(reference, test):
    reference, test = np.asarray(reference, np.float64), np.asarray(test, np.float64)
    noise = np.sum((reference - test) ** 2)
    return float("inf") if noise == 0 else float(10 * np.log10(np.sum(reference ** 2) / noise))


def pytorch_sqnr(model, engine, calibration, test, reference):
    torch.backends.quantized.engine = engine
    prepared = prepare_fx(copy.deepcopy(model), get_default_qconfig_mapping(engine), (calibration[:1],))
    with torch.no_grad():
        for i in range(0, len(calibration), 8):
            prepared(calibration[i:i + 8])
        quantized = convert_fx(prepared)
        return sqnr_db(reference, quantized(test).numpy())


def qplay_sqnr(qplay, work, name, method, test_path, calibration_path):
    onnx_path, quantized_path = os.path.join(work, f"{name}.onnx"), os.path.join(work, f"{name}.{method}.onnx")
    quantize = subprocess.run([qplay, "quantize", onnx_path, "-o", quantized_path, "--calib", calibration_path,
                               "--per-channel", "--method", method, "--json"], capture_output=True, text=True)
    if quantize.returncode != 0:
        raise RuntimeError(f"qplay quantize {name}: {quantize.stderr.strip()}")
    notes = json.loads(quantize.stdout).get("notes", [])
    evaluation = subprocess.run([qplay, "eval", onnx_path, "--data", test_path, "--compare", quantized_path, "--json"],
                                capture_output=True, text=True)
    if evaluation.returncode != 0:
        raise RuntimeError(f"qplay eval {name}: {evaluation.stderr.strip()}")
    outputs = json.loads(evaluation.stdout)["compare"]["outputs"]
    return next(iter(outputs.values()))["sqnr_db"], notes


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    qplay, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    chosen = sys.argv[3:] or list(models())
    engines = [e for e in ("qnnpack", "onednn", "fbgemm") if e in torch.backends.quantized.supported_engines][:2]
    print(f"| model | qplay MinMax (dB) | qplay mse (dB) | {' | '.join(f'PyTorch FX {e} (dB)' for e in engines)} | qplay notes |")
    print("|---|---|---|" + "---|" * len(engines) + "---|")
    failures = []
    for name in chosen:
        torch.manual_seed(0)
        model, shape = models()[name]()
        calibration, test = torch.randn(CALIBRATION, *shape), torch.randn(TEST, *shape)
        measure_batch_norm(model, [(torch.randn(16, *shape),) for _ in range(4)])
        with torch.no_grad():
            reference = model(test).numpy()
        spread = sqnr_db(reference, np.broadcast_to(reference.mean(axis=0), reference.shape))
        if spread > 40:
            sys.exit(f"{name}: the output hardly depends on the input ({spread:.0f} dB from its mean); fix the weights")
        onnx_path = os.path.join(work, f"{name}.onnx")
        torch.onnx.export(model, calibration[:1], onnx_path, opset_version=13, input_names=["input"],
                          output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        calibration_path, test_path = os.path.join(work, f"{name}.calib.npy"), os.path.join(work, f"{name}.test.npy")
        np.save(calibration_path, calibration.numpy())
        np.save(test_path, test.numpy())
        minmax, _ = qplay_sqnr(qplay, work, name, "minmax", test_path, calibration_path)
        ours, notes = qplay_sqnr(qplay, work, name, "mse", test_path, calibration_path)
        theirs = [pytorch_sqnr(model, e, calibration, test, reference) for e in engines]
        print(f"| {name} | {minmax:.1f} | {ours:.1f} | {' | '.join(f'{t:.1f}' for t in theirs)} | {len(notes)} |", flush=True)
        if ours < max(theirs) - TOLERANCE_DB:
            failures.append(f"{name}: qplay {ours:.1f} dB, PyTorch {max(theirs):.1f} dB")
    if failures:
        print("qplay is more than 1 dB below PyTorch on: " + "; ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
