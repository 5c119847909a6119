package verify

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// hashChunk is how many tensor bytes are hashed between context checks.
const hashChunk = 1 << 20

func runModel(ctx context.Context, in Input) (Result, error) {
	if in.Format != "safetensors" {
		return Result{}, fmt.Errorf("%w: model/%s", ErrUnsupported, in.Format)
	}
	rc, err := in.Open()
	if err != nil {
		return Result{}, fmt.Errorf("verify model: open: %w", err)
	}
	defer rc.Close()
	m, err := ReadSafetensors(ctx, rc, in.Size)
	return verdict(func() [32]byte { return m.Digest() }, err)
}

// ReadSafetensors streams a safetensors file of size bytes from r: an
// 8-byte little-endian header length N, N bytes of JSON header, then the
// data area. It checks the header, checks that the tensors tile the data
// area exactly (no overlap, no hole, nothing past its end), and hashes each
// tensor in one pass in offset order. A file that fails a check gives a
// *Rejection naming the tensor or limit; a file whose bytes run out before
// size, or go on past it, is rejected too.
func ReadSafetensors(ctx context.Context, r io.Reader, size uint64) (*Safetensors, error) {
	if size < 8 {
		return nil, reject("file is %d bytes, too short for the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if err := readFull(r, lenBuf[:], "the header length"); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxSafetensorsHeader {
		return nil, reject("header length %d is more than the limit of %d", n, MaxSafetensorsHeader)
	}
	if n > size-8 {
		return nil, reject("header length %d runs past the end of the %d-byte file", n, size)
	}
	hdr := make([]byte, n)
	if err := readFull(r, hdr, "the header"); err != nil {
		return nil, err
	}
	dataLen := size - 8 - n
	tensors, meta, err := parseHeader(hdr, dataLen)
	if err != nil {
		return nil, err
	}
	byOffset := make([]*Tensor, len(tensors))
	for i := range tensors {
		byOffset[i] = &tensors[i]
	}
	slices.SortFunc(byOffset, func(a, b *Tensor) int {
		return cmp.Or(cmp.Compare(a.Begin, b.Begin), cmp.Compare(a.End, b.End), cmp.Compare(a.Name, b.Name))
	})
	if err := checkLayout(byOffset, dataLen); err != nil {
		return nil, err
	}
	if err := hashTensors(ctx, r, byOffset); err != nil {
		return nil, err
	}
	if err := checkEnd(r, size); err != nil {
		return nil, err
	}
	slices.SortFunc(tensors, func(a, b Tensor) int { return cmp.Compare(a.Name, b.Name) })
	return &Safetensors{HeaderLen: n, Tensors: tensors, Metadata: meta}, nil
}

// readFull reads len(p) bytes of a model file.
func readFull(r io.Reader, p []byte, what string) error {
	return readExact(r, p, "verify model", what, func() error { return reject("file ends inside %s (truncated)", what) })
}

// checkLayout checks that the tensors, sorted by offset, cover the data
// area end to end with neither overlap nor hole: every byte of the file
// then belongs to the header or to exactly one tensor, so no data can hide
// in a file the digest says is equal to another.
func checkLayout(byOffset []*Tensor, dataLen uint64) error {
	var pos uint64
	prev := ""
	for _, t := range byOffset {
		if t.Begin < pos {
			return reject("tensor %s: data_offsets [%d, %d] overlap tensor %s", quoteCell(t.Name), t.Begin, t.End, quoteCell(prev))
		}
		if t.Begin > pos {
			return reject("hole in the data area: bytes [%d, %d) before tensor %s belong to no tensor", pos, t.Begin, quoteCell(t.Name))
		}
		pos, prev = t.End, t.Name
	}
	if pos == dataLen {
		return nil
	}
	if len(byOffset) == 0 {
		return reject("data area of %d bytes holds no tensor", dataLen)
	}
	return reject("hole in the data area: bytes [%d, %d) after tensor %s belong to no tensor", pos, dataLen, quoteCell(prev))
}

// hashTensors reads the data area once, tensor after tensor, and stores
// each tensor's SHA-256. byOffset must have passed checkLayout, so the
// tensors are contiguous and the reader never skips or seeks.
func hashTensors(ctx context.Context, r io.Reader, byOffset []*Tensor) error {
	h := sha256.New()
	for _, t := range byOffset {
		h.Reset()
		for left := t.End - t.Begin; left > 0; {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("verify model: stopped in tensor %s: %w", quoteCell(t.Name), err)
			}
			step := min(left, hashChunk)
			_, err := io.CopyN(h, r, int64(step))
			if errors.Is(err, io.EOF) {
				return reject("tensor %s: file ends inside its data (truncated)", quoteCell(t.Name))
			}
			if err != nil {
				return fmt.Errorf("verify model: read tensor %s: %w", quoteCell(t.Name), err)
			}
			left -= step
		}
		h.Sum(t.Hash[:0])
	}
	return nil
}

// checkEnd refuses bytes past the declared size: they would be data that
// no digest covers.
func checkEnd(r io.Reader, size uint64) error {
	var one [1]byte
	_, err := io.ReadFull(r, one[:])
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("verify model: read past the data area: %w", err)
	}
	return reject("file is longer than its declared %d bytes", size)
}

// Digest is the model's canonical result digest: SHA-256 over
//
//	str("lazchain/verify/model/v1")
//	u64(#tensors), then per tensor sorted by name (bytewise):
//	    str(name) str(dtype) u64(#dims) u64(dim)... u64(begin) u64(end)
//	    and the 32-byte SHA-256 of the tensor's bytes
//	u64(#metadata), then per entry sorted by key (bytewise):
//	    str(key) str(value)
//
// with u64 8 bytes big-endian and str(s) = u64(len(s)) then the bytes of s
// (the same encoding as DatasetStats.Digest). Header whitespace and key
// order do not enter it: the index does.
func (m *Safetensors) Digest() [32]byte {
	e := newCanonEncoder()
	e.str("lazchain/verify/model/v1")
	e.u64(uint64(len(m.Tensors)))
	for _, t := range m.Tensors {
		e.str(t.Name)
		e.str(t.DType)
		e.u64(uint64(len(t.Shape)))
		for _, d := range t.Shape {
			e.u64(d)
		}
		e.u64(t.Begin)
		e.u64(t.End)
		e.raw(t.Hash[:])
	}
	keys := make([]string, 0, len(m.Metadata))
	for k := range m.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.u64(uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.str(m.Metadata[k])
	}
	return e.sum()
}
