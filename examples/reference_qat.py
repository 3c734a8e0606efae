"""PyTorch's own quantization-aware training of the bundled CNN: the numbers `qplay qat` is compared with.
    /usr/bin/python3 examples/reference_qat.py [EPOCHS] [LEARNING_RATE ...]   (default: 5 1e-4 3e-4)

The same setup as `node bench/qat-accuracy.mjs` gives qplay: per-tensor int8 weights (the qnnpack
engine's default qconfig, where post-training quantization loses most on this model), the 200
calibration images as training set, SGD with momentum 0.9, batch 16, the given epochs and
learning rates, BatchNorm statistics frozen (its folded form), observers frozen after the first
epoch. FX graph mode (prepare_qat_fx / convert_fx), accuracy on the 1000 evaluation images.
Writes models/reference_qat.json.
"""
import copy
import json
import os
import sys
import warnings

import torch
import torch.nn.intrinsic.qat  # freeze_bn_stats (PyTorch 1.13 keeps it here)
from torch.ao.quantization import get_default_qat_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_qat_fx

from fashion_mnist import HERE
from reference_quantization import accuracy, data, load, static_quantize

warnings.filterwarnings("ignore")
torch.set_num_threads(os.cpu_count())


def qat(epochs, lr, images, labels, engine="qnnpack"):
    torch.backends.quantized.engine = engine
    torch.manual_seed(0)
    model = copy.deepcopy(load("cnn")).train()
    prepared = prepare_qat_fx(model, get_default_qat_qconfig_mapping(engine), example_inputs=(images[:1],))
    prepared.apply(torch.nn.intrinsic.qat.freeze_bn_stats)
    optimizer = torch.optim.SGD(prepared.parameters(), lr=lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(epochs):
        if epoch == 1:
            prepared.apply(torch.ao.quantization.disable_observer)
        order = torch.randperm(len(images))
        for i in range(0, len(images), 16):
            batch = order[i:i + 16]
            optimizer.zero_grad()
            loss_fn(prepared(images[batch]), labels[batch]).backward()
            optimizer.step()
    return convert_fx(prepared.eval())


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rates = [float(v) for v in sys.argv[2:]] or [1e-4, 3e-4]
    train_images, train_labels = data("calibration")
    images, labels = data("evaluation")
    result = {
        "epochs": epochs, "engine": "qnnpack",
        "float": round(accuracy(load("cnn"), images, labels), 4),
        "ptq": round(accuracy(static_quantize("cnn", "qnnpack", train_images), images, labels), 4),
        "runs": [{"learning_rate": lr, "qat": round(accuracy(qat(epochs, lr, train_images, train_labels.long()), images, labels), 4)}
                 for lr in rates],
    }
    print(json.dumps(result))
    with open(os.path.join(HERE, "models", "reference_qat.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
