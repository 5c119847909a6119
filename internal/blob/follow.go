package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// arrival returns a channel that is closed at the next write of a chunk or
// manifest. Followers take it before they look, so a write that lands
// between the look and the wait still wakes them.
func (s *Store) arrival() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.arrived == nil {
		s.arrived = make(chan struct{})
	}
	return s.arrived
}

// announce wakes every follower.
func (s *Store) announce() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.arrived != nil {
		close(s.arrived)
		s.arrived = nil
	}
}

// Follow streams a blob's bytes in order while it is still arriving: a
// chunk (or the manifest) that is not stored yet is waited for, so a
// verifier can run alongside the fetch that fills the store instead of
// after it. The reader
// fails with ctx's error when ctx ends first; whoever fetches cancels ctx
// when the fetch gives up, so a follower never waits for bytes that will
// not come. A chunk the fetch checked moments ago is not hashed again. Only a manifest with the given size and chunk size is
// followed: the store keys manifests by root alone, and a stale one that
// disagrees is waited out until the fetch replaces it.
func (s *Store) Follow(ctx context.Context, root Hash, size int64, chunkSize int) io.Reader {
	return &follower{ctx: ctx, s: s, root: root, size: size, chunk: chunkSize}
}

type follower struct {
	ctx   context.Context
	s     *Store
	root  Hash
	size  int64
	chunk int
	m     *Manifest
	i     uint64
	buf   []byte
}

func (f *follower) Read(p []byte) (int, error) {
	for len(f.buf) == 0 {
		if f.m != nil && f.i >= f.m.Count() {
			return 0, io.EOF
		}
		if err := f.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, f.buf)
	f.buf = f.buf[n:]
	return n, nil
}

// next loads the manifest or the next chunk, waiting until it is stored.
func (f *follower) next() error {
	for {
		wake := f.s.arrival()
		err := f.load()
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		select {
		case <-wake:
		case <-f.ctx.Done():
			return fmt.Errorf("blob %x: waiting for chunk %d: %w", f.root[:4], f.i, f.ctx.Err())
		}
	}
}

func (f *follower) load() error {
	if f.m == nil {
		m, err := f.s.Manifest(f.root)
		if err != nil {
			return err
		}
		if !m.Fits(f.size, f.chunk) {
			return ErrNotFound // not the manifest wanted (yet)
		}
		f.m = m
		return nil
	}
	data, err := f.s.readRecent(f.m.Leaves[f.i])
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return err
		}
		return fmt.Errorf("chunk %d: %w", f.i, err)
	}
	f.buf, f.i = data, f.i+1
	return nil
}
