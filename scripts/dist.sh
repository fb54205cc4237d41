#!/usr/bin/env bash
# `make dist`: packages the release binary (`make release`) and the discovery model beside it into dist/:
#   muxgate-VERSION-py3-none-manylinux_X_Y_ARCH.whl  for uvx, pipx and pip (built by hatchling): the
#                                                     binary and the model in the package's bin/, the
#                                                     `muxgate` command execs the binary
#   muxgate-VERSION-linux-ARCH.tar.gz                 the binary, the model, README, LICENSE if any,
#                                                     the third-party notices, SHA256SUMS
#   muxgate_VERSION_DEBARCH.deb                       /usr/lib/muxgate/{muxgate,model}, /usr/bin/muxgate
#                                                     (a link to it), the docs and notices (dpkg-deb)
#   SHA256SUMS                                        of the three
#
# In every package the model (all-MiniLM-L6-v2.q8.mxemb) is in the directory of the binary's resolved
# path (/proc/self/exe), as in .build/release/: the one place the gateway will look for it (the
# discovery engine is not wired into the gateway yet; docs/discovery.md).
#
# The version is Package.swift's `muxgateVersion`; a release tag on HEAD (v*) must match it, and the
# binary must report it and the commit `make build-info` wrote (so a stale binary is never packaged).
# The binary is stripped; it may link only glibc, libm, libgcc_s and libstdc++ dynamically (the
# Makefile links SQLite, libpg_query and zlib statically), and its wheel's tag claims the newest glibc
# symbol version it needs. Archives carry the commit's time (SOURCE_DATE_EPOCH) as their timestamps.
#
# Environment: DEB_MAINTAINER (default: DEBFULLNAME <DEBEMAIL>, else git's user.name <user.email>).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf 'dist: %s\n' "$*" >&2; }
fail() {
    printf 'dist: error: %s\n' "$*" >&2
    exit 1
}

for tool in strip objdump dpkg-deb dpkg-shlibdeps sha256sum python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (Debian: apt-get install binutils dpkg-dev python3-venv)"
done
BINARY=.build/release/muxgate
MODEL_NAME=all-MiniLM-L6-v2.q8.mxemb
MODEL=.build/release/$MODEL_NAME
OUT=dist
STAGE=.build/dist-stage
[[ -x "$BINARY" ]] || fail "$BINARY is missing: run \`make release\` (or \`make dist\`)"
# The model the release copied beside the binary must be the one scripts/setup-model.sh checks.
model_sha256="$(sed -n 's/^ *\[q8\]="\([0-9a-f]\{64\}\)"$/\1/p' scripts/setup-model.sh)"
[[ -n "$model_sha256" ]] || fail "no [q8]=\"…\" SHA-256 in scripts/setup-model.sh"
[[ -f "$MODEL" && "$(sha256sum "$MODEL" | cut -d' ' -f1)" == "$model_sha256" ]] \
    || fail "$MODEL is missing or is not the model scripts/setup-model.sh checks: run \`make release\`"

# The packaging tools, pinned, in a project-local venv (rebuilt when this list changes).
DIST_REQUIREMENTS=("build==1.6.1" "hatchling==1.33.0" "auditwheel==6.8.2" "uv==0.13.10" "pipx==1.18.4")
VENV=.venv-dist
wanted="$(printf '%s\n' "${DIST_REQUIREMENTS[@]}")"
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.muxgate-requirements" 2>/dev/null)" != "$wanted" ]]; then
    log "building $VENV (${DIST_REQUIREMENTS[*]})"
    rm -rf "$VENV"
    python3 -m venv "$VENV" || fail "'python3 -m venv' failed (on Debian: apt-get install python3-venv)"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --quiet --no-input "${DIST_REQUIREMENTS[@]}" >&2
    printf '%s' "$wanted" >"$VENV/.muxgate-requirements"
fi

