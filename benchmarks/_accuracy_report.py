"""The results page and figure of bench_accuracy.py.

Two tables from the same outer folds: "tuned" (each contestant's best
GridSearchCV candidate) and "defaults" (each contestant as constructed, no
tuning). Both are summarised against their targets: VNN learned at least as
good as the best MLP (tuned), and VNN within 0.01 of the better MLP at
defaults.
"""

from collections import Counter

import numpy as np

TOLERANCE = 0.01  # defaults table: VNN >= max(MLP relu, MLP tanh) - TOLERANCE


def aggregate(rows):
    """Mean/std of score, params and times per (table, dataset, contestant)."""
    groups = {}
    for r in rows:
        groups.setdefault((r["table"], r["dataset"], r["contestant"]), []).append(r)
    stats = {}
    for key, group in groups.items():
        scores = np.array([g["score"] for g in group])
        stats[key] = dict(
            mean=float(scores.mean()),
            std=float(scores.std()),
            params=float(np.mean([g["params"] for g in group])),
            refit=float(np.mean([g["refit_seconds"] for g in group])),
            search=float(np.sum([g["search_seconds"] for g in group])),
            failed=int(np.sum([g["failed"] for g in group])),
            best=[g["best"] for g in group],
        )
    return stats


def _columns(stats, table):
    """(datasets, contestants) of one table, in the order they were run."""
    keys = [k for k in stats if k[0] == table]
    datasets = list(dict.fromkeys(k[1] for k in keys))
    contestants = list(dict.fromkeys(k[2] for k in keys))
    return datasets, contestants


def _score_table(stats, table, datasets, contestants, extra_header, extra):
    lines = [
        "| dataset | " + " | ".join(contestants) + " | " + extra_header + " |",
        "| --- | " + " | ".join("---" for _ in contestants) + " | --- |",
    ]
    for d in datasets:
        cells = [
            f"{stats[(table, d, c)]['mean']:.4f} +- {stats[(table, d, c)]['std']:.4f}"
            for c in contestants
        ]
        lines.append(f"| {d} | " + " | ".join(cells) + f" | {extra(d)} |")
    return lines


def _number_table(stats, table, datasets, contestants, cell):
    lines = [
        "| dataset | " + " | ".join(contestants) + " |",
        "| --- | " + " | ".join("---:" for _ in contestants) + " |",
    ]
    for d in datasets:
        cells = [cell(stats[(table, d, c)]) for c in contestants]
        lines.append(f"| {d} | " + " | ".join(cells) + " |")
    return lines


def _best_mlp(stats, table, d, contestants):
    return max(stats[(table, d, c)]["mean"] for c in contestants if "MLP" in c)


def _tuned_section(stats, context):
    datasets, contestants = _columns(stats, "tuned")
    if not datasets:
        return [], ""
    both = "VNN learned" in contestants and "VNN frozen" in contestants

    def marks(d):
        learned = stats[("tuned", d, "VNN learned")]
        gap = learned["mean"] - _best_mlp(stats, "tuned", d, contestants)
        text = f"{'yes' if gap >= 0 else 'no'} ({gap:+.4f})"
        if both:
            frozen = stats[("tuned", d, "VNN frozen")]
            ok = learned["mean"] >= frozen["mean"] - frozen["std"]
            text += f" / {'yes' if ok else 'no'}"
        return text

    n_cand = context["n_candidates"]
    lines = [
        "## Tuned: nested cross-validation, same budget per contestant",
        "",
        "Score: accuracy (classification) or R^2 (diabetes, friedman1) of the "
        "refitted best GridSearchCV candidate on each outer test fold; mean +- "
        "std over the outer folds. GridSearchCV candidates per contestant: "
        + ", ".join(f"{c} {n}" for c, n in n_cand.items())
        + ". VNN learned's variants (each with hidden (16,) and (64,)): "
        + "; ".join(
            ", ".join(f"{k}={v:g}" for k, v in v.items())
            for v in context["vnn_variants"]
        )
        + ".",
        "",
    ]
    header = "learned >= best MLP (gap)" + (
        " / learned >= frozen - 1 std" if both else ""
    )
    if "VNN learned" not in contestants:
        return lines, ""
    lines += _score_table(stats, "tuned", datasets, contestants, header, marks)
    n_mlp = sum(
        stats[("tuned", d, "VNN learned")]["mean"]
        >= _best_mlp(stats, "tuned", d, contestants)
        for d in datasets
    )
    summary = (
        f"Tuned: VNN learned >= the best MLP on {n_mlp} of {len(datasets)} "
        "data sets (target: 5 of 7)"
    )
    pair = [c for c in ("MLP relu", "MLP tanh") if c in contestants]
    if pair and len(pair) < sum("MLP" in c for c in contestants):
        n_pair = sum(
            stats[("tuned", d, "VNN learned")]["mean"]
            >= _best_mlp(stats, "tuned", d, pair)
            for d in datasets
        )
        summary += (
            f"; >= the better of {' and '.join(pair)} on {n_pair} of {len(datasets)}"
        )
    if both:
        n_frozen = sum(
            stats[("tuned", d, "VNN learned")]["mean"]
            >= stats[("tuned", d, "VNN frozen")]["mean"]
            - stats[("tuned", d, "VNN frozen")]["std"]
            for d in datasets
        )
        summary += (
            f"; within one standard deviation (of VNN frozen's outer-fold "
            f"scores) of VNN frozen or above it on {n_frozen} of {len(datasets)} "
            "(target: all)"
        )
    lines += ["", summary + ".", ""]
    lines += _selected_section(stats, datasets)
    lines += [
        "### Trained parameters of the selected model (mean over outer folds)",
        "",
        *_number_table(
            stats, "tuned", datasets, contestants, lambda s: f"{s['params']:.0f}"
        ),
        "",
        "### Fit time: refit of the selected model, mean seconds "
        "(total tuning seconds)",
        "",
        *_number_table(
            stats,
            "tuned",
            datasets,
            contestants,
            lambda s: f"{s['refit']:.2f} ({s['search']:.0f})",
        ),
        "",
    ]
    failed = sum(s["failed"] for k, s in stats.items() if k[0] == "tuned")
    lines += [f"Failed candidate fits (scored NaN): {failed}.", ""]
    return lines, summary


