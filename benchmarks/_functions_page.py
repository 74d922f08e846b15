"""The results page of bench_functions.py: summary and per-fit tables in
markdown, reading an existing page back (``--update``), and the RMSE
against parameter count plot.
"""

import numpy as np


def _fmt(r, seconds=False):
    if r is None:
        return "-"
    extra = f", {r['seconds']:.3g} s" if seconds else ""
    return f"{r['rmse']:.2e} ({r['model']}, {r['params']} params{extra})"


def _summary_line(s, missing):
    if s["pair"]:
        v, m = s["pair"]
        pair = f"{s['ratio']:.2f} ({v['model']} vs {m['model']})"
    else:
        pair = "-"
    met = "yes" if s["ratio"] >= 10 else "no"
    kan, rival = s["kan"], s["kan_rival"]
    if kan is None:
        versus = "-"
    elif rival is None:
        versus = "no VNN that small"
    else:
        versus = f"{kan['rmse'] / rival['rmse']:.3g} ({rival['model']})"
    return (
        f"| {s['function']} | {_fmt(s['best_vnn'])} | {_fmt(s['best_mlp'])} "
        f"| {_fmt(s['best_small'], True)} | {pair} | {met} "
        f"| {_fmt(kan, True) if kan else missing} | {versus} |"
    )


def _page_header(command, seconds, kan_note, previous):
    lines = [
        "# Function fitting: VNN against MLP and pykan (KAN)",
        "",
        f"Command: `{command}`; total run time {seconds / 60:.1f} min.",
    ]
    n_kept, commands = previous
    if n_kept:
        lines.append(
            f"{n_kept} rows of models this command did not run are kept, with "
            "their settings, from the previous page, made by: "
            + "; ".join(f"`{c}`" for c in commands or ["(unknown)"])
            + "."
        )
    lines += [
        "1000 training and 1000 test points (60 with --quick) uniform on [-1, 1]^d "
        "(float64), no "
        "noise; test RMSE; params = trained weights, intercepts and "
        "coefficients (pykan: spline coef, scale_base, scale_sp of the final "
        "grid). VNN rows: median over the random_state values listed below.",
        f"pykan: {kan_note}.",
        "ratio = RMSE of the best MLP with at least as many parameters / "
        "RMSE of the VNN, for the VNN configuration where it is largest "
        "(target: >= 10 on 3 of 4 functions). pykan / VNN = pykan RMSE / "
        "RMSE of the best VNN with at most pykan's parameters.",
        "",
        "| function | best VNN | best MLP | best VNN <= 200 params "
        "| ratio at equal or larger MLP size | met (>= 10x) | pykan "
        "| pykan / VNN |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    return lines


def write_markdown(rows, summary, path, command, seconds, kan_note, previous=(0, [])):
    """The results page: summary table, every fit, then the VNN seeds.

    ``previous`` is (number of rows kept from the previous page, the
    commands that made them), for ``--update``.
    """
    lines = _page_header(command, seconds, kan_note, previous)
    lines += [_summary_line(s, "-") for s in summary]
    first = summary[0] if summary else None
    if first and first["function"] == "exp(sin(pi x) + y^2)" and first["best_small"]:
        small, kan = first["best_small"], first["kan"]
        reached = small["rmse"] <= 1e-6
        faster = (
            ""
            if kan is None
            else (
                f"; its median fit time {small['seconds']:.1f} s against pykan's "
                f"{kan['seconds']:.0f} s"
            )
        )
        lines += [
            "",
            "Target RMSE <= 1e-6 with <= 200 parameters on exp(sin(pi x) + y^2): "
            f"{'met' if reached else 'not met'} (best {small['rmse']:.2e}, "
            f"{small['model']}{faster}).",
        ]
    lines += [
        "",
        "## Every fit",
        "",
        "| function | model | params | test RMSE | fit s |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['function']} | {r['model']} | {r['params']} "
            f"| {r['rmse']:.3e} | {r['seconds']:.1f} |"
        )
    seeded = [r for r in rows if r.get("per_seed")]
    if seeded:
        lines += [
            "",
            "## VNN test RMSE per random_state",
            "",
            "| function | model | min / median / max | random_state: RMSE |",
            "| --- | --- | --- | --- |",
        ]
        for r in seeded:
            values = list(r["per_seed"].values())
            spread = f"{min(values):.2e} / {np.median(values):.2e} / {max(values):.2e}"
            each = ", ".join(f"{s}: {v:.2e}" for s, v in r["per_seed"].items())
            lines.append(f"| {r['function']} | {r['model']} | {spread} | {each} |")
    path.write_text("\n".join(lines) + "\n")


def read_previous_rows(path):
    """The 'Every fit' rows and the commands of an existing page (--update)."""
    if not path.exists():
        return [], []
    lines = path.read_text().splitlines()
    head = lines[: lines.index("## Every fit")] if "## Every fit" in lines else []
    commands = [
        part
        for line in head
        for part in line.split("`")[1::2]
        if part.startswith("python benchmarks/bench_functions.py")
    ]
    rows, in_table = [], False
    for line in lines:
        if line.startswith("## "):
            in_table = line == "## Every fit"
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not in_table or len(cells) != 5 or cells[0] in ("function", "---"):
            continue
        first = cells[1].split()[0]
        rows.append(
            dict(
                function=cells[0],
                kind="KAN" if first == "pykan" else first,
                model=cells[1],
                params=int(cells[2]),
                rmse=float(cells[3]),
                seconds=float(cells[4]),
                per_seed=None,
            )
        )
    return rows, commands


def plot(rows, names, path):
    """Log-log RMSE against parameter count, one panel per function."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.8))
    axes = np.atleast_1d(axes)
    styles = {
        "VNN layer": ("o", "C0"),
        "VNN neuron": ("s", "C1"),
        "MLP relu lbfgs": ("v", "C2"),
        "MLP relu adam": ("^", "C3"),
        "MLP tanh lbfgs": ("<", "C4"),
        "MLP tanh adam": (">", "C5"),
        "pykan": ("*", "C6"),
    }
    for ax, name in zip(axes, names):
        for group, (marker, color) in styles.items():
            pts = [
                (r["params"], r["rmse"])
                for r in rows
                if r["function"] == name and r["model"].startswith(group)
            ]
            if pts:
                p, e = zip(*pts)
                ax.scatter(p, e, marker=marker, color=color, label=group, s=22)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("trained parameters")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("test RMSE")
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
