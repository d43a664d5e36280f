"""The tct tokenizer from Python: a ctypes adapter over libtct.

Build the library with `make python` (it lands beside this file as
libtct.so and libtct.h), then:

    import tct
    tok = tct.Tokenizer.load()                  # the embedded default
    ids = tok.encode(open("ci.yml").read())     # YAML, converted as the pipeline does
    text = tok.decode(ids)                      # YAML again (format="json": canonical JSON)
    mask = tok.allowed(ids[:10])                # bitmask of the ids the grammar allows next

Standard library only. A Tokenizer is safe to share between threads: the
library releases the GIL during each call, so encodes run in parallel.
Errors of the tokenizer (bad YAML, ids that do not fit the grammar...)
raise TokenizerError with the tokenizer's message.

Set TCT_LIB to load the library from another path.
"""

import array
import ctypes
import os
import sys
from concurrent.futures import ThreadPoolExecutor

__all__ = ["Tokenizer", "TokenizerError", "NanochatTokenizer", "Layout"]

_FORMATS = {"json": 0, "yaml": 1}

_i32p = ctypes.POINTER(ctypes.c_int32)
_u8p = ctypes.POINTER(ctypes.c_uint8)
_size = ctypes.c_size_t
_handle = ctypes.c_size_t  # uintptr_t


class TokenizerError(Exception):
    """An error of the tokenizer; str(e) is its message."""


def _lib_path():
    env = os.environ.get("TCT_LIB")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("libtct.so", "libtct.dylib", "libtct.dll"):
        p = os.path.join(here, name)
        if os.path.exists(p):
            return p
    raise TokenizerError(f"libtct not found in {here}: run `make python` (or set TCT_LIB)")


_lib = None


def _library():
    """Loads libtct once and declares its functions."""
    global _lib
    if _lib is not None:
        return _lib
    lib = ctypes.CDLL(_lib_path())  # CDLL: the GIL is released during calls
    err = ctypes.c_void_p  # an error message to free, or NULL
    sig = {
        "tct_load": [ctypes.c_char_p, _size, ctypes.POINTER(_handle)],
        "tct_close": [_handle],
        "tct_layout": [_handle, ctypes.POINTER(ctypes.c_int64)],
        "tct_fingerprint": [_handle, ctypes.POINTER(ctypes.c_void_p)],
        "tct_encode": [_handle, ctypes.c_char_p, _size, ctypes.c_int, ctypes.POINTER(_i32p), ctypes.POINTER(_size)],
        "tct_decode": [_handle, _i32p, _size, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p),
                       ctypes.POINTER(_size), ctypes.POINTER(_size)],
        "tct_windows": [_handle, _i32p, _size, ctypes.c_int, ctypes.c_int, ctypes.POINTER(_i32p),
                        ctypes.POINTER(_i32p), ctypes.POINTER(_i32p), ctypes.POINTER(_size)],
        "tct_allowed": [_handle, _i32p, _size, ctypes.POINTER(_u8p), ctypes.POINTER(_size)],
    }
    for name, args in sig.items():
        f = getattr(lib, name)
        f.argtypes, f.restype = args, err
    lib.tct_free.argtypes, lib.tct_free.restype = [ctypes.c_void_p], None
    _lib = lib
    return lib


def _check(lib, msg):
    """Raises TokenizerError for a non-NULL message, which it frees."""
    if msg:
        try:
            text = ctypes.string_at(msg).decode("utf-8", "replace")
        finally:
            lib.tct_free(msg)
        raise TokenizerError(text)


_INT32 = "i" if array.array("i").itemsize == 4 else "l"


def _take_ints(lib, p, n):
    """Copies n int32 from a library buffer into a list and frees it."""
    try:
        a = array.array(_INT32)
        a.frombytes(ctypes.string_at(p, 4 * n))
        return a.tolist()
    finally:
        lib.tct_free(p)


def _int_array(ids):
    """(pointer, length, keep-alive) of ids as a C int32 array."""
    a = ids if isinstance(ids, array.array) and ids.typecode == _INT32 else array.array(_INT32, ids)
    return ctypes.cast(a.buffer_info()[0], _i32p), len(a), a


def _format(format):
    try:
        return _FORMATS[format]
    except KeyError:
        raise ValueError(f"format {format!r}: want 'yaml' or 'json'") from None


