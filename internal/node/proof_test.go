package node

import (
	"bytes"
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
