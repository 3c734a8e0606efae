# Writes the .npz archives tests/npz_test.cpp and tests/cli_test.cpp read, exactly as NumPy writes them (numpy.savez
# stores entries with zip64 extra fields; savez_compressed deflates them). Committed; run with
# /usr/bin/python3 only to change them.
import numpy as np

x = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
labels = np.array([1, 0], dtype=np.int64)
np.savez("savez.npz", x=x, labels=labels)
np.savez_compressed("savez_compressed.npz", x=x, labels=labels)

# Two inputs by name, and their labels: a data set for tests/cli_test.cpp's two-input model.
rng = np.random.default_rng(3)
a = rng.standard_normal((20, 4)).astype(np.float32)
b = rng.standard_normal((20, 4)).astype(np.float32)
np.savez("two_inputs.npz", a=a, b=b, labels=np.arange(20, dtype=np.int64) % 3)
