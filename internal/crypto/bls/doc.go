// Package bls is the production implementation of crypto.Scheme and
// crypto.Signer: BLS signatures over BLS12-381 using blst, in the "min-sig"
// layout (signatures in G1, 48 bytes compressed; public keys in G2, 96 bytes
// compressed) with the IETF proof-of-possession ciphersuite.
//
// Why this layout: in consensus every validator signs a vote each round
// and checks one aggregate of them, so signing is as frequent as checking.
// Signing in G1 (hashing to G1 and one G1 multiplication) costs about 40%
// of signing in G2, and a check costs the same two Miller loops and one
// final exponentiation in either layout. Summing keys in G2 is dearer than
// in G1, but that is microseconds per key, and votes and certificates carry
// the smaller signature. BENCHMARKS.md has the figures.
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
