"""Statistics of a month over all paths, seen one block of paths at a time.

When one month of every path does not fit the projection's working memory
(:data:`costplan.limits.PROJECTION_BLOCK_BYTES`, a stack with hundreds of node pools at tens
of thousands of paths), :func:`costplan.projection.simulate.project` evaluates the paths in
blocks as well as the months. Its figures must be the ones of all paths at once, to the last
bit: p10, p50 and p90 are interpolated from order statistics over every path, the mean is
numpy's pairwise sum over every path divided by their number. This module gives both without
holding a month of every path:

* the blocks of paths are leaves of numpy's pairwise summation tree over all paths
  (:func:`pairwise_leaves`), so each block's sum is a subtree's and :func:`pairwise_total`
  adds them as numpy does: the same mean as ``np.mean`` over the whole row;
* whole-number rows (nodes, pods, ladder rungs, GB) are counted per value
  (``np.bincount``, additive over blocks): their order statistics are read from the counts;
* the other rows are selected in a window of values taken from the first block: the values
  below it and equal to its ends are counted, the ones strictly inside are kept; the first
  block is a sample of the paths (they are drawn independently), so the window around its
  own quantile holds the quantile of all paths but for a chance of about 1e-6 per figure;
* a figure whose rank falls outside the window, or a window that held more values than its
  share, is *unresolved*: the caller evaluates the month block again and hands the row's
  values over all paths (:meth:`PathSelection.resolve`), a few rows at a time.

Every resolved value is an order statistic of the row, exactly, so the interpolation gives
``np.quantile``'s figures whichever way it was found (tests/test_projection_blocks.py).
"""

from __future__ import annotations

import numpy as np

PAIRWISE_BLOCK = 128
"""numpy's pairwise summation adds up to this many values in one loop (``PW_BLOCKSIZE``): a
subtree no larger cannot be split [values]."""

WINDOW_SIGMAS = 5.0
"""Half-width of a selection window in the first block, in standard deviations of the rank
of a quantile in a sample of that size [1]."""

WINDOW_SLACK = 8
"""Ranks added on each side of a selection window [ranks]."""

WINDOW_CAP = 4.0
"""A window keeps at most this many times the values its share of the ranks expects (and at
least :data:`WINDOW_MIN_KEPT`); past it the figure is left unresolved [1]."""

WINDOW_MIN_KEPT = 256
"""Values a selection window may always keep [values]."""

CHUNK_ROWS = 256
"""Rows of a block handled at once, so their temporaries stay in the processor's caches [rows]."""

COUNTED_TABLE = 1 << 16
"""Widest table of whole numbers one row counts [values]."""


