#!/usr/bin/env python3
"""PyTorch peer of `hc bench`: the same GPT-2 shape, AdamW and batch on random
tokens, on the CPU with a fixed thread count. Prints one JSON line.

usage: OPENBLAS_NUM_THREADS=1 python3 benchmarks/torch_peer.py --hidden 128 --layers 4 \
    --heads 4 --context 128 --vocab 256 --batch 16 --steps 10 --warmup 3 --threads 2

--threads 0 (the default) leaves torch's thread count as it starts. PyTorch's
best setting on a small CPU is OPENBLAS_NUM_THREADS=1 with --threads = cores:
otherwise torch's OpenMP threads and OpenBLAS's own pool oversubscribe them.
"""
import os
import argparse
import json
import math
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print(
        "torch_peer: PyTorch is not installed; install it with "
        "'apt-get install -y python3-torch' (Debian)",
        file=sys.stderr,
    )
    sys.exit(3)


class Block(nn.Module):
    def __init__(self, e, h, f):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(e, eps=1e-5)
        self.c_attn = nn.Linear(e, 3 * e)
        self.c_proj = nn.Linear(e, e)
        self.ln_2 = nn.LayerNorm(e, eps=1e-5)
        self.c_fc = nn.Linear(e, f)
        self.mlp_proj = nn.Linear(f, e)

    def forward(self, x, mask):
        B, T, E = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(E, dim=2)
        heads = lambda t: t.view(B, T, self.h, E // self.h).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(E // self.h)) + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, E)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, e, layers, h, ctx):
        super().__init__()
        self.wte = nn.Embedding(vocab, e)
        self.wpe = nn.Embedding(ctx, e)
        self.blocks = nn.ModuleList([Block(e, h, 4 * e) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(e, eps=1e-5)
        mask = torch.full((ctx, ctx), -1e9).triu(1)
        self.register_buffer("mask", mask)
        for m in self.modules():  # GPT-2 init, as lib/model/params.ts
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(T))
        for b in self.blocks:
            x = b(x, self.mask[:T, :T])
        return self.ln_f(x) @ self.wte.weight.t()  # tied head, as the kit


def main():
    p = argparse.ArgumentParser()
    for k, d in [("hidden", 128), ("layers", 4), ("heads", 4), ("context", 128),
                 ("vocab", 256), ("batch", 16), ("steps", 10), ("warmup", 3), ("threads", 0)]:
        p.add_argument(f"--{k}", type=int, default=d)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = GPT(a.vocab, a.hidden, a.layers, a.heads, a.context)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    g = torch.Generator().manual_seed(0)

    def step():
        ids = torch.randint(0, a.vocab, (a.batch, a.context + 1), generator=g)
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, a.vocab), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    dt = (time.perf_counter() - t0) / a.steps
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "ms_per_step": dt * 1000,
        "tokens_per_s": a.batch * a.context / dt,
        "params": sum(t.numel() for t in model.parameters()),
        "loss": loss,
    }))


if __name__ == "__main__":
    main()
