package node

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/lazchain/lazchain/internal/types"
)

// observed returns the sample count and sum of one phase.
func observed(t *testing.T, reg *prometheus.Registry, phase string) (uint64, float64) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "lazchain_round_phase_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			if labelIs(m, "phase", phase) {
				return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
			}
		}
	}
	return 0, 0
}

func labelIs(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

func TestPhases(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	proposal := func(round uint64) types.Message {
		return &types.Proposal{Block: &types.Block{Round: round}}
	}
	vote := func(round uint64) types.Message { return &types.Vote{Round: round} }
	type event func(p *phases)
	stepped := func(m types.Message, queued, now int) event {
		return func(p *phases) { p.stepped(m, at(queued), at(now)) }
	}
	sent := func(m types.Message, now int) event { return func(p *phases) { p.sent(m, at(now)) } }
	asked := func(round uint64, now int) event { return func(p *phases) { p.asked(round, at(now)) } }
	entered := func(round uint64, now int) event { return func(p *phases) { p.entered(round, at(now)) } }

	type want struct {
		count uint64
		sumMs float64
	}
	tests := []struct {
		name   string
		events []event
		want   map[string]want
	}{
		{"vote timed from the proposal's step", []event{
			stepped(proposal(7), 10, 12), sent(vote(7), 15),
		}, map[string]want{"inbox": {1, 2}, "vote": {1, 3}, "propose": {0, 0}}},
		{"a vote for another round is not timed", []event{
			stepped(proposal(7), 10, 10), sent(vote(6), 15),
		}, map[string]want{"vote": {0, 0}}},
		{"a second vote for the round is not timed again", []event{
			stepped(proposal(7), 10, 10), sent(vote(7), 15), sent(vote(7), 20),
		}, map[string]want{"vote": {1, 5}}},
		{"propose timed from the first ask", []event{
			asked(8, 100), asked(8, 104), sent(proposal(8), 109),
		}, map[string]want{"propose": {1, 9}, "vote": {0, 0}}},
		{"a lone validator asks for the next round before its proposal leaves", []event{
			asked(1, 100), asked(2, 103), sent(proposal(1), 104), sent(proposal(2), 110),
		}, map[string]want{"propose": {2, 4 + 7}}},
		{"a proposal for a round not asked for is not timed", []event{
			asked(8, 100), sent(proposal(9), 109),
		}, map[string]want{"propose": {0, 0}}},
		{"rounds entered together share the time", []event{
			entered(3, 0), entered(4, 10), entered(4, 15), entered(6, 40),
		}, map[string]want{"round": {3, 40}}},
		{"a new epoch's core restarts the clock", []event{
			entered(50, 0), entered(1, 10), entered(2, 30),
		}, map[string]want{"round": {1, 20}}},
		{"catching up many rounds is not round time", []event{
			entered(1, 0), entered(1+maxRoundJump+1, 500), entered(2+maxRoundJump+1, 510),
		}, map[string]want{"round": {1, 10}}},
		{"a message with no queue time only marks the proposal", []event{
			func(p *phases) { p.stepped(proposal(2), time.Time{}, at(5)) }, sent(vote(2), 6),
		}, map[string]want{"inbox": {0, 0}, "vote": {1, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			p := newPhases(reg)
			for _, e := range tt.events {
				e(p)
			}
			for phase, w := range tt.want {
				n, sum := observed(t, reg, phase)
				if n != w.count || math.Abs(sum*1000-w.sumMs) > 1e-6 {
					t.Errorf("%s: %d samples summing to %.3f ms, want %d summing to %.3f ms", phase, n, sum*1000, w.count, w.sumMs)
				}
			}
		})
	}
}
