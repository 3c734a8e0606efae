"""Shared by the bench exporters: BatchNormalization statistics away from the identity, as
trained ones are (random weights suffice for speed, but a fresh layer's mean 0 and variance 1
would make folding it trivial)."""
from torch import nn


def randomize_batch_norm_statistics(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
