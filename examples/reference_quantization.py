"""PyTorch's own post-training quantization of the example models: the numbers qplay is compared with.

    /usr/bin/python3 examples/reference_quantization.py [cnn transformer lstm]

For each model and each of PyTorch's CPU engines here (qnnpack, onednn): static quantization
with FX graph mode, calibrated on the 200 calibration images, using the engine's default
qconfig (onednn: per-channel weights; qnnpack: per-tensor); and dynamic quantization
(int8 weights, activations quantized per batch of 1000) for the transformer and the LSTM.
Accuracy is measured on the 1000-image evaluation set; the dynamic models also on all 10000
test images, with their fidelity to the float model (top-1 agreement, logits SQNR, the images
whose class changed, for the benchmark's paired comparison with qplay). Prints a
Markdown table and writes models/reference_quantization.json, which `make bench-accuracy`
shows beside qplay's numbers.
"""
import json
import copy
import os
import sys
import warnings

import numpy as np
import torch
from torch import nn
from torch.ao.quantization import QConfigMapping, get_default_qconfig_mapping, quantize_dynamic
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

from fashion_mnist import HERE, load_split, preprocess
from models import MODELS

warnings.filterwarnings("ignore")
torch.set_num_threads(os.cpu_count())


def load(name):
    model = MODELS[name][0]()
    model.load_state_dict(torch.load(os.path.join(HERE, "models", f"{name}.pt")))
    return model.eval()


def data(split):
    images = torch.from_numpy(np.load(os.path.join(HERE, "data", f"{split}_images.npy")))
    labels = torch.from_numpy(np.load(os.path.join(HERE, "data", f"{split}_labels.npy")))
    return images, labels


def accuracy(model, images, labels):
    with torch.no_grad():
        return (model(images).argmax(1) == labels).float().mean().item()


def logits(model, images):
    """In batches of 1000, as qplay's benchmark runs them (dynamic ranges are per batch)."""
    with torch.no_grad():
        return torch.cat([model(images[i:i + 1000]) for i in range(0, len(images), 1000)])


def fidelity(float_model, quantized, images, labels):
    """Accuracy of the quantized model, its top-1 agreement with the float model, logits SQNR in dB,
    and the images whose top-1 class differs from the float model's (as `qplay eval --compare` lists them)."""
    reference, test = logits(float_model, images), logits(quantized, images)
    sqnr = 10 * torch.log10((reference ** 2).sum() / ((reference - test) ** 2).sum()).item()
    reference_class, test_class = reference.argmax(1), test.argmax(1)
    disagreements = [{"sample": i, "reference": reference_class[i].item(), "test": test_class[i].item()}
                     for i in torch.nonzero(reference_class != test_class).flatten().tolist()]
    return {"accuracy": round((test_class == labels).float().mean().item(), 4),
            "agreement": round((test_class == reference_class).float().mean().item(), 4),
            "sqnr_db": round(sqnr, 2),
            "disagreements": disagreements}


def qconfig_mapping(name, engine):
    mapping = get_default_qconfig_mapping(engine)
    if name == "transformer":
        # FX cannot quantize nn.MultiheadAttention statically; its in/out projections stay float,
        # every other Conv/Linear (patch embedding, MLPs, head) and the LayerNorms are quantized.
        mapping = mapping.set_object_type(nn.MultiheadAttention, None)
    if name == "lstm":
        # PyTorch has no static quantized LSTM kernel; the LSTM stays float, the classifier is quantized.
        mapping = mapping.set_object_type(nn.LSTM, None)
    return mapping


def static_quantize(name, engine, calibration):
    torch.backends.quantized.engine = engine
    model = copy.deepcopy(load(name))
    prepared = prepare_fx(model, qconfig_mapping(name, engine), example_inputs=(calibration[:1],))
    with torch.no_grad():
        for i in range(0, len(calibration), 50):
            prepared(calibration[i:i + 50])
    return convert_fx(prepared)


def dynamic_quantize(name, engine):
    torch.backends.quantized.engine = engine
    return quantize_dynamic(copy.deepcopy(load(name)), {nn.Linear, nn.LSTM}, dtype=torch.qint8)


def main(names):
    calibration, _ = data("calibration")
    images, labels = data("evaluation")
    test_images, test_labels = load_split("t10k")
    test_images, test_labels = torch.from_numpy(preprocess(test_images)), torch.from_numpy(test_labels)
    results = {}
    print("| model | float | engine | static PTQ | dynamic |")
    print("| --- | --- | --- | --- | --- |")
    for name in names:
        float_model = load(name)
        float_acc = accuracy(float_model, images, labels)
        entry = results.setdefault(name, {"float": round(float_acc, 4), "engines": {}})
        if name != "cnn":
            entry["float_test"] = round(accuracy(float_model, test_images, test_labels), 4)
        for engine in ["qnnpack", "onednn"]:
            static = accuracy(static_quantize(name, engine, calibration), images, labels)
            result = {"static": round(static, 4), "dynamic": None}
            if name != "cnn":
                dynamic = dynamic_quantize(name, engine)
                result["dynamic"] = round(accuracy(dynamic, images, labels), 4)
                result["dynamic_fidelity"] = {"evaluation": fidelity(float_model, dynamic, images, labels),
                                              "test": fidelity(float_model, dynamic, test_images, test_labels)}
            dyn = f"{result['dynamic'] * 100:.1f}%" if result["dynamic"] is not None else "—"
            print(f"| {name} | {float_acc * 100:.1f}% | {engine} | {static * 100:.1f}% | {dyn} |", flush=True)
            entry["engines"][engine] = result
    with open(os.path.join(HERE, "models", "reference_quantization.json"), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:] or list(MODELS))
