package node

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// stallWatch notices a chain that stopped committing, which is otherwise
// silent: a cut-off validator only sends timeouts. It warns at most once a
// period while the stall lasts, and once when commits resume.
type stallWatch struct {
	after, every time.Duration

	last    atomic.Int64 // unix nanos of the last commit seen (or of the start)
	warned  time.Time    // driver only
	stalled bool         // driver only
}

func newStallWatch(after, every time.Duration, now time.Time) *stallWatch {
	w := &stallWatch{after: after, every: every}
	w.last.Store(now.UnixNano())
	return w
}

// committed notes a commit.
func (w *stallWatch) committed(now time.Time) { w.last.Store(now.UnixNano()) }

// check reports, at most once per every, that nothing committed for after;
// and once that commits resumed. It is called from the driver only.
func (w *stallWatch) check(now time.Time, log *slog.Logger, attrs func() []any) {
	since := now.Sub(time.Unix(0, w.last.Load()))
	switch {
	case since >= w.after && now.Sub(w.warned) >= w.every:
		w.warned, w.stalled = now, true
		log.Warn("no block committed", append([]any{"for", since.Round(time.Second)}, attrs()...)...)
	case since < w.after && w.stalled:
		w.stalled = false
		log.Info("committing again")
	}
}

// stallAttrs says where a stalled node stands: its round and epoch, and
// how much of the set's stake it is connected to.
func (n *Node) stallAttrs() []any {
	v := n.view()
	connected := map[int]bool{}
	for _, id := range n.host.Peers() {
		if i, ok := v.byNode[id]; ok {
			connected[i] = true
		}
	}
	var stake uint64
	for i := range connected {
		stake += v.set.StakeOf(i)
	}
	if v.self >= 0 {
		stake += v.set.StakeOf(v.self)
	}
	return []any{"round", n.core.Round(), "epoch", v.epoch.Number, "validators_connected", len(connected),
		"stake_reachable", stake, "stake_total", v.set.TotalStake()}
}

// failWatch turns a condition that only a gauge showed (the transaction
// index failing to write) into log lines: an error when it starts and
// once per every while it lasts, and a line when it clears. Driver only.
type failWatch struct {
	what   string
	every  time.Duration
	warned time.Time
	failed bool
}

func (w *failWatch) check(now time.Time, err error, log *slog.Logger) {
	switch {
	case err != nil && (!w.failed || now.Sub(w.warned) >= w.every):
		w.failed, w.warned = true, now
		log.Error(w.what+" failing", "err", err)
	case err == nil && w.failed:
		w.failed = false
		log.Info(w.what + " recovered")
	}
}
