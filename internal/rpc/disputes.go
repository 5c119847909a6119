package rpc

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/node"
	"github.com/lazchain/lazchain/internal/types"
)

// Page sizes of the list routes.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// DisputeView is GET /disputes/{id}.
type DisputeView struct {
	ID         string `json:"id"`
	Artifact   string `json:"artifact"`
	IDAO       string `json:"idao"`
	Claim      string `json:"claim"` // wrong-verdict, wrong-digest or unavailable
	Challenger string `json:"challenger"`
	Bond       uint64 `json:"bond"`
	Opened     uint64 `json:"opened"`   // height
	Deadline   uint64 `json:"deadline"` // last height at which a ruling is accepted
	Status     string `json:"status"`   // open, upheld, rejected, expired or superseded
	Closed     uint64 `json:"closed,omitempty"`
	// The disputed certificate's verdict and digest, as they were when the
	// dispute opened.
	CertVerdict string          `json:"cert_verdict"`
	CertDigest  string          `json:"cert_digest"`
	Note        string          `json:"note,omitempty"`
	FraudProof  *FraudProofView `json:"fraud_proof,omitempty"`
	Ruling      *RulingView     `json:"ruling,omitempty"`
}

// FraudProofView summarizes a dispute's fraud proof; the chunk itself is
// in the challenge transaction.
type FraudProofView struct {
	ChunkIndex uint64 `json:"chunk_index"`
	ChunkSize  int    `json:"chunk_size"`
	PathLength int    `json:"path_length"`
}

// RulingView is the escalation committee's ruling on a dispute.
type RulingView struct {
	ForChallenger bool   `json:"for_challenger"`
	Verdict       string `json:"verdict"` // what the committee's re-run gave: valid | invalid
	Digest        string `json:"digest"`
	Reason        string `json:"reason,omitempty"`
	Epoch         uint64 `json:"epoch"`
	Signers       []int  `json:"signers"` // indices into that epoch's validator set
	SignedPower   uint64 `json:"signed_power"`
	TotalPower    uint64 `json:"total_power"`
	Slashed       uint64 `json:"slashed"`
	SlashedCount  uint32 `json:"slashed_count"`
	Reward        uint64 `json:"reward"`
	Height        uint64 `json:"height"` // at which it was recorded
}

// DisputesView is GET /disputes; Next, when set, is the after= of the
// next page.
type DisputesView struct {
	Disputes []DisputeView `json:"disputes"`
	Next     string        `json:"next,omitempty"`
}

func verdictName(v bool) string {
	if v {
		return "valid"
	}
	return "invalid"
}

func disputeView(d *idao.Dispute) DisputeView {
	v := DisputeView{ID: hex.EncodeToString(d.ID[:]), Artifact: hex.EncodeToString(d.Artifact[:]), IDAO: d.IDAO,
		Claim: d.Claim.String(), Challenger: d.Challenger.String(), Bond: d.Bond, Opened: d.Opened, Deadline: d.Deadline,
		Status: d.Status.String(), Closed: d.Closed, CertVerdict: verdictName(d.CertVerdict),
		CertDigest: hex.EncodeToString(d.CertDigest[:]), Note: d.Note}
	if p := d.Proof; p != nil {
		v.FraudProof = &FraudProofView{ChunkIndex: p.Index, ChunkSize: len(p.Chunk), PathLength: len(p.Path)}
	}
	if j := d.Ruling; j != nil {
		v.Ruling = &RulingView{ForChallenger: j.ForChallenger, Verdict: verdictName(j.Verdict), Digest: hex.EncodeToString(j.Digest[:]),
			Reason: j.Reason, Epoch: j.Epoch, Signers: j.Signers.Indices(), SignedPower: j.SignedPower, TotalPower: j.TotalPower,
			Slashed: j.Slashed, SlashedCount: j.SlashedCount, Reward: j.Reward, Height: d.Closed}
	}
	return v
}

// disputeStatuses are the names of the dispute statuses, in order.
func disputeStatuses() []string {
	var out []string
	for st := idao.DisputeOpen; st <= idao.DisputeSuperseded; st++ {
		out = append(out, st.String())
	}
	return out
}

func parseDisputeStatus(s string) (idao.DisputeStatus, bool) {
	for st := idao.DisputeOpen; st <= idao.DisputeSuperseded; st++ {
		if st.String() == s {
			return st, true
		}
	}
	return 0, false
}

// queryLimit reads ?limit=, 1..maxLimit and defaultLimit when absent; a
// limit out of range is refused rather than clamped, so a client never
// mistakes a short page for the end.
func queryLimit(w http.ResponseWriter, q url.Values) (int, bool) {
	l := q.Get("limit")
	if l == "" {
		return defaultLimit, true
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > maxLimit {
		writeError(w, http.StatusBadRequest, "bad_limit", fmt.Sprintf("limit %q: want 1..%d", l, maxLimit))
		return 0, false
	}
	return n, true
}

// queryHash reads an optional id parameter; nil when absent.
func queryHash(w http.ResponseWriter, q url.Values, name, what string) (*types.Hash, bool) {
	s := q.Get(name)
	if s == "" {
		return nil, true
	}
	h, err := parseHash(s)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_"+name, fmt.Sprintf("%s must be %s (64 hex characters)", name, what))
		return nil, false
	}
	return &h, true
}

// dispute serves GET /disputes/{id}.
func (s *Server) dispute(w http.ResponseWriter, r *http.Request) {
	id, err := parseHash(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_id", "dispute id must be 64 hex characters")
		return
	}
	d, err := s.n.Dispute(id)
	if !s.ok(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, disputeView(d))
}

// disputes serves GET /disputes?status=&artifact=&after=&limit=, in id
// order. An unknown artifact is 404, as an unknown iDAO is on /artifacts.
func (s *Server) disputes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := node.DisputeFilter{}
	limit, ok := queryLimit(w, q)
	if !ok {
		return
	}
	f.Limit = limit
	after, ok := queryHash(w, q, "after", "a dispute id")
	if !ok {
		return
	}
	if after != nil {
		f.After = *after
	}
	if f.Artifact, ok = queryHash(w, q, "artifact", "an artifact id"); !ok {
		return
	}
	if st := q.Get("status"); st != "" {
		if f.Status, ok = parseDisputeStatus(st); !ok {
			writeError(w, http.StatusBadRequest, "bad_status", "status must be one of "+strings.Join(disputeStatuses(), ", "))
			return
		}
	}
	list, err := s.n.Disputes(f)
	if !s.ok(w, err) {
		return
	}
	out := DisputesView{Disputes: make([]DisputeView, 0, len(list))}
	for _, d := range list {
		out.Disputes = append(out.Disputes, disputeView(d))
	}
	if len(out.Disputes) == f.Limit {
		out.Next = out.Disputes[len(out.Disputes)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}
