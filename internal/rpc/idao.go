package rpc

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/types"
)

// PolicyView is an iDAO policy.
type PolicyView struct {
	Kinds           []string `json:"kinds"`
	Threshold       string   `json:"threshold"` // "2/3": a certificate needs more than this of committee stake
	CommitteeSize   uint32   `json:"committee_size"`
	ChallengeWindow uint64   `json:"challenge_window"`
	DisputeBond     uint64   `json:"dispute_bond"`
	SubmitFee       uint64   `json:"submit_fee"`
}

// SeatView is one committee seat.
type SeatView struct {
	Operator string `json:"operator"`
	Power    uint64 `json:"power"`
}

// CommitteeView is an iDAO's committee for one rotation.
type CommitteeView struct {
	Rotation uint64     `json:"rotation"`
	Seed     string     `json:"seed"`
	Power    uint64     `json:"power"`
	Seats    []SeatView `json:"seats"`
}

// ProposalView is an open proposal.
type ProposalView struct {
	ID       uint64      `json:"id"`
	Action   string      `json:"action"`
	Member   string      `json:"member,omitempty"`
	Policy   *PolicyView `json:"policy,omitempty"`
	Proposer string      `json:"proposer"`
	Expires  uint64      `json:"expires"`
	Yes      []string    `json:"yes"`
	No       []string    `json:"no"`
}

// IDAOView is GET /idaos/{name}.
type IDAOView struct {
	Name      string         `json:"name"`
	Creator   string         `json:"creator"`
	Created   uint64         `json:"created"`
	Policy    PolicyView     `json:"policy"`
	Members   []string       `json:"members"`
	Dissolved bool           `json:"dissolved"`
	Proposals []ProposalView `json:"proposals"`
	Committee *CommitteeView `json:"committee,omitempty"`
}

func policyView(p idao.Policy) PolicyView {
	v := PolicyView{Threshold: fmt.Sprintf("%d/%d", p.ThresholdNum, p.ThresholdDen), CommitteeSize: p.CommitteeSize,
		ChallengeWindow: p.ChallengeWindow, DisputeBond: p.DisputeBond, SubmitFee: p.SubmitFee, Kinds: []string{}}
	for _, k := range p.Kinds {
		v.Kinds = append(v.Kinds, k.String())
	}
	return v
}

func committeeView(c *idao.Committee) *CommitteeView {
	v := &CommitteeView{Rotation: c.Rotation, Seed: hex.EncodeToString(c.Seed[:]), Power: c.Power(), Seats: []SeatView{}}
	for _, s := range c.Seats {
		v.Seats = append(v.Seats, SeatView{Operator: hex.EncodeToString(s.Operator[:]), Power: s.Power})
	}
	return v
}

func idaoView(st *idao.State, d *idao.IDAO) IDAOView {
	v := IDAOView{Name: d.Name, Creator: d.Creator.String(), Created: d.Created, Policy: policyView(d.Policy),
		Members: []string{}, Dissolved: d.Dissolved, Proposals: []ProposalView{}}
	for _, m := range d.Members {
		v.Members = append(v.Members, m.String())
	}
	for _, p := range d.Proposals {
		pv := ProposalView{ID: p.ID, Action: p.Action.String(), Proposer: p.Proposer.String(), Expires: p.Expires, Yes: []string{}, No: []string{}}
		if p.Action == idao.AddMember || p.Action == idao.RemoveMember {
			pv.Member = p.Member.String()
		}
		if p.Action == idao.SetPolicy {
			pol := policyView(p.Policy)
			pv.Policy = &pol
		}
		for _, a := range p.Yes {
			pv.Yes = append(pv.Yes, a.String())
		}
		for _, a := range p.No {
			pv.No = append(pv.No, a.String())
		}
		v.Proposals = append(v.Proposals, pv)
	}
	rot, _ := st.Rotation()
	if c, ok := st.Committee(d.Name, rot); ok {
		v.Committee = committeeView(c)
	}
	return v
}

