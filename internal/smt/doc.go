// Package smt is a binary sparse Merkle tree over the chain's whole state:
// one 32-byte root commits to every key and value, and any key has a short
// proof that it is present with a given value, or that it is absent.
//
// It owns the tree's shape, its hashing and its proofs. It keeps nodes in
// memory and never does I/O; it stores value hashes, not values, which the
// state machine keeps elsewhere. A Tree is an immutable version: Update
// returns a new version that shares every untouched node with the old one,
// so old versions stay valid and may be read from any goroutine. Update
// sorts its batch by key hash and rehashes each touched node once; for a
// large batch it hashes the top few subtrees on up to four goroutines.
//
// # Hashing
//
// All hashes are SHA-256. A key's path is KeyHash = H("lazchain/smt/key/v1"
// || key): 256 bits, most significant bit of the first byte first; bit i
// chooses the branch at depth i (0 left, 1 right). A value is committed as
// ValueHash = H("lazchain/smt/value/v1" || value). Nodes hash as
//
//	empty subtree:  32 zero bytes
//	leaf:           H(0x00 || KeyHash || ValueHash)
//	inner node:     H(0x01 || left || right)
//
// The tags keep keys, values and every other lazchain hash in separate
// domains: a key hash can never equal a value hash or a block id by design.
// The 0x00/0x01 prefix matters more, because a leaf and an inner node both
// hash exactly 65 bytes: without it, the (KeyHash, ValueHash) of a leaf could
// be presented as the two children of an inner node, or the reverse, and a
// proof could claim a key at the wrong depth.
//
// The tree is compressed: a leaf sits at the shallowest depth at which it is
// the only key in its subtree, so no inner node has one leaf child and one
// empty child (the leaf moves up in its place). An inner node with one empty
// child and one inner child does exist, and hashes as usual. This keeps a
// path about log2(n) deep instead of 256, and a leaf's hash does not depend
// on its depth, so a leaf moves up or down unchanged. The shape is a
// function of the key set alone, so the root does not depend on the order of
// inserts and deletes (the tree is history independent).
//
// An empty subtree hashes to zero rather than to a hash of anything: an empty
// subtree of any height then has the same hash, so no table of per-height
// defaults is needed, and a proof can list only the non-empty siblings. No
// one knows a preimage of the zero hash, so a real node cannot pass for an
// empty one.
//
// # Proofs
//
// A Proof walks from the root down the key's path to where the path ends:
// at the key's own leaf (inclusion), at an empty subtree, or at the leaf of
// another key whose hash shares the path's first Depth bits (exclusion; the
// proof then carries that leaf's KeyHash and ValueHash). It lists the
// siblings met on the way as Depth, a bitmap of which siblings are non-zero,
// and the non-zero siblings in root-to-leaf order.
//
// To verify, an auditor computes the terminal hash (the key's leaf, zero, or
// the other leaf), then for depth Depth-1 down to 0 takes the sibling (zero
// if its bit is clear) and hashes H(0x01 || node || sibling) if bit depth of
// KeyHash is 0, or H(0x01 || sibling || node) if it is 1, and compares the
// result with the trusted root. Before that, a strict verifier rejects:
// Depth over 256; bitmap bits at or beyond Depth; a listed sibling that is
// zero; a sibling count that differs from the bitmap's; a Depth over 0 whose
// deepest sibling is empty (a canonical tree would have ended the path one
// level higher); for exclusion, another leaf with the key's own KeyHash or
// one that does not share the first Depth bits of KeyHash, and an empty
// terminal at depth 256 (a subtree that deep holds one key, which would have
// moved up); for inclusion, any other leaf.
//
// The proof's canonical encoding (version 1, big-endian) is
//
//	u8   version = 1
//	u16  Depth, 0..256
//	     bitmap: ceil(Depth/8) bytes, bit i of the path is bit 7-(i%8)
//	     of byte i/8; bits at or beyond Depth are zero
//	     siblings: 32 bytes for each set bit, root first, none zero
//	u8   1 if another leaf follows, else 0
//	     [KeyHash 32 bytes, ValueHash 32 bytes] if it does
//
// with nothing after it. DecodeProof accepts exactly what Encode writes.
package smt
