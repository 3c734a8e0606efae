"""Exports a MobileNetV2-shaped network (random weights: speed does not need trained ones)
at 1x3x224x224 with Debian's PyTorch, for bench/speed.mjs.

  /usr/bin/python3 bench/models/export_mobilenet_v2.py OUT.onnx

The architecture follows the MobileNetV2 paper (inverted residual blocks: 1x1 expansion,
3x3 depthwise, 1x1 projection; ReLU6; width 1.0), written out here because torchvision is
not a Debian package on this machine.
"""
import sys

import torch
from torch import nn


def conv_bn(inp, out, kernel, stride, groups=1, relu=True):
    layers = [nn.Conv2d(inp, out, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(out)]
    if relu:
        layers.append(nn.ReLU6())
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, inp, out, stride, expand):
        super().__init__()
        hidden = inp * expand
        layers = [conv_bn(inp, hidden, 1, 1)] if expand != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden), conv_bn(hidden, out, 1, 1, relu=False)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and inp == out

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


class MobileNetV2(nn.Module):
    # (expansion, output channels, repeats, first stride)
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, classes=1000):
        super().__init__()
        layers = [conv_bn(3, 32, 3, 2)]
        channels = 32
        for expand, out, repeats, stride in self.SETTINGS:
            for i in range(repeats):
                layers.append(InvertedResidual(channels, out, stride if i == 0 else 1, expand))
                channels = out
        layers.append(conv_bn(channels, 1280, 1, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(1280, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


if __name__ == "__main__":
    torch.manual_seed(0)
    model = MobileNetV2().eval()
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), sys.argv[1], opset_version=13,
                      input_names=["input"], output_names=["logits"])
    print("wrote", sys.argv[1])
