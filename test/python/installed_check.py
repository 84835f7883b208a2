"""Run by install.test with an installed qopt package (not the checkout's):
prints where the package and its tools come from, then compiles and runs the
example model through them."""
import os
import sys
import tempfile

import numpy as np
import qopt

checkout = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
package = os.path.realpath(qopt.__file__)
print("package", package)
print("in checkout" if package.startswith(os.path.join(checkout, "python") + os.sep)
      else "outside checkout")
print("recorded", qopt._installed_bindir())
print("qoptc", qopt.find_tool("qoptc"))
print("qopt-run", qopt.find_tool("qopt-run"))
with tempfile.TemporaryDirectory() as tmp:
    so = qopt.compile(sys.argv[1], os.path.join(tmp, "tiny.so"))
    x = np.random.RandomState(0).rand(2, 3, 32, 32).astype(np.float32)
    with qopt.Model(so, num_threads=1) as m:
        probs = m.run({"input": x})["probs"]
    print("probs", probs.shape, "sums", np.round(probs.sum(1), 4).tolist())
