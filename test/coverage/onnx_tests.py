"""Discovery of the ONNX backend test models (libonnx-testdata)."""
import os

SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple"]
DEFAULT_DATA = "/usr/share/libonnx-testdata/data"


def discover(data, suites=SUITES):
    """[(suite, test name, test dir)] for every test with a model.onnx."""
    tests = []
    for suite in suites:
        d = os.path.join(data, suite)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if os.path.exists(os.path.join(d, name, "model.onnx")):
                tests.append((suite, name, os.path.join(d, name)))
    return tests
