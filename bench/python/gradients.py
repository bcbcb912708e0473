"""Whole-process reference for the start-up bench (issue #19): one gradient method on a batch of
images in one Python process with plain PyTorch, the work Captum does for the same call.

ResNet-18 is written out here (torchvision's layout, random weights with torchvision's
initialisation: torchvision is not installed beside the system PyTorch), in eval mode. The input
is a .npy of [N, 3, 224, 224] float32; the output .npy is the attribution, as `lucerna attribute`
writes it. Methods:
  saliency         d score / d input (Captum Saliency)
  grad-cam         spatial mean of d score / d layer4 weighting layer4 (Captum LayerGradCam)
  guided-grad-cam  Grad-CAM upsampled bilinearly times guided backprop (Captum GuidedGradCam:
                   two forward+backward passes)
  ig               Integrated Gradients, zero baseline, Gauss-Legendre steps (Captum's default
                   rule), rows in batches of --batch
  ig-captum        Integrated Gradients exactly as Captum's IntegratedGradients.attribute computes
                   it at its defaults (internal_batch_size=None, method="gausslegendre"): all
                   steps x N rows in ONE forward and ONE backward. Captum-default batching,
                   reimplemented here because Captum can't be installed here (no pip access); read
                   from captum/attr/_core/integrated_gradients.py (_attribute) and
                   captum/_utils/gradient.py (compute_gradients), written as our own code.
  smoothgrad       mean of input gradients over --samples noisy copies (Captum NoiseTunnel)
The target is each row's arg-max class, as Lucerna's default.

Usage: /usr/bin/python3 bench/python/gradients.py METHOD IN.npy OUT.npy [--steps 32] [--samples 8] [--batch 32]
"""
import argparse
import resource

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu2(out + identity)


class ResNet18(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
        self.layer1, self.layer2, self.layer3, self.layer4 = [
            nn.Sequential(BasicBlock(cin, cout, s), BasicBlock(cout, cout, 1)) for cin, cout, s in widths
        ]
        self.fc = nn.Linear(512, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def input_gradients(model, x, target):
    x = x.clone().requires_grad_(True)
    out = model(x)
    (grad,) = torch.autograd.grad(out.gather(1, target[:, None]).sum(), x)
    return grad


def grad_cam(model, x, target):
    store = {}
    handle = model.layer4.register_forward_hook(lambda m, i, o: store.__setitem__("a", o))
    out = model(x.clone().requires_grad_(True))
    handle.remove()
    (g,) = torch.autograd.grad(out.gather(1, target[:, None]).sum(), store["a"])
    return (g.mean((2, 3), keepdim=True) * store["a"]).sum(1, keepdim=True).detach()


def guided_backprop(model, x, target):
    hooks = [m.register_full_backward_hook(lambda m, gi, go: (gi[0].clamp(min=0),)) for m in model.modules() if isinstance(m, nn.ReLU)]
    try:
        return input_gradients(model, x, target)
    finally:
        for h in hooks:
            h.remove()


def in_batches(rows, batch, fn):
    return torch.cat([fn(rows[i : i + batch]) for i in range(0, rows.shape[0], batch)])


def integrated_gradients(model, x, target, steps, batch):
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    alphas = torch.tensor((nodes + 1) / 2, dtype=torch.float32)
    w = torch.tensor(weights / 2, dtype=torch.float32)
    total = torch.zeros_like(x)
    for k in range(x.shape[0]):
        path = alphas[:, None, None, None] * x[k : k + 1]
        t = target[k].repeat(steps)
        grads = torch.cat([input_gradients(model, path[i : i + batch], t[i : i + batch]) for i in range(0, steps, batch)])
        total[k] = x[k] * (w[:, None, None, None] * grads).sum(0)
    return total


def integrated_gradients_captum_default(model, x, target, steps):
    """Captum's IntegratedGradients(model).attribute(x, target=target, n_steps=steps), defaults.

    Rows are step-major, as Captum concatenates them: [alpha_0 * x (all N), alpha_1 * x, ...];
    the target is repeated per step; one forward and one torch.autograd.grad over all of them;
    gradients scaled by the step sizes, summed over steps, times (input - baseline).
    """
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    step_sizes = (0.5 * weights).tolist()
    alphas = (0.5 * (1 + nodes)).tolist()
    baseline = 0
    scaled = torch.cat([baseline + alpha * (x - baseline) for alpha in alphas], dim=0).requires_grad_()
    expanded_target = target.repeat(steps)
    with torch.autograd.set_grad_enabled(True):
        outputs = torch.gather(model(scaled), 1, expanded_target.reshape(-1, 1))
        (grads,) = torch.autograd.grad(torch.unbind(outputs), (scaled,))
    scaled_grads = grads.contiguous().view(steps, -1) * torch.tensor(step_sizes).float().view(steps, 1)
    total = torch.sum(scaled_grads.reshape((steps, x.shape[0]) + tuple(x.shape[1:])), dim=0)
    return total * (x - baseline)


def smoothgrad(model, x, target, samples, batch):
    sd = 0.1 * (x.amax((1, 2, 3)) - x.amin((1, 2, 3)))
    noisy = x.repeat_interleave(samples, 0) + torch.randn(x.shape[0] * samples, *x.shape[1:]) * sd.repeat_interleave(samples)[:, None, None, None]
    t = target.repeat_interleave(samples)
    grads = torch.cat([input_gradients(model, noisy[i : i + batch], t[i : i + batch]) for i in range(0, noisy.shape[0], batch)])
    return grads.view(x.shape[0], samples, *x.shape[1:]).mean(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("method", choices=["saliency", "grad-cam", "guided-grad-cam", "ig", "ig-captum", "smoothgrad"])
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--steps", type=int, default=32)
    p.add_argument("--samples", type=int, default=8)
    p.add_argument("--batch", type=int, default=32)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    model = ResNet18().eval()
    for q in model.parameters():
        q.requires_grad_(False)
    x = torch.from_numpy(np.load(a.input).astype(np.float32))
    with torch.no_grad():
        target = model(x).argmax(1)
    if a.method == "saliency":
        result = input_gradients(model, x, target)
    elif a.method == "grad-cam":
        result = grad_cam(model, x, target)
    elif a.method == "guided-grad-cam":
        cam = F.interpolate(grad_cam(model, x, target), size=x.shape[2:], mode="bilinear", align_corners=False)
        result = guided_backprop(model, x, target) * cam
    elif a.method == "ig":
        result = integrated_gradients(model, x, target, a.steps, a.batch)
    elif a.method == "ig-captum":
        result = integrated_gradients_captum_default(model, x, target, a.steps)
    else:
        result = smoothgrad(model, x, target, a.samples, a.batch)
    np.save(a.output, result.numpy())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"peak_rss_mb={usage.ru_maxrss / 1024:.0f}")
    print(f"cpu_seconds={usage.ru_utime + usage.ru_stime:.3f}")


if __name__ == "__main__":
    main()
