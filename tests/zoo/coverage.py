"""Models qplay was never tuned on, for checking that it loads and runs them as ONNX Runtime does.

    /usr/bin/python3 tests/zoo/coverage.py OUT_DIR

Writes OUT_DIR/NAME.onnx, the inputs OUT_DIR/NAME.INPUT.npy and OUT_DIR/manifest.json (each
model's inputs and what it covers). wasm-tests/wasm/zoo-coverage.test.mjs runs each one in qplay
and in onnxruntime-node. The models:
- torchvision architectures (Debian's python3-torchvision 0.14) with random weights, exported by
  PyTorch 1.13 at several opsets: classifiers, segmentation, detection with NonMaxSuppression and
  RoiAlign, Swin and ViT, a video 3-D convolution net;
- a text encoder taking token ids and an attention mask, a recurrent model taking state, and a
  small U-Net with explicit padding and nearest upsampling;
- a float16 copy of a classifier (weights in float16, cast to float32 where used) and a copy
  whose weights are in an external data file;
- small models built by hand for opsets 18 to 21 (onnx 1.12's helper, without its checker, which
  knows opsets up to 17): Resize in every mode, int4/uint4/int16 Q/DQ with blocks, Scan, and
  ONNX Runtime's contrib attention ops.
"""
import json
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torchvision
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from batch_norm import measure_batch_norm
from segmentation import SegmentationOut

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../bench/models"))
import export_ocr_classifier  # noqa: E402  (the bench's PaddleOCR-style model, written as paddle2onnx writes it)

warnings.filterwarnings("ignore")
torch.manual_seed(0)
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
manifest = {}
tv = torchvision.models


def save_inputs(name, inputs):
    files = {}
    for input_name, value in inputs.items():
        files[input_name] = f"{name}.{input_name}.npy"
        np.save(os.path.join(out, files[input_name]), value)
    return files


def export(name, model, inputs, opset, covers):
    """Exports `model` called on `inputs` (name -> numpy array) at `opset`."""
    path = os.path.join(out, f"{name}.onnx")
    args = tuple(torch.from_numpy(v) for v in inputs.values())
    # Batch-norm statistics from four noisy copies of the inputs (one sample cannot give a variance).
    repeated = [a.repeat(4, *[1] * (a.dim() - 1)) for a in args]
    noisy = tuple(r + 0.5 * torch.randn_like(r) if r.is_floating_point() else r for r in repeated)
    measure_batch_norm(model, [noisy])
    # With gradients on, attention takes its exportable path, not the fused inference kernel.
    torch.onnx.export(model, args, path, opset_version=opset, input_names=list(inputs), do_constant_folding=True)
    manifest[name] = {"model": f"{name}.onnx", "inputs": save_inputs(name, inputs), "covers": covers}


def image(*shape):
    return np.random.default_rng(1).standard_normal(shape).astype(np.float32)


class TextEncoder(nn.Module):
    """Token ids and an attention mask (1 = a token, 0 = padding) to a pooled embedding: one
    attention block written out, so that the mask is added to the scores as BERT exports do."""

    def __init__(self, vocab=100, dim=32, heads=4):
        super().__init__()
        self.embed, self.position = nn.Embedding(vocab, dim), nn.Parameter(torch.randn(1, 64, dim) * 0.1)
        self.qkv, self.proj, self.heads = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim), heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, input_ids, attention_mask):
        b, t = input_ids.shape
        x = self.embed(input_ids) + self.position[:, :t]
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / (q.shape[-1] ** 0.5) + (1.0 - attention_mask[:, None, None, :]) * -10000.0
        x = self.norm1(x + self.proj((scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1)))
        x = self.norm2(x + self.ffn(x))
        return (x * attention_mask[:, :, None]).sum(1) / attention_mask.sum(1, keepdim=True)


class Recurrent(nn.Module):
    """A voice-activity-shaped model: features and the LSTM's state in, a probability and the new state out."""

    def __init__(self):
        super().__init__()
        self.lstm, self.gru, self.head = nn.LSTM(16, 32, batch_first=True), nn.GRU(32, 16, batch_first=True), nn.Linear(16, 1)

    def forward(self, x, h, c):
        y, (h, c) = self.lstm(x, (h, c))
        y, _ = self.gru(y)
        return torch.sigmoid(self.head(y[:, -1])), h, c


