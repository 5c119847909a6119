package blocklog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// SegmentSize is where a segment ends: a record that would cross it
// starts the next segment. Blocks are at most a few megabytes.
const SegmentSize = 512 << 20

// MaxRecord bounds one record, so a damaged location cannot ask for an
// allocation of gigabytes.
const MaxRecord = 64 << 20

const (
	crcSize = 4
	prefix  = "seg-"
	suffix  = ".log"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt reports a record that does not match its location or its
// checksum.
var ErrCorrupt = errors.New("blocklog: corrupt record")

// Loc is where a record is: its segment, its offset in it and its length
// without the checksum.
type Loc struct {
	Seg uint32
	Off uint64
	Len uint32
}

// LocSize is the length of an encoded Loc.
const LocSize = 4 + 8 + 4

// Encode returns the location in LocSize bytes.
func (l Loc) Encode() []byte {
	b := make([]byte, 0, LocSize)
	b = binary.BigEndian.AppendUint32(b, l.Seg)
	b = binary.BigEndian.AppendUint64(b, l.Off)
	return binary.BigEndian.AppendUint32(b, l.Len)
}

// DecodeLoc parses an encoded Loc.
func DecodeLoc(b []byte) (Loc, error) {
	if len(b) != LocSize {
		return Loc{}, fmt.Errorf("blocklog: location of %d bytes, want %d", len(b), LocSize)
	}
	return Loc{Seg: binary.BigEndian.Uint32(b), Off: binary.BigEndian.Uint64(b[4:]), Len: binary.BigEndian.Uint32(b[12:])}, nil
}

// Log is a directory of segments. Append and Sync are for one writer
// goroutine; Read is safe from any number of goroutines alongside it.
type Log struct {
	dir     string
	segSize int64

	// Writer-owned.
	cur     *os.File
	seg     uint32
	off     int64
	dirty   []*os.File // written since the last Sync
	newFile bool       // a segment was created since the last Sync

	mu    sync.RWMutex // guards files; never held across I/O
	files map[uint32]*os.File
}

// Open opens the log in dir, creating it if needed. Appends continue at
// the end of the newest segment.
func Open(dir string) (*Log, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("blocklog: create %s: %w", dir, err)
	}
	// The directory's own entry must outlive a crash as well as the
	// segments in it; syncing its parent once per open settles that.
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return nil, err
	}
	segs, err := segments(dir)
	if err != nil {
		return nil, err
	}
	l := &Log{dir: dir, segSize: SegmentSize, files: map[uint32]*os.File{}}
	for _, s := range segs {
		f, err := os.OpenFile(l.path(s), os.O_RDWR, 0)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("blocklog: open segment %d: %w", s, err)
		}
		l.files[s] = f
	}
	if len(segs) == 0 {
		if err := l.create(0); err != nil {
			return nil, err
		}
		return l, nil
	}
	l.seg = segs[len(segs)-1]
	l.cur = l.files[l.seg]
	st, err := l.cur.Stat()
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("blocklog: stat segment %d: %w", l.seg, err)
	}
	l.off = st.Size()
	return l, nil
}

// segments lists the segment numbers in dir, in order.
func segments(dir string) ([]uint32, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("blocklog: list %s: %w", dir, err)
	}
	var out []uint32
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, suffix) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, prefix), suffix), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("blocklog: segment name %q: %w", name, err)
		}
		out = append(out, uint32(n))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func (l *Log) path(seg uint32) string {
	return filepath.Join(l.dir, fmt.Sprintf("%s%08d%s", prefix, seg, suffix))
}

// create starts segment seg and makes it the one appended to.
func (l *Log) create(seg uint32) error {
	f, err := os.OpenFile(l.path(seg), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("blocklog: create segment %d: %w", seg, err)
	}
	l.mu.Lock()
	l.files[seg] = f
	l.mu.Unlock()
	l.cur, l.seg, l.off, l.newFile = f, seg, 0, true
	return nil
}

// Append writes data as one record and returns its location. The record
// is durable only after the next Sync.
func (l *Log) Append(data []byte) (Loc, error) {
	if len(data) > MaxRecord {
		return Loc{}, fmt.Errorf("blocklog: record of %d bytes exceeds %d", len(data), MaxRecord)
	}
	n := int64(len(data) + crcSize)
	if l.off > 0 && l.off+n > l.segSize {
		if err := l.create(l.seg + 1); err != nil {
			return Loc{}, err
		}
	}
	// Two writes, not a copy of a megabyte to put the checksum in front.
	var crc [crcSize]byte
	binary.BigEndian.PutUint32(crc[:], crc32.Checksum(data, castagnoli))
	if _, err := l.cur.WriteAt(crc[:], l.off); err != nil {
		return Loc{}, fmt.Errorf("blocklog: append to segment %d: %w", l.seg, err)
	}
	if _, err := l.cur.WriteAt(data, l.off+crcSize); err != nil {
		return Loc{}, fmt.Errorf("blocklog: append to segment %d: %w", l.seg, err)
	}
	loc := Loc{Seg: l.seg, Off: uint64(l.off), Len: uint32(len(data))}
	l.off += n
	if len(l.dirty) == 0 || l.dirty[len(l.dirty)-1] != l.cur {
		l.dirty = append(l.dirty, l.cur)
	}
	return loc, nil
}

// Sync makes every appended record durable.
func (l *Log) Sync() error {
	for _, f := range l.dirty {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("blocklog: sync %s: %w", f.Name(), err)
		}
	}
	l.dirty = l.dirty[:0]
	if l.newFile {
		if err := syncDir(l.dir); err != nil {
			return err
		}
		l.newFile = false
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blocklog: open %s to sync: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blocklog: sync %s: %w", dir, err)
	}
	return nil
}

// Read returns the record at loc, after checking its checksum.
func (l *Log) Read(loc Loc) ([]byte, error) {
	if loc.Len > MaxRecord {
		return nil, fmt.Errorf("%w: length %d exceeds %d", ErrCorrupt, loc.Len, MaxRecord)
	}
	l.mu.RLock()
	f := l.files[loc.Seg]
	l.mu.RUnlock()
	if f == nil {
		return nil, fmt.Errorf("%w: no segment %d", ErrCorrupt, loc.Seg)
	}
	buf := make([]byte, crcSize+int(loc.Len))
	if _, err := f.ReadAt(buf, int64(loc.Off)); err != nil {
		return nil, fmt.Errorf("%w: segment %d at %d: %v", ErrCorrupt, loc.Seg, loc.Off, err)
	}
	data := buf[crcSize:]
	if binary.BigEndian.Uint32(buf) != crc32.Checksum(data, castagnoli) {
		return nil, fmt.Errorf("%w: checksum mismatch in segment %d at %d", ErrCorrupt, loc.Seg, loc.Off)
	}
	return data, nil
}

// Close closes every segment. It does not sync: what a caller needs
// durable it has synced before committing its location.
func (l *Log) Close() error {
	l.mu.Lock()
	files := l.files
	l.files = map[uint32]*os.File{}
	l.mu.Unlock()
	var first error
	for s, f := range files {
		if err := f.Close(); err != nil && first == nil {
			first = fmt.Errorf("blocklog: close segment %d: %w", s, err)
		}
	}
	return first
}
