package testserver

import (
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

// maxListing is how many entries one page of a directory listing shows;
// ?page=N shows the others.
const maxListing = 1000

// rootName turns a request path into a name under the root: "." for the
// root itself, "a/b" for "/a/b/". ok is false for a name no file may have:
// a dot segment, a hidden (dot) name, a NUL byte.
func rootName(p string) (name string, ok bool) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", false
	}
	name = strings.Trim(p, "/")
	if name == "" {
		return ".", true
	}
	for seg := range strings.SplitSeq(name, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	return name, true
}

// serveFile serves the file or directory under the root that r names, as
// SimpleHTTPRequestHandler does, and reports whether it answered; it does
// not answer for a name that does not exist, so httpbin can. Hidden names
// (a segment starting with "."), symlinks out of the root, and anything
// that is not a regular file or a directory are refused with 404.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request) bool {
	root, err := os.OpenRoot(h.cfg.root)
	if err != nil {
		http.Error(w, "file root unavailable", http.StatusInternalServerError)
		return true
	}
	defer root.Close()
	name, ok := rootName(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return true
	}
	fi, err := root.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false
	case err != nil:
		// Escapes through symlinks and other refusals of os.Root.
		http.NotFound(w, r)
		return true
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed on files", http.StatusMethodNotAllowed)
		return true
	}
	switch {
	case fi.IsDir():
		if !strings.HasSuffix(r.URL.Path, "/") {
			u := *r.URL
			u.Path += "/"
			u.RawPath = ""
			http.Redirect(w, r, u.RequestURI(), http.StatusMovedPermanently)
			return true
		}
		index := path.Join(name, "index.html")
		if ifi, err := root.Stat(index); err == nil && ifi.Mode().IsRegular() {
			h.serveRegular(w, r, root, index, ifi)
			return true
		}
		h.listDir(w, r, root, name)
	case fi.Mode().IsRegular():
		h.serveRegular(w, r, root, name, fi)
	default: // sockets, FIFOs, devices
		http.NotFound(w, r)
	}
	return true
}

func (h *handler) serveRegular(w http.ResponseWriter, r *http.Request, root *os.Root, name string, fi fs.FileInfo) {
	f, err := root.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.ModTime().UnixNano(), fi.Size()))
	// ServeContent handles HEAD, Range (ignoring overlapping ranges that
	// add up to more than the file), If-Range, If-None-Match and
	// If-Modified-Since.
	http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
}

// listDir writes an HTML listing of the directory name, as
// SimpleHTTPRequestHandler's list_directory does: names sorted, escaped for
// HTML, percent-encoded in links, directories with a trailing "/", hidden
// names left out; maxListing entries a page.
func (h *handler) listDir(w http.ResponseWriter, r *http.Request, root *os.Root, name string) {
	d, err := root.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		http.Error(w, "cannot list directory", http.StatusInternalServerError)
		return
	}
	entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return strings.HasPrefix(e.Name(), ".") })
	slices.SortFunc(entries, func(a, b os.DirEntry) int {
		return strings.Compare(strings.ToLower(a.Name()), strings.ToLower(b.Name()))
	})
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pages := max(1, (len(entries)+maxListing-1)/maxListing)
	page = min(max(page, 1), pages)
	shown := entries[min((page-1)*maxListing, len(entries)):min(page*maxListing, len(entries))]

	title := "Directory listing for " + html.EscapeString(strings.ToValidUTF8(r.URL.Path, "\uFFFD"))
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n</head>\n<body>\n<h1>%s</h1>\n<hr>\n<ul>\n", title, title)
	for _, e := range shown {
		n := e.Name()
		display := n
		if e.IsDir() || e.Type()&fs.ModeSymlink != 0 {
			if e.IsDir() {
				display += "/"
				n += "/"
			} else {
				display += "@"
			}
		}
		href := "./" + url.PathEscape(strings.TrimSuffix(n, "/"))
		if strings.HasSuffix(n, "/") {
			href += "/"
		}
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(href), html.EscapeString(strings.ToValidUTF8(display, "\uFFFD")))
	}
	b.WriteString("</ul>\n<hr>\n")
	if pages > 1 {
		fmt.Fprintf(&b, "<p>Page %d of %d (%d entries).", page, pages, len(entries))
		if page > 1 {
			fmt.Fprintf(&b, " <a href=\"?page=%d\">previous</a>", page-1)
		}
		if page < pages {
			fmt.Fprintf(&b, " <a href=\"?page=%d\">next</a>", page+1)
		}
		b.WriteString("</p>\n")
	}
	b.WriteString("</body>\n</html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	if r.Method == http.MethodHead {
		return
	}
	w.Write([]byte(b.String()))
}
