"""torchvision's segmentation models return a dict; exports and comparisons take its main output."""
from torch import nn


class SegmentationOut(nn.Module):
    """The 'out' entry of a torchvision segmentation model's dict."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]
