// Package filekind names what a file is: its kind when it is not a
// regular file, for the errors that refuse it, and its media type by its
// extension, for file: URLs and the files grab serve sends.
package filekind

import (
	"io/fs"
	"mime"
	"path"
	"strings"
)

// ContentType returns the media type of the file name by its extension,
// without parameters, or application/octet-stream, as Python's
// mimetypes.guess_type serves it: Go's table adds charset=utf-8 to text
// types, which would override the charset a page's <meta> gives.
func ContentType(name string) string {
	mt, _, _ := strings.Cut(mime.TypeByExtension(path.Ext(name)), ";")
	if mt == "" {
		return "application/octet-stream"
	}
	return mt
}

// Name returns "regular file", "directory", "named pipe", "socket",
// "device" or "special file" for m's type.
func Name(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
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
