#!/usr/bin/env python3
"""Print and check the project's include graph.

Why: the layering (base < store, experiments < workers < cli; base is experiments/base, the
utilities that know nothing of experiments) lives only in people's heads, and
include cycles creep in one harmless-looking #include at a time. This makes the layering visible
and lets a check fail when an include points upward or a cycle of files appears.

  --folders       folder graph, "from -> to  (N includes)" (the default; self-edges left out)
  --cycles        cycles of file pairs (x.h + x.cc are one node) and cycles of folders
  --check         exit 1 on any include that goes against the layering, with file:line
  --check-cycles  exit 1 if there is any cycle of file pairs
  --dot           the folder graph in Graphviz dot

Scans .h/.cc under store, experiments, workers, cli; tests/ and bench/ may
include anything and are not scanned. Standard library only.
"""
import argparse
import collections
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCANNED = ["store", "experiments", "workers", "cli"]
EXP_SUBDIRS = ["data", "models", "tasks", "device", "memory"]
EXP = ["experiments"] + ["experiments/" + d for d in EXP_SUBDIRS]
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')

# What each folder may include besides itself. A folder missing here (cli) may include anything.
# store and experiments are peers: neither knows the other, both sit on base.
ALLOWED = {
    "base": set(),
    "store": {"base"},
    "experiments": {"base", *EXP},
    "experiments/device": {"base", *EXP},
    "experiments/memory": {"base", *EXP},
    "experiments/tasks": {"base", *EXP},
    "experiments/models": {"base", *EXP} - {"experiments/tasks"},
    "experiments/data": {"base", *EXP} - {"experiments/tasks", "experiments/models"},
    "workers": {"base", "store", *EXP},
}


def skipped(d):
    return d.startswith("build") or d in ("node_modules", "tests", "bench") or d.startswith(".")


def folder(path):
    """The graph's folder of a path: the top-level folder, experiments/<sub>, or base."""
    parts = path.split("/")
    if parts[:2] == ["experiments", "base"]:
        return "base"
    if parts[0] == "experiments" and len(parts) > 2 and parts[1] in EXP_SUBDIRS:
        return "experiments/" + parts[1]
    return parts[0]


def resolve(src, name):
    """Repo-relative path of a quoted include, or None if it is not a project file.
    Like the compiler, the including file's own directory is tried before the repo root."""
    for base in (os.path.dirname(src), ""):
        path = os.path.normpath(os.path.join(base, name))
        if not path.startswith("..") and not skipped(path.split("/")[0]) \
                and os.path.isfile(os.path.join(ROOT, path)):
            return path
    return None


def scan():
    """Returns (files, edges); an edge is (src, line number, dst), all paths repo-relative."""
    files, edges = [], []
    for top in SCANNED:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = sorted(d for d in dirnames if not skipped(d))
            for name in sorted(filenames):
                if not name.endswith((".h", ".cc")):
                    continue
                src = os.path.relpath(os.path.join(dirpath, name), ROOT)
                files.append(src)
                with open(os.path.join(ROOT, src), encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        dst = m and resolve(src, m.group(1))
                        if dst:
                            edges.append((src, lineno, dst))
    return files, edges


def sccs(graph):
    """Strongly connected components with more than one node (iterative Tarjan, so deep include
    chains cannot hit Python's recursion limit)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        work.append((v, iter(sorted(graph.get(v, ())))))

    for root in sorted(set(graph) | {v for vs in graph.values() for v in vs}):
        if root in index:
            continue
        work = []
        visit(root)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:  # v roots a component: pop it off the stack
                    comp = stack[stack.index(v):]
                    del stack[stack.index(v):]
                    on_stack.difference_update(comp)
                    if len(comp) > 1:
                        out.append(sorted(comp))
            elif w not in index:
                visit(w)
            elif w in on_stack:
                low[v] = min(low[v], index[w])
    return sorted(out)


def folder_counts(edges):
    counts = collections.Counter((folder(s), folder(d)) for s, _, d in edges)
    return {k: n for k, n in sorted(counts.items()) if k[0] != k[1]}


def pair_cycles(edges):
    # A header and its .cc are one node: x.cc including y.h while y.h includes x.h is a cycle
    # even though no single file includes itself.
    graph = collections.defaultdict(set)
    for s, _, d in edges:
        if os.path.splitext(s)[0] != os.path.splitext(d)[0]:
            graph[os.path.splitext(s)[0]].add(os.path.splitext(d)[0])
    return sccs(graph)


def print_cycles(edges):
    cycles = pair_cycles(edges)
    print(f"{len(cycles)} cycle(s) of file pairs (x.h + x.cc as one node):")
    for comp in cycles:
        members = set(comp)
        print(f"  {len(comp)} pairs: " + " <-> ".join(comp))
        # The includes that hold the cycle together, so one knows which to cut.
        for s, line, d in edges:
            a, b = os.path.splitext(s)[0], os.path.splitext(d)[0]
            if a in members and b in members and a != b:
                print(f"      {s}:{line} -> {d}")
    graph = collections.defaultdict(set)
    for a, b in folder_counts(edges):
        graph[a].add(b)
    folder_sccs = sccs(graph)
    print(f"{len(folder_sccs)} folder cycle(s):")
    for comp in folder_sccs:
        print("  " + " <-> ".join(comp))


def check(edges):
    bad = [(s, line, d) for s, line, d in edges
           if folder(s) != folder(d) and folder(s) in ALLOWED
           and folder(d) not in ALLOWED[folder(s)]]
    for s, line, d in bad:
        print(f"{s}:{line}: includes {d}  ({folder(s)} may not include {folder(d)})")
    return bad


def print_dot(edges):
    print("digraph includes {\n  rankdir=BT;\n  node [shape=box];")
    for (a, b), n in folder_counts(edges).items():
        print(f'  "{a}" -> "{b}" [label="{n}"];')
    print("}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for flag in ("folders", "cycles", "check", "check-cycles", "dot"):
        p.add_argument("--" + flag, action="store_true")
    args = p.parse_args()
    files, edges = scan()
    if not (args.cycles or args.check or args.check_cycles or args.dot):
        args.folders = True
    status = 0
    if args.folders:
        for (a, b), n in folder_counts(edges).items():
            print(f"{a} -> {b}  ({n} includes)")
    if args.cycles:
        print_cycles(edges)
    if args.dot:
        print_dot(edges)
    if args.check:
        if check(edges):
            status = 1
        else:
            print(f"layering holds: {len(files)} files, {len(edges)} includes")
    if args.check_cycles:
        cycles = pair_cycles(edges)
        for comp in cycles:
            print("cycle: " + " <-> ".join(comp))
        if cycles:
            status = 1
        else:
            print(f"no include cycles: {len(files)} files, {len(edges)} includes")
    return status


if __name__ == "__main__":
    sys.exit(main())
