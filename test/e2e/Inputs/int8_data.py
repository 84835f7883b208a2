"""Writes calibration/evaluation data for test/e2e/int8.test (tiny_cnn)."""
import os
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(3)
os.makedirs(os.path.join(out, "calib"), exist_ok=True)
for i in range(6):
    np.savez(os.path.join(out, "calib", f"s{i}.npz"),
             input=rng.random((2, 3, 32, 32), np.float32))
stacked = rng.random((5, 1, 3, 32, 32), np.float32)
np.savez(os.path.join(out, "stacked.npz"), input=stacked)
# The same samples compressed, and as a directory of files.
np.savez_compressed(os.path.join(out, "stacked_z.npz"), input=stacked)
os.makedirs(os.path.join(out, "stacked_dir"), exist_ok=True)
for i, sample in enumerate(stacked):
    np.save(os.path.join(out, "stacked_dir", f"s{i}.npy"), sample)
np.save(os.path.join(out, "eval.npy"), rng.random((16, 3, 32, 32), np.float32))
bad = {
    "name": {"pixels": rng.random((1, 3, 32, 32), np.float32)},
    "dtype": {"input": rng.random((1, 3, 32, 32))},
    "shape": {"input": rng.random((1, 3, 16, 32), np.float32)},
    "rank": {"input": rng.random((3, 32, 32), np.float32)},
    "nan": {"input": np.full((1, 3, 32, 32), np.nan, np.float32)},
}
for kind, arrays in bad.items():
    d = os.path.join(out, "bad_" + kind)
    os.makedirs(d, exist_ok=True)
    np.savez(os.path.join(d, "a_good.npz"), input=rng.random((1, 3, 32, 32), np.float32))
    np.savez(os.path.join(d, "b_bad.npz"), **arrays)
os.makedirs(os.path.join(out, "empty"), exist_ok=True)
