#!/usr/bin/env bash
# fetch-photos.sh DEST [--min N] [--cache DIR] [--packages P1,P2] [--seed S] [--copy] [--quiet]
#
# Assembles a corpus of REAL photographs for benchmarks and the oracle test, from Debian packages:
# each package below is fetched once with `apt-get download` into a cache
# (default ${IMGEDA_CACHE:-$HOME/.cache/imgedad}/debs), unpacked there with `dpkg-deb -x`, and the
# files that are photographs (chosen by hand, per package: no SVG, no icons, no renders or
# drawings) are hard-linked (or copied) into DEST as <package>__<path>.<ext>. Byte-identical files
# are kept once. 533 MB of .debs (bookworm), 702 distinct photos, 30 of them larger than 2048 px.
#
# --min N: if there are fewer than N distinct photos, adds deterministic variants of them (crops of
# different regions, some downscaled, re-encoded as JPEG at qualities 55-97, a few as PNG), made
# with /usr/bin/python3 + PIL from a fixed seed and named variant_NNNNN_*. Half of the variants
# come from photos larger than 2048 px. Default 0 (only the distinct photos).
#
# --packages: only these packages of the list below. --cache: where the .debs go. --copy: copy
# instead of hard-linking. Everything in DEST named *__* or variant_* is managed by this script.
#
# Idempotent: a second run downloads and extracts nothing, re-creates nothing that is in place,
# and removes files of ours (`*__*`, `variant_*`) that are no longer wanted. Progress goes to
# stderr; the last stdout line is the summary, e.g.
#   fetch-photos: distinct=702 variants=298 total=1000 larger_than_2048=120 (distinct 30) dest=...
set -euo pipefail

usage() { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
DEST=""; MIN=0; SEED=20240601; LINK=1; QUIET=0; ONLY=""
CACHE="${IMGEDA_CACHE:-$HOME/.cache/imgedad}/debs"
while [ $# -gt 0 ]; do
  case "$1" in
    --min) MIN=${2:?}; shift 2 ;;
    --min=*) MIN=${1#--min=}; shift ;;
    --cache) CACHE=${2:?}; shift 2 ;;
    --cache=*) CACHE=${1#--cache=}; shift ;;
    --seed) SEED=${2:?}; shift 2 ;;
    --packages) ONLY=${2:?}; shift 2 ;;
    --packages=*) ONLY=${1#--packages=}; shift ;;
    --copy) LINK=0; shift ;;
    --quiet|-q) QUIET=1; shift ;;
    -h|--help) usage ;;
    -*) echo "fetch-photos: unknown option $1" >&2; usage ;;
    *) [ -z "$DEST" ] || usage; DEST=$1; shift ;;
  esac
done
[ -n "$DEST" ] || usage
case "$MIN" in ''|*[!0-9]*) echo "fetch-photos: --min needs a number" >&2; exit 2 ;; esac
PY=/usr/bin/python3
if ! "$PY" -c 'import PIL' 2>/dev/null; then
  echo "fetch-photos: $PY with PIL is needed (apt-get install python3-pil)" >&2; exit 1
fi
log() { [ "$QUIET" = 1 ] || echo "fetch-photos: $*" >&2; }

