package node

import (
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// IDAOState returns the committed iDAO state; callers must not modify it.
func (n *Node) IDAOState() *idao.State { return n.machine.IDAOs() }

// Artifact returns an artifact's record.
func (n *Node) Artifact(id types.Hash) (*idao.Artifact, error) {
	a, err := n.machine.Artifact(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("artifact %s: %w", id, ErrNotFound)
	}
	return a, err
}

// Artifacts lists artifacts; see state.Machine.Artifacts.
func (n *Node) Artifacts(name string, after types.Hash, limit int, keep func(*idao.Artifact) bool) ([]*idao.Artifact, error) {
	return n.machine.Artifacts(name, after, limit, keep)
}

// Committee returns an iDAO's committee of a rotation, current or past.
func (n *Node) Committee(name string, rotation uint64) (*idao.Committee, error) {
	if c, ok := n.machine.IDAOs().Committee(name, rotation); ok {
		return c, nil
	}
	c, err := n.machine.CommitteeAt(name, rotation)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("committee of %q for rotation %d: %w", name, rotation, ErrNotFound)
	}
	return c, err
}

// Events returns the events of the block at height h.
func (n *Node) Events(h uint64) ([]idao.Event, error) { return n.machine.Events(h) }

// BlobUploaded tells the node a client finished storing a blob (or one of
// its chunks): a small one is pushed to the peers at once, so committee
// members need not fetch it.
func (n *Node) BlobUploaded(root types.Hash) {
	if n.blobnet != nil {
		n.blobnet.Push(root)
	}
}
