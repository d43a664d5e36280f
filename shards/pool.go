package shards

import (
	"math/bits"
	"sync"
	"unsafe"
)

// bufferPool is an Arrow allocator that keeps the buffers of released
// records for the next row group, which needs the same sizes: reused
// buffers are warm, fresh heap memory must be zeroed, faulted in and
// collected. Buffers are pooled by power-of-two size class in sync.Pools
// shared by every loader, so a loader opened later starts warm and the GC
// reclaims what an idle process no longer needs. Buffers come back zeroed,
// as from calloc or make.
type bufferPool struct {
	classes [48]sync.Pool // of *[]byte with capacity 1<<class
}

// arrowBuffers is the pool of every loader.
var arrowBuffers = &bufferPool{}

const (
	poolMinClass = 12 // buffers under 4 KiB are left to the Go heap
	poolAlign    = 64 // Arrow's buffer alignment
)

// Allocate returns size zeroed bytes, a pooled buffer when its class has one.
func (p *bufferPool) Allocate(size int) []byte {
	k := bits.Len(uint(size - 1))
	if size <= 0 || k < poolMinClass || k >= len(p.classes) {
		return alignedBytes(size, size)
	}
	v, _ := p.classes[k].Get().(*[]byte)
	if v == nil {
		return alignedBytes(size, 1<<k)
	}
	b := (*v)[:cap(*v)]
	clear(b)
	return b[:size]
}

// Reallocate grows b to size, keeping its contents.
func (p *bufferPool) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		return b[:size]
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

// Free keeps b if it is one of the pool's (its capacity is its class).
func (p *bufferPool) Free(b []byte) {
	c := cap(b)
	k := bits.Len(uint(c - 1))
	if c <= 0 || c != 1<<k || k < poolMinClass || k >= len(p.classes) {
		return
	}
	b = b[:0]
	p.classes[k].Put(&b)
}

// alignedBytes is a zeroed slice of length size and capacity c whose start
// is 64-byte aligned.
func alignedBytes(size, c int) []byte {
	buf := make([]byte, c+poolAlign)
	shift := int(-uintptr(unsafe.Pointer(unsafe.SliceData(buf))) & (poolAlign - 1))
	return buf[shift : shift+size : shift+c]
}