class SmallUNet(nn.Module):
    """An encoder-decoder as U-Nets and YOLO necks are written: explicit zero, reflection and
    constant padding, nearest upsampling and a skip connection."""

    def __init__(self):
        super().__init__()
        self.down = nn.Sequential(nn.ZeroPad2d(1), nn.Conv2d(3, 16, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.middle = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(16, 16, 3), nn.ReLU())
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.skip = nn.Conv2d(3, 8, 1)
        self.head = nn.Sequential(nn.ConstantPad2d(1, 0.5), nn.Conv2d(24, 4, 3))

    def forward(self, x):
        return self.head(torch.cat([self.up(self.middle(self.down(x))), self.skip(x)], 1))


def spread(*modules, std=0.3):
    """Wider random weights for the given heads: torchvision starts them near zero, so every box
    would get the same score and NonMaxSuppression would have nothing to rank."""
    for module in modules:
        for layer in module.modules():
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(layer.weight, std=std)


def ssdlite():
    model = tv.detection.ssdlite320_mobilenet_v3_large(num_classes=5, weights_backbone=None)
    spread(model.head.classification_head)
    return model


def fasterrcnn():
    model = tv.detection.fasterrcnn_mobilenet_v3_large_320_fpn(num_classes=5, weights_backbone=None)
    spread(model.rpn.head.cls_logits, model.roi_heads.box_predictor.cls_score)
    return model


def vit():
    model = tv.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=64, mlp_dim=128,
                                 num_classes=10)
    nn.init.normal_(model.heads.head.weight, std=0.1)  # torchvision starts the head at zero: a constant output
    return model


x64 = {"input": image(1, 3, 64, 64)}
classifiers = [
    ("resnet18", lambda: tv.resnet18(num_classes=10), (9, 13, 17)),
    ("mobilenet_v3_small", lambda: tv.mobilenet_v3_small(num_classes=10), (11, 17)),
    ("efficientnet_b0", lambda: tv.efficientnet_b0(num_classes=10), (13,)),
    ("squeezenet1_1", lambda: tv.squeezenet1_1(num_classes=10), (9,)),
    ("densenet121", lambda: tv.densenet121(num_classes=10), (10,)),
    ("regnet_y_400mf", lambda: tv.regnet_y_400mf(num_classes=10), (11,)),
    ("shufflenet_v2_x0_5", lambda: tv.shufflenet_v2_x0_5(num_classes=10), (12,)),
    ("convnext_tiny", lambda: tv.convnext_tiny(num_classes=10), (14,)),
]
for arch, make, opsets in classifiers:
    for opset in opsets:
        export(f"{arch}_op{opset}", make(), x64, opset, "image classifier")
export("vit_op13", vit(), {"input": image(1, 3, 32, 32)}, 13, "vision transformer")
export("vit_op17", vit(), {"input": image(1, 3, 32, 32)}, 17, "vision transformer, LayerNormalization")
export("swin_t_op17", tv.swin_t(num_classes=10), {"input": image(1, 3, 224, 224)}, 17,
       "vision transformer with windowed attention")
export("lraspp_op11", SegmentationOut(tv.segmentation.lraspp_mobilenet_v3_large(num_classes=4, weights_backbone=None)),
       {"input": image(1, 3, 96, 96)}, 11, "segmentation")
export("deeplabv3_op17", SegmentationOut(tv.segmentation.deeplabv3_mobilenet_v3_large(num_classes=4, weights_backbone=None)),
       {"input": image(1, 3, 96, 96)}, 17, "segmentation")
export("ssdlite_op11", ssdlite(),
       {"images": np.random.default_rng(2).random((1, 3, 320, 320), dtype=np.float32)}, 11,
       "detection: TopK, NonMaxSuppression")
export("fasterrcnn_op11", fasterrcnn(),
       {"images": np.random.default_rng(3).random((1, 3, 320, 320), dtype=np.float32)}, 11,
       "detection: NonMaxSuppression, RoiAlign")
