#!/usr/bin/env python3
"""Sample workflows from a PyTorch model under the tokenizer's grammar mask.

At each step the model scores the whole model vocabulary; python/tct.py's
`Tokenizer.allowed(content_ids)` gives the content ids the grammar allows
next (a bitmask), everything else (PAD, position tokens, ids that would break
the document) is set to -inf, and the next id is drawn from what is left. A
sample stops when the mask is empty: the document is complete, so every
sample decodes into a valid document, even from an untrained model.

The model is a small decoder-only transformer (the shape of the project's
GoMLX model and of bench-ref's torch reference: RMSNorm, causal attention
with RoPE, GELU MLP, untied head). It is trained here for --steps steps on
the pipeline's windows of --docs ([position token, ids..., PAD...], PAD
masked out of the loss), or loaded from --checkpoint.

    make python
    python3 examples/constrained_sample.py --steps 300 --n 4            # testdata, CPU or GPU
    python3 examples/constrained_sample.py --docs ../shared/corpus/workflows.jsonl.zst --steps 2000 --device cuda

--docs takes JSONL dumps (records with "content" YAML, or `tct convert`
output with "json"), .jsonl.zst (decompressed with the zstd command),
YAML files and directories of them. Without torch it says so and exits 0.
A machine without Go (the GPU machine) needs python/libtct.so built
elsewhere with `make python` and copied beside python/tct.py.
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    torch = None

import tct  # noqa: E402


def read_texts(paths):
    """(text, format) of every document under paths."""
    for path in paths:
        if os.path.isdir(path):
            for d, _, files in sorted(os.walk(path)):
                for f in sorted(files):
                    if f.endswith((".yml", ".yaml")):
                        with open(os.path.join(d, f), encoding="utf-8", errors="surrogateescape") as fh:
                            yield fh.read(), "yaml"
        elif path.endswith((".jsonl", ".jsonl.zst")):
            if path.endswith(".zst"):
                lines = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout.splitlines()
            else:
                with open(path, "rb") as fh:
                    lines = fh.read().splitlines()
            for line in lines:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec.get("content"), str):
                    yield rec["content"], "yaml"
                elif rec.get("json") is not None:
                    yield json.dumps(rec["json"], separators=(",", ":"), ensure_ascii=False), "json"
        else:
            with open(path, encoding="utf-8", errors="surrogateescape") as fh:
                yield fh.read(), "yaml"


def training_windows(tok, paths, ctx, limit):
    """The pipeline's windows of the documents that encode (others are skipped)."""
    wins, docs, skipped = [], 0, 0
    for text, fmt in read_texts(paths):
        if docs >= limit:
            break
        try:
            ids = tok.encode(text, fmt)
        except tct.TokenizerError:
            skipped += 1
            continue
        docs += 1
        wins.extend(tok.windows(ids, ctx, detail=True))
    print(f"{docs} documents ({skipped} skipped), {len(wins)} windows of {ctx + 1} ids", file=sys.stderr)
    return wins


if torch is not None:
    def rope(x, cos, sin):
        x1, x2 = x[..., ::2], x[..., 1::2]
        return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), -1).flatten(-2)

    class Block(nn.Module):
        def __init__(self, d, heads):
            super().__init__()
            self.heads = heads
            self.n1, self.n2 = nn.RMSNorm(d), nn.RMSNorm(d)
            self.qkv, self.o = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
            self.f1, self.f2 = nn.Linear(d, 4 * d, bias=False), nn.Linear(4 * d, d, bias=False)

        def forward(self, x, cos, sin):
            B, T, D = x.shape
            q, k, v = self.qkv(self.n1(x)).view(B, T, 3, self.heads, D // self.heads).transpose(1, 3).unbind(2)
            q, k = rope(q, cos[:T], sin[:T]), rope(k, cos[:T], sin[:T])
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, D)
            x = x + self.o(y)
            return x + self.f2(F.gelu(self.f1(self.n2(x))))

    class GPT(nn.Module):
        def __init__(self, vocab, d, layers, heads, seq):
            super().__init__()
            self.emb = nn.Embedding(vocab, d)
            self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
            self.nf, self.head = nn.RMSNorm(d), nn.Linear(d, vocab, bias=False)
            hd = d // heads
            inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
            ang = torch.arange(seq).float()[:, None] * inv[None]
            self.register_buffer("cos", ang.cos(), persistent=False)
            self.register_buffer("sin", ang.sin(), persistent=False)

        def forward(self, idx):
            x = self.emb(idx)
            for b in self.blocks:
                x = b(x, self.cos, self.sin)
            return self.head(self.nf(x))


