// Package bulk marks the calling goroutine's OS thread as bulk work for
// the kernel's scheduler: CPU-heavy work whose latency does not matter,
// such as checking a mempool's transaction signatures, sharing cores with
// work whose latency does, such as a consensus round.
//
// Four validators on two cores keep both busy. A round is a chain of
// short steps (decode a proposal, write it, send a vote), each on a thread
// that has just woken and must wait for a core held by another process's
// signature checks. On Linux the thread is moved to SCHED_BATCH, which
// keeps its share of the CPU (no starvation, unlike a lower nice value)
// but never preempts a thread on waking, and given a long time slice:
// since Linux 6.12 the EEVDF scheduler sets a task's virtual deadline one
// slice ahead, so a thread woken with the default, shorter slice runs
// before the bulk thread's slice is out. Older kernels ignore the slice.
//
// The goroutine stays locked to the thread for the rest of its life, and
// the thread ends with it, so no other goroutine ever runs with these
// settings.
package bulk
