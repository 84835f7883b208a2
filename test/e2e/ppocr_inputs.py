"""Renders text images with Pillow + DejaVu and preprocesses them as PP-OCR does.

Shared by the PP-OCR comparison test (test/e2e/ppocr_compare.py) and the
benchmark (bench/ppocr_bench.py).
"""
import glob
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LINES = ["qopt compiles ONNX 2026", "Hello, World! 12345", "quantized int8 kernels",
         "The quick brown fox jumps", "PP-OCRv4 recognizer test", "0.25 mm @ 48 px"]


def font(size, bold=False):
    names = ["DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", "DejaVuSans*.ttf"]
    for pattern in names:
        found = sorted(glob.glob(os.path.join("/usr/share/fonts/truetype/dejavu", pattern)))
        if found:
            return ImageFont.truetype(found[0], size)
    raise FileNotFoundError("DejaVu fonts not found (apt install fonts-dejavu-core)")


def text_line(text, height=48, width=320, size=30, bold=False):
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.text((4, (height - size) // 2 - 2), text, fill=(0, 0, 0), font=font(size, bold))
    return img


def page(width, height):
    img = Image.new("RGB", (width, height), (250, 250, 245))
    d = ImageDraw.Draw(img)
    y = 16
    for i, line in enumerate(LINES * 4):
        size = 18 + (i % 3) * 6
        d.text((16 + (i % 2) * 24, y), line, fill=(10, 10, 10), font=font(size, i % 2 == 1))
        y += size + 14
        if y > height - 40:
            break
    return img


def det_input(img):
    """[1,3,H,W] float32, ImageNet mean/std (PP-OCR det preprocessing)."""
    x = np.asarray(img, np.float32) / 255.0
    x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225],
                                                                       np.float32)
    return x.transpose(2, 0, 1)[None].astype(np.float32)


def rec_input(imgs):
    """[N,3,48,W] float32 normalized to [-1, 1] (PP-OCR rec/cls preprocessing)."""
    xs = [(np.asarray(im, np.float32) / 255.0 - 0.5) / 0.5 for im in imgs]
    return np.stack([x.transpose(2, 0, 1) for x in xs]).astype(np.float32)


def ctc_decode(probs):
    """Greedy CTC: argmax, collapse repeats, drop blank (0); one list per item."""
    out = []
    for row in probs.argmax(-1):
        seq, prev = [], -1
        for c in row:
            if c != prev and c != 0:
                seq.append(int(c))
            prev = c
        out.append(seq)
    return out
