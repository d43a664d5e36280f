#!/usr/bin/env python3
"""Read tct window shards (`tct pipeline` output) as PyTorch batches.

A short, readable counterpart of the Go loader (shards/loader.go):

- manifest-driven: the window shards of a split are listed in manifest.json,
  with their row counts, the context and the tokenizer's fingerprint and PAD id;
- one Parquet row group in memory at a time (pyarrow), the tokens column taken
  as the flat int32 values of its LIST column, reshaped to (rows, context+1);
- shuffled by (seed, epoch): row groups in a random order, windows in a random
  order within each; validation (shuffle=False) reads in file and row order;
- data parallel: the k-th window of an epoch goes to rank k % world;
- yields (inputs, targets, mask, segments): inputs = window[:C], targets =
  window[1:], segments = the segment id of every input, mask = 1.0 where the
  target is learned: a real token of the input's segment.

Packed windows (manifest config "pack": true, the train split) hold several
documents back to back, each a segment [position token, tokens...]; the
shards carry the segment id of every slot (1, 2, ... and 0 on PAD). The
target at a segment's last token (the next segment's position token) is
not learned, and attention must stay within a segment: attention_mask()
builds the causal, same-segment mask for scaled_dot_product_attention. An
unpacked split (val, or pack false) has one segment per window: 1 up to
valid, then 0, so the same code serves both.

The order is reproducible but not the Go loader's (another PRNG, and no
shuffle buffer across row groups). The last batch of an epoch may be short.

    python3 examples/torch_loader.py out/shards --split train --batch 32 --batches 4
"""

import argparse
import json
import os

import numpy as np
import pyarrow.parquet as pq
import torch


def packed(manifest, split):
    """Whether the windows of a split carry segment ids (as shards.Manifest.Packed)."""
    return bool(manifest["config"].get("pack")) and split == "train"


def attention_mask(segments):
    """(B, C) segment ids -> (B, 1, C, C) bool: query i attends key k <= i of its
    own segment. PAD queries (segment 0) attend PAD keys, so no row is empty.

        F.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask(segments))
    """
    c = segments.shape[1]
    causal = torch.ones(c, c, dtype=torch.bool, device=segments.device).tril()
    return ((segments[:, :, None] == segments[:, None, :]) & causal)[:, None]


def read_manifest(shard_dir, tokenizer=None, allow_incomplete=False):
    with open(os.path.join(shard_dir, "manifest.json")) as f:
        manifest = json.load(f)
    if manifest.get("format") != "tct-shards":
        raise ValueError(f"{shard_dir}: not a tct shard manifest")
    # Manifests written before the "complete" key: complete unless input errors.
    complete = manifest.get("complete", not manifest.get("input_errors"))
    if not complete and not allow_incomplete:
        errors = manifest.get("input_errors") or ["no reason recorded"]
        raise ValueError(f"{shard_dir}: incomplete shard set: the run did not read all of its input: "
                         f"{errors[0]}; pass --allow-incomplete to use it anyway")
    if tokenizer and manifest["tokenizer"] != tokenizer:
        raise ValueError(f"{shard_dir}: shards made with tokenizer {manifest['tokenizer']}, expected {tokenizer}")
    return manifest


