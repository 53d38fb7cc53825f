package testserver

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
)

// uploadName checks the name a PUT or DELETE writes: no dot segments, no
// hidden names, no control characters, no trailing "/", and none of the
// names Windows reserves for devices (CON, NUL, COM1, ...), so that what a
// test uploads can be copied anywhere.
func uploadName(p string) (string, error) {
	if strings.HasSuffix(p, "/") {
		return "", errors.New("a PUT names a file, not a directory")
	}
	name, ok := rootName(p)
	if !ok || name == "." {
		return "", fmt.Errorf("invalid file name %q", p)
	}
	for seg := range strings.SplitSeq(name, "/") {
		for i := 0; i < len(seg); i++ {
			if c := seg[i]; c < ' ' || c == 0x7f || c == '\\' || c == ':' {
				return "", fmt.Errorf("invalid character %q in file name %q", c, p)
			}
		}
		base := strings.ToUpper(seg)
		if i := strings.IndexByte(base, '.'); i >= 0 {
			base = base[:i]
		}
		switch base {
		case "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
			"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
			return "", fmt.Errorf("reserved file name %q", seg)
		}
		if len(seg) > 255 {
			return "", fmt.Errorf("file name segment of %d bytes is longer than 255", len(seg))
		}
	}
	return name, nil
}

// uploadTarget checks the name a PUT or DELETE names and opens the upload
// directory; it answers the request itself and returns ok=false when it
// cannot go on. The caller closes root.
func (h *handler) uploadTarget(w http.ResponseWriter, r *http.Request) (root *os.Root, name string, ok bool) {
	name, err := uploadName(r.URL.Path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, "", false
	}
	root, err = os.OpenRoot(h.cfg.uploadDir)
	if err != nil {
		http.Error(w, "upload directory unavailable", http.StatusInternalServerError)
		return nil, "", false
	}
	return root, name, true
}

// put stores the request body under the upload directory: into a temporary
// file in the target's directory, renamed over the target only when the
// whole body has arrived, so a cut or oversized upload never leaves a
// partial file under the final name, and of concurrent PUTs one complete
// body wins. It answers 201 for a new file, 200 for a replaced one, 413
// (before reading anything) for a declared length over the cap.
func (h *handler) put(w http.ResponseWriter, r *http.Request) {
	if _, ok := r.Header["Content-Range"]; ok {
		// RFC 9110 §14.5: a server that does not take partial PUTs
		// answers 400, or it would store the part as the whole file.
		closeAfter(w, r)
		http.Error(w, "a PUT with Content-Range (a partial PUT) is not supported: send the whole file", http.StatusBadRequest)
		return
	}
	if r.ContentLength > h.cfg.maxUpload {
		closeAfter(w, r)
		http.Error(w, fmt.Sprintf("body of %d bytes is over the upload limit of %d bytes", r.ContentLength, h.cfg.maxUpload), http.StatusRequestEntityTooLarge)
		return
	}
	root, name, ok := h.uploadTarget(w, r)
	if !ok {
		return
	}
	defer root.Close()
	dir := path.Dir(name)
	up, code, msg := h.createUpload(root, dir, name)
	stored := false
	defer func() {
		if !stored { // a failed upload leaves no directory it made
			h.removeMade(root, up.made)
		}
	}()
	if code != 0 {
		http.Error(w, msg, code)
		return
	}
	f, tmp := up.f, up.tmp
	limit := h.cfg.maxUpload // one byte more tells "over" from "at"
	if limit < math.MaxInt64 {
		limit++
	}
	body := &readErr{r: io.LimitReader(r.Body, limit)}
	n, err := io.Copy(f, body)
	cerr := f.Close()
	switch {
	case body.err != nil:
		root.Remove(tmp)
		http.Error(w, "upload cut short", http.StatusBadRequest)
		return
	case err != nil || cerr != nil: // the server's disk, not the client
		root.Remove(tmp)
		http.Error(w, "cannot write file under "+dir, http.StatusInternalServerError)
		return
	case n > h.cfg.maxUpload:
		root.Remove(tmp)
		closeAfter(w, r)
		http.Error(w, fmt.Sprintf("body is over the upload limit of %d bytes", h.cfg.maxUpload), http.StatusRequestEntityTooLarge)
		return
	}
	if err := root.Rename(tmp, name); err != nil {
		root.Remove(tmp)
		http.Error(w, "cannot store file", http.StatusConflict)
		return
	}
	stored = true
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	status := http.StatusOK
	if up.isNew {
		status = http.StatusCreated
		w.Header().Set("Location", r.URL.EscapedPath())
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "stored %d bytes at /%s\n", n, name)
}

