"""Exports the small multi-op models the runtime tests use, with Debian's PyTorch.

Run with Debian's interpreter (the one that has torch):  /usr/bin/python3 tests/models/export_models.py [NAME ...]
Weights are random with a fixed seed; these models test the runtime, not accuracy.
Each model is written next to this script with a sample input and PyTorch's output (.npy).
"""
import os

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class SmallCnn(nn.Module):
    """Conv+BN+ReLU, a depthwise-separable block, a residual Add, max and global average pooling, Gemm."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.pool = nn.MaxPool2d(2)
        self.depthwise = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8), nn.ReLU())
        self.pointwise = nn.Sequential(nn.Conv2d(8, 8, 1), nn.BatchNorm2d(8))
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        x = self.pool(self.stem(x))
        x = torch.relu(x + self.pointwise(self.depthwise(x)))
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.head(x)


class TinyTransformer(nn.Module):
    """Patch embedding, LayerNorm, multi-head attention (MatMul, Softmax), GELU (Erf), residuals."""

    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.embed = nn.Conv2d(1, dim, 7, stride=7)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 32), nn.GELU(), nn.Linear(32, dim))
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2)
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        x = x + self.mlp(self.norm2(x))
        return self.head(x.mean(dim=1))


class RowLstm(nn.Module):
    """Reads a 28x28 image row by row."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 24, batch_first=True)
        self.head = nn.Linear(24, 10)

    def forward(self, x):
        out, _ = self.lstm(x.reshape(x.shape[0], 28, 28))
        return self.head(out[:, -1])


class RowGru(nn.Module):
    """Reads a 28x28 image row by row in both directions (ONNX GRU with linear_before_reset)."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(28, 16, batch_first=True, bidirectional=True)
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        out, _ = self.gru(x.reshape(x.shape[0], 28, 28))
        return self.head(out[:, -1])


class Decoder(nn.Module):
    """ConvTranspose (plain and grouped), a Concat skip connection, LeakyReLU, a Sigmoid gate
    multiplying two activations, average pooling: the ops whose integer forms are com.microsoft
    QLinear operators."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(1, 8, 3, stride=2, padding=1)
        self.act = nn.LeakyReLU(0.1)
        self.pool = nn.AvgPool2d(2)
        self.up = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.up_grouped = nn.ConvTranspose2d(16, 8, 3, padding=1, groups=2)
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        d = self.act(self.down(x))
        u = self.up(self.pool(d))
        g = self.up_grouped(torch.cat([d, u], 1)) * torch.sigmoid(u)
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(g, 1), 1))


MODELS = {"cnn_bn": (SmallCnn, 13), "transformer_block": (TinyTransformer, 17), "lstm": (RowLstm, 13), "gru": (RowGru, 13), "decoder": (Decoder, 13)}


def export(model, name, opset):
    torch.manual_seed(1)
    model.eval()
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        # BatchNorm statistics that are not the identity, so folding matters.
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        y = model(x)
    path = os.path.join(HERE, name + ".onnx")
    # PRESERVE keeps BatchNormalization nodes (EVAL would fold them into the convolutions).
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["logits"],
                      training=torch.onnx.TrainingMode.PRESERVE,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    np.save(os.path.join(HERE, name + ".input.npy"), x.numpy())
    np.save(os.path.join(HERE, name + ".torch_output.npy"), y.numpy())
    print("wrote", path)


if __name__ == "__main__":
    import sys
    for name in sys.argv[1:] or MODELS:
        factory, opset = MODELS[name]
        torch.manual_seed(0)
        export(factory(), name, opset)