class Layout:
    """The model vocabulary: content ids [0, content), then PAD, then the
    position tokens position_base + p for p in [0, position_count)."""

    __slots__ = ("content", "pad", "position_base", "position_count", "model_vocab")

    def __init__(self, content, pad, position_base, position_count, model_vocab):
        self.content, self.pad, self.position_base = content, pad, position_base
        self.position_count, self.model_vocab = position_count, model_vocab

    def __repr__(self):
        return (f"Layout(content={self.content}, pad={self.pad}, position_base={self.position_base}, "
                f"position_count={self.position_count}, model_vocab={self.model_vocab})")


class Tokenizer:
    """A loaded tct tokenizer (a handle into libtct)."""

    def __init__(self, handle, lib):
        self._h, self._lib = handle, lib
        raw = (ctypes.c_int64 * 5)()
        _check(lib, lib.tct_layout(handle, raw))
        self.layout = Layout(*raw)
        fp = ctypes.c_void_p()
        _check(lib, lib.tct_fingerprint(handle, ctypes.byref(fp)))
        try:
            self.fingerprint = ctypes.string_at(fp).decode()
        finally:
            lib.tct_free(fp)

    @classmethod
    def load(cls, path=None):
        """Loads a tokenizer file, or the default embedded in the library."""
        lib = _library()
        b = os.fsencode(path) if path else b""
        h = _handle()
        _check(lib, lib.tct_load(b, len(b), ctypes.byref(h)))
        return cls(h.value, lib)

    def close(self):
        """Releases the handle (also done when the object is collected)."""
        if self._h:
            h, self._h = self._h, 0
            _check(self._lib, self._lib.tct_close(h))

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def vocab_size(self):
        """Content ids: what encode returns and decode takes."""
        return self.layout.content

    @property
    def model_vocab(self):
        """The model's vocabulary: content ids, PAD and positions, rounded up."""
        return self.layout.model_vocab

    @property
    def pad_id(self):
        return self.layout.pad

    def position_id(self, start):
        """The position token that opens a window starting at token start
        (clamped to the last position, as the pipeline does)."""
        return self.layout.position_base + min(max(start, 0), self.layout.position_count - 1)

    def _handle(self):
        if not self._h:
            raise TokenizerError("the tokenizer is closed")
        return self._h

    def encode(self, text, format="yaml"):
        """Content ids of one document (str or bytes), YAML or canonical JSON."""
        f = _format(format)
        b = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else bytes(text)
        p, n = _i32p(), _size()
        _check(self._lib, self._lib.tct_encode(self._handle(), b, len(b), f, ctypes.byref(p), ctypes.byref(n)))
        return _take_ints(self._lib, p, n.value)

    def encode_batch(self, texts, format="yaml", num_threads=8):
        """encode over a list of documents, num_threads at a time."""
        if num_threads <= 1 or len(texts) <= 1:
            return [self.encode(t, format) for t in texts]
        with ThreadPoolExecutor(max_workers=num_threads) as ex:
            return list(ex.map(lambda t: self.encode(t, format), texts))

    def decode_bytes(self, ids, format="yaml", strict=True):
        """The document of content ids as bytes: canonical JSON (no trailing
        newline) or YAML. With strict, ids left after the document are an error."""
        f = _format(format)
        arr, n, _keep = _int_array(ids)
        p, ln, used = ctypes.c_void_p(), _size(), _size()
        _check(self._lib, self._lib.tct_decode(self._handle(), arr, n, f, ctypes.byref(p), ctypes.byref(ln),
                                               ctypes.byref(used)))
        try:
            out = ctypes.string_at(p, ln.value)
        finally:
            self._lib.tct_free(p)
        if strict and used.value < n:
            raise TokenizerError(f"{n - used.value} surplus ids after the document (it ends after {used.value})")
        return out

    def decode(self, ids, format="yaml", strict=True):
        """decode_bytes as str."""
        return self.decode_bytes(ids, format, strict).decode("utf-8", "surrogateescape")

    def windows(self, ids, context, stride=0, detail=False):
        """The training windows of a document's ids as the pipeline cuts them:
        lists of context+1 ids, [position, ids..., PAD...]. With detail, a list
        of (window, start, valid) where valid counts the non-PAD ids."""
        arr, n, _keep = _int_array(ids)
        w, s, v, count = _i32p(), _i32p(), _i32p(), _size()
        _check(self._lib, self._lib.tct_windows(self._handle(), arr, n, context, stride, ctypes.byref(w),
                                                ctypes.byref(s), ctypes.byref(v), ctypes.byref(count)))
        c = count.value
        flat, starts, valid = _take_ints(self._lib, w, c * (context + 1)), _take_ints(self._lib, s, c), \
            _take_ints(self._lib, v, c)
        wins = [flat[i * (context + 1):(i + 1) * (context + 1)] for i in range(c)]
        return list(zip(wins, starts, valid)) if detail else wins

    def allowed(self, prefix_ids, as_set=False):
        """The content ids the grammar allows after prefix_ids (content ids,
        no position token): a bytes mask, id i allowed when bit i%8 of byte
        i//8 is set, or with as_set a set of ids. Empty once the document is
        complete."""
        arr, n, _keep = _int_array(prefix_ids)
        p, ln = _u8p(), _size()
        _check(self._lib, self._lib.tct_allowed(self._handle(), arr, n, ctypes.byref(p), ctypes.byref(ln)))
        try:
            mask = ctypes.string_at(p, ln.value)
        finally:
            self._lib.tct_free(p)
        return mask_ids(mask) if as_set else mask

    def allowed_ids(self, prefix_ids):
        """allowed as a set of ids."""
        return self.allowed(prefix_ids, as_set=True)


