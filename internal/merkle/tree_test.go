package merkle

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestTreeMatchesProve checks the levelled tree against the recursive
// definition for every leaf of every size up to 70 and a few larger ones.
func TestTreeMatchesProve(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	sizes := []int{}
	for n := 0; n <= 70; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 127, 128, 129, 1000, 1025)
	for _, n := range sizes {
		leaves := make([]Hash, n)
		for i := range leaves {
			for b := range leaves[i] {
				leaves[i][b] = byte(rng.Uint32())
			}
		}
		tree := NewTree(leaves)
		if tree.Root() != Root(leaves) {
			t.Fatalf("%d leaves: tree root differs from Root", n)
		}
		for i := range uint64(n) {
			got, err := tree.Prove(i)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := Prove(leaves, i)
			if !reflect.DeepEqual(got.Path, want.Path) && !(len(got.Path) == 0 && len(want.Path) == 0) ||
				got.Index != want.Index || got.Count != want.Count {
				t.Fatalf("%d leaves, leaf %d: tree proof %+v, want %+v", n, i, got, want)
			}
			if err := got.Verify(tree.Root(), leaves[i]); err != nil {
				t.Fatalf("%d leaves, leaf %d: %v", n, i, err)
			}
		}
		if _, err := tree.Prove(uint64(n)); err == nil {
			t.Fatalf("%d leaves: proof of leaf %d past the end", n, n)
		}
	}
}

func BenchmarkProve(b *testing.B) {
	leaves := make([]Hash, 1<<14)
	for i := range leaves {
		leaves[i][0], leaves[i][1] = byte(i), byte(i>>8)
	}
	b.Run("recursive", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			Prove(leaves, uint64(i)%uint64(len(leaves)))
		}
	})
	tree := NewTree(leaves)
	b.Run("tree", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			tree.Prove(uint64(i) % uint64(len(leaves)))
		}
	})
}
