"""Counts, in MLIR printed by qoptc --mlir-print-ir-after, the rank-6 buffers
(gpu.alloc of memref<AxBxCxDxExFxT>: qopt-conv-to-im2col-gemm's im2col
copies), the fills (linalg.fill, or linalg.map with no inputs: a padded
buffer's border value) and the gpu.launch ops:
    count_ir.py FILE  ->  "rank-6 buffers N, fills F, launches M"
Used by test/e2e/gpu-implicit-gemm-emulated.test."""
import re
import sys

text = open(sys.argv[1]).read()
rank6 = re.findall(r"gpu\.alloc[^\n]*: memref<(?:[0-9?]+x){6}[a-z0-9]+>", text)
fills = text.count("linalg.fill") + text.count("linalg.map outs(")
print(f"rank-6 buffers {len(rank6)}, fills {fills}, launches {text.count('gpu.launch')}")
