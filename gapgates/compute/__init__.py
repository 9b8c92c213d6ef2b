"""Measurements, one per module: the cross-validated gap, folds, intervals, baseline, holdout,
label noise, noise-adjusted gap, shift, leakage, learning curve, champion scores, gap trend."""
