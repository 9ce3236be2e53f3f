"""Writes review.ipynb (run: /usr/bin/python3 notebooks/make_review_notebook.py): the notebook's cells as plain Python, reviewable."""
import json
import os
cells = []
def md(text): cells.append({"cell_type": "markdown", "metadata": {}, "source": text.strip("\n").splitlines(keepends=True)})
def code(text): cells.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": text.strip("\n").splitlines(keepends=True)})
md("""
# Reviewing a probes run

Loads a run directory with `python/probes_reader.py` and draws the views of Agarwala, Pedregosa & Pennington's Figures 5
and 6 (z₁ and the sharpness at the edge of stability; Q₁ against Q_r, the two-step law and the size of the nonlinearity),
with the run's EOS numbers. Set `RUN` below (or the `PROBES_RUN` environment variable) to your run directory; figures are
also saved as PNG files in `FIGURES` (default: `RUN/notebook-figures`).
""")
code("""
import os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "..", "python"))   # the reader, from the repository's python/ folder
sys.path.insert(0, os.path.join(os.getcwd(), "python"))
import numpy as np
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from probes_reader import read_run

RUN = os.environ.get("PROBES_RUN", "runs/quick")
FIGURES = os.environ.get("PROBES_FIGURES", os.path.join(RUN, "notebook-figures"))
os.makedirs(FIGURES, exist_ok=True)
run = read_run(RUN)
s = run.settings
eos_numbers = (run.summary or {}).get("eos") or {}
onset = eos_numbers.get("onset_step") or eos_numbers.get("edge_onset_step")
# The EOS window: from 50 steps before the onset (z₁ starts orders of magnitude larger and would flatten it), else all.
p = run.probes
window = p if p is None or onset is None else p[p["step"] >= onset - 50]

def empty(ax, what):
    ax.text(0.5, 0.5, f"no {what} in this run", ha="center", va="center", transform=ax.transAxes)
eta = s["lr"]
print(f"{RUN}: {s['optimizer']} on {s['loss']}, n = {s['n']}, η = {eta}, {len(run.train)} steps, "
      f"{0 if run.probes is None else len(run.probes)} probes, status {run.summary and run.summary.get('status')}")
""")
md("""
## The EOS numbers (summary.json)

Onset is the first probed step where η·λ₁ of the NTK reaches 2 (GD on mse), or `edge` reaches 1 (any other optimizer or loss).
""")
code("""
eos = pd.json_normalize(run.summary.get("eos", {}) if run.summary else {}, sep=".")
eos.T.rename(columns={0: "value"})
""")
md("""
## Figure 5: z₁ and the sharpness

Left: z₁ = v₁·z, with v₁'s sign aligned step to step; middle: z₁ on even and on odd steps, the two slow branches of the
period-2 oscillation; right: η·λ₁ of the NTK against GD's threshold 2.
""")
code("""
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
if window is not None and window["z1"].notna().any():
    axes[0].plot(window["step"], window["z1"], ".", ms=3)
    axes[0].set(xlabel="step", ylabel="z₁", title="z₁ = v₁·z")
    consecutive = window[window["step"].diff().fillna(1) == 1]
    for parity, name in ((0, "even steps"), (1, "odd steps")):
        part = consecutive[consecutive["step"] % 2 == parity]
        axes[1].plot(part["step"], part["z1"], ".-", ms=3, label=name)
    axes[1].set(xlabel="step", ylabel="z₁", title="z₁ every other step")
    axes[1].legend()
else:
    empty(axes[0], "z₁ (mse runs with NTK probes)"), empty(axes[1], "z₁")
if p is not None:
    axes[2].plot(p["step"], p["eta_ntk_1"], ".-", ms=3, label="η·λ₁ (NTK)")
    if p["eta_hess_1"].notna().any():
        axes[2].plot(p["step"], p["eta_hess_1"], ".", ms=3, label="η·λ₁ (Hessian)")
    axes[2].axhline(2, color="k", lw=0.8, ls="--", label="2")
    axes[2].set(xlabel="step", ylabel="η·λ₁", title="sharpness")
    axes[2].legend()
fig.tight_layout()
fig.savefig(os.path.join(FIGURES, "figure5.png"), dpi=100)
""")
md("""
## Figure 6: Q₁, the two-step law and the nonlinearity

Left: the extreme eigenvalues of Q₁ = Σ v₁_α ∇²f_α against those of Q_r for a random unit r; middle: the two sides of
(z₁)ₜ₊₂ − (z₁)ₜ ≈ 2·yₜ·(z₁)ₜ over consecutive probed steps; right: the ratio of the second-order to the first-order part of
Δz₁, as the paper plots it (without the ½ of `nl_ratio`, so 2·nl_ratio).
""")
code("""
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
if p is not None and p["q1_max"].notna().any():
    q = p[p["q1_max"].notna()]
    for column, style in (("q1_max", "o-"), ("q1_min", "o-"), ("qr_max", "x--"), ("qr_min", "x--")):
        axes[0].plot(q["step"], q[column], style, ms=4, label=column)
    axes[0].set(xlabel="step", ylabel="eigenvalue", title="Q₁ against Q_r")
    axes[0].legend()
else:
    empty(axes[0], "Q₁ probes (--probes q1)")
if window is not None and window["y"].notna().any():
    z = window.set_index("step")
    steps = [t for t in z.index if t + 2 in z.index]
    lhs = np.array([z.loc[t + 2, "z1"] - z.loc[t, "z1"] for t in steps])
    rhs = np.array([2 * z.loc[t, "y"] * z.loc[t, "z1"] for t in steps])
    axes[1].plot(steps, lhs, ".", ms=3, label="(z₁)ₜ₊₂ − (z₁)ₜ")
    axes[1].plot(steps, rhs, ".", ms=3, label="2·yₜ·(z₁)ₜ")
    axes[1].set(xlabel="step", title="the two-step law")
    axes[1].legend()
else:
    empty(axes[1], "y (GD on mse)")
if window is not None and window["nl_ratio"].notna().any():
    ratio = window[window["nl_ratio"].notna()]
    axes[2].semilogy(ratio["step"], (2 * ratio["nl_ratio"]).abs(), ".", ms=3)
    axes[2].set(xlabel="step", ylabel="|2·nl_ratio|", title="second order / first order")
else:
    empty(axes[2], "one-step split (--probes ratio)")
fig.tight_layout()
fig.savefig(os.path.join(FIGURES, "figure6.png"), dpi=100)
""")
md("""
## The loss

The training loss and, where measured, the test loss.
""")
code("""
fig, ax = plt.subplots(figsize=(7, 4))
ax.semilogy(run.train["step"], run.train["loss"], label="train")
test = run.train[run.train["test_loss"].notna()]
if len(test):
    ax.semilogy(test["step"], test["test_loss"], label="test")
ax.set(xlabel="step", ylabel="loss")
ax.legend()
fig.savefig(os.path.join(FIGURES, "loss.png"), dpi=100)
""")
nb = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
      "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
for i, c in enumerate(nb["cells"]):
    c["id"] = f"cell-{i}"
json.dump(nb, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "review.ipynb"), "w"), indent=1, ensure_ascii=False)
print("ok")
