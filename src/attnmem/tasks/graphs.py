"""Graph reasoning tasks of the Differentiable Neural Computer paper (Graves et al.
2016, Nature 538, "Graph experiments" and Methods "Graph task descriptions",
"Random graph generation", "Structured prediction", "Curriculum learning"):
traversal, shortest path and inference on random graphs, tested on a map of the
London Underground and on a family tree (:mod:`attnmem.tasks.graph_data`).

Encoding (as the paper's Methods)
---------------------------------
Every label (node, edge or relation) is a number in ``[0, 999]`` written as
three decimal digits, each a 10-way one-hot vector: 30 units. The blank label
``_`` is all zeros. A triple (source, edge, destination) is 90 units. Inputs
are 92 wide: the triple plus two flags, ``query`` (on during the query phase)
and ``answer`` (on throughout the answer phase, when predictions are
required). Outputs are 90 wide: nine softmax groups of 10, one per digit;
:attr:`Batch.targets` holds the target digits one-hot (B, T, 90). The loss is
the paper's: the negative log-probability of every target digit, summed over
the nine digits and the answer steps (mask), averaged over the batch.

Sequence layout (``T = D + Q + P + A``), one query per graph
--------------------------------------------------------------
* ``D`` description steps: the graph's triples, one per step, in random order
  (padded to the batch's largest graph with blank steps, no flags);
* ``Q`` query steps (``query`` flag): traversal ``(start, e1, _)``, then
  ``(_, e_i, _)`` for the other edges of the path; shortest path
  ``(source, _, destination)``; inference ``(start, relation, _)``; padded to
  the batch's longest query with blank steps that keep the flag;
* ``P`` planning steps, blank, no flags (config ``planning_steps``; the paper
  gave 10 for shortest path and inference, none for traversal);
* ``A`` answer steps (``answer`` flag): the targets are the answer triples
  followed by the *termination triple* ``(999, 999, 999)`` (the paper's
  "specially reserved termination pattern"; node labels are therefore drawn
  from ``[0, 998]``); steps after it are padding (mask 0). Traversal answers
  with the path's triples, shortest path with the triples of a shortest path,
  inference with the completed query triple ``(start, relation, end)``.
  Inputs are blank, except for shortest path, whose answer-step inputs are the
  previous step's triple (structured prediction, below).

Random training graphs (as the paper)
-------------------------------------
Nodes are points uniform in the unit square; each node's outgoing edges go to
its K nearest neighbours, K uniform in ``[min_degree, top_degree]`` per node.
Node labels are N distinct numbers; for traversal and shortest path each
node's outgoing edge labels are distinct numbers drawn from those same N
(unique per source, repeated across the graph). For inference the edge labels
are 0-9 (unique per source) and labels 10-409 name 400 fixed relations
(:data:`RELATIONS`: 100 edge-label sequences of each length 2-5, which include
the family tree's composed relations); a query's relation is planted on the
graph by relabelling edges along a walk from the start node.

Curriculum. The paper ran a sequence of lessons, each unlocked when 90% of
episodes were solved, with 10% of examples drawn from earlier lessons. Here
the trainer's ``difficulty`` in ``[0, 1]`` (a linear ramp over steps, see
``TrainConfig.curriculum_steps``) sets the upper ends of the node count,
out-degree and path (or relation) length ranges:
``top = low + round((high - low) * difficulty)``; every example draws uniformly
from ``[low, top]``, so easy examples stay in the mix.

Shortest path: structured prediction, simplified
------------------------------------------------
The paper fed the network, during the answer phase, the previous move, taken
with probability 0.8 (DAGGER beta) from an optimal planner and else from the
network's own prediction, with batch size 1. The trainer here does one forward
pass per batch, so training uses the planner's moves only (beta = 1, teacher
forcing). The planner's path is the breadth-first-search path that explores
each node's outgoing edges in increasing edge-label order (a deterministic
choice among the shortest paths). Evaluation (:meth:`GraphTask.evaluate`) is
closed-loop as in the paper: at each answer step the output is renormalised
over the triples leaving the current node (plus termination), the most
probable one is taken and fed back, and an episode counts as correct when the
walk reaches the destination in the shortest number of moves, whichever
shortest path it takes. The training metrics on a batch (``accuracy``) are
teacher-forced exact matches with the planner's path, a stricter measure.

Metrics. ``accuracy``: the fraction of episodes whose every scored digit is
right (the paper's measure; termination included); ``triple_accuracy``: the
fraction of scored answer steps right; ``error = 1 - accuracy``.
:meth:`GraphTask.evaluate` reports them on fresh random graphs at full
difficulty (``@random``) and on the test graph: ``accuracy@london``
(traversal: random walks of ``test_length`` = 7 steps as the paper;
shortest path: every station pair ``test_length`` = 4 moves apart) and
``accuracy@family`` (inference: every person and composed relation of
``test_length`` = 4 steps that is defined in the tree). Node labels of the
test graphs are drawn afresh for every episode (the London line-direction
labels too, from the station labels, as on training graphs); the family tree's
base relations are edge labels 0-7 and its composed relations keep their
fixed labels in :data:`RELATIONS`.

The paper's numbers and settings (for experiments). Test accuracy, mean of 20
DNC runs after the full curriculum: traversal 98.8% (random 7-step London
traversals, Extended Data Table 3: 14 lessons up to 10-40 nodes, out-degree
2-6, paths 1-20), shortest path 55.3% (all 4-step London shortest paths,
Table 5: 15 lessons up to 20-25 nodes, out-degree 2-6, paths 2-5), inference
81.8% (4-step family relations, Table 4: 17 lessons up to 20-25 nodes,
out-degree 2-4, relations 2-5, 3 queries per graph). The best LSTM failed the
first traversal lesson (3-10 nodes, out-degree 2-4, 1-step paths) at 37% after
almost 2 million examples. DNC settings (Extended Data Table 2; RMSProp):
traversal controller LSTM 3 x 256, memory 256 x 50, 5 read heads, batch 2,
lr 1e-5; inference 3 x 256, 128 x 50, 5 heads, batch 32, lr 1e-5; shortest
path 2 x 256, 128 x 50, 5 heads, batch 1, lr 3e-6, DAGGER beta 0.8.

Not as the paper: one query per graph (the paper had a series of query and
answer phases, e.g. 3 per graph for inference); a step-ramp curriculum rather
than performance-gated lessons; shortest path trained with teacher forcing
only and without renormalising the training loss over a node's edges.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from attnmem.tasks.base import Batch
from attnmem.tasks.graph_data import (
    FAMILY_BASE,
    FAMILY_RELATIONS,
    FixedGraph,
    family_tree,
    follow,
    london_underground,
)

QUERIES = ("traversal", "shortest", "inference")
BLANK = -1  # the unspecified label "_" (all-zero digits)
TERMINATION = 999  # the termination triple is (999, 999, 999); node labels avoid 999
NODE_LABELS = 999  # node labels are drawn from [0, NODE_LABELS)
DIGITS = 3  # decimal digits per label
TRIPLE_WIDTH = 3 * DIGITS * 10  # 90
INPUT_SIZE = TRIPLE_WIDTH + 2  # + query and answer flags
QUERY_FLAG, ANSWER_FLAG = TRIPLE_WIDTH, TRIPLE_WIDTH + 1
EDGE_LABELS_INFERENCE = 10  # single-edge labels 0-9 on inference graphs
RELATION_LENGTHS = (2, 3, 4, 5)
RELATIONS_PER_LENGTH = 100
FIRST_RELATION = EDGE_LABELS_INFERENCE  # relation labels 10, 11, ..., 409


def _relation_table() -> tuple[tuple[int, ...], ...]:
    """400 fixed edge-label sequences, 100 per length 2-5; the family tree's composed
    relations first in their length group, the rest random (fixed seed) and distinct."""
    rng = np.random.default_rng(2016)
    table: list[tuple[int, ...]] = []
    for length in RELATION_LENGTHS:
        group = [
            tuple(FAMILY_BASE.index(r) for r in seq)
            for seq in FAMILY_RELATIONS.values()
            if len(seq) == length
        ]
        seen = set(group)
        while len(group) < RELATIONS_PER_LENGTH:
            seq = tuple(int(x) for x in rng.integers(0, EDGE_LABELS_INFERENCE, length))
            if seq not in seen:
                seen.add(seq)
                group.append(seq)
        table += group
    return tuple(table)


# RELATIONS[i] is the edge-label sequence that relation label FIRST_RELATION + i stands for.
RELATIONS: tuple[tuple[int, ...], ...] = _relation_table()
RELATION_LABEL: dict[tuple[int, ...], int] = {
    seq: FIRST_RELATION + i for i, seq in enumerate(RELATIONS)
}


# -- encoding -------------------------------------------------------------------


def encode_labels(labels: Tensor) -> Tensor:
    """Labels (..., 3) int in [0, 999] or -1 (blank) -> (..., 90) float, three one-hot
    decimal digits per label (hundreds first); a blank label is all zeros."""
    labels = labels.long()
    digits = torch.stack([labels // 100, labels // 10 % 10, labels % 10], -1)  # (..., 3, 3)
    onehot = F.one_hot(digits.clamp(min=0), 10).float()  # (..., 3, 3, 10)
    onehot = onehot * (labels >= 0)[..., None, None].float()
    return onehot.flatten(-3)  # (..., 90)


def decode_labels(vectors: Tensor) -> Tensor:
    """Inverse of :func:`encode_labels` for one-hot input and argmax for scores:
    (..., 90) -> (..., 3) int64 labels; a label whose 30 units are all zero is -1."""
    groups = vectors.unflatten(-1, (3, DIGITS, 10))  # (..., 3, 3, 10)
    digits = groups.argmax(-1)  # (..., 3, 3)
    labels = digits[..., 0] * 100 + digits[..., 1] * 10 + digits[..., 2]
    blank = (groups != 0).flatten(-2).sum(-1) == 0  # (..., 3)
    return torch.where(blank, torch.full_like(labels, BLANK), labels)


def digit_log_probs(logits: Tensor) -> Tensor:
    """(..., 90) output logits -> (..., 9, 10) log-probabilities of each digit."""
    return torch.log_softmax(logits.float().unflatten(-1, (3 * DIGITS, 10)), -1)


# -- graphs and episodes ----------------------------------------------------------


@dataclass(frozen=True)
class LabelledGraph:
    """A directed graph with numeric labels: nodes 0..N-1 named by ``node_labels``;
    edge i goes ``src[i] -> dst[i]`` with label ``edge_labels[i]`` (unique per source)."""

    node_labels: np.ndarray  # (N,) int64
    src: np.ndarray  # (E,) int64
    dst: np.ndarray  # (E,) int64
    edge_labels: np.ndarray  # (E,) int64

    @property
    def num_nodes(self) -> int:
        return len(self.node_labels)

    def triples(self) -> np.ndarray:
        """(E, 3) rows (source label, edge label, destination label)."""
        nl = self.node_labels
        return np.stack([nl[self.src], self.edge_labels, nl[self.dst]], 1)

    def out_edges(self, node: int) -> np.ndarray:
        """Indices of the edges leaving ``node``, in increasing edge-label order."""
        idx = np.flatnonzero(self.src == node)
        return idx[np.argsort(self.edge_labels[idx], kind="stable")]


@dataclass(frozen=True)
class Episode:
    """One graph and one query, as label rows (-1 = blank).

    description: (E, 3) the graph's triples in presentation order; query: (Q, 3);
    answer: (A, 3) target triples, termination included. ``feed_answer``: the
    answer-step inputs are the previous target triples (teacher forcing). For
    shortest path, ``graph``, ``start``, ``goal`` and ``distance`` allow closed-loop
    decoding.
    """

    description: np.ndarray
    query: np.ndarray
    answer: np.ndarray
    feed_answer: bool = False
    graph: LabelledGraph | None = field(default=None, compare=False)
    start: int = -1
    goal: int = -1
    distance: int = -1


def termination() -> np.ndarray:
    return np.full((1, 3), TERMINATION, dtype=np.int64)


def random_graph(
    rng: np.random.Generator, num_nodes: int, min_degree: int, max_degree: int
) -> tuple[np.ndarray, np.ndarray]:
    """K-nearest-neighbour digraph on points uniform in the unit square: (src, dst),
    sorted by source, K uniform in [min_degree, max_degree] per node (capped at N - 1)."""
    points = rng.random((num_nodes, 2))  # (N, 2)
    dist = ((points[:, None] - points[None]) ** 2).sum(-1)  # (N, N)
    np.fill_diagonal(dist, np.inf)
    order = np.argsort(dist, axis=1, kind="stable")  # (N, N) nearest first
    k = rng.integers(min_degree, max_degree + 1, num_nodes).clip(max=num_nodes - 1)  # (N,)
    keep = np.arange(num_nodes)[None] < k[:, None]  # (N, N): the first k[i] of row i
    src = np.repeat(np.arange(num_nodes), k)
    dst = order[keep]  # row-major: grouped by source, nearest first
    return src, dst


def distinct_per_source(rng: np.random.Generator, src: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Edge labels drawn from ``pool`` without repeats among each source's edges:
    each source's r-th edge takes the r-th entry of a random permutation of ``pool``."""
    _, inverse, counts = np.unique(src, return_inverse=True, return_counts=True)
    perms = np.argsort(rng.random((len(counts), len(pool))), axis=1)  # one per source
    order = np.argsort(inverse, kind="stable")
    rank = np.empty(len(src), dtype=np.int64)
    rank[order] = np.arange(len(src)) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.asarray(pool)[perms[inverse, rank]].astype(np.int64)


