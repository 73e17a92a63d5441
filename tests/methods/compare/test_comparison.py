"""Compare end to end on a real clip: equal size lands on its target, groups train as planned, a stop
keeps what was fitted, and the side-by-side picture shows every model beside the clip and its rebuild."""

import numpy as np
import pytest

from conftest import ASSETS, ROOT
from inr import api


@pytest.fixture(scope="module")
def small(jelly):
    return api.Clip(jelly.frames[:6], jelly.fps, "jelly", ())


def test_equal_size_lands_within_ten_percent_of_the_target_bytes(small):
    target = 60_000
    configs = api.compare.parse("fourier:sigma=10;relu;siren;grid;hash;motion")
    comparison = api.compare.plan(small, configs, equal="size", target_bytes=target, steps=2, device="cpu")
    for _ in api.compare.fit(comparison):
        pass
    rows = api.compare.table(comparison)
    assert len(rows) == 6
    for row in rows:  # the real files' bytes, measured after the fit
        assert abs(row["bytes"] - target) <= api.compare.TOLERANCE * target, row
        assert row["off_target"] == pytest.approx(row["bytes"] / target - 1)
    # Each was sized by its own setting: the MLPs by width, grids by nodes, the hash by its table.
    assert [r["config"].split(":")[1].split("=")[0] for r in rows] == ["width", "width", "width", "scale", "table",
                                                                        "scale"]


def test_groups_batch_what_they_can_and_the_rest_run_one_after_another(small):
    configs = api.compare.parse("fourier:sigma=none;grid;fourier:sigma=10")
    comparison = api.compare.plan(small, configs, steps=6, batch=512, device="cpu")
    assert [[c.label for c in g.configs] for g in comparison.groups] == [["fourier σ=none", "fourier σ=10"], ["grid"]]
    assert "together as one batched model" in comparison.schedule and "one after another" in comparison.schedule
    seen = [index for index, _ in api.compare.fit(comparison)]
    assert seen == sorted(seen) and set(seen) == {0, 1}
    assert list(api.compare.histories(comparison)) == [c.label for c in configs]  # in the order given
    rows = api.compare.table(comparison)
    assert [r["trained"] for r in rows] == ["batched (2 as one model)", "alone", "batched (2 as one model)"]
    assert rows[0]["seconds"] == rows[2]["seconds"] and rows[0]["steps_per_second"] > 0
    # A batched member's curve runs over its share of the batch's time, as its row says.
    batch = comparison.groups[0].run.history[-1]
    member = api.compare.histories(comparison)["fourier σ=10"][-1]
    assert member.seconds == pytest.approx(batch.seconds / 2) and member.step == batch.step
    assert all(r["steps"] == 6 and r["scored_on"] == "every pixel" and r["heldout_psnr"] for r in rows)
    baseline = comparison.baseline
    assert baseline and set(baseline) == {"bilinear", "bicubic"}
    # The picture: the clip, its bicubic rebuild, then the three models, four tiles a row.
    picture = api.compare.panel(comparison, 3, (0.5, 0.5), 2.0)
    assert picture.dtype == np.uint8 and picture.ndim == 3
    tile_width = (picture.shape[1] - 3 * 4) // 4
    assert tile_width >= 48 and picture.shape[0] > 2 * tile_width * 54 / 96  # two rows of tiles


@pytest.mark.slow
def test_a_group_in_training_has_no_results_until_it_ends(small):
    comparison = api.compare.plan(small, api.compare.parse("grid;hash:table=64"), steps=30, device="cpu")
    for index, rec in api.compare.fit(comparison):
        if index == 1 and not rec.final:  # as the studio's sliders may ask while the hash trains
            assert [r["label"] for r in api.compare.table(comparison)] == ["grid"]
            api.compare.panel(comparison, 2)
    rows = api.compare.table(comparison)
    assert [r["steps"] for r in rows] == [30, 30] and all(r["scored_on"] == "every pixel" for r in rows)


def test_a_stop_keeps_the_fitted_groups_and_fits_no_more(small):
    comparison = api.compare.plan(small, api.compare.parse("grid;hash"), seconds=30, device="cpu")
    records = api.compare.fit(comparison)
    next(records)
    records.close()  # as the studio's Stop or a Ctrl-C does
    rows = api.compare.table(comparison)
    assert [r["label"] for r in rows] == ["grid"] and rows[0]["scored_on"] == "probe frames (stopped)"
    assert not comparison.groups[1].started


def test_the_codec_is_compared_on_its_file(small):
    comparison = api.compare.plan(small, api.compare.parse("codec:bpp=1"), steps=4, device="cpu")
    list(api.compare.fit(comparison))
    (row,) = api.compare.table(comparison)
    (result,) = api.compare.results(comparison)
    assert row["heldout_psnr"] is None and row["bytes"] == len(comparison.groups[0].payload)
    assert result.frames.shape == small.frames.shape and result.frames.dtype == np.uint8
    assert row["train_psnr"] == pytest.approx(api.uint8_psnr(result.frames, small.frames))


def test_the_crop_box_stays_inside_the_frame():
    assert api.compare.crop_box((54, 96), (0.5, 0.5), 1) == (slice(0, 54), slice(0, 96))
    rows, cols = api.compare.crop_box((54, 96), (1.0, 0.0), 4)
    assert (rows.start, rows.stop, cols.start, cols.stop) == (40, 54, 0, 24)
    with pytest.raises(ValueError, match="zoom"):
        api.compare.crop_box((54, 96), (0.5, 0.5), 0.5)


def test_shipped_sigma_models_are_adopted_with_their_clip():
    clip = api.load_clips([ASSETS / "jelly_small.mp4"], max_frames=8, max_size=96)[0]
    shipped = [(api.compare.make("fourier", {"sigma": s}), api.load(ROOT / "checkpoints" / f"sigma_{n}.safetensors"))
               for s, n in ((None, "none"), (10.0, "10"))]
    comparison = api.compare.adopt(clip, shipped)
    rows = api.compare.table(comparison)
    assert [r["label"] for r in rows] == ["fourier σ=none", "fourier σ=10"]
    assert rows[1]["gap"] > 10  # σ = 10 memorises its training pixels: the sweep's lesson
    assert comparison.baseline["bicubic"] > rows[1]["heldout_psnr"]