for opset in (11, 13):
    export(f"unet_op{opset}", SmallUNet(), {"input": image(1, 3, 32, 32)}, opset,
           "U-Net: zero, reflection and constant Pad, nearest Resize")
export("r3d_18_op11", tv.video.r3d_18(num_classes=10), {"input": image(1, 3, 4, 56, 56)}, 11, "video: 3-D convolutions")
export("text_encoder_op14", TextEncoder(),
       {"input_ids": np.random.default_rng(4).integers(0, 100, (2, 12)).astype(np.int64),
        "attention_mask": np.array([[1] * 12, [1] * 7 + [0] * 5], dtype=np.float32)}, 14,
       "text encoder with two inputs")
export("recurrent_op11", Recurrent(), {"x": image(1, 20, 16), "h": image(1, 1, 32), "c": image(1, 1, 32)}, 11,
       "LSTM and GRU with state inputs")
for opset in (9, 11):
    name = f"ocr_classifier_op{opset}"
    export_ocr_classifier.export(os.path.join(out, f"{name}.onnx"), opset)
    manifest[name] = {"model": f"{name}.onnx", "inputs": save_inputs(name, {"input": image(1, 3, 48, 192)}),
                      "covers": "PaddleOCR-style classifier: Constant-node weights, BatchNormalization, HardSwish spelled out"}


def rewrite(name, source, covers, change, save=onnx.save, external=()):
    model = onnx.load(os.path.join(out, manifest[source]["model"]))
    change(model)
    for data in external:  # onnx appends external data to a file already there
        if os.path.exists(os.path.join(out, data)):
            os.remove(os.path.join(out, data))
    save(model, os.path.join(out, f"{name}.onnx"))
    manifest[name] = {**manifest[source], "model": f"{name}.onnx", "covers": covers, "external": list(external)}


def to_float16_weights(model):
    """Float16 weights, each cast to float32 where used (onnxconverter-common's keep_io_types form)."""
    graph = model.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name + "_fp16")
        init.CopyFrom(half)
        casts.append(helper.make_node("Cast", [half.name], [half.name[:-5]], to=TensorProto.FLOAT))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)


rewrite("resnet18_constant_weights_op9", "resnet18_op9", "weights in Constant nodes (PaddlePaddle's form)",
        export_ocr_classifier.weights_as_constant_nodes)
rewrite("resnet18_fp16_op13", "resnet18_op13", "float16 weights", to_float16_weights)
rewrite("resnet18_external_op13", "resnet18_op13", "weights in an external data file", lambda m: None,
        save=lambda m, path: onnx.save(m, path, save_as_external_data=True, location="resnet18_external_op13.data",
                                       size_threshold=1024), external=["resnet18_external_op13.data"])


def hand_built(name, opset, nodes, inputs, outputs, covers, initializers=(), microsoft=False):
    """`microsoft`: the model also imports ONNX Runtime's com.microsoft domain."""
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[v.dtype], v.shape)
                                            for n, v in inputs.items()],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
                              initializer=list(initializers))
    imports = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("com.microsoft", 1)] if microsoft else [])
    model = helper.make_model(graph, opset_imports=imports)
    model.ir_version = 8 if opset <= 17 else 10
    onnx.save(model, os.path.join(out, f"{name}.onnx"))
    manifest[name] = {"model": f"{name}.onnx", "inputs": save_inputs(name, inputs), "covers": covers}


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


x = {"x": image(2, 4, 6, 6)}
hand_built("reduce_mean_axes_input_op18", 18, [helper.make_node("ReduceMean", ["x", "axes"], ["y"], keepdims=0)], x, ["y"],
           "opset 18: Reduce* axes as an input", [ints("axes", [1, 3])])
hand_built("pad_axes_op18", 18, [helper.make_node("Pad", ["x", "pads", "", "axes"], ["y"], mode="reflect")], x, ["y"],
           "opset 18: Pad's axes", [ints("pads", [1, 2, 2, 1]), ints("axes", [2, 3])])
hand_built("split_num_outputs_op18", 18, [helper.make_node("Split", ["x"], ["a", "b", "c"], axis=2, num_outputs=3)], x,
           ["a", "b", "c"], "opset 18: Split's num_outputs")
