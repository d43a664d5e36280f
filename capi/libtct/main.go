// Command libtct is the tokenizer as a C shared library, built with
//
//	go build -buildmode=c-shared -o python/libtct.so ./capi/libtct
//
// (`make python`); python/tct.py loads it with ctypes. Without cgo it
// builds as an empty program, so `CGO_ENABLED=0 go build ./...` still works.
//
// Conventions of every tct_* function: it returns NULL on success or an
// error message; a panic is recovered and returned as a message. Every
// message and buffer it hands out is malloc'ed and freed with tct_free; a
// tokenizer handle from tct_load is released with tct_close.
package main

func main() {}
