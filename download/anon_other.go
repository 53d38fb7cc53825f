//go:build !linux

package download

import (
	"errors"
	"os"
)

// openAnon returns nil: only Linux has anonymous files (O_TMPFILE) that
// can be linked under a name, so the caller writes NAME.part.
func openAnon(dir *os.File, name string) *os.File { return nil }

func linkAnon(f, dir *os.File, name string) error { return errors.ErrUnsupported }
