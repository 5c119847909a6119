package config_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/crypto/bls"
)

func TestNodeKeyRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), config.NodeKeyFile)
	k := config.NewNodeKey()
	if err := config.SaveNodeKey(path, k); err != nil {
		t.Fatal(err)
	}
	got, err := config.LoadNodeKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(k) {
		t.Fatal("loaded node key differs from the saved one")
	}
	msg := []byte("hello")
	if !ed25519.Verify(k.Public().(ed25519.PublicKey), msg, ed25519.Sign(got, msg)) {
		t.Fatal("loaded key does not sign for the saved key's public key")
	}
	checkKeyFile(t, path, "ed25519", k.Seed())
}

func TestBLSKeyRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), config.BLSKeyFile)
	k, err := config.NewBLSKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := config.SaveBLSKey(path, k); err != nil {
		t.Fatal(err)
	}
	got, err := config.LoadBLSKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), k.Bytes()) || !bytes.Equal(got.PublicKey().Bytes(), k.PublicKey().Bytes()) {
		t.Fatal("loaded BLS key differs from the saved one")
	}
	if !(bls.Scheme{}).VerifyPossession(k.PublicKey(), got.ProvePossession()) {
		t.Fatal("loaded key's proof of possession does not verify for the saved key")
	}
	checkKeyFile(t, path, "bls12-381", k.Bytes())
}

// checkKeyFile checks the file is private and holds what the format says.
func checkKeyFile(t *testing.T, path, typ string, secret []byte) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("%s has mode %o, want 600", path, perm)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kf struct{ Type, Secret string }
	if err := json.Unmarshal(b, &kf); err != nil {
		t.Fatalf("key file is not JSON: %v", err)
	}
	if kf.Type != typ || kf.Secret != hex.EncodeToString(secret) {
		t.Fatalf("key file holds type %q secret %q", kf.Type, kf.Secret)
	}
}

func TestNewKeysAreDistinct(t *testing.T) {
	if a, b := config.NewNodeKey(), config.NewNodeKey(); a.Equal(b) {
		t.Fatal("two node keys are equal")
	}
	a, err1 := config.NewBLSKey()
	b, err2 := config.NewBLSKey()
	if err1 != nil || err2 != nil || bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("two BLS keys: %v %v equal=%v", err1, err2, err1 == nil && err2 == nil && bytes.Equal(a.Bytes(), b.Bytes()))
	}
}

func TestKeyFilesRejected(t *testing.T) {
	seed32 := strings.Repeat("11", 32)
	tests := []struct {
		name string
		body string
		bls  bool // load as a BLS key, else as a node key
		want string
	}{
		{"node: bls type", `{"type":"bls12-381","secret":"` + seed32 + `"}`, false, "not a key file of type ed25519"},
		{"bls: ed25519 type", `{"type":"ed25519","secret":"` + seed32 + `"}`, true, "not a key file of type bls12-381"},
		{"node: empty type", `{"secret":"` + seed32 + `"}`, false, "not a key file of type ed25519"},
		{"node: type case", `{"type":"ED25519","secret":"` + seed32 + `"}`, false, "not a key file of type ed25519"},
		{"node: not JSON", `ed25519 ` + seed32, false, "not a key file of type ed25519"},
		{"bls: not JSON", `{`, true, "not a key file of type bls12-381"},
		{"node: corrupt hex", `{"type":"ed25519","secret":"zz` + seed32[2:] + `"}`, false, "secret is not hex"},
		{"node: odd hex", `{"type":"ed25519","secret":"` + seed32[1:] + `"}`, false, "secret is not hex"},
		{"bls: corrupt hex", `{"type":"bls12-381","secret":"g` + seed32[1:] + `"}`, true, "secret is not hex"},
		{"node: short seed", `{"type":"ed25519","secret":"` + seed32[:62] + `"}`, false, "seed must be 32 bytes"},
		{"node: long seed (a full private key)", `{"type":"ed25519","secret":"` + strings.Repeat("11", 64) + `"}`, false, "seed must be 32 bytes"},
		{"node: empty secret", `{"type":"ed25519","secret":""}`, false, "seed must be 32 bytes"},
		{"bls: short secret", `{"type":"bls12-381","secret":"` + seed32[:62] + `"}`, true, "got 31 bytes, want 32"},
		{"bls: long secret", `{"type":"bls12-381","secret":"` + seed32 + `00"}`, true, "got 33 bytes, want 32"},
		{"bls: zero scalar", `{"type":"bls12-381","secret":"` + strings.Repeat("00", 32) + `"}`, true, "zero or not below the group order"},
		{"bls: scalar above order", `{"type":"bls12-381","secret":"` + strings.Repeat("ff", 32) + `"}`, true, "zero or not below the group order"},
	}
	dir := t.TempDir()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "key"+string(rune('a'+i))+".json")
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			var err error
			if tc.bls {
				_, err = config.LoadBLSKey(path)
			} else {
				_, err = config.LoadNodeKey(path)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want one naming %s and containing %q", err, path, tc.want)
			}
		})
	}
}

func TestKeyFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.json")
	if _, err := config.LoadNodeKey(path); err == nil || !os.IsNotExist(unwrap(err)) {
		t.Fatalf("node key: %v", err)
	}
	if _, err := config.LoadBLSKey(path); err == nil || !os.IsNotExist(unwrap(err)) {
		t.Fatalf("bls key: %v", err)
	}
}

// unwrap peels wrapping so os.IsNotExist sees the *PathError, as the
// start command does when a full node has no bls_key.json.
func unwrap(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// Saving over an existing file must not leave the key readable by others.
func TestSaveKeyOverExistingFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), config.NodeKeyFile)
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	k := config.NewNodeKey()
	if err := config.SaveNodeKey(path, k); err != nil {
		t.Fatal(err)
	}
	checkKeyFile(t, path, "ed25519", k.Seed())
}

// A key file others can read is refused, with the fix named; 0600 loads.
func TestKeyFileModeChecked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.json")
	if err := config.SaveNodeKey(path, config.NewNodeKey()); err != nil {
		t.Fatal(err)
	}
	if _, err := config.LoadNodeKey(path); err != nil {
		t.Fatalf("a 0600 key: %v", err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := config.LoadNodeKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("mode %#o: %v, want a refusal naming chmod 600", mode, err)
		}
	}
}
