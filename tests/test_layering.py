"""temvp's modules form layers: no import cycle, function-level imports included (they hide cycles at import
time but still tie the modules together)."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "temvp"


def imports(path):
    "The temvp modules that `path` imports anywhere in its body."
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("temvp.")}
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 1 and not mod:          # from . import x
                out |= {a.name for a in node.names}
            elif node.level == 1:                    # from .x import y
                out.add(mod.split(".")[0])
            elif mod.startswith("temvp."):           # from temvp.x import y
                out.add(mod.split(".")[1])
            elif mod == "temvp":                     # from temvp import x
                out |= {a.name for a in node.names}
    return out


def graph():
    mods = {p.stem for p in PKG.glob("*.py") if not p.stem.startswith("__")}
    return {m: sorted((imports(PKG / f"{m}.py") & mods) - {m}) for m in mods}


def cycles(g):
    "Strongly connected components of more than one module (Tarjan)."
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]; n[0] += 1
        stack.append(v); on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_the_checker_finds_a_cycle():
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]


def test_no_import_cycle_in_temvp():
    g = graph()
    found = cycles(g)
    assert not found, "import cycles (function-level imports included): " + "; ".join(
        " <-> ".join(c) + " (" + ", ".join(f"{m} -> {[d for d in g[m] if d in c]}" for m in c) + ")" for c in found)
