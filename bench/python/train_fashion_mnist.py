"""PyTorch's run of bench/train-fashion-mnist.ts, for comparison of time and accuracy (issue #13).

The same small CNN as `lucerna model create small-cnn --classes 10 --input 1x28x28` (conv3x3 1->32,
BN, ReLU, maxpool 2; conv3x3 32->64, BN, ReLU, maxpool 2; Linear 3136->128, ReLU; Linear 128->10;
PyTorch's default initialisation), pixels / 255, Adam, cosine learning rate with linear warm-up per
step (the same formula as src/training/schedule.ts), shuffled batches, the 10 000 test images
evaluated after each epoch. Reads the Debian package's IDX files directly; prints one JSON line per
epoch with cumulative process CPU seconds and wall seconds.

Run: /usr/bin/python3 bench/python/train_fashion_mnist.py [--epochs 2] [--batch 128] [--lr 0.002]
     [--warmup 100] [--threads 2]
"""
import argparse
import gzip
import json
import math
import time

import numpy as np
import torch
from torch import nn

DIR = "/usr/share/datasets/fashion-mnist"


def idx(name):
    with gzip.open(f"{DIR}/{name}", "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def split(kind):
    x = torch.from_numpy(idx(f"{kind}-images-idx3-ubyte.gz").astype(np.float32) / 255).unsqueeze(1)
    y = torch.from_numpy(idx(f"{kind}-labels-idx1-ubyte.gz").astype(np.int64))
    return x, y


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.002)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    xtr, ytr = split("train")
    xte, yte = split("t10k")
    model = small_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    per_epoch = math.ceil(len(ytr) / a.batch)
    total = per_epoch * a.epochs

    def factor(step):
        if step < a.warmup:
            return (step + 1) / a.warmup
        span = max(1, total - a.warmup)
        return (1 + math.cos(math.pi * min(step - a.warmup, span) / span)) / 2

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    loss_fn = nn.CrossEntropyLoss()
    print(json.dumps({"torch": torch.__version__, "epochs": a.epochs, "batch": a.batch, "lr": a.lr,
                      "warmup": a.warmup, "threads": torch.get_num_threads()}))
    g = torch.Generator().manual_seed(0)
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(ytr), generator=g)
        seen = correct = 0
        total_loss = 0.0
        for k in range(per_epoch):
            i = order[k * a.batch:(k + 1) * a.batch]
            opt.zero_grad(set_to_none=True)
            logits = model(xtr[i])
            loss = loss_fn(logits, ytr[i])
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * len(i)
            correct += (logits.argmax(1) == ytr[i]).sum().item()
            seen += len(i)
        model.eval()
        with torch.no_grad():
            test_correct = sum((model(xte[j:j + 1000]).argmax(1) == yte[j:j + 1000]).sum().item()
                               for j in range(0, len(yte), 1000))
        print(json.dumps({"epoch": epoch + 1, "loss": round(total_loss / seen, 4),
                          "trainAccuracy": round(correct / seen, 4), "testAccuracy": test_correct / len(yte),
                          "cpuSeconds": round(time.process_time()), "wallSeconds": round(time.perf_counter() - t0)}),
              flush=True)


if __name__ == "__main__":
    main()
