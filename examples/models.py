"""The three example architectures (PyTorch), shared by training and the reference quantization script."""
import torch
from torch import nn


class FashionCnn(nn.Module):
    """Conv+BN+ReLU blocks, a depthwise-separable block with a residual Add, max and global average pooling, Gemm."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU())
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Sequential(nn.Conv2d(32, 96, 3, padding=1), nn.BatchNorm2d(96), nn.ReLU())
        self.pool2 = nn.MaxPool2d(2)
        self.depthwise = nn.Sequential(nn.Conv2d(96, 96, 3, padding=1, groups=96), nn.BatchNorm2d(96), nn.ReLU())
        self.pointwise = nn.Sequential(nn.Conv2d(96, 96, 1), nn.BatchNorm2d(96))
        self.relu = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(96, 10)

    def forward(self, x):
        x = self.pool1(self.stem(x))
        x = self.pool2(self.conv2(x))
        x = self.relu(x + self.pointwise(self.depthwise(x)))
        return self.fc(torch.flatten(self.gap(x), 1))


class PatchTransformer(nn.Module):
    """7x7 patches embedded by a strided Conv, two pre-norm encoder blocks (multi-head attention, GELU MLP)."""

    def __init__(self, dim=64, heads=4, depth=2, mlp=128):
        super().__init__()
        self.embed = nn.Conv2d(1, dim, 7, stride=7)
        self.position = nn.Parameter(torch.zeros(1, 16, dim))
        self.blocks = nn.ModuleList([EncoderBlock(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2) + self.position
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x).mean(dim=1))


class EncoderBlock(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class RowLstm(nn.Module):
    """Reads the image row by row: 28 steps of 28 features."""

    def __init__(self, hidden=128):
        super().__init__()
        self.lstm = nn.LSTM(28, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 10)

    def forward(self, x):
        out = self.lstm(x.reshape(x.shape[0], 28, 28))[0]  # indexing, not unpacking: FX can trace it
        return self.fc(out[:, -1])


# name -> (constructor, ONNX opset, training epochs, learning rate)
MODELS = {
    "cnn": (FashionCnn, 13, 15, 3e-3),
    # LayerNormalization exists as one ONNX op from opset 17 on (earlier opsets decompose it).
    "transformer": (PatchTransformer, 17, 12, 1e-3),
    "lstm": (RowLstm, 13, 6, 2e-3),
}
