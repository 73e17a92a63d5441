"""What a comparison fits: configurations written ``arch:key=value,key=value``, joined by ``;``.

``parse("fourier:sigma=10;siren:omega0=30;hash")`` gives three ``Config``s. Each architecture has a
few main settings (``SETTINGS``) with their defaults; a setting given at its default is the same
configuration as leaving it out, so ``siren`` and ``siren:omega0=30`` are fitted once. Under equal
size one setting of each architecture is what the sizing chooses (``SIZED_BY``). The presets
reproduce the field's famous side-by-side figures on our clips.
"""

import dataclasses
import math
import re
from dataclasses import dataclass

from inr.core.field.model import ModelConfig
from inr.core.train import presets

MAX_CONFIGS = 6  # more panels than this no longer fit side by side on one screen
CODEC = "codec"  # the neural codec: not a field, so it has no place in the engine's arch table


def _sigma(text: str) -> float | None:
    if text.strip().lower() in ("none", "off", "0"):
        return None
    return _positive(float)(text)


def _positive(kind: type):
    def read(text: str):
        value = kind(text)
        if not (math.isfinite(value) and value > 0):
            raise ValueError
        return value
    read.__name__ = kind.__name__
    return read


@dataclass(frozen=True)
class Setting:
    read: object  # text -> value; ValueError when the text is not one
    default: object
    low: float  # the value must lie in [low, high]
    high: float
    meaning: str


def _count(default: int, low: int, high: int, meaning: str) -> Setting:
    return Setting(int, default, low, high, meaning)


_GRID = {"levels": _count(4, 1, 12, "grid levels"), "features": _count(3, 1, 16, "features a level"),
         "scale": Setting(_positive(float), 1.0, 0.02, 4.0, "finest nodes per training pixel along y and x")}
_MLP = {"width": _count(256, 1, 4096, "hidden units"), "depth": _count(3, 1, 12, "hidden layers")}
# Each architecture's main settings and their defaults (those of inr.core.train.presets.model_config).
SETTINGS: dict[str, dict[str, Setting]] = {
    "grid": _GRID,
    "hash": {"levels": _count(12, 1, 24, "hash levels"), "features": _count(2, 1, 16, "features a level"),
             "table": _count(2**17, 16, 2**24, "entries a level"),
             "width": _count(64, 1, 4096, "hidden units"), "depth": _count(2, 0, 12, "hidden layers")},
    "fourier": {"sigma": Setting(_sigma, 10.0, 0, math.inf, "std of the Fourier matrix ('none': raw coordinates)"),
                **_MLP},
    "relu": dict(_MLP),
    "siren": {"omega0": Setting(_positive(float), 30.0, 0, math.inf, "first layer's frequency"), **_MLP},
    # The motion field's levels are the grid's, plus one on every pixel where pixels are held out.
    "motion": {k: v for k, v in _GRID.items() if k != "levels"},
    CODEC: {"bpp": Setting(_positive(float), 0.2, 0, 24.0, "target size in bits per pixel")},
}
# The setting equal size chooses for each architecture (bytes grow with it).
SIZED_BY = {"grid": "scale", "motion": "scale", "hash": "table", "fourier": "width", "relu": "width",
            "siren": "width", CODEC: "bpp"}
# How each setting is written in labels.
SYMBOLS = {"sigma": "σ", "omega0": "ω₀"}


@dataclass(frozen=True)
class Preset:
    title: str
    configs: str  # as typed after --configs
    source: str  # the figure it reproduces


PRESETS = {
    "sigma": Preset("Fourier σ sweep", "fourier:sigma=none;fourier:sigma=1;fourier:sigma=10;fourier:sigma=100",
                    "Tancik et al. 2020, Fourier features: small σ blurs, large σ memorises the training pixels"),
    "siren": Preset("SIREN vs ReLU vs ReLU+PE", "relu;fourier:sigma=10;siren:omega0=30",
                    "Sitzmann et al. 2020, SIREN fig. 1: one MLP with ReLU, ReLU + positional encoding, sine"),
    "encodings": Preset("encodings at equal time (frequency, dense grid, hash)", "fourier:sigma=10;grid;hash",
                        "Müller et al. 2022, instant-ngp fig. 3: frequency encoding, dense grid, hash grid"),
}


@dataclass(frozen=True)
class Config:
    """One architecture with the settings that differ from its defaults, sorted by name."""

    arch: str
    settings: tuple[tuple[str, object], ...] = ()

    def get(self, key: str):
        return dict(self.settings).get(key, SETTINGS[self.arch][key].default)

    @property
    def text(self) -> str:
        """As typed on the command line: ``fourier:sigma=10,width=128``."""
        if not self.settings:
            return self.arch
        return self.arch + ":" + ",".join(f"{k}={_show(v)}" for k, v in self.settings)

    @property
    def label(self) -> str:
        """As shown in tables and legends: ``fourier σ=10``, ``siren ω₀=30``; the arch's main
        setting is shown even at its default."""
        shown = dict(self.settings)
        first = next(iter(SETTINGS[self.arch]))
        if first in ("sigma", "omega0"):
            shown = {first: self.get(first), **shown}
        parts = [f"{SYMBOLS.get(k, k)}={_show(v)}" for k, v in shown.items()]
        return " ".join([self.arch, *parts])

    @property
    def file_stem(self) -> str:
        """The label as a file name, its main setting named at its default too, like every other
        configuration's: 'fourier:sigma=10,width=64' -> 'fourier_sigma-10-width-64', 'fourier' ->
        'fourier_sigma-10'."""
        arch, _, rest = self.ascii_label.partition(" ")
        return "_".join(filter(None, [arch, re.sub(r"[^A-Za-z0-9.]+", "-", rest).strip("-")]))

    @property
    def ascii_label(self) -> str:
        """The label in ASCII (for pictures: PIL's built-in font has no σ): ``fourier sigma=10``."""
        text = self.label
        for key, symbol in SYMBOLS.items():
            text = text.replace(symbol, key)
        return text

    def with_setting(self, key: str, value) -> "Config":
        return make(self.arch, {**dict(self.settings), key: value})


