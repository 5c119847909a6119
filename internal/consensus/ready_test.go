package consensus_test

import (
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// Merge keeps every action of both Readies, in order, and the later value
// of each single-valued field, so one write can stand for both.
func TestReadyMerge(t *testing.T) {
	g := types.GenesisBlock(testChain, testEpoch)
	b1 := types.NewBlock(testEpoch, 1, 1, types.GenesisQC(testEpoch, g.ID()), 0, nil)
	b2 := types.NewBlock(testEpoch, 2, 2, &types.QC{Epoch: testEpoch, Round: 1, BlockID: b1.ID()}, 1, nil)
	qc1, qc2 := &types.QC{Epoch: testEpoch, Round: 1, BlockID: b1.ID()}, &types.QC{Epoch: testEpoch, Round: 2, BlockID: b2.ID()}
	first := consensus.Ready{
		Blocks: []*types.Block{b1}, HighQC: qc1, Committed: []*types.Block{g}, CommitQC: qc1,
		Messages: []consensus.Outbound{{To: 1, Msg: &types.Vote{Round: 1}}},
		Timer:    &consensus.Timer{Round: 2, Ticks: 10}, Payload: &consensus.PayloadRequest{Round: 2},
	}
	cases := []struct {
		name  string
		next  consensus.Ready
		check func(t *testing.T, r consensus.Ready)
	}{
		{"empty next changes nothing", consensus.Ready{}, func(t *testing.T, r consensus.Ready) {
			if len(r.Blocks) != 1 || r.HighQC != qc1 || r.CommitQC != qc1 || r.Timer.Round != 2 || r.Payload == nil || len(r.Messages) != 1 {
				t.Errorf("merged %+v", r)
			}
		}},
		{"later actions append, later values win", consensus.Ready{
			Blocks: []*types.Block{b2}, HighQC: qc2, Committed: []*types.Block{b1}, CommitQC: qc2,
			Messages: []consensus.Outbound{{To: consensus.Broadcast, Msg: &types.Vote{Round: 2}}},
			Timer:    &consensus.Timer{Round: 3, Ticks: 10},
		}, func(t *testing.T, r consensus.Ready) {
			if len(r.Blocks) != 2 || r.Blocks[0] != b1 || r.Blocks[1] != b2 {
				t.Errorf("blocks %v", r.Blocks)
			}
			if len(r.Committed) != 2 || r.Committed[0] != g || r.Committed[1] != b1 {
				t.Errorf("committed %v", r.Committed)
			}
			if len(r.Messages) != 2 || r.Messages[1].To != consensus.Broadcast {
				t.Errorf("messages %v", r.Messages)
			}
			if r.HighQC != qc2 || r.CommitQC != qc2 || r.Timer.Round != 3 {
				t.Errorf("single values: high %v commit %v timer %v", r.HighQC, r.CommitQC, r.Timer)
			}
			if r.Payload == nil || r.Payload.Round != 2 {
				t.Errorf("payload %v: an absent later value must not clear it", r.Payload)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := first
			r.Blocks = append([]*types.Block(nil), first.Blocks...)
			r.Committed = append([]*types.Block(nil), first.Committed...)
			r.Messages = append([]consensus.Outbound(nil), first.Messages...)
			r.Merge(c.next)
			c.check(t, r)
		})
	}
}