def bfs_path(graph: LabelledGraph, start: int, goal: int | None = None) -> tuple[np.ndarray, list]:
    """Breadth-first search from ``start`` exploring out-edges in edge-label order.

    Returns (dist (N,) int64 with -1 = unreachable, path): the edge indices of the
    first-found shortest path to ``goal`` ([] when goal is None or unreachable).
    """
    N = graph.num_nodes
    by_source = np.lexsort((graph.edge_labels, graph.src))  # edges by (source, label)
    first = np.searchsorted(graph.src[by_source], np.arange(N + 1))  # (N + 1,) offsets
    dist = np.full(N, -1, dtype=np.int64)
    parent_edge = np.full(N, -1, dtype=np.int64)
    dist[start] = 0
    todo = deque([start])
    while todo:
        u = todo.popleft()
        for e in by_source[first[u] : first[u + 1]].tolist():
            v = int(graph.dst[e])
            if dist[v] < 0:
                dist[v], parent_edge[v] = dist[u] + 1, e
                todo.append(v)
    path: list[int] = []
    if goal is not None and dist[goal] > 0:
        v = goal
        while v != start:
            path.append(int(parent_edge[v]))
            v = int(graph.src[parent_edge[v]])
    return dist, path[::-1]


def path_triples(graph: LabelledGraph, path: list[int] | np.ndarray) -> np.ndarray:
    """(len(path), 3) triples of the edges in ``path``."""
    return graph.triples()[np.asarray(path, dtype=np.int64)].reshape(-1, 3)


