"""Exports a small segmentation net (random weights: speed does not need trained ones) at
1x3x256x256 with Debian's PyTorch, for bench/speed.mjs: a strided-convolution encoder with
BatchNormalization and ReLU, and a decoder that upsamples by a ConvTranspose (kernel 2,
stride 2), a nearest 2x Resize and a bilinear 2x Resize, as segmentation and OCR-detection
heads do.

  /usr/bin/python3 bench/models/export_segmentation.py OUT.onnx
"""
import sys

import torch
from torch import nn

from random_batch_norm import randomize_batch_norm_statistics


def conv_bn(inp, out, stride):
    return nn.Sequential(nn.Conv2d(inp, out, 3, stride, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU())


class Segmenter(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.encoder = nn.Sequential(conv_bn(3, 16, 2), conv_bn(16, 32, 2), conv_bn(32, 64, 2), conv_bn(64, 64, 1))
        self.up = nn.Sequential(nn.ConvTranspose2d(64, 32, 2, 2), nn.BatchNorm2d(32), nn.ReLU())
        self.refine = conv_bn(32, 16, 1)
        self.head = nn.Conv2d(16, classes, 1)

    def forward(self, x):
        x = self.up(self.encoder(x))                                    # 1/8 -> 1/4
        x = self.refine(nn.functional.interpolate(x, scale_factor=2.0, mode="nearest"))  # 1/2
        return self.head(nn.functional.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False))


if __name__ == "__main__":
    torch.manual_seed(0)
    model = Segmenter().eval()
    randomize_batch_norm_statistics(model)
    torch.onnx.export(model, torch.rand(1, 3, 256, 256), sys.argv[1], input_names=["input"], output_names=["output"],
                      opset_version=13, dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
