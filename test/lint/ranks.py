#!/usr/bin/env python3
"""The layers of src/, as the build should see them: each folder has a rank (ranks.txt,
the one place they are written), and a quoted include may only name a folder of lower
rank. Prints the folder-level include graph's cycles, and fails on an upward include that
ranks.debt does not list. ranks.debt is the list of upward includes the tree still has,
each one a debt to pay (docs/architecture.md, "Layers"); it may only shrink: an entry that
is no longer in the tree is reported so that it is removed.

Usage: ranks.py SOURCE_ROOT [--graph]"""

import collections
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-")
                    else pathlib.Path(__file__).parents[2])
lint = root / "test/lint"


def entries(path):
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            yield line


rank = {}
for line in entries(lint / "ranks.txt"):
    r, _, folders = line.partition(":")
    for f in folders.split():
        rank[f] = int(r)


def folder(path):
    """The ranked folder a path under src/ (or an include path) belongs to."""
    parts = path.split("/")
    for n in range(len(parts) - 1, 0, -1):
        f = "/".join(parts[:n])
        if f in rank:
            return f
    return None


debt = set(entries(lint / "ranks.debt"))
found = set()
graph = collections.defaultdict(set)
bad = []
for path in sorted(list((root / "src").rglob("*.cc")) + list((root / "src").rglob("*.h"))):
    rel = str(path.relative_to(root / "src"))
    src = folder(rel)
    if src is None:
        bad.append(f"ranks: src/{rel} is in no ranked folder (ranks.txt)")
        continue
    for m in re.finditer(r'^#include "((?:core|drivers|host|api)/[^"]+)"', path.read_text(), re.M):
        dst = folder(m.group(1))
        if dst is None or dst == src:
            continue
        graph[src].add(dst)
        if rank[dst] >= rank[src]:
            key = f"src/{rel} -> {m.group(1)}"
            found.add(key)
            if key not in debt:
                bad.append(f"ranks: {key}: {src} (rank {rank[src]}) may not include {dst} (rank {rank[dst]})")

# Cycles among folders (Tarjan's strongly connected components).
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]


def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in graph.get(v, ()):
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))


sys.setrecursionlimit(10000)
for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
    if v not in index:
        strong(v)

if "--graph" in sys.argv:
    for v in sorted(graph):
        print(f"{v} ({rank[v]}) -> " + " ".join(sorted(graph[v])))
for c in sccs:
    print("ranks: include cycle among " + ", ".join(c))
print(f"ranks: {len(found)} upward includes left in ranks.debt")
for key in sorted(debt - found):
    bad.append(f"ranks: ranks.debt lists '{key}', which the tree no longer has: remove it")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
