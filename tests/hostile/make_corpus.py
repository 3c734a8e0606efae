# Writes the hostile-model regression corpus (tests/hostile/*.onnx) with Debian's python3-onnx,
# without its checker: each file breaks one rule that once crashed qplay or was silently
# accepted. expected.json holds the exact error each must give. The files are committed; run
# this (with /usr/bin/python3) only to add a case. Files named fuzz_* are inputs the libFuzzer
# harnesses (tests/fuzz) found, kept as found.
import onnx
from onnx import TensorProto, helper

FLOAT = TensorProto.FLOAT


def model(name, nodes, inputs, outputs, opset=17, initializers=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="qplay-hostile")
    m.ir_version = 8
    onnx.save(m, f"{name}.onnx")


def image(name="x", shape=(1, 2, 4, 4)):
    return helper.make_tensor_value_info(name, FLOAT, list(shape))


def out(name="y"):
    return helper.make_tensor_value_info(name, FLOAT, None)


weight = helper.make_tensor("w", FLOAT, [2, 2, 1, 1], [1.0] * 4)

model("conv_strides_zero", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", strides=[0, 1])],
      [image()], [out()], initializers=[weight])
model("conv_dilations_zero", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", dilations=[1, 0])],
      [image()], [out()], initializers=[weight])
model("maxpool_kernel_zero", [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[0, 2])],
      [image()], [out()])
model("depth_to_space_blocksize_zero", [helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s", blocksize=0)],
      [image()], [out()])
model("transpose_perm_repeats", [helper.make_node("Transpose", ["x"], ["y"], name="t", perm=[0, 0, 0, 0])],
      [image()], [out()])
model("softmax_axis_out_of_range", [helper.make_node("Softmax", ["x"], ["y"], name="softmax", axis=7)],
      [image()], [out()])
model("gather_axis_out_of_range",
      [helper.make_node("Gather", ["x", "i"], ["y"], name="gather", axis=-5)],
      [image(), helper.make_tensor_value_info("i", TensorProto.INT64, [2])], [out()])
model("unsqueeze_repeated_axes", [helper.make_node("Unsqueeze", ["x"], ["y"], name="unsqueeze", axes=[0, 0])],
      [image()], [out()], opset=11)
model("lstm_direction_sideways",
      [helper.make_node("LSTM", ["x", "W", "R"], ["y"], name="lstm", hidden_size=2, direction="sideways")],
      [image("x", (3, 1, 2)), image("W", (1, 8, 2)), image("R", (1, 8, 2))], [out()])
model("reshape_without_shape", [helper.make_node("Reshape", ["x"], ["y"], name="reshape")], [image()], [out()])
model("averagepool_without_input",
      [helper.make_node("AveragePool", [""], ["y"], name="pool", kernel_shape=[2, 2])], [image()], [out()])
model("reducemax_without_input", [helper.make_node("ReduceMax", [], ["y"], name="reduce")], [image()], [out()])
model("if_without_condition",
      [helper.make_node("If", [], ["y"], name="if",
                        then_branch=helper.make_graph([helper.make_node("Identity", ["x"], ["t"])], "then", [], [out("t")]),
                        else_branch=helper.make_graph([helper.make_node("Identity", ["x"], ["e"])], "else", [], [out("e")]))],
      [image()], [out()])
model("relu_unknown_attribute", [helper.make_node("Relu", ["x"], ["y"], name="relu", alpha=0.5)], [image()], [out()])
model("add_mixed_types", [helper.make_node("Add", ["x", "n"], ["y"], name="add")],
      [image(), helper.make_tensor_value_info("n", TensorProto.INT64, [1])], [out()])


def npy(name, header, version=1, body=b"", header_len=None):
    text = header.encode("latin1")
    length = len(text) if header_len is None else header_len
    prefix = b"\x93NUMPY" + bytes([version, 0])
    prefix += length.to_bytes(2 if version == 1 else 4, "little")
    with open(f"{name}.npy", "wb") as f:
        f.write(prefix + text + body)


npy("npy_shape_with_many_digits", "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "9" * 400 + ",), }\n")
npy("npy_huge_header", "{'descr': '<f4', 'fortran_order': False, 'shape': (" + " " * 60000 + "1,), }\n", version=2)
npy("npy_header_length_near_4gib", "{'descr': '<f4', }", version=2, header_len=0xFFFFFFF0)
npy("npy_negative_dimension", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }\n")
npy("npy_dimensions_overflow_int64", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }\n")
npy("npy_shape_not_closed", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4")


# Integer division of the lowest int64 by -1 traps in hardware; folded at load, it once did.
for op in ("Div", "Mod"):
    lowest = helper.make_tensor("a", TensorProto.INT64, [1], [-(2 ** 63)])
    minus_one = helper.make_tensor("b", TensorProto.INT64, [1], [-1])
    model(f"{op.lower()}_int64_lowest_by_minus_one", [helper.make_node(op, ["a", "b"], ["y"], name=op.lower())], [],
          [helper.make_tensor_value_info("y", TensorProto.INT64, [1])], initializers=[lowest, minus_one])


# Constant-input ops whose output size comes from values in the file: refused by name when run
# (expected_run.json), and never folded while loading.
def constant(name, values, dtype=TensorProto.INT64):
    return helper.make_tensor(name, dtype, [len(values)], values)


def runs(name, node, initializers):
    model(name, [node], [], [helper.make_tensor_value_info("y", FLOAT, None)], initializers=initializers)


runs("constant_of_shape_huge", helper.make_node("ConstantOfShape", ["s"], ["y"], name="fill"), [constant("s", [1 << 20] * 3)])
runs("expand_huge", helper.make_node("Expand", ["x", "s"], ["y"], name="expand"),
     [constant("x", [1.0], FLOAT), constant("s", [1 << 20, 1 << 20])])
runs("tile_huge", helper.make_node("Tile", ["x", "r"], ["y"], name="tile"),
     [constant("x", [1.0], FLOAT), constant("r", [1 << 62])])
runs("pad_negative", helper.make_node("Pad", ["x", "p"], ["y"], name="pad"),
     [constant("x", [1.0, 2.0], FLOAT), constant("p", [-2, -1])])
runs("range_huge", helper.make_node("Range", ["a", "b", "d"], ["y"], name="range"),
     [helper.make_tensor("a", FLOAT, [], [0.0]), helper.make_tensor("b", FLOAT, [], [1e30]),
      helper.make_tensor("d", FLOAT, [], [1.0])])


# LayerNormalization (below opset 17 too, as ONNX Runtime's own op) once read a scale shorter than
# the normalized axis cyclically, giving wrong values without an error.
model("layernorm_scale_not_broadcastable", [helper.make_node("LayerNormalization", ["x", "s"], ["y"], name="ln")],
      [helper.make_tensor_value_info("x", FLOAT, [2, 6])], [out()], opset=14,
      initializers=[helper.make_tensor("s", FLOAT, [4], [1.0] * 4)])


# A Loop of 2^62 iterations once ran until killed.
counter = helper.make_graph([helper.make_node("Identity", ["cond_in"], ["cond_out"]),
                             helper.make_node("Add", ["v_in", "one"], ["v_out"])], "body",
                            [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                             helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
                             helper.make_tensor_value_info("v_in", FLOAT, [1])],
                            [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
                             helper.make_tensor_value_info("v_out", FLOAT, [1])],
                            initializer=[helper.make_tensor("one", FLOAT, [1], [1.0])])
runs("loop_of_2_pow_62_iterations", helper.make_node("Loop", ["m", "", "v"], ["y"], name="loop", body=counter),
     [helper.make_tensor("m", TensorProto.INT64, [], [1 << 62]), helper.make_tensor("v", FLOAT, [1], [0.0])])


# Sample archives (.npz) damaged one field at a time, from a NumPy archive of one array.
def npz(name, compression, patch):
    import io
    import zipfile
    import numpy as np
    array = io.BytesIO()
    np.save(array, np.arange(64, dtype=np.float32))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression) as z:
        z.writestr(zipfile.ZipInfo("x.npy", date_time=(1980, 1, 1, 0, 0, 0)), array.getvalue(), compression)
    data = bytearray(archive.getvalue())
    patch(data, data.find(b"PK\x01\x02"), data.find(b"PK\x05\x06"))
    with open(f"{name}.npz", "wb") as f:
        f.write(data)