def traversal_episode(
    rng: np.random.Generator, graph: LabelledGraph, start: int, path: list[int]
) -> Episode:
    """Query: (start, e1, _), (_, e2, _), ...; answer: the path's triples + termination."""
    steps = path_triples(graph, path)
    query = np.full((len(path), 3), BLANK, dtype=np.int64)
    query[:, 1] = steps[:, 1]
    query[0, 0] = graph.node_labels[start]
    order = rng.permutation(len(graph.src))
    return Episode(graph.triples()[order], query, np.concatenate([steps, termination()]))


def shortest_episode(
    rng: np.random.Generator, graph: LabelledGraph, start: int, goal: int
) -> Episode:
    """Query: (start, _, goal); answer: the planner's shortest path + termination."""
    dist, path = bfs_path(graph, start, goal)
    if dist[goal] <= 0:
        raise ValueError(f"goal {goal} is not reachable from start {start} in >= 1 moves")
    query = np.array([[graph.node_labels[start], BLANK, graph.node_labels[goal]]])
    answer = np.concatenate([path_triples(graph, path), termination()])
    order = rng.permutation(len(graph.src))
    return Episode(graph.triples()[order], query, answer, True, graph, start, goal, int(dist[goal]))


def inference_episode(
    rng: np.random.Generator, graph: LabelledGraph, start: int, relation: int, end: int
) -> Episode:
    """Query: (start, relation, _); answer: (start, relation, end) + termination."""
    nl = graph.node_labels
    query = np.array([[nl[start], relation, BLANK]])
    answer = np.concatenate([np.array([[nl[start], relation, nl[end]]]), termination()])
    order = rng.permutation(len(graph.src))
    return Episode(graph.triples()[order], query, answer)


