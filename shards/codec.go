package shards

import (
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// zstdCodec is parquet's ZSTD codec with one shared encoder whose window
// fits a page (1 MiB), instead of a pool of encoders with 8 MiB windows:
// the same format, a fraction of the memory.
type zstdCodec struct {
	once sync.Once
	enc  *zstd.Encoder
	dec  *zstd.Decoder
}

var pageCodec = &zstdCodec{}

func (c *zstdCodec) init() {
	c.once.Do(func() {
		c.enc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(1<<20), zstd.WithLowerEncoderMem(true))
		c.dec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	})
}

func (c *zstdCodec) String() string { return "ZSTD" }

func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

// Encode and Decode use EncodeAll/DecodeAll, which are safe for concurrent use.
func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	c.init()
	return c.enc.EncodeAll(src, dst[:0]), nil
}

func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	c.init()
	return c.dec.DecodeAll(src, dst[:0])
}
