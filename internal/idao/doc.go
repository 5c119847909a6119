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
package idao
