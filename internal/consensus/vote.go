package consensus

import (
	"github.com/lazchain/lazchain/internal/types"
)

// voteBook collects votes per round and block until they form a QC.
// Signatures are checked lazily: once the unverified votes for a block
// carry a quorum, their aggregate is verified with one pairing check, and
// only if that fails is each vote checked alone (and the bad ones dropped).
type voteBook struct {
	rounds map[uint64]*roundVotes
}

type roundVotes struct {
	voted  map[uint32]types.Hash // voter -> block, to spot double votes
	blocks map[types.Hash]*blockVotes
	failed map[uint32]int // voter -> votes whose signature failed
	// reported counts the double votes reported per voter: each report
	// costs the driver up to two signature checks, and a voter may send
	// any number of conflicting votes (maxReports, so that one forged vote
	// cannot hide a real double vote behind it).
	reported map[uint32]int
	done     bool // a QC formed for this round
}

const maxReports = 2

// maxFailedVotes is how many votes with bad signatures a voter may send in
// a round before the rest of its votes there are dropped unread. A bad
// vote costs the round's quorum check and a check of each vote; with any
// validator tallying votes (see onVote), a faulty voter could otherwise
// make every validator repeat them for as long as a round lasts.
const maxFailedVotes = 2

type blockVotes struct {
	sigs     map[uint32][]byte
	verified map[uint32]bool
	stake    uint64
}

// maxFutureRounds bounds how far ahead of its round a core keeps votes and
// timeouts, so that signed messages for far-off rounds cannot fill memory.
// A core that is really behind catches up through the certificates those
// messages carry, which are processed before this check.
const maxFutureRounds = 100

func newVoteBook() *voteBook { return &voteBook{rounds: map[uint64]*roundVotes{}} }

// prune forgets rounds that can no longer form a useful QC.
func (vb *voteBook) prune(current uint64) {
	for r := range vb.rounds {
		if r+1 < current {
			delete(vb.rounds, r)
		}
	}
}

func (c *Core) onVote(from int, v *types.Vote) {
	switch {
	case v.Epoch != c.set.Epoch:
		c.drop(DropWrongEpoch)
	case int(v.Voter) >= c.set.Len() || from != int(v.Voter):
		// Only the voter itself may deliver its vote: votes are tallied
		// before their signatures are checked, so one relayed by anyone
		// else (From -1) could take the voter's place in the round.
		c.drop(DropUnknownSender)
	case v.Round+1 < c.round:
		c.drop(DropStaleRound)
	case v.Round > c.round+maxFutureRounds:
		c.drop(DropFutureRound)
	default:
		// Taken whoever collects the round: a driver whose next leader is
		// unreachable (crashed, cut off) sends its vote to every
		// validator, so that the others form the QC and carry it in their
		// timeouts, and only the dead leader's own round is lost. A round
		// forms one QC here at most; bad signatures cost at most
		// maxFailedVotes checks per voter and round.
		c.addVote(int(v.Voter), v)
	}
}

// addVote records v (from validator idx) and forms a QC if it completes one.
func (c *Core) addVote(idx int, v *types.Vote) {
	rv := c.votes.rounds[v.Round]
	if rv == nil {
		rv = &roundVotes{voted: map[uint32]types.Hash{}, blocks: map[types.Hash]*blockVotes{}, failed: map[uint32]int{}, reported: map[uint32]int{}}
		c.votes.rounds[v.Round] = rv
	}
	voter := uint32(idx)
	if rv.failed[voter] >= maxFailedVotes {
		c.drop(DropBadSignature)
		return
	}
	if prev, ok := rv.voted[voter]; ok {
		if prev != v.BlockID {
			c.drop(DropEquivocation)
			c.reportEquivocation(rv, prev, v)
		} else {
			c.drop(DropDuplicate)
		}
		return
	}
	if rv.done && c.takeLate(rv, voter, v) {
		return
	}
	if rv.done || v.Round <= c.highQC.Round {
		// A QC for this round is already known (formed here, or taken from
		// a proposal): another would cost a pairing check and move nothing.
		return
	}
	bv := rv.blocks[v.BlockID]
	if bv == nil {
		bv = &blockVotes{sigs: map[uint32][]byte{}, verified: map[uint32]bool{}}
		rv.blocks[v.BlockID] = bv
	}
	rv.voted[voter] = v.BlockID
	bv.sigs[voter] = v.Sig
	bv.verified[voter] = idx == c.cfg.Self
	bv.stake += c.set.StakeOf(idx)
	if bv.stake < c.set.QuorumStake() {
		return
	}
	if qc := c.formQC(v.Round, v.BlockID, rv, bv); qc != nil {
		rv.done = true
		c.stats.QCs++
		c.keepLate(qc, rv, bv)
		// Only the next leader announces (onCertified takes no other's):
		// others form QCs from votes sent to everyone when it is down.
		if !c.cfg.BroadcastVotes && c.Leader(v.Round+1) == c.cfg.Self {
			c.send(Broadcast, &types.Certified{QC: qc})
		}
		c.processQC(qc)
	}
}

