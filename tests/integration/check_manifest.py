"""Checks a manifest against SPEC §2: header keys, and every record has exactly the spec keys
with the spec's JSON types. Usage: check_manifest.py MANIFEST [--expect-records N]."""
import json
import sys

STR, INT, FLOAT, BOOL, OBJ, NULL = str, int, float, bool, dict, type(None)
SPEC = {
    "path": (STR,), "filename": (STR,), "file_size_bytes": (INT,), "mtime": (FLOAT,),
    "width": (INT,), "height": (INT,), "format": (STR,), "color_mode": (STR,),
    "num_channels": (INT,), "aspect_ratio": (FLOAT,),
    "camera_make": (STR, NULL), "camera_model": (STR, NULL), "lens_model": (STR, NULL),
    "focal_length_mm": (FLOAT, NULL), "focal_length_35mm": (INT, NULL), "iso_speed": (INT, NULL),
    "f_number": (FLOAT, NULL), "exposure_time_sec": (FLOAT, NULL),
    "datetime_original": (STR, NULL), "orientation_tag": (INT, NULL), "has_gps_data": (BOOL,),
    "distortion_risk": (STR, NULL), "pixel_stats": (OBJ, NULL), "corner_stats": (OBJ, NULL),
    "phash": (STR, NULL), "dhash": (STR, NULL), "blur_score": (FLOAT, NULL),
    "is_blurry": (BOOL,), "is_corrupt": (BOOL,), "is_dark": (BOOL,), "is_overexposed": (BOOL,),
    "has_border_artifact": (BOOL,), "analyzed_at": (STR,), "analyzer_version": (STR,),
    "content_hash": (STR, NULL), "error": (STR, NULL), "bit_depth": (INT,), "num_frames": (INT,),
}
PIXEL = {"mean_r": FLOAT, "mean_g": FLOAT, "mean_b": FLOAT, "std_r": FLOAT, "std_g": FLOAT,
         "std_b": FLOAT, "mean_brightness": FLOAT, "min_val": INT, "max_val": INT}
CORNER = {"corner_mean": FLOAT, "center_mean": FLOAT, "border_mean": FLOAT, "delta": FLOAT}
HEADER = {"__manifest_meta__": BOOL, "input_dir": STR, "schema_version": INT, "settings": OBJ,
          "total_files": INT, "created_at": STR}


def kind(v):
    return type(v)  # bool is not int here: type() is exact


def main():
    path = sys.argv[1]
    expect = int(sys.argv[sys.argv.index("--expect-records") + 1]) if "--expect-records" in sys.argv else None
    raw = open(path, "rb").read()
    raw.decode("utf-8")  # every line valid UTF-8
    lines = raw.split(b"\n")
    assert lines[-1] == b"", "manifest must end with a newline"
    header = json.loads(lines[0])
    assert set(header) == set(HEADER), f"header keys {sorted(header)}"
    for k, t in HEADER.items():
        assert kind(header[k]) is t, f"header {k}: {header[k]!r}"
    for k in ("dark_threshold", "overexposed_threshold", "artifact_threshold", "blur_threshold"):
        assert kind(header["settings"][k]) is float, f"settings {k} must be a float"
    paths = []
    for n, line in enumerate(lines[1:-1], 2):
        rec = json.loads(line)
        assert list(rec) == list(SPEC), f"line {n}: keys {list(rec)}"
        for k, types in SPEC.items():
            assert kind(rec[k]) in types, f"line {n}: {k} = {rec[k]!r} is not {types}"
        if rec["pixel_stats"] is not None:
            assert {k: kind(v) for k, v in rec["pixel_stats"].items()} == PIXEL, f"line {n}: pixel_stats"
        if rec["corner_stats"] is not None:
            assert {k: kind(v) for k, v in rec["corner_stats"].items()} == CORNER, f"line {n}: corner_stats"
        for h in ("phash", "dhash"):
            if rec[h] is not None:
                assert len(rec[h]) == 64 and all(c in "0123456789abcdef" for c in rec[h]), f"line {n}: {h}"
        if rec["is_corrupt"]:
            assert rec["error"], f"line {n}: a corrupt record says why"
        paths.append(rec["path"])
    assert paths == sorted(paths, key=lambda p: p.encode()), "records are in path order"
    assert len(set(paths)) == len(paths), "one record per path"
    assert header["total_files"] == len(paths), "total_files matches"
    if expect is not None:
        assert len(paths) == expect, f"{len(paths)} records, expected {expect}"
    print(f"{path}: {len(paths)} records, keys and types as SPEC §2")


if __name__ == "__main__":
    main()
