#!/usr/bin/env bash
# Fails when an #include points up the folder order core <- engine <- {cli, server, lambda}:
#   core/    the library: its own files and imgeda/ headers; never uv.h, sqlite3.h, microhttpd.h, curl (no network code)
#   engine/  core's public headers and its own; never microhttpd.h
#   cli/     core's public headers, engine/ and its own; never microhttpd.h
#   server/  core's public headers, engine/ and its own; never vips (thumbnails are core's)
#   lambda/  core's public headers, engine/ and its own; never microhttpd.h
# A quoted include must name a file of the folder itself or of a folder below it.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
say() { echo "layers: $*" >&2; bad=1; }

# check FOLDER ALLOWED_PREFIX_REGEX FORBIDDEN_SYSTEM_REGEX
check() {
    local dir=$1 allowed=$2 forbidden=$3 f inc
    while IFS= read -r line; do
        f=${line%%:*}
        inc=$(sed -nE 's/^[0-9]+:#include *"([^"]+)".*/\1/p' <<<"${line#*:}")
        [ -n "$inc" ] || continue
        if [[ "$inc" == */* ]]; then
            [[ "$inc" =~ $allowed ]] || say "$f includes \"$inc\" (above or beside $dir/)"
        elif [ ! -f "$(dirname "$f")/$inc" ]; then
            say "$f includes \"$inc\", which is not a file of $(dirname "$f")/"
        fi
    done < <(grep -rnH --include='*.c' --include='*.h' -E '^#include *"' "$dir" | sed -E 's/^([^:]+):/\1:/')
    if grep -rnE --include='*.c' --include='*.h' "#include *[<\"]($forbidden)" "$dir"; then
        say "$dir/ includes a library it must not use (see above)"
    fi
}

check core '^imgeda/' 'uv\.h|sqlite3\.h|microhttpd\.h|curl/'
check engine '^(imgeda|engine)/' 'microhttpd\.h'
check cli '^(imgeda|engine)/' 'microhttpd\.h'
check server '^(imgeda|engine)/' 'vips/'
check lambda '^(imgeda|engine)/' 'microhttpd\.h'
if grep -rlni 'vips' server; then
    say "server/ mentions vips: image decoding belongs to core (e.g. ie_thumbnail_jpeg)"
fi
exit $bad