def mask_ids(mask):
    """The set of ids of a bytes mask from Tokenizer.allowed."""
    out = set()
    for i, b in enumerate(mask):
        while b:
            low = b & -b
            out.add(i * 8 + low.bit_length() - 1)
            b ^= low
    return out


class NanochatTokenizer:
    """The tokenizer with the interface of nanochat's tokenizers (encode,
    decode, get_vocab_size, get_bos_token_id, batch encode), over the model
    vocabulary. BOS is the position token of a document's first window
    (position 0), as training windows begin with it."""

    def __init__(self, tokenizer=None, format="yaml"):
        self.tok = tokenizer or Tokenizer.load()
        self.format = format

    @classmethod
    def load(cls, path=None, format="yaml"):
        return cls(Tokenizer.load(path), format)

    def get_vocab_size(self):
        return self.tok.model_vocab

    def get_bos_token_id(self):
        return self.tok.position_id(0)

    def get_special_tokens(self):
        return {"<|pad|>", "<|bos|>"}

    def encode_special(self, text):
        specials = {"<|pad|>": self.tok.pad_id, "<|bos|>": self.get_bos_token_id()}
        if text not in specials:
            raise TokenizerError(f"unknown special token {text!r}")
        return specials[text]

    def id_to_token(self, id):
        if id == self.tok.pad_id:
            return "<|pad|>"
        if id >= self.tok.layout.position_base:
            return f"<|pos{id - self.tok.layout.position_base}|>"
        return f"<|{id}|>"  # a content id means something only in context

    def encode(self, text, prepend=None, append=None, num_threads=8):
        """Ids of a document, or of each of a list of documents (encoded on
        num_threads threads); prepend/append: an id or a special's name."""
        pre = self._special(prepend)
        post = self._special(append)
        if isinstance(text, (str, bytes)):
            return self._wrap(self.tok.encode(text, self.format), pre, post)
        if isinstance(text, list):
            return [self._wrap(ids, pre, post) for ids in self.tok.encode_batch(text, self.format, num_threads)]
        raise TypeError(f"encode: want str or list, got {type(text).__name__}")

    __call__ = encode

    def decode(self, ids):
        """The document of ids; a leading position token and trailing PAD are
        dropped, and so is anything after the end of the document."""
        ids = list(ids)
        if ids and ids[0] >= self.tok.layout.position_base:
            ids = ids[1:]
        while ids and ids[-1] == self.tok.pad_id:
            ids.pop()
        return self.tok.decode(ids, self.format, strict=False)

    def _special(self, s):
        if s is None or isinstance(s, int):
            return s
        return self.encode_special(s)

    @staticmethod
    def _wrap(ids, pre, post):
        if pre is not None:
            ids.insert(0, pre)
        if post is not None:
            ids.append(post)
        return ids


if __name__ == "__main__":
    t = Tokenizer.load(sys.argv[1] if len(sys.argv) > 1 else None)
    print(t.fingerprint, t.layout)
