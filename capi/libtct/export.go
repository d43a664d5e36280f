//go:build cgo

package main

/*
#include <stdint.h>
#include <stdlib.h>
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"unsafe"

	"github.com/tct-dev/tct/capi"
)

// call runs f with panics recovered and returns its error as a C string.
func call(f func() error) *C.char {
	if err := capi.Safe(f); err != nil {
		return C.CString(err.Error())
	}
	return nil
}

// tokenizerOf resolves a handle from tct_load.
func tokenizerOf(h C.uintptr_t) (*capi.Tokenizer, error) {
	if h == 0 {
		return nil, fmt.Errorf("tct: no tokenizer (handle 0)")
	}
	t, ok := cgo.Handle(h).Value().(*capi.Tokenizer)
	if !ok {
		return nil, fmt.Errorf("tct: handle %d is not a tokenizer", uintptr(h))
	}
	return t, nil
}

// cInt32s copies ids into a malloc'ed array (never NULL).
func cInt32s(ids []int32) *C.int32_t {
	p := (*C.int32_t)(C.malloc(C.size_t(max(len(ids), 1) * 4)))
	copy(unsafe.Slice((*int32)(unsafe.Pointer(p)), len(ids)), ids)
	return p
}

// goInt32s views a C array of n ids (valid during the call only).
func goInt32s(p *C.int32_t, n C.size_t) []int32 {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(p)), int(n))
}

// cBytes copies b into a malloc'ed buffer (never NULL).
func cBytes(b []byte) unsafe.Pointer {
	p := C.malloc(C.size_t(max(len(b), 1)))
	copy(unsafe.Slice((*byte)(p), len(b)), b)
	return p
}

// tct_load loads the tokenizer file path (path_len bytes), or the embedded
// default when path_len is 0, and stores its handle in *out.
//
//export tct_load
func tct_load(path *C.char, pathLen C.size_t, out *C.uintptr_t) *C.char {
	return call(func() error {
		name := ""
		if pathLen > 0 {
			name = C.GoStringN(path, C.int(pathLen))
		}
		t, err := capi.Load(name)
		if err != nil {
			return err
		}
		*out = C.uintptr_t(cgo.NewHandle(t))
		return nil
	})
}

// tct_close releases a tokenizer handle; the handle is invalid afterwards.
//
//export tct_close
func tct_close(h C.uintptr_t) *C.char {
	return call(func() error {
		if _, err := tokenizerOf(h); err != nil {
			return err
		}
		cgo.Handle(h).Delete()
		return nil
	})
}

// tct_free frees a message or buffer handed out by a tct_* function.
//
//export tct_free
func tct_free(p unsafe.Pointer) { C.free(p) }

// tct_layout writes content size, PAD, position base, position count and
// model vocabulary into out[0..4].
//
//export tct_layout
func tct_layout(h C.uintptr_t, out *C.int64_t) *C.char {
	return call(func() error {
		t, err := tokenizerOf(h)
		if err != nil {
			return err
		}
		l := t.Layout()
		copy(unsafe.Slice((*int64)(unsafe.Pointer(out)), 5), []int64{int64(l.Content), int64(l.PAD),
			int64(l.PositionBase), int64(l.PositionCount), int64(l.ModelVocab)})
		return nil
	})
}

// tct_fingerprint hands out the sha256 of the tokenizer file (NUL-terminated).
//
//export tct_fingerprint
func tct_fingerprint(h C.uintptr_t, out **C.char) *C.char {
	return call(func() error {
		t, err := tokenizerOf(h)
		if err != nil {
			return err
		}
		*out = C.CString(t.Tok.Fingerprint)
		return nil
	})
}

// tct_encode encodes one document of text_len bytes (format 0: canonical
// JSON, 1: YAML) and hands out its *n content ids in *ids.
//
//export tct_encode
func tct_encode(h C.uintptr_t, text *C.char, textLen C.size_t, format C.int, ids **C.int32_t, n *C.size_t) *C.char {
	return call(func() error {
		t, err := tokenizerOf(h)
		if err != nil {
			return err
		}
		doc := C.GoBytes(unsafe.Pointer(text), C.int(textLen))
		out, err := t.Encode(doc, capi.Format(format))
		if err != nil {
			return err
		}
		*ids, *n = cInt32s(out), C.size_t(len(out))
		return nil
	})
}

// tct_decode decodes n content ids to a document (format 0: canonical JSON,
// 1: YAML), handed out in *text (*text_len bytes, NUL-terminated); *consumed
// is the number of ids the document took (less than n: surplus ids).
//
//export tct_decode
func tct_decode(h C.uintptr_t, ids *C.int32_t, n C.size_t, format C.int, text **C.char, textLen, consumed *C.size_t) *C.char {
	return call(func() error {
		t, err := tokenizerOf(h)
		if err != nil {
			return err
		}
		doc, used, err := t.Decode(goInt32s(ids, n), capi.Format(format))
		if err != nil {
			return err
		}
		*text = (*C.char)(cBytes(append(doc, 0)))
		*textLen, *consumed = C.size_t(len(doc)), C.size_t(used)
		return nil
	})
}

// tct_windows cuts n ids into the pipeline's windows of context ctx+1 ids
// (stride <= 0: ctx): *count windows, flattened in *windows, with their
// starts and valid lengths in *starts and *valid.
//
//export tct_windows
func tct_windows(h C.uintptr_t, ids *C.int32_t, n C.size_t, ctx, stride C.int, windows, starts, valid **C.int32_t, count *C.size_t) *C.char {
	return call(func() error {
		t, err := tokenizerOf(h)
		if err != nil {
			return err
		}
		w, s, v, err := t.Windows(goInt32s(ids, n), int(ctx), int(stride))
		if err != nil {
			return err
		}
		*windows, *starts, *valid, *count = cInt32s(w), cInt32s(s), cInt32s(v), C.size_t(len(s))
		return nil
	})
}

// tct_allowed hands out the bitmask of content ids allowed after the n
// prefix ids: id i is allowed when bit i%8 of byte i/8 is set; *mask_len
// is (content size + 7) / 8.
//
//export tct_allowed
func tct_allowed(h C.uintptr_t, prefix *C.int32_t, n C.size_t, mask **C.uint8_t, maskLen *C.size_t) *C.char {
	return call(func() error {
		t, err := tokenizerOf(h)
		if err != nil {
			return err
		}
		m, err := t.Allowed(goInt32s(prefix, n))
		if err != nil {
			return err
		}
		*mask, *maskLen = (*C.uint8_t)(cBytes(m)), C.size_t(len(m))
		return nil
	})
}