hand_built("resize_half_pixel_symmetric_op19", 19,
           [helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear",
                             coordinate_transformation_mode="half_pixel_symmetric")], x, ["y"],
           "opset 19: Resize half_pixel_symmetric",
           [numpy_helper.from_array(np.array([1, 1, 1.5, 0.75], dtype=np.float32), "scales")])


def floats(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.float32), name)


# Resize in each mode ONNX Runtime's CPU provider runs: cubic, antialiasing, kept aspect ratios
# over a subset of axes, tf_crop_and_resize's extrapolation and tf_half_pixel_for_nn.
for name, opset, attributes, inputs, initializers in (
        ("resize_cubic_op13", 13, {"mode": "cubic"}, ["x", "", "scales"], [floats("scales", [1, 1, 1.5, 0.75])]),
        ("resize_cubic_exclude_outside_align_corners_op13", 13,
         {"mode": "cubic", "cubic_coeff_a": -0.5, "exclude_outside": 1, "coordinate_transformation_mode": "align_corners"},
         ["x", "", "", "sizes"], [ints("sizes", [2, 4, 9, 4])]),
        ("resize_antialias_linear_op18", 18, {"mode": "linear", "antialias": 1}, ["x", "", "scales"],
         [floats("scales", [1, 1, 0.6, 0.5])]),
        ("resize_antialias_cubic_op18", 18, {"mode": "cubic", "antialias": 1}, ["x", "", "", "sizes"],
         [ints("sizes", [2, 4, 4, 3])]),
        ("resize_keep_aspect_not_larger_op18", 18, {"mode": "linear", "axes": [2, 3], "keep_aspect_ratio_policy": "not_larger"},
         ["x", "", "", "sizes"], [ints("sizes", [5, 9])]),
        ("resize_keep_aspect_not_smaller_op18", 18,
         {"mode": "nearest", "axes": [3, 2], "keep_aspect_ratio_policy": "not_smaller"}, ["x", "", "", "sizes"],
         [ints("sizes", [4, 10])]),
        ("resize_tf_crop_and_resize_op13", 13,
         {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": -1.5},
         ["x", "roi", "", "sizes"], [floats("roi", [0, 0, 0.1, -0.2, 1, 1, 0.9, 1.3]), ints("sizes", [2, 4, 5, 7])]),
        ("resize_tf_half_pixel_for_nn_op11", 11, {"mode": "nearest", "coordinate_transformation_mode": "tf_half_pixel_for_nn"},
         ["x", "roi", "scales"], [floats("roi", []), floats("scales", [1, 1, 1.5, 0.5])])):
    hand_built(name, opset, [helper.make_node("Resize", inputs, ["y"], **attributes)], x, ["y"],
               "Resize " + ", ".join(f"{k}={v}" for k, v in attributes.items()), initializers)


def four_bit(name, values, signed):
    """An int4 or uint4 initializer (onnx 1.12 predates them): two values a byte, the first low."""
    nibbles = (np.asarray(values).astype(np.int64).reshape(-1) & 0x0F).astype(np.uint8)
    nibbles = np.append(nibbles, np.uint8(0)) if nibbles.size % 2 else nibbles
    tensor = TensorProto(name=name, data_type=22 if signed else 21, dims=np.shape(values))
    tensor.raw_data = (nibbles[0::2] | nibbles[1::2] << 4).astype(np.uint8).tobytes()
    return tensor


# Opset 21's Q/DQ: int4 weights in blocks along K, uint4 activations by output_dtype, int16.
q_rng = np.random.default_rng(21)
rows = {"x": q_rng.standard_normal((3, 16)).astype(np.float32)}
hand_built("dq_int4_blocked_matmul_op21", 21,
           [helper.make_node("DequantizeLinear", ["w", "w_scale", "w_zero"], ["w_float"], axis=0, block_size=4),
            helper.make_node("MatMul", ["x", "w_float"], ["y"])], rows, ["y"],
           "opset 21: int4 weights dequantized in blocks of 4 along K",
           [four_bit("w", q_rng.integers(-8, 8, (16, 6)), True), floats("w_scale", q_rng.random((4, 6)) * 0.1 + 0.01),
            four_bit("w_zero", q_rng.integers(-2, 3, (4, 6)), True)])
hand_built("q_uint4_blocked_op21", 21,
           [helper.make_node("QuantizeLinear", ["x", "scale"], ["q"], axis=1, block_size=5, output_dtype=21),
            helper.make_node("DequantizeLinear", ["q", "scale"], ["y"], axis=1, block_size=5)], rows, ["y"],
           "opset 21: uint4 by output_dtype, blocks of 5 along an axis of 16",
           [floats("scale", q_rng.random((3, 4)) * 0.2 + 0.05)])
hand_built("qdq_int16_per_channel_op21", 21,
           [helper.make_node("QuantizeLinear", ["x", "scale", "zero"], ["q"], axis=1),
            helper.make_node("DequantizeLinear", ["q", "scale", "zero"], ["y"], axis=1)], rows, ["y"],
           "opset 21: int16 Q/DQ per channel",
           [floats("scale", q_rng.random(16) * 1e-3 + 1e-4),
            numpy_helper.from_array(q_rng.integers(-100, 100, 16).astype(np.int16), "zero")])
# Scan (tf2onnx writes recurrences with it): a running sum carried as state over a sequence read
# along axis 1 in reverse, with a second input read along axis 0, and two scan outputs, one
# stacked along axis 1 in reverse.
scan_body = helper.make_graph(
    [helper.make_node("Add", ["sum_in", "step"], ["sum_out"]), helper.make_node("Mul", ["sum_out", "weight"], ["scaled"]),
     helper.make_node("Tanh", ["scaled"], ["y_step"]), helper.make_node("Identity", ["sum_out"], ["running"])],
    "scan_body", [helper.make_tensor_value_info("sum_in", TensorProto.FLOAT, [4]),
                  helper.make_tensor_value_info("step", TensorProto.FLOAT, [4]),
                  helper.make_tensor_value_info("weight", TensorProto.FLOAT, [4])],
    [helper.make_tensor_value_info(n, TensorProto.FLOAT, [4]) for n in ("sum_out", "y_step", "running")])
scan_rng = np.random.default_rng(9)
hand_built("scan_running_sum_op16", 16,
           [helper.make_node("Scan", ["initial", "sequence", "weights"], ["final", "ys", "sums"], body=scan_body,
                             num_scan_inputs=2, scan_input_axes=[1, 0], scan_input_directions=[1, 0],
                             scan_output_axes=[0, -1], scan_output_directions=[0, 1])],
           {"initial": scan_rng.standard_normal(4).astype(np.float32),
            "sequence": scan_rng.standard_normal((4, 5)).astype(np.float32),
            "weights": scan_rng.standard_normal((5, 4)).astype(np.float32)},
           ["final", "ys", "sums"], "Scan: state, two scan inputs along different axes, reversed directions")
hand_built("where_select_op13", 13,
           [helper.make_node("Greater", ["x", "zero"], ["positive"]), helper.make_node("Relu", ["x"], ["r"]),
            helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Where", ["positive", "r", "s"], ["w"]),
            helper.make_node("Mul", ["w", "w"], ["y"])], x, ["y"], "Where between two activations (QLinearWhere)",
           [numpy_helper.from_array(np.array(0, dtype=np.float32), "zero")])
hand_built("gelu_tanh_op20", 20, [helper.make_node("Gelu", ["x"], ["y"], approximate="tanh")], x, ["y"], "opset 20: Gelu")
hand_built("group_norm_op21", 21, [helper.make_node("GroupNormalization", ["x", "scale", "bias"], ["y"], num_groups=2)], x,
           ["y"], "opset 21: GroupNormalization",
           [numpy_helper.from_array(np.array([1, 2, 0.5, -1], dtype=np.float32), "scale"),
            numpy_helper.from_array(np.array([0, 0.1, -0.2, 0.3], dtype=np.float32), "bias")])
hand_built("mish_op18", 18, [helper.make_node("Mish", ["x"], ["y"])], x, ["y"], "opset 18: Mish")
rng = np.random.default_rng(8)
hand_built("einsum_attention_op12", 12, [helper.make_node("Einsum", ["q", "k"], ["y"], equation="bhid,bhjd->bhij")],
           {"q": rng.standard_normal((2, 3, 4, 5)).astype(np.float32), "k": rng.standard_normal((2, 3, 6, 5)).astype(np.float32)},
           ["y"], "Einsum: attention scores")
hand_built("einsum_implicit_op12", 12, [helper.make_node("Einsum", ["a", "b"], ["y"], equation="ij, jk")],
           {"a": rng.standard_normal((3, 4)).astype(np.float32), "b": rng.standard_normal((4, 2)).astype(np.float32)},
           ["y"], "Einsum: implicit output")
hand_built("einsum_ellipsis_diagonal_op12", 12, [helper.make_node("Einsum", ["x"], ["y"], equation="...ii->...i")],
           {"x": rng.standard_normal((2, 3, 3)).astype(np.float32)}, ["y"], "Einsum: ellipsis, diagonal")
image_4x5 = {"x": rng.standard_normal((2, 3, 4, 5)).astype(np.float32)}
grid = numpy_helper.from_array((rng.random((2, 3, 6, 2)) * 2.6 - 1.3).astype(np.float32), "grid")
for mode, padding, align in (("bilinear", "zeros", 0), ("nearest", "border", 1), ("bicubic", "reflection", 0),
                             ("bilinear", "reflection", 1), ("bicubic", "border", 1)):
    hand_built(f"grid_sample_{mode}_{padding}_{align}_op16", 16,
               [helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode, padding_mode=padding, align_corners=align)],
               image_4x5, ["y"], f"GridSample {mode}, {padding} padding, align_corners={align}", [grid])
