"""The INR-V windows the shipped space is trained on, and those it never sees (inversion tests)."""

# The shipped space (scripts/make_space.py): windows of the four clips in ../shared/clips, each also
# mirrored; (file, first frame, stride). The HELD_OUT windows overlap none of them: inversion tests.
TRAINING_WINDOWS = (
    ("jelly.mp4", 0, 2), ("jelly.mp4", 40, 2),
    ("water.mp4", 0, 2), ("water.mp4", 44, 2), ("water.mp4", 88, 2),
    ("office_plant.mp4", 0, 1),
    ("carphone.gif", 0, 1), ("carphone.gif", 16, 1), ("carphone.gif", 32, 1),
)
HELD_OUT = (("office_plant.mp4", 20, 1), ("jelly.mp4", 88, 2))
