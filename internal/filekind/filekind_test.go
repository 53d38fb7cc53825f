package filekind_test

import (
	"io/fs"
	"testing"

	"github.com/grabhq/grab/internal/filekind"
)

func TestName(t *testing.T) {
	for m, want := range map[fs.FileMode]string{
		fs.ModeDir: "directory", fs.ModeNamedPipe: "named pipe", fs.ModeSocket: "socket",
		fs.ModeDevice | fs.ModeCharDevice: "device", fs.ModeIrregular: "special file",
	} {
		if got := filekind.Name(m); got != want {
			t.Errorf("Name(%v) = %q, want %q", m, got, want)
		}
	}
}
