package sim

import (
	"container/heap"
	"sort"
)

// eventKind orders what can happen at a virtual instant.
type eventKind int

const (
	evDeliver eventKind = iota
	evTimer
	evPayload
	evCrash
	evRestart
	evFaultTick
	evHeal
)

type event struct {
	at    uint64
	seq   uint64 // tie-break: insertion order, so equal times stay deterministic
	kind  eventKind
	node  int
	from  int
	data  []byte
	gen   uint64 // timer generation or payload round
	round uint64 // the round a timer was set for
	part  [][]int
}

type queue []*event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type scheduler struct {
	q   queue
	seq uint64
	now uint64
}

func (s *scheduler) push(e *event) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.q, e)
}

func (s *scheduler) pop() *event {
	if len(s.q) == 0 {
		return nil
	}
	e := heap.Pop(&s.q).(*event)
	s.now = e.at
	return e
}

func sortStrings(s []string) []string {
	sort.Strings(s)
	return s
}
