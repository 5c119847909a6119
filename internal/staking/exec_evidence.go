package staking

import "github.com/lazchain/lazchain/internal/crypto/bls"

// execEvidence punishes a double sign: two signatures by one member of a
// retained epoch's set over different blocks in one round. The reporter is
// paid from the slash, which is what makes reporting worth a transaction.
func (s *State) execEvidence(ctx Ctx, sender Address, body []byte) *Failure {
	e, err := DecodeEvidence(body)
	if err != nil {
		return badBody(err)
	}
	if e.Epoch > s.epoch {
		return fail(BadEvidence, "evidence epoch %d is after the current epoch %d", e.Epoch, s.epoch)
	}
	if s.epoch-e.Epoch > s.params.EvidenceMaxAgeEpochs {
		return fail(ExpiredEvidence, "evidence epoch %d is older than %d epochs before %d", e.Epoch, s.params.EvidenceMaxAgeEpochs, s.epoch)
	}
	set, ok := s.sets[e.Epoch]
	if !ok {
		return fail(BadEvidence, "no set retained for epoch %d", e.Epoch)
	}
	if int64(e.Signer) >= int64(len(set)) {
		return fail(BadEvidence, "signer %d is out of range for epoch %d's %d members", e.Signer, e.Epoch, len(set))
	}
	if e.BlockA == e.BlockB {
		return fail(BadEvidence, "both signatures are for block %x", e.BlockA[:4])
	}
	key := offense{epoch: e.Epoch, round: e.Round, signer: e.Signer}
	if _, done := s.punished[key]; done {
		return fail(DuplicateEvidence, "signer %d was already punished for epoch %d round %d", e.Signer, e.Epoch, e.Round)
	}
	m := set[e.Signer]
	pk, err := bls.Scheme{}.ParsePublicKey(m.BLSKey)
	if err != nil {
		return fail(BadEvidence, "member key: %v", err) // unreachable: keys are checked at registration
	}
	for _, c := range []struct {
		block [32]byte
		sig   []byte
	}{{e.BlockA, e.SigA}, {e.BlockB, e.SigB}} {
		if !(bls.Scheme{}).Verify(pk, e.signingBytes(s.chainID, c.block), c.sig) {
			return fail(BadEvidence, "signature for block %x does not verify against signer %d of epoch %d", c.block[:4], e.Signer, e.Epoch)
		}
	}

	s.punished[key] = struct{}{}
	reporter := sender
	s.Slash(ctx.Bank, ctx.Height, m.Operator, s.params.SlashEquivocationBps, true, &reporter)
	return nil
}