def pairwise_leaves(n: int, most: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of the blocks of ``n`` paths: the subtrees of numpy's pairwise sum over
    ``n`` values that hold at most ``most`` values (or at most :data:`PAIRWISE_BLOCK`, which
    cannot be split), in order."""
    out: list[tuple[int, int]] = []

    def split(start: int, m: int) -> None:
        if m <= most or m <= PAIRWISE_BLOCK:
            out.append((start, start + m))
            return
        half = m // 2
        half -= half % 8
        split(start, half)
        split(start + half, m - half)

    split(0, n)
    return out


def pairwise_total(n: int, most: int, sums: list):
    """The sum over all ``n`` paths from the blocks' sums (``sums``, in the order of
    :func:`pairwise_leaves` with the same ``most``), added as numpy's pairwise sum adds its
    subtrees."""
    it = iter(sums)

    def total(m: int):
        if m <= most or m <= PAIRWISE_BLOCK:
            return next(it)
        half = m // 2
        half -= half % 8
        left = total(half)
        return left + total(m - half)

    return total(n)


class PathSelection:
    """Order statistics at ``ranks`` and means of ``rows`` rows of ``n`` values each, given a
    block of paths at a time (:meth:`add`, blocks from :func:`pairwise_leaves` with ``most``,
    in order). ``ranks`` is ``(prev, nxt)`` of :func:`costplan.projection.simulate._positions`:
    the ranks below and above each quantile."""

    def __init__(self, n: int, rows: int, ranks: tuple[np.ndarray, np.ndarray], most: int):
        self.n, self.rows, self.most = n, rows, most
        self.prev, self.nxt = (np.asarray(r) % n for r in ranks)
        self.k = len(self.prev)
        self.sums: list[np.ndarray] = []
        self.lo = np.full(rows, np.inf)
        self.hi = np.full(rows, -np.inf)
        self.seen = 0

    # -- the first block decides how each row is selected ---------------------------------------
    def _setup(self, x: np.ndarray) -> None:
        rows, p = x.shape
        lo, hi = x.min(axis=1), x.max(axis=1)
        span = hi - lo
        whole = np.isfinite(span) & (span < COUNTED_TABLE / 3) & (x == np.floor(x)).all(axis=1)
        self.counted = np.flatnonzero(whole)
        self.windowed = np.flatnonzero(~whole)
        # counted rows: a table of whole numbers from lo - span to hi + span (one value at least),
        # between a slot for the values below it and one for those above
        s = span[self.counted].astype(np.int64)
        self.base = lo[self.counted] - s
        self.width = 3 * s + 1
        self.offset = np.concatenate([[0], np.cumsum(self.width + 2)[:-1]]).astype(np.int64)
        self.table = np.zeros(int((self.width + 2).sum()), dtype=np.int64)
        self.c_broken = np.zeros(len(self.counted), dtype=bool)  # a value that is not whole
        # windowed rows: per quantile, the values of ranks r1 -+ margin of this block
        w = x[self.windowed]
        self.q = (self.prev + (self.nxt - self.prev) * 0.5) / max(self.n - 1, 1)  # the quantile's place
        lo_rank, hi_rank = self._window(p)
        kth = np.unique(np.clip(np.concatenate([lo_rank, hi_rank]), 0, p - 1))
        part = np.array(w, copy=True)
        part.partition(kth, axis=1)
        self.v_lo = np.where(lo_rank[None, :] < 0, -np.inf, part[:, np.clip(lo_rank, 0, p - 1)])
        self.v_hi = np.where(hi_rank[None, :] > p - 1, np.inf, part[:, np.clip(hi_rank, 0, p - 1)])
        del part
        # at most: the window over all paths, 4 times, and two blocks' share of the ranks
        lo_n, hi_n = self._window(self.n)
        self.cap = np.maximum(WINDOW_MIN_KEPT, WINDOW_CAP * (hi_n - lo_n + 1) + 2 * (hi_rank - lo_rank + 1)
                              * self.most / p).astype(np.int64)
        shape = (len(self.windowed), self.k)
        self.w_below = np.zeros(shape, dtype=np.int64)
        self.w_eq_lo = np.zeros(shape, dtype=np.int64)
        self.w_eq_hi = np.zeros(shape, dtype=np.int64)
        self.w_inside = np.zeros(shape, dtype=np.int64)
        self.lost = np.zeros(shape, dtype=bool)  # kept more than its cap: left unresolved
        self.kept: list[list] = [[] for _ in range(self.k)]  # per quantile: (row ids, values) per block
        self.kept_size = np.zeros(self.k, dtype=np.int64)
        self.compacted = np.zeros(self.k, dtype=np.int64)

    def _window(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        """The lowest and highest rank of each quantile's window in ``p`` values."""
        r = self.q * (p - 1)
        margin = WINDOW_SIGMAS * np.sqrt(p * self.q * (1 - self.q)) + WINDOW_SLACK
        return np.floor(r - margin).astype(np.int64), np.ceil(r + margin).astype(np.int64)

    def add(self, x: np.ndarray) -> None:
        """One block of paths: ``x`` is ``(rows, paths)``, each row C-contiguous, finite."""
        if self.seen == 0:
            self._setup(x)
        self.seen += x.shape[1]
        self.sums.append(x.sum(axis=1))
        np.minimum(self.lo, x.min(axis=1), out=self.lo)
        np.maximum(self.hi, x.max(axis=1), out=self.hi)
        for c0 in range(0, len(self.counted), CHUNK_ROWS):  # a few rows at a time: in the caches
            rs = slice(c0, c0 + CHUNK_ROWS)
            idx = x[self.counted[rs]]
            idx -= self.base[rs, None]
            ii = idx.astype(np.int64)
            self.c_broken[rs] |= (ii != idx).any(axis=1)  # not whole (or beyond int64): resolved later
            np.clip(ii, -1, self.width[rs, None], out=ii)  # below the table: its first slot; above: its last
            ii += self.offset[rs, None] + 1
            self.table += np.bincount(ii.ravel(), minlength=len(self.table))
        narrow = False
        for c0 in range(0, len(self.windowed), CHUNK_ROWS):
            rs = slice(c0, c0 + CHUNK_ROWS)
            w = x[self.windowed[rs]]
            for j in range(self.k):
                v_lo, v_hi = self.v_lo[rs, j, None], self.v_hi[rs, j, None]
                lt_lo = w < v_lo
                le_lo = w <= v_lo
                lt_hi = w < v_hi
                n_lt_lo, n_le_lo, n_lt_hi = (np.count_nonzero(m, axis=1) for m in (lt_lo, le_lo, lt_hi))
                self.w_below[rs, j] += n_lt_lo
                self.w_eq_lo[rs, j] += n_le_lo - n_lt_lo
                two = v_hi[:, 0] > v_lo[:, 0]  # a window of one value counts its values once, low
                self.w_eq_hi[rs, j] += np.where(two, np.count_nonzero(w <= v_hi, axis=1) - n_lt_hi, 0)
                self.w_inside[rs, j] += np.where(two, n_lt_hi - n_le_lo, 0)
                self.lost[rs, j] |= self.w_inside[rs, j] > self.cap[j]
                inside = lt_hi & ~le_lo
                inside[self.lost[rs, j] | ~two] = False  # past its share: resolved later
                rows, _ = np.nonzero(inside)
                self.kept[j].append(((rows + c0).astype(np.int32), w[inside]))
                self.kept_size[j] += len(rows)
                narrow = True
        if narrow:
            for j in range(self.k):
                if self.kept_size[j] > 2 * self.compacted[j] + 64 * len(self.windowed):
                    self._narrow(j)

    def _sorted(self, j: int):
        """Quantile ``j``'s kept values sorted by row, then value, as one ``(rows, values)``."""
        if not self.kept[j]:
            return np.empty(0, np.int32), np.empty(0)
        rows = np.concatenate([rw for rw, _ in self.kept[j]])
        vals = np.concatenate([v for _, v in self.kept[j]])
        order = np.lexsort((vals, rows))
        return rows[order], vals[order]

    def _narrow(self, j: int) -> None:
        """Narrow quantile ``j``'s windows to the ranks of the paths seen so far: a window's
        new ends are kept values, the values below its new low end are counted, those above
        its new high end dropped, and the values equal to either end counted. The counts stay
        exact; only the chance that the quantile of all paths falls outside shrinks less
        than the window does."""
        rows, vals = self._sorted(j)
        nw = len(self.windowed)
        first = np.searchsorted(rows, np.arange(nw))
        m = np.where(self.lost[:, j], 0, self.w_inside[:, j])
        base = self.w_below[:, j] + self.w_eq_lo[:, j]
        lo_rank, hi_rank = (int(r[j]) for r in self._window(self.seen))
        i = np.arange(len(rows))
        change = np.ones(len(rows), dtype=bool)
        change[1:] = (rows[1:] != rows[:-1]) | (vals[1:] != vals[:-1])
        run_start = np.maximum.accumulate(np.where(change, i, 0)) if len(rows) else i
        end = np.ones(len(rows), dtype=bool)
        end[:-1] = change[1:]
        run_end = np.minimum.accumulate(np.where(end, i, len(rows))[::-1])[::-1] if len(rows) else i
        start, stop = first.copy(), first + m  # the kept values still inside, per row
        live = ~self.lost[:, j]
        new_lo = live & (lo_rank >= base) & (lo_rank < base + m)
        if new_lo.any():
            pos = first[new_lo] + (lo_rank - base[new_lo])
            v = vals[pos]
            below = run_start[pos] - first[new_lo]
            self.w_below[new_lo, j] += self.w_eq_lo[new_lo, j] + below
            self.w_eq_lo[new_lo, j] = run_end[pos] - run_start[pos] + 1
            self.v_lo[new_lo, j] = v
            start[new_lo] = run_end[pos] + 1
        new_hi = live & (hi_rank >= base) & (hi_rank < base + m)
        if new_hi.any():
            pos = first[new_hi] + (hi_rank - base[new_hi])
            self.v_hi[new_hi, j] = vals[pos]
            self.w_eq_hi[new_hi, j] = run_end[pos] - run_start[pos] + 1
            stop[new_hi] = run_start[pos]
        same = live & (self.v_hi[:, j] == self.v_lo[:, j])  # both ends one value: all of it counted low
        self.w_eq_hi[same, j] = 0
        stop = np.maximum(stop, start)
        self.w_inside[live, j] = (stop - start)[live]
        keep = (i >= start[rows]) & (i < stop[rows]) & live[rows] if len(rows) else np.zeros(0, bool)
        self.kept[j] = [(rows[keep], vals[keep])]
        self.kept_size[j] = self.compacted[j] = int(np.count_nonzero(keep))

    # -- the figures ------------------------------------------------------------------------------
    def finish(self):
        """``(a, b, mean, lo, hi, unresolved)``: the order statistics below (``a``) and above
        (``b``) each quantile, ``(k, rows)``; each row's pairwise mean, minimum and maximum
        ``(rows,)``; and the rows some figure of which is still unknown (boolean ``(rows,)``),
        for :meth:`resolve`."""
        assert self.seen == self.n, (self.seen, self.n)
        a = np.full((self.k, self.rows), np.nan)
        b = np.full((self.k, self.rows), np.nan)
        if len(self.counted):
            for out, ranks in ((a, self.prev), (b, self.nxt)):
                out[:, self.counted] = self._counted(ranks)
        if len(self.windowed):
            for j in range(self.k):
                a[j, self.windowed] = self._windowed(j, self.prev[j])
                b[j, self.windowed] = self._windowed(j, self.nxt[j])
        mean = pairwise_total(self.n, self.most, self.sums) / self.n
        equal = self.lo == self.hi  # a row equal on every path: that value, whatever was found
        a[:, equal] = self.lo[equal]
        b[:, equal] = self.lo[equal]
        unresolved = np.isnan(a).any(axis=0) | np.isnan(b).any(axis=0)
        return a, b, mean, self.lo.copy(), self.hi.copy(), unresolved

    def _counted(self, ranks: np.ndarray) -> np.ndarray:
        cum = np.cumsum(self.table)
        below = self.table[self.offset]
        start = cum[self.offset]  # up to the slot below the table
        in_table = cum[self.offset + self.width] - start
        out = np.full((len(ranks), len(self.counted)), np.nan)
        for j, r in enumerate(ranks):
            rel = r - below
            ok = (rel >= 0) & (rel < in_table) & ~self.c_broken
            g = np.searchsorted(cum, start + np.clip(rel, 0, None), side="right")
            out[j, ok] = (self.base + (g - self.offset - 1))[ok]
        return out

    def _windowed(self, j: int, r: int) -> np.ndarray:
        rows, vals = self._sorted(j)
        first = np.searchsorted(rows, np.arange(len(self.windowed)))
        below, eq_lo, eq_hi = self.w_below[:, j], self.w_eq_lo[:, j], self.w_eq_hi[:, j]
        inside = self.w_inside[:, j]
        rel = r - below
        out = np.full(len(self.windowed), np.nan)
        at_lo = (rel >= 0) & (rel < eq_lo)
        out[at_lo] = self.v_lo[at_lo, j]
        rel_in = rel - eq_lo
        kept = (rel_in >= 0) & (rel_in < inside) & ~self.lost[:, j]
        if kept.any():
            out[kept] = vals[first[kept] + rel_in[kept]]
        rel_hi = rel_in - inside
        at_hi = (rel_hi >= 0) & (rel_hi < eq_hi)
        out[at_hi] = self.v_hi[at_hi, j]
        return out

    def resolve(self, rows: np.ndarray, values: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        """Fill in ``a`` and ``b`` of ``rows`` from their values over all paths, ``values``
        ``(len(rows), n)`` (may be reordered in place)."""
        from costplan.projection.simulate import order_statistics

        ra, rb = order_statistics(values)
        a[:, rows], b[:, rows] = ra, rb
