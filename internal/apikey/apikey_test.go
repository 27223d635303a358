package apikey

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEnsureCreatesOnceThenReads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, created, err := Ensure(dir)
	if err != nil || !created {
		t.Fatalf("first Ensure: created=%v err=%v, want a new key", created, err)
	}
	if len(k1.Value()) != 43 {
		t.Errorf("key length: got %d, want 43 (32 bytes, URL-safe base64)", len(k1.Value()))
	}
	info, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode: got %o, want 600", got)
	}
	dinfo, _ := os.Stat(dir)
	if got := dinfo.Mode().Perm(); got != 0o700 {
		t.Errorf("data directory mode: got %o, want 700", got)
	}
	k2, created, err := Ensure(dir)
	if err != nil || created {
		t.Fatalf("second Ensure: created=%v err=%v, want the same key read back", created, err)
	}
	if k2.Value() != k1.Value() {
		t.Errorf("key changed across starts")
	}
	if !k2.Matches(k1.Value()) || k2.Matches(k1.Value()+"x") || k2.Matches("") {
		t.Errorf("Matches accepts the wrong keys or refuses the right one")
	}
}

func TestEnsureRefusesEmptyFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName), []byte("\n"), 0o600)
	if _, _, err := Ensure(dir); err == nil {
		t.Fatal("empty key file accepted")
	}
}

func TestEmptyKeyMatchesNothing(t *testing.T) {
	if (Key{}).Matches("") {
		t.Fatal("an empty key matched an empty secret")
	}
}