hand_built("roi_align_max_op16", 16,
           [helper.make_node("RoiAlign", ["x", "rois", "batch"], ["y"], mode="max", output_height=3, output_width=2,
                             sampling_ratio=2, spatial_scale=0.5, coordinate_transformation_mode="output_half_pixel")],
           x, ["y"], "RoiAlign max, output_half_pixel",
           [numpy_helper.from_array(np.array([[0, 0, 8, 8], [2, 1, 11, 9], [4, 4, 6, 10]], dtype=np.float32), "rois"),
            ints("batch", [0, 1, 1])])


# com.microsoft Attention as ONNX Runtime's transformer optimizer fuses BERT's self-attention:
# a raw [B, T] mask; sequence lengths with a causal mask and a narrower V; an attention_bias.
sequence = {"x": rng.standard_normal((2, 6, 16)).astype(np.float32)}


def attention_weights(columns, seed):
    weights_rng = np.random.default_rng(seed)
    return [numpy_helper.from_array((weights_rng.standard_normal((16, columns)) * 0.3).astype(np.float32), "weights"),
            numpy_helper.from_array((weights_rng.standard_normal(columns) * 0.1).astype(np.float32), "bias")]


hand_built("attention_raw_mask_op13", 13,
           [helper.make_node("Attention", ["x", "weights", "bias", "mask"], ["y"], domain="com.microsoft", num_heads=4)],
           {**sequence, "mask": np.array([[1] * 6, [1] * 4 + [0] * 2], dtype=np.int32)}, ["y"],
           "com.microsoft Attention with a raw mask", attention_weights(48, 8), microsoft=True)
