"""The report's charts, drawn with matplotlib (Agg) from the ``report.json`` mapping, as inline SVG.

Colours are the Okabe–Ito palette (distinguishable with colour-vision
deficiencies) and every series also differs by marker and line style and is
labelled in text, so no chart relies on colour alone.

A ``report.json`` may come from anywhere (``gapgates report --from``), so the charts take it
defensively: text is never parsed as mathtext, values beyond ±1e15 (or not numbers) are not
drawn, and at most :data:`MAX_POINTS` points per series and :data:`MAX_METRICS` metrics are drawn.
"""

from __future__ import annotations

import html
import io
import math
import warnings
from collections.abc import Sequence
from typing import Any

__all__ = [
    "capacity_chart",
    "confusion_chart",
    "curves_chart",
    "fold_chart",
    "gap_chart",
    "history_chart",
    "learning_curve_chart",
    "reliability_chart",
    "residual_chart",
    "segments_chart",
    "training_curve_chart",
]

BLUE, ORANGE, VERMILLION, GREEN, GREY = "#0072B2", "#E69F00", "#D55E00", "#009E73", "#555555"

#: Largest magnitude drawn (anything larger, or not a finite number, is left out).
MAX_VALUE = 1e15
#: Most points per series, and most metrics, a chart draws.
MAX_POINTS, MAX_METRICS = 500, 20


class _Figures:
    """The part of ``pyplot`` the charts use, on bare :class:`matplotlib.figure.Figure` objects: no pyplot import,
    no figure manager and no interactive backend (``savefig`` renders SVG with matplotlib's own SVG backend)."""

    @staticmethod
    def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None, **kwargs: Any) -> tuple[Any, Any]:
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        return fig, fig.subplots(nrows, ncols, **kwargs)

    @staticmethod
    def close(fig: Any) -> None:
        fig.clear()


def _plt() -> _Figures:
    import matplotlib

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",
            "font.family": "sans-serif",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "gapgates",
            "text.parse_math": False,
            "text.usetex": False,
        }
    )
    return _Figures()


def _svg(fig: Any, title: str) -> str:
    buf = io.StringIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # matplotlib's layout warnings are not the reader's business
            fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    finally:
        _plt().close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    head, rest = text.split(">", 1)
    title = html.escape(title)
    return f'{head} role="img" aria-label="{title}"><title>{title}</title>{rest}'