# ---- which files are photographs, per package (fnmatch patterns on the path inside the package;
# '!' excludes). Checked by eye against the bookworm versions of these packages.
RULES=$(cat <<'EOF'
mate-backgrounds	usr/share/backgrounds/mate/nature/*.jpg
plasma-workspace-wallpapers	usr/share/wallpapers/BytheWater/contents/images/*.jpg
plasma-workspace-wallpapers	usr/share/wallpapers/ColdRipple/contents/images/*.jpg
plasma-workspace-wallpapers	usr/share/wallpapers/DarkestHour/contents/images/*.jpg
plasma-workspace-wallpapers	usr/share/wallpapers/EveningGlow/contents/images/*.jpg
plasma-workspace-wallpapers	usr/share/wallpapers/FallenLeaf/contents/images/*.jpg
plasma-workspace-wallpapers	usr/share/wallpapers/Grey/contents/images/*.jpg
plasma-workspace-wallpapers	usr/share/wallpapers/Kite/contents/images/*.jpg
plasma-workspace-wallpapers	usr/share/wallpapers/OneStandsOut/contents/images/*.jpg
plasma-workspace-wallpapers	usr/share/wallpapers/Path/contents/images/*.jpg
plasma-workspace-wallpapers	usr/share/wallpapers/summer_1am/contents/images/*.jpg
lomiri-wallpapers-16.04	usr/share/backgrounds/*.jpg
lomiri-wallpapers-16.04	!usr/share/backgrounds/umang_*
lomiri-wallpapers-20.04	usr/share/backgrounds/Kleiber_*.jpg
python3-skimage	usr/lib/python3/dist-packages/skimage/data/astronaut.png
python3-skimage	usr/lib/python3/dist-packages/skimage/data/brick.png
python3-skimage	usr/lib/python3/dist-packages/skimage/data/camera.png
python3-skimage	usr/lib/python3/dist-packages/skimage/data/chelsea.png
python3-skimage	usr/lib/python3/dist-packages/skimage/data/coffee.png
python3-skimage	usr/lib/python3/dist-packages/skimage/data/coins.png
python3-skimage	usr/lib/python3/dist-packages/skimage/data/grass.png
python3-skimage	usr/lib/python3/dist-packages/skimage/data/gravel.png
python3-skimage	usr/lib/python3/dist-packages/skimage/data/hubble_deep_field.jpg
python3-skimage	usr/lib/python3/dist-packages/skimage/data/moon.png
python3-skimage	usr/lib/python3/dist-packages/skimage/data/motorcycle_*.png
python3-skimage	usr/lib/python3/dist-packages/skimage/data/page.png
python3-skimage	usr/lib/python3/dist-packages/skimage/data/retina.jpg
python3-skimage	usr/lib/python3/dist-packages/skimage/data/rocket.jpg
python3-skimage	usr/lib/python3/dist-packages/skimage/data/text.png
python3-sklearn	usr/lib/python3/dist-packages/sklearn/datasets/images/*.jpg
opencv-doc	usr/share/doc/opencv-doc/examples/alphamat/input_images/plant.jpg
opencv-doc	usr/share/doc/opencv-doc/examples/text/scenetext*.jpg
opencv-doc	usr/share/doc/opencv-doc/examples/reg/home.png
opencv-doc	usr/share/doc/opencv-doc/examples/dnn_superres/butterfly.png
opencv-doc	usr/share/doc/opencv-doc/examples/hfs/data/*.jpg
opencv-doc	usr/share/doc/opencv-doc/examples/data/*.jpg
opencv-doc	!usr/share/doc/opencv-doc/examples/data/Blender_Suzanne*
opencv-doc	!usr/share/doc/opencv-doc/examples/data/*Logo*
opencv-doc	!usr/share/doc/opencv-doc/examples/data/blox.jpg
opencv-doc	!usr/share/doc/opencv-doc/examples/data/ellipses.jpg
opencv-doc	!usr/share/doc/opencv-doc/examples/data/starry_night.jpg
opencv-doc	usr/share/doc/opencv-doc/examples/data/basketball?.png
opencv-doc	usr/share/doc/opencv-doc/examples/data/box.png
opencv-doc	usr/share/doc/opencv-doc/examples/data/box_in_scene.png
opencv-doc	usr/share/doc/opencv-doc/examples/data/chicky_512.png
opencv-doc	usr/share/doc/opencv-doc/examples/data/graf?.png
opencv-doc	usr/share/doc/opencv-doc/examples/data/rubberwhale?.png
opencv-doc	usr/share/doc/opencv-doc/examples/data/sudoku.png
stellarium-data	usr/share/stellarium/nebulae/default/*.png
stellarium-data	usr/share/stellarium/nebulae/default/*.jpg
stellarium-data	usr/share/stellarium/landscapes/trees/trees_512.png
stellarium-data	usr/share/stellarium/landscapes/mars/mars.png
stellarium-data	usr/share/stellarium/landscapes/moon/apollo17.png
stellarium-data	usr/share/stellarium/landscapes/hurricane/*.png
stellarium-data	usr/share/stellarium/landscapes/garching/*.png
stellarium-data	usr/share/stellarium/landscapes/guereins/*.png
stellarium-data	usr/share/stellarium/landscapes/grossmugl/grossmugl_leeberg_crop*.png
EOF
)
if [ -n "$ONLY" ]; then
  for p in ${ONLY//,/ }; do
    printf '%s\n' "$RULES" | cut -f1 | grep -qxF "$p" || { echo "fetch-photos: unknown package $p" >&2; exit 2; }
  done
  RULES=$(printf '%s\n' "$RULES" | awk -F'\t' -v only=",$ONLY," 'index(only, "," $1 ",")')
fi
PACKAGES=$(printf '%s\n' "$RULES" | cut -f1 | awk '!seen[$0]++')

mkdir -p "$CACHE" "$DEST"
CACHE=$(cd "$CACHE" && pwd)
DEST=$(cd "$DEST" && pwd)
APT_OPTS=()
[ "$(id -u)" = 0 ] && APT_OPTS=(-o APT::Sandbox::User=root)  # root: no _apt sandbox warnings
updated=0

deb_of() { find "$CACHE" -maxdepth 1 -name "$1_*.deb" 2>/dev/null | sort -V | tail -n 1; }

fetch() {  # fetch PKG: the newest .deb of PKG in the cache, downloading it if there is none
  local pkg=$1 deb
  deb=$(deb_of "$pkg")
  [ -n "$deb" ] && { echo "$deb"; return 0; }
  log "downloading $pkg"
  if ! (cd "$CACHE" && apt-get download "${APT_OPTS[@]}" "$pkg" >/dev/null 2>"$CACHE/.apt.err"); then
    if [ "$updated" = 0 ] && [ "$(id -u)" = 0 ]; then
      log "apt-get download $pkg failed ($(tail -n 1 "$CACHE/.apt.err")); running apt-get update"
      apt-get update >/dev/null 2>&1 || true
      updated=1
      (cd "$CACHE" && apt-get download "${APT_OPTS[@]}" "$pkg" >/dev/null 2>"$CACHE/.apt.err") || true
    fi
  fi
  deb=$(deb_of "$pkg")
  [ -n "$deb" ] || { echo "fetch-photos: warning: could not download $pkg: $(tail -n 1 "$CACHE/.apt.err")" >&2; return 1; }
  echo "$deb"
}

ROOTS=""
for pkg in $PACKAGES; do
  deb=$(fetch "$pkg") || continue
  x="$CACHE/x/$(basename "$deb" .deb)"
  if [ ! -f "$x/.extracted" ]; then
    log "extracting $(basename "$deb") ($(du -h "$deb" | cut -f1))"
    rm -rf "$x"; mkdir -p "$x"
    dpkg-deb -x "$deb" "$x"
    touch "$x/.extracted"
  fi
  ROOTS+="$pkg"$'\t'"$(basename "$deb")"$'\t'"$(stat -c %s "$deb")"$'\t'"$x"$'\n'
done
[ -n "$ROOTS" ] || { echo "fetch-photos: no package could be fetched" >&2; exit 1; }

export FP_DEST="$DEST" FP_MIN="$MIN" FP_SEED="$SEED" FP_LINK="$LINK" FP_QUIET="$QUIET"
export FP_RULES="$RULES" FP_ROOTS="$ROOTS"
exec "$PY" - <<'PYEOF'
import fnmatch, hashlib, os, random, shutil, sys
from PIL import Image

Image.MAX_IMAGE_PIXELS = None
dest = os.environ["FP_DEST"]; want_min = int(os.environ["FP_MIN"]); seed = os.environ["FP_SEED"]
link = os.environ["FP_LINK"] == "1"; quiet = os.environ["FP_QUIET"] == "1"
MIN_LONG_SIDE = 256          # smaller files are thumbnails or crops, not photos
EXTS = (".jpg", ".jpeg", ".png", ".webp")
STRIP = ("usr/share/doc/opencv-doc/examples/", "usr/lib/python3/dist-packages/", "usr/share/")

def log(msg):
    if not quiet:
        print("fetch-photos: " + msg, file=sys.stderr, flush=True)

rules = {}
for line in os.environ["FP_RULES"].splitlines():
    pkg, pat = line.split("\t")
    inc, exc = rules.setdefault(pkg, ([], []))
    (exc if pat.startswith("!") else inc).append(pat.lstrip("!"))

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

photos = {}      # dest name -> (source path, w, h, package)
seen = {}        # sha256 -> dest name
per_pkg = []
for line in os.environ["FP_ROOTS"].splitlines():
    pkg, deb, debsize, root = line.split("\t")
    inc, exc = rules[pkg]
    kept = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            full = os.path.join(dirpath, fn)
            rel = os.path.relpath(full, root)
            if not fn.lower().endswith(EXTS) or os.path.islink(full):
                continue
            if not any(fnmatch.fnmatchcase(rel, p) for p in inc) or any(fnmatch.fnmatchcase(rel, p) for p in exc):
                continue
            try:
                with Image.open(full) as im:
                    w, h = im.size
            except Exception:
                continue
            if max(w, h) < MIN_LONG_SIDE:
                continue
            digest = sha256(full)
            if digest in seen:
                continue
            short = rel
            for s in STRIP:
                if short.startswith(s):
                    short = short[len(s):]
                    break
            name = pkg + "__" + short.replace("/", "_")
            seen[digest] = name
            photos[name] = (full, w, h, pkg)
            kept += 1
    per_pkg.append((pkg, deb, int(debsize), kept))

def place(src, dst):
    if os.path.exists(dst):
        try:
            if os.path.samefile(src, dst) or os.path.getsize(src) == os.path.getsize(dst):
                return
        except OSError:
            pass
        os.unlink(dst)
    if link:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copy2(src, dst)

for name in sorted(photos):
    place(photos[name][0], os.path.join(dest, name))

# ---- deterministic variants
variants = {}    # dest name -> (w, h)
need = max(0, want_min - len(photos))
if need:
    names = sorted(photos)
    big = [n for n in names if max(photos[n][1:3]) > 2048]
    mid = [n for n in names if max(photos[n][1:3]) >= 512]
    log(f"making {need} variants ({len(big)} sources > 2048 px, {len(mid)} sources >= 512 px)")
    cache_img = {}
    for i in range(need):
        rng = random.Random(f"imgedad-variant:{seed}:{i}")
        pool = big if (i % 2 == 0 and big) else mid or names
        src = rng.choice(pool)
        _, W, H, _ = photos[src]
        kind = rng.choice(("crop", "crop", "crop_scaled", "reencode"))
        if kind == "reencode":
            box = (0, 0, W, H)
        else:
            fw, fh = rng.uniform(0.45, 1.0), rng.uniform(0.45, 1.0)
            cw, ch = max(64, int(W * fw)), max(64, int(H * fh))
            x, y = rng.randint(0, W - cw), rng.randint(0, H - ch)
            box = (x, y, x + cw, y + ch)
        scale = rng.uniform(0.4, 0.9) if kind == "crop_scaled" else 1.0
        as_png = rng.random() < 0.1
        quality = rng.randint(55, 97)
        stem = os.path.splitext(src)[0].split("__", 1)[1].replace("contents_images_", "")
        if len(stem) > 40:
            stem = stem[-40:].split("_", 1)[-1] if "_" in stem[-40:-1] else stem[-40:]
        tag = f"{box[0]}-{box[1]}-{box[2] - box[0]}x{box[3] - box[1]}"
        if scale != 1.0:
            tag += f"_s{int(round(scale * 100))}"
        ext = ".png" if as_png else f"_q{quality}.jpg"
        name = f"variant_{i:05d}_{stem}_{kind}_{tag}{ext}"
        path = os.path.join(dest, name)
        if not os.path.exists(path):
            if src not in cache_img:
                if len(cache_img) > 4:
                    cache_img.clear()
                im = Image.open(photos[src][0])
                im = im.convert("L" if im.mode in ("L", "LA", "I;16", "I") else "RGB")
                cache_img[src] = im
            im = cache_img[src].crop(box)
            if scale != 1.0:
                im = im.resize((max(1, int(im.width * scale)), max(1, int(im.height * scale))), Image.LANCZOS)
            tmp = path + ".tmp"
            if as_png:
                im.save(tmp, "PNG", compress_level=6)
            else:
                im.save(tmp, "JPEG", quality=quality)
            os.replace(tmp, path)
            vw, vh = im.size
        else:
            with Image.open(path) as im:
                vw, vh = im.size
        variants[name] = (vw, vh)
        if (i + 1) % 100 == 0 or i + 1 == need:
            log(f"variants {i + 1}/{need}")

# ---- remove files of ours that are no longer wanted (idempotent re-runs with other options)
wanted = set(photos) | set(variants)
removed = 0
for fn in os.listdir(dest):
    if fn in wanted or not ("__" in fn or fn.startswith("variant_")):
        continue
    if fn.endswith(".tmp") or fn.lower().endswith(EXTS):
        os.unlink(os.path.join(dest, fn))
        removed += 1

# ---- report
def bucket(side):
    for lim, lab in ((512, "< 512"), (1024, "512-1023"), (2048, "1024-2047"), (2049, "2048")):
        if side < lim:
            return lab
    return "> 2048"
labels = ["< 512", "512-1023", "1024-2047", "2048", "> 2048"]
dist_d = {l: 0 for l in labels}; dist_v = {l: 0 for l in labels}
for _, w, h, _ in photos.values():
    dist_d[bucket(max(w, h))] += 1
for w, h in variants.values():
    dist_v[bucket(max(w, h))] += 1
if not quiet:
    err = sys.stderr
    print(f"{'package':<30} {'deb':>9} {'photos':>7}", file=err)
    for pkg, deb, size, kept in per_pkg:
        print(f"{pkg:<30} {size / 1e6:>7.1f}MB {kept:>7}", file=err)
    print(f"{'total':<30} {sum(p[2] for p in per_pkg) / 1e6:>7.1f}MB {len(photos):>7}", file=err)
    print("long side (px)   " + "  ".join(f"{l:>9}" for l in labels), file=err)
    print("distinct photos  " + "  ".join(f"{dist_d[l]:>9}" for l in labels), file=err)
    print("variants         " + "  ".join(f"{dist_v[l]:>9}" for l in labels), file=err)
    mp = sorted(w * h / 1e6 for _, w, h, _ in photos.values())
    if mp:
        print(f"distinct photos: megapixels min {mp[0]:.2f}, median {mp[len(mp) // 2]:.2f}, max {mp[-1]:.2f}"
              + (f"; removed {removed} stale files" if removed else ""), file=err)
big_d = dist_d["> 2048"]; big_v = dist_v["> 2048"]
print(f"fetch-photos: distinct={len(photos)} variants={len(variants)} total={len(photos) + len(variants)} "
      f"larger_than_2048={big_d + big_v} (distinct {big_d}) dest={dest}")
PYEOF