// onCertified takes a QC announced by the leader that formed it. Only
// that leader may announce it, only the QC that ends this core's current
// round is taken, and only the first announcement of a round is checked:
// a Byzantine validator costs the others at most one pairing check per
// round whose successor it leads, as its proposal could anyway, and
// cannot spoil the announcements of other rounds. An announcement for a
// block this core lacks is ignored: the block's proposal is most likely
// still on its way (a large one travels slower than the announcement),
// and fetching it would send it twice. A core that is behind or ahead
// gets the QC from the next proposal, as without announcements.
func (c *Core) onCertified(from int, qc *types.QC) {
	switch {
	case qc == nil || qc.Epoch != c.set.Epoch:
		c.drop(DropWrongEpoch)
	case from < 0 || from != c.Leader(qc.Round+1):
		c.drop(DropNotLeader)
	case qc.Round != c.round || qc.Round <= c.highQC.Round || !c.tree.has(qc.BlockID):
		// Not this round's, old news, or ahead of its block.
	case qc.Round <= c.announced:
		c.drop(DropDuplicate) // a second try after a QC that failed its check
	default:
		c.announced = qc.Round
		if c.verifyQC(qc) {
			c.processQC(qc)
		}
	}
}

// reportEquivocation hands the driver both votes of a double voter, if the
// first one's signature is still held.
func (c *Core) reportEquivocation(rv *roundVotes, prev types.Hash, v *types.Vote) {
	bv := rv.blocks[prev]
	if bv == nil || bv.sigs[v.Voter] == nil || rv.reported[v.Voter] >= maxReports {
		return
	}
	rv.reported[v.Voter]++
	c.ready.Equivocations = append(c.ready.Equivocations, Equivocation{Kind: EquivocatedVote, Epoch: v.Epoch, Round: v.Round,
		Signer: v.Voter, BlockA: prev, BlockB: v.BlockID, SigA: bv.sigs[v.Voter], SigB: v.Sig})
}

// formQC aggregates the block's votes and verifies the aggregate. On
// failure it checks votes one by one, removes the invalid ones, and tries
// again if a quorum of valid votes remains.
func (c *Core) formQC(round uint64, id types.Hash, rv *roundVotes, bv *blockVotes) *types.QC {
	msg := types.VoteSigningBytes(c.set.ChainID, c.set.Epoch, round, id)
	for attempt := 0; attempt < 2; attempt++ {
		qc := c.aggregateVotes(round, id, bv)
		if qc != nil && c.set.VerifyAggregate(qc.Signers, msg, qc.Sig) == nil {
			c.verified[id] = qc
			return qc
		}
		c.weedVotes(msg, rv, bv)
		if bv.stake < c.set.QuorumStake() {
			return nil
		}
	}
	return nil
}

func (c *Core) aggregateVotes(round uint64, id types.Hash, bv *blockVotes) *types.QC {
	signers := types.NewBitmap(c.set.Len())
	sigs := make([][]byte, 0, len(bv.sigs))
	for i := 0; i < c.set.Len(); i++ { // index order: deterministic aggregate bytes
		if s, ok := bv.sigs[uint32(i)]; ok {
			signers.Set(i)
			sigs = append(sigs, s)
		}
	}
	agg, err := c.set.Scheme.Aggregate(sigs)
	if err != nil {
		return nil
	}
	return &types.QC{Epoch: c.set.Epoch, Round: round, BlockID: id, Signers: signers, Sig: agg}
}

// weedVotes verifies each not-yet-verified vote alone and drops bad ones,
// forgetting that their voter voted so that a valid vote can still count.
func (c *Core) weedVotes(msg []byte, rv *roundVotes, bv *blockVotes) {
	for i := 0; i < c.set.Len(); i++ {
		voter := uint32(i)
		s, ok := bv.sigs[voter]
		if !ok || bv.verified[voter] {
			continue
		}
		if c.set.VerifySig(i, msg, s) != nil {
			delete(bv.sigs, voter)
			delete(bv.verified, voter)
			delete(rv.voted, voter)
			rv.failed[voter]++
			bv.stake -= c.set.StakeOf(i)
			c.drop(DropBadSignature)
			continue
		}
		bv.verified[voter] = true
	}
}