hand_built("attention_lengths_causal_op13", 13,
           [helper.make_node("Attention", ["x", "weights", "bias", "lengths"], ["y"], domain="com.microsoft", num_heads=2,
                             unidirectional=1, qkv_hidden_sizes=[16, 16, 8])],
           {**sequence, "lengths": np.array([6, 3], dtype=np.int32)}, ["y"],
           "com.microsoft Attention: sequence lengths, causal, narrower V", attention_weights(40, 9), microsoft=True)
hand_built("attention_bias_op13", 13,
           [helper.make_node("Attention", ["x", "weights", "bias", "", "", "attention_bias"], ["y"], domain="com.microsoft",
                             num_heads=4, scale=0.3)],
           {**sequence, "attention_bias": rng.standard_normal((1, 4, 6, 6)).astype(np.float32)}, ["y"],
           "com.microsoft Attention with an attention_bias and a scale", attention_weights(48, 10), microsoft=True)

# A BERT front end as ONNX Runtime's transformer optimizer fuses it: EmbedLayerNormalization
# (word, position and segment embeddings, the mask's token counts) feeding Attention.
tokens = {"input_ids": np.random.default_rng(11).integers(0, 30, (2, 6)).astype(np.int32),
          "segment_ids": np.array([[0] * 3 + [1] * 3, [0] * 6], dtype=np.int32),
          "mask": np.array([[1] * 6, [1] * 4 + [0] * 2], dtype=np.int32)}
