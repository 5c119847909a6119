package types

// ForgetEncoding drops the encoding a decoded block keeps, so that a test
// can check that encoding its fields gives the same bytes.
func ForgetEncoding(b *Block) { b.raw = nil }
