"""Fashion-MNIST from Debian's dataset-fashion-mnist, and the preprocessing every example model uses."""
import gzip
import os

import numpy as np

SOURCE = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"]
# Mean and std of the 60000 training images, scaled to [0, 1].
MEAN = 0.2860
STD = 0.3530
HERE = os.path.dirname(os.path.abspath(__file__))


def load_split(split):
    """Returns (images uint8 N x 28 x 28, labels int64 N) for split 'train' or 't10k'."""
    with gzip.open(os.path.join(SOURCE, f"{split}-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(os.path.join(SOURCE, f"{split}-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int64)
    return images, labels


def preprocess(images):
    """uint8 N x 28 x 28 -> float32 N x 1 x 28 x 28, as the page does for a dropped image."""
    x = images.astype(np.float32) / 255.0
    return ((x - MEAN) / STD)[:, None, :, :].astype(np.float32)


def calibration_and_evaluation_indices(seed=0):
    """200 training images (20 per class) for calibration; the first 1000 test images for evaluation."""
    _, train_labels = load_split("train")
    rng = np.random.default_rng(seed)
    calibration = np.concatenate([rng.choice(np.flatnonzero(train_labels == c), 20, replace=False) for c in range(10)])
    return np.sort(calibration), np.arange(1000)
