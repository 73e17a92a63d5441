"""Compare: configurations of any architecture fitted to one clip side by side, at equal time or
equal size; same-shape MLPs (the σ sweep) train as one batched model."""

from inr.methods.compare.configs import (CODEC, MAX_CONFIGS, PRESETS, SETTINGS, SIZED_BY, Config, make, parse,
                                         unique)
from inr.methods.compare.model import FieldStack, member_histories, members
from inr.methods.compare.picture import crop_box, panel
from inr.methods.compare.sizing import TOLERANCE, file_bytes, weights_bytes
from inr.methods.compare.workflow import (DEFAULT_SECONDS, Comparison, Group, Result, adopt, fit, histories, plan,
                                         results, summary, table)

__all__ = ["CODEC", "Comparison", "Config", "DEFAULT_SECONDS", "FieldStack", "Group", "MAX_CONFIGS", "PRESETS",
           "Result", "SETTINGS", "SIZED_BY", "TOLERANCE", "adopt", "crop_box", "file_bytes", "fit", "histories",
           "make", "member_histories", "members", "panel", "parse", "plan", "results", "summary", "table", "unique",
           "weights_bytes"]