class ShardBatches(torch.utils.data.IterableDataset):
    """Batches of (inputs, targets, mask) from one split of a shard directory."""

    def __init__(self, shard_dir, split="train", batch_size=32, seed=0, shuffle=True,
                 rank=0, world=1, tokenizer=None, allow_incomplete=False):
        self.dir, self.split, self.batch_size = shard_dir, split, batch_size
        self.seed, self.shuffle, self.rank, self.world = seed, shuffle, rank, world
        self.manifest = read_manifest(shard_dir, tokenizer, allow_incomplete)
        self.context = self.manifest["config"]["context"]
        self.packed = packed(self.manifest, split)
        self.files = [s for s in self.manifest["shards"] if s["kind"] == "windows" and s["split"] == split]
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def row_groups(self):
        """(path, row group) pairs in the epoch's order, checked against the manifest."""
        units = []
        for s in self.files:
            path = os.path.join(self.dir, s["name"])
            meta = pq.ParquetFile(path).metadata
            if meta.num_rows != s["rows"]:
                raise ValueError(f"{path}: {meta.num_rows} rows, the manifest says {s['rows']}")
            units += [(path, i) for i in range(meta.num_row_groups)]
        return units

    def __iter__(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        units = self.row_groups()
        if self.shuffle:
            units = [units[i] for i in rng.permutation(len(units))]
        # DataLoader workers take disjoint row groups.
        info = torch.utils.data.get_worker_info()
        if info is not None:
            units = units[info.id::info.num_workers]
        c, k = self.context, 0
        pending = []
        for path, group in units:
            windows, segments = self.read_windows(path, group)
            order = rng.permutation(len(windows)) if self.shuffle else np.arange(len(windows))
            mine = order[(k + np.arange(len(order))) % self.world == self.rank]
            k += len(order)
            pending.append((windows[mine], segments[mine]))
            rows = sum(len(w) for w, _ in pending)
            while rows >= self.batch_size:
                batch, pending = self._take(pending, self.batch_size)
                rows -= self.batch_size
                yield batch
        if pending and sum(len(w) for w, _ in pending) > 0:
            yield self._take(pending, None)[0]

    def read_windows(self, path, group):
        """A row group's windows and the segment ids of their slots, (rows, C+1) each."""
        c = self.context
        columns = ["tokens", "valid"] + (["segment_starts"] if self.packed else [])
        table = pq.ParquetFile(path).read_row_group(group, columns=columns)
        flat = table.column("tokens").combine_chunks().flatten().to_numpy()
        valid = table.column("valid").to_numpy()
        if len(flat) != len(valid) * (c + 1):
            raise ValueError(f"{path}: row group {group}: windows are not {c + 1} ids long")
        if self.packed:  # a window's segment starts (slots) -> the segment id of every slot, 0 on padding
            starts = table.column("segment_starts").to_pylist()
            slots = np.arange(c + 1)
            segments = np.zeros((len(valid), c + 1), dtype=np.int32)
            for i, st in enumerate(starts):
                if not st or st[0] != 0 or st[-1] >= valid[i]:
                    raise ValueError(f"{path}: row group {group}: segment starts {st} do not fit valid {valid[i]}")
                segments[i] = np.searchsorted(np.asarray(st), slots, side="right")
            segments[slots[None, :] >= valid[:, None]] = 0
        else:  # one document per window: segment 1 up to valid, then 0
            segments = (np.arange(c + 1)[None, :] < valid[:, None]).astype(np.int32)
        return flat.reshape(-1, c + 1), segments

    def _take(self, pending, n):
        windows = np.concatenate([w for w, _ in pending])
        segments = np.concatenate([s for _, s in pending])
        n = len(windows) if n is None else n
        rest = [(windows[n:], segments[n:])] if n < len(windows) else []
        w, s = torch.from_numpy(windows[:n]), torch.from_numpy(segments[:n])
        c = self.context
        mask = ((s[:, 1:] == s[:, :c]) & (s[:, 1:] != 0)).float()
        return (w[:, :c].long(), w[:, 1:].long(), mask, s[:, :c].long()), rest


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--split", default="train")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--batches", type=int, default=0, help="stop after this many (0: one epoch)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-shuffle", action="store_true")
    ap.add_argument("--allow-incomplete", action="store_true", help="read a shard set marked complete: false")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()

    ds = ShardBatches(args.dir, args.split, args.batch, seed=args.seed, shuffle=not args.no_shuffle,
                      allow_incomplete=args.allow_incomplete)
    loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=0, pin_memory=args.device == "cuda")
    windows = targets = 0
    for i, batch in enumerate(loader):
        inputs, tgt, mask, segments = (t.to(args.device, non_blocking=True) for t in batch)
        windows += inputs.shape[0]
        targets += int(mask.sum().item())
        if i < 3:
            attn = attention_mask(segments)
            print(f"batch {i}: inputs {tuple(inputs.shape)} {inputs.dtype} on {inputs.device}, "
                  f"{int(mask.sum().item())} real targets, {int(segments.max(dim=1).values.sum().item())} segments, "
                  f"attention mask {tuple(attn.shape)}, first ids {inputs[0, :6].tolist()}")
        if args.batches and i + 1 >= args.batches:
            break
    total = sum(s["rows"] for s in ds.files)
    print(f"{windows} windows ({total} in the split), {targets} real targets")
    tokens = ds.manifest["splits"][args.split]["tokens"]
    if not args.batches and ds.packed and targets != tokens:
        raise SystemExit(f"learned {targets} targets, the split has {tokens} tokens")
    if not args.batches and windows != total:
        raise SystemExit(f"read {windows} windows, the manifest says {total}")


if __name__ == "__main__":
    main()
