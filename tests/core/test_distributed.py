"""Where this process stands among torchrun's workers, and the store a restarted group meets in."""

from datetime import timedelta

import pytest
import torch.distributed as dist

from conftest import free_port
from inr.core.train import distributed


@pytest.mark.parametrize("env, want", [
    ({}, distributed.Place(0, 1, 0)),
    ({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"}, distributed.Place(3, 4, 1)),
    ({"RANK": "1", "WORLD_SIZE": "2"}, distributed.Place(1, 2, 1)),
])
def test_place_reads_torchruns_variables(env, want):
    assert distributed.place(env) == want


@pytest.mark.parametrize("env", [{"RANK": "2", "WORLD_SIZE": "2"}, {"RANK": "x"}])
def test_place_refuses_what_torchrun_never_sets(env):
    with pytest.raises(ValueError, match="RANK"):
        distributed.place(env)


def test_share_gives_each_rank_a_disjoint_part_covering_all():
    items = list(range(7))
    parts = [distributed.share(items, distributed.Place(r, 3, r)) for r in range(3)]
    assert sorted(sum(parts, [])) == items and parts[2] == [2, 5]
    assert distributed.share(items[:1], distributed.Place(1, 2, 1)) == []


def test_a_restarted_group_meets_under_its_own_keys():
    """After a restart, torchrun's agent store still holds the first attempt's addresses: a restarted
    group keys its own by attempt, and a first start uses PyTorch's store unchanged."""
    port = free_port()
    agent = dist.TCPStore("127.0.0.1", port, 2, is_master=True, timeout=timedelta(seconds=10),
                          wait_for_workers=False)
    env = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "TORCHELASTIC_USE_AGENT_STORE": "True"}
    where = distributed.Place(1, 2, 1)
    assert distributed._attempt_store(where, {**env, "TORCHELASTIC_RESTART_COUNT": "0"}) is None
    assert distributed._attempt_store(where, {**env, "TORCHELASTIC_USE_AGENT_STORE": "False",
                                              "TORCHELASTIC_RESTART_COUNT": "1"}) is None
    store = distributed._attempt_store(where, {**env, "TORCHELASTIC_RESTART_COUNT": "2"})
    store.set("rank_1", "here")
    assert agent.get("inr/attempt_2/rank_1") == b"here" and not agent.check(["rank_1"])
