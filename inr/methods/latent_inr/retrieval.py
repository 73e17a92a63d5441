"""Frame retrieval with per-frame latents: which frames of a clip look like this image?

Three ways to rank a clip's frames against a query image, all from one ``FrameIndex``:

* ``latent``: invert the query into the model's latent space (fit one code with the decoder
  frozen), then rank the frames by distance between codes. Needs no image encoder at all.
* ``aligned``: encode the query with an image encoder, and rank the frames by cosine similarity
  to their latents mapped into the encoder's feature space by a linear map fitted by least
  squares (ridge) on the clip's own frames. This is the "latent aligned to an image encoder" of
  Latent-INR; the map is tiny (latent_dim + 1) x feature_dim.
* ``features``: the encoder's features of the decoded frames directly: the reference without latents.

Image encoders are pluggable: anything with ``name`` and ``encode(images uint8 (N, H, W, 3)) ->
float (N, E)`` works. Two ship here, both fixed functions with no weights to download: a colour
histogram + thumbnail encoder (the default) and a seeded random-convolution encoder.
"""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from inr.core.evaluate.metrics import mse_to_psnr
from inr.core.field.coords import pixel_centres
from inr.core.media.io import load_clip
from inr.core.train.loop import LoopConfig, Scores, Trainer, train
from inr.methods.latent_inr import fileformat
from inr.methods.latent_inr.model import FrameLatents, render_clip

MODES = ("aligned", "latent", "features")


class ImageEncoder(Protocol):
    name: str

    def encode(self, images: np.ndarray) -> np.ndarray:
        """uint8 images (N, H, W, 3) -> float32 features (N, E)."""


