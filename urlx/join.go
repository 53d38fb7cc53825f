package urlx

import "strings"

// Join resolves ref against base exactly as CPython 3.11's urljoin does,
// which differs from RFC 3986 and from net/url in ways Python users rely on:
//
//   - an empty base or ref returns the other unchanged, unparsed;
//   - a ref whose scheme differs from base's, or whose scheme is not one
//     CPython resolves relative references for (http, https, ftp, file, ws,
//     ...; not mailto, data or custom schemes), is returned as given;
//   - "http:g" against an http base is relative ("http://a/b/c/g");
//   - empty segments in the middle of the merged path are dropped ("a//b"
//     becomes "a/b"), and ".." never climbs above the root;
//   - an empty query or fragment marker ("?" or "#" alone) is dropped.
//
// The error is the one [Split] gives for base or ref.
func Join(base, ref string) (string, error) { return Options{}.Join(base, ref) }

// Join is [Join] with the options o: o.NoFragments is allow_fragments=False;
// o.Scheme is ignored (urljoin has no scheme argument).
func (o Options) Join(base, ref string) (string, error) {
	if base == "" || ref == "" {
		// The one that is not empty, as it is; but not past MaxLength,
		// which the other case's Parse refuses.
		if s := base + ref; len(s) > MaxLength {
			return "", tooLong("join", s)
		}
		return base + ref, nil
	}
	split := Options{NoFragments: o.NoFragments}
	b, err := split.Parse(base)
	if err != nil {
		return "", err
	}
	split.Scheme = b.Scheme
	r, err := split.Parse(ref)
	if err != nil {
		return "", err
	}
	if r.Scheme != b.Scheme || !usesRelative[r.Scheme] {
		return ref, nil
	}
	if usesNetloc[r.Scheme] {
		if r.Netloc != "" {
			return Unparse(r), nil
		}
		r.Netloc = b.Netloc
	}
	if r.Path == "" && r.Params == "" {
		r.Path, r.Params = b.Path, b.Params
		if r.Query == "" {
			r.Query = b.Query
		}
		return Unparse(r), nil
	}
	r.Path = mergePath(b.Path, r.Path)
	return Unparse(r), nil
}

// mergePath merges a reference path with its base path and removes dot
// segments as CPython's urljoin does, in one pass over the segments and in
// time linear in the length of both paths.
func mergePath(bpath, path string) string {
	full, filter := path, false
	if !strings.HasPrefix(path, "/") {
		// The base's last segment is not a directory and takes no part;
		// a base without "/" takes no part at all. CPython also drops the
		// empty segments between the first and the last of the merged
		// path, which would otherwise give redundant slashes.
		filter = true
		switch i := strings.LastIndexByte(bpath, '/'); {
		case bpath == "":
			full = "/" + path
		case i >= 0:
			full = bpath[:i] + "/" + path
		}
	}
	resolved := make([]string, 0, strings.Count(full, "/")+2)
	var last string
	for i, rest := 0, full; ; i++ {
		seg, tail, more := strings.Cut(rest, "/")
		last = seg
		switch {
		case seg == "" && filter && i > 0 && more:
		case seg == "..":
			if len(resolved) > 0 {
				resolved = resolved[:len(resolved)-1]
			}
		case seg == ".":
		default:
			resolved = append(resolved, seg)
		}
		if !more {
			break
		}
		rest = tail
	}
	if last == "." || last == ".." {
		// A trailing "." or ".." names a directory: keep the trailing slash.
		resolved = append(resolved, "")
	}
	joined := strings.Join(resolved, "/")
	if joined == "" {
		return "/"
	}
	return joined
}
