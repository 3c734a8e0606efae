"""Exports a BERT-base-shaped encoder (random weights: speed does not need trained ones) for
bench/speed.mjs: hidden size 768, 12 heads, feed-forward 3072 with GELU, post-norm layers as
BERT has them, at sequence length 128 and batch 1. Its input is the embedded sequence
[1, 128, 768] (the embedding lookup is a gather, not what the bench measures). Four layers,
not BERT-base's twelve: every layer is the same shape, so the time per layer, and the ratio to
onnxruntime-web, are BERT-base's, at a third of the file (113 MB) and of the run.

  /usr/bin/python3 bench/models/export_bert_encoder.py OUT.onnx
"""
import sys

import torch
from torch import nn

LAYERS, HIDDEN, HEADS, FEED_FORWARD, SEQUENCE = 4, 768, 12, 3072, 128

if __name__ == "__main__":
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(HIDDEN, HEADS, FEED_FORWARD, dropout=0.0, activation="gelu", batch_first=True)
    model = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False).eval()
    with torch.no_grad():  # the layers are copies of one: give each its own weights, as BERT's are
        for name, parameter in model.named_parameters():
            if "norm" in name:
                parameter.copy_(1.0 + 0.1 * torch.randn_like(parameter) if name.endswith("weight") else 0.1 * torch.randn_like(parameter))
            else:
                parameter.normal_(0.0, 0.02)
    torch.onnx.export(model, torch.rand(1, SEQUENCE, HIDDEN), sys.argv[1], input_names=["input"], output_names=["output"],
                      opset_version=14)