def put(data, at, value, width=4):
    data[at:at + width] = value.to_bytes(width, "little")


stored, deflated = __import__("zipfile").ZIP_STORED, __import__("zipfile").ZIP_DEFLATED
with open("npz_not_a_zip.npz", "wb") as f:
    f.write(b"PK\x03\x04" + bytes(40))
npz("npz_announces_more_than_deflate_gives", deflated, lambda d, entry, end: put(d, entry + 24, 1 << 30))
npz("npz_unpacks_past_announced", deflated, lambda d, entry, end: put(d, entry + 24, 10))
npz("npz_deflate_ends_early", deflated, lambda d, entry, end: put(d, entry + 20, 5))
npz("npz_entry_past_end", stored, lambda d, entry, end: (put(d, entry + 20, 0x7FFFFFFF), put(d, entry + 24, 0x7FFFFFFF)))
npz("npz_method_bzip2", stored, lambda d, entry, end: put(d, entry + 10, 12, 2))
npz("npz_encrypted", stored, lambda d, entry, end: put(d, entry + 8, 1, 2))
npz("npz_bad_crc", stored, lambda d, entry, end: put(d, entry + 16, 0x12345678))
npz("npz_zip64_locator_missing", stored, lambda d, entry, end: put(d, end + 10, 0xFFFF, 2))


# Sample tables (.csv) with one mistake each.
for name, text in {"csv_ragged_rows": "a,b\n1,2\n3\n", "csv_nan_cell": "1,2\n3,nan\n",
                   "csv_fractional_label": "x,label\n1,0.5\n", "csv_header_only": "x,label\n",
                   "csv_header_wider_than_rows": "a,b,label\n1,2\n"}.items():
    with open(f"{name}.csv", "w") as f:
        f.write(text)
