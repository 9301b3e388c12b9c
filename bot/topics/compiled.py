"""A topic query compiled to one Python function: the index tests hundreds of queries against
every paper of a listing, and walking each query's tree (a method call per node) was most of
the time (benchmarks/bench_topics.py). The function does what the tree's `matches` does, hits
included, in straight-line code over the paper's sets; the tree stays the definition
(tests/unit/test_topic_query.py checks both agree on random queries)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from itertools import count

from bot.topics.nodes import All, Any_, Category, Node, Not, Phrase
from bot.topics.text import PaperText

Matcher = Callable[[PaperText], "tuple[str, ...] | None"]


@lru_cache(maxsize=1 << 16)
def compile_query(root: Node) -> Matcher:
    """The function `paper -> terms that matched (None: no match)` of the query `root`.

    Cached by the tree (the nodes are frozen, so equal queries hash alike): the poll parses
    every topic follow each cycle, and generating and compiling 10,000 functions takes about
    a second, once."""
    names = count()
    lines = [
        "def match(paper):",
        "    v, pr, c, a = paper.vocabulary, paper.pairs, paper.categories, paper.archives",
        "    hits = []",
    ]
    result = _emit(root, "hits", lines, 1, names)
    lines += [f"    return tuple(dict.fromkeys(hits)) if {result} else None"]
    scope: dict[str, object] = {}
    exec(compile("\n".join(lines), "<topic query>", "exec"), scope)
    return scope["match"]  # type: ignore[return-value]


def _emit(node: Node, hits: str, lines: list[str], depth: int, names: count[int]) -> str:
    """Append the statements that evaluate `node` (its hits into list `hits`); returns the
    name of the variable holding whether it matched. Every literal is written with `repr`."""
    pad = "    " * depth
    result = f"r{next(names)}"
    if isinstance(node, Phrase):
        words = node.words
        if len(words) == 1:
            test = f"{words[0]!r} in v"
        elif len(words) == 2:
            test = f"{words!r} in pr"
        else:
            test = f"paper.has_phrase({words!r})"
        lines += [
            f"{pad}{result} = {test}",
            f"{pad}if {result}: {hits}.append({' '.join(words)!r})",
        ]
    elif isinstance(node, Category):
        where = "a" if node.archive else "c"
        lines += [
            f"{pad}{result} = {node.code!r} in {where}",
            f"{pad}if {result}: {hits}.append({'cat:' + node.code!r})",
        ]
    elif isinstance(node, Not):
        scratch = f"t{next(names)}"
        lines.append(f"{pad}{scratch} = []")
        inner = _emit(node.child, scratch, lines, depth, names)
        lines.append(f"{pad}{result} = not {inner}")
    elif isinstance(node, All):
        found = f"t{next(names)}"
        lines += [f"{pad}{result} = False", f"{pad}{found} = []"]
        inner_depth = depth
        for index, child in enumerate(node.children):
            matched = _emit(child, found, lines, inner_depth, names)
            lines.append(f"{'    ' * inner_depth}if {matched}:")
            inner_depth += 1
            if index == len(node.children) - 1:
                lines += [
                    f"{'    ' * inner_depth}{result} = True",
                    f"{'    ' * inner_depth}{hits}.extend({found})",
                ]
    elif isinstance(node, Any_):
        lines.append(f"{pad}{result} = False")
        for child in node.children:
            matched = _emit(child, hits, lines, depth, names)
            lines.append(f"{pad}{result} = {result} or {matched}")
    else:  # pragma: no cover - the parser makes no other node
        raise TypeError(f"unknown query node {node!r}")
    return result
