//go:build !linux

package conn

import (
	"errors"
	"os"
)

// splicePipe is Linux's; elsewhere ReadFile is unsupported.
type splicePipe struct{}

func (*splicePipe) close() {}

func (c *Conn) canSplice() bool { return false }

func (c *Conn) splice(*os.File, int64) (int64, error) { return 0, errors.ErrUnsupported }