func (s *Server) idaos(w http.ResponseWriter, _ *http.Request) {
	st := s.n.IDAOState()
	rot, seed := st.Rotation()
	out := []IDAOView{}
	for _, d := range st.IDAOs() {
		out = append(out, idaoView(st, d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"rotation": rot, "seed": hex.EncodeToString(seed[:]), "idaos": out})
}

func (s *Server) idao(w http.ResponseWriter, r *http.Request) {
	st := s.n.IDAOState()
	name := r.PathValue("name")
	d, ok := st.IDAO(name)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no idao %q", name))
		return
	}
	writeJSON(w, http.StatusOK, idaoView(st, d))
}

// committee serves GET /idaos/{name}/committees/{rotation}.
func (s *Server) committee(w http.ResponseWriter, r *http.Request) {
	rot, err := strconv.ParseUint(r.PathValue("rotation"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_rotation", "rotation must be a non-negative integer")
		return
	}
	c, err := s.n.Committee(r.PathValue("name"), rot)
	if !s.ok(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, committeeView(c))
}

// ArtifactView is GET /artifacts/{id}.
type ArtifactView struct {
	ID          string           `json:"id"`
	IDAO        string           `json:"idao"`
	Kind        string           `json:"kind"`
	Root        string           `json:"root"`
	Size        uint64           `json:"size"`
	ChunkSize   uint32           `json:"chunk_size"`
	Name        string           `json:"name"`
	Description string           `json:"description,omitempty"`
	License     string           `json:"license,omitempty"`
	Format      string           `json:"format"`
	Schema      string           `json:"schema,omitempty"`
	Claim       string           `json:"claim,omitempty"`
	Verifier    string           `json:"verifier,omitempty"`
	Fee         uint64           `json:"fee"`
	Submitter   string           `json:"submitter"`
	Height      uint64           `json:"height"`
	Rotation    uint64           `json:"rotation"`
	Status      string           `json:"status"`            // pending, attested, disputed or overturned
	Verdict     string           `json:"verdict,omitempty"` // valid | invalid, once settled; an overturn's replaces the certificate's
	Digest      string           `json:"digest,omitempty"`
	Reason      string           `json:"reason,omitempty"` // why invalid
	Certificate *CertificateView `json:"certificate,omitempty"`
	// Final is set once nothing can change the verdict: attested with the
	// challenge window closed and no dispute open, or overturned (an
	// overturned verdict cannot be disputed).
	Final        bool     `json:"final"`
	Disputes     []string `json:"disputes"` // ids, in the order they were opened
	OverturnedBy string   `json:"overturned_by,omitempty"`
}

// CertificateView is the anchored certificate of an artifact.
type CertificateView struct {
	Height         uint64 `json:"height"`
	Rotation       uint64 `json:"rotation"`
	Signers        []int  `json:"signers"`
	SignedPower    uint64 `json:"signed_power"`
	CommitteePower uint64 `json:"committee_power"`
	Signature      string `json:"signature"`
	ChallengeEnd   uint64 `json:"challenge_end"`
}

// artifactView renders a as of committed height tip.
func artifactView(a *idao.Artifact, tip uint64) ArtifactView {
	s := a.Submit
	v := ArtifactView{ID: hex.EncodeToString(a.ID[:]), IDAO: s.IDAO, Kind: s.Kind.String(), Root: hex.EncodeToString(s.Root[:]),
		Size: s.Size, ChunkSize: s.ChunkSize, Name: s.Name, Description: s.Description, License: s.License, Format: s.Format,
		Schema: string(s.Schema), Verifier: s.Verifier, Fee: s.Fee, Submitter: a.Submitter.String(),
		Height: a.Height, Rotation: a.Rotation, Status: a.Status.String(), Final: final(a, tip), Disputes: hexList(a.Disputes)}
	if s.Claim != (types.Hash{}) {
		v.Claim = hex.EncodeToString(s.Claim[:])
	}
	if a.OverturnedBy != (types.Hash{}) {
		v.OverturnedBy = hex.EncodeToString(a.OverturnedBy[:])
	}
	if a.Settled() {
		v.Verdict = "invalid"
		if a.Verdict {
			v.Verdict = "valid"
		}
		v.Digest, v.Reason = hex.EncodeToString(a.Digest[:]), a.Reason
		v.Certificate = &CertificateView{Height: a.AttestHeight, Rotation: a.CertRotation, Signers: a.Signers.Indices(),
			SignedPower: a.SignedPower, CommitteePower: a.CommitteePower, Signature: hex.EncodeToString(a.Sig), ChallengeEnd: a.ChallengeEnd}
	}
	return v
}

// final reports whether a's verdict can no longer change at committed
// height tip. An attested verdict can be disputed up to ChallengeEnd; a
// disputed one waits for its disputes; an overturned one is refused by
// every challenge, so it is final at once.
func final(a *idao.Artifact, tip uint64) bool {
	switch a.Status {
	case idao.Attested:
		return tip > a.ChallengeEnd
	case idao.Overturned, idao.Expired:
		return true
	}
	return false
}

func hexList(hs []types.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

// artifactStatuses are the names GET /artifacts?status= accepts.
var artifactStatuses = []string{idao.Pending.String(), idao.Attested.String(), idao.Disputed.String(), idao.Overturned.String(), idao.Expired.String()}

func (s *Server) artifact(w http.ResponseWriter, r *http.Request) {
	id, err := parseHash(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_id", "artifact id must be 64 hex characters")
		return
	}
	a, err := s.n.Artifact(id)
	if !s.ok(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, artifactView(a, s.n.Status().Height))
}

// artifacts serves GET /artifacts?idao=&status=&verdict=&after=&limit=.
func (s *Server) artifacts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := queryLimit(w, q)
	if !ok {
		return
	}
	afterID, ok := queryHash(w, q, "after", "an artifact id")
	if !ok {
		return
	}
	var after types.Hash
	if afterID != nil {
		after = *afterID
	}
	status, verdict := q.Get("status"), q.Get("verdict")
	if status != "" && !slices.Contains(artifactStatuses, status) {
		writeError(w, http.StatusBadRequest, "bad_status", "status must be one of "+strings.Join(artifactStatuses, ", "))
		return
	}
	if verdict != "" && verdict != "valid" && verdict != "invalid" {
		writeError(w, http.StatusBadRequest, "bad_verdict", "verdict must be valid or invalid")
		return
	}
	name := q.Get("idao")
	if name != "" {
		if _, ok := s.n.IDAOState().IDAO(name); !ok {
			writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no idao %q", name))
			return
		}
	}
	tip := s.n.Status().Height
	keep := func(a *idao.Artifact) bool {
		v := artifactView(a, tip)
		return (status == "" || v.Status == status) && (verdict == "" || v.Verdict == verdict)
	}
	list, err := s.n.Artifacts(name, after, limit, keep)
	if !s.ok(w, err) {
		return
	}
	out := make([]ArtifactView, 0, len(list))
	for _, a := range list {
		out = append(out, artifactView(a, tip))
	}
	resp := map[string]any{"artifacts": out}
	if len(out) == limit {
		resp["next"] = out[len(out)-1].ID
	}
	writeJSON(w, http.StatusOK, resp)
}

// EventView is one event of a block's audit trail.
type EventView struct {
	Height   uint64 `json:"height"`
	Index    int    `json:"index"`
	Type     string `json:"type"`
	IDAO     string `json:"idao,omitempty"`
	Artifact string `json:"artifact,omitempty"`
	Detail   string `json:"detail"`
}

// blockEvents serves GET /blocks/{height}/events.
func (s *Server) blockEvents(w http.ResponseWriter, r *http.Request) {
	h, err := strconv.ParseUint(r.PathValue("height"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_height", fmt.Sprintf("height %q is not a non-negative integer", r.PathValue("height")))
		return
	}
	if h > s.n.Status().Height {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("height %d is not committed yet", h))
		return
	}
	evs, err := s.n.Events(h)
	if !s.ok(w, err) {
		return
	}
	out := make([]EventView, 0, len(evs))
	for i, e := range evs {
		out = append(out, eventView(h, i, e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"height": h, "events": out})
}
