"""Tests of the Python adapter (tct.py) against the Go tokenizer.

The Go side is capi/goref (built by `make python` into python/tct-ref, or
here with `go build`): it runs the pipeline's convert and tokenize stages
over the corpus (../shared/corpus/workflows.jsonl.zst when present, else the
embedded testdata dump) and answers allowed-ids and encode queries with the
tokenizer package directly. Standard library only:

    make python && python3 python/test_tct.py
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import tct  # noqa: E402

SHARED = os.environ.get("SHARED", os.path.join(ROOT, "..", "shared"))
CORPUS = os.path.join(SHARED, "corpus", "workflows.jsonl.zst")


def goref_binary(tmp):
    """python/tct-ref, or a fresh build of capi/goref."""
    p = os.path.join(HERE, "tct-ref")
    if os.path.exists(p):
        return p
    p = os.path.join(tmp, "tct-ref")
    subprocess.run(["go", "build", "-o", p, "./capi/goref"], cwd=ROOT, check=True,
                   env=dict(os.environ, CGO_ENABLED="0"))
    return p


def corpus_inputs():
    if os.path.exists(CORPUS):
        return [CORPUS]
    return [os.path.join(ROOT, "testdata", "dump"), os.path.join(ROOT, "testdata", "dump.jsonl")]


class GoRef:
    """The Go reference: documents of the corpus, and queries."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.bin = goref_binary(self.tmp.name)
        self.inputs = corpus_inputs()
        out = subprocess.run([self.bin, "docs", *self.inputs], cwd=ROOT, check=True, capture_output=True).stdout
        self.docs = [json.loads(line) for line in out.splitlines()]

    def query(self, requests):
        data = "".join(json.dumps(r) + "\n" for r in requests).encode()
        out = subprocess.run([self.bin, "query"], input=data, check=True, capture_output=True).stdout
        return [json.loads(line) for line in out.splitlines()]


REF = None
TOK = None


def setUpModule():
    global REF, TOK
    REF = GoRef()
    TOK = tct.Tokenizer.load()


def tearDownModule():
    REF.tmp.cleanup()


def good_docs():
    return [d for d in REF.docs if "reject" not in d]


class TestLayout(unittest.TestCase):
    def test_layout(self):
        lay = TOK.layout
        self.assertEqual(TOK.vocab_size, lay.content)
        self.assertEqual(TOK.pad_id, lay.content)
        self.assertEqual(TOK.position_id(0), lay.position_base)
        self.assertEqual(TOK.position_id(10 ** 6), lay.position_base + lay.position_count - 1)
        self.assertEqual(TOK.model_vocab % 128, 0)
        self.assertGreaterEqual(TOK.model_vocab, lay.position_base + lay.position_count)
        self.assertEqual(len(TOK.fingerprint), 64)

    def test_load_file(self):
        with tct.Tokenizer.load(os.path.join(ROOT, "configs", "tokenizer.json")) as t:
            self.assertEqual(t.fingerprint, TOK.fingerprint)
        with self.assertRaises(tct.TokenizerError) as cm:
            t.encode("on: push")
        self.assertIn("closed", str(cm.exception))
        with self.assertRaises(tct.TokenizerError) as cm:
            tct.Tokenizer.load(os.path.join(ROOT, "no-such-tokenizer.json"))
        self.assertIn("no-such-tokenizer.json", str(cm.exception))


class TestCorpus(unittest.TestCase):
    """The same ids and bytes as Go, on every document of the corpus."""

    def test_documents(self):
        """Every document: ids from YAML (on threads) and from JSON, JSON bytes
        back; the YAML rendering of every fourth."""
        docs = good_docs()
        self.assertGreater(len(docs), 0)
        bad = []
        from_yaml = TOK.encode_batch([d["content"] for d in docs], "yaml", num_threads=min(8, os.cpu_count() or 1))
        for i, (d, ids) in enumerate(zip(docs, from_yaml)):
            if ids != d["ids"]:
                bad.append((d["source"], "encode yaml"))
            if TOK.encode(d["json"], "json") != d["ids"]:
                bad.append((d["source"], "encode json"))
            if TOK.decode_bytes(d["ids"], "json") != d["json"].encode():
                bad.append((d["source"], "decode json"))
            if i % 4 == 0 and TOK.decode(d["ids"], "yaml") != d["yaml"]:
                bad.append((d["source"], "decode yaml"))
        self.assertEqual(bad, [], f"{len(bad)} differences, first: {bad[:5]}")
        print(f"\n  {len(docs)} documents of {', '.join(REF.inputs)}: same ids and bytes as Go", file=sys.stderr)

    def test_rejected_yaml(self):
        """Documents whose YAML does not convert raise the converter's message."""
        rejected = [d for d in REF.docs if "convert_error" in d]
        for d in rejected:
            with self.assertRaises(tct.TokenizerError, msg=d["source"]) as cm:
                TOK.encode(d["content"], "yaml")
            self.assertEqual(str(cm.exception), d["convert_error"])


