//go:build !unix

package fetch

import "os"

// openNonblock opens name read-only.
func openNonblock(name string) (*os.File, error) { return os.Open(name) }
