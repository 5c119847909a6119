// Package codec is lazchain's canonical binary encoding: fixed-width
// big-endian integers and length-prefixed byte strings with hard bounds.
//
// Every value has exactly one encoding, so hashes and signatures over encoded
// bytes are well defined. The Reader never trusts a length it reads: each is
// checked against a caller-given maximum and against the bytes that remain,
// before anything is allocated. The package knows no message types; package
// types builds those on top of it.
package codec