def follow_labels(graph: LabelledGraph, start: int, labels: tuple[int, ...]) -> int | None:
    """The node reached by following edge labels from ``start`` (None if it breaks off)."""
    here = start
    for label in labels:
        hit = np.flatnonzero((graph.src == here) & (graph.edge_labels == label))
        if len(hit) == 0:
            return None
        here = int(graph.dst[hit[0]])
    return here


def plant_relation(
    rng: np.random.Generator,
    src: np.ndarray,
    dst: np.ndarray,
    labels: np.ndarray,
    start: int,
    sequence: tuple[int, ...],
) -> tuple[np.ndarray, int] | None:
    """Relabel edges so that ``sequence`` can be followed from ``start``.

    At each node the walk takes the edge that already carries the next label, else
    gives that label to a random edge of the node not yet used by the walk (labels
    stay unique per source). Returns (new labels, end node), or None when a node
    has no free edge left.
    """
    labels = labels.copy()
    used = np.zeros(len(src), dtype=bool)
    here = start
    for label in sequence:
        mine = np.flatnonzero(src == here)
        hit = mine[labels[mine] == label]
        if len(hit):
            e = int(hit[0])
        else:
            free = mine[~used[mine]]
            if len(free) == 0:
                return None
            e = int(rng.choice(free))
            labels[e] = label
        used[e] = True
        here = int(dst[e])
    return labels, here


# -- the task -------------------------------------------------------------------