def train(model, tok, wins, steps, batch, lr, device, seed):
    """AdamW on random batches of windows; targets are window[1:], PAD ignored."""
    g = torch.Generator().manual_seed(seed)
    data = torch.tensor([w for w, _, _ in wins], dtype=torch.long)
    valid = torch.tensor([v for _, _, v in wins], dtype=torch.long)
    T = data.shape[1] - 1
    real = torch.arange(T)[None, :] + 1 < valid[:, None]  # target j is a real token
    targets = torch.where(real, data[:, 1:], torch.full_like(data[:, 1:], -100))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    model.train()
    for step in range(steps):
        i = torch.randint(0, len(data), (batch,), generator=g)
        x, y = data[i, :-1].to(device), targets[i].to(device)
        loss = F.cross_entropy(model(x).float().reshape(-1, model.head.out_features), y.reshape(-1), ignore_index=-100)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if step % max(steps // 10, 1) == 0 or step == steps - 1:
            print(f"step {step}: loss {loss.item():.3f}", file=sys.stderr)


def allowed_mask(tok, content_ids, vocab, device):
    """The model-vocabulary mask of the ids the grammar allows next (None
    when the document is complete)."""
    raw = tok.allowed(content_ids)
    if not any(raw):
        return None
    m = torch.frombuffer(bytearray(raw), dtype=torch.uint8)
    bits = ((m[:, None] >> torch.arange(8, dtype=torch.uint8)[None, :]) & 1).flatten()[:tok.vocab_size].bool()
    full = torch.zeros(vocab, dtype=torch.bool)
    full[:tok.vocab_size] = bits
    return full.to(device)


@torch.no_grad() if torch is not None else (lambda f: f)
def sample(model, tok, ctx, max_tokens, temperature, top_k, g, device):
    """One constrained sample: (content ids, complete?)."""
    model.eval()
    seq = [tok.position_id(0)]
    for _ in range(min(max_tokens, ctx)):
        mask = allowed_mask(tok, seq[1:], model.head.out_features, device)
        if mask is None:
            return seq[1:], True
        logits = model(torch.tensor([seq], device=device))[0, -1].float() / max(temperature, 1e-6)
        logits = logits.masked_fill(~mask, float("-inf"))
        if top_k and top_k < int(mask.sum()):
            kth = torch.topk(logits, top_k).values[-1]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        probs = torch.softmax(logits, -1).cpu()
        seq.append(int(torch.multinomial(probs, 1, generator=g)))
    return seq[1:], not any(tok.allowed(seq[1:]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", nargs="*", default=[os.path.join(ROOT, "testdata", "dump"),
                                                  os.path.join(ROOT, "testdata", "dump.jsonl")])
    ap.add_argument("--tokenizer", help="tokenizer file (default: the embedded one)")
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("--max-docs", type=int, default=5000)
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--checkpoint", help="load the model's weights from here if it exists, else save them here")
    ap.add_argument("--n", type=int, default=3, help="samples")
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--top-k", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default=None, help="cuda or cpu (default: cuda when available)")
    args = ap.parse_args()
    if torch is None:
        print("constrained_sample: torch is not installed; skipping", file=sys.stderr)
        return 0
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(args.seed)
    tok = tct.Tokenizer.load(args.tokenizer)
    model = GPT(tok.model_vocab, args.d, args.layers, args.heads, args.context + 1).to(device)
    if args.checkpoint and os.path.exists(args.checkpoint):
        model.load_state_dict(torch.load(args.checkpoint, map_location=device))
    else:
        wins = training_windows(tok, args.docs, args.context, args.max_docs)
        train(model, tok, wins, args.steps, args.batch, args.lr, device, args.seed)
        if args.checkpoint:
            torch.save(model.state_dict(), args.checkpoint)
    g = torch.Generator().manual_seed(args.seed)
    complete = 0
    for i in range(args.n):
        ids, done = sample(model, tok, args.context, args.max_tokens, args.temperature, args.top_k, g, device)
        complete += done
        print(f"# sample {i}: {len(ids)} ids, {'complete' if done else 'truncated'}")
        if done:
            print(tok.decode(ids, "yaml"))
        else:
            print(f"(the document is not complete after {len(ids)} ids)\n")
    print(f"{complete}/{args.n} samples complete, every one valid by construction", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
