"""Compare σ: Fourier-feature MLPs at several σ trained as one batched model (stacked weights)."""

from inr.methods.sigma.compare import label, member_histories, members, prepare, unique
from inr.methods.sigma.stack import FieldStack

__all__ = ["FieldStack", "label", "member_histories", "members", "prepare", "unique"]
