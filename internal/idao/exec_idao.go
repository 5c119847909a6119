package idao

import (
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/lazchain/lazchain/internal/staking"
)

func hexShort(b []byte) string { return hex.EncodeToString(b[:8]) }

func (s *State) execCreate(ctx Ctx, sender staking.Address, body []byte) *Failure {
	c, err := DecodeCreate(body)
	if err != nil {
		return badBody(err)
	}
	if !ValidName(c.Name) {
		return fail(BadName, "%q: want 1-64 of a-z, 0-9 and '-', starting with a letter or digit", c.Name)
	}
	if _, ok := s.idaos[c.Name]; ok {
		return fail(NameTaken, "idao %q exists", c.Name)
	}
	if f := s.roomToFound(sender); f != nil {
		return f
	}
	if err := c.Policy.Validate(); err != nil {
		return fail(BadPolicy, "%v", err)
	}
	members := slices.Clone(c.Members)
	slices.SortFunc(members, cmpAddr)
	if len(slices.Compact(slices.Clone(members))) != len(members) || len(members) == 0 {
		return fail(BadBody, "members must be non-empty and distinct")
	}
	for _, m := range members {
		if _, ok := ctx.Staking.Validator(m); !ok {
			return fail(NotValidator, "member %s is not a registered validator", m)
		}
	}
	// The founder vouches for the pool by being in it: an iDAO cannot be
	// made of validators none of whom asked for it.
	if _, ok := slices.BinarySearchFunc(members, sender, cmpAddr); !ok {
		return fail(NotMember, "the sender must be one of the founding members")
	}
	d := &IDAO{Name: c.Name, Creator: sender, Created: ctx.Height, Policy: c.Policy, Members: members, NextProposal: 1}
	s.idaos[d.Name] = d
	s.draw(ctx, d)
	ctx.Records.Emit(Event{Type: "idao.created", IDAO: d.Name, Detail: fmt.Sprintf("%d members", len(members))})
	return nil
}

func (s *State) liveIDAO(name string) (*IDAO, *Failure) {
	d, ok := s.idaos[name]
	if !ok {
		return nil, fail(UnknownIDAO, "no idao %q", name)
	}
	if d.Dissolved {
		return nil, fail(Dissolved, "idao %q was dissolved", name)
	}
	return d, nil
}

func (s *State) execPropose(ctx Ctx, sender staking.Address, body []byte) *Failure {
	p, err := DecodePropose(body)
	if err != nil {
		return badBody(err)
	}
	d, f := s.liveIDAO(p.IDAO)
	if f != nil {
		return f
	}
	if !d.IsMember(sender) {
		return fail(NotMember, "%s is not a member of %q", sender, d.Name)
	}
	if f := roomToPropose(d, sender, ctx.Height); f != nil {
		return f
	}
	switch p.Action {
	case AddMember:
		if d.IsMember(p.Member) {
			return fail(AlreadyMember, "%s is already a member", p.Member)
		}
		if _, ok := ctx.Staking.Validator(p.Member); !ok {
			return fail(NotValidator, "%s is not a registered validator", p.Member)
		}
		if len(d.Members) >= MaxMembers {
			return fail(BadBody, "idao has the maximum %d members", MaxMembers)
		}
	case RemoveMember:
		if !d.IsMember(p.Member) {
			return fail(NotMember, "%s is not a member", p.Member)
		}
		if len(d.Members) == 1 {
			return fail(LastMember, "cannot remove the last member; dissolve instead")
		}
	case SetPolicy:
		if err := p.Policy.Validate(); err != nil {
			return fail(BadPolicy, "%v", err)
		}
	case Dissolve:
	default:
		return fail(BadBody, "unknown action %d", p.Action)
	}
	prop := &Proposal{ID: d.NextProposal, Action: p.Action, Member: p.Member, Policy: p.Policy,
		Proposer: sender, Expires: ctx.Height + s.params.VotingPeriod, Yes: []staking.Address{sender}}
	d.NextProposal++
	// Expired proposals otherwise stay listed until the rotation ends: with
	// a voting period far shorter than a rotation, members could list more
	// than the state decodes, and stop every node at once.
	d.Proposals = slices.DeleteFunc(d.Proposals, func(q *Proposal) bool { return q.Expires < ctx.Height })
	d.Proposals = append(d.Proposals, prop)
	ctx.Records.Emit(Event{Type: "idao.proposed", IDAO: d.Name, Detail: fmt.Sprintf("proposal %d: %s", prop.ID, prop.Action)})
	s.tally(ctx, d, prop)
	return nil
}

func (s *State) execVote(ctx Ctx, sender staking.Address, body []byte) *Failure {
	v, err := DecodeVote(body)
	if err != nil {
		return badBody(err)
	}
	d, f := s.liveIDAO(v.IDAO)
	if f != nil {
		return f
	}
	if !d.IsMember(sender) {
		return fail(NotMember, "%s is not a member of %q", sender, d.Name)
	}
	i := slices.IndexFunc(d.Proposals, func(p *Proposal) bool { return p.ID == v.Proposal })
	if i < 0 || d.Proposals[i].Expires < ctx.Height {
		return fail(UnknownProposal, "no open proposal %d in %q", v.Proposal, d.Name)
	}
	p := d.Proposals[i]
	if slices.Contains(p.Yes, sender) || slices.Contains(p.No, sender) {
		return fail(AlreadyVoted, "%s already voted on proposal %d", sender, p.ID)
	}
	if v.Yes {
		p.Yes = insertAddr(p.Yes, sender)
	} else {
		p.No = insertAddr(p.No, sender)
	}
	ctx.Records.Emit(Event{Type: "idao.voted", IDAO: d.Name, Detail: fmt.Sprintf("proposal %d: %s yes=%v", p.ID, sender, v.Yes)})
	s.tally(ctx, d, p)
	return nil
}

