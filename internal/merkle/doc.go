// Package merkle commits to a sequence of chunks with one root and proves
// any chunk's place in it with a path of about log2(n) hashes.
//
// The tree is RFC 6962's (Certificate Transparency): leaves are hashed as
// H(0x00 || data) and inner nodes as H(0x01 || left || right), so a leaf
// can never pass for an inner node; a tree of n leaves splits at the
// largest power of two below n, so no leaf is duplicated to fill a level
// and two different sequences never share a root. The hash is SHA-256,
// which this machine computes with SHA-NI.
package merkle
