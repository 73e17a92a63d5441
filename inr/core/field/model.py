"""A field: encoding + optional per-clip latent codes + network, built from a config alone."""

import dataclasses
import json
import math
from dataclasses import dataclass, field

import torch
from torch import nn

from inr.core.field.encodings import ENCODING_CONFIGS, EncodingConfig, GridConfig, build_encoding
from inr.core.field.networks import CoordinateNetwork, NetworkConfig


@dataclass(frozen=True)
class ModelConfig:
    encoding: EncodingConfig = field(default_factory=GridConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    clips: int = 1  # clips memorised by this one model (auto-decoder: one latent code each)
    latent_dim: int = 32  # code width when clips > 1; enough to tell a handful of clips apart

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @staticmethod
    def from_dict(data: dict) -> "ModelConfig":
        """Rebuild a config from its JSON form; ValueError when a field is unknown or mistyped."""
        try:
            enc = dict(data["encoding"])
            kind = enc.get("kind")
            if kind not in ENCODING_CONFIGS:
                raise ValueError(f"unknown encoding kind {kind!r} (a method's encoding is known once its "
                                 f"architecture is registered: load through inr.api, or call "
                                 f"inr.archs.install() first)")
            if "log2_table" in enc:  # hash configs saved before the table size was any whole number
                enc["table"] = 2 ** int(enc.pop("log2_table"))
            for key in ("finest", "coarsest"):
                if key in enc:
                    enc[key] = tuple(int(v) for v in enc[key])
                    if len(enc[key]) != 3 or min(enc[key]) < 1:
                        raise ValueError(f"{key} must be 3 node counts >= 1 (t, y, x), got {enc[key]}")
            if "span" in enc:
                enc["span"] = tuple(tuple(float(v) for v in pair) for pair in enc["span"])
                if len(enc["span"]) != 3 or any(len(p) != 2 or not -math.inf < p[0] < p[1] < math.inf
                                                for p in enc["span"]):
                    raise ValueError(f"span must be 3 finite (low, high) pairs, low < high, got {enc['span']}")
            encoding = type(ENCODING_CONFIGS[kind])(**enc)
            net = dict(data["network"])
            if net.get("kind") == "siren":
                net.setdefault("hidden_omega", 1.0)  # saved before the field: their later sines were sin(x)
            network = NetworkConfig(**net)
            rest = {k: v for k, v in data.items() if k not in ("encoding", "network")}
            return ModelConfig(encoding=encoding, network=network, **rest)
        except (KeyError, TypeError) as err:
            raise ValueError(f"not a valid model config: {err}") from err


class Field(nn.Module):
    """(t, y, x) in [-1, 1] (+ a clip's latent code) -> rgb, nominally in [0, 1]."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        if cfg.clips < 1:
            raise ValueError(f"a model memorises at least one clip, got clips={cfg.clips}")
        self.cfg = cfg
        self.encoding = build_encoding(cfg.encoding)
        self.latent_dim = cfg.latent_dim if cfg.clips > 1 else 0
        # DeepSDF-style auto-decoder init: small codes, so clips start from a shared mean.
        generator = torch.Generator().manual_seed(0)
        self.latents = nn.Parameter(torch.randn(cfg.clips, self.latent_dim, generator=generator) * 0.01)
        self.network = CoordinateNetwork(self.encoding.out_dim + self.latent_dim, cfg.network)

    def code(self, clip: int = 0, mix_with: int | None = None, mix: float = 0.0) -> torch.Tensor:
        """The latent code of a clip, or of a blend (1 - mix) * code(clip) + mix * code(mix_with): (D,)."""
        for index in (clip, mix_with):
            if index is not None and not 0 <= index < self.cfg.clips:
                raise ValueError(f"clip index must be in 0..{self.cfg.clips - 1}, got {index}")
        z = self.latents[clip]
        if mix_with is not None:
            z = torch.lerp(z, self.latents[mix_with], float(mix))
        return z

    def forward(self, coords: torch.Tensor, codes: torch.Tensor | None = None) -> torch.Tensor:
        """coords (N, 3); codes (N, D) or (D,) when the model holds several clips -> rgb (N, 3)."""
        return self._decode(self.encoding(coords), codes)

    def lattice(self, t: torch.Tensor, y: torch.Tensor, x: torch.Tensor,
                code: torch.Tensor | None = None) -> torch.Tensor:
        """rgb (T, H, W, 3) at every point of the lattice t x y x x (each 1-D in [-1, 1]).

        Grid encodings read a lattice with separable matrix products (the fast path); other
        encodings are evaluated point by point over the same points.
        """
        if hasattr(self.encoding, "lattice"):
            features = self.encoding.lattice(t, y, x)  # (T, H, W, F)
        else:
            points = torch.stack(torch.meshgrid(t, y, x, indexing="ij"), dim=-1)
            features = self.encoding(points.view(-1, 3)).view(len(t), len(y), len(x), -1)
        shape = features.shape[:3]
        return self._decode(features.reshape(-1, features.shape[-1]), code).view(*shape, 3)

    def _decode(self, features: torch.Tensor, codes: torch.Tensor | None) -> torch.Tensor:
        if self.latent_dim:
            if codes is None:
                raise ValueError("this model holds several clips: pass their latent codes")
            features = torch.cat([features, codes.expand(len(features), -1)], dim=-1)
        return self.network(features)