// upload is a PUT's temporary file, made by createUpload.
type upload struct {
	f     *os.File
	tmp   string   // its name under the root
	made  []string // the directories made for it
	isNew bool     // no file had the target's name
}

// createUpload makes the directories of name (in dir) that are missing
// and the temporary file of its upload, under dirMu: with removeMade, a
// failed upload never removes a directory another is about to use. When
// it cannot, it returns the status and message to answer with (and the
// directories it made, for removeMade).
func (h *handler) createUpload(root *os.Root, dir, name string) (up upload, code int, msg string) {
	h.dirMu.Lock()
	defer h.dirMu.Unlock()
	var err error
	if up.made, err = mkdirs(root, dir); err != nil {
		return up, http.StatusForbidden, "cannot create directory " + dir
	}
	fi, statErr := root.Lstat(name)
	if statErr == nil && !fi.Mode().IsRegular() {
		return up, http.StatusConflict, "target exists and is not a regular file"
	}
	up.isNew = errors.Is(statErr, fs.ErrNotExist)
	var rnd [8]byte
	rand.Read(rnd[:])
	up.tmp = path.Join(dir, ".upload-"+hex.EncodeToString(rnd[:])+".part")
	if up.f, err = root.OpenFile(up.tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); err != nil {
		return up, http.StatusForbidden, "cannot create file under " + dir
	}
	return up, 0, ""
}

// removeMade removes the directories a failed upload made, innermost
// first, under dirMu; one another upload has put a file in stays (Remove
// fails on it, as it should).
func (h *handler) removeMade(root *os.Root, made []string) {
	if len(made) == 0 {
		return
	}
	h.dirMu.Lock()
	defer h.dirMu.Unlock()
	for _, d := range slices.Backward(made) {
		root.Remove(d)
	}
}

// mkdirs makes dir and its missing parents under root, and returns the
// ones it made, outermost first.
func mkdirs(root *os.Root, dir string) (made []string, err error) {
	var missing []string
	for d := dir; d != "."; d = path.Dir(d) {
		if _, err := root.Lstat(d); err == nil {
			break
		}
		missing = append(missing, d)
	}
	for _, d := range slices.Backward(missing) {
		if err := root.Mkdir(d, 0o755); err != nil {
			return made, err
		}
		made = append(made, d)
	}
	return made, nil
}

// readErr remembers the error reading r gave, to tell a client's cut
// body from the server's failure to write it.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// del removes a file under the upload directory: 204, or 404 when there is
// none, 409 for a directory.
func (h *handler) del(w http.ResponseWriter, r *http.Request) {
	root, name, ok := h.uploadTarget(w, r)
	if !ok {
		return
	}
	defer root.Close()
	fi, err := root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		http.NotFound(w, r)
		return
	case err != nil:
		http.Error(w, "cannot delete "+name, http.StatusForbidden)
		return
	case !fi.Mode().IsRegular():
		http.Error(w, "not a regular file", http.StatusConflict)
		return
	}
	if err := root.Remove(name); err != nil {
		http.Error(w, "cannot delete "+name, http.StatusForbidden)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// closeAfter asks to close an HTTP/1 connection after a response sent
// without reading the request body. Not on HTTP/2: there Go's server turns
// "Connection: close" into a GOAWAY that can cut the response short for a
// client (curl reports a partial transfer); the unread stream is reset
// on its own.
func closeAfter(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor < 2 {
		w.Header().Set("Connection", "close")
	}
}
