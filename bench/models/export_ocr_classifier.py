"""Exports a PaddleOCR-style text-direction classifier (the PP-LCNet shape of PP-OCR's cls
model; random weights: speed does not need trained ones) at 1x3x48x192 with Debian's PyTorch,
for bench/speed.mjs, written the way paddle2onnx writes such models rather than the way
PyTorch does:
- BatchNormalization stays a node after each convolution (exported with training=PRESERVE,
  which skips PyTorch's Conv+BN folding);
- HardSwish is spelled out as x * Clip(x + 3, 0, 6) / 6 and the squeeze-excite gate as
  Clip(x / 6 + 0.5, 0, 1), at opset 11;
- every weight is a Constant node, not an initializer.
The test zoo (tests/zoo/coverage.py) exports the same model at opsets 9 and 11.

  /usr/bin/python3 bench/models/export_ocr_classifier.py OUT.onnx
"""
import sys
import warnings

import onnx
import torch
from onnx import helper, numpy_helper
from torch import nn

from random_batch_norm import randomize_batch_norm_statistics


def hard_swish(x):
    return x * torch.clamp(x + 3, 0, 6) / 6


class ConvBN(nn.Module):
    def __init__(self, inp, out, kernel, stride, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(inp, out, kernel, stride, kernel // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out)

    def forward(self, x):
        return hard_swish(self.bn(self.conv(x)))


class SqueezeExcite(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.reduce = nn.Conv2d(channels, channels // 4, 1)
        self.expand = nn.Conv2d(channels // 4, channels, 1)

    def forward(self, x):
        gate = self.expand(torch.relu(self.reduce(x.mean((2, 3), keepdim=True))))
        return x * torch.clamp(gate / 6 + 0.5, 0, 1)


class DepthwiseSeparable(nn.Module):
    def __init__(self, inp, out, stride, kernel=3, se=False):
        super().__init__()
        self.depthwise = ConvBN(inp, inp, kernel, stride, groups=inp)
        self.se = SqueezeExcite(inp) if se else nn.Identity()
        self.pointwise = ConvBN(inp, out, 1, 1)

    def forward(self, x):
        return self.pointwise(self.se(self.depthwise(x)))


class TextDirectionClassifier(nn.Module):
    # PP-LCNet at scale 0.5: (in, out, stride, kernel, squeeze-excite) per block.
    blocks = [(16, 32, 1, 3, False), (32, 64, 2, 3, False), (64, 64, 1, 3, False), (64, 128, (2, 1), 3, False),
              (128, 128, 1, 3, False), (128, 256, (2, 1), 3, False)] + [(256, 256, 1, 5, False)] * 5 + \
             [(256, 512, (2, 1), 5, True), (512, 512, 1, 5, True)]

    def __init__(self, classes=2):
        super().__init__()
        self.stem = ConvBN(3, 16, 3, 2)
        self.body = nn.Sequential(*[DepthwiseSeparable(*b) for b in self.blocks])
        self.last = nn.Conv2d(512, 1280, 1, bias=False)
        self.fc = nn.Linear(1280, classes)

    def forward(self, x):
        x = self.body(self.stem(x)).mean((2, 3), keepdim=True)
        return torch.softmax(self.fc(hard_swish(self.last(x)).flatten(1)), dim=1)


def weights_as_constant_nodes(model):
    """Every initializer as a Constant node, as PaddlePaddle's exporter writes weights."""
    graph = model.graph
    constants = [helper.make_node("Constant", [], [t.name], name=f"const_{t.name}", value=t) for t in graph.initializer]
    nodes = constants + list(graph.node)
    del graph.initializer[:]
    del graph.node[:]
    graph.node.extend(nodes)


def export(path, opset=11):
    torch.manual_seed(0)
    model = TextDirectionClassifier().eval()
    randomize_batch_norm_statistics(model)
    warnings.filterwarnings("ignore", message=".*training-amenable mode")  # the model is in eval mode
    torch.onnx.export(model, torch.rand(1, 3, 48, 192), path, input_names=["input"], output_names=["output"],
                      opset_version=opset, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True,
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    exported = onnx.load(path)
    weights_as_constant_nodes(exported)
    onnx.checker.check_model(exported)
    onnx.save(exported, path)


if __name__ == "__main__":
    export(sys.argv[1])