@dataclass(frozen=True)
class GraphConfig:
    """Ranges of the random training graphs; ``difficulty`` raises the upper ends from
    the lower ones (see the module doc). ``min_path``/``max_path``: traversal path
    length, shortest-path length or relation length, by ``query``."""

    query: str = "traversal"  # "traversal" | "shortest" | "inference"
    min_nodes: int = 3
    max_nodes: int = 10
    min_degree: int = 2
    max_degree: int = 4
    min_path: int = 1
    max_path: int = 4
    planning_steps: int = 0
    test_length: int = 7  # London traversal 7 steps; shortest path 4; family relations 4

    def __post_init__(self) -> None:
        if self.query not in QUERIES:
            raise ValueError(f"query ({self.query!r}) must be one of {QUERIES}")
        if not 2 <= self.min_nodes <= self.max_nodes <= NODE_LABELS:
            raise ValueError(
                f"need 2 <= min_nodes ({self.min_nodes}) <= max_nodes ({self.max_nodes}) "
                f"<= {NODE_LABELS}"
            )
        if not 1 <= self.min_degree <= self.max_degree:
            raise ValueError(
                f"need 1 <= min_degree ({self.min_degree}) <= max_degree ({self.max_degree})"
            )
        if self.query == "inference" and self.max_degree > EDGE_LABELS_INFERENCE:
            raise ValueError(
                f"max_degree ({self.max_degree}) must be <= {EDGE_LABELS_INFERENCE} for "
                f"inference (edge labels 0-9 are unique per node)"
            )
        if not 1 <= self.min_path <= self.max_path:
            raise ValueError(f"need 1 <= min_path ({self.min_path}) <= max_path ({self.max_path})")
        if self.query == "inference" and not (
            RELATION_LENGTHS[0] <= self.min_path and self.max_path <= RELATION_LENGTHS[-1]
        ):
            raise ValueError(
                f"inference relations have lengths 2-5: min_path ({self.min_path}) and "
                f"max_path ({self.max_path}) must lie in [2, 5]"
            )
        if self.planning_steps < 0 or self.test_length < 1:
            raise ValueError(
                f"planning_steps ({self.planning_steps}) must be >= 0 and test_length "
                f"({self.test_length}) >= 1"
            )


@dataclass(frozen=True)
class TraversalConfig(GraphConfig):
    query: str = "traversal"


@dataclass(frozen=True)
class ShortestPathConfig(GraphConfig):
    query: str = "shortest"
    min_path: int = 2
    max_path: int = 3
    planning_steps: int = 10
    test_length: int = 4


@dataclass(frozen=True)
class InferenceConfig(GraphConfig):
    query: str = "inference"
    min_path: int = 2
    max_path: int = 3
    planning_steps: int = 10
    test_length: int = 4


def _top(low: int, high: int, difficulty: float) -> int:
    return low + round((high - low) * min(max(difficulty, 0.0), 1.0))


