package staking

import (
	"bytes"
	"testing"
)

// A registration is bound to its operator: the BLS key and the node key
// both sign (chain, operator, node id, key). A proof of possession copied
// from another's pending or failed registration no longer takes the key,
// nor does a node id taken from the set. Names and addresses are
// printable, and addresses host:port. A refused registration changes
// nothing, and the owner's own then succeeds.
func TestRegistrationIsBoundToItsOperator(t *testing.T) {
	f := newFixture(t, testParams(), 5000, 5000, 5000)
	owner, thief := addr(10), addr(11)
	f.bank.SetBalance(owner, 100_000)
	f.bank.SetBalance(thief, 100_000)
	honest := createValidator(10, 6000, 0) // signed for addr(10)

	mutate := func(edit func(c *CreateValidator)) []byte {
		c := honest
		edit(&c)
		return c.Encode()
	}
	cases := []struct {
		name   string
		sender Address
		body   []byte
		want   Code
	}{
		{"the owner's registration sent by another", thief, honest.Encode(), BadRegistration},
		{"key and proof copied, own node id", thief, mutate(func(c *CreateValidator) {
			c.NodeID = nodeID(11)
			c.NodeSig = nil
		}), BadBody},
		{"key and proof copied, own node id and node signature", thief, func() []byte {
			c := honest
			c.NodeID = nodeID(11)
			c.SignRegistration(testChain, thief, key(11), nodeKey(11)) // wrong BLS key signs
			return c.Encode()
		}(), BadRegistration},
		{"a node id whose key did not sign", owner, mutate(func(c *CreateValidator) {
			c.NodeID = nodeID(12)
		}), BadRegistration},
		{"signed for another chain", owner, func() []byte {
			c := honest
			c.SignRegistration("other-chain", owner, key(10), nodeKey(10))
			return c.Encode()
		}(), BadRegistration},
		{"a name that is not UTF-8", owner, mutate(func(c *CreateValidator) { c.Name = "val\xff" }), BadText},
		{"a name with a control character", owner, mutate(func(c *CreateValidator) { c.Name = "val\n" }), BadText},
		{"no address", owner, mutate(func(c *CreateValidator) { c.NetAddr = "" }), BadText},
		{"an address without a port", owner, mutate(func(c *CreateValidator) { c.NetAddr = "10.0.0.10" }), BadText},
		{"port 0", owner, mutate(func(c *CreateValidator) { c.NetAddr = "10.0.0.10:0" }), BadText},
		{"port past 65535", owner, mutate(func(c *CreateValidator) { c.NetAddr = "10.0.0.10:70000" }), BadText},
		{"no host", owner, mutate(func(c *CreateValidator) { c.NetAddr = ":26656" }), BadText},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.s.Encode()
			err := f.exec(c.sender, KindCreateValidator, c.body)
			if code, _ := codeOf(err); code != c.want {
				t.Fatalf("code %v (%v), want %v", code, err, c.want)
			}
			if !bytes.Equal(before, f.s.Encode()) {
				t.Fatal("a refused registration changed the state")
			}
		})
	}
	if err := f.exec(owner, KindCreateValidator, honest.Encode()); err != nil {
		t.Fatalf("the owner's own registration: %v", err)
	}
}

// edit-validator holds names and addresses to the same rules, and a
// refused edit changes nothing.
func TestEditValidatorChecksText(t *testing.T) {
	f := newFixture(t, testParams(), 5000, 5000)
	for _, e := range []EditValidator{
		{Name: "val\xff", CommissionBps: KeepCommission},
		{NetAddr: "garbage", CommissionBps: KeepCommission},
		{NetAddr: "host:port", CommissionBps: KeepCommission},
	} {
		before := f.s.Encode()
		if code, _ := codeOf(f.exec(addr(1), KindEditValidator, e.Encode())); code != BadText {
			t.Errorf("edit %+v: code %v, want %v", e, code, BadText)
		}
		if !bytes.Equal(before, f.s.Encode()) {
			t.Errorf("refused edit %+v changed the state", e)
		}
	}
	if err := f.exec(addr(1), KindEditValidator, EditValidator{Name: "renamed", NetAddr: "node1.example:26656", CommissionBps: KeepCommission}.Encode()); err != nil {
		t.Fatalf("a good edit: %v", err)
	}
}
