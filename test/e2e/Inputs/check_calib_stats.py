"""Checks one tensor of a qoptc --save-calib-stats file against numpy.

    check_calib_stats.py STATS.json ID CALIB_DIR INPUT

The tensor ID must have observed exactly the elements of calibration input
INPUT (every .npz of CALIB_DIR), as a loop body sees an input slice by slice:
its element count, min, max and the ranges of each channel along the last
axis must equal numpy's (float32, exactly). Prints "stats match" or what
differs.
"""
import glob
import json
import os
import sys

import numpy as np


def main():
    stats_path, tensor_id, calib_dir, name = sys.argv[1:5]
    with open(stats_path) as f:
        tensors = {t["id"]: t for t in json.load(f)["tensors"]}
    if tensor_id not in tensors:
        print(f"MISMATCH: no tensor {tensor_id!r} (have {sorted(tensors)})")
        return 1
    t = tensors[tensor_id]
    data = np.stack([np.load(p)[name] for p in sorted(glob.glob(os.path.join(calib_dir, "*.npz")))])
    flat = data.reshape(-1, data.shape[-1])
    want = {"count": data.size, "min": float(data.min()), "max": float(data.max()),
            "channel_min": [float(v) for v in flat.min(axis=0)],
            "channel_max": [float(v) for v in flat.max(axis=0)]}
    bad = [k for k, v in want.items() if t.get(k) != v]
    for k in bad:
        print(f"{k}: {t.get(k)} != numpy's {want[k]}")
    print("MISMATCH" if bad else "stats match")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
