package node

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

// A bundle holds the records its audit takes: the committee only for an
// artifact with a certificate. An expired one keeps CertRotation 0, and an
// iDAO founded in rotation 0 has a committee there, which the node added
// and the auditor refused as a record the history does not use.
func TestAuditRecordsOfExpiredArtifact(t *testing.T) {
	committee := func(name string, rot uint64) (*idao.Committee, error) {
		return &idao.Committee{IDAO: name, Rotation: rot}, nil
	}
	sub := idao.Submit{IDAO: "data", Root: types.Hash{1}, Size: 10, ChunkSize: idao.MinChunkSize}
	ck := state.CommitteeKey("data", 0)
	for _, c := range []struct {
		status        idao.Status
		wantCommittee bool
	}{
		{idao.Pending, false},
		{idao.Expired, false},
		{idao.Attested, true},
	} {
		a := &idao.Artifact{ID: idao.ArtifactID(sub), Submit: sub, Status: c.status}
		keys, values := auditRecords(a, nil, committee)
		has := false
		for _, k := range keys {
			has = has || bytes.Equal(k, ck)
		}
		if has != c.wantCommittee || len(keys) != len(values) {
			t.Errorf("%s artifact: committee record %v, want %v", c.status, has, c.wantCommittee)
		}
	}
}

// A bundle carries at most MaxBundleEpochs epoch steps: a header further
// from from_epoch is refused with ErrTooManyEpochs before any step is
// read, so a client is told to page through GET /epochs instead.
func TestBundleEpochBound(t *testing.T) {
	n := &Node{chainID: "bound-test"}
	a := &idao.Artifact{ID: types.Hash{7}}
	for _, c := range []struct{ epoch, from uint64 }{
		{MaxBundleEpochs + 1, 0},
		{MaxBundleEpochs + 5000, 4000},
		{1 << 62, 0},
	} {
		b := &types.Block{Epoch: c.epoch}
		_, err := n.bundle(a, nil, b, &types.QC{Epoch: c.epoch}, nil, nil, nil, c.from)
		if !errors.Is(err, ErrTooManyEpochs) {
			t.Errorf("header in epoch %d from epoch %d: %v, want ErrTooManyEpochs", c.epoch, c.from, err)
		}
	}
}
