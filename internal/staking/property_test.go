package staking

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// Property: random sequences of every operation keep the supply exact,
// never underflow, keep every invariant check() knows, leave the state
// untouched when a transaction fails, and survive Decode(Encode).
// A failure names its seed; rerun one with -run 'TestPropertyRandomOps/seed=N$'.
func TestPropertyRandomOps(t *testing.T) {
	seeds, ops := 200, 300
	if testing.Short() {
		seeds = 20
	}
	var st propStats
	for seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runRandomOps(t, uint64(seed), ops, &st)
		})
	}
	// The walk must reach the paths it claims to test.
	for op := range 7 {
		if st.ok[op] == 0 {
			t.Errorf("op %d never succeeded (failed %d times)", op, st.failed[op])
		}
	}
	if st.epochs == 0 || st.jailed == 0 {
		t.Errorf("walk crossed %d epochs and saw %d jailed validators", st.epochs, st.jailed)
	}
	t.Logf("ok %v failed %v epochs %d jailed %d", st.ok, st.failed, st.epochs, st.jailed)
}

// propStats counts what the random walk did, over all seeds.
type propStats struct {
	ok, failed     [12]int
	epochs, jailed int
}

// randomParams keeps epochs and unbonding short so few ops cross many.
func randomParams(r *rand.Rand) Params {
	p := DefaultParams()
	p.EpochLength = 3 + r.Uint64N(5)
	p.MaxValidators = 1 + r.IntN(5)
	p.EpochReward = r.Uint64N(5000)
	p.SlashDowntimeBps = uint32(r.IntN(2000))
	p.DowntimeMinSignedBps = uint32(r.IntN(6000))
	p.ReporterRewardBps = uint32(r.IntN(MaxBps + 1))
	p.JailEpochs = r.Uint64N(3)
	p.EvidenceMaxAgeEpochs = r.Uint64N(3)
	p.UnbondingBlocks = (p.EvidenceMaxAgeEpochs+1)*p.EpochLength + r.Uint64N(12)
	return p
}

const propAccounts = 16 // addr(1..16); addr(1..12) have BLS keys

func runRandomOps(t *testing.T, seed uint64, n int, st *propStats) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	p := randomParams(r)
	stakes := make([]uint64, 1+r.IntN(min(3, p.MaxValidators)))
	for i := range stakes {
		stakes[i] = p.MinStake + r.Uint64N(10_000)
	}
	f := newFixture(t, p, stakes...)
	for step := range n {
		op := r.IntN(12)
		before := f.snap()
		epoch := f.s.Epoch()
		err := randomOp(f, r, op)
		st.epochs += int(f.s.Epoch() - epoch)
		if err == nil {
			st.ok[op]++
		} else {
			st.failed[op]++
			if _, ok := codeOf(err); !ok {
				t.Fatalf("step %d op %d: error is not a *Failure: %v", step, op, err)
			}
			if uerr := f.unchanged(before); uerr != nil {
				t.Fatalf("step %d op %d failed with %v but %v", step, op, err, uerr)
			}
		}
		f.checkSupply()
		for _, v := range f.s.validators {
			if v.Jailed {
				st.jailed++
			}
		}
		if step%25 == 0 || step == n-1 {
			enc := f.s.Encode()
			s2, derr := Decode(enc)
			if derr != nil {
				t.Fatalf("step %d: decode: %v", step, derr)
			}
			if !bytes.Equal(s2.Encode(), enc) {
				t.Fatalf("step %d: Decode(Encode) encodes differently", step)
			}
		}
	}
}

// randomOp performs one random operation; only transactions return errors.
func randomOp(f *fixture, r *rand.Rand, op int) error {
	acct := addr(1 + r.IntN(propAccounts))
	val := randomValidator(f, r)
	bal := f.bank.Balance(acct)
	switch op {
	case 0:
		to := addr(1 + r.IntN(propAccounts))
		return f.exec(acct, KindTransfer, Transfer{To: to, Amount: around(r, bal)}.Encode())
	case 1:
		i := 1 + r.IntN(12)
		return f.exec(addr(i), KindCreateValidator, createBody(i, around(r, f.bank.Balance(addr(i))), uint32(r.IntN(MaxBps+500))))
	case 2:
		return f.exec(acct, KindEditValidator, EditValidator{Name: "e", CommissionBps: uint32(r.IntN(MaxBps + 500))}.Encode())
	case 3:
		return f.exec(acct, KindDelegate, Delegate{Validator: val, Amount: around(r, bal)}.Encode())
	case 4:
		var worth uint64
		for _, d := range f.s.DelegationsOf(acct) {
			if d.Validator == val {
				worth = d.Tokens
			}
		}
		return f.exec(acct, KindUndelegate, Undelegate{Validator: val, Amount: around(r, worth)}.Encode())
	case 5:
		return f.exec(acct, KindWithdraw, Withdraw{}.Encode())
	case 6:
		return f.exec(acct, KindUnjail, Unjail{}.Encode())
	case 7:
		// An evidence-like slash through the generic hook.
		var rep *Address
		if r.IntN(2) == 0 {
			rep = &acct
		}
		bps := uint32(r.IntN(1000))
		if r.IntN(10) == 0 {
			bps = uint32(r.IntN(MaxBps + 1))
		}
		f.s.Slash(f.bank, 0, val, bps, r.IntN(2) == 0, rep)
	default:
		// Commit one to a few blocks with random liveness.
		for range 1 + r.IntN(3) {
			m := len(f.s.Active())
			var signers []int
			for i := range m {
				if r.IntN(4) != 0 {
					signers = append(signers, i)
				}
			}
			f.commit(uint32(r.IntN(m+1)), signers)
		}
	}
	return nil
}

// randomValidator picks an existing validator, or now and then an unknown one.
func randomValidator(f *fixture, r *rand.Rand) Address {
	vals := f.s.Validators()
	if len(vals) == 0 || r.IntN(10) == 0 {
		return addr(1 + r.IntN(propAccounts))
	}
	return vals[r.IntN(len(vals))].Operator
}

// around returns an amount near x: often within it, sometimes above it,
// sometimes zero, so both success and failure paths are taken.
func around(r *rand.Rand, x uint64) uint64 {
	switch r.IntN(8) {
	case 0:
		return 0
	case 1:
		return x
	case 2:
		return x + 1 + r.Uint64N(100)
	}
	return r.Uint64N(x/2 + 1)
}
