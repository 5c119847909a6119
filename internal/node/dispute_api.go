package node

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// Dispute returns a dispute's record.
func (n *Node) Dispute(id types.Hash) (*idao.Dispute, error) {
	d, err := n.machine.Dispute(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("dispute %s: %w", id, ErrNotFound)
	}
	return d, err
}

// DisputeFilter selects disputes; zero fields select every one.
type DisputeFilter struct {
	Status   idao.DisputeStatus // 0: any
	Artifact *types.Hash        // nil: any; else that artifact's, which must exist
	After    types.Hash         // exclusive cursor in id order; zero: from the start
	Limit    int                // at least 1
}

// Disputes lists disputes in id order. The artifact's own list and the
// open-dispute index answer those filters without a scan; the rest scan
// the dispute records (see state.Machine.Disputes).
func (n *Node) Disputes(f DisputeFilter) ([]*idao.Dispute, error) {
	keep := func(d *idao.Dispute) bool { return f.Status == 0 || d.Status == f.Status }
	switch {
	case f.Artifact != nil:
		a, err := n.Artifact(*f.Artifact)
		if err != nil {
			return nil, err
		}
		return n.disputesOf(a.Disputes, f, keep)
	case f.Status == idao.DisputeOpen:
		open := n.machine.IDAOs().OpenDisputes()
		ids := make([]types.Hash, len(open))
		for i, o := range open {
			ids[i] = o.ID
		}
		return n.disputesOf(ids, f, keep)
	}
	return n.machine.Disputes(f.After, f.Limit, keep)
}

// disputesOf reads the records of ids in id order after f.After, at most
// f.Limit of them that pass keep.
func (n *Node) disputesOf(ids []types.Hash, f DisputeFilter, keep func(*idao.Dispute) bool) ([]*idao.Dispute, error) {
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b types.Hash) int { return bytes.Compare(a[:], b[:]) })
	var out []*idao.Dispute
	for _, id := range ids {
		if len(out) == f.Limit {
			break
		}
		if f.After != (types.Hash{}) && bytes.Compare(id[:], f.After[:]) <= 0 {
			continue
		}
		d, err := n.Dispute(id)
		if err != nil {
			return nil, err
		}
		if keep(d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// ScanEvents calls fn with each committed event from height h, index i
// on, in order, until fn returns false; see state.Machine.ScanEvents.
// Callers bound the heights they read by Status().Height.
func (n *Node) ScanEvents(h uint64, i uint32, fn func(h uint64, i uint32, e idao.Event) bool) error {
	return n.machine.ScanEvents(h, i, fn)
}
