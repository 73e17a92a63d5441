import pytest
import torch

from inr.core.field.coords import frame_times, grid, pixel_centres
from inr.core.field.encodings import (FourierConfig, FourierFeatures, GridConfig, HashConfig, HashGrid,
                                      SeparableGrid, _kernel, interpolation_matrix)


@pytest.mark.parametrize("kernel", ["linear", "cubic", "quintic", "catmull-rom"])
def test_grid_lattice_fast_path_matches_pointwise(kernel):
    cfg = GridConfig(finest=(6, 9, 11), coarsest=(2, 3, 3), levels=3, kernel=kernel, init_scale=1.0,
                     span=((-1, 1), (-0.9, 0.7), (-0.95, 0.95)))
    enc = SeparableGrid(cfg)
    fast = enc.lattice(frame_times(5), pixel_centres(7), pixel_centres(13))
    slow = enc(grid(5, 7, 13).view(-1, 3)).view(5, 7, 13, -1)
    assert fast.shape == (5, 7, 13, enc.out_dim)
    assert torch.allclose(fast, slow, atol=1e-5)


@pytest.mark.parametrize("kernel", ["linear", "cubic", "quintic", "catmull-rom"])
def test_kernels_are_partitions_of_unity(kernel):
    d = torch.linspace(0, 1, 11)
    total = sum(_kernel(kernel, d - k) for k in range(-3, 4))
    assert torch.allclose(total, torch.ones_like(d), atol=1e-6)
    rows = interpolation_matrix(torch.linspace(-1, 1, 50), 8, "cubic")
    assert torch.allclose(rows.sum(1), torch.ones(50), atol=1e-6)


def test_catmull_rom_interpolates_its_nodes():
    nodes = torch.linspace(-1, 1, 8)
    rows = interpolation_matrix(nodes, 8, "catmull-rom")
    assert torch.allclose(rows, torch.eye(8), atol=1e-6)
    half = _kernel("catmull-rom", torch.tensor([0.5, 1.5]))  # Keys a = -0.5 halfway between nodes
    assert torch.allclose(half, torch.tensor([0.5625, -0.0625]))


def test_fourier_features_have_their_declared_width_and_seeded_matrix():
    a, b = FourierFeatures(FourierConfig(sigma=3, features=16)), FourierFeatures(FourierConfig(sigma=3, features=16))
    out = a(torch.rand(10, 3) * 2 - 1)
    assert out.shape == (10, a.out_dim) == (10, 32)
    assert torch.equal(a.B, b.B)
    with pytest.raises(ValueError, match="sigma"):
        FourierFeatures(FourierConfig(sigma=float("nan")))


def test_hash_grid_is_continuous_and_sized():
    enc = HashGrid(HashConfig(finest=(8, 64, 64), levels=4, table=2**10, init_scale=1.0))
    p = torch.rand(100, 3) * 2 - 1
    out = enc(p)
    assert out.shape == (100, enc.out_dim)
    near = enc(p + 1e-4)
    assert (near - out).abs().max() < 0.05


def test_a_grid_read_at_one_instant_is_its_scattered_read():
    from inr.core.field.encodings import GridConfig, SeparableGrid

    grid = SeparableGrid(GridConfig(finest=(6, 9, 11), coarsest=(2, 3, 3), init_scale=1.0))
    points = torch.rand(5, 7, 2) * 2.4 - 1.2  # some past the edges
    t = torch.tensor(0.3)
    with torch.no_grad():
        scattered = grid(torch.cat([t.expand(5, 7, 1), points], -1).view(-1, 3)).view(5, 7, -1)
        assert torch.allclose(grid.instant(t, points), scattered, atol=1e-5)
