"""A fit's curve, thinned to a few evenly spread points: for checkpoints, JSON and printed summaries."""

import numpy as np

HISTORY_POINTS = 400  # curve points kept in a checkpoint: enough to redraw its plot


def thin(rows: list, points: int = HISTORY_POINTS) -> list:
    """At most `points` of `rows`, evenly spread, the first and last always kept, in order."""
    if points < 2:
        raise ValueError(f"points must be >= 2 (the first and the last), got {points}")
    if len(rows) <= points:
        return list(rows)
    keep = np.linspace(0, len(rows) - 1, points).round().astype(int)
    return [rows[i] for i in sorted(set(keep.tolist()))]
