#!/usr/bin/env bash
# Tidies every module's go.mod and go.sum. The repository's modules
# require each other at the version being released (docs/modules.md),
# which is not published yet while it is being developed, so a plain
# `go mod tidy` outside the workspace cannot fetch it: this points each
# module at the working tree for the tidy, with temporary replace
# directives, and removes them again. Run it after changing a module's
# requirements; TestModulesGoGettable checks the result.
set -euo pipefail
cd "$(dirname "$0")/.."
root=github.com/go-supervisor/supervisor
mapfile -t dirs < <(go list -m -f '{{.Dir}}' | sed "s|^$PWD/\{0,1\}||")
# On any failure, put back the go.mod being tidied.
restore() { for d in "${dirs[@]}"; do [ -f "${d:-.}/go.mod.orig" ] && mv "${d:-.}/go.mod.orig" "${d:-.}/go.mod"; done; true; }
trap restore EXIT
replaces=()
for d in "${dirs[@]}"; do
  if [ -z "$d" ]; then replaces+=("-replace=$root=ROOT"); else replaces+=("-replace=$root/$d=ROOT/$d"); fi
done
for pass in 1 2; do # twice: a module's tidy reads the go.mod of the modules it requires
  for d in "${dirs[@]}"; do
    dir=${d:-.}
    rel=$(realpath --relative-to="$dir" .)
    args=("${replaces[@]//ROOT/$rel}")
    cp "$dir/go.mod" "$dir/go.mod.orig"
    go mod edit "${args[@]}" "$dir/go.mod"
    # only the replacements of modules this one requires stay in effect
    (cd "$dir" && GOWORK=off GOFLAGS=-mod=mod go mod tidy)
    for a in "${args[@]}"; do
      old=${a#-replace=}; old=${old%%=*}
      go mod edit -dropreplace="$old" "$dir/go.mod"
    done
    rm "$dir/go.mod.orig"
  done
done
echo "tidied ${#dirs[@]} modules"
