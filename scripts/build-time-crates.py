#!/usr/bin/env python3
"""Prints the `[profile.dev.package]` lines that build compile-time-only crates at opt-level 0.

Cargo.toml builds every dependency at opt-level 2 (`package."*"`), because FRAME, sp-trie,
RocksDB and arkworks are unusably slow unoptimised. That glob also catches the crates that only
run inside the compiler: proc-macros (FRAME's, serde's, SCALE's derives), their parsers (syn,
quote, proc-macro2) and build-script helpers (bindgen, cc). Optimising them costs much more
compile time than it saves in macro expansion (BENCHMARKS.md, "Build and CI"), and cargo's
`build-override` cannot undo it: `package."*"` takes precedence over it. A per-name entry can.

A crate is listed when no workspace crate reaches it through normal or dev dependencies except
through a proc-macro (syn, quote and proc-macro2 are also reached through macro_magic, a normal
dependency of frame-support that only re-exports macros; they are listed too). Run it after a
dependency change and paste its output over the list in Cargo.toml:

    python3 scripts/build-time-crates.py
"""
import json
import subprocess
import sys

# Normal dependencies that run no code of theirs at run time: macro_magic re-exports
# proc-macros, and it is what pulls the parsers into the normal graph.
ALSO = {"syn", "quote", "proc-macro2", "macro_magic"}

meta = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
)
name = {p["id"]: p["name"] for p in meta["packages"]}
proc_macros = {
    p["id"]
    for p in meta["packages"]
    if any("proc-macro" in t["kind"] for t in p["targets"])
}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}

run_time = set()
stack = list(meta["workspace_members"])
while stack:
    pkg = stack.pop()
    if pkg in run_time:
        continue
    run_time.add(pkg)
    for dep in nodes[pkg]["deps"]:
        kinds = {k["kind"] for k in dep["dep_kinds"]}
        if kinds & {None, "dev"} and dep["pkg"] not in proc_macros:
            stack.append(dep["pkg"])

run_time_names = {name[p] for p in run_time} - ALSO
members = {name[p] for p in meta["workspace_members"]}
build_only = sorted(({name[p] for p in nodes} - run_time_names - members) | ALSO)
# Windows-only crates never build here; leaving them out keeps cargo from warning that
# the profile names a package it does not build.
build_only = [
    n
    for n in build_only
    if not n.startswith("win") and n not in {"vcpkg", "find-msvc-tools", "jni-sys-macros"}
]
for n in build_only:
    print(f'{n} = {{ opt-level = 0 }}')
print(f"{len(build_only)} crates", file=sys.stderr)