func insertAddr(as []staking.Address, a staking.Address) []staking.Address {
	i, _ := slices.BinarySearchFunc(as, a, cmpAddr)
	return slices.Insert(as, i, a)
}

// tally enacts p once its yes votes carry more than the policy threshold
// of the members' current bonded stake. Stake is read at tally time, so a
// member who unbonds loses weight at once.
func (s *State) tally(ctx Ctx, d *IDAO, p *Proposal) {
	var yes, total uint64
	for _, m := range d.Members {
		v, ok := ctx.Staking.Validator(m)
		if !ok {
			continue
		}
		total += v.Tokens
		if slices.Contains(p.Yes, m) {
			yes += v.Tokens
		}
	}
	if !d.Policy.Reached(yes, total) {
		return
	}
	d.Proposals = slices.DeleteFunc(d.Proposals, func(q *Proposal) bool { return q.ID == p.ID })
	if p.Action == RemoveMember && (len(d.Members) == 1 || !d.IsMember(p.Member)) {
		// Checked when proposed, but another removal may have passed
		// since: an iDAO with no members could never act again, nor be
		// dissolved.
		ctx.Records.Emit(Event{Type: "idao.refused", IDAO: d.Name, Detail: fmt.Sprintf("proposal %d: %s would leave no members", p.ID, p.Action)})
		return
	}
	if p.Action == AddMember && (d.IsMember(p.Member) || len(d.Members) >= MaxMembers) {
		// Checked when proposed, but another addition may have passed
		// since: a member listed twice would count twice and hold two
		// seats, and past MaxMembers the state no longer decodes.
		ctx.Records.Emit(Event{Type: "idao.refused", IDAO: d.Name, Detail: fmt.Sprintf("proposal %d: %s: a member already, or the iDAO is full", p.ID, p.Action)})
		return
	}
	switch p.Action {
	case AddMember:
		d.Members = insertAddr(d.Members, p.Member)
	case RemoveMember:
		d.Members = slices.DeleteFunc(d.Members, func(a staking.Address) bool { return a == p.Member })
	case SetPolicy:
		d.Policy = p.Policy
	case Dissolve:
		d.Dissolved = true
		d.Proposals = nil
		// Its work ends with it: its last committee could otherwise still
		// certify what was pending, for as long as it waited to expire.
		for _, id := range s.Pending() {
			if s.pending[id] == d.Name {
				if a, ok := ctx.Records.Artifact(id); ok {
					s.expireArtifact(ctx, a, "idao dissolved")
				}
			}
		}
	}
	// A new pool or committee size applies from the next rotation: redrawing
	// now would void the votes the current committee is collecting.
	ctx.Records.Emit(Event{Type: "idao.enacted", IDAO: d.Name, Detail: fmt.Sprintf("proposal %d: %s", p.ID, p.Action)})
}

// ExpireProposals drops proposals whose voting period has passed.
func (s *State) ExpireProposals(height uint64) {
	for _, d := range s.idaos {
		d.Proposals = slices.DeleteFunc(d.Proposals, func(p *Proposal) bool { return p.Expires < height })
	}
}

// Bounds on what members can make the state hold. Transactions carry no
// fee, and the whole iDAO state is encoded with every block that changes
// it: unbounded, a validator's free proposals or iDAOs grew every block's
// cost and, past the decoder's limits, stopped every node at once.
const (
	// MaxIDAOs is the most iDAOs a chain holds, dissolved ones included
	// (their records stay for audits).
	MaxIDAOs = 4096
	// MaxFounded is the most iDAOs one validator may found.
	MaxFounded = 16
	// MaxOpenProposals is the most proposals open in one iDAO, and
	// MaxOpenPerMember the most one member has open there.
	MaxOpenProposals = 64
	MaxOpenPerMember = 4
)

// roomToFound refuses a new iDAO past MaxIDAOs, or past MaxFounded for
// its founder.
func (s *State) roomToFound(founder staking.Address) *Failure {
	if len(s.idaos) >= MaxIDAOs {
		return fail(TooMany, "the chain holds the maximum of %d idaos", MaxIDAOs)
	}
	founded := 0
	for _, d := range s.idaos {
		if d.Creator == founder {
			founded++
		}
	}
	if founded >= MaxFounded {
		return fail(TooMany, "%s has founded %d idaos, the most one validator may", founder, founded)
	}
	return nil
}

// roomToPropose refuses a proposal past MaxOpenProposals in d, or past
// MaxOpenPerMember of its proposer. Proposals past their voting period
// are dropped at rotation ends and when a new one is listed; those still
// listed here count only while open.
func roomToPropose(d *IDAO, proposer staking.Address, height uint64) *Failure {
	open, mine := 0, 0
	for _, p := range d.Proposals {
		if p.Expires < height {
			continue
		}
		open++
		if p.Proposer == proposer {
			mine++
		}
	}
	switch {
	case open >= MaxOpenProposals:
		return fail(TooMany, "idao %q has %d open proposals, the most allowed; vote on them or let them expire", d.Name, open)
	case mine >= MaxOpenPerMember:
		return fail(TooMany, "%s has %d open proposals in %q, the most one member may", proposer, mine, d.Name)
	}
	return nil
}
