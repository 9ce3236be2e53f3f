"""What PyTorch's own products cost, in forward-pass equivalents, beside `probes bench`: on Cohen et al.'s convnet (beside
`probes bench --arch cnn-relu`), or on a TorchScript file (beside `probes bench --model FILE`).

    /usr/bin/python3 docs/scripts/pytorch_products.py [n] [threads] [FILE [C,H,W]]
        (Debian's python3-torch, 1.13; defaults 1000, 2, the convnet; a file's inputs are n × C × H × W, or n × 3072)

PyTorch refuses forward mode through a loaded TorchScript module ("The stateless API can't be used with Jitted modules"),
so on a file K·u takes J w by double backward (w ↦ ∂/∂v[(Jᵀv)·w]), as TorchSharp, which has no forward mode, does everywhere.

Each product is timed interleaved with a forward pass (medians of five after a warm-up), as the C# benchmark does:
  training step: forward and backward of the loss;
  K·u  = J(Jᵀu)/n: a reverse pass for Jᵀu, then J w by forward mode (torch.autograd.forward_ad), which TorchSharp lacks;
  H·w  by double backward of the loss;
  Q·w  = ∇(w·∇(u·f)) by double backward of u·f;
  ∇³L[w, w] = ∇(wᵀHw) by a third reverse pass.
Random inputs of CIFAR's shape stand in for the data: the costs do not depend on the values.
"""
import sys
import time

import torch
import torch.autograd.forward_ad as fwAD
import torch.nn as nn
from torch.nn.utils.stateless import functional_call

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
torch.manual_seed(0)
scripted = len(sys.argv) > 3
if scripted:
    model = torch.jit.load(sys.argv[3])
    shape = [int(d) for d in sys.argv[4].split(",")] if len(sys.argv) > 4 else [3072]
    dtype = next(model.parameters()).dtype
    x, y = torch.randn(n, *shape, dtype=dtype), torch.randn(n, 10, dtype=dtype)
else:
    layers, channels = [], 3
    for width in [32, 32]:
        layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d((2, 2))]
        channels = width
    model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(32 * 8 * 8, 10))
    x, y = torch.randn(n, 3, 32, 32), torch.randn(n, 10)
params = dict(model.named_parameters())
names, values = list(params), list(params.values())
u, w = torch.randn_like(y), [torch.randn_like(p) for p in values]


def loss_of(f):
    return 0.5 * ((f - y) ** 2).sum() / n


def forward():
    with torch.no_grad():
        model(x).sum().item()


def step():
    model.zero_grad()
    loss_of(model(x)).backward()


def ntk():
    jtu = torch.autograd.grad(model(x), values, u)
    with fwAD.dual_level():
        dual = {k: fwAD.make_dual(p.detach(), t) for k, p, t in zip(names, values, jtu)}
        fwAD.unpack_dual(functional_call(model, dual, (x,))).tangent.sum().item()


def ntk_by_double_backward():
    f = model(x)
    v = torch.zeros_like(f, requires_grad=True)
    jtv = torch.autograd.grad(f, values, v, create_graph=True)
    jtu = torch.autograd.grad(f, values, u, retain_graph=True)
    torch.autograd.grad(sum((a * b).sum() for a, b in zip(jtv, jtu)), v)[0].sum().item()


def hvp(scalar):
    g = torch.autograd.grad(scalar(), values, create_graph=True)
    hw = torch.autograd.grad(sum((a * b).sum() for a, b in zip(g, w)), values, allow_unused=True)
    return sum(h.sum() for h in hw if h is not None).item()


def third():
    g = torch.autograd.grad(loss_of(model(x)), values, create_graph=True)
    hw = torch.autograd.grad(sum((a * b).sum() for a, b in zip(g, w)), values, create_graph=True)
    t = torch.autograd.grad(sum((a * b).sum() for a, b in zip(hw, w)), values, allow_unused=True)
    return sum(z.sum() for z in t if z is not None).item()


def timed(product):
    forward(), product()
    fs, ps = [], []
    for _ in range(5):
        t0 = time.perf_counter(); forward(); fs.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); product(); ps.append(time.perf_counter() - t0)
    f, p = sorted(fs)[2], sorted(ps)[2]
    return f"{p / f:6.2f} fwd ({1000 * p:.0f} ms)"


what = sys.argv[3] if scripted else "cnn-relu"
print(f"PyTorch {torch.__version__}: {what}, n = {n}, P = {sum(p.numel() for p in values):,}, {x.dtype}, {torch.get_num_threads()} threads")
print("  training step ", timed(step))
print("  K·u (double backward)" if scripted else "  K·u (forward mode)", timed(ntk_by_double_backward if scripted else ntk))
print("  H·w  ", timed(lambda: hvp(lambda: loss_of(model(x)))))
print("  Q·w  ", timed(lambda: hvp(lambda: (model(x) * u).sum())))
print("  ∇³L[w, w]", timed(third))
