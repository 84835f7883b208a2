"""One instance of make_runtime_check_models.py's gather model through the
Python package: a run with an out-of-range index, then one with good indices.

    runtime_check_python.py DIR

Prints "bad: <the error>" and "good: match" when the second run equals
qopt-run's outputs in DIR/gather-qopt (written by run_runtime_checks.py): the
error of a failed run does not stick to the instance.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "python"))
import qopt  # noqa: E402


def main():
    d = sys.argv[1]
    load = lambda name: np.load(os.path.join(d, "gather." + name + ".npy"))  # noqa: E731
    model = qopt.Model(os.path.join(d, "gather.so"))
    try:
        model.run({"ids": load("ids_high.ids"), "data": load("data"), "eidx": load("eidx")})
        print("bad: no error")
    except qopt.QOptError as e:
        print("bad:", str(e))
    out = model.run({"ids": load("ids"), "data": load("data"), "eidx": load("eidx")})
    same = all(np.array_equal(out[k], np.load(os.path.join(d, "gather-qopt", k + ".npy")))
               for k in ("emb", "z"))
    print("good:", "match" if same else "MISMATCH")


if __name__ == "__main__":
    main()
