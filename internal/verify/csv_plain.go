package verify

import (
	"encoding/binary"
	"math/bits"
)

// plainRecord is next's fast path, for the common record: one line that
// is already whole in the buffer and has no quote. It splits it into
// fields that alias the buffer, skipping blank lines before it, and
// reports false, having consumed no record, for anything else. It looks
// at eight bytes at a time for ',', '"' and '\n' at once: fields are
// short, so a bytes.IndexByte call per field would cost more in calls
// than in scanning.
func (s *csvScanner) plainRecord() bool {
	for {
		buf := s.buf[s.start:s.end]
		s.fields = s.fields[:0]
		var seen uint64 // every byte before the '\n' ORed in, for ascii
		begin, i := 0, 0
		nl := -1
	scan:
		for ; i+8 <= len(buf); i += 8 {
			w := binary.LittleEndian.Uint64(buf[i:])
			for m := matchBytes(w, ',') | matchBytes(w, '"') | matchBytes(w, '\n'); m != 0; m &= m - 1 {
				j := i + bits.TrailingZeros64(m)/8
				switch buf[j] {
				case ',':
					s.fields = append(s.fields, buf[begin:j])
					begin = j + 1
				case '"':
					return false
				default:
					seen |= w & (1<<(8*(j-i)) - 1)
					nl = j
					break scan
				}
			}
			seen |= w
		}
		for ; nl < 0 && i < len(buf); i++ {
			switch buf[i] {
			case ',':
				s.fields = append(s.fields, buf[begin:i])
				begin = i + 1
			case '"':
				return false
			case '\n':
				nl = i
			}
			seen |= uint64(buf[i])
		}
		if nl < 0 {
			return false // the line is not whole yet: line() reads on
		}
		s.start += nl + 1
		s.scanned = s.start
		last := buf[begin:nl]
		if n := len(last); n > 0 && last[n-1] == '\r' {
			last = last[:n-1] // "\r\n" ends a line like "\n"
		}
		if len(s.fields) == 0 && len(last) == 0 {
			continue // a blank line is no record
		}
		s.fields = append(s.fields, last)
		s.ascii = seen&0x8080808080808080 == 0
		return true
	}
}

// matchBytes has the top bit set in each byte of w that equals c, and no
// other bit. Adding 0x7f to the low seven bits cannot carry into the next
// byte, so unlike the shorter borrow trick it has no false matches.
func matchBytes(w uint64, c byte) uint64 {
	const low7, high = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	x := w ^ (0x0101010101010101 * uint64(c))
	return ^((x&low7 + low7) | x) & high
}
