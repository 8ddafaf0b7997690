#!/usr/bin/python3
"""Reference values for imgedad's per-image analysis, computed the way Python imgeda does.

imgeda (the Python tool this project rebuilds) analyses each image with Pillow, numpy and the
`imagehash` package. This script recomputes the same quantities with Pillow + numpy + scipy so that a
manifest written by our C code can be checked against them (see compare.py and SPEC.md §3):

  working image  img.convert("RGB"); if max(w, h) > max_dim: resize to (int(w*r), int(h*r)),
                 r = max_dim / max(w, h), with Pillow's LANCZOS filter.
  pixel_stats    per-channel mean / population std, mean of (R+G+B)/3, min and max over channels.
  corner_stats   p = 0.1 patches: corner_mean, center_mean, border_mean, delta.
  blur_score     variance of the 4-neighbour Laplacian (wrap-around) of (R+G+B)/3, rounded to 2.
  phash, dhash   imagehash with hash_size=16 (reimplemented here: imagehash is not packaged for
                 Debian 12): L = convert("L"); phash: L 64x64 LANCZOS, scipy.fftpack DCT-II along
                 axis 0 then axis 1, top-left 16x16, bit = coef > median; dhash: L 17x16 LANCZOS,
                 bit = px[:, 1:] > px[:, :-1]; bits row-major -> big-endian hex (64 digits).
  EXIF           the same tags and conversions as imgeda (camera_make ... has_gps_data).

Usage:  oracle.py [-o OUT.jsonl] [--max-image-dim 2048] [-j JOBS] PATH_OR_DIR...
Directories are walked recursively (sorted, imgeda's default extensions); each output path is the
directory joined with the file's relative path, i.e. what `imgeda scan DIR` records.
Unreadable or undecodable files give {"path": ..., "is_corrupt": true}.

Run it with Debian's /usr/bin/python3 (python3-pil, python3-numpy, python3-scipy).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import warnings

import numpy as np
import scipy.fftpack
from PIL import Image

EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tiff", ".tif", ".webp", ".gif")
LANCZOS = Image.Resampling.LANCZOS if hasattr(Image, "Resampling") else Image.LANCZOS

# Thresholds and constants of imgeda's ScanConfig defaults.
DARK_THRESHOLD = 40.0
OVEREXPOSED_THRESHOLD = 220.0
ARTIFACT_THRESHOLD = 50.0
BLUR_THRESHOLD = 100.0
PATCH_FRACTION = 0.1
HASH_SIZE = 16
PHASH_HIGHFREQ = 4

# EXIF tag numbers (SPEC §2).
T_MAKE, T_MODEL, T_ORIENT = 0x010F, 0x0110, 0x0112
T_EXPOSURE, T_FNUMBER, T_ISO = 0x829A, 0x829D, 0x8827
T_DATETIME_ORIG, T_FOCAL, T_FOCAL35, T_LENS = 0x9003, 0x920A, 0xA405, 0xA434
T_GPS_IFD, T_EXIF_IFD = 0x8825, 0x8769


# ---------------------------------------------------------------------------------------------
# hashes (imagehash semantics)

def bits_to_hex(bits: np.ndarray) -> str:
    """Row-major booleans -> big-endian integer -> lowercase hex, len(bits)/4 digits."""
    flat = bits.reshape(-1)
    value = 0
    for b in flat:
        value = (value << 1) | int(bool(b))
    return format(value, "0{}x".format((flat.size + 3) // 4))


def phash_hex(img: Image.Image, hash_size: int = HASH_SIZE) -> str:
    side = hash_size * PHASH_HIGHFREQ
    grey = np.asarray(img.convert("L").resize((side, side), LANCZOS))
    coeffs = scipy.fftpack.dct(scipy.fftpack.dct(grey, axis=0), axis=1)
    low = coeffs[:hash_size, :hash_size]
    return bits_to_hex(low > np.median(low))


def dhash_hex(img: Image.Image, hash_size: int = HASH_SIZE) -> str:
    grey = np.asarray(img.convert("L").resize((hash_size + 1, hash_size), LANCZOS))
    return bits_to_hex(grey[:, 1:] > grey[:, :-1])


# ---------------------------------------------------------------------------------------------
# pixel statistics (imgeda detector semantics)

def pixel_stats(px: np.ndarray) -> dict:
    chans = [px[:, :, c] for c in range(3)]
    return {
        "mean_r": float(chans[0].mean()),
        "mean_g": float(chans[1].mean()),
        "mean_b": float(chans[2].mean()),
        "std_r": float(chans[0].std()),
        "std_g": float(chans[1].std()),
        "std_b": float(chans[2].std()),
        "mean_brightness": float(px.mean(axis=2).mean()),
        "min_val": int(px.min()),
        "max_val": int(px.max()),
    }


def corner_stats(px: np.ndarray, p: float = PATCH_FRACTION) -> dict:
    h, w = px.shape[:2]
    ph, pw = max(1, int(h * p)), max(1, int(w * p))
    patches = (px[:ph, :pw], px[:ph, w - pw:], px[h - ph:, :pw], px[h - ph:, w - pw:])
    corner = float(np.concatenate([a.reshape(-1) for a in patches]).mean())
    qh, qw = h // 4, w // 4
    center = float(px[qh:h - qh, qw:w - qw].mean())
    strips = (px[:ph, :], px[h - ph:, :], px[:, :pw], px[:, w - pw:])
    border = float(np.concatenate([a.reshape(-1) for a in strips]).mean())
    return {"corner_mean": corner, "center_mean": center, "border_mean": border,
            "delta": abs(corner - center)}


def blur_variance(px: np.ndarray) -> float:
    g = px.mean(axis=2).astype(np.float64)
    lap = (np.roll(g, 1, axis=0) + np.roll(g, -1, axis=0)
           + np.roll(g, 1, axis=1) + np.roll(g, -1, axis=1) - 4.0 * g)
    return float(lap.var())


# ---------------------------------------------------------------------------------------------
# EXIF (imgeda analyzer semantics)

def _ex_str(src, tag):
    v = src.get(tag)
    if v is None:
        return None
    try:
        s = str(v).strip().rstrip("\x00")
    except Exception:
        return None
    return s or None


def _ex_float(src, tag):
    v = src.get(tag)
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return f if f > 0 else None


def _ex_int(src, tag):
    v = src.get(tag)
    if v is None:
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def exif_fields(img: Image.Image) -> dict:
    out = {"camera_make": None, "camera_model": None, "lens_model": None,
           "focal_length_mm": None, "focal_length_35mm": None, "iso_speed": None,
           "f_number": None, "exposure_time_sec": None, "datetime_original": None,
           "orientation_tag": None, "has_gps_data": False, "distortion_risk": None}
    try:
        ex = img.getexif()
        if not ex:
            return out
        out["camera_make"] = _ex_str(ex, T_MAKE)
        out["camera_model"] = _ex_str(ex, T_MODEL)
        out["orientation_tag"] = _ex_int(ex, T_ORIENT)
        sub = ex.get_ifd(T_EXIF_IFD)
        for src in ([ex, sub] if sub else [ex]):
            if out["focal_length_mm"] is None:
                out["focal_length_mm"] = _ex_float(src, T_FOCAL)
            if out["focal_length_35mm"] is None:
                out["focal_length_35mm"] = _ex_int(src, T_FOCAL35)
            if out["iso_speed"] is None:
                iso = src.get(T_ISO)
                if iso is not None:
                    try:
                        out["iso_speed"] = int(iso[0]) if isinstance(iso, (tuple, list)) else int(iso)
                    except (TypeError, ValueError, IndexError):
                        pass
            if out["f_number"] is None:
                out["f_number"] = _ex_float(src, T_FNUMBER)
            if out["exposure_time_sec"] is None:
                out["exposure_time_sec"] = _ex_float(src, T_EXPOSURE)
            if out["datetime_original"] is None:
                out["datetime_original"] = _ex_str(src, T_DATETIME_ORIG)
            if out["lens_model"] is None:
                out["lens_model"] = _ex_str(src, T_LENS)
        if T_GPS_IFD in ex or ex.get_ifd(T_GPS_IFD):
            out["has_gps_data"] = True
        f35 = out["focal_length_35mm"]
        if f35 is not None:
            out["distortion_risk"] = "high" if f35 < 18 else ("medium" if f35 < 24 else "low")
    except Exception:
        pass  # a broken EXIF block loses the EXIF fields only
    return out


# ---------------------------------------------------------------------------------------------

def pillow11_mode(img: Image.Image) -> str:
    """The mode the newer Pillow imgeda needs (>= 11) reports; Debian 12 has Pillow 9.4.

    The one difference that matters for real files: 16-bit greyscale PNGs open as "I" in Pillow
    9.4 and as "I;16" in newer versions (convert("RGB") clips both at 255 the same way)."""
    if img.format == "PNG" and img.mode == "I":
        try:
            if img.tile and img.tile[0][3] in ("I;16B", ("I;16B", 0, 1)):
                return "I;16"
        except (IndexError, TypeError):
            pass
    return img.mode


def working_image(img: Image.Image, max_dim: int):
    rgb = img.convert("RGB")
    resized = False
    if rgb.width > max_dim or rgb.height > max_dim:
        r = max_dim / max(rgb.width, rgb.height)
        rgb = rgb.resize((int(rgb.width * r), int(rgb.height * r)), LANCZOS)
        resized = True
    return rgb, resized


def analyse(path: str, max_dim: int = 2048, with_exif: bool = True) -> dict:
    try:
        os.stat(path)
        with Image.open(path) as probe:
            probe.verify()
        img = Image.open(path)
    except Exception as e:  # noqa: BLE001 - anything unreadable is corrupt, like imgeda
        return {"path": path, "is_corrupt": True, "oracle_error": f"{type(e).__name__}: {e}"}
    rec = {"path": path}
    try:
        rec.update({
            "width": img.width, "height": img.height, "format": img.format or "",
            "color_mode": pillow11_mode(img), "num_channels": len(img.getbands()),
            "aspect_ratio": round(img.width / img.height, 4) if img.height > 0 else 0.0,
        })
        if with_exif:
            rec.update(exif_fields(img))
        rgb, resized = working_image(img, max_dim)
        px = np.array(rgb, dtype=np.uint8)
        ps = pixel_stats(px)
        cs = corner_stats(px)
        blur = blur_variance(px)
        rec.update({
            "pixel_stats": ps,
            "corner_stats": cs,
            "blur_score": round(blur, 2),
            "blur_raw": blur,
            "is_dark": ps["mean_brightness"] < DARK_THRESHOLD,
            "is_overexposed": ps["mean_brightness"] > OVEREXPOSED_THRESHOLD,
            "has_border_artifact": cs["delta"] > ARTIFACT_THRESHOLD,
            "is_blurry": blur < BLUR_THRESHOLD,
            "phash": phash_hex(rgb),
            "dhash": dhash_hex(rgb),
            "is_corrupt": False,
            "working_width": rgb.width,
            "working_height": rgb.height,
            "resized": resized,
        })
    except Exception as e:  # noqa: BLE001 - imgeda marks analysis failures corrupt too
        rec["is_corrupt"] = True
        rec["oracle_error"] = f"{type(e).__name__}: {e}"
    finally:
        img.close()
    return rec


def discover(inputs, extensions=EXTENSIONS):
    out = []
    for item in inputs:
        if os.path.isdir(item):
            found = []
            for dirpath, dirnames, filenames in os.walk(item, followlinks=False):
                dirnames.sort()
                for fn in filenames:
                    if fn.lower().endswith(extensions):
                        found.append(os.path.join(dirpath, fn))
            out.extend(sorted(found))
        else:
            out.append(item)
    return out


def _work(args):
    path, max_dim, with_exif = args
    return analyse(path, max_dim, with_exif)


def main(argv=None) -> int:
    warnings.filterwarnings("ignore")  # Pillow's palette-transparency notes, as noise on stderr
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", help="image files and/or directories")
    ap.add_argument("-o", "--output", help="write JSONL here instead of stdout")
    ap.add_argument("--max-image-dim", type=int, default=2048)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-exif", action="store_true", help="skip the EXIF fields")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args(argv)

    paths = discover(a.inputs)
    work = [(p, a.max_image_dim, not a.no_exif) for p in paths]
    out = open(a.output, "w", encoding="utf-8") if a.output else sys.stdout
    n = 0
    try:
        if a.jobs > 1 and len(work) > 1:
            pool = multiprocessing.Pool(a.jobs)
            results = pool.imap(_work, work, chunksize=1)
        else:
            pool = None
            results = map(_work, work)
        for rec in results:
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
            if not a.quiet and (n % 50 == 0 or n == len(work)):
                print(f"oracle: {n}/{len(work)}", file=sys.stderr)
        if pool:
            pool.close()
            pool.join()
    finally:
        if a.output:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
