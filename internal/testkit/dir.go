package testkit

import (
	"os"
	"testing"
)

// DirNames returns the names in dir, sorted (as os.ReadDir gives them),
// failing the test when dir cannot be read.
func DirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
