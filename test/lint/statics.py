#!/usr/bin/env python3
"""Mutable state shared by every instance of a process: namespace-scope and
function-static objects in src/core and src/drivers that are not constant.

Instances of libuml in one process share nothing (docs/design.md): what a kernel keeps
lives in its Kernel object. A process-wide object that must stay (a thread's current
task, the RCU domain...) is listed in statics.allow with the reason, one per line as
"path: name  # why". Usage: statics.py SOURCE_ROOT."""

import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2])
allow = {}
for line in (root / "test/lint/statics.allow").read_text().splitlines():
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    entry, _, why = line.partition("#")
    path, _, name = entry.strip().partition(":")
    if not why.strip():
        sys.exit(f"statics: {line!r} gives no reason")
    allow[(path.strip(), name.strip())] = why.strip()

# A declaration whose name follows a type: "static std::atomic<int> g{0};",
# "thread_local Task* t_cur = nullptr;", "SpinLock g_lock;".
DECL = re.compile(r"^(?P<indent>\s*)(?P<quals>(?:static\s+|thread_local\s+|inline\s+)*)"
                  r"(?P<type>[A-Za-z_][\w:]*(?:<[^;()]*>)?(?:\s*[*&])*)\s+(?:\w+::)*(?P<name>[A-Za-z_]\w*)"
                  r"\s*(?:\[[^\]]*\])?\s*(?:__attribute__\(\(.*?\)\)\s*)?(?:=[^;]*|\{[^;]*\})?;\s*(?://.*)?$")
NOT_TYPES = {"return", "using", "typedef", "goto", "delete", "throw", "case", "friend", "class", "struct",
             "enum", "union", "namespace", "template", "co_return", "else", "do", "extern", "public", "private",
             "protected"}
CONSTISH = re.compile(r"\b(constexpr|const|constinit\s+const)\b")

found = []
for path in sorted(list((root / "src/core").rglob("*.cc")) + list((root / "src/core").rglob("*.h")) +
                   list((root / "src/drivers").rglob("*.cc")) + list((root / "src/drivers").rglob("*.h"))):
    rel = str(path.relative_to(root))
    depth = 0  # brace depth outside namespaces: 0 is namespace scope
    scopes = []  # for each open brace: is it a namespace's?
    in_comment = False
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw
        if in_comment:
            if "*/" not in line:
                continue
            line = line.split("*/", 1)[1]
            in_comment = False
        line = re.sub(r"/\*.*?\*/", "", line)
        if "/*" in line:
            line, in_comment = line.split("/*", 1)[0], True
        code = re.sub(r"//.*", "", line)
        code = re.sub(r'"(\\.|[^"\\])*"', '""', code)
        code = re.sub(r"'(\\.|[^'\\])*'", "''", code)
        at_namespace_scope = all(scopes)
        m = DECL.match(code)
        if m and m.group("type") not in NOT_TYPES and not CONSTISH.search(code.split("=")[0].split("{")[0]):
            quals = m.group("quals")
            in_function = not at_namespace_scope
            head = re.sub(r"__attribute__\(\(.*?\)\)", "", code).split("=")[0]
            if (at_namespace_scope and "(" not in head) or (in_function and "static" in quals) \
                    or "thread_local" in quals:
                # A class member (indented under a struct/class) is not a static object.
                if at_namespace_scope or "static" in quals or "thread_local" in quals:
                    if not (at_namespace_scope is False and "static" not in quals and "thread_local" not in quals):
                        found.append((rel, m.group("name"), n, raw.strip()))
        for pos, ch in enumerate(code):
            if ch == "{":
                before = re.split(r"[{};]", code[:pos])[-1]
                scopes.append(bool(re.search(r"\bnamespace\b", before)) or bool(re.search(r"\bextern\s+\"\"", before)))
            elif ch == "}" and scopes:
                scopes.pop()

bad = [f for f in found if (f[0], f[1]) not in allow]
stale = [k for k in allow if not any((f[0], f[1]) == k for f in found)]
for rel, name, n, text in bad:
    print(f"statics: {rel}:{n}: {name} is mutable state every instance shares: {text}")
for rel, name in stale:
    print(f"statics: statics.allow lists {rel}: {name}, which is no longer there")
sys.exit(1 if bad or stale else 0)