embedding_rng = np.random.default_rng(12)
embeddings = [numpy_helper.from_array(embedding_rng.standard_normal(shape).astype(np.float32), name)
              for name, shape in (("word", (30, 16)), ("position", (8, 16)), ("segment", (2, 16)), ("gamma", (16,)), ("beta", (16,)))]
# com.microsoft MultiHeadAttention over projected Q, K and V: cross-attention (keys from a longer
# sequence, V narrower) with a key padding mask, and self-attention with a bias and attention_bias.
mha_rng = np.random.default_rng(12)
hand_built("mha_cross_padding_mask_op13", 13,
           [helper.make_node("MultiHeadAttention", ["query", "key", "value", "", "mask"], ["y"], domain="com.microsoft",
                             num_heads=4)],
           {"query": mha_rng.standard_normal((2, 3, 16)).astype(np.float32),
            "key": mha_rng.standard_normal((2, 5, 16)).astype(np.float32),
            "value": mha_rng.standard_normal((2, 5, 8)).astype(np.float32),
            "mask": np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=np.int32)},
           ["y"], "MultiHeadAttention: cross-attention, key padding mask", microsoft=True)
hand_built("mha_bias_attention_bias_op13", 13,
           [helper.make_node("MultiHeadAttention", ["x", "x", "x", "bias", "", "attention_bias"], ["y"], domain="com.microsoft",
                             num_heads=2, scale=0.3)],
           {"x": mha_rng.standard_normal((2, 4, 8)).astype(np.float32)}, ["y"],
           "MultiHeadAttention: self-attention, bias, attention_bias, scale",
           [numpy_helper.from_array((mha_rng.standard_normal(24) * 0.2).astype(np.float32), "bias"),
            numpy_helper.from_array(mha_rng.standard_normal((1, 2, 4, 4)).astype(np.float32), "attention_bias")], microsoft=True)
# A decoder step with a key/value cache: self-attention after 3 cached positions, causal, with a
# bias and a key padding mask over all 5 keys, returning the grown cache; and cross-attention over
# keys and values already split by head (an encoder's cache).
hand_built("mha_past_present_causal_op13", 13,
           [helper.make_node("MultiHeadAttention", ["x", "x", "x", "bias", "mask", "", "past_key", "past_value"],
                             ["y", "present_key", "present_value"], domain="com.microsoft", num_heads=2, unidirectional=1)],
           {"x": mha_rng.standard_normal((2, 2, 8)).astype(np.float32),
            "past_key": mha_rng.standard_normal((2, 2, 3, 4)).astype(np.float32),
            "past_value": mha_rng.standard_normal((2, 2, 3, 4)).astype(np.float32),
            "mask": np.array([[0, 1, 1, 1, 1], [1, 1, 1, 1, 1]], dtype=np.int32)},
           ["y", "present_key", "present_value"], "MultiHeadAttention: key/value cache (past, present), causal, bias, padding",
           [numpy_helper.from_array((mha_rng.standard_normal(24) * 0.2).astype(np.float32), "bias")], microsoft=True)
hand_built("mha_per_head_key_value_op13", 13,
           [helper.make_node("MultiHeadAttention", ["query", "key", "value"], ["y"], domain="com.microsoft", num_heads=2)],
           {"query": mha_rng.standard_normal((2, 3, 8)).astype(np.float32),
            "key": mha_rng.standard_normal((2, 2, 6, 4)).astype(np.float32),
            "value": mha_rng.standard_normal((2, 2, 6, 4)).astype(np.float32)},
           ["y"], "MultiHeadAttention: key and value per head [B, N, L, H] (a cross-attention cache)", microsoft=True)
