"""The two fixed test graphs of the DNC graph tasks (Graves et al. 2016, Fig. 2b-c):
a symbolic map of the London Underground's zone 1 and an invented family tree.

Both are :class:`FixedGraph` objects: named nodes, named edge types, and
directed edges ``(source, edge type, destination)`` as index arrays. Edge types
are *functional*: no node has two outgoing edges of one type, so following a
sequence of edge types from a node is deterministic (what the traversal and
inference queries need).

London Underground, zone 1 (source: public line maps, simplified)
----------------------------------------------------------------
Twelve line sections, each listed as its zone-1 stations in map order:
Bakerloo (Paddington - Elephant & Castle), Central (Notting Hill Gate -
Liverpool Street), Circle (the whole loop), District (Earl's Court - Aldgate
East), Hammersmith & City (Paddington - Aldgate East), Jubilee (Baker Street -
London Bridge), Metropolitan (Baker Street - Aldgate), Northern line Charing
Cross branch and Bank branch (Euston - Kennington, as two lines), Piccadilly
(Earl's Court - King's Cross St. Pancras), Victoria (King's Cross St. Pancras
- Vauxhall), Waterloo & City. Simplifications, all deliberate:

* Like the paper's map ("zone 1 interchange stations"), only stations served
  by at least two of these lines are nodes; consecutive kept stations on a line
  are joined, so an edge may skip stations served by one line only.
* Each line runs in two directions, each its own edge type ("Central
  eastbound", "Central westbound", ...): 24 edge types. Direction names are map
  directions, not official platform names; the Circle is the pre-2009 loop
  ("clockwise" = eastward along its northern side).
* The Northern line's two branches are two lines, so that no station has two
  successors in one direction; the District line's Edgware Road and
  Kensington (Olympia) branches are left out for the same reason.
* One name, one node: the two Paddington stations are one node; the
  Bakerloo's Edgware Road (a different station from the Circle's) is named
  apart and, served by one line, drops out.

Family tree (invented)
----------------------
Twenty people over four generations (:data:`FAMILY_PEOPLE`), with base
relations mother, father, son, daughter, brother, sister, husband, wife. Every
couple has at most one son and one daughter, so each base relation is a
function (a person has at most one brother, ...) and a composed relation
(:data:`FAMILY_RELATIONS`, e.g. maternal great uncle = mother, mother, mother,
son) names at most one person. Freya's maternal great uncle is Fergus, as in
the paper's Fig. 2c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FixedGraph:
    """A named directed graph with functional edge types.

    nodes: node names (N,); edge_types: edge-type names (K,);
    src, dst: (E,) int64 node indices; edge: (E,) int64 edge-type indices.
    """

    nodes: tuple[str, ...]
    edge_types: tuple[str, ...]
    src: np.ndarray
    edge: np.ndarray
    dst: np.ndarray

    def __post_init__(self) -> None:
        pairs = set(zip(self.src.tolist(), self.edge.tolist(), strict=True))
        if len(pairs) != len(self.src):
            raise ValueError("an edge type leaves some node twice (edge types must be functional)")

    def successor(self, node: int, edge_type: int) -> int | None:
        """The node reached from ``node`` along ``edge_type``, or None."""
        hit = np.flatnonzero((self.src == node) & (self.edge == edge_type))
        return int(self.dst[hit[0]]) if len(hit) else None

    def index(self, name: str) -> int:
        return self.nodes.index(name)


# -- London Underground ---------------------------------------------------------

# (line, direction along the list, opposite direction, stations in map order, loop?)
LONDON_LINES: tuple[tuple[str, str, str, tuple[str, ...], bool], ...] = (
    (
        "Bakerloo",
        "southbound",
        "northbound",
        (
            "Paddington",
            "Edgware Road (Bakerloo)",
            "Marylebone",
            "Baker Street",
            "Regent's Park",
            "Oxford Circus",
            "Piccadilly Circus",
            "Charing Cross",
            "Embankment",
            "Waterloo",
            "Lambeth North",
            "Elephant & Castle",
        ),
        False,
    ),
    (
        "Central",
        "eastbound",
        "westbound",
        (
            "Notting Hill Gate",
            "Queensway",
            "Lancaster Gate",
            "Marble Arch",
            "Bond Street",
            "Oxford Circus",
            "Tottenham Court Road",
            "Holborn",
            "Chancery Lane",
            "St. Paul's",
            "Bank",
            "Liverpool Street",
        ),
        False,
    ),
    (
        "Circle",
        "clockwise",
        "anticlockwise",
        (
            "Edgware Road",
            "Baker Street",
            "Great Portland Street",
            "Euston Square",
            "King's Cross St. Pancras",
            "Farringdon",
            "Barbican",
            "Moorgate",
            "Liverpool Street",
            "Aldgate",
            "Tower Hill",
            "Monument",
            "Cannon Street",
            "Mansion House",
            "Blackfriars",
            "Temple",
            "Embankment",
            "Westminster",
            "St. James's Park",
            "Victoria",
            "Sloane Square",
            "South Kensington",
            "Gloucester Road",
            "High Street Kensington",
            "Notting Hill Gate",
            "Bayswater",
            "Paddington",
        ),
        True,
    ),
    (
        "District",
        "eastbound",
        "westbound",
        (
            "Earl's Court",
            "Gloucester Road",
            "South Kensington",
            "Sloane Square",
            "Victoria",
            "St. James's Park",
            "Westminster",
            "Embankment",
            "Temple",
            "Blackfriars",
            "Mansion House",
            "Cannon Street",
            "Monument",
            "Tower Hill",
            "Aldgate East",
        ),
        False,
    ),
    (
        "Hammersmith & City",
        "eastbound",
        "westbound",
        (
            "Paddington",
            "Edgware Road",
            "Baker Street",
            "Great Portland Street",
            "Euston Square",
            "King's Cross St. Pancras",
            "Farringdon",
            "Barbican",
            "Moorgate",
            "Liverpool Street",
            "Aldgate East",
        ),
        False,
    ),
    (
        "Jubilee",
        "southbound",
        "northbound",
        (
            "Baker Street",
            "Bond Street",
            "Green Park",
            "Westminster",
            "Waterloo",
            "Southwark",
            "London Bridge",
        ),
        False,
    ),
    (
        "Metropolitan",
        "southbound",
        "northbound",
        (
            "Baker Street",
            "Great Portland Street",
            "Euston Square",
            "King's Cross St. Pancras",
            "Farringdon",
            "Barbican",
            "Moorgate",
            "Liverpool Street",
            "Aldgate",
        ),
        False,
    ),
    (
        "Northern (Charing Cross)",
        "southbound",
        "northbound",
        (
            "Euston",
            "Warren Street",
            "Goodge Street",
            "Tottenham Court Road",
            "Leicester Square",
            "Charing Cross",
            "Embankment",
            "Waterloo",
            "Kennington",
        ),
        False,
    ),
    (
        "Northern (Bank)",
        "southbound",
        "northbound",
        (
            "Euston",
            "King's Cross St. Pancras",
            "Angel",
            "Old Street",
            "Moorgate",
            "Bank",
            "London Bridge",
            "Borough",
            "Elephant & Castle",
            "Kennington",
        ),
        False,
    ),
    (
        "Piccadilly",
        "eastbound",
        "westbound",
        (
            "Earl's Court",
            "Gloucester Road",
            "South Kensington",
            "Knightsbridge",
            "Hyde Park Corner",
            "Green Park",
            "Piccadilly Circus",
            "Leicester Square",
            "Covent Garden",
            "Holborn",
            "Russell Square",
            "King's Cross St. Pancras",
        ),
        False,
    ),
    (
        "Victoria",
        "southbound",
        "northbound",
        (
            "King's Cross St. Pancras",
            "Euston",
            "Warren Street",
            "Oxford Circus",
            "Green Park",
            "Victoria",
            "Pimlico",
            "Vauxhall",
        ),
        False,
    ),
    ("Waterloo & City", "eastbound", "westbound", ("Waterloo", "Bank"), False),
)


def london_line_stops(line: str) -> tuple[str, ...]:
    """The kept (interchange) stations of ``line`` in its listed order."""
    counts: dict[str, int] = {}
    for _, _, _, stations, _ in LONDON_LINES:
        for s in set(stations):
            counts[s] = counts.get(s, 0) + 1
    for name, _, _, stations, _ in LONDON_LINES:
        if name == line:
            return tuple(s for s in stations if counts[s] >= 2)
    raise ValueError(f"line {line!r} is not in LONDON_LINES")


def london_underground() -> FixedGraph:
    """Zone-1 interchange stations; one edge type per line and direction (see module doc)."""
    kept = sorted({s for name, *_ in LONDON_LINES for s in london_line_stops(name)})
    edge_types: list[str] = []
    src: list[int] = []
    edge: list[int] = []
    dst: list[int] = []
    for name, forward, backward, _, loop in LONDON_LINES:
        stops = [kept.index(s) for s in london_line_stops(name)]
        if loop:
            stops.append(stops[0])
        for direction, seq in ((forward, stops), (backward, stops[::-1])):
            edge_types.append(f"{name} {direction}")
            for a, b in zip(seq[:-1], seq[1:], strict=True):
                src.append(a)
                edge.append(len(edge_types) - 1)
                dst.append(b)
    return FixedGraph(tuple(kept), tuple(edge_types), np.array(src), np.array(edge), np.array(dst))


# -- family tree ----------------------------------------------------------------

FAMILY_BASE = ("mother", "father", "son", "daughter", "brother", "sister", "husband", "wife")

# name -> (sex, mother, father); None = not in the tree.
FAMILY_PEOPLE: dict[str, tuple[str, str | None, str | None]] = {
    "Arthur": ("m", None, None),
    "Beatrice": ("f", None, None),
    "Donald": ("m", None, None),
    "Edith": ("f", None, None),
    "Fergus": ("m", "Beatrice", "Arthur"),
    "Clara": ("f", "Beatrice", "Arthur"),
    "George": ("m", "Edith", "Donald"),
    "Hilda": ("f", "Edith", "Donald"),
    "Kate": ("f", None, None),
    "Neil": ("m", None, None),
    "Ian": ("m", "Clara", "George"),
    "Jane": ("f", "Clara", "George"),
    "Liam": ("m", "Kate", "Fergus"),
    "Mary": ("f", "Kate", "Fergus"),
    "Oscar": ("m", "Hilda", "Neil"),
    "Peter": ("m", None, None),
    "Rose": ("f", None, None),
    "Freya": ("f", "Jane", "Peter"),
    "Quentin": ("m", "Jane", "Peter"),
    "Sophie": ("f", "Rose", "Ian"),
}

# Couples (husband, wife); the parents above are couples too.
FAMILY_COUPLES: tuple[tuple[str, str], ...] = (
    ("Arthur", "Beatrice"),
    ("Donald", "Edith"),
    ("George", "Clara"),
    ("Fergus", "Kate"),
    ("Neil", "Hilda"),
    ("Peter", "Jane"),
    ("Ian", "Rose"),
)

# Composed relations: name -> sequence of base relations (each at most one person).
FAMILY_RELATIONS: dict[str, tuple[str, ...]] = {
    "maternal grandmother": ("mother", "mother"),
    "maternal grandfather": ("mother", "father"),
    "paternal grandmother": ("father", "mother"),
    "paternal grandfather": ("father", "father"),
    "maternal uncle": ("mother", "brother"),
    "maternal aunt": ("mother", "sister"),
    "paternal uncle": ("father", "brother"),
    "paternal aunt": ("father", "sister"),
    "nephew (brother's son)": ("brother", "son"),
    "niece (sister's daughter)": ("sister", "daughter"),
    "mother-in-law (husband's mother)": ("husband", "mother"),
    "father-in-law (wife's father)": ("wife", "father"),
    "sister-in-law (husband's sister)": ("husband", "sister"),
    "maternal great grandmother": ("mother", "mother", "mother"),
    "maternal great uncle (grandmother's brother)": ("mother", "mother", "brother"),
    "paternal great aunt (grandfather's sister)": ("father", "father", "sister"),
    "maternal cousin (uncle's son)": ("mother", "brother", "son"),
    "paternal cousin (aunt's son)": ("father", "sister", "son"),
    "grandson (son's son)": ("son", "son"),
    "granddaughter (daughter's daughter)": ("daughter", "daughter"),
    "maternal great uncle": ("mother", "mother", "mother", "son"),
    "maternal great aunt": ("mother", "father", "mother", "daughter"),
    "paternal great uncle": ("father", "mother", "mother", "son"),
    "maternal cousin's wife": ("mother", "brother", "son", "wife"),
    "maternal great uncle's wife": ("mother", "mother", "brother", "wife"),
    "maternal uncle's wife's father": ("mother", "brother", "wife", "father"),
    "grandson-in-law (granddaughter's husband)": ("daughter", "daughter", "husband"),
    "great grandchild (daughter's daughter's daughter)": ("daughter", "daughter", "daughter"),
    "maternal great grandfather's grandson": ("mother", "mother", "father", "son", "son"),
    "maternal uncle's daughter's mother": ("mother", "brother", "daughter", "mother"),
    "husband's maternal grandmother": ("husband", "mother", "mother"),
    "husband's paternal aunt's husband": ("husband", "father", "sister", "husband"),
    "wife's brother's daughter's husband": ("wife", "brother", "daughter", "husband"),
    "great grandmother's son's wife": ("mother", "mother", "mother", "son", "wife"),
}


def family_tree() -> FixedGraph:
    """The invented family tree with all base relations as edges (see module doc)."""
    people = tuple(FAMILY_PEOPLE)
    idx = {p: i for i, p in enumerate(people)}
    rel = {r: i for i, r in enumerate(FAMILY_BASE)}
    triples: list[tuple[int, int, int]] = []

    def add(a: str, r: str, b: str) -> None:
        triples.append((idx[a], rel[r], idx[b]))

    for child, (sex, mother, father) in FAMILY_PEOPLE.items():
        for parent, word in ((mother, "mother"), (father, "father")):
            if parent is not None:
                add(child, word, parent)
                add(parent, "son" if sex == "m" else "daughter", child)
    for a in people:
        for b in people:
            pa, pb = FAMILY_PEOPLE[a], FAMILY_PEOPLE[b]
            if a != b and pa[1] is not None and pa[1:] == pb[1:]:
                add(a, "brother" if pb[0] == "m" else "sister", b)
    for husband, wife in FAMILY_COUPLES:
        add(husband, "wife", wife)
        add(wife, "husband", husband)
    s, e, d = (np.array(c) for c in zip(*sorted(triples), strict=True))
    return FixedGraph(people, FAMILY_BASE, s, e, d)


def follow(graph: FixedGraph, node: int, edge_types: tuple[int, ...]) -> int | None:
    """The node reached by following ``edge_types`` from ``node`` (None if it breaks off)."""
    here: int | None = node
    for e in edge_types:
        here = graph.successor(here, e)
        if here is None:
            return None
    return here
