package config

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/lazchain/lazchain/internal/crypto/bls"
)

type keyFile struct {
	Type   string `json:"type"`
	Secret string `json:"secret"`
}

// NewNodeKey makes a random ed25519 key.
func NewNodeKey() ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return k
}

// NewBLSKey makes a random BLS key.
func NewBLSKey() (*bls.SecretKey, error) {
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	return bls.GenerateKey(seed)
}

func writeKey(path, typ string, secret []byte) error {
	b, _ := json.MarshalIndent(keyFile{Type: typ, Secret: hex.EncodeToString(secret)}, "", "  ")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	// The mode given to OpenFile applies only to a new file: an existing
	// one keeps its mode, so tighten it before the secret goes in.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readKey(path, typ string) ([]byte, error) {
	// As ssh does: a secret others can read may already be someone else's.
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s can be read by other users (mode %#o): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil || kf.Type != typ {
		return nil, fmt.Errorf("%s: not a key file of type %s", path, typ)
	}
	secret, err := hex.DecodeString(kf.Secret)
	if err != nil {
		return nil, fmt.Errorf("%s: secret is not hex", path)
	}
	return secret, nil
}

// SaveNodeKey writes an ed25519 node key (mode 0600).
func SaveNodeKey(path string, k ed25519.PrivateKey) error {
	return writeKey(path, "ed25519", k.Seed())
}

// LoadNodeKey reads a node key.
func LoadNodeKey(path string) (ed25519.PrivateKey, error) {
	seed, err := readKey(path, "ed25519")
	if err != nil {
		return nil, err
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: ed25519 seed must be %d bytes", path, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// SaveBLSKey writes a BLS secret key (mode 0600).
func SaveBLSKey(path string, k *bls.SecretKey) error {
	return writeKey(path, "bls12-381", k.Bytes())
}

// LoadBLSKey reads a BLS secret key.
func LoadBLSKey(path string) (*bls.SecretKey, error) {
	raw, err := readKey(path, "bls12-381")
	if err != nil {
		return nil, err
	}
	k, err := bls.SecretKeyFromBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}
