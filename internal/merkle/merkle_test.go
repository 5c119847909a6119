package merkle

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// The published RFC 6962 test data: eight entries and the tree heads of
// their prefixes, as every Certificate Transparency implementation has them.
var rfcEntries = [][]byte{
	{}, {0x00}, {0x10}, {0x20, 0x21}, {0x30, 0x31}, {0x40, 0x41, 0x42, 0x43},
	{0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57},
	{0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f},
}

var rfcRoots = map[int]string{
	0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

func leavesOf(data [][]byte) []Hash {
	out := make([]Hash, len(data))
	for i, d := range data {
		out[i] = LeafHash(d)
	}
	return out
}

func TestRootMatchesRFC6962(t *testing.T) {
	for n, want := range rfcRoots {
		got := Root(leavesOf(rfcEntries[:n]))
		if hex.EncodeToString(got[:]) != want {
			t.Errorf("tree of %d: root %x, want %s", n, got, want)
		}
	}
}

func randomLeaves(r *rand.Rand, n int) []Hash {
	out := make([]Hash, n)
	for i := range out {
		for j := range out[i] {
			out[i][j] = byte(r.Uint32())
		}
	}
	return out
}

// Every leaf of every tree up to 70 leaves has a proof that verifies; any
// change to the leaf, the root, a path element, the path's length or the
// index makes it fail. (The count is not always bound by the root, as in
// RFC 6962: callers take it from the artifact's certified size.)
func TestEveryProofVerifiesAndTamperingFails(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 70; n++ {
		leaves := randomLeaves(r, n)
		root := Root(leaves)
		for i := 0; i < n; i++ {
			p, err := Prove(leaves, uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Verify(root, leaves[i]); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			bad := leaves[i]
			bad[0] ^= 1
			tampered := []struct {
				name string
				p    Proof
				root Hash
				leaf Hash
			}{
				{"leaf", p, root, bad},
				{"root", p, bad, leaves[i]},
				{"index", Proof{Index: (p.Index + 1) % uint64(n), Count: p.Count, Path: p.Path}, root, leaves[i]},
				{"index out of range", Proof{Index: p.Count, Count: p.Count, Path: p.Path}, root, leaves[i]},
				{"extra path", Proof{Index: p.Index, Count: p.Count, Path: append(append([]Hash{}, p.Path...), bad)}, root, leaves[i]},
			}
			if len(p.Path) > 0 {
				path := append([]Hash{}, p.Path...)
				path[r.IntN(len(path))][5] ^= 0x40
				tampered = append(tampered, struct {
					name string
					p    Proof
					root Hash
					leaf Hash
				}{"path element", Proof{Index: p.Index, Count: p.Count, Path: path}, root, leaves[i]},
					struct {
						name string
						p    Proof
						root Hash
						leaf Hash
					}{"short path", Proof{Index: p.Index, Count: p.Count, Path: p.Path[:len(p.Path)-1]}, root, leaves[i]})
			}
			for _, c := range tampered {
				if c.name == "index" && n == 1 {
					continue
				}
				if err := c.p.Verify(c.root, c.leaf); !errors.Is(err, ErrBadProof) {
					t.Fatalf("n=%d i=%d tampered %s: %v", n, i, c.name, err)
				}
			}
		}
	}
}

func TestProveOutOfRange(t *testing.T) {
	if _, err := Prove(randomLeaves(rand.New(rand.NewPCG(3, 4)), 3), 3); err == nil {
		t.Fatal("proof for leaf 3 of 3")
	}
}

// A leaf can never pass for an inner node: the two hashes are domain
// separated, so the root of two leaves is not the leaf hash of their
// concatenated hashes.
func TestLeafAndNodeAreSeparated(t *testing.T) {
	a, b := LeafHash([]byte("a")), LeafHash([]byte("b"))
	two := Root([]Hash{a, b})
	if two == LeafHash(append(a[:], b[:]...)) {
		t.Fatal("an inner node equals a leaf over the same bytes")
	}
}

// Split reads a stream chunk by chunk and agrees with hashing the chunks
// directly, for sizes around chunk boundaries; the callback sees each chunk.
func TestSplitStreams(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, size := range []int{0, 1, 63, 64, 65, 640, 1000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(r.Uint32())
			}
			var chunks [][]byte
			got, err := Split(bytes.NewReader(data), 64, func(i uint64, c []byte) error {
				if int(i) != len(chunks) {
					t.Fatalf("chunk %d out of order", i)
				}
				chunks = append(chunks, append([]byte(nil), c...))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Size != int64(size) || !bytes.Equal(bytes.Join(chunks, nil), data) {
				t.Fatalf("size %d, chunks rejoin to %d bytes", got.Size, len(bytes.Join(chunks, nil)))
			}
			if got.Root != Root(leavesOf(chunks)) || len(got.Leaves) != (size+63)/64 {
				t.Fatalf("root or leaves differ from hashing the chunks")
			}
		})
	}
	if _, err := Split(bytes.NewReader(nil), 0, nil); err == nil {
		t.Fatal("chunk size 0 accepted")
	}
	stop := errors.New("stop")
	if _, err := Split(bytes.NewReader(make([]byte, 200)), 64, func(uint64, []byte) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("callback error lost: %v", err)
	}
}

func BenchmarkSplit1GiBEquivalent(b *testing.B) {
	data := make([]byte, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Split(bytes.NewReader(data), DefaultChunk, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestProveAllMatchesProve(t *testing.T) {
	for n := 1; n <= 70; n++ {
		leaves := make([]Hash, n)
		for i := range leaves {
			leaves[i] = LeafHash([]byte{byte(i), byte(n)})
		}
		all := ProveAll(leaves)
		root := Root(leaves)
		for i := range leaves {
			one, err := Prove(leaves, uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			if len(one.Path) != len(all[i].Path) || one.Index != all[i].Index || one.Count != all[i].Count {
				t.Fatalf("n=%d leaf %d: %+v vs %+v", n, i, one, all[i])
			}
			for j := range one.Path {
				if one.Path[j] != all[i].Path[j] {
					t.Fatalf("n=%d leaf %d: path differs at %d", n, i, j)
				}
			}
			if err := all[i].Verify(root, leaves[i]); err != nil {
				t.Fatalf("n=%d leaf %d: %v", n, i, err)
			}
		}
	}
}