class GraphTask:
    """Traversal, shortest-path or inference queries on random graphs (``config.query``).

    ``input_size`` 92, ``output_size`` 90 (see the module doc).
    """

    input_size = INPUT_SIZE
    output_size = TRIPLE_WIDTH

    def __init__(self, config: GraphConfig = GraphConfig()) -> None:
        self.config = config

    def __repr__(self) -> str:
        return f"GraphTask({self.config})"

    # -- sampling ---------------------------------------------------------------

    def sample(
        self,
        batch_size: int,
        generator: torch.Generator,
        *,
        difficulty: float = 1.0,
        path_length: int | None = None,
    ) -> Batch:
        """Fresh random-graph episodes; ``path_length`` fixes the path / relation length."""
        return assemble(
            self.episodes(batch_size, generator, difficulty=difficulty, path_length=path_length),
            self.config.planning_steps,
        )

    def episodes(
        self,
        batch_size: int,
        generator: torch.Generator,
        *,
        difficulty: float = 1.0,
        path_length: int | None = None,
    ) -> list[Episode]:
        """``batch_size`` episodes from one numpy stream seeded by ``generator``."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        seed = int(torch.randint(0, 2**62, (1,), generator=generator).item())
        rng = np.random.default_rng(seed)
        make = {
            "traversal": self._traversal,
            "shortest": self._shortest,
            "inference": self._inference,
        }[self.config.query]
        return [make(rng, difficulty, path_length) for _ in range(batch_size)]

    def _ranges(self, rng: np.random.Generator, difficulty: float) -> tuple[int, int]:
        c = self.config
        n = int(rng.integers(c.min_nodes, _top(c.min_nodes, c.max_nodes, difficulty) + 1))
        return n, _top(c.min_degree, c.max_degree, difficulty)

    def _path_length(self, rng: np.random.Generator, difficulty: float) -> int:
        c = self.config
        return int(rng.integers(c.min_path, _top(c.min_path, c.max_path, difficulty) + 1))

    def _numbered_graph(self, rng: np.random.Generator, difficulty: float) -> LabelledGraph:
        n, top_degree = self._ranges(rng, difficulty)
        src, dst = random_graph(rng, n, self.config.min_degree, top_degree)
        node_labels = rng.choice(NODE_LABELS, n, replace=False).astype(np.int64)
        return LabelledGraph(node_labels, src, dst, distinct_per_source(rng, src, node_labels))

    def _traversal(
        self, rng: np.random.Generator, difficulty: float, path_length: int | None
    ) -> Episode:
        graph = self._numbered_graph(rng, difficulty)
        length = path_length or self._path_length(rng, difficulty)
        start = int(rng.integers(graph.num_nodes))
        return traversal_episode(rng, graph, start, random_walk(rng, graph, start, length))

    def _shortest(
        self, rng: np.random.Generator, difficulty: float, path_length: int | None
    ) -> Episode:
        c = self.config
        low = path_length or c.min_path
        high = path_length or _top(c.min_path, c.max_path, difficulty)
        for _ in range(1000):
            graph = self._numbered_graph(rng, difficulty)
            for _ in range(graph.num_nodes):
                start = int(rng.integers(graph.num_nodes))
                dist, _ = bfs_path(graph, start)
                goals = np.flatnonzero((dist >= low) & (dist <= high))
                if len(goals):
                    # a distance uniform in the reachable part of [low, high], then a goal
                    d = rng.choice(np.unique(dist[goals]))
                    goal = int(rng.choice(np.flatnonzero(dist == d)))
                    return shortest_episode(rng, graph, start, goal)
        raise RuntimeError(
            f"no node pair {low}-{high} moves apart in 1000 graphs: raise max_nodes "
            f"({c.max_nodes}) or lower the path lengths"
        )

    def _inference(
        self, rng: np.random.Generator, difficulty: float, path_length: int | None
    ) -> Episode:
        length = path_length or self._path_length(rng, difficulty)
        if length not in RELATION_LENGTHS:
            raise ValueError(f"relation length must be in {RELATION_LENGTHS}, got {length}")
        first = RELATION_LENGTHS.index(length) * RELATIONS_PER_LENGTH
        for _ in range(1000):
            n, top_degree = self._ranges(rng, difficulty)
            src, dst = random_graph(rng, n, self.config.min_degree, top_degree)
            labels = distinct_per_source(rng, src, np.arange(EDGE_LABELS_INFERENCE))
            index = first + int(rng.integers(RELATIONS_PER_LENGTH))
            start = int(rng.integers(n))
            planted = plant_relation(rng, src, dst, labels, start, RELATIONS[index])
            if planted is None:
                continue
            labels, end = planted
            node_labels = rng.choice(NODE_LABELS, n, replace=False).astype(np.int64)
            graph = LabelledGraph(node_labels, src, dst, labels)
            return inference_episode(rng, graph, start, FIRST_RELATION + index, end)
        raise RuntimeError("could not plant a relation in 1000 graphs: raise max_degree")

    # -- loss and metrics -----------------------------------------------------------

    def loss(self, logits: Tensor, batch: Batch) -> Tensor:
        """Negative log-probability of the target digits on answer steps, summed over
        digits and steps (the paper's loss), averaged over the batch."""
        return sequence_nll(logits, batch).mean()

    def metrics(self, logits: Tensor, batch: Batch) -> dict[str, float]:
        acc, triple = answer_accuracy(logits, batch)
        return {
            "accuracy": acc.float().mean().item(),
            "error": 1.0 - acc.float().mean().item(),
            "triple_accuracy": triple,
        }

    # -- evaluation -----------------------------------------------------------------

    @torch.no_grad()
    def evaluate(self, model: Any, eval_config: Any) -> dict[str, float]:
        """Accuracy on fresh random graphs at full difficulty (``@random``) and on the
        test graph (``@london`` for traversal and shortest path, ``@family`` for
        inference). Uses ``eval_config.sequences``, ``batch_size`` and ``seed``."""
        model.eval()
        c = self.config
        n = int(getattr(eval_config, "sequences", 1000))
        batch_size = max(1, int(getattr(eval_config, "batch_size", 100)))
        generator = torch.Generator().manual_seed(int(getattr(eval_config, "seed", 12345)))
        rng = np.random.default_rng(int(getattr(eval_config, "seed", 12345)))
        random_eps: list[Episode] = []
        while len(random_eps) < n:
            random_eps += self.episodes(min(batch_size, n - len(random_eps)), generator)
        if c.query == "traversal":
            test_name, test_eps = "london", london_traversals(rng, n, c.test_length)
        elif c.query == "shortest":
            test_name, test_eps = "london", london_shortest_paths(rng, c.test_length)
        else:
            test_name, test_eps = "family", family_inferences(rng, c.test_length)
        out: dict[str, float] = {}
        for name, eps in (("random", random_eps), (test_name, test_eps)):
            out.update(self.score(model, eps, batch_size, suffix=f"@{name}"))
        return out

    @torch.no_grad()
    def score(
        self, model: Any, episodes: list[Episode], batch_size: int, *, suffix: str = ""
    ) -> dict[str, float]:
        """Mean accuracy over ``episodes`` (closed-loop for shortest path)."""
        correct = 0.0
        triples = 0.0
        for i in range(0, len(episodes), batch_size):
            chunk = episodes[i : i + batch_size]
            if self.config.query == "shortest":
                correct += closed_loop_shortest(model, chunk, self.config.planning_steps).sum()
                continue
            batch = assemble(chunk, self.config.planning_steps)
            logits, _ = model(batch.inputs)
            acc, triple = answer_accuracy(logits, batch)
            correct += acc.float().sum().item()
            triples += triple * len(chunk)
        out = {f"accuracy{suffix}": correct / len(episodes)}
        if self.config.query != "shortest":
            out[f"triple_accuracy{suffix}"] = triples / len(episodes)
        return out


def random_walk(
    rng: np.random.Generator, graph: LabelledGraph, start: int, length: int
) -> list[int]:
    """Edge indices of a ``length``-step random walk (uniform out-edge at each node)."""
    path, here = [], start
    for _ in range(length):
        out = np.flatnonzero(graph.src == here)
        e = int(rng.choice(out))
        path.append(e)
        here = int(graph.dst[e])
    return path


# -- batches, loss, accuracy ------------------------------------------------------


def assemble(episodes: list[Episode], planning_steps: int) -> Batch:
    """Pad and stack episodes phase by phase into a :class:`Batch` (see module doc)."""
    B = len(episodes)
    D = max(len(ep.description) for ep in episodes)
    Q = max(len(ep.query) for ep in episodes)
    A = max(len(ep.answer) for ep in episodes)
    start_answer = D + Q + planning_steps
    T = start_answer + A
    inputs = np.full((B, T, 3), BLANK, dtype=np.int64)
    targets = np.full((B, T, 3), BLANK, dtype=np.int64)
    mask = np.zeros((B, T), dtype=np.float32)
    for b, ep in enumerate(episodes):
        inputs[b, : len(ep.description)] = ep.description
        inputs[b, D : D + len(ep.query)] = ep.query
        a = len(ep.answer)
        targets[b, start_answer : start_answer + a] = ep.answer
        mask[b, start_answer : start_answer + a] = 1.0
        if ep.feed_answer:  # teacher forcing: the previous move is the next input
            inputs[b, start_answer + 1 : start_answer + a] = ep.answer[:-1]
    x = torch.zeros(B, T, INPUT_SIZE)
    x[..., :TRIPLE_WIDTH] = encode_labels(torch.from_numpy(inputs))
    x[:, D : D + Q, QUERY_FLAG] = 1.0
    x[:, start_answer:, ANSWER_FLAG] = 1.0
    return Batch(x, encode_labels(torch.from_numpy(targets)), torch.from_numpy(mask))


def sequence_nll(logits: Tensor, batch: Batch) -> Tensor:
    """(B,) summed negative log-probability of the target digits on scored steps."""
    logp = digit_log_probs(logits)  # (B, T, 9, 10)
    target = batch.targets.unflatten(-1, (3 * DIGITS, 10))  # (B, T, 9, 10)
    nll = -(target * logp).sum((-1, -2))  # (B, T)
    return (nll * batch.mask).sum(-1)


def answer_accuracy(logits: Tensor, batch: Batch) -> tuple[Tensor, float]:
    """((B,) bool: every scored step's nine digits right, fraction of scored steps right)."""
    predicted = logits.unflatten(-1, (3 * DIGITS, 10)).argmax(-1)  # (B, T, 9)
    wanted = batch.targets.unflatten(-1, (3 * DIGITS, 10)).argmax(-1)  # (B, T, 9)
    step_right = (predicted == wanted).all(-1)  # (B, T)
    scored = batch.mask > 0
    sequence_right = (step_right | ~scored).all(-1)  # (B,)
    triple = (step_right & scored).sum().item() / max(1, scored.sum().item())
    return sequence_right, triple


@torch.no_grad()
def closed_loop_shortest(model: Any, episodes: list[Episode], planning_steps: int) -> np.ndarray:
    """Decode shortest paths move by move; (B,) float, 1 where the walk reaches the goal
    in exactly the shortest number of moves.

    At each answer step the digit log-probabilities are summed into a score for each
    triple leaving the current node and for the termination triple; the best one is
    the move (the paper's renormalisation over allowed triples) and is fed back as
    the next input. Terminating, or arriving anywhere else, before the goal fails.
    """
    B = len(episodes)
    if any(ep.graph is None for ep in episodes):
        raise ValueError("closed-loop decoding needs shortest-path episodes (with graphs)")
    batch = assemble(episodes, planning_steps)
    A = max(ep.distance for ep in episodes)
    prefix = batch.inputs.shape[1] - max(len(ep.answer) for ep in episodes)
    _, state = model(batch.inputs[:, :prefix])
    here = np.array([ep.start for ep in episodes])
    alive = np.ones(B, dtype=bool)  # still walking (not terminated, not yet judged)
    right = np.zeros(B)
    fed = np.full((B, 3), BLANK, dtype=np.int64)
    for t in range(A):
        x = torch.zeros(B, 1, INPUT_SIZE)
        x[:, 0, :TRIPLE_WIDTH] = encode_labels(torch.from_numpy(fed))
        x[:, 0, ANSWER_FLAG] = 1.0
        logits, state = model(x, state)
        logp = digit_log_probs(logits[:, 0])  # (B, 9, 10)
        options: list[np.ndarray] = []
        for b, ep in enumerate(episodes):
            edges = ep.graph.out_edges(int(here[b]))
            options.append(np.concatenate([ep.graph.triples()[edges], termination()]))
        C = max(len(o) for o in options)
        labels = np.zeros((B, C, 3), dtype=np.int64)
        valid = np.zeros((B, C), dtype=bool)
        for b, o in enumerate(options):
            labels[b, : len(o)], valid[b, : len(o)] = o, True
        lab = torch.from_numpy(labels)
        digits = torch.stack([lab // 100, lab // 10 % 10, lab % 10], -1).flatten(-2)  # (B, C, 9)
        scores = logp[:, None].expand(B, C, 3 * DIGITS, 10).gather(-1, digits[..., None])
        scores = scores.squeeze(-1).sum(-1).masked_fill(~torch.from_numpy(valid), -torch.inf)
        choice = scores.argmax(-1).numpy()  # (B,)
        for b, ep in enumerate(episodes):
            if not alive[b] or t >= ep.distance:
                continue
            edges = ep.graph.out_edges(int(here[b]))
            if choice[b] >= len(edges):  # terminated early
                alive[b] = False
                continue
            e = int(edges[choice[b]])
            here[b] = int(ep.graph.dst[e])
            fed[b] = ep.graph.triples()[e]
            if t + 1 == ep.distance:
                right[b] = float(here[b] == ep.goal)
                alive[b] = False
    return right


# -- the test graphs ----------------------------------------------------------------


def label_fixed_graph(
    rng: np.random.Generator, graph: FixedGraph, edge_labels: np.ndarray | None = None
) -> LabelledGraph:
    """Fresh random node labels; edge types numbered by ``edge_labels`` (K,), else by
    distinct numbers drawn from the node labels (as on training graphs)."""
    n = len(graph.nodes)
    node_labels = rng.choice(NODE_LABELS, n, replace=False).astype(np.int64)
    if edge_labels is None:
        k = len(graph.edge_types)
        pool = node_labels if k <= n else np.arange(NODE_LABELS)
        edge_labels = rng.choice(pool, k, replace=False).astype(np.int64)
    return LabelledGraph(node_labels, graph.src, graph.dst, edge_labels[graph.edge])


def london_traversals(rng: np.random.Generator, n: int, length: int) -> list[Episode]:
    """``n`` random ``length``-step traversals of the London map, fresh labels each."""
    tube = london_underground()
    eps = []
    for _ in range(n):
        graph = label_fixed_graph(rng, tube)
        start = int(rng.integers(graph.num_nodes))
        eps.append(traversal_episode(rng, graph, start, random_walk(rng, graph, start, length)))
    return eps


def london_shortest_paths(rng: np.random.Generator, length: int) -> list[Episode]:
    """Every ordered station pair exactly ``length`` moves apart, fresh labels each."""
    tube = london_underground()
    eps = []
    for start in range(len(tube.nodes)):
        dist, _ = bfs_path(label_fixed_graph(rng, tube), start)
        for goal in np.flatnonzero(dist == length):
            eps.append(shortest_episode(rng, label_fixed_graph(rng, tube), start, int(goal)))
    return eps


def family_inferences(rng: np.random.Generator, length: int) -> list[Episode]:
    """Every (person, composed relation of ``length`` steps) defined in the family tree."""
    tree = family_tree()
    base = np.arange(len(FAMILY_BASE))  # base relations keep edge labels 0-7
    eps = []
    for seq in FAMILY_RELATIONS.values():
        if len(seq) != length:
            continue
        steps = tuple(FAMILY_BASE.index(r) for r in seq)
        for person in range(len(tree.nodes)):
            end = follow(tree, person, steps)
            if end is not None:
                graph = label_fixed_graph(rng, tree, base)
                eps.append(inference_episode(rng, graph, person, RELATION_LABEL[steps], end))
    return eps
