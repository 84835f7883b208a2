"""Writes PP-OCR inputs of rendered text for gpu-ppocr.test: det.npy (a
320x480 page), rec.npy (two 48x320 lines), cls.npy (two 48x192 lines)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ppocr_inputs import det_input, page, rec_input, text_line  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
np.save(os.path.join(out, "det.npy"), det_input(page(480, 320)))
np.save(os.path.join(out, "rec.npy"),
        rec_input([text_line("qopt 2026 GPU"), text_line("tensor cores", bold=True)]))
np.save(os.path.join(out, "cls.npy"),
        rec_input([text_line("hello", width=192), text_line("world", width=192)]))
