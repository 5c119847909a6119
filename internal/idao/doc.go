// Package idao is the on-chain side of verification quorums (iDAOs). It is
// pure, like package staking: the state machine feeds it transactions and
// block boundaries, and it answers with state changes, records and events.
//
// An iDAO is a named pool of validators (its members) with a policy. Every
// rotation (Params.RotationBlocks blocks) each iDAO draws a verifying
// committee from its members, weighted by their bonded stake, with a seed
// from the beacon. The beacon of a rotation mixes the unique BLS signatures
// that validators make over that rotation's number during the rotation
// before it, RANDAO style: a BLS signature is deterministic, so a signer
// cannot grind it, and the most a signer can do is withhold it (see
// docs/idao.md for the bias bound).
//
// Teams submit artifacts (only the Merkle root and metadata come on-chain);
// committee members verify the bytes off-chain and sign
// (chain, idao, artifact, verdict, result digest, rotation) with BLS. A
// certificate carrying an aggregate of those signatures and a bitmap over
// the committee, with more than the policy's threshold of the committee's
// stake, settles the artifact as Attested(valid or invalid). Exactly one
// certificate is accepted per artifact.
//
// Verification is optimistic: a certificate stands unless someone
// disputes it within the policy's challenge window, staking the policy's
// dispute bond on a claim (wrong verdict, wrong digest, data unavailable)
// and optionally a chunk of the artifact with its Merkle path as
// evidence. The whole current validator set is the escalation committee:
// it re-runs the deterministic verifier and more than two thirds of its
// stake sign a ruling. A ruling for the challenger overturns the verdict,
// slashes and jails the certificate's signers (Params.SlashBps) and pays
// the challenger the bond back plus the reporter reward; a ruling against
// pays the bond to the signers. With no ruling within Params.RulingBlocks
// the dispute expires and the bond comes back. There is one dispute per
// (artifact, claim), ever.
package idao
