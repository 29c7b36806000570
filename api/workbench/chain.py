"""The chain of a trace as one graph: the union of its findings' chains,
nodes placed in layers (matter, territory and handling, organs, teams, posts,
persons, divisions of duties) so it reads top down as the regulation does:
territory -> organs -> teams -> posts -> persons -> divisions of duties, with
vertical management lines between organs. The same positions draw the graph in
the browser (Cytoscape.js, preset layout) and in the PDF."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from zeren.graph.model import ENUMS
from zeren.rules.findings import Finding

LAYER = {"PetitionMatter": 0, "Failure": 0, "Territory": 1, "HandlingStep": 1, "Decision": 1, "Institution": 2,
         "LeadershipTeam": 3, "Post": 4, "Person": 5, "Division": 6}
OTHER_LAYER = 6
COLUMN_WIDTH = 190
ROW_HEIGHT = 110

# Page a node opens (None: it has no page of its own).
PAGES = {"PetitionMatter": "/matter/{}", "Person": "/person/{}", "Institution": "/institution/{}",
         "Territory": "/?territory={}", "Failure": "/failure/{}"}

LABEL_ZH = {"PetitionMatter": "信访事项", "Failure": "失职失责", "Territory": "行政区域", "HandlingStep": "办理环节",
            "Decision": "决策", "Institution": "机关单位", "LeadershipTeam": "领导班子", "Post": "职务",
            "Person": "人员", "Division": "分工"}


@dataclass
class Graph:
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def elements(self) -> list[dict[str, Any]]:
        """Cytoscape.js elements, nodes with preset positions."""
        return ([{"group": "nodes", "data": n, "position": {"x": n["x"], "y": n["y"]}} for n in self.nodes.values()]
                + [{"group": "edges", "data": e} for e in self.edges.values()])


def _key(label: str, node_id: str) -> str:
    return f"{label}:{node_id}"


def _subjects(codes: str) -> str:
    """A division of duties named by its subjects' codes, in Chinese."""
    names = ENUMS["Subject"].values
    return "、".join(names[c].zh if c in names else c for c in (x.strip() for x in codes.split(",")))


def build(findings: Iterable[Finding]) -> Graph:
    g = Graph()
    for f in findings:
        ids = {n.id: _key(n.label, n.id) for n in f.chain.nodes}
        for n in f.chain.nodes:
            k = _key(n.label, n.id)
            if k not in g.nodes:
                page = PAGES.get(n.label)
                g.nodes[k] = {"id": k, "key": n.id, "label": n.label, "kind": LABEL_ZH.get(n.label, n.label),
                              "name": _subjects(n.name) if n.label == "Division" else n.name,
                              "href": page.format(n.id) if page else ""}
        for r in f.chain.relationships:
            s, e = ids.get(r.start), ids.get(r.end)
            if s and e:
                g.edges.setdefault((s, r.type, e), {"id": f"{s}-{r.type}-{e}", "source": s, "target": e,
                                                    "type": r.type})
    place(g)
    return g


def place(g: Graph) -> None:
    """Layers top down; within a layer, each node under the mean position of
    its neighbours already placed above it (fewer crossing lines), then by name."""
    rows: dict[int, list[dict[str, Any]]] = {}
    for n in sorted(g.nodes.values(), key=lambda n: (n["label"], n["name"], n["key"])):
        rows.setdefault(LAYER.get(n["label"], OTHER_LAYER), []).append(n)
    neighbours: dict[str, list[str]] = {}
    for e in g.edges.values():
        neighbours.setdefault(e["source"], []).append(e["target"])
        neighbours.setdefault(e["target"], []).append(e["source"])
    placed: dict[str, float] = {}
    for layer in sorted(rows):
        def above(n: dict[str, Any]) -> float:
            xs = [placed[m] for m in neighbours.get(n["id"], []) if m in placed]
            return sum(xs) / len(xs) if xs else 0.0
        nodes = sorted(rows[layer], key=above)  # stable: name order among equals
        width = (len(nodes) - 1) * COLUMN_WIDTH
        for i, n in enumerate(nodes):
            n["x"], n["y"] = i * COLUMN_WIDTH - width / 2, layer * ROW_HEIGHT
        placed.update({n["id"]: n["x"] for n in nodes})
