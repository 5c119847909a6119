package attestor

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/staking"
)

// testValidators is n validators of equal stake (operator and node id
// i+1, key from seed i+1), the staking state they form and an empty iDAO
// state.
func testValidators(t *testing.T, n int) ([]staking.GenesisValidator, []*bls.SecretKey, *staking.State, *idao.State) {
	t.Helper()
	var vals []staking.GenesisValidator
	var keys []*bls.SecretKey
	for i := 0; i < n; i++ {
		k, err := bls.GenerateKey(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		vals = append(vals, staking.GenesisValidator{Operator: staking.Address{byte(i + 1)}, NodeID: [32]byte{byte(i + 1)},
			BLSKey: k.PublicKey().Bytes(), PoP: k.ProvePossession(), Name: fmt.Sprint("v", i), Stake: 10_000})
	}
	stk, err := staking.Genesis(testChain, staking.DefaultParams(), vals)
	if err != nil {
		t.Fatal(err)
	}
	dao, err := idao.New(testChain, idao.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	return vals, keys, stk, dao
}
