package smt

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/types"
)

// VerifyInclusion checks that p proves key is set to value in the tree
// whose root is root. It needs nothing but its arguments.
func VerifyInclusion(root types.Hash, key, value []byte, p *Proof) error {
	return verifyInclusion(root, KeyHash(key), ValueHash(value), p)
}

// VerifyExclusion checks that p proves key is absent from the tree whose
// root is root. It needs nothing but its arguments.
func VerifyExclusion(root types.Hash, key []byte, p *Proof) error {
	return verifyExclusion(root, KeyHash(key), p)
}

func verifyInclusion(root, kh, vh types.Hash, p *Proof) error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("inclusion proof: %w", err)
	}
	if p.Other != nil {
		return fmt.Errorf("inclusion proof for key hash %s ends at the leaf of key hash %s: %w",
			kh.Short(), p.Other.KeyHash.Short(), ErrOtherLeaf)
	}
	if got := p.fold(&kh, LeafHash(kh, vh)); got != root {
		return fmt.Errorf("inclusion of key hash %s at depth %d: recomputed root %s, want %s: %w",
			kh.Short(), p.Depth, got.Short(), root.Short(), ErrRootMismatch)
	}
	return nil
}

func verifyExclusion(root, kh types.Hash, p *Proof) error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("exclusion proof: %w", err)
	}
	end := types.ZeroHash
	if o := p.Other; o != nil {
		if o.KeyHash == kh {
			return fmt.Errorf("exclusion proof for key hash %s: %w", kh.Short(), ErrKeyPresent)
		}
		if n := commonPrefix(&kh, &o.KeyHash); n < p.Depth {
			return fmt.Errorf("exclusion proof at depth %d: other leaf %s shares only %d leading bits with key hash %s: %w",
				p.Depth, o.KeyHash.Short(), n, kh.Short(), ErrOffPath)
		}
		end = LeafHash(o.KeyHash, o.ValueHash)
	} else if p.Depth == MaxDepth {
		return fmt.Errorf("exclusion proof ends at an empty subtree at depth %d, where a lone key would have moved up: %w",
			MaxDepth, ErrMalformed)
	}
	if got := p.fold(&kh, end); got != root {
		return fmt.Errorf("exclusion of key hash %s at depth %d: recomputed root %s, want %s: %w",
			kh.Short(), p.Depth, got.Short(), root.Short(), ErrRootMismatch)
	}
	return nil
}
