"""The one training loop: budget, rate decay, record cadence, the final record, the loss kept on the device.

A toy trainer drives it: one frame of office_plant learned pixel by pixel (a (H, W, 3) tensor
of weights), so each test runs in well under a second and sees every call the loop makes.
"""

import math
import time

import pytest
import torch

from inr.core.train import loop
from inr.core.train.loop import LoopConfig, Scores, Trainer


class Toy:
    """Weights (H, W, 3) fitted to a frame; notes every call the loop makes into it."""

    def __init__(self, frame, step_seconds: float = 0.0, score_seconds: float = 0.0):
        self.target = torch.from_numpy(frame).float() / 255  # (H, W, 3) in [0, 1]
        self.weights = torch.full_like(self.target, 0.5, requires_grad=True)
        self.step_seconds, self.score_seconds = step_seconds, score_seconds
        self.progress: list[float] = []  # what each step was given
        self.losses: list[torch.Tensor] = []  # what each step returned
        self.scored: list[tuple[bool, bool]] = []  # (final, preview) of each scoring

    def step(self, progress: float) -> torch.Tensor:
        time.sleep(self.step_seconds)
        self.progress.append(progress)
        loss = ((self.weights - self.target) ** 2).mean()
        self.losses.append(loss.detach().clone())
        return loss

    def score(self, final: bool, preview: bool) -> Scores:
        time.sleep(self.score_seconds)
        self.scored.append((final, preview))
        return Scores(len(self.scored), None, "preview" if preview else None)

    def train(self, optimizer=None, **cfg) -> list[loop.Record]:
        optimizer = optimizer or torch.optim.Adam([self.weights], lr=0.01)
        return list(loop.train(Trainer(self.step, self.score), optimizer, LoopConfig(**cfg)))


@pytest.fixture
def frame(plant):
    return plant.frames[0]  # uint8 (36, 48, 3)


def test_a_step_budget_runs_that_many_steps_and_ends_with_a_final_record(frame):
    toy = Toy(frame)
    records = toy.train(steps=7, log_seconds=math.inf)
    assert len(toy.progress) == 7 and toy.progress == [k / 7 for k in range(7)]
    assert [(r.step, r.final) for r in records] == [(1, False), (7, False), (7, True)]
    assert toy.scored[-1] == (True, False)  # the final record is scored on everything
    assert records[-1].steps_per_second > 0 and records[-1].seconds >= records[0].seconds


def test_a_time_budget_stops_at_whichever_runs_out_first(frame):
    toy = Toy(frame, step_seconds=0.01)
    start = time.perf_counter()
    records = toy.train(steps=10**6, seconds=0.2, log_seconds=math.inf)
    assert 0.2 <= time.perf_counter() - start < 5
    assert 1 < records[-1].step < 10**6
    assert toy.progress[-1] < 1 and toy.progress[1] > 0  # progress counts time here
    assert Toy(frame).train(steps=3, seconds=100.0)[-1].step == 3


def test_a_zero_budget_is_spent_at_once(frame):
    for budget in (dict(steps=0), dict(seconds=0.0), dict(steps=5, seconds=0.0)):
        toy = Toy(frame)
        records = toy.train(**budget)
        assert toy.progress == [] and bool((toy.weights == 0.5).all())
        assert [(r.step, r.final) for r in records] == [(0, False), (0, True)]
        assert math.isnan(records[0].loss)
    toy = Toy(frame)
    records = toy.train(steps=0, score_start=True, score_end=False)
    assert [(r.step, r.final) for r in records] == [(0, False), (0, True)]
    with pytest.raises(ValueError, match="budget"):
        LoopConfig()
    with pytest.raises(ValueError, match="steps"):
        LoopConfig(steps=-1)


def test_rates_decay_from_each_groups_first_rate_and_a_resume_decays_from_it_again(frame):
    toy = Toy(frame)
    other = torch.zeros(3, requires_grad=True)
    optimizer = torch.optim.Adam([{"params": [toy.weights], "lr": 0.1}, {"params": [other], "lr": 0.02}])
    seen = []
    step = toy.step
    toy.step = lambda progress: seen.append([g["lr"] for g in optimizer.param_groups]) or step(progress)
    toy.train(optimizer, steps=4, final_ratio=0.1, final=False)
    expected = [[0.1 * 0.1 ** (k / 4), 0.02 * 0.1 ** (k / 4)] for k in range(4)]
    assert all(a == pytest.approx(b, rel=1e-12) for a, b in zip(seen, expected)) and len(seen) == 4
    seen.clear()  # a resume: the rates start again from the first ones, not from the decayed ones
    toy.train(optimizer, steps=2, final_ratio=0.5, decay_from=0.5, final=False)
    assert seen == [[0.1, 0.02], [0.1, 0.02]]
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.02]