# --- version and commit ---
version="$(sed -n 's/^let muxgateVersion = "\([^"]*\)"$/\1/p' Package.swift)"
[[ -n "$version" ]] || fail "no 'let muxgateVersion = \"…\"' in Package.swift"
tags="$(git tag --points-at HEAD 'v*' 2>/dev/null || true)"
if [[ -n "$tags" ]] && ! grep -qx "v$version" <<<"$tags"; then
    fail "HEAD is tagged $(echo "$tags" | tr '\n' ' ')but Package.swift's muxgateVersion is $version"
fi
commit="$(sed -n 's/^#define MUXGATE_COMMIT "\(.*\)"$/\1/p' Sources/CMuxgateCommit/commit.generated.h 2>/dev/null || true)"
reported="$("$BINARY" --version)"
[[ "$reported" == "muxgate $version (commit ${commit:-unknown})" ]] \
    || fail "the binary reports '$reported', not 'muxgate $version (commit ${commit:-unknown})': run \`make release\`"
[[ "$commit" != *-dirty ]] || log "warning: built from a work tree with uncommitted changes ($commit)"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

# --- the stripped binary and what it needs from the system ---
rm -rf "$STAGE"
mkdir -p "$STAGE" "$OUT"
strip -o "$STAGE/muxgate" "$BINARY"
chmod 0755 "$STAGE/muxgate"
arch="$(uname -m)"
needed="$(objdump -p "$STAGE/muxgate" | awk '$1 == "NEEDED" { print $2 }' | sort)"
# What a manylinux wheel may link (PEP 600's policies; auditwheel's list also has libpthread, libdl,
# librt, libutil, libresolv, libnsl, which glibc 2.34+ folds into libc). Anything else (libsqlite3,
# libpg_query, libz) means the static archives were not linked: see the Makefile's static-libs.
for lib in $needed; do
    case "$lib" in
    libc.so.6 | libm.so.6 | libgcc_s.so.1 | libstdc++.so.6 | ld-linux-*.so.* | libpthread.so.0 | libdl.so.2 | librt.so.1) ;;
    *) fail "the binary links $lib dynamically; a manylinux wheel may not (make release links it statically)" ;;
    esac
done
# The newest glibc symbol version the binary requires (objdump's version references).
glibc="$(objdump -p "$STAGE/muxgate" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)"
[[ "$glibc" =~ ^([0-9]+)\.([0-9]+) ]] || fail "no GLIBC_ version reference in the binary"
platform="manylinux_${BASH_REMATCH[1]}_${BASH_REMATCH[2]}_${arch}"
glibcxx="$(objdump -p "$STAGE/muxgate" | grep -o 'GLIBCXX_[0-9][0-9.]*' | sort -V | tail -1 || true)"

# --- third-party notices: the model's, the statically linked C libraries' and the Swift packages' ---
# THIRD-PARTY-NOTICES.md and licenses/: the model's Apache-2.0, Debian's copyright files of the
# packages whose static archives are linked in, the toolchain's licence (the static Swift runtime and
# Foundation), and each resolved Swift package's LICENSE and NOTICE files.
notices="$STAGE/notices"
mkdir -p "$notices/licenses"
cp packaging/THIRD-PARTY-NOTICES.md "$notices/"
cp packaging/Apache-2.0.txt "$notices/licenses/all-MiniLM-L6-v2.Apache-2.0.txt"
for package in libsqlite3-dev libpg-query-dev zlib1g-dev; do
    [[ -f "/usr/share/doc/$package/copyright" ]] || fail "/usr/share/doc/$package/copyright is missing"
    cp "/usr/share/doc/$package/copyright" "$notices/licenses/$package.copyright"
