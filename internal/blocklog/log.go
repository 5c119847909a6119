package blocklog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/lazchain/lazchain/internal/fsync"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
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
//
// Readers open segments on demand and keep at most maxOpenSegments open:
// a segment fills in minutes at full load, and a descriptor held for
// each, for the life of the process, ran into the open-files limit.
type Log struct {
	dir     string
	segSize int64

	// Writer-owned.
	cur     *os.File
	seg     uint32
	off     int64
	dirty   []*os.File // written since the last Sync
	newFile bool       // a segment was created since the last Sync

	mu    sync.Mutex // guards files and clock; never held across a read
	files map[uint32]*segFile
	clock uint64
}

// segFile is a segment opened for reading, with the reads using it.
type segFile struct {
	f    *os.File
	refs int
	used uint64 // clock at the last read
}

// maxOpenSegments bounds the segments held open for reading.
const maxOpenSegments = 32

// Open opens the log in dir, creating it if needed. Appends continue at
// the end of the newest segment.
func Open(dir string) (*Log, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("blocklog: create %s: %w", dir, err)
	}
	// The directory's own entry must outlive a crash as well as the
	// segments in it; syncing its parent once per open settles that.
	if err := fsync.Dir(filepath.Dir(dir)); err != nil {
		return nil, err
	}
	segs, err := segments(dir)
	if err != nil {
		return nil, err
	}
	l := &Log{dir: dir, segSize: SegmentSize, files: map[uint32]*segFile{}}
	if len(segs) == 0 {
		if err := l.create(0); err != nil {
			return nil, err
		}
		return l, nil
	}
	l.seg = segs[len(segs)-1]
	if l.cur, err = os.OpenFile(l.path(l.seg), os.O_RDWR, 0); err != nil {
		return nil, fmt.Errorf("blocklog: open segment %d: %w", l.seg, err)
	}
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
	if old := l.cur; old != nil && !slices.Contains(l.dirty, old) {
		old.Close() // synced already; an unsynced one closes after Sync
	}
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
	for _, f := range l.dirty {
		if f != l.cur {
			f.Close() // a full segment's writer: done with
		}
	}
	l.dirty = l.dirty[:0]
	if l.newFile {
		if err := fsync.Dir(l.dir); err != nil {
			return err
		}
		l.newFile = false
	}
	return nil
}

// Read returns the record at loc, after checking its checksum.
func (l *Log) Read(loc Loc) ([]byte, error) {
	if loc.Len > MaxRecord {
		return nil, fmt.Errorf("%w: length %d exceeds %d", ErrCorrupt, loc.Len, MaxRecord)
	}
	sf, err := l.acquire(loc.Seg)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, crcSize+int(loc.Len))
	_, err = sf.f.ReadAt(buf, int64(loc.Off))
	l.release(sf)
	if err != nil {
		return nil, fmt.Errorf("%w: segment %d at %d: %v", ErrCorrupt, loc.Seg, loc.Off, err)
	}
	data := buf[crcSize:]
	if binary.BigEndian.Uint32(buf) != crc32.Checksum(data, castagnoli) {
		return nil, fmt.Errorf("%w: checksum mismatch in segment %d at %d", ErrCorrupt, loc.Seg, loc.Off)
	}
	return data, nil
}

// acquire returns segment seg open for reading, opening it if needed, and
// counts a read on it until release.
func (l *Log) acquire(seg uint32) (*segFile, error) {
	l.mu.Lock()
	sf := l.files[seg]
	if sf == nil {
		l.mu.Unlock()
		f, err := os.Open(l.path(seg))
		if err != nil {
			return nil, fmt.Errorf("%w: no segment %d: %v", ErrCorrupt, seg, err)
		}
		l.mu.Lock()
		if sf = l.files[seg]; sf == nil {
			sf = &segFile{f: f}
			l.files[seg] = sf
		} else {
			f.Close() // another reader opened it meanwhile
		}
	}
	sf.refs++
	l.clock++
	sf.used = l.clock
	evicted := l.evict()
	l.mu.Unlock()
	for _, f := range evicted {
		f.Close()
	}
	return sf, nil
}

func (l *Log) release(sf *segFile) {
	l.mu.Lock()
	sf.refs--
	l.mu.Unlock()
}

// evict drops the least recently read segments that no read is using,
// down to maxOpenSegments, and returns their files to close. l.mu held.
func (l *Log) evict() []*os.File {
	var out []*os.File
	for len(l.files) > maxOpenSegments {
		var lru uint32
		var oldest *segFile
		for s, sf := range l.files {
			if sf.refs == 0 && (oldest == nil || sf.used < oldest.used) {
				lru, oldest = s, sf
			}
		}
		if oldest == nil {
			break // every one is being read
		}
		delete(l.files, lru)
		out = append(out, oldest.f)
	}
	return out
}

// Close closes every segment. It does not sync: what a caller needs
// durable it has synced before committing its location.
func (l *Log) Close() error {
	l.mu.Lock()
	files := l.files
	l.files = map[uint32]*segFile{}
	l.mu.Unlock()
	var first error
	for s, sf := range files {
		if err := sf.f.Close(); err != nil && first == nil {
			first = fmt.Errorf("blocklog: close segment %d: %w", s, err)
		}
	}
	for _, f := range l.dirty {
		if f != l.cur {
			f.Close()
		}
	}
	if l.cur != nil {
		if err := l.cur.Close(); err != nil && first == nil {
			first = fmt.Errorf("blocklog: close segment %d: %w", l.seg, err)
		}
	}
	return first
}
