package download

import (
	"os"
	"strings"
	"testing"
)

// TestOpenAnonName: a failure writing an anonymous file names the file it
// is for (a full disk said "write : no space left on device").
func TestOpenAnonName(t *testing.T) {
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	f := openAnon(dir, "c.bin")
	if f == nil {
		t.Skip("no O_TMPFILE on this file system")
	}
	f.Close()
	if _, err := f.Write([]byte("x")); err == nil || !strings.Contains(err.Error(), "write c.bin (anonymous): ") {
		t.Errorf("write after close: %v, want it to name c.bin (anonymous)", err)
	}
}
