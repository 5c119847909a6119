package p2p

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Channel tags what a frame carries; the node routes on it.
type Channel uint8

const (
	ChanConsensus Channel = 1 // a types.Message
	ChanTxs       Channel = 2 // a batch of transactions
	ChanSync      Channel = 3 // block sync requests and answers
	ChanAttest    Channel = 4 // digests of transaction batches whose signatures the sender checked
	ChanBlob      Channel = 5 // off-chain store: manifest and chunk requests and answers
	ChanIDAO      Channel = 6 // iDAO committee votes
)

// MaxFrame bounds one frame's payload. A peer that announces more is
// disconnected before anything is allocated.
const MaxFrame = 17 << 20

// ErrFrameTooLarge reports a frame whose announced length exceeds MaxFrame.
var ErrFrameTooLarge = errors.New("p2p: frame too large")

// A frame is a 4-byte big-endian length, then the channel byte and the
// payload; the length counts the channel byte.
const headerSize = 4

// encodeFrame returns the wire bytes of one frame.
func encodeFrame(ch Channel, payload []byte) []byte {
	out := make([]byte, headerSize+1+len(payload))
	binary.BigEndian.PutUint32(out, uint32(1+len(payload)))
	out[headerSize] = byte(ch)
	copy(out[headerSize+1:], payload)
	return out
}

// readFrame reads one frame. The returned payload is freshly allocated.
func readFrame(r *bufio.Reader) (Channel, []byte, error) {
	var hdr [headerSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 {
		return 0, nil, fmt.Errorf("empty frame: %w", ErrFrameTooLarge)
	}
	if n > MaxFrame+1 {
		return 0, nil, fmt.Errorf("frame of %d bytes, limit %d: %w", n, MaxFrame, ErrFrameTooLarge)
	}
	// A large frame's buffer grows with what has arrived, doubling from
	// one step: a peer that announces 17 MiB and then stalls holds about
	// twice what it sent (allocated whole after the first step, 256 KiB
	// held 17 MiB, with no time limit), and a real block costs a few
	// copies of its smaller steps.
	buf := make([]byte, 0, min(int(n), frameStep))
	for have := 0; have < int(n); have = len(buf) {
		k := min(int(n), max(frameStep, 2*have))
		buf = slices.Grow(buf, k-have)[:k]
		if _, err := io.ReadFull(r, buf[have:]); err != nil {
			return 0, nil, fmt.Errorf("read frame body: %w", err)
		}
	}
	return Channel(buf[0]), buf[1:], nil
}

// frameStep is the first allocation for a large frame's body.
const frameStep = 256 << 10
