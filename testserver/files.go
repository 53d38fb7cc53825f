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
	"sync"
	"syscall"

	"github.com/grabhq/grab/internal/filekind"
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

// liveRoot holds the served directory open (an os.Root) across requests
// while its path still names that directory: one stat a request instead
// of an open, a stat and a close. Removed or replaced by another directory,
// it is opened again, so the server follows the path, as Python's
// http.server does. A root let go is closed when the last request using
// it is done.
type liveRoot struct {
	path string
	mu   sync.Mutex
	cur  *heldRoot // nil until the first open; kept while the path names nothing
}

// A heldRoot is an open root, the FileInfo of the directory it holds (taken
// through it, so the two always agree), and its users: the requests
// holding it, and liveRoot while it is current.
type heldRoot struct {
	*os.Root
	fi   fs.FileInfo
	refs int
}

// get returns the root the path names now, held for the caller until it
// calls put.
func (l *liveRoot) get() (*heldRoot, error) {
	fi, err := os.Stat(l.path)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// While a root is open its directory cannot be freed, so an inode
	// number the path shows again is that directory's, not a new one's.
	if l.cur != nil && os.SameFile(fi, l.cur.fi) {
		l.cur.refs++
		return l.cur, nil
	}
	root, err := os.OpenRoot(l.path)
	if err != nil {
		return nil, err
	}
	if fi, err = root.Stat("."); err != nil {
		root.Close()
		return nil, err
	}
	if l.cur != nil {
		l.release(l.cur)
	}
	l.cur = &heldRoot{Root: root, fi: fi, refs: 2}
	return l.cur, nil
}

// put ends the caller's hold on h.
func (l *liveRoot) put(h *heldRoot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.release(h)
}

func (l *liveRoot) release(h *heldRoot) {
	if h.refs--; h.refs == 0 {
		h.Close()
	}
}

// serveFile serves the file or directory under the root that r names, as
// SimpleHTTPRequestHandler does, and reports whether it answered; it does
// not answer for a name that does not exist, so httpbin can. Hidden names
// (a segment starting with "."), symlinks out of the root, and anything
// that is not a regular file or a directory are refused with 404. With
// onlyFound, it answers only for an entry found: it leaves those refusals
// and a root it cannot open to the caller's other handler.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, onlyFound bool) bool {
	held, err := h.files.get()
	if err != nil {
		if onlyFound {
			return false
		}
		http.Error(w, "file root unavailable", http.StatusInternalServerError)
		return true
	}
	defer h.files.put(held)
	root := held.Root
	name, ok := rootName(r.URL.Path)
	if !ok {
		if onlyFound {
			return false
		}
		http.NotFound(w, r)
		return true
	}
	fi, err := root.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist), err != nil && onlyFound:
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
		for _, base := range []string{"index.html", "index.htm"} { // as Python's http.server
			index := path.Join(name, base)
			if ifi, err := root.Stat(index); err == nil && ifi.Mode().IsRegular() {
				h.serveRegular(w, r, root, index, ifi)
				return true
			}
		}
		h.listDir(w, r, root, name)
	case fi.Mode().IsRegular() && strings.HasSuffix(r.URL.Path, "/"):
		http.NotFound(w, r) // "a.txt/" names no file, as in Python's
	case fi.Mode().IsRegular():
		h.serveRegular(w, r, root, name, fi)
	default: // sockets, FIFOs, devices
		http.NotFound(w, r)
	}
	return true
}

func (h *handler) serveRegular(w http.ResponseWriter, r *http.Request, root *os.Root, name string, fi fs.FileInfo) {
	// O_NONBLOCK, which a regular file ignores, spares os.File's four
	// fcntl calls (to try the poller and back); and should the name have
	// become a FIFO since the Stat, the open does not wait for a writer.
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	hd := w.Header()
	hd.Set("ETag", `"`+strconv.FormatInt(fi.ModTime().UnixNano(), 16)+"-"+strconv.FormatInt(fi.Size(), 16)+`"`)
	// The type by extension, else application/octet-stream, as
	// SimpleHTTPRequestHandler's guess_type: no guess from the content
	// (which ServeContent would read for), and no charset (Go's table
	// says utf-8 for text types; the file may be in any, which a page's
	// <meta charset> then tells).
	hd.Set("Content-Type", filekind.ContentType(name))
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
