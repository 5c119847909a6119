package txindex

import (
	"encoding/binary"

	"github.com/lazchain/lazchain/internal/types"
)

// generation holds the entries of one hand-off while they are in memory:
// added, handed to the writer, until their table is ingested. Dropping a
// whole generation after its ingest replaces a map delete per entry, and
// keying by the hash's first eight bytes makes each insert a uint64 map
// write instead of hashing and comparing 32-byte keys: both were most of
// the index's cost at 17,500 tx/s.
type generation struct {
	at      map[uint64]int32 // hash prefix -> position in entries
	entries []Entry
	// over holds entries whose prefix an earlier entry took: rare by
	// chance, but anyone can make two transactions whose hashes share 64
	// bits, so a prefix alone never answers a lookup.
	over map[types.Hash]Loc
	seq  uint64 // which hand-off closed it (1, 2, ...); 0 while open
}

func newGeneration() *generation {
	return &generation{at: map[uint64]int32{}}
}

func prefixOf(h types.Hash) uint64 { return binary.LittleEndian.Uint64(h[:8]) }

// add records e. A hash added twice keeps its first location.
func (g *generation) add(e Entry) {
	p := prefixOf(e.Hash)
	i, taken := g.at[p]
	switch {
	case !taken:
		g.at[p] = int32(len(g.entries))
	case g.entries[i].Hash == e.Hash:
		// Seen: the entry stays for the table, which keeps the lowest height.
	default:
		if g.over == nil {
			g.over = map[types.Hash]Loc{}
		}
		if _, seen := g.over[e.Hash]; !seen {
			g.over[e.Hash] = e.Loc
		}
	}
	g.entries = append(g.entries, e)
}

// get returns h's location in this generation.
func (g *generation) get(h types.Hash) (Loc, bool) {
	if i, ok := g.at[prefixOf(h)]; ok && g.entries[i].Hash == h {
		return g.entries[i].Loc, true
	}
	l, ok := g.over[h]
	return l, ok
}

// reset empties g, keeping its storage.
func (g *generation) reset() {
	clear(g.at)
	clear(g.over)
	g.entries = g.entries[:0]
	g.seq = 0
}

// size is the number of entries held.
func (g *generation) size() int { return len(g.entries) }
