package verify

import (
	"bytes"
	"encoding/csv"
	"io"
)

// csvBufSize is the scanner's initial buffer. A line must fit in the
// buffer whole, so it grows for longer lines; the record limiter in front
// bounds a line to MaxRecordBytes+1 bytes.
const csvBufSize = 64 << 10

// maxEmptyReads is how many reads in a row may return nothing before the
// scanner gives up with io.ErrNoProgress, as bufio.Reader does.
const maxEmptyReads = 100

// Parse errors as csvErr classifies them. Positions are left out: csvErr
// builds the reason from the sentinel alone.
var (
	errBareQuote = &csv.ParseError{Err: csv.ErrBareQuote}
	errQuote     = &csv.ParseError{Err: csv.ErrQuote}
)

// csvScanner splits CSV into records exactly as encoding/csv.Reader does
// with its defaults (comma ',', no comments, strict quotes): it skips blank
// lines, turns "\r\n" into "\n" at every line end (so also inside quoted
// fields), drops a '\r' just before EOF, and unescapes `""` in quoted
// fields. Unlike encoding/csv it makes no string per record: a record
// without quotes comes back as sub-slices of the read buffer, and only a
// record with quotes (or cut by the buffer's end) is copied, unescaped,
// into rec.
//
// It reads r like bufio.Reader does, so it sees the same bytes followed by
// the same error (io.EOF or another). encoding/csv's answer depends on
// nothing else, which is what keeps the two in step.
type csvScanner struct {
	r          io.Reader
	buf        []byte
	start, end int   // unread bytes are buf[start:end]
	scanned    int   // buf[start:scanned] holds no '\n'
	err        error // what r returned after buf[:end]; sticky

	fields [][]byte // the last record's fields
	ascii  bool     // the last record's fields are all ASCII
	rec    []byte   // unescaped fields of a record with quotes
	ends   []int    // where each field ends in rec
}

func newCSVScanner(r io.Reader, bufSize int) *csvScanner {
	return &csvScanner{r: r, buf: make([]byte, bufSize)}
}

// next returns the fields of the next record, valid until the next call,
// or io.EOF after the last one. Another error is either errBareQuote,
// errQuote or the reader's error.
func (s *csvScanner) next() ([][]byte, error) {
	if s.plainRecord() {
		return s.fields, nil
	}
	s.ascii = false
	line, err := s.line()
	for err == nil && len(line) == lengthNL(line) {
		line, err = s.line() // a blank line is no record
	}
	if err == io.EOF {
		return nil, err
	}
	return s.record(line, err)
}

// record parses the record that starts with line, reading more lines
// while a quoted field runs on. It follows encoding/csv's readRecord step
// by step, errors included: errRead is the read error that came with line,
// and on any error the fields are partial. The fields are copied, quotes
// unescaped, into rec, as line is only valid until the next read.
func (s *csvScanner) record(line []byte, errRead error) ([][]byte, error) {
	s.rec, s.ends = s.rec[:0], s.ends[:0]
	var err error
parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, ',')
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if bytes.IndexByte(field, '"') >= 0 {
				err = errBareQuote
				break parseField
			}
			s.endField(field)
			if i >= 0 {
				line = line[i+1:]
				continue parseField
			}
			break parseField
		}
		line = line[1:] // the opening quote
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				s.rec = append(s.rec, line[:i]...)
				line = line[i+1:]
				switch {
				case len(line) > 0 && line[0] == '"': // `""`: an escaped quote
					s.rec = append(s.rec, '"')
					line = line[1:]
				case len(line) > 0 && line[0] == ',': // `",`: end of field
					line = line[1:]
					s.endField(nil)
					continue parseField
				case lengthNL(line) == len(line): // `"\n`: end of record
					s.endField(nil)
					break parseField
				default: // `"` then anything else
					err = errQuote
					break parseField
				}
			case len(line) > 0: // the field runs on to the next line
				s.rec = append(s.rec, line...)
				if errRead != nil {
					break parseField
				}
				line, errRead = s.line()
				if errRead == io.EOF {
					errRead = nil
				}
			default: // the input ended inside the field
				if errRead == nil {
					err = errQuote
					break parseField
				}
				s.endField(nil)
				break parseField
			}
		}
	}
	if err == nil {
		err = errRead
	}
	s.fields = s.fields[:0]
	prev := 0
	for _, end := range s.ends {
		s.fields = append(s.fields, s.rec[prev:end])
		prev = end
	}
	return s.fields, err
}

// endField appends tail to rec and closes the field there.
func (s *csvScanner) endField(tail []byte) {
	s.rec = append(s.rec, tail...)
	s.ends = append(s.ends, len(s.rec))
}

// line returns the next line with its '\n', as encoding/csv's readLine
// does: "\r\n" at its end becomes "\n"; the last line may lack the '\n',
// and then loses one trailing '\r' if the input ended with io.EOF. The
// error is nil with a line, io.EOF only without one, or the reader's
// other error, possibly with the partial line before it.
func (s *csvScanner) line() ([]byte, error) {
	for {
		if i := bytes.IndexByte(s.buf[s.scanned:s.end], '\n'); i >= 0 {
			end := s.scanned + i + 1
			line := s.buf[s.start:end]
			s.start, s.scanned = end, end
			if n := len(line); n >= 2 && line[n-2] == '\r' {
				line[n-2] = '\n'
				line = line[:n-1]
			}
			return line, nil
		}
		s.scanned = s.end
		if s.err != nil {
			break
		}
		s.fill()
	}
	line := s.buf[s.start:s.end]
	s.start = s.end
	err := s.err
	if len(line) > 0 && err == io.EOF {
		err = nil
		if line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
	}
	return line, err
}

// fill reads at least one more byte into buf, or records why it could not.
// It moves the unread bytes to the front first, and grows buf only when a
// single line fills it.
func (s *csvScanner) fill() {
	if s.start > 0 {
		copy(s.buf, s.buf[s.start:s.end])
		s.end -= s.start
		s.scanned -= s.start
		s.start = 0
	}
	if s.end == len(s.buf) {
		s.buf = append(s.buf, make([]byte, max(len(s.buf), 16))...)
	}
	for range maxEmptyReads {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	s.err = io.ErrNoProgress
}

// lengthNL is 1 if b ends in '\n', else 0.
func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}
