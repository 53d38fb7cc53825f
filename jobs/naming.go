package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// maxSegment caps one path segment of a file name, in bytes.
const maxSegment = 200

// fileName returns the local name, relative to the download directory,
// of the file for rawURL under naming ("path", "basename" or "hash").
// The result is always a local path (filepath.IsLocal): no "..", no
// absolute path, no empty or hidden segments, only safe bytes.
func fileName(naming, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "x-" + shortHash(rawURL, 16)
	}
	ext := path.Ext(u.Path)
	if ext != "" {
		ext = "." + safeSegment(ext[1:])
	}
	if len(ext) > 12 {
		ext = ""
	}
	switch naming {
	case "hash":
		return shortHash(rawURL, 32) + ext
	case "basename":
		return withQuery(basename(u), u)
	}
	var segs []string
	host := safeSegment(strings.ReplaceAll(u.Host, ":", "_"))
	if host == "" {
		host = "host"
	}
	segs = append(segs, host)
	parts := strings.Split(u.EscapedPath(), "/")
	for i, p := range parts {
		if s, err := url.PathUnescape(p); err == nil {
			p = s
		}
		if p == "" || p == "." || p == ".." {
			if i == len(parts)-1 && len(segs) > 0 {
				segs = append(segs, "index")
			}
			continue
		}
		segs = append(segs, safeSegment(p))
	}
	if len(segs) == 1 {
		segs = append(segs, "index")
	}
	segs[len(segs)-1] = withQuery(segs[len(segs)-1], u)
	return filepath.Join(segs...)
}

// basename returns the last path segment of u, made safe, or "index".
func basename(u *url.URL) string {
	p := u.Path
	b := path.Base(p)
	if b == "/" || b == "." || b == ".." || b == "" || strings.HasSuffix(p, "/") {
		return "index"
	}
	return safeSegment(b)
}

// withQuery adds a hash of u's query to name, before its extension, so
// that URLs differing by query get different files.
func withQuery(name string, u *url.URL) string {
	if u.RawQuery == "" {
		return name
	}
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "_" + shortHash(u.RawQuery, 8) + ext
}

// withHash adds a short hash of rawURL to name, before its extension.
func withHash(name, rawURL string) string {
	dir, file := filepath.Split(name)
	ext := path.Ext(file)
	return dir + strings.TrimSuffix(file, ext) + "-" + shortHash(rawURL, 8) + ext
}

// safeSegment maps a path segment to a safe file name: letters, digits
// and "._-+=,@~" kept, everything else "_", no leading dot (a hidden
// file) or dash (an option to the rm or tar a shell's * hands it to, as
// SafeName has it: HOSTILE.md L3), at most maxSegment bytes (longer ones
// cut, with a hash of the whole).
func safeSegment(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			strings.ContainsRune("._-+=,@~", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if strings.HasPrefix(out, ".") || strings.HasPrefix(out, "-") {
		out = "_" + out[1:]
	}
	if len(out) > maxSegment {
		out = out[:maxSegment-9] + "-" + shortHash(s, 8)
	}
	return out
}

func shortHash(s string, n int) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:n]
}
