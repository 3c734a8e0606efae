"""Writes the example data sets from Debian's Fashion-MNIST into examples/data/.

    /usr/bin/python3 examples/make_data.py

data/calibration/<class>/<index>.png   200 training images, 20 per class
data/evaluation/<class>/<index>.png    the first 1000 test images
data/{calibration,evaluation}_{images,labels}.npy   the same, preprocessed (float32 N x 1 x 28 x 28, int64 labels)
"""
import os
import shutil

import numpy as np
from PIL import Image

from fashion_mnist import CLASSES, HERE, calibration_and_evaluation_indices, load_split, preprocess


def write_set(name, images, labels, indices):
    folder = os.path.join(HERE, "data", name)
    shutil.rmtree(folder, ignore_errors=True)
    for c in CLASSES:
        os.makedirs(os.path.join(folder, c))
    for i in indices:
        Image.fromarray(images[i], mode="L").save(os.path.join(folder, CLASSES[labels[i]], f"{i:05d}.png"), optimize=True)
    np.save(os.path.join(HERE, "data", f"{name}_images.npy"), preprocess(images[indices]))
    np.save(os.path.join(HERE, "data", f"{name}_labels.npy"), labels[indices])
    print(f"{name}: {len(indices)} images")


if __name__ == "__main__":
    calibration, evaluation = calibration_and_evaluation_indices()
    write_set("calibration", *load_split("train"), calibration)
    write_set("evaluation", *load_split("t10k"), evaluation)