def _check_images(images: np.ndarray) -> np.ndarray:
    if not (isinstance(images, np.ndarray) and images.dtype == np.uint8 and images.ndim == 4
            and images.shape[3] == 3 and len(images)):
        raise ValueError(f"images must be uint8 (N, H, W, 3) with N >= 1, got "
                         f"{getattr(images, 'dtype', type(images))} {getattr(images, 'shape', '')}")
    return images


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class HistogramThumbnail:
    """Joint RGB histogram (bins^3, square-rooted) + a mean-removed grey thumbnail, each unit-length.

    The histogram ignores where things are (robust to crops), the thumbnail ignores global colour
    (robust to colour shifts); both average away pixel noise.
    """

    bins: int = 4  # per channel: 64 joint bins
    thumb: int = 8  # thumbnail side: 64 values
    name: str = "histogram-thumbnail"

    def encode(self, images: np.ndarray) -> np.ndarray:
        images = _check_images(images)
        out = []
        for image in images:
            codes = (image.astype(np.int64) * self.bins // 256).reshape(-1, 3)
            joint = codes[:, 0] * self.bins ** 2 + codes[:, 1] * self.bins + codes[:, 2]
            hist = np.sqrt(np.bincount(joint, minlength=self.bins ** 3) / len(joint))
            grey = np.asarray(Image.fromarray(image).convert("L").resize((self.thumb, self.thumb), Image.BOX),
                              dtype=np.float64).ravel()
            grey -= grey.mean()
            out.append(np.concatenate([_unit(hist[None])[0], _unit(grey[None])[0]]))
        return np.stack(out).astype(np.float32)


@dataclass(frozen=True)
class RandomConv:
    """A fixed, seeded 3-layer random convolution network with mean and max pooling.

    Random features of this kind are a classic untrained baseline; the seed makes it the same
    function everywhere, so an index and its queries always agree.
    """

    channels: int = 32  # per layer; features = 2 x channels
    size: int = 64  # images are area-resized to size x size first
    seed: int = 0
    name: str = "random-conv"

    def _weights(self) -> list[torch.Tensor]:
        g = torch.Generator().manual_seed(self.seed)
        shapes = [(self.channels, 3, 5, 5), (self.channels, self.channels, 3, 3), (self.channels, self.channels, 3, 3)]
        return [torch.randn(s, generator=g) / math.sqrt(s[1] * s[2] * s[3]) for s in shapes]

    @torch.no_grad()
    def encode(self, images: np.ndarray) -> np.ndarray:
        images = _check_images(images)
        small = np.stack([np.asarray(Image.fromarray(i).resize((self.size, self.size), Image.BOX)) for i in images])
        x = torch.from_numpy(small).float().permute(0, 3, 1, 2) / 255 - 0.5  # (N, 3, s, s)
        for w in self._weights():
            x = F.relu(F.conv2d(x, w, stride=2, padding=w.shape[-1] // 2))
        feats = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        return _unit(feats.numpy()).astype(np.float32)


ENCODERS = {"histogram-thumbnail": HistogramThumbnail, "random-conv": RandomConv}
DEFAULT_ENCODER = "histogram-thumbnail"


def make_encoder(name: str = DEFAULT_ENCODER) -> ImageEncoder:
    if name not in ENCODERS:
        raise ValueError(f"encoder must be one of {', '.join(ENCODERS)}, got {name!r}")
    return ENCODERS[name]()


def fit_alignment(latents: np.ndarray, features: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """The least-squares map [latent, 1] -> features: (D + 1, E). Ridge keeps it defined for T < D + 1."""
    design = np.concatenate([latents, np.ones((len(latents), 1))], axis=1).astype(np.float64)  # (T, D + 1)
    gram = design.T @ design
    scale = ridge * max(np.trace(gram) / len(gram), 1e-12)
    return np.linalg.solve(gram + scale * np.eye(len(gram)), design.T @ features.astype(np.float64))


def map_latents(latents: np.ndarray, alignment: np.ndarray) -> np.ndarray:
    """(T, D) latents -> (T, E) in the encoder's feature space."""
    return np.concatenate([latents, np.ones((len(latents), 1))], axis=1) @ alignment


@dataclass
class FrameIndex:
    """What a search needs: the model (for inversion), its codes, the encoder and the alignment.

    Built from an .inr file in about a second (``build_index``), so the .inr file is the index:
    nothing else is stored.
    """

    model: FrameLatents
    latents: np.ndarray  # (T, D)
    features: np.ndarray  # (T, E): the encoder's features of the decoded frames
    alignment: np.ndarray  # (D + 1, E)
    encoder: ImageEncoder
    fps: float = 1.0

    @property
    def frames(self) -> int:
        return len(self.latents)


def build_index(model: FrameLatents, frames: np.ndarray | None = None,
                encoder: ImageEncoder | str = DEFAULT_ENCODER, fps: float = 1.0) -> FrameIndex:
    """Index a model's frames: encode them (its own decoding unless `frames` are given) and align."""
    encoder = make_encoder(encoder) if isinstance(encoder, str) else encoder
    model = model.eval()
    frames = render_clip(model) if frames is None else frames
    if len(frames) != model.cfg.frames:
        raise ValueError(f"{len(frames)} frames given for a model of {model.cfg.frames}")
    latents = model.latents.detach().cpu().numpy().astype(np.float64)
    features = encoder.encode(frames)
    return FrameIndex(model, latents, features, fit_alignment(latents, features), encoder, fps)


def index_file(path: str | Path, encoder: ImageEncoder | str = DEFAULT_ENCODER) -> FrameIndex:
    """The index of an .inr file (see README: the .inr file is the index): decode, encode, align."""
    model, meta, _ = fileformat.read(path)
    return build_index(model, encoder=encoder, fps=meta.fps)


def load_image(path: str | Path) -> np.ndarray:
    """A query image (or a clip's first frame) as uint8 (H, W, 3); ValueError naming the file if unreadable."""
    return load_clip(path, max_frames=1).frames[0]


def invert(model: FrameLatents, image: np.ndarray, steps: int = 30, lr: float = 0.01, size: int = 32,
           starts: int = 4) -> np.ndarray:
    """The code whose frame best matches `image`: (D,). The decoder stays frozen.

    Codes are fitted at `size` pixels on the longer side (the INR renders at any size, and a
    thumbnail keeps this well under a second). A fit from one start falls into the nearest local
    minimum, so the `starts` dictionary codes whose frames are closest to the query are refined
    in parallel and the best fit is kept.
    """
    cfg = model.cfg
    scale = min(1.0, size / max(cfg.height, cfg.width))
    height, width = max(2, round(cfg.height * scale)), max(2, round(cfg.width * scale))
    small = np.array(Image.fromarray(image).resize((width, height), Image.BOX))  # (h, w, 3), a writable copy
    device = model.latents.device
    target = (torch.from_numpy(small).float() / 255).to(device).view(1, -1, 3)  # (1, h * w, 3)
    latents = model.latents.detach()
    with torch.no_grad():
        features = model.spatial_features(pixel_centres(height, device), pixel_centres(width, device))
        errors = torch.cat([((model.decode(group, features) - target) ** 2).mean(dim=(1, 2))
                            for group in latents.split(64)])  # (T,)
    first = errors.argsort()[:min(starts, len(latents))]
    codes = latents[first].clone().requires_grad_(True)  # (starts, D)

    def fit_errors() -> torch.Tensor:
        return ((model.decode(codes, features) - target) ** 2).mean(dim=(1, 2))  # (starts,)

    def score(final: bool, preview: bool) -> Scores:
        with torch.no_grad():
            return Scores(mse_to_psnr(fit_errors().min().item()))

    # The starts are independent: a sum gives each its own gradient. A constant rate (final_ratio
    # 1), and no records past the first: nobody watches a search's inversion.
    trainer = Trainer(lambda progress: fit_errors().sum(), score)
    budget = LoopConfig(steps=steps, seconds=None, log_seconds=math.inf, score_end=False, final=False)
    # Only the codes learn: the decoder is frozen for the search, so the backward pass stops at the
    # codes and leaves no gradients on the shared model.
    learning = [p for p in model.parameters() if p.requires_grad]
    for p in learning:
        p.requires_grad_(False)
    try:
        for _ in train(trainer, torch.optim.Adam([codes], lr=lr), budget):
            pass
    finally:
        for p in learning:
            p.requires_grad_(True)
    with torch.no_grad():
        final = fit_errors()
    return codes.detach()[final.argmin()].cpu().numpy().astype(np.float64)


def scores(index: FrameIndex, query: np.ndarray, mode: str = "aligned") -> np.ndarray:
    """Similarity of every frame to the query image uint8 (H, W, 3): (T,), higher is closer."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    _check_images(np.asarray(query)[None])
    if mode == "latent":
        code = invert(index.model, query)
        return -np.linalg.norm(index.latents - code[None], axis=1)
    feature = index.encoder.encode(query[None])[0]
    rows = index.features if mode == "features" else map_latents(index.latents, index.alignment)
    return _unit(rows) @ (feature / max(np.linalg.norm(feature), 1e-12))


def search(index: FrameIndex, query: np.ndarray, top: int = 5, mode: str = "aligned") -> list[dict]:
    """The `top` closest frames: [{"frame", "seconds", "score"}], closest first."""
    if not (isinstance(top, int) and top >= 1):
        raise ValueError(f"top must be a whole number >= 1, got {top!r}")
    values = scores(index, query, mode)
    order = np.argsort(-values, kind="stable")[:top]
    return [{"frame": int(i), "seconds": float(i / index.fps), "score": float(values[i])} for i in order]
