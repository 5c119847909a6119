package verify

import (
	"bytes"
	"errors"
	"io"
)

var errRecordTooLong = errors.New("record too long")

// recordLimiter fails a CSV stream at the first record longer than max
// bytes, before the scanner could buffer it whole. It finds record ends by
// quote parity: a newline outside quotes ends a record (and is not counted
// in it). For well-formed CSV that is exactly where the scanner ends it;
// where the two could disagree (a bare quote), the scanner reports that
// earlier row first. So the row that fails depends on the bytes alone, not
// on read sizes or buffering.
type recordLimiter struct {
	r       io.Reader
	max     int
	n       int // bytes of the current record so far
	inQuote bool
	err     error
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	if cut := l.advance(p[:n]); cut >= 0 {
		l.err = errRecordTooLong
		return cut, l.err
	}
	return n, err
}

// advance counts b into the current record and returns the index of the
// first byte that takes it past max, or -1. It works a quote-free run at a
// time with bytes.IndexByte instead of byte by byte: the limiter sits in
// front of every CSV byte, so it has to cost next to nothing.
func (l *recordLimiter) advance(b []byte) int {
	off := 0
	for {
		q := bytes.IndexByte(b[off:], '"')
		if q < 0 {
			if cut := l.span(b[off:]); cut >= 0 {
				return off + cut
			}
			return -1
		}
		if cut := l.span(b[off : off+q]); cut >= 0 {
			return off + cut
		}
		off += q
		l.inQuote = !l.inQuote
		if l.n++; l.n > l.max {
			return off
		}
		off++
	}
}

// span counts a run of bytes without quotes, returning the index of the
// first byte past the limit or -1.
func (l *recordLimiter) span(b []byte) int {
	off := 0
	if !l.inQuote {
		for {
			i := bytes.IndexByte(b[off:], '\n')
			if i < 0 {
				break
			}
			if l.n+i > l.max {
				return off + l.max - l.n
			}
			off += i + 1
			l.n = 0
			// A record that starts after this newline can pass the limit
			// only if the rest of the run is longer than the limit; if not,
			// only the part after the last newline still counts.
			if len(b)-off <= l.max {
				if j := bytes.LastIndexByte(b[off:], '\n'); j >= 0 {
					off += j + 1
				}
				break
			}
		}
	}
	if l.n+len(b)-off > l.max {
		return off + l.max - l.n
	}
	l.n += len(b) - off
	return -1
}
