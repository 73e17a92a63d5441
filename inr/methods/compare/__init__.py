"""Compare: configurations of any architecture fitted to one clip side by side, at equal time or
equal size; same-shape MLPs (the σ sweep) train as one batched model."""

from inr.methods.compare.compare import (DEFAULT_SECONDS, Comparison, Group, Result, adopt, crop_box, fit, histories,
                                         member_histories, members, panel, plan, results, summary, table)
from inr.methods.compare.configs import (CODEC, MAX_CONFIGS, PRESETS, SETTINGS, SIZED_BY, Config, make, parse,
                                         unique)
from inr.methods.compare.sizing import TOLERANCE, estimate_bytes, weights_bytes
from inr.methods.compare.stack import FieldStack

__all__ = ["CODEC", "Comparison", "Config", "DEFAULT_SECONDS", "FieldStack", "Group", "MAX_CONFIGS", "PRESETS",
           "Result", "SETTINGS", "SIZED_BY", "TOLERANCE", "adopt", "crop_box", "estimate_bytes", "fit", "histories",
           "make", "member_histories", "members", "panel", "parse", "plan", "results", "summary", "table", "unique",
           "weights_bytes"]
