"""Trains the example models on Fashion-MNIST with a fixed seed and exports them to ONNX.

    /usr/bin/python3 examples/train_models.py [cnn transformer lstm]

Writes models/<name>.onnx, models/<name>.pt (the PyTorch weights, for the reference
quantization script), models/<name>.json (preprocessing, class names, float accuracy) and
models/<name>.torch_predictions.npy (PyTorch's class for each evaluation image, which the
tests compare qplay's runtime with).  `--card NAME...` rewrites only the last two.
"""
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

from fashion_mnist import CLASSES, HERE, MEAN, STD, load_split, preprocess
from models import MODELS

torch.set_num_threads(os.cpu_count())


def evaluate(model, images, labels):
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(images[i:i + 500]) for i in range(0, len(images), 500)])
    return (logits.argmax(1) == labels).float().mean().item()


def train(name):
    make, opset, epochs, lr = MODELS[name]
    torch.manual_seed(0)
    np.random.seed(0)
    train_x, train_y = load_split("train")
    test_x, test_y = load_split("t10k")
    train_x, train_y = torch.from_numpy(preprocess(train_x)), torch.from_numpy(train_y)
    test_x, test_y = torch.from_numpy(preprocess(test_x)), torch.from_numpy(test_y)
    model = make()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * (len(train_x) // 128)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(0)
    for epoch in range(epochs):
        model.train()
        start = time.time()
        order = torch.randperm(len(train_x), generator=generator)
        for i in range(0, len(order) - 127, 128):
            batch = order[i:i + 128]
            x = train_x[batch]
            if name == "cnn":  # random horizontal flips: clothes are left-right symmetric
                flip = torch.rand(len(x), generator=generator) < 0.5
                x = torch.where(flip[:, None, None, None], x.flip(3), x)
            optimizer.zero_grad()
            loss = loss_fn(model(x), train_y[batch])
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"{name} epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, "
              f"test accuracy {evaluate(model, test_x, test_y):.4f} ({time.time() - start:.0f} s)", flush=True)

    model.eval()
    os.makedirs(os.path.join(HERE, "models"), exist_ok=True)
    torch.save(model.state_dict(), os.path.join(HERE, "models", f"{name}.pt"))
    path = os.path.join(HERE, "models", f"{name}.onnx")
    # PRESERVE keeps BatchNormalization nodes (EVAL would fold them into the convolutions),
    # so folding is something the quantizer shows.
    torch.onnx.export(model, test_x[:1], path, opset_version=opset, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE)
    print(f"{name}: wrote {path}")
    write_card(name)


def write_card(name):
    """The model's JSON description and PyTorch's predictions on the evaluation set."""
    make, opset, _, _ = MODELS[name]
    model = make()
    model.load_state_dict(torch.load(os.path.join(HERE, "models", f"{name}.pt")))
    model.eval()
    test_x, test_y = load_split("t10k")
    test_x, test_y = torch.from_numpy(preprocess(test_x)), torch.from_numpy(test_y)
    with torch.no_grad():
        predictions = torch.cat([model(test_x[i:i + 500]).argmax(1) for i in range(0, 1000, 500)])
    np.save(os.path.join(HERE, "models", f"{name}.torch_predictions.npy"), predictions.numpy())
    card = {
        "model": f"{name}.onnx",
        "description": (model.__doc__ or "").strip(),
        "opset": opset,
        "input": "input",
        "output": "logits",
        "preprocessing": {"width": 28, "height": 28, "channels": 1, "color": "grayscale", "scale": 1 / 255,
                          "mean": [MEAN], "std": [STD], "layout": "NCHW"},
        "classes": CLASSES,
        "calibration": {"images": "data/calibration_images.npy", "labels": "data/calibration_labels.npy", "png": "data/calibration"},
        "evaluation": {"images": "data/evaluation_images.npy", "labels": "data/evaluation_labels.npy", "png": "data/evaluation"},
        "float_accuracy": round((predictions == test_y[:1000]).float().mean().item(), 4),
        "float_accuracy_10000": round(evaluate(model, test_x, test_y), 4),
    }
    with open(os.path.join(HERE, "models", f"{name}.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"{name}: float accuracy {card['float_accuracy']:.4f} on the 1000 evaluation images, "
          f"{card['float_accuracy_10000']:.4f} on all 10000 test images")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--card"]:
        for name in sys.argv[2:]:
            write_card(name)
    else:
        for name in sys.argv[1:] or list(MODELS):
            train(name)
