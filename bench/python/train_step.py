"""PyTorch reference for the training-step benchmark (issue #13; bench/training.ts runs it).

ResNet-18 as `lucerna model create resnet18` builds it (torchvision's layout, written out here in
plain torch: torchvision is not needed), 10 classes, 64x64, SGD momentum 0.9, BatchNorm in train
mode, torch.set_num_threads(2) unless --threads says otherwise. Times the training step
(zero_grad, forward, loss, backward, optimizer step) and the inference forward pass (eval mode,
no_grad) on the same input, in both memory formats (contiguous NCHW, PyTorch's default, and
channels_last, which Debian's oneDNN build runs several times faster), and prints the medians in
ms as one JSON line: `forwardMs`/`stepMs` are the faster format's, `formats` holds both, and
`*CpuMs` the mean process CPU time per call (all threads: with --threads 1, the load-independent
measure of work).

Run: /usr/bin/python3 bench/python/train_step.py [--batch 32] [--reps 5] [--threads 2]
[--formats contiguous,channels_last] (one format alone, for a quicker manual reading).
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, in_c, out_c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, out_c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_c)
        self.conv2 = nn.Conv2d(out_c, out_c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_c)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_c != out_c:
            self.downsample = nn.Sequential(nn.Conv2d(in_c, out_c, 1, stride, bias=False), nn.BatchNorm2d(out_c))

    def forward(self, x):
        t = self.relu(self.bn1(self.conv1(x)))
        t = self.bn2(self.conv2(t))
        return self.relu(t + (self.downsample(x) if self.downsample is not None else x))


class ResNet18(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers = []
        in_c = 64
        for i, out_c in enumerate([64, 128, 256, 512]):
            stride = 1 if i == 0 else 2
            layers.append(nn.Sequential(BasicBlock(in_c, out_c, stride), BasicBlock(out_c, out_c, 1)))
            in_c = out_c
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def median_ms(fn, reps, warmup=2):
    """Median wall ms of the timed calls, and their mean process CPU ms (every thread)."""
    times = []
    cpu = 0.0
    for r in range(reps + warmup):
        t0 = time.perf_counter()
        c0 = time.process_time()
        fn()
        if r >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
            cpu += (time.process_time() - c0) * 1000
    return statistics.median(times), cpu / reps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--formats", default="contiguous,channels_last")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    known = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}
    names = [f for f in a.formats.split(",") if f]
    unknown = [f for f in names if f not in known]
    if unknown or not names:
        raise SystemExit(f"--formats takes contiguous and/or channels_last, got {a.formats!r}")
    formats = {name: time_format(a, known[name]) for name in names}
    best = min(formats.values(), key=lambda f: f["stepMs"])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": a.batch,
                      "reps": a.reps, **best, "formats": formats}))


def time_format(a, fmt):
    torch.manual_seed(0)
    model = ResNet18(10).to(memory_format=fmt)
    n = a.batch * 3 * 64 * 64
    x = torch.sin(torch.arange(n, dtype=torch.float32)).reshape(a.batch, 3, 64, 64).contiguous(memory_format=fmt)
    y = torch.arange(a.batch) % 10
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    def forward():
        with torch.no_grad():
            model(x)

    model.train()
    step_ms, step_cpu = median_ms(step, a.reps)
    model.eval()
    forward_ms, forward_cpu = median_ms(forward, a.reps)
    return {"forwardMs": round(forward_ms, 1), "stepMs": round(step_ms, 1),
            "forwardCpuMs": round(forward_cpu, 1), "stepCpuMs": round(step_cpu, 1)}


if __name__ == "__main__":
    main()
