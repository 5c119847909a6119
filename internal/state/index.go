package state

import (
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/txindex"
	"github.com/lazchain/lazchain/internal/types"
)

// openIndex opens the transaction index and adds what a crash lost from
// it: the blocks executed into the state above its marker, read back from
// the blocks and their receipt records.
func (m *Machine) openIndex() error {
	x, err := txindex.Open(m.store, m.confirm, 0, 0)
	if err != nil {
		return err
	}
	top := m.Height()
	entries, err := m.reindex(x.Through()+1, top)
	if err != nil {
		x.Close()
		return err
	}
	if top > x.Through() {
		x.Add(top, entries)
	}
	m.index = x
	return nil
}

// reindex reads the index entries of heights from through to.
func (m *Machine) reindex(from, to uint64) ([]txindex.Entry, error) {
	var entries []txindex.Entry
	for h := from; h <= to; h++ {
		rec, err := m.store.Get(receiptsKey(h))
		if errors.Is(err, store.ErrNotFound) {
			continue // a block without transactions
		}
		if err != nil {
			return nil, fmt.Errorf("reindex height %d: %w", h, err)
		}
		b, err := m.store.BlockAt(h)
		if err != nil {
			return nil, fmt.Errorf("reindex height %d: %w", h, err)
		}
		has, err := hasReceipt(rec)
		if err != nil {
			return nil, fmt.Errorf("reindex height %d: %w", h, err)
		}
		if len(has) != len(b.Txs) {
			return nil, fmt.Errorf("reindex height %d: %d receipts for %d transactions: %w", h, len(has), len(b.Txs), errBadReceipt)
		}
		for i, tx := range b.Txs {
			if has[i] {
				entries = append(entries, txindex.Entry{Hash: tx.Hash(), Loc: txindex.Loc{Height: h, Index: uint32(i)}})
			}
		}
	}
	return entries, nil
}

// confirm reports whether the transaction at l has hash h: the index
// matches stored entries by the hash's first 20 bytes.
func (m *Machine) confirm(h types.Hash, l txindex.Loc) (bool, error) {
	b, err := m.BlockAt(l.Height)
	if err != nil {
		return false, fmt.Errorf("confirm index entry at height %d: %w", l.Height, err)
	}
	return int(l.Index) < len(b.Txs) && b.Txs[l.Index].Hash() == h, nil
}

// BlockAt returns the committed block at height, keeping the last one
// read: a receipt lookup confirms its hit against the block, and the API
// then answers with the transaction from that same block, so one decode
// (a few milliseconds for a full block) serves both. Blocks are never
// changed once decoded.
func (m *Machine) BlockAt(height uint64) (*types.Block, error) {
	if last := m.lastBlock.Load(); last != nil && last.Height == height {
		return last, nil
	}
	b, err := m.store.BlockAt(height)
	if err != nil {
		return nil, err
	}
	m.lastBlock.Store(b)
	return b, nil
}

// IndexErr is the transaction index's last failed bulk write, nil once
// one succeeds.
func (m *Machine) IndexErr() error { return m.index.Err() }

// Close writes out the transaction index. Call it after the last Apply
// and before the store closes.
func (m *Machine) Close() error { return m.index.Close() }