def _num(value: Any) -> float | None:
    """A value that can be drawn, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) and abs(number) <= MAX_VALUE else None


def _series(values: Sequence[Any]) -> list[float]:
    """Drawable values, NaN where one cannot be drawn (a gap in the line)."""
    return [v if (v := _num(item)) is not None else math.nan for item in values]


def _label(text: Any, limit: int = 60) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _integer_ticks(ax: Any, count: int) -> None:
    if count <= 20:
        ax.set_xticks(range(1, count + 1))
    else:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def gap_chart(gap: dict[str, Any], *, limit: float | None, confidence: float = 0.95) -> str:
    """Each metric's mean gap with its interval, against the policy limit."""
    plt = _plt()
    metrics = [m for m in gap if isinstance(gap[m], dict)][:MAX_METRICS]
    fig, ax = plt.subplots(figsize=(6.4, 0.7 + 0.6 * len(metrics)))
    limit = _num(limit)
    for i, metric in enumerate(metrics):
        g = gap[metric]
        mean, low, high = _num(g.get("gap_mean")), _num(g.get("gap_ci_low")), _num(g.get("gap_ci_high"))
        if mean is None:
            continue
        over = limit is not None and (high if high is not None else mean) > limit
        colour, marker = (VERMILLION, "X") if over else (BLUE, "o")
        if low is not None and high is not None:
            ax.plot([low, high], [i, i], color=colour, linewidth=3, solid_capstyle="butt")
        ax.plot([mean], [i], marker=marker, color=colour, markersize=9, linestyle="none")
        ax.annotate(
            f"{mean:.3f}" + (" over limit" if over else " within limit"),
            (high or mean, i),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    if limit is not None:
        ax.axvline(limit, color=GREY, linestyle="--", linewidth=1.5)
        ax.annotate(
            f"limit {limit:g}", (limit, len(metrics) - 0.5), xytext=(3, 0), textcoords="offset points", fontsize=9, color=GREY
        )
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.set_yticks(range(len(metrics)), [_label(m) for m in metrics])
    ax.set_ylim(-0.6, len(metrics) - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel(f"train − test gap (mean, {confidence:.0%} interval)")
    ax.margins(x=0.25)
    return _svg(fig, f"Gap per metric with its {confidence:.0%} interval against the limit")


def fold_chart(gap: dict[str, Any], *, max_metrics: int = 3) -> str:
    """Per-fold train and test score of each metric (up to ``max_metrics`` panels)."""
    plt = _plt()
    metrics = [m for m in gap if isinstance(gap[m], dict)][:max_metrics]
    fig, axes = plt.subplots(1, max(1, len(metrics)), figsize=(3.4 * max(1, len(metrics)), 2.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        folds = [f for f in gap[metric].get("folds") or [] if isinstance(f, dict)][:MAX_POINTS]
        x = list(range(1, len(folds) + 1))
        ax.plot(x, _series([f.get("train") for f in folds]), marker="o", color=BLUE, linestyle="-", label="train")
        ax.plot(x, _series([f.get("test") for f in folds]), marker="s", color=ORANGE, linestyle="--", label="test")
        ax.set_title(_label(metric), fontsize=10)
        ax.set_xlabel("fold")
        _integer_ticks(ax, len(x))
        ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return _svg(fig, "Train and test score of every fold")


def history_chart(
    runs: Sequence[dict[str, Any]],
    current: dict[str, Any],
    *,
    metric: str,
    limit: float | None,
    latest: str = "this run",
    title: str | None = None,
) -> str:
    """The gap of each recorded run of this model, this run last (star, labelled ``latest``).

    ``title`` is the chart's accessible label (default: the gap of ``metric`` across the recorded runs).
    """
    plt = _plt()
    points = [p for p in [*runs[-MAX_POINTS:], current] if isinstance(p, dict)]
    x = list(range(1, len(points) + 1))
    gaps = [_num(p.get("gap")) for p in points]
    lows = [_num(p.get("gap_ci_low")) for p in points]
    highs = [_num(p.get("gap_ci_high")) for p in points]
    limit = _num(limit)
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    if all(v is not None for v in lows + highs):
        ax.fill_between(x, lows, highs, color=BLUE, alpha=0.15, linewidth=0, label="interval")
    ax.plot(x, _series(gaps), marker="o", color=BLUE, label=f"{_label(metric)} gap")
    ax.plot([x[-1]], _series([gaps[-1]]), marker="*", markersize=16, color=ORANGE, linestyle="none", label=latest)
    if limit is not None:
        ax.axhline(limit, color=GREY, linestyle="--", linewidth=1.5, label=f"limit {limit:g}")
    ax.set_xlabel("run (oldest → newest)")
    ax.set_ylabel("train − test gap")
    _integer_ticks(ax, len(x))
    ax.legend(fontsize=8, frameon=False, loc="best")
    return _svg(fig, title or f"Gap of {_label(metric)} across the recorded runs of this model")


def learning_curve_chart(sizes: Sequence[float], train: Sequence[float], test: Sequence[float], *, metric: str) -> str:
    """Train and test score against the number of training rows."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    rows = _series(sizes[:MAX_POINTS])
    ax.plot(rows, _series(train[:MAX_POINTS]), marker="o", color=BLUE, linestyle="-", label="train")
    ax.plot(rows, _series(test[:MAX_POINTS]), marker="s", color=ORANGE, linestyle="--", label="test")
    ax.set_xlabel("training rows")
    ax.set_ylabel(_label(metric))
    ax.legend(fontsize=8, frameon=False)
    return _svg(fig, "Learning curve: train and test score against training rows")


def training_curve_chart(
    iterations: Sequence[float],
    train: Sequence[float],
    test: Sequence[float],
    test_se: Sequence[float],
    *,
    metric: str,
    best: Any = None,
    stop: Any = None,
) -> str:
    """Mean train and validation score at each iteration (band: one standard error), the best iteration and
    the early-stopping point marked."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    x = _series(iterations[:MAX_POINTS])
    valid = _series(test[:MAX_POINTS])
    se = _series(test_se[:MAX_POINTS])
    ax.fill_between(
        x,
        [v - s for v, s in zip(valid, se)],
        [v + s for v, s in zip(valid, se)],
        color=ORANGE,
        alpha=0.2,
        linewidth=0,
        label="± 1 standard error",
    )
    ax.plot(x, _series(train[:MAX_POINTS]), marker="o", markersize=2, color=BLUE, linestyle="-", label="train")
    ax.plot(x, valid, marker="s", markersize=2, color=ORANGE, linestyle="--", label="validation")
    for value, style, colour, name in ((_num(best), ":", GREY, "best"), (_num(stop), "-.", GREEN, "stop early")):
        if value is not None:
            ax.axvline(value, color=colour, linestyle=style, linewidth=1.5, label=f"{name} ({value:g})")
    ax.set_xlabel("iteration")
    ax.set_ylabel(_label(metric, 30))
    ax.legend(fontsize=8, frameon=False, loc="best")
    return _svg(fig, "Training curve: train and validation score at each iteration, with the early-stopping point")


def capacity_chart(
    values: Sequence[str],
    gap: Sequence[dict[str, Any]],
    *,
    param: str,
    metric: str,
    limit: float | None,
    recommended: int | None = None,
) -> str:
    """The capacity curve of a sweep: train and test score (top), the gap with its interval band against
    the policy limit (bottom), one point per value from the least to the most flexible model.

    Args:
        values: The values as printed, in order of capacity.
        gap: The primary metric's ``metric_gap`` mapping of each value (``train_mean``, ``gap_ci_low``...).
        param: The parameter swept (the x label).
        metric: The primary metric (the y label).
        limit: The policy's gap limit (None: not drawn).
        recommended: Position of the recommended value (marked with a star), or None.
    """
    plt = _plt()
    values, gap = list(values)[:MAX_POINTS], [g if isinstance(g, dict) else {} for g in gap][:MAX_POINTS]
    x = list(range(len(values)))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 4.8), sharex=True, height_ratios=(3, 2))
    train, test = _series([g.get("train_mean") for g in gap]), _series([g.get("test_mean") for g in gap])
    top.plot(x, train, marker="o", color=BLUE, linestyle="-", label="train")
    top.plot(x, test, marker="s", color=ORANGE, linestyle="--", label="test")
    if recommended is not None and 0 <= recommended < len(x):
        top.plot(
            [recommended], [test[recommended]], marker="*", markersize=16, color=GREEN, linestyle="none", label="recommended"
        )
    top.set_ylabel(_label(metric, 30))
    top.legend(fontsize=8, frameon=False, loc="best")
    lows, highs = _series([g.get("gap_ci_low") for g in gap]), _series([g.get("gap_ci_high") for g in gap])
    bottom.fill_between(x, lows, highs, color=VERMILLION, alpha=0.15, linewidth=0, label="interval")
    bottom.plot(x, _series([g.get("gap_mean") for g in gap]), marker="D", color=VERMILLION, linestyle="-.", label="gap")
    limit = _num(limit)
    if limit is not None:
        bottom.axhline(limit, color=GREY, linestyle="--", linewidth=1.5, label=f"limit {limit:g}")
    bottom.set_ylabel("train − test gap")
    bottom.set_xlabel(f"{_label(param, 40)} (least → most flexible)")
    step = max(1, len(x) // 15)
    bottom.set_xticks(x[::step], [_label(v, 12) for v in values[::step]])
    bottom.legend(fontsize=8, frameon=False, loc="best")
    fig.tight_layout()
    return _svg(fig, f"Capacity curve over {_label(param)}: train and test score, the gap with its interval, the limit")


# --- weak segments and how the model errs (report keys segments, classification, regression) ----------

#: Most segments drawn, classes drawn in the confusion matrix, and curves drawn per panel.
MAX_BARS, MAX_CLASSES, MAX_CURVES = 12, 20, 6
_STYLES = (("-", "o"), ("--", "s"), ("-.", "D"), (":", "^"), ("-", "v"), ("--", "P"))
_COLOURS = (BLUE, ORANGE, GREEN, VERMILLION, GREY, "#CC79A7")


def _fmt4(value: Any) -> str:
    number = _num(value)
    return "–" if number is None else f"{number:.4f}"


def segments_chart(segments: Sequence[dict[str, Any]], *, overall: Any, metric: str, floor: Any = None) -> str:
    """The worst segments' scores with their intervals, worst on top, against the overall score and the floor."""
    plt = _plt()
    rows = [s for s in segments if isinstance(s, dict)][:MAX_BARS]
    fig, ax = plt.subplots(figsize=(6.4, 0.8 + 0.42 * max(1, len(rows))))
    for i, s in enumerate(rows):
        test, low, high = _num(s.get("test")), _num(s.get("low")), _num(s.get("high"))
        if test is None:
            continue
        if low is not None and high is not None:
            ax.plot([low, high], [i, i], color=BLUE, linewidth=3, solid_capstyle="butt")
        ax.plot([test], [i], marker="o", color=BLUE, markersize=7, linestyle="none")
    for value, style, colour, name in ((_num(overall), ":", GREY, "all rows"), (_num(floor), "--", VERMILLION, "floor")):
        if value is not None:
            ax.axvline(value, color=colour, linestyle=style, linewidth=1.5, label=f"{name} {value:.3g}")
    ax.set_yticks(range(len(rows)), [_label(f"{s.get('description')} ({s.get('rows')})", 48) for s in rows])
    ax.set_ylim(-0.6, max(1, len(rows)) - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel(f"out-of-fold {_label(metric, 30)} (interval)")
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    return _svg(fig, f"Weakest segments: out-of-fold {_label(metric)} with its interval, worst on top")


def confusion_chart(classes: Sequence[Any], confusion: Sequence[Sequence[Any]]) -> str:
    """The confusion matrix (rows: true class, columns: predicted), counts written in each cell."""
    plt = _plt()
    k = min(len(classes), MAX_CLASSES)
    matrix = [[_num(v) or 0.0 for v in list(row)[:k]] for row in list(confusion)[:k]]
    fig, ax = plt.subplots(figsize=(1.6 + 0.45 * k, 1.2 + 0.45 * k))
    ax.imshow(matrix, cmap="Blues")
    peak = max((max(row) for row in matrix if row), default=0.0)
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=8, color="white" if v > peak / 2 else "black")
    names = [_label(c, 12) for c in list(classes)[:k]]
    ax.set_xticks(range(k), names, rotation=45 if k > 4 else 0)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return _svg(fig, "Confusion matrix of the out-of-fold predictions (rows: true class, columns: predicted)")


def curves_chart(curves: Sequence[dict[str, Any]]) -> str:
    """ROC (left) and precision–recall (right) curves, one per class (one-vs-rest), AUC and AP in the legend."""
    plt = _plt()
    fig, (roc, pr) = plt.subplots(1, 2, figsize=(7.2, 3.2))
    for (style, marker), colour, c in zip(_STYLES, _COLOURS, [c for c in curves if isinstance(c, dict)][:MAX_CURVES]):
        r, p = c.get("roc") or {}, c.get("pr") or {}
        name = _label(c.get("label"), 16)
        roc.plot(
            _series((r.get("fpr") or [])[:500]),
            _series((r.get("tpr") or [])[:500]),
            color=colour,
            linestyle=style,
            marker=marker,
            markevery=0.2,
            markersize=4,
            label=f"{name} AUC {_fmt4(r.get('auc'))}",
        )
        pr.plot(
            _series((p.get("recall") or [])[:500]),
            _series((p.get("precision") or [])[:500]),
            color=colour,
            linestyle=style,
            marker=marker,
            markevery=0.2,
            markersize=4,
            label=f"{name} AP {_fmt4(p.get('average_precision'))}",
        )
    roc.plot([0, 1], [0, 1], color=GREY, linestyle=":", linewidth=1)
    roc.set_xlabel("false positive rate")
    roc.set_ylabel("true positive rate")
    roc.set_title("ROC", fontsize=10)
    pr.set_xlabel("recall")
    pr.set_ylabel("precision")
    pr.set_title("Precision–recall", fontsize=10)
    for ax in (roc, pr):
        ax.legend(fontsize=7, frameon=False, loc="lower right" if ax is roc else "lower left")
    fig.tight_layout()
    return _svg(fig, "ROC and precision–recall curves of the out-of-fold probabilities, one-vs-rest")


def reliability_chart(reliability: dict[str, Any], *, ece: Any) -> str:
    """Observed frequency against mean predicted probability per bin; the diagonal is perfect calibration."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.0, 3.4))
    ax.plot([0, 1], [0, 1], color=GREY, linestyle=":", linewidth=1, label="perfectly calibrated")
    ax.plot(
        _series((reliability.get("predicted") or [])[:500]),
        _series((reliability.get("observed") or [])[:500]),
        marker="o",
        color=VERMILLION,
        linestyle="-",
        label=f"model (ECE {_fmt4(ece)})",
    )
    ax.set_xlabel(f"mean predicted probability ({_label(reliability.get('of'), 20)})")
    ax.set_ylabel("observed frequency")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return _svg(fig, "Reliability curve: observed frequency against mean predicted probability")


def residual_chart(regression: dict[str, Any]) -> str:
    """Residuals against predictions (left) and the mean absolute error per target quantile bin (right)."""
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.2, 3.0))
    res = regression.get("residuals") or {}
    left.plot(
        _series((res.get("predicted") or [])[:500]),
        _series((res.get("residual") or [])[:500]),
        marker="o",
        markersize=3,
        color=BLUE,
        linestyle="none",
        alpha=0.6,
    )
    left.axhline(0, color=GREY, linestyle="--", linewidth=1)
    left.set_xlabel("predicted")
    left.set_ylabel("residual (true − predicted)")
    bins = [b for b in regression.get("by_quantile") or [] if isinstance(b, dict)][:50]
    right.bar(range(len(bins)), _series([b.get("mae") for b in bins]), color=ORANGE, hatch="//", edgecolor=GREY)
    right.set_xticks(range(len(bins)), [f"{i + 1}" for i in range(len(bins))])
    right.set_xlabel("target quantile bin (low → high)")
    right.set_ylabel("mean absolute error")
    fig.tight_layout()
    return _svg(fig, "Residuals against predictions, and the error per quantile bin of the target")