def _selected_section(stats, datasets):
    """Which VNN learned candidates the inner CV chose, per data set."""
    lines = [
        "### VNN learned: candidates chosen by the inner CV (count over outer folds)",
        "",
        "| dataset | chosen (hidden, alpha, activation_alpha) |",
        "| --- | --- |",
    ]
    for d in datasets:
        chosen = Counter(
            f"{b['hidden_layer_sizes'][0]}, {b['alpha']:g}, {b['activation_alpha']:g}"
            for b in stats[("tuned", d, "VNN learned")]["best"]
        )
        cells = "; ".join(f"({k}) x{n}" for k, n in chosen.most_common())
        lines.append(f"| {d} | {cells} |")
    return lines + [""]


def _defaults_section(stats, context):
    datasets, contestants = _columns(stats, "defaults")
    if not datasets:
        return [], ""
    default = context["default_column"]
    vnns = [c for c in contestants if c.startswith("VNN")]

    def gap(d, c):
        return stats[("defaults", d, c)]["mean"] - _best_mlp(
            stats, "defaults", d, contestants
        )

    def marks(d):
        g = gap(d, default)
        return f"{'yes' if g >= -TOLERANCE else 'no'} ({g:+.4f})"

    lines = [
        "## Defaults: every contestant as constructed, no tuning",
        "",
        "The same outer folds and scaled pipeline; MLPClassifier/MLPRegressor "
        "at scikit-learn's defaults (hidden (100,), adam, alpha 1e-4, "
        "200 epochs) with 'relu' and 'tanh'; VNN at the package defaults "
        f"(column **{default}**) and, as alternatives to them, "
        "activation_init 'tanh'/'relu' x activation_alpha 1, 10, 100 (the "
        "other parameters at their defaults).",
        "",
    ]
    lines += _score_table(
        stats,
        "defaults",
        datasets,
        contestants,
        f"{default} >= best MLP - {TOLERANCE:g} (gap)",
        marks,
    )
    lines += [
        "",
        f"Each VNN column against the better MLP (target: gap >= -{TOLERANCE:g} "
        "on every data set):",
        "",
        "| VNN | sets within target | mean gap | worst gap (data set) |",
        "| --- | ---: | ---: | --- |",
    ]
    counts = {}
    for c in vnns:
        gaps = {d: gap(d, c) for d in datasets}
        worst = min(gaps, key=gaps.get)
        counts[c] = sum(g >= -TOLERANCE for g in gaps.values())
        lines.append(
            f"| {c} | {counts[c]} of {len(datasets)} | "
            f"{np.mean(list(gaps.values())):+.4f} | {gaps[worst]:+.4f} ({worst}) |"
        )
    lines += [
        "",
        "### Fit time at defaults, mean seconds per outer fold",
        "",
        *_number_table(
            stats, "defaults", datasets, contestants, lambda s: f"{s['refit']:.2f}"
        ),
        "",
    ]
    summary = (
        f"Defaults: {default} within {TOLERANCE:g} of the better MLP on "
        f"{counts.get(default, 0)} of {len(datasets)} data sets (target: all)"
    )
    return lines, summary


def write_markdown(rows, path, context):
    """Write the results page; returns the verdict lines."""
    stats = aggregate(rows)
    tuned, tuned_summary = _tuned_section(stats, context)
    defaults, defaults_summary = _defaults_section(stats, context)
    lines = [
        "# Tabular data: VNN against MLP",
        "",
        f"Command: `{context['command']}`; total run time "
        f"{context['seconds'] / 60:.1f} min.",
        "",
        *tuned,
        *defaults,
    ]
    path.write_text("\n".join(lines).rstrip() + "\n")
    return "\n".join(s for s in (tuned_summary, defaults_summary) if s)


def plot(rows, path):
    """Grouped bars, one panel per table: mean score +- std."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = aggregate(rows)
    tables = [t for t in ("tuned", "defaults") if any(k[0] == t for k in stats)]
    fig, axes = plt.subplots(len(tables), 1, figsize=(14, 4 * len(tables)))
    for ax, table in zip(np.atleast_1d(axes), tables):
        datasets, contestants = _columns(stats, table)
        width = 0.8 / len(contestants)
        x = np.arange(len(datasets))
        for i, c in enumerate(contestants):
            ax.bar(
                x + (i - (len(contestants) - 1) / 2) * width,
                [stats[(table, d, c)]["mean"] for d in datasets],
                width,
                yerr=[stats[(table, d, c)]["std"] for d in datasets],
                label=c,
                capsize=2,
            )
        lows = [
            min(stats[(table, d, c)]["mean"] for c in contestants) for d in datasets
        ]
        ax.set_ylim(max(0.0, min(lows) - 0.1), 1.0)
        ax.set_xticks(x)
        ax.set_xticklabels(datasets)
        ax.set_ylabel("accuracy / R^2 (outer folds)")
        ax.set_title(table, fontsize=9)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
