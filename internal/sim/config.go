package sim

import (
	"fmt"
	"strings"
)

// Behaviour is what a Byzantine validator does.
type Behaviour int

const (
	Equivocator Behaviour = iota // leader sends conflicting proposals
	DoubleVoter                  // votes for everything, twice
	Silent                       // sends nothing
	Garbage                      // sends malformed bytes and bad signatures
	Twins                        // two honest instances share one key
	numBehaviours
)

var behaviourNames = [numBehaviours]string{"equivocator", "double-voter", "silent", "garbage", "twins"}

func (b Behaviour) String() string {
	if b < 0 {
		return "honest"
	}
	return behaviourNames[b]
}

// Faults selects which perturbations a run applies in its fault phase.
type Faults struct {
	Network    bool // delay spread, loss, duplication, reordering
	Partitions bool
	Crashes    bool
}

// Mixes names the fault mixes that --faults accepts.
var Mixes = map[string]Faults{
	"none":      {},
	"net":       {Network: true},
	"partition": {Network: true, Partitions: true},
	"crash":     {Network: true, Crashes: true},
	"all":       {Network: true, Partitions: true, Crashes: true},
}

// ParseFaults turns a mix name into Faults.
func ParseFaults(name string) (Faults, error) {
	f, ok := Mixes[name]
	if !ok {
		names := make([]string, 0, len(Mixes))
		for k := range Mixes {
			names = append(names, k)
		}
		return Faults{}, fmt.Errorf("unknown fault mix %q (want one of %s)", name, strings.Join(sortStrings(names), ", "))
	}
	return f, nil
}

// Config describes one simulation run.
type Config struct {
	Seed       uint64
	Validators int
	// Byzantine is how many validators misbehave; their stakes are cut so
	// that together they hold less than a third.
	Byzantine  int
	Behaviours []Behaviour // assigned round-robin; empty means all kinds
	Faults     Faults
	FaultsName string // for the replay command

	// Rounds is how far the fault phase runs: until an honest validator
	// reaches this round (or the virtual time cap).
	Rounds uint64
	// LivenessRounds bounds how many rounds after the heal the honest
	// validators may take to commit new blocks.
	LivenessRounds uint64

	RealBLS bool // use BLS12-381 instead of the fast stand-in
	// BrokenVoting makes honest validators vote without the lock and
	// two-chain checks: a deliberately unsafe variant the checker must catch.
	BrokenVoting bool

	BaseTimeout uint64 // virtual ms
	MaxTimeout  uint64
	MinDelay    uint64
	MaxDelay    uint64
	DropRate    float64
	DupRate     float64
	// FarDelay is added to every message to or from node 0: one validator
	// far from the others, which are close to each other, as on a WAN.
	// With it above a round's time, node 0's votes always come after a
	// quorum's, and its fetches are answered rounds after they were made.
	FarDelay uint64
}

// withDefaults fills unset fields.
func (c Config) withDefaults() Config {
	if c.Validators == 0 {
		c.Validators = 4
	}
	if c.Rounds == 0 {
		c.Rounds = 60
	}
	if c.LivenessRounds == 0 {
		c.LivenessRounds = 40
	}
	if c.BaseTimeout == 0 {
		c.BaseTimeout = 400
	}
	if c.MaxTimeout == 0 {
		c.MaxTimeout = 8 * c.BaseTimeout
	}
	if c.MaxDelay == 0 {
		c.MinDelay, c.MaxDelay = 5, 60
	}
	if c.Faults.Network && c.DropRate == 0 {
		c.DropRate, c.DupRate = 0.05, 0.05
	}
	if len(c.Behaviours) == 0 {
		for b := Behaviour(0); b < numBehaviours; b++ {
			c.Behaviours = append(c.Behaviours, b)
		}
	}
	if c.FaultsName == "" {
		c.FaultsName = "custom"
	}
	return c
}

// ReplayCommand is the exact command that reruns this configuration.
func (c Config) ReplayCommand() string {
	var bs []string
	for _, b := range c.Behaviours {
		bs = append(bs, b.String())
	}
	cmd := fmt.Sprintf("lazchain sim --seed %d --seeds 1 --validators %d --byzantine %d --behaviours %s --faults %s --rounds %d --liveness-rounds %d",
		c.Seed, c.Validators, c.Byzantine, strings.Join(bs, ","), c.FaultsName, c.Rounds, c.LivenessRounds)
	if c.RealBLS {
		cmd += " --bls"
	}
	if c.BrokenVoting {
		cmd += " --broken-voting"
	}
	if c.FarDelay > 0 {
		cmd += fmt.Sprintf(" --far-delay %d", c.FarDelay)
	}
	return cmd
}

// ParseBehaviours reads a comma-separated list of behaviour names.
func ParseBehaviours(s string) ([]Behaviour, error) {
	if s == "" || s == "all" {
		return nil, nil
	}
	var out []Behaviour
	for _, name := range strings.Split(s, ",") {
		found := false
		for b := Behaviour(0); b < numBehaviours; b++ {
			if behaviourNames[b] == strings.TrimSpace(name) {
				out = append(out, b)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown behaviour %q (want %s)", name, strings.Join(behaviourNames[:], ", "))
		}
	}
	return out, nil
}
