"""The data-quality gate: the only place that imports Great Expectations."""
