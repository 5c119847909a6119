package staking

import (
	"math"
	"testing"
)

// Every failure code, reached through every kind that can produce it. Each
// case starts from genesis validators addr(1) (5000) and addr(2) (3000);
// after the failure the state's encoding and the bank must be unchanged.
func TestExecFailures(t *testing.T) {
	alice, bob, nobody := addr(10), addr(11), addr(99)
	v1, v2 := addr(1), addr(2)
	garbage := []byte{BodyVersion, 1, 2, 3}
	cases := []struct {
		name   string
		setup  func(f *fixture)
		sender Address
		kind   uint16
		body   func(f *fixture) []byte
		height uint64 // 0: the fixture's height
		want   Code
	}{
		// BadBody
		{name: "unknown kind", sender: alice, kind: 99, body: static(Withdraw{}.Encode()), want: BadBody},
		{name: "transfer garbage", sender: alice, kind: KindTransfer, body: static(garbage), want: BadBody},
		{name: "transfer trailing byte", sender: alice, kind: KindTransfer, body: static(append(Transfer{To: bob, Amount: 1}.Encode(), 0)), want: BadBody},
		{name: "transfer bad version", sender: alice, kind: KindTransfer, body: static(append([]byte{2}, Transfer{To: bob, Amount: 1}.Encode()[1:]...)), want: BadBody},
		{name: "create garbage", sender: alice, kind: KindCreateValidator, body: static(garbage), want: BadBody},
		{name: "create short key", sender: alice, kind: KindCreateValidator, body: static(CreateValidator{BLSKey: make([]byte, BLSKeySize-1), PoP: make([]byte, PoPSize), SelfBond: 2000}.Encode()), want: BadBody},
		{name: "create long name", sender: alice, kind: KindCreateValidator, body: static(CreateValidator{BLSKey: make([]byte, BLSKeySize), PoP: make([]byte, PoPSize), Name: string(make([]byte, 65)), SelfBond: 2000}.Encode()), want: BadBody},
		{name: "edit garbage", sender: v1, kind: KindEditValidator, body: static(garbage), want: BadBody},
		{name: "edit long net addr", sender: v1, kind: KindEditValidator, body: static(EditValidator{NetAddr: string(make([]byte, 129))}.Encode()), want: BadBody},
		{name: "delegate garbage", sender: alice, kind: KindDelegate, body: static(garbage), want: BadBody},
		{name: "undelegate garbage", sender: alice, kind: KindUndelegate, body: static(garbage), want: BadBody},
		{name: "withdraw trailing", sender: alice, kind: KindWithdraw, body: static([]byte{BodyVersion, 0}), want: BadBody},
		{name: "withdraw empty", sender: alice, kind: KindWithdraw, body: static(nil), want: BadBody},
		{name: "unjail trailing", sender: v1, kind: KindUnjail, body: static([]byte{BodyVersion, 0}), want: BadBody},
		{name: "evidence garbage", sender: alice, kind: KindEvidence, body: static(garbage), want: BadBody},
		{name: "evidence kind 3", sender: alice, kind: KindEvidence, body: func(*fixture) []byte {
			e := equivocation(1, EvidenceVote, 0, 1, 0)
			e.Kind = 3
			return e.Encode()
		}, want: BadBody},
		{name: "evidence short sig", sender: alice, kind: KindEvidence, body: func(*fixture) []byte {
			e := equivocation(1, EvidenceVote, 0, 1, 0)
			e.SigB = e.SigB[:len(e.SigB)-1]
			return e.Encode()
		}, want: BadBody},

		// InsufficientFunds
		{name: "transfer over balance", sender: alice, kind: KindTransfer, body: static(Transfer{To: bob, Amount: 100_001}.Encode()), want: InsufficientFunds},
		{name: "transfer from empty account", sender: nobody, kind: KindTransfer, body: static(Transfer{To: bob, Amount: 1}.Encode()), want: InsufficientFunds},
		{name: "create over balance", sender: addr(3), kind: KindCreateValidator, body: static(createBody(3, 100_001, 0)), want: InsufficientFunds},
		{name: "delegate over balance", sender: alice, kind: KindDelegate, body: static(Delegate{Validator: v1, Amount: 100_001}.Encode()), want: InsufficientFunds},

		// BadPoP
		{name: "create with another key's pop", sender: addr(3), kind: KindCreateValidator, body: func(*fixture) []byte {
			c, _ := DecodeCreateValidator(createBody(3, 2000, 0))
			c.PoP = pop(4)
			return c.Encode()
		}, want: BadPoP},
		{name: "create with a plain signature as pop", sender: addr(3), kind: KindCreateValidator, body: func(*fixture) []byte {
			c, _ := DecodeCreateValidator(createBody(3, 2000, 0))
			c.PoP = key(3).Sign(pubKey(3))
			return c.Encode()
		}, want: BadPoP},
		{name: "create with a key not on the curve", sender: addr(3), kind: KindCreateValidator, body: func(*fixture) []byte {
			c, _ := DecodeCreateValidator(createBody(3, 2000, 0))
			c.BLSKey = make([]byte, BLSKeySize)
			c.BLSKey[0] = 0xFF
			return c.Encode()
		}, want: BadPoP},

		// DuplicateKey
		{name: "create with a used bls key", sender: addr(3), kind: KindCreateValidator, body: func(*fixture) []byte {
			c, _ := DecodeCreateValidator(createBody(1, 2000, 0))
			c.NodeID = nodeID(3)
			return c.Encode()
		}, want: DuplicateKey},
		{name: "create with a used node id", sender: addr(3), kind: KindCreateValidator, body: func(*fixture) []byte {
			c, _ := DecodeCreateValidator(createBody(3, 2000, 0))
			c.NodeID = nodeID(2)
			return c.Encode()
		}, want: DuplicateKey},

		// AlreadyValidator
		{name: "create twice", sender: v1, kind: KindCreateValidator, body: static(createBody(5, 2000, 0)), want: AlreadyValidator},

		// UnknownValidator
		{name: "delegate to unknown", sender: alice, kind: KindDelegate, body: static(Delegate{Validator: nobody, Amount: 10}.Encode()), want: UnknownValidator},
		{name: "undelegate from unknown", sender: alice, kind: KindUndelegate, body: static(Undelegate{Validator: nobody, Amount: 10}.Encode()), want: UnknownValidator},

		// BadCommission
		{name: "create commission 10001", sender: addr(3), kind: KindCreateValidator, body: static(createBody(3, 2000, 10_001)), want: BadCommission},
		{name: "edit commission 10001", sender: v1, kind: KindEditValidator, body: static(EditValidator{CommissionBps: 10_001}.Encode()), want: BadCommission},

		// BelowMinStake
		{name: "create below min stake", sender: addr(3), kind: KindCreateValidator, body: static(createBody(3, 999, 0)), want: BelowMinStake},
		{name: "unjail below min stake", setup: func(f *fixture) {
			f.s.Slash(nil, 0, v2, 10_000, true, nil) // tokens 0
			f.endEpoch()
			f.endEpoch()
		}, sender: v2, kind: KindUnjail, body: static(Unjail{}.Encode()), want: BelowMinStake},

		// InsufficientShares
		{name: "undelegate more than delegated", setup: func(f *fixture) {
			f.mustExec(alice, KindDelegate, Delegate{Validator: v1, Amount: 1000}.Encode())
		}, sender: alice, kind: KindUndelegate, body: static(Undelegate{Validator: v1, Amount: 1001}.Encode()), want: InsufficientShares},
		{name: "undelegate without delegation", sender: alice, kind: KindUndelegate, body: static(Undelegate{Validator: v1, Amount: 1}.Encode()), want: InsufficientShares},
		{name: "undelegate more than the validator holds", sender: v2, kind: KindUndelegate, body: static(Undelegate{Validator: v2, Amount: 3001}.Encode()), want: InsufficientShares},
		{name: "undelegate more than slashed shares are worth", setup: func(f *fixture) {
			f.mustExec(alice, KindDelegate, Delegate{Validator: v1, Amount: 1000}.Encode())
			f.s.Slash(nil, 0, v1, 1000, false, nil) // 10%: alice's 1000 shares are worth 900
		}, sender: alice, kind: KindUndelegate, body: static(Undelegate{Validator: v1, Amount: 901}.Encode()), want: InsufficientShares},

		// NothingToWithdraw
		{name: "withdraw with no entries", sender: alice, kind: KindWithdraw, body: static(Withdraw{}.Encode()), want: NothingToWithdraw},
		{name: "withdraw before maturity", setup: func(f *fixture) {
			f.mustExec(v1, KindUndelegate, Undelegate{Validator: v1, Amount: 100}.Encode())
		}, sender: v1, kind: KindWithdraw, body: static(Withdraw{}.Encode()), height: 20, want: NothingToWithdraw},

		// NotJailed, StillJailed, NotOperator
		{name: "unjail when not jailed", sender: v1, kind: KindUnjail, body: static(Unjail{}.Encode()), want: NotJailed},
		{name: "unjail too early", setup: func(f *fixture) {
			f.s.Slash(nil, 0, v2, 0, true, nil) // jailed until epoch 2
			f.endEpoch()
		}, sender: v2, kind: KindUnjail, body: static(Unjail{}.Encode()), want: StillJailed},
		{name: "unjail by non-operator", sender: alice, kind: KindUnjail, body: static(Unjail{}.Encode()), want: NotOperator},
		{name: "edit by non-operator", sender: alice, kind: KindEditValidator, body: static(EditValidator{Name: "x", CommissionBps: KeepCommission}.Encode()), want: NotOperator},

		// BadEvidence
		{name: "evidence from the future", sender: alice, kind: KindEvidence, body: static(equivocation(1, EvidenceVote, 1, 1, 0).Encode()), want: BadEvidence},
		{name: "evidence signer out of range", sender: alice, kind: KindEvidence, body: static(equivocation(1, EvidenceVote, 0, 1, 2).Encode()), want: BadEvidence},
		{name: "evidence for one block", sender: alice, kind: KindEvidence, body: func(*fixture) []byte {
			e := equivocation(1, EvidenceVote, 0, 1, 0)
			e.BlockB, e.SigB = e.BlockA, e.SigA
			return e.Encode()
		}, want: BadEvidence},
		{name: "evidence signed by another key", sender: alice, kind: KindEvidence, body: static(equivocation(2, EvidenceVote, 0, 1, 0).Encode()), want: BadEvidence},
		{name: "evidence with one forged sig", sender: alice, kind: KindEvidence, body: func(*fixture) []byte {
			e := equivocation(1, EvidenceVote, 0, 1, 0)
			e.SigB = sign(2, EvidenceVote, 0, 1, e.BlockB)
			return e.Encode()
		}, want: BadEvidence},
		{name: "vote sigs presented as proposal evidence", sender: alice, kind: KindEvidence, body: func(*fixture) []byte {
			e := equivocation(1, EvidenceVote, 0, 1, 0)
			e.Kind = EvidenceProposal
			return e.Encode()
		}, want: BadEvidence},
		{name: "evidence for another round", sender: alice, kind: KindEvidence, body: func(*fixture) []byte {
			e := equivocation(1, EvidenceVote, 0, 1, 0)
			e.Round = 2
			return e.Encode()
		}, want: BadEvidence},

		// DuplicateEvidence
		{name: "evidence twice", setup: func(f *fixture) {
			f.mustExec(alice, KindEvidence, equivocation(1, EvidenceVote, 0, 1, 0).Encode())
		}, sender: bob, kind: KindEvidence, body: static(equivocation(1, EvidenceProposal, 0, 1, 0).Encode()), want: DuplicateEvidence},

		// ExpiredEvidence
		{name: "evidence past the window", setup: func(f *fixture) {
			for range 3 {
				f.endEpoch()
			}
		}, sender: alice, kind: KindEvidence, body: static(equivocation(1, EvidenceVote, 0, 1, 0).Encode()), want: ExpiredEvidence},

		// Overflow
		{name: "transfer to a full account", setup: func(f *fixture) {
			f.bank.SetBalance(bob, math.MaxUint64)
		}, sender: alice, kind: KindTransfer, body: static(Transfer{To: bob, Amount: 1}.Encode()), want: Overflow},
		{name: "delegate past 64 bits of tokens", setup: func(f *fixture) {
			f.bank.SetBalance(bob, math.MaxUint64-5000)
			f.mustExec(bob, KindDelegate, Delegate{Validator: v1, Amount: math.MaxUint64 - 5000}.Encode())
		}, sender: alice, kind: KindDelegate, body: static(Delegate{Validator: v1, Amount: 1}.Encode()), want: Overflow},
		{name: "undelegate at the last height", sender: v1, kind: KindUndelegate, body: static(Undelegate{Validator: v1, Amount: 1}.Encode()), height: math.MaxUint64 - 5, want: Overflow},
		{name: "withdraw into a full account", setup: func(f *fixture) {
			f.mustExec(v1, KindUndelegate, Undelegate{Validator: v1, Amount: 100}.Encode())
			f.bank.SetBalance(v1, math.MaxUint64-99)
		}, sender: v1, kind: KindWithdraw, body: static(Withdraw{}.Encode()), height: 100, want: Overflow},

		// ZeroAmount
		{name: "transfer 0", sender: alice, kind: KindTransfer, body: static(Transfer{To: bob}.Encode()), want: ZeroAmount},
		{name: "delegate 0", sender: alice, kind: KindDelegate, body: static(Delegate{Validator: v1}.Encode()), want: ZeroAmount},
		{name: "undelegate 0", sender: v1, kind: KindUndelegate, body: static(Undelegate{Validator: v1}.Encode()), want: ZeroAmount},
		{name: "delegate too little for a share", setup: func(f *fixture) {
			// Undelegation rounds shares up, so a share can come to be
			// worth more than a token; two tokens per share here.
			v := f.s.validators[v2]
			v.Tokens = 2 * v.Shares
		}, sender: alice, kind: KindDelegate, body: static(Delegate{Validator: v2, Amount: 1}.Encode()), want: ZeroAmount},

		// Insolvent
		{name: "delegate to a validator slashed to zero", setup: func(f *fixture) {
			f.s.Slash(nil, 0, v2, 10_000, false, nil)
		}, sender: alice, kind: KindDelegate, body: static(Delegate{Validator: v2, Amount: 100}.Encode()), want: Insolvent},
	}
	seen := map[Code]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, testParams(), 5000, 3000)
			if c.setup != nil {
				c.setup(f)
			}
			if c.height != 0 {
				f.height = c.height
			}
			body := c.body(f)
			before := f.snap()
			err := f.exec(c.sender, c.kind, body)
			got, ok := codeOf(err)
			if !ok || got != c.want {
				t.Fatalf("got %v, want code %v", err, c.want)
			}
			if err := f.unchanged(before); err != nil {
				t.Fatalf("failed tx (%v): %v", got, err)
			}
			seen[got] = true
		})
	}
	for c := BadBody; c <= Insolvent; c++ {
		if !seen[c] {
			t.Errorf("no case produces %v", c)
		}
	}
}

func static(b []byte) func(*fixture) []byte { return func(*fixture) []byte { return b } }

func TestCodeStrings(t *testing.T) {
	names := map[string]Code{}
	for c := BadBody; c <= Insolvent; c++ {
		s := c.String()
		if prev, dup := names[s]; dup {
			t.Errorf("%d and %d share the name %q", prev, c, s)
		}
		names[s] = c
	}
	if got := Code(200).String(); got != "code 200" {
		t.Errorf("unknown code: %q", got)
	}
	if BadBody < 16 {
		t.Error("staking codes must not overlap the state machine's 0-15")
	}
}
