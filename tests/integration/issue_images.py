#!/usr/bin/env python3
"""Fixture folders for the issue-tab tests (python3-pil).

issue_images.py issues DIR: flat greys from black to white, noise, letterboxed pictures and,
  with --corrupt, two kinds of broken files under DIR/broken (three text files named .jpg,
  two truncated PNGs).
issue_images.py splits DIR: DIR/train, DIR/val, DIR/test; val holds a byte copy of a train image
  and a re-encoded one, test shares nothing with train.
"""
import os
import random
import shutil
import sys

from PIL import Image, ImageDraw


def issues(d, corrupt):
    os.makedirs(d, exist_ok=True)
    for v in (0, 12, 25, 39, 40, 41, 60, 90, 128, 200, 219, 220, 221, 240, 255):
        Image.new("L", (64, 48), v).save(f"{d}/grey_{v:03d}.png")
    rnd = random.Random(7)
    for i, amp in enumerate((8, 30, 60, 120, 255)):
        im = Image.new("L", (96, 64))
        im.putdata([min(255, 100 + rnd.randrange(amp)) for _ in range(96 * 64)])
        im.save(f"{d}/noise_{i}.png")
    for i, bar in enumerate((4, 8, 12)):
        im = Image.new("RGB", (120, 90), (200, 180, 160))
        dr = ImageDraw.Draw(im)
        dr.rectangle([0, 0, 119, bar], fill=(0, 0, 0))
        dr.rectangle([0, 89 - bar, 119, 89], fill=(0, 0, 0))
        im.save(f"{d}/letterbox_{i}.jpg", quality=95)
    if not corrupt:
        return
    os.makedirs(f"{d}/broken")
    for i in range(3):
        with open(f"{d}/broken/not_a_jpeg_{i}.jpg", "wb") as f:
            f.write(b"hello, this is text " * 4)
    with open(f"{d}/grey_128.png", "rb") as f:
        good = f.read()
    for i in range(2):
        with open(f"{d}/broken/truncated_{i}.png", "wb") as f:
            f.write(good[: len(good) // 2 + i])


def blocks(seed):
    """A 320x240 picture of coloured rectangles: its perceptual hash is its own per seed."""
    rnd = random.Random(1000 + seed)
    im = Image.new("RGB", (320, 240), tuple(rnd.randrange(256) for _ in range(3)))
    dr = ImageDraw.Draw(im)
    for _ in range(5):
        x0, y0 = rnd.randrange(260), rnd.randrange(180)
        dr.rectangle([x0, y0, x0 + 40 + rnd.randrange(120), y0 + 30 + rnd.randrange(90)],
                     fill=tuple(rnd.randrange(256) for _ in range(3)))
    return im


def splits(d):
    for s in ("train", "val", "test"):
        os.makedirs(f"{d}/{s}")
    for seed in (1, 2, 3, 4):
        blocks(seed).save(f"{d}/train/t{seed}.jpg", quality=95)
    shutil.copy(f"{d}/train/t1.jpg", f"{d}/val/copy_of_t1.jpg")
    Image.open(f"{d}/train/t2.jpg").save(f"{d}/val/reencoded_t2.jpg", quality=80)
    blocks(5).save(f"{d}/val/v5.jpg", quality=95)
    for seed in (7, 8):
        blocks(seed).save(f"{d}/test/s{seed}.jpg", quality=95)


if __name__ == "__main__":
    if sys.argv[1] == "issues":
        issues(sys.argv[2], "--corrupt" in sys.argv)
    else:
        splits(sys.argv[2])
