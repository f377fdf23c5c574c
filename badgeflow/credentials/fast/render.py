"""Generated Python for one template: canonical N-Quads from slot values in straight-line code.

A template's quads are known up to their slot values and blank-node labels, so most of their
canonical order is too. The generated function builds each quad with one f-string, hashes each
blank node's quads (RDFC-1.0 first degree), labels the nodes, and sorts only what the values
can reorder:

* lines with one subject are ordered by their constant text wherever it decides (a *cluster*
  of lines whose constant prefixes are prefixes of one another is sorted at run time);
* subject groups are ordered by their subject (``<iri> `` or ``_:c14nK ``), sorted at run time;
  when two groups' subjects are equal or one is a prefix of the other, every line is sorted.

The function returns None where the reference must decide (equal first-degree hashes, quads
with blank nodes made equal by their values). ``Pattern`` parts are constant text,
``("slot", slot id, kind)`` or ``("node", node)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from pyld.jsonld import _canonicalize_double

from badgeflow.credentials.proof import _RDFC_ESCAPE_RE, _rdfc_escape

__all__ = ["IRI", "STRING", "INTEGER", "DOUBLE", "generate"]

IRI, STRING, INTEGER, DOUBLE = 0, 1, 2, 3
_LABELS: Final = tuple(f"_:c14n{rank}" for rank in range(4096))
Pattern = list[Any]
Renderer = Callable[[Sequence[Any]], "str | None"]


_ESCAPED: Final[dict[str, str]] = {}
_ESCAPED_MAX: Final = 4096


def _escape(value: str) -> str:
    """RDFC-1.0 literal escaping, remembered: such texts (narratives ...) repeat in a batch."""
    escaped = _rdfc_escape(value) if _RDFC_ESCAPE_RE.search(value) else value
    if len(_ESCAPED) >= _ESCAPED_MAX:
        _ESCAPED.clear()
    _ESCAPED[value] = escaped
    return escaped


def _resort(bodies: Iterable[str]) -> str:
    """Every line of these bodies, each once, in code point order (the general case)."""
    lines = "".join(bodies).split("\n")[:-1]
    return "".join(sorted({line + "\n" for line in lines}))


def _number(kind: int, value: Any) -> str:
    if kind == INTEGER:
        return str(int(value))
    return str(_canonicalize_double(float(value)))


def _literal(text: str) -> str:
    """A Python f-string literal holding ``text`` verbatim."""
    return "f" + repr(text.replace("{", "{{").replace("}", "}}"))


def _source(parts: Pattern, view: int | None, node_var: str = "b") -> tuple[str, str]:
    """Return (f-string source of the line, its constant text up to the first variable)."""
    pieces: list[str] = []
    prefix: list[str] = []
    variable = False

    def const(text: str) -> None:
        pieces.append(_literal(text))
        if not variable:
            prefix.append(text)

    for part in parts:
        if isinstance(part, str):
            const(part)
        elif part[0] == "slot":
            quote = "" if part[2] == IRI else '"'
            const("<" if part[2] == IRI else quote)
            pieces.append(f"f'{{x{part[1]}}}'")
            variable = True
            const(">" if part[2] == IRI else quote)
        elif view is not None:
            const("_:a" if part[1] == view else "_:z")
        else:
            pieces.append(f"f'{{{node_var}{part[1]}}}'")
            variable = True
    return " ".join(pieces), "".join(prefix)


def _clusters(prefixes: list[str]) -> list[list[int]]:
    """Group line indexes into runs whose order their constant prefixes cannot decide.

    Sorted by prefix, a line joins the current run when its prefix starts with the run's
    first prefix; lines in different runs then compare as their prefixes do.
    """
    order = sorted(range(len(prefixes)), key=prefixes.__getitem__)
    runs: list[list[int]] = []
    for index in order:
        if runs and prefixes[index].startswith(prefixes[runs[-1][0]]):
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def _body(sources: list[str], prefixes: list[str], dedupe: Sequence[bool]) -> str:
    """Source of an expression joining these lines in canonical order.

    Consecutive lines in a fixed order become one f-string; a cluster is sorted at run time
    (as a set where its lines can coincide: an RDF dataset holds each quad once).
    """
    segments: list[str] = []
    static: list[str] = []
    for run in _clusters(prefixes):
        if len(run) == 1:
            static.append(sources[run[0]])
            continue
        if static:
            segments.append(" ".join(static))
            static = []
        items = ", ".join(sources[index] for index in run)
        bag = f"{{{items}}}" if any(dedupe[index] for index in run) else f"({items})"
        segments.append(f"_join(sorted({bag}))")
    if static:
        segments.append(" ".join(static))
    if not segments:
        return "''"
    return segments[0] if len(segments) == 1 else f"_join(({', '.join(segments)},))"


def generate(
    quads: list[tuple[Pattern, Any]],
    slots: dict[tuple[int, int], int],
    n_nodes: int,
) -> tuple[Renderer, str]:
    """Return the canonical-form function of a template and its source.

    Args:
        quads: each quad's parts and its skeleton (equal skeletons: the quads can coincide).
        slots: slot id of each (value index, kind).
        n_nodes: how many blank nodes the quads hold.
    """
    lines = ["def canonical(v):"]
    emit = lines.append
    for (index, kind), slot in sorted(slots.items(), key=lambda item: item[1]):
        if kind in (IRI, STRING):
            value = f"v[{index}]"
            if kind == STRING:  # escaped texts are remembered: narratives repeat
                value = f"_escaped({value}) or _escape({value})"
            emit(f"    x{slot} = {value}")
        else:
            emit(f"    x{slot} = _number({kind}, v[{index}])")
    skeletons: dict[Any, list[int]] = {}
    for number, (_, skeleton) in enumerate(quads):
        skeletons.setdefault(skeleton, []).append(number)
    twins = {number for group in skeletons.values() if len(group) > 1 for number in group}
    linked = [any(isinstance(p, tuple) and p[0] == "node" for p in parts) for parts, _ in quads]
    if n_nodes:
        # Quads with blank nodes that coincide count once in the reference's hashes.
        for group in skeletons.values():
            if len(group) > 1 and linked[group[0]]:
                fixed = ", ".join(_source(quads[n][0], None, "_n")[0] for n in group)
                emit(f"    if len({{{fixed}}}) != {len(group)}: return None")
        for node in range(n_nodes):
            block = [parts for parts, _ in quads if ("node", node) in parts]
            sources = [_source(parts, node) for parts in block]
            body = _body(
                [source for source, _ in sources],
                [prefix for _, prefix in sources],
                [False] * len(block),
            )
            emit(f"    h{node} = _sha256(({body}).encode()).hexdigest()")
        hashes = ", ".join(f"h{node}" for node in range(n_nodes))
        emit(f"    hs = ({hashes},)")
        emit(f"    if len(set(hs)) != {n_nodes}: return None")
        emit("    rank = {h: r for r, h in enumerate(sorted(hs))}")
        for node in range(n_nodes):
            emit(f"    b{node} = _LABELS[rank[h{node}]]")
    groups: dict[Any, list[int]] = {}
    for number, (parts, _) in enumerate(quads):
        subject = parts[0]
        groups.setdefault(subject if isinstance(subject, str) else subject[:2], []).append(number)
    entries: list[str] = []
    for subject, members in groups.items():
        if isinstance(subject, str):
            head = repr(subject + " ")
        elif subject[0] == "slot":
            head = f"'<' + x{subject[1]} + '> '"
        else:
            head = f"b{subject[1]} + ' '"
        # Within a group the shared subject is no longer part of the ordering.
        body = _body(
            [_source(quads[n][0], None)[0] for n in members],
            [_rest(quads[n][0]) for n in members],
            [n in twins for n in members],
        )
        emit(f"    g{len(entries)} = {body}")
        entries.append(f"{head}: g{len(entries)}")
    # Groups sort by their subject unless two subjects are equal or one prefixes another.
    emit(f"    groups = {{{', '.join(entries)}}}")
    emit("    heads = sorted(groups)")
    emit(f"    if len(heads) != {len(groups)} or any(map(str.startswith, heads[1:], heads)):")
    bodies = "".join(f"g{number}, " for number in range(len(entries)))
    emit(f"        return _resort(({bodies}))")
    emit("    return _join(map(groups.__getitem__, heads))")
    source = "\n".join(lines) + "\n"
    namespace: dict[str, Any] = {
        "_join": "".join,
        "_needs": _RDFC_ESCAPE_RE.search,
        "_escape": _escape,
        "_escaped": _ESCAPED.get,
        "_resort": _resort,
        "_number": _number,
        "_sha256": hashlib.sha256,
        "_LABELS": _LABELS,
    }
    namespace.update({f"_n{node}": f"_:n{node}" for node in range(n_nodes)})
    exec(compile(source, "<badgeflow.fast.template>", "exec"), namespace)
    return namespace["canonical"], source


def _rest(parts: Pattern) -> str:
    """Constant text of a line after its subject, up to its first variable part."""
    return _source(parts[1:], None)[1]
