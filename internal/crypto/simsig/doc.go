// Package simsig is a fast stand-in for BLS used ONLY by the deterministic
// simulator. It implements crypto.Scheme and crypto.Signer with HMAC-SHA256,
// so simulated networks of hundreds of nodes can run many seeds quickly while
// consensus code runs unchanged against the same interfaces.
//
// Why it is acceptable there: unforgeability of BLS rests on a hardness
// assumption; here it rests on the Registry. Each simulation creates one
// Registry that maps public keys to secrets. Verification looks the secret up
// and recomputes the MAC, so only code holding a Key (the owning simulated
// node) can produce a signature that verifies. Simulated Byzantine nodes are
// given their own Keys and a Scheme, never the Registry's contents or other
// nodes' Keys, so they can equivocate, withhold, replay and tamper, but they
// cannot forge, exactly the adversary BLS lets us assume.
//
// Why it is not acceptable anywhere else: anyone who can verify could also
// sign, since verification needs the secret. It must never be linked into a
// production node; nothing outside the simulator should import it.
//
// Format: every signature, single or aggregate, is 36 bytes, a 32-byte sum
// (mod 2^256) of per-signer MACs followed by a big-endian uint32 count of the
// signers it covers. One size keeps wire formats identical to production
// (SignatureSize is one number, as it is for BLS, where aggregates are the
// same size as signatures). Summation rather than XOR is deliberate: under XOR
// a key listed twice cancels, so an all-zero "aggregate" would verify for any
// key listed twice; a sum needs the MAC. The count is a cheap early check.
//
// Signatures and proofs of possession MAC different domain-tagged inputs, so
// a signature can never serve as a proof of possession, as with the BLS DSTs.
package simsig
