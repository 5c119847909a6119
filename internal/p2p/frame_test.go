package p2p

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
)

func header(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

// Frames of several channels and sizes, written back to back, read back in
// order with their payloads intact, and then a clean io.EOF.
func TestReadFrameRoundTrip(t *testing.T) {
	cases := []struct {
		ch   Channel
		size int
	}{
		{ChanConsensus, 0},
		{ChanTxs, 1},
		{ChanSync, 100},
		{0, 4095},       // around bufio's default buffer
		{255, 4096 + 1}, // spans a buffer refill
		{ChanTxs, 64 << 10},
		{ChanConsensus, 1 << 20},
		{ChanSync, MaxFrame}, // the largest legal frame
	}
	var stream []byte
	for _, c := range cases {
		f := encodeFrame(c.ch, pattern(c.size))
		if got := binary.BigEndian.Uint32(f); got != uint32(c.size+1) {
			t.Fatalf("encodeFrame length %d, want %d", got, c.size+1)
		}
		stream = append(stream, f...)
	}
	r := bufio.NewReader(bytes.NewReader(stream))
	var payloads [][]byte
	for _, c := range cases {
		ch, p, err := readFrame(r)
		if err != nil {
			t.Fatalf("frame ch %d size %d: %v", c.ch, c.size, err)
		}
		if ch != c.ch || len(p) != c.size {
			t.Fatalf("got ch %d size %d, want ch %d size %d", ch, len(p), c.ch, c.size)
		}
		payloads = append(payloads, p)
	}
	if _, _, err := readFrame(r); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
	// Payloads are independent copies: checking them only now proves later
	// reads did not overwrite earlier ones.
	for i, c := range cases {
		if !bytes.Equal(payloads[i], pattern(c.size)) {
			t.Fatalf("payload %d (ch %d size %d) corrupted", i, c.ch, c.size)
		}
	}
}

func TestReadFrameErrors(t *testing.T) {
	cases := []struct {
		name    string
		in      []byte
		want    error // matched with errors.Is; nil means any error
		tooBig  bool  // must be ErrFrameTooLarge
		notBig  bool  // must not be ErrFrameTooLarge
		wantEOF bool  // clean end of stream
	}{
		{name: "empty stream", in: nil, wantEOF: true},
		{name: "partial header", in: []byte{0, 0, 1}, want: io.ErrUnexpectedEOF},
		{name: "zero length", in: header(0)},
		{name: "zero length with bytes after", in: append(header(0), 1, 2, 3)},
		{name: "length MaxFrame+2", in: append(header(MaxFrame+2), 1), tooBig: true},
		{name: "length 2^32-1", in: header(1<<32 - 1), tooBig: true},
		{name: "length 1<<31", in: header(1 << 31), tooBig: true},
		{name: "header only", in: header(1), notBig: true},
		{name: "truncated body", in: append(header(10), 1, 2, 3), want: io.ErrUnexpectedEOF, notBig: true},
		{name: "truncated by one", in: encodeFrame(ChanTxs, pattern(300))[:4+300], want: io.ErrUnexpectedEOF, notBig: true},
		{name: "max frame, no body", in: header(MaxFrame + 1), notBig: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readFrame(bufio.NewReader(bytes.NewReader(c.in)))
			switch {
			case c.wantEOF:
				if err != io.EOF {
					t.Fatalf("err %v, want io.EOF", err)
				}
				return
			case err == nil:
				t.Fatal("accepted")
			case err == io.EOF:
				t.Fatal("bare io.EOF (a clean end of stream) for a malformed one")
			case c.want != nil && !errors.Is(err, c.want):
				t.Fatalf("err %v, want %v", err, c.want)
			case c.tooBig && !errors.Is(err, ErrFrameTooLarge):
				t.Fatalf("err %v, want ErrFrameTooLarge", err)
			case c.notBig && errors.Is(err, ErrFrameTooLarge):
				t.Fatalf("err %v is ErrFrameTooLarge for a legal length", err)
			}
		})
	}
}

// hugeHeader yields a length header and then EOF, like a peer that
// announces a giant frame and sends nothing more.
type hugeHeader struct {
	hdr []byte
	off int
}

func (h *hugeHeader) Read(p []byte) (int, error) {
	if h.off >= len(h.hdr) {
		return 0, io.EOF
	}
	n := copy(p, h.hdr[h.off:])
	h.off += n
	return n, nil
}

// An over-long announcement is refused before the body is allocated.
func TestReadFrameTooLargeDoesNotAllocate(t *testing.T) {
	for _, n := range []uint32{MaxFrame + 2, 1 << 30, 1<<32 - 1} {
		r := bufio.NewReaderSize(&hugeHeader{hdr: header(n)}, 16)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, _, err := readFrame(r)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("length %d: err %v, want ErrFrameTooLarge", n, err)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
			t.Fatalf("length %d: allocated %d bytes before rejecting", n, d)
		}
	}
}

// A legal announcement of the largest frame, followed by nothing, holds a
// step of memory, not the frame: a peer must send bytes to make the node
// hold them.
func TestReadFrameAnnouncedOnlyAllocatesAStep(t *testing.T) {
	r := bufio.NewReaderSize(&hugeHeader{hdr: header(MaxFrame + 1)}, 16)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := readFrame(r)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("a frame with no body read without error")
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 2*frameStep {
		t.Fatalf("allocated %d bytes for a frame announced but not sent", d)
	}
}

// Frames around the first step's size read back whole.
func TestReadFrameAcrossTheStep(t *testing.T) {
	for _, n := range []int{frameStep - 2, frameStep - 1, frameStep, frameStep + 1, 3 * frameStep} {
		frame := encodeFrame(ChanSync, pattern(n))
		ch, payload, err := readFrame(bufio.NewReader(bytes.NewReader(frame)))
		if err != nil || ch != ChanSync || !bytes.Equal(payload, pattern(n)) {
			t.Fatalf("payload of %d: ch %d, %d bytes, %v", n, ch, len(payload), err)
		}
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{})
	f.Add(encodeFrame(ChanConsensus, []byte("hello")))
	f.Add(append(encodeFrame(ChanTxs, nil), encodeFrame(ChanSync, pattern(40))...))
	f.Add(header(0))
	f.Add(header(MaxFrame + 2))
	f.Add(append(header(3), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := bytes.NewReader(data)
		r := bufio.NewReader(src)
		consumed := func() int { return len(data) - src.Len() - r.Buffered() }
		for {
			start := consumed()
			ch, payload, err := readFrame(r)
			if err != nil {
				if err == io.EOF && start != len(data) {
					t.Fatalf("io.EOF with %d bytes unread", len(data)-start)
				}
				return
			}
			end := consumed()
			if got := encodeFrame(ch, payload); !bytes.Equal(got, data[start:end]) {
				t.Fatalf("frame at %d re-encodes to %x, consumed %x", start, got, data[start:end])
			}
		}
	})
}