def _show(value) -> str:
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def make(arch: str, settings: dict) -> Config:
    """A Config, settings at their default left out; ValueError naming what is valid."""
    if arch not in SETTINGS:
        raise ValueError(f"unknown architecture {arch!r}; valid: {', '.join(SETTINGS)}")
    known = SETTINGS[arch]
    kept = {}
    for key, value in settings.items():
        if key not in known:
            raise ValueError(_no_setting(arch, key))
        setting = known[key]
        if value is not None and not (isinstance(value, (int, float)) and setting.low <= value <= setting.high):
            raise ValueError(f"{arch}:{key} must be in [{setting.low:g}, {setting.high:g}], got {value}")
        if value != setting.default:
            kept[key] = value
    return Config(arch, tuple(sorted(kept.items())))


def _no_setting(arch: str, key: str) -> str:
    return (f"{arch} has no setting {key!r}; valid: "
            + ", ".join(f"{k} ({s.meaning})" for k, s in SETTINGS[arch].items()))


def parse_one(text: str) -> Config:
    """'fourier:sigma=10,width=128' -> Config; ValueError listing the valid architectures or settings."""
    arch, _, rest = text.strip().partition(":")
    arch = arch.strip().lower()
    if arch not in SETTINGS:
        raise ValueError(f"unknown architecture {arch!r} in {text.strip()!r}; valid: {', '.join(SETTINGS)}")
    settings = {}
    for part in (p.strip() for p in rest.split(",")):
        if not part:
            continue
        key, eq, value = (s.strip() for s in part.partition("="))
        if not eq:
            raise ValueError(f"{arch}: expected key=value, got {part!r}")
        if key not in SETTINGS[arch]:
            raise ValueError(_no_setting(arch, key))
        try:
            settings[key] = SETTINGS[arch][key].read(value)
        except ValueError:
            raise ValueError(f"{arch}:{key} must be {SETTINGS[arch][key].meaning} "
                             f"(a {'whole number' if SETTINGS[arch][key].read is int else 'number > 0'}), "
                             f"got {value!r}") from None
    return make(arch, settings)


def parse(text: str) -> list[Config]:
    """'fourier:sigma=10;siren;hash' -> its Configs, in order (a repeat is kept: see ``unique``)."""
    configs = [parse_one(part) for part in text.split(";") if part.strip()]
    if not configs:
        raise ValueError(f"expected at least one configuration (arch:key=value;...), got {text!r}")
    return configs


def unique(configs: list[Config]) -> tuple[list[Config], list[str]]:
    """The configurations to fit, each once, in the order first given, and a note per repeat."""
    seen, notes = [], []
    for config in configs:
        if config in seen:
            notes.append(f"{config.label} is given twice: fitted once")
        else:
            seen.append(config)
    return seen, notes


def check(configs: list[Config], equal: str = "time") -> None:
    """ValueError unless there are 1..MAX_CONFIGS configurations, and under equal size none fixes the
    setting that sizing chooses."""
    if not configs:
        raise ValueError("compare needs at least one configuration")
    if len(configs) > MAX_CONFIGS:
        raise ValueError(f"compare fits at most {MAX_CONFIGS} configurations side by side, got {len(configs)}")
    labels = [c.label for c in configs]
    twice = sorted({label for label in labels if labels.count(label) > 1})
    if twice:
        raise ValueError(f"configurations that differ only past the 6th digit print alike ({', '.join(twice)}): "
                         "give settings that differ sooner")
    if equal not in ("time", "size"):
        raise ValueError(f"equal must be 'time' or 'size', got {equal!r}")
    if equal == "size":
        for config in configs:
            key = SIZED_BY[config.arch]
            if key in dict(config.settings):
                raise ValueError(f"{config.label}: under equal size, {key} is what sizing chooses for "
                                 f"{config.arch}; leave it out")


def model_config(config: Config, shapes: list[tuple[int, int, int]], holdout: str) -> ModelConfig:
    """The field of a (non-codec) configuration for clips of these (T, H, W) shapes."""
    if config.arch == CODEC:
        raise ValueError("the codec is not a field: it has no model config")
    sigma = config.get("sigma") if config.arch == "fourier" else None
    cfg = presets.model_config(config.arch, shapes, holdout, sigma)
    network = dict(config.settings)
    network = {k: network[k] for k in ("width", "depth", "omega0") if k in network}
    encoding = {k: v for k, v in config.settings if k in ("levels", "features", "table")}
    if "scale" in dict(config.settings):
        encoding.update(_scaled(cfg.encoding, config.get("scale")))
    return dataclasses.replace(cfg, network=dataclasses.replace(cfg.network, **network),
                               encoding=dataclasses.replace(cfg.encoding, **encoding))


def _scaled(encoding, scale: float) -> dict:
    """A grid's finest and coarsest nodes with y and x scaled (every frame keeps its nodes)."""
    t, y, x = encoding.finest
    finest = (t, max(2, round(y * scale)), max(2, round(x * scale)))
    return {"finest": finest, "coarsest": tuple(min(c, f) for c, f in zip(encoding.coarsest, finest))}
