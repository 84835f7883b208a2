"""qopt.hadamard against an independent NumPy construction.

  hadamard_check.py DIR N...

For each N: writes a function applying qopt.hadamard to a [?, N] input,
compiles it with qoptc, runs it with qopt-run on N(0, 1) rows and compares
the output with X . H / sqrt(N).

H = H_m (x) H_p with H_p Sylvester's and H_m built here from the Paley
constructions (I for 12 and 20, II for 28), then checked to be Hadamard
(H H^T = N I). The bound 1e-6 on max|diff| / max|y| is about 6x the worst
measured, 1.7e-7 (n = 56; f32 butterflies on N(0, 1) inputs); a wrong sign
in one matrix entry or a missing 1/sqrt(N) gives errors above 1e-1.
"""
import os
import subprocess
import sys

import numpy as np


def chi(a, q):
    a %= q
    if a == 0:
        return 0
    return 1 if any(x * x % q == a for x in range(1, q)) else -1


def paley1(q):
    n = q + 1
    h = np.zeros((n, n), np.int64)
    for i in range(n):
        for j in range(n):
            if i == 0:
                s = 0 if j == 0 else 1
            elif j == 0:
                s = -1
            else:
                s = chi(j - i, q)
            h[i, j] = s + (1 if i == j else 0)
    return h


def paley2(q):
    c = q + 1
    conf = np.array([[0 if i == j == 0 else (1 if i == 0 or j == 0 else chi(j - i, q))
                      for j in range(c)] for i in range(c)])
    zero = np.array([[1, -1], [-1, -1]])
    one = np.array([[1, 1], [1, -1]])
    return np.block([[zero if v == 0 else v * one for v in row] for row in conf])


def hadamard(n):
    for m, build in ((28, lambda: paley2(13)), (20, lambda: paley1(19)),
                     (12, lambda: paley1(11)), (1, lambda: np.ones((1, 1), np.int64))):
        p = n // m
        if n % m == 0 and p & (p - 1) == 0:
            hp = np.ones((1, 1), np.int64)
            while hp.shape[0] < p:
                hp = np.block([[hp, hp], [hp, -hp]])
            h = np.kron(build(), hp)
            assert (h @ h.T == n * np.eye(n)).all(), n
            return h
    raise SystemExit(f"no Hadamard matrix of order {n}")


def main():
    d, sizes = sys.argv[1], [int(a) for a in sys.argv[2:]]
    rng = np.random.default_rng(5)
    worst = 0.0
    for n in sizes:
        model, inp, out = (os.path.join(d, f) for f in (f"model_{n}.mlir", f"input_{n}.npy",
                                                         f"out_{n}"))
        with open(model, "w") as f:
            f.write(f"func.func @main(%x: tensor<?x{n}xf32> {{qopt.name = \"x\"}}) -> "
                    f"(tensor<?x{n}xf32> {{qopt.name = \"y\"}}) {{\n"
                    f"  %0 = qopt.hadamard %x : (tensor<?x{n}xf32>) -> tensor<?x{n}xf32>\n"
                    f"  return %0 : tensor<?x{n}xf32>\n}}\n")
        x = rng.normal(size=(5, n)).astype(np.float32)
        np.save(inp, x)
        lib = os.path.join(d, f"h_{n}.so")
        subprocess.run(["qoptc", "--quiet", model, "-o", lib], check=True)
        subprocess.run(["qopt-run", lib, "--input", f"x={inp}", "--output-dir", out], check=True,
                       stdout=subprocess.DEVNULL)
        y = np.load(os.path.join(out, "y.npy")).astype(np.float64)
        ref = x.astype(np.float64) @ hadamard(n) / np.sqrt(n)
        err = np.abs(y - ref).max() / np.abs(ref).max()
        worst = max(worst, err)
        print(f"n={n} rel err {err:.2e}")
    print("ok" if worst <= 1e-6 else "FAIL", f"worst {worst:.2e}")
    sys.exit(0 if worst <= 1e-6 else 1)


if __name__ == "__main__":
    main()