class TestErrors(unittest.TestCase):
    BAD = [
        {"text": "on: push\njobs: [unclosed", "format": "yaml"},
        {"text": "a: 1\n---\nb: 2\n", "format": "yaml"},
        {"text": '{"on": "push", "jobs":', "format": "json"},
        {"text": "", "format": "yaml"},
    ]

    def test_bad_documents(self):
        want = REF.query(self.BAD)
        for req, ans in zip(self.BAD, want):
            self.assertIn("error", ans, req)
            with self.assertRaises(tct.TokenizerError) as cm:
                TOK.encode(req["text"], req["format"])
            self.assertEqual(str(cm.exception), ans["error"])
        d = good_docs()[-1]  # the encoders that failed encode the next document right
        self.assertEqual(TOK.encode_batch([d["content"]] * 4, "yaml", num_threads=4), [d["ids"]] * 4)

    def test_bad_ids(self):
        with self.assertRaises(tct.TokenizerError) as cm:
            TOK.decode([TOK.vocab_size + 5])
        self.assertIn("not a content id", str(cm.exception))
        ids = good_docs()[0]["ids"]
        with self.assertRaises(tct.TokenizerError) as cm:
            TOK.decode(ids[:-1])
        self.assertIn("ends before the document is complete", str(cm.exception))
        with self.assertRaises(tct.TokenizerError) as cm:
            TOK.decode(ids + [ids[0]])
        self.assertIn("surplus", str(cm.exception))
        self.assertEqual(TOK.decode(ids + [ids[0]], strict=False), TOK.decode(ids))
        with self.assertRaises(tct.TokenizerError):
            TOK.windows(ids, 0)
        with self.assertRaises(ValueError):
            TOK.encode("on: push", "toml")


    def test_bad_handle(self):
        """A handle that is no tokenizer (a Go panic inside) is an error, not a crash."""
        import ctypes
        lib = TOK._lib
        p, n = ctypes.POINTER(ctypes.c_int32)(), ctypes.c_size_t()
        for h in (0, 987654321):
            with self.assertRaises(tct.TokenizerError) as cm:
                tct._check(lib, lib.tct_encode(h, b"on: push", 8, 1, ctypes.byref(p), ctypes.byref(n)))
            self.assertTrue("handle" in str(cm.exception) or "internal error" in str(cm.exception), str(cm.exception))
        self.assertEqual(TOK.encode("on: push"), TOK.encode('{"on":"push"}', "json"))


class TestAllowed(unittest.TestCase):
    def test_against_go(self):
        rng = random.Random(1)
        docs = good_docs()
        reqs, nexts = [], []
        for d in rng.sample(docs, min(12, len(docs))):
            ids = d["ids"]
            for k in sorted({0, len(ids), *(rng.randrange(len(ids)) for _ in range(6))}):
                reqs.append({"prefix": ids[:k]})
                nexts.append(ids[k] if k < len(ids) else None)
        reqs.append({"prefix": [0, 0, 0, 0]})
        nexts.append(None)
        want = REF.query(reqs)
        for req, nxt, ans in zip(reqs, nexts, want):
            if "error" in ans:
                with self.assertRaises(tct.TokenizerError) as cm:
                    TOK.allowed(req["prefix"])
                self.assertEqual(str(cm.exception), ans["error"])
                continue
            mask = TOK.allowed(req["prefix"])
            self.assertEqual(len(mask), (TOK.vocab_size + 7) // 8)
            got = tct.mask_ids(mask)
            self.assertEqual(got, set(ans.get("allowed", [])), f"prefix of {len(req['prefix'])} ids")
            if nxt is not None:
                self.assertIn(nxt, got)
            else:
                self.assertEqual(got, set())
        self.assertTrue(any("error" in a for a in want))
        print(f"\n  allowed after {len(reqs)} prefixes: same ids as Go", file=sys.stderr)


class TestWindows(unittest.TestCase):
    def test_windows(self):
        for d in good_docs()[:20]:
            ids = d["ids"]
            for ctx, stride in ((64, 0), (64, 32), (1024, 0)):
                wins = TOK.windows(ids, ctx, stride, detail=True)
                covered = set()
                for w, start, valid in wins:
                    self.assertEqual(len(w), ctx + 1)
                    self.assertEqual(w[0], TOK.position_id(start))
                    self.assertEqual(w[1:valid], ids[start:start + valid - 1])
                    self.assertTrue(all(x == TOK.pad_id for x in w[valid:]))
                    covered.update(range(start, start + valid - 1))
                self.assertEqual(covered, set(range(len(ids))))
                self.assertEqual([w for w, _, _ in wins], TOK.windows(ids, ctx, stride))


class TestThreads(unittest.TestCase):
    def test_concurrent_encodes(self):
        docs = good_docs()[:400]
        texts = [d["content"] for d in docs] * 2
        want = [d["ids"] for d in docs] * 2
        self.assertEqual(TOK.encode_batch(texts, "yaml", num_threads=8), want)
        errors = []

        def worker(k):
            for i in range(k, len(texts), 4):
                if TOK.encode(texts[i]) != want[i] or TOK.decode(want[i], "json") != docs[i % len(docs)]["json"]:
                    errors.append(i)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])


class TestNanochat(unittest.TestCase):
    def test_adapter(self):
        n = tct.NanochatTokenizer(TOK)
        self.assertEqual(n.get_vocab_size(), TOK.model_vocab)
        bos = n.get_bos_token_id()
        self.assertEqual(bos, TOK.position_id(0))
        self.assertEqual(n.encode_special("<|bos|>"), bos)
        docs = good_docs()[:20]
        texts = [d["content"] for d in docs]
        batch = n.encode(texts, prepend="<|bos|>", num_threads=4)
        self.assertEqual(batch, [[bos] + d["ids"] for d in docs])
        for d, ids in zip(docs, batch):
            self.assertEqual(n.decode(ids + [TOK.pad_id] * 3), d["yaml"])
        self.assertEqual(n(texts[0]), docs[0]["ids"])
        with ThreadPoolExecutor(4) as ex:
            self.assertEqual(list(ex.map(n.encode, texts)), [d["ids"] for d in docs])


if __name__ == "__main__":
    unittest.main(verbosity=2)
