"""Issue #13's gradient check at scale (reference only; bench/train-grads-f64.ts writes the input).

Loads the initializers, batch and Lucerna's train-mode parameter gradients written by
bench/train-grads-f64.ts, computes the same gradients with PyTorch 1.13 in float32 and in float64
(ResNet-18 of train_step.py, BatchNorm in train mode, mean cross-entropy), and prints for each
parameter max|g - g64| / max|g64| for Lucerna and for PyTorch float32, worst first. A ReLU input
within float32 rounding of 0 can land on either side of the kink in either float32 run, which moves
the gradients below it by far more than rounding does (BENCHMARKS.md, training to accuracy).

Run: /usr/bin/python3 bench/python/train_grads_f64.py [dir] [--top 12]
"""
import argparse
import glob
import importlib.util
import os

import numpy as np
import torch


def load_model(d, dtype):
    spec = importlib.util.spec_from_file_location('train_step', os.path.join(os.path.dirname(__file__), 'train_step.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    m = mod.ResNet18(10)
    state = {os.path.basename(f)[len('init.'):-len('.npy')]: torch.from_numpy(np.load(f)) for f in glob.glob(f'{d}/init.*.npy')}
    m.load_state_dict(state, strict=False)
    return m.to(dtype).train()


def gradients(d, dtype):
    torch.set_num_threads(1)
    m = load_model(d, dtype)
    x = torch.from_numpy(np.load(f'{d}/x.npy')).to(dtype)
    y = torch.from_numpy(np.load(f'{d}/y.npy'))
    torch.nn.functional.cross_entropy(m(x), y).backward()
    return {k: p.grad.detach().double().numpy() for k, p in m.named_parameters()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dir', nargs='?', default='/tmp/lucerna-grads')
    ap.add_argument('--top', type=int, default=12)
    a = ap.parse_args()
    g64 = gradients(a.dir, torch.float64)
    g32 = gradients(a.dir, torch.float32)
    rows = []
    for k, ref in g64.items():
        ours = np.load(f'{a.dir}/grad.{k}.npy').astype(np.float64)
        scale = np.abs(ref).max()
        rows.append((k, np.abs(ours - ref).max() / scale, np.abs(g32[k] - ref).max() / scale))
    rows.sort(key=lambda r: -r[1])
    print(f"{'parameter':32s} {'Lucerna vs f64':>15s} {'torch f32 vs f64':>17s}")
    for k, ours, t32 in rows[: a.top]:
        print(f'{k:32s} {ours:15.2e} {t32:17.2e}')
    print(f"worst: Lucerna {rows[0][1]:.2e} ({rows[0][0]}), torch f32 {max(r[2] for r in rows):.2e}")


if __name__ == '__main__':
    main()
