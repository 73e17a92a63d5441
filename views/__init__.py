"""The studio's tabs, one module each (fit, compare, blend, render, space, compress), and what they share (common)."""