# com.microsoft RotaryEmbedding: half-split pairs with per-token positions on [B, S, N x H], and
# interleaved pairs over part of each head from one start position on [B, N, S, H].
angles = np.arange(10)[:, None] * (1e-1 ** (np.arange(4)[None, :] / 4))
hand_built("rotary_embedding_positions_op13", 13,
           [helper.make_node("RotaryEmbedding", ["x", "positions", "cos", "sin"], ["y"], domain="com.microsoft", num_heads=2)],
           {"x": mha_rng.standard_normal((2, 3, 16)).astype(np.float32),
            "positions": np.array([[0, 1, 2], [4, 7, 9]], dtype=np.int64)}, ["y"],
           "RotaryEmbedding: per-token positions, [B, S, hidden]",
           [floats("cos", np.cos(angles)), floats("sin", np.sin(angles))], microsoft=True)
hand_built("rotary_embedding_interleaved_partial_op13", 13,
           [helper.make_node("RotaryEmbedding", ["x", "start", "cos", "sin"], ["y"], domain="com.microsoft", interleaved=1,
                             rotary_embedding_dim=4, num_heads=2)],
           {"x": mha_rng.standard_normal((1, 2, 3, 8)).astype(np.float32)}, ["y"],
           "RotaryEmbedding: interleaved, over half of each head, one start position, [B, N, S, H]",
           [ints("start", [2]), floats("cos", np.cos(angles[:6, :2])), floats("sin", np.sin(angles[:6, :2]))], microsoft=True)
hand_built("bert_embedding_attention_op13", 13,
           [helper.make_node("EmbedLayerNormalization", ["input_ids", "segment_ids", "word", "position", "segment", "gamma", "beta",
                                                         "mask"], ["embedded", "mask_index"], domain="com.microsoft", epsilon=1e-5),
            helper.make_node("Attention", ["embedded", "weights", "bias", "mask_index"], ["y"], domain="com.microsoft", num_heads=4)],
           tokens, ["y"], "com.microsoft EmbedLayerNormalization feeding Attention (a fused BERT front end)",
           embeddings + attention_weights(48, 13), microsoft=True)


def lstm_branch(name, seed):
    """A graph running an LSTM of hidden size 8 over x from state (h, c): outputs y, h, c."""
    rng = np.random.default_rng(seed)
    weights = [numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32), f"{name}_{w}")
               for w, shape in (("W", (1, 32, 8)), ("R", (1, 32, 8)), ("B", (1, 64)))]
    lstm = helper.make_node("LSTM", ["x", weights[0].name, weights[1].name, weights[2].name, "", "h", "c"],
                            [f"{name}_y", f"{name}_h", f"{name}_c"], hidden_size=8)
    return helper.make_graph([lstm], name, [], [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in lstm.output],
                             initializer=weights)


# A voice-activity-shaped model (as Silero VAD is built): the sample rate picks one of two LSTMs
# in If branches, fed with the state inputs.
rng = np.random.default_rng(5)
vad_inputs = {"x": rng.standard_normal((10, 1, 8)).astype(np.float32), "h": rng.standard_normal((1, 1, 8)).astype(np.float32),
              "c": rng.standard_normal((1, 1, 8)).astype(np.float32), "sr": np.array(16000, dtype=np.int64)}
vad = helper.make_graph(
    [helper.make_node("Equal", ["sr", "rate_16k"], ["is_16k"]),
     helper.make_node("If", ["is_16k"], ["y", "h_out", "c_out"], then_branch=lstm_branch("at_16k", 6),
                      else_branch=lstm_branch("at_8k", 7))],
    "vad", [helper.make_tensor_value_info(n, TensorProto.INT64 if n == "sr" else TensorProto.FLOAT, v.shape)
            for n, v in vad_inputs.items()],
    [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in ("y", "h_out", "c_out")],
    initializer=[numpy_helper.from_array(np.array(16000, dtype=np.int64), "rate_16k")])
vad_model = helper.make_model(vad, opset_imports=[helper.make_opsetid("", 16)])
vad_model.ir_version = 8
onnx.save(vad_model, os.path.join(out, "vad_if_lstm_op16.onnx"))
manifest["vad_if_lstm_op16"] = {"model": "vad_if_lstm_op16.onnx", "inputs": save_inputs("vad_if_lstm_op16", vad_inputs),
                                "covers": "If choosing between LSTMs, state inputs"}

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
print(f"zoo: {len(manifest)} models in {out}")
