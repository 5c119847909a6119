package merkle

import (
	"errors"
	"fmt"
	"io"
)

// MaxChunk bounds a chunk's size; the default is DefaultChunk.
const (
	DefaultChunk = 1 << 20
	MaxChunk     = 16 << 20
)

// Chunked is what Split learnt about a stream.
type Chunked struct {
	Root   Hash
	Leaves []Hash // one per chunk: 32 bytes per MiB, so 64 KiB for 2 GiB
	Size   int64
}

// Split reads r to the end in chunks of size bytes (the last may be
// shorter), calls fn with each (the buffer is reused: fn must copy what
// it keeps), and returns the root. Only one chunk is in memory at a time.
func Split(r io.Reader, size int, fn func(i uint64, chunk []byte) error) (Chunked, error) {
	if size <= 0 || size > MaxChunk {
		return Chunked{}, fmt.Errorf("merkle: chunk size %d outside 1..%d", size, MaxChunk)
	}
	buf := make([]byte, size)
	var out Chunked
	for i := uint64(0); ; i++ {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			out.Leaves = append(out.Leaves, LeafHash(buf[:n]))
			out.Size += int64(n)
			if fn != nil {
				if ferr := fn(i, buf[:n]); ferr != nil {
					return out, ferr
				}
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return out, fmt.Errorf("merkle: read chunk %d: %w", i, err)
		}
	}
	out.Root = Root(out.Leaves)
	return out, nil
}
