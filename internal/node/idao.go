package node

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lazchain/lazchain/internal/attestor"
	"github.com/lazchain/lazchain/internal/blobnet"
	"github.com/lazchain/lazchain/internal/p2p"
)

// buildIDAO wires the blob exchange (every node serves and fetches) and,
// on a validator, the committee duties: iDAO votes and certificates, and
// rulings on disputes, which every active validator makes. A paused
// validator does neither.
func (n *Node) buildIDAO() {
	n.blobnet = blobnet.New(n.blobs, n.host, n.log, func(p p2p.NodeID, why string) {
		n.metrics.rejected.WithLabelValues("bad_blob_data").Inc()
	})
	fault, err := attestor.ParseFault(n.cfg.IDAO.Fault)
	if err != nil {
		fault = attestor.Honest // config.Validate refuses it first; never lie by accident
		n.log.Error("ignoring idao.fault", "err", err)
	}
	if fault != attestor.Honest {
		n.log.Warn("BYZANTINE NODE: idao.fault is set; this validator votes every artifact valid and defends every disputed certificate. For fault-injection tests only: remove idao.fault from config.toml on a real network",
			"fault", string(fault), "paused", n.cfg.IDAO.Paused, "validator", n.blsKey != nil)
	}
	if n.blsKey == nil || n.cfg.IDAO.Paused {
		return
	}
	n.attestor = attestor.New(attestor.Config{
		ChainID: n.chainID, Key: n.blsKey, Chain: n.machine, Blobs: n.blobs, Fetch: n.blobnet.Fetch, Log: n.log,
		Send: func(to p2p.NodeID, payload []byte) bool { return n.host.Send(to, p2p.ChanIDAO, payload) },
		Submit: func(kind uint16, body []byte) error {
			_, err := n.submitOwn(kind, body)
			return err
		},
		Workers: n.cfg.IDAO.Workers, Verify: n.verifyHook, Fault: fault,
		Height: func() uint64 { return n.status.get().Height },
	})
	s := &n.attestor.Stats
	for name, c := range map[string]func() uint64{
		"lazchain_idao_verified_total":       s.Verified.Load,
		"lazchain_idao_invalid_total":        s.Invalid.Load,
		"lazchain_idao_votes_total":          s.Votes.Load,
		"lazchain_idao_certificates_total":   s.Certificates.Load,
		"lazchain_idao_fetch_failures_total": s.FetchFailures.Load,
		"lazchain_idao_ruling_votes_total":   s.RulingVotes.Load,
		"lazchain_idao_rulings_total":        s.Rulings.Load,
	} {
		n.metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: "iDAO committee work of this node."},
			func() float64 { return float64(c()) }))
	}
}

func (n *Node) runIDAO(ctx context.Context) {
	n.spawn(func() { n.blobnet.Run(ctx, 4) })
	if n.attestor != nil {
		n.spawn(func() { n.attestor.Run(ctx) })
	}
}

func (n *Node) onBlob(from p2p.NodeID, payload []byte) {
	if err := n.blobnet.Handle(from, payload); err != nil {
		n.metrics.rejected.WithLabelValues("malformed_blob").Inc()
	}
}

func (n *Node) onIDAOVote(from p2p.NodeID, payload []byte) {
	if n.attestor == nil {
		return
	}
	// Artifact, batch and ruling votes share the channel; the attestor
	// tells them apart by their first byte.
	if err := n.attestor.OnVote(from, payload); err != nil {
		n.metrics.rejected.WithLabelValues("bad_idao_vote").Inc()
	}
}
