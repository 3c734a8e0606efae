"""PyTorch's QAT training throughput on the bundled CNN (forward + backward + SGD step, batch 16,
one thread, qnnpack QAT qconfig): the reference `make bench` prints beside qplay's.
    /usr/bin/python3 bench/qat_throughput.py SAMPLES   -> prints samples per second
"""
import copy
import os
import sys
import time

import numpy as np
import torch
from torch.ao.quantization import get_default_qat_qconfig_mapping
from torch.ao.quantization.quantize_fx import prepare_qat_fx

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
from models import MODELS  # noqa: E402

torch.set_num_threads(1)
here = os.path.join(os.path.dirname(__file__), "..", "examples")
model = MODELS["cnn"][0]()
model.load_state_dict(torch.load(os.path.join(here, "models", "cnn.pt")))
images = torch.from_numpy(np.load(os.path.join(here, "data", "calibration_images.npy")))
labels = torch.from_numpy(np.load(os.path.join(here, "data", "calibration_labels.npy"))).long()
count = int(sys.argv[1]) if len(sys.argv) > 1 else 64
torch.backends.quantized.engine = "qnnpack"
prepared = prepare_qat_fx(copy.deepcopy(model).train(), get_default_qat_qconfig_mapping("qnnpack"), example_inputs=(images[:1],))
optimizer = torch.optim.SGD(prepared.parameters(), lr=1e-4, momentum=0.9)
loss_fn = torch.nn.CrossEntropyLoss()

def epoch():
    for i in range(0, count, 16):
        optimizer.zero_grad()
        loss_fn(prepared(images[i:i + 16]), labels[i:i + 16]).backward()
        optimizer.step()

epoch()  # warm-up
start = time.perf_counter()
epoch()
print(f"{count / (time.perf_counter() - start):.1f}")
