// Package filekind names what a file is when it is not a regular file,
// for the errors that refuse it.
package filekind

import "io/fs"

// Name returns "directory", "named pipe", "socket", "device" or "special
// file" for m's type.
func Name(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