done
toolchain_license="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/share/swift/LICENSE.txt"
[[ -f "$toolchain_license" ]] || fail "the Swift toolchain's LICENSE.txt is not at $toolchain_license"
cp "$toolchain_license" "$notices/licenses/swift-toolchain.LICENSE.txt"
for checkout in .build/checkouts/*/; do
    for file in "$checkout"LICENSE* "$checkout"NOTICE* "$checkout"COPYING*; do
        [[ -f "$file" ]] && cp "$file" "$notices/licenses/$(basename "$checkout").$(basename "$file")"
    done
done

# --- the wheel: hatchling, through PyPA's build frontend, from a staged project ---
rm -f "$OUT"/muxgate-*.whl "$OUT"/muxgate-*.tar.gz "$OUT"/muxgate_*.deb "$OUT"/SHA256SUMS
mkdir -p "$STAGE/wheel"
cp -R packaging/wheel/pyproject.toml packaging/wheel/hatch_build.py packaging/wheel/muxgate README.md \
    "$notices/THIRD-PARTY-NOTICES.md" "$notices/licenses" "$STAGE/wheel/"
find "$STAGE/wheel" -name __pycache__ -prune -exec rm -rf {} +
MUXGATE_VERSION="$version" MUXGATE_BINARY="$ROOT/$STAGE/muxgate" MUXGATE_MODEL="$ROOT/$MODEL" \
    MUXGATE_WHEEL_PLATFORM="$platform" \
    "$VENV/bin/python" -m build --wheel --no-isolation --outdir "$OUT" "$STAGE/wheel" >&2
wheel="$OUT/muxgate-$version-py3-none-$platform.whl"
[[ -f "$wheel" ]] || fail "the build made no $wheel"

# --- the tarball: one directory with the binary, README, LICENSE and their SHA256SUMS ---
name="muxgate-$version-linux-$arch"
mkdir -p "$STAGE/tar/$name"
cp "$STAGE/muxgate" "$MODEL" README.md "$notices/THIRD-PARTY-NOTICES.md" "$STAGE/tar/$name/"
cp -R "$notices/licenses" "$STAGE/tar/$name/"
if [[ -f LICENSE ]]; then cp LICENSE "$STAGE/tar/$name/"; else log "warning: no LICENSE in the repository: none packaged"; fi
(cd "$STAGE/tar/$name" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum -- >SHA256SUMS)
tar -C "$STAGE/tar" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" -cf - "$name" \
    | gzip -n -9 >"$OUT/$name.tar.gz"

# --- the .deb: the binary and the model in /usr/lib/muxgate, /usr/bin/muxgate a relative link to it,
# the docs, and the Depends dpkg-shlibdeps computes from the binary ---
debarch="$(dpkg --print-architecture)"
root="$STAGE/deb/root"
install -D -m 0755 "$STAGE/muxgate" "$root/usr/lib/muxgate/muxgate"
install -D -m 0644 "$MODEL" "$root/usr/lib/muxgate/$MODEL_NAME"
mkdir -p "$root/usr/bin"
ln -s ../lib/muxgate/muxgate "$root/usr/bin/muxgate"
install -D -m 0644 README.md "$root/usr/share/doc/muxgate/README.md"
install -D -m 0644 "$notices/THIRD-PARTY-NOTICES.md" "$root/usr/share/doc/muxgate/THIRD-PARTY-NOTICES.md"
for license in "$notices"/licenses/*; do
    install -D -m 0644 "$license" "$root/usr/share/doc/muxgate/licenses/$(basename "$license")"
done
for doc in docs/*.md; do install -D -m 0644 "$doc" "$root/usr/share/doc/muxgate/$doc"; done
install -D -m 0644 config/muxgate.yaml "$root/usr/share/doc/muxgate/examples/muxgate.yaml"
# dpkg-shlibdeps reads the Debian packages' symbols files: for each library the binary links, the
# package that provides it, at the lowest version that has every versioned symbol the binary uses.
# It wants a debian/control in its working directory and the binary in a tree with DEBIAN/.
mkdir -p "$root/DEBIAN" "$STAGE/deb/debian"
printf 'Source: muxgate\n\nPackage: muxgate\nArchitecture: any\n' >"$STAGE/deb/debian/control"
depends="$(cd "$STAGE/deb" && dpkg-shlibdeps -O root/usr/lib/muxgate/muxgate | sed -n 's/^shlibs:Depends=//p')"
[[ -n "$depends" ]] || fail "dpkg-shlibdeps found no dependencies"
maintainer="${DEB_MAINTAINER:-}"
if [[ -z "$maintainer" && -n "${DEBFULLNAME:-}" && -n "${DEBEMAIL:-}" ]]; then maintainer="$DEBFULLNAME <$DEBEMAIL>"; fi
if [[ -z "$maintainer" ]]; then maintainer="$(git config user.name) <$(git config user.email)>"; fi
cat >"$root/DEBIAN/control" <<EOF
Package: muxgate
Version: $version
Architecture: $debarch
Maintainer: $maintainer
Installed-Size: $(du -k -s "$root/usr" | cut -f1)
Depends: $depends
Section: devel
Priority: optional
Description: one MCP server in front of many
 muxgate is a gateway for the Model Context Protocol: an IDE such as Claude Code
 starts one stdio server, muxgate serve, and muxgate starts the configured MCP
 servers behind it, with namespaced tools, permission scopes enforced at call
 time, tool-definition pinning and a hash-chained audit trail.
 .
 The tool-discovery model all-MiniLM-L6-v2 (Apache-2.0) is in /usr/lib/muxgate
 beside the binary.
 .
 Built from commit ${commit:-unknown}.
EOF
find "$root" -type d -exec chmod 0755 {} +
deb="$OUT/muxgate_${version}_${debarch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >&2

# --- checksums of what a release publishes ---
(cd "$OUT" && sha256sum -- "$(basename "$wheel")" "$name.tar.gz" "$(basename "$deb")" >SHA256SUMS)

size() { du -h --apparent-size "$1" | cut -f1; }
log "muxgate $version (commit ${commit:-unknown}), binary $(size "$STAGE/muxgate") stripped ($(size "$BINARY") unstripped)"
log "needs glibc >= $glibc${glibcxx:+, libstdc++ with $glibcxx}; links dynamically: $(echo $needed)"
log "model $MODEL_NAME ($(size "$MODEL")) beside the binary in every package"
log "$wheel ($(size "$wheel"), tag py3-none-$platform)"
log "$OUT/$name.tar.gz ($(size "$OUT/$name.tar.gz"))"
log "$deb ($(size "$deb"), Depends: $depends)"
log "$OUT/SHA256SUMS"
