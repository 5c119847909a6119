package blob

import (
	"bytes"
	"testing"
)

// Recent chunks stay within the byte budget, oldest out first, and are
// copies: the writer may reuse its buffer.
func TestRecentChunksEvictOldestFirst(t *testing.T) {
	r := newRecentChunks(40)
	buf := bytes.Repeat([]byte{1}, 10)
	for i := byte(1); i <= 5; i++ {
		buf[0] = i
		r.add(Hash{i}, buf)
	}
	r.add(Hash{9}, make([]byte, 11)) // over a quarter of the budget: not kept
	for _, tc := range []struct {
		h    byte
		want bool
	}{{1, false}, {2, true}, {3, true}, {4, true}, {5, true}, {9, false}} {
		c, ok := r.get(Hash{tc.h})
		if ok != tc.want {
			t.Fatalf("chunk %d kept = %v, want %v", tc.h, ok, tc.want)
		}
		if ok && c[0] != tc.h {
			t.Fatalf("chunk %d holds %d: the writer's buffer was kept, not copied", tc.h, c[0])
		}
	}
	if r.bytes != 40 {
		t.Fatalf("%d bytes kept, budget 40", r.bytes)
	}
}
