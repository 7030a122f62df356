"""Differentiable Neural Computer addressing (Graves et al. 2016, Nature, Methods).

Pure tensor functions, one per equation of the paper's Methods section: memory
usage and dynamic allocation, the write weighting, the temporal link matrix
(dense, and the paper's K-sparse approximation) with its precedence weighting,
the forward / backward weightings and the read weighting from read modes.
Content lookup, reading and erase/add writing are the NTM's
(``attnmem.attention``). ``attnmem.memory.dnc.DNCAccess`` composes them.

Shapes: ``B`` batch, ``N`` memory rows, ``R`` read heads, ``K`` links kept per
row in the sparse link matrix. There is one write head (as in the paper), so
write weightings, usage, allocation and precedence are ``(B, N)``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

# Usage is squashed into [ALLOCATION_EPSILON, 1] before allocation (as DeepMind's
# dnc does): a fully used memory (u = 1 everywhere) would otherwise give a
# cumulative product of exactly 0 ... and the gradient of cumprod divides by
# its inputs where none is 0, so no input may be 0 either.
ALLOCATION_EPSILON = 1e-6


def retention(free_gates: Tensor, read_weights: Tensor) -> Tensor:
    """psi_t = prod_i (1 - f_t^i w_{t-1}^{r,i})   (memory retention vector)

    free_gates (B, R) in [0, 1]; read_weights (B, R, N) last step's -> (B, N) in [0, 1].
    """
    return torch.prod(1.0 - free_gates.unsqueeze(-1) * read_weights, dim=1)


def usage_update(usage: Tensor, write_weights: Tensor, psi: Tensor) -> Tensor:
    """u_t = (u_{t-1} + w^w_{t-1} - u_{t-1} o w^w_{t-1}) o psi_t   (usage vector)

    usage (B, N) u_{t-1}; write_weights (B, N) last step's w^w_{t-1}; psi (B, N) retention
    -> (B, N), in [0, 1] when the inputs are. Writing raises a row's usage towards 1,
    freeing (a read with free gate 1) lowers it towards 0.
    """
    return (usage + write_weights - usage * write_weights) * psi


def allocation_weights(usage: Tensor, *, eps: float = ALLOCATION_EPSILON) -> Tensor:
    """a_t[phi_t[j]] = (1 - u_t[phi_t[j]]) prod_{i<j} u_t[phi_t[i]]   (allocation weighting)

    phi_t sorts the rows by usage in ascending order (phi_t[1] is the least used row).
    usage (B, N) in [0, 1] -> (B, N), summing to <= 1: almost all of it on the least used
    row when usages differ, spread over free rows in turn as they fill.

    Usage is first squashed into [eps, 1] (see ``ALLOCATION_EPSILON``). The sort order is
    not differentiated (it is piecewise constant); gradients reach usage through the
    sorted values. Ties are broken by ``torch.sort``'s stable order (lowest index first).
    """
    usage = eps + (1.0 - eps) * usage
    sorted_usage, order = torch.sort(usage, dim=-1, stable=True)  # phi_t, ascending
    # Exclusive cumulative product: prod_{i<j} u[phi[i]], 1 for the first row.
    ones = torch.ones_like(sorted_usage[..., :1])
    prod = torch.cumprod(torch.cat([ones, sorted_usage[..., :-1]], dim=-1), dim=-1)
    sorted_allocation = (1.0 - sorted_usage) * prod
    return torch.zeros_like(usage).scatter(-1, order, sorted_allocation)


def write_weighting(
    allocation: Tensor, content: Tensor, allocation_gate: Tensor, write_gate: Tensor
) -> Tensor:
    """w^w_t = g^w_t [g^a_t a_t + (1 - g^a_t) c^w_t]   (write weighting)

    allocation (B, N) a_t; content (B, N) write content weighting c^w_t; allocation_gate,
    write_gate (B,) in [0, 1] -> (B, N).
    """
    g_a, g_w = allocation_gate.unsqueeze(-1), write_gate.unsqueeze(-1)
    return g_w * (g_a * allocation + (1.0 - g_a) * content)


def precedence_update(precedence: Tensor, write_weights: Tensor) -> Tensor:
    """p_t = (1 - sum_i w^w_t[i]) p_{t-1} + w^w_t,  p_0 = 0   (precedence weighting)

    precedence (B, N) p_{t-1}; write_weights (B, N) w^w_t -> (B, N). p_t[i] is how much row
    i was the last row written to.
    """
    return (1.0 - write_weights.sum(-1, keepdim=True)) * precedence + write_weights


def link_update(link: Tensor, precedence: Tensor, write_weights: Tensor) -> Tensor:
    """L_t[i,j] = (1 - w^w_t[i] - w^w_t[j]) L_{t-1}[i,j] + w^w_t[i] p_{t-1}[j],  L_t[i,i] = 0

    (temporal link matrix). link (B, N, N) L_{t-1}; precedence (B, N) p_{t-1}; write_weights
    (B, N) w^w_t -> (B, N, N). L_t[i, j] is how much row i was written right after row j;
    with w^w and p each summing to <= 1, every row and column sums to <= 1.
    """
    w = write_weights
    # (1 - w_i - w_j) L + w_i p_j, as L - w_i (L - p_j) - L w_j: fused ops, no (B, N, N)
    # scale tensor.
    new = torch.addcmul(link, link - precedence.unsqueeze(-2), w.unsqueeze(-1), value=-1.0)
    new = torch.addcmul(new, link, w.unsqueeze(-2), value=-1.0)
    return new * _off_diagonal(link)


def _off_diagonal(link: Tensor) -> Tensor:
    """(N, N) mask 1 - I (a product, not an in-place write, so autograd sees a plain op)."""
    n = link.shape[-1]
    return 1.0 - torch.eye(n, dtype=link.dtype, device=link.device)


def directional_weights(link: Tensor, read_weights: Tensor) -> tuple[Tensor, Tensor]:
    """f_t^i = L_t w^{r,i}_{t-1},  b_t^i = L_t^T w^{r,i}_{t-1}   (forward, backward weightings)

    link (B, N, N) L_t; read_weights (B, R, N) last step's -> forward, backward (B, R, N).
    Following the forward weighting reads the row written after the last one read.
    """
    forward = torch.bmm(read_weights, link.transpose(1, 2))  # (B, R, N): sum_j L[i,j] w[j]
    backward = torch.bmm(read_weights, link)  # (B, R, N): sum_i w[i] L[i,j]
    return forward, backward


def link_step(
    link: Tensor, precedence: Tensor, write_weights: Tensor, read_weights: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """``link_update`` then ``directional_weights`` of the new matrix, in one autograd node.

    link (B, N, N) L_{t-1}; precedence, write_weights (B, N); read_weights (B, R, N) w^r_{t-1}
    -> L_t (B, N, N), forward f_t and backward b_t (B, R, N); the same values as the two
    functions. The hand-written backward saves no (B, N, N) tensor but the link matrices
    themselves (one new one per step; autograd's generic backward of the two functions
    also keeps L_{t-1} - p_j) and makes fewer passes over them: the dense link matrix is
    the DNC's O(N^2) cost in time and memory.
    """
    return _LinkStep.apply(link, precedence, write_weights, read_weights)


class _LinkStep(torch.autograd.Function):
    @staticmethod
    def forward(ctx, link, precedence, write_weights, read_weights):
        new = link_update(link, precedence, write_weights)
        forward, backward = directional_weights(new, read_weights)
        ctx.save_for_backward(link, precedence, write_weights, read_weights, new)
        return new, forward, backward

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_new, grad_forward, grad_backward):
        link, precedence, w, read_weights, new = ctx.saved_tensors
        B, N, _ = link.shape
        if grad_new is None:
            grad_new = link.new_zeros(B, N, N)
        if grad_forward is None:
            grad_forward = read_weights.new_zeros(read_weights.shape)
        if grad_backward is None:
            grad_backward = read_weights.new_zeros(read_weights.shape)
        # G = dLoss/dL_t in full: from the next step, f = w^r L^T (G += df^T w^r) and
        # b = w^r L (G += w^r^T db), in one batched matmul; then the zeroed diagonal.
        left = torch.cat([grad_forward, read_weights], dim=1).transpose(1, 2)  # (B, N, 2R)
        right = torch.cat([read_weights, grad_backward], dim=1)  # (B, 2R, N)
        g = torch.baddbmm(grad_new, left, right)
        g.diagonal(dim1=1, dim2=2).zero_()
        # Through L_t = L (1 - w_i - w_j) + w_i p_j:
        grad_link = torch.addcmul(g, g, w.unsqueeze(-1), value=-1.0)
        grad_link.addcmul_(g, w.unsqueeze(-2), value=-1.0)
        gl = g * link
        grad_w = torch.bmm(g, precedence.unsqueeze(-1)).squeeze(-1) - gl.sum(-1) - gl.sum(-2)
        grad_p = torch.bmm(w.unsqueeze(1), g).squeeze(1)
        # Through f = w^r L_t^T and b = w^r L_t:
        grad_read = torch.bmm(grad_forward, new) + torch.bmm(grad_backward, new.transpose(1, 2))
        return grad_link, grad_p, grad_w, grad_read


def read_weighting(modes: Tensor, backward: Tensor, content: Tensor, forward: Tensor) -> Tensor:
    """w^{r,i}_t = pi^i_t[1] b^i_t + pi^i_t[2] c^{r,i}_t + pi^i_t[3] f^i_t   (read weighting)

    modes (B, R, 3) read modes pi (backward, content, forward), a distribution per head;
    backward, content, forward (B, R, N) -> (B, R, N).
    """
    b, c, f = modes.unbind(-1)
    return b.unsqueeze(-1) * backward + c.unsqueeze(-1) * content + f.unsqueeze(-1) * forward


# --- the K-sparse link matrix (Nature Methods, "Sparse link matrix") ---------------------


class SparseLink(NamedTuple):
    """A link matrix with K entries kept per row: L[i, columns[i, k]] = values[i, k].

    values (B, N, K) in [0, 1]; columns (B, N, K) int64, distinct within a row. Entries
    with value 0 are empty slots.
    """

    values: Tensor
    columns: Tensor


def sparse_link_init(batch_size: int, rows: int, k: int, *, device=None, dtype=None) -> SparseLink:
    """The empty link matrix L_0 = 0 with K slots per row (columns 0..K-1, values 0)."""
    if not 1 <= k <= rows:
        raise ValueError(f"k ({k}) must be in 1..rows ({rows})")
    values = torch.zeros(batch_size, rows, k, device=device, dtype=dtype)
    columns = torch.arange(k, device=device).expand(batch_size, rows, k).contiguous()
    return SparseLink(values, columns)


def sparse_link_to_dense(link: SparseLink) -> Tensor:
    """(B, N, K) sparse rows -> the (B, N, N) matrix (for tests and plots)."""
    B, N, _ = link.values.shape
    dense = link.values.new_zeros(B, N, N)
    return dense.scatter_add(-1, link.columns, link.values)


def sparse_link_update(link: SparseLink, precedence: Tensor, write_weights: Tensor) -> SparseLink:
    """L^_t[i,j] = (1 - w^_t[i] - w^_t[j]) L^_{t-1}[i,j] + w^_t[i] p^_{t-1}[j], top K per row

    link: L^_{t-1} with K entries per row; precedence (B, N) p_{t-1}; write_weights (B, N)
    w^w_t -> L^_t, O(N K + K^3) per batch item instead of O(N^2).

    w^ and p^ keep the K largest entries of w^w_t and p_{t-1} (others 0), so only the K
    rows of w^ receive new links, each from at most K new columns; every row then keeps
    its K largest entries and the diagonal is 0. With K = N nothing is dropped and the
    result equals ``link_update``.

    Two deliberate differences from the paper's text: the kept K values are not divided
    by their sum (that would turn a write gate near 0, i.e. no write, into a full-strength
    link update, and make K = N differ from the dense matrix), and rather than zeroing
    entries below 1/K we keep the top K per row, which bounds the cost the same way.
    """
    values, columns = link
    B, N, K = values.shape
    w_top, w_rows = write_weights.topk(K, dim=-1)  # (B, K): w^'s nonzeros and their rows
    p_top, p_cols = precedence.topk(K, dim=-1)  # (B, K): p^'s nonzeros and their columns
    w_hat = torch.zeros_like(write_weights).scatter(-1, w_rows, w_top)  # (B, N)
    # Every kept entry decays: L[i,j] (1 - w^[i] - w^[j]). O(N K).
    w_col = w_hat.gather(-1, columns.view(B, N * K)).view(B, N, K)  # w^[j] per entry
    values = values * (1.0 - w_hat.unsqueeze(-1) - w_col)

    # The K written rows gain w^[i] p^[j] on p^'s K columns. (B, K, K) each.
    rows_index = w_rows.unsqueeze(-1).expand(B, K, K)
    old_values = values.gather(1, rows_index)  # the written rows' current entries
    old_columns = columns.gather(1, rows_index)
    new_values = w_top.unsqueeze(-1) * p_top.unsqueeze(-2)  # (B, K_rows, K_new)
    new_columns = p_cols.unsqueeze(1).expand(B, K, K)
    # A new column already kept in the row adds to that entry; the duplicate candidate is
    # then marked -1 so the top-K below never picks it (kept values are >= 0).
    same = old_columns.unsqueeze(-1) == new_columns.unsqueeze(-2)  # (B, K, K_old, K_new)
    old_values = old_values + (same * new_values.unsqueeze(-2)).sum(-1)
    new_values = torch.where(same.any(-2), torch.full_like(new_values, -1.0), new_values)
    cand_values = torch.cat([old_values, new_values], dim=-1)  # (B, K, 2K)
    cand_columns = torch.cat([old_columns, new_columns], dim=-1)
    # No self-links: zero the diagonal entry (row i, column i).
    self_link = cand_columns == w_rows.unsqueeze(-1)
    cand_values = cand_values.masked_fill(self_link & (cand_values > 0), 0.0)
    top_values, top = cand_values.topk(K, dim=-1)  # (B, K, K)
    top_columns = cand_columns.gather(-1, top)
    values = values.scatter(1, rows_index, top_values)
    columns = columns.scatter(1, rows_index, top_columns)
    return SparseLink(values, columns)


def sparse_directional_weights(link: SparseLink, read_weights: Tensor) -> tuple[Tensor, Tensor]:
    """f = L^ w^r_{t-1},  b = L^^T w^r_{t-1} from K entries per row, O(R N K).

    link: L^_t, values and columns (B, N, K); read_weights (B, R, N)
    -> forward, backward (B, R, N), equal to ``directional_weights`` of the dense matrix.
    """
    values, columns = link
    B, N, K = values.shape
    R = read_weights.shape[1]
    flat = columns.view(B, 1, N * K).expand(B, R, N * K)
    # f[i] = sum_k values[i, k] w[columns[i, k]]
    forward = (read_weights.gather(-1, flat).view(B, R, N, K) * values.unsqueeze(1)).sum(-1)
    # b[j] = sum_{i, k: columns[i, k] = j} values[i, k] w[i]
    contributions = (values.unsqueeze(1) * read_weights.unsqueeze(-1)).view(B, R, N * K)
    backward = read_weights.new_zeros(B, R, N).scatter_add(-1, flat, contributions)
    return forward, backward
