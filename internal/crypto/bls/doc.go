// Package bls is the production implementation of crypto.Scheme and
// crypto.Signer: BLS signatures over BLS12-381 using blst, in the "min-pk"
// layout (public keys in G1, 48 bytes compressed; signatures in G2, 96 bytes
// compressed) with the IETF proof-of-possession ciphersuite.
//
// Why this layout: a quorum certificate is verified far more often than it is
// produced, and its cost is dominated by aggregating many public keys plus one
// pairing check. Keeping keys in the smaller, faster group G1 makes that
// aggregation cheap; the larger signatures are paid for once per QC.
//
// What it owns:
//   - key generation (blst.KeyGen from a seed of at least 32 bytes) and the
//     secret key encoding;
//   - public key decoding, which is the one place where decompression, the
//     subgroup check and the identity check happen, so that everything later
//     (aggregation, verification) may trust a PublicKey value;
//   - the two domain separation tags: signatures and proofs of possession
//     use different DSTs, so a signature can never double as a PoP.
//
// What it never does:
//   - it never adds protocol-level domain separation (chain id, epoch, message
//     kind); callers put that into the signed bytes;
//   - it never registers or trusts a key without its proof of possession; that
//     check (VerifyPossession) is the caller's job at validator registration,
//     and it is what makes plain key aggregation safe against rogue keys;
//   - it never deduplicates signers in an aggregate (callers use bitmaps);
//   - it never panics on untrusted bytes: malformed input yields false or an
//     error.
package bls
