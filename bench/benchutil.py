"""Helpers the benchmark scripts share."""
import os
import re
import subprocess
import sys

MEDIAN = re.compile(r"median ([0-9.]+) ms")


def median_ms(cmd, env=None):
    """The median a `qopt-run --benchmark` or `ort-run.js --benchmark` run prints."""
    p = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, **(env or {})))
    if p.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    m = MEDIAN.search(p.stdout)
    if not m:
        sys.exit(f"no timing from {' '.join(cmd)}:\n{p.stdout}")
    return float(m.group(1))