def test_the_decay_can_start_late_and_a_ratio_of_one_keeps_the_rate(frame):
    toy = Toy(frame)
    optimizer = torch.optim.SGD([toy.weights], lr=1.0)
    seen = []
    step = toy.step
    toy.step = lambda progress: seen.append(optimizer.param_groups[0]["lr"]) or step(progress)
    toy.train(optimizer, steps=8, final_ratio=0.01, decay_from=0.5, final=False)
    assert seen[:5] == [1.0] * 5  # the first half at the full rate
    assert seen[5:] == pytest.approx([0.01 ** (k / 4) for k in (1, 2, 3)], rel=1e-12)
    seen.clear()
    optimizer = torch.optim.SGD([toy.weights], lr=1.0)  # the step above reads this one now
    toy.train(optimizer, steps=3, final=False)
    assert seen == [1.0, 1.0, 1.0]


def test_the_loop_steps_the_optimizer_on_the_returned_loss(frame):
    ours, theirs = Toy(frame), Toy(frame)
    ours.train(steps=5, final_ratio=0.5, precision="bf16")  # precision is ignored off the GPU
    optimizer = torch.optim.Adam([theirs.weights], lr=0.01)
    for k in range(5):
        optimizer.param_groups[0]["lr"] = 0.01 * 0.5 ** (k / 5)
        loss = ((theirs.weights - theirs.target) ** 2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    torch.testing.assert_close(ours.weights, theirs.weights, rtol=0, atol=0)


def test_records_report_the_mean_loss_since_the_last_one_and_sync_only_then(frame, monkeypatch):
    toy = Toy(frame)
    reads = []
    item = torch.Tensor.item
    monkeypatch.setattr(torch.Tensor, "item", lambda self: reads.append(1) or item(self))
    optimizer = torch.optim.SGD([toy.weights], lr=0.1)  # Adam reads its step count (a CPU tensor) each step
    records = toy.train(optimizer, steps=40, log_seconds=math.inf)
    monkeypatch.undo()
    # One host read per record that follows steps (after step 1, after step 40), none per step.
    assert len(reads) == 2
    first, last, final = records
    assert first.loss == pytest.approx(float(toy.losses[0]), rel=1e-6)
    assert last.loss == pytest.approx(float(sum(toy.losses[1:])) / 39, rel=1e-5)
    assert final.loss == last.loss  # no step since: the last figure again


def test_a_step_may_show_another_figure_than_the_one_it_minimises(frame):
    toy = Toy(frame)
    trainer = Trainer(lambda progress: (toy.step(progress) + 1.0, torch.tensor(7.0)), toy.score)
    records = list(loop.train(trainer, torch.optim.Adam([toy.weights]), LoopConfig(steps=3)))
    assert all(r.loss == 7.0 for r in records)


def test_records_are_spaced_by_at_least_four_times_their_scoring(frame):
    toy = Toy(frame, step_seconds=0.002, score_seconds=0.02)
    records = toy.train(steps=150, log_seconds=0.0, final=False)
    live = records[:-1]  # the last one comes after the last step, whenever that is
    assert live[0].step == 1 and len(live) >= 3
    gaps = [b.seconds - a.seconds for a, b in zip(live, live[1:])]
    assert min(gaps) >= 0.02 + 4 * 0.02  # a scoring, then the gap of 4 scorings


def test_the_first_record_may_come_before_the_first_step_and_the_last_live_one_may_be_left_out(frame):
    toy = Toy(frame)
    records = toy.train(steps=6, log_seconds=math.inf, score_start=True, score_end=False)
    assert [(r.step, r.final) for r in records] == [(0, False), (6, True)]
    assert math.isnan(records[0].loss) and records[1].loss > 0
    assert [(r.step, r.final) for r in Toy(frame).train(steps=6, log_seconds=math.inf, final=False)] == \
        [(1, False), (6, False)]


def test_previews_come_at_most_every_preview_seconds_and_with_the_final_record(frame):
    toy = Toy(frame)
    records = toy.train(steps=20, log_seconds=0.0, preview_seconds=1e6)
    assert [p for _, p in toy.scored] == [True] + [False] * (len(records) - 2) + [True]
    assert records[0].preview == "preview" and records[-1].preview == "preview"
    toy = Toy(frame)
    toy.train(steps=20, log_seconds=0.0)
    assert not any(p for _, p in toy.scored)  # None: never
    toy = Toy(frame, step_seconds=0.001)
    toy.train(steps=20, log_seconds=0.0, preview_seconds=0.0)
    assert all(p for _, p in toy.scored)
