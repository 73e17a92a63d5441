"""The studio's views beyond Fit, Compare σ, Blend and Render: one module per view."""
