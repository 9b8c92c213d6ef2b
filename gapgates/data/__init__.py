"""Inputs of a run: tables and datasets, folds and holdout splits, the model spec, scoring."""
