package fetch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/grabhq/grab/internal/redact"
)

// Progress is called as Retrieve writes: done bytes so far of total
// (-1 when the length is unknown). It is called once before the first byte.
type Progress func(done, total int64)

// Retrieve copies target to the file filename with the installed Opener,
// as urllib's urlretrieve: see Opener.Retrieve.
func Retrieve(ctx context.Context, target any, filename string, progress Progress) (string, http.Header, error) {
	return current().Retrieve(ctx, target, filename, progress)
}

// Retrieve copies target to filename, as urlretrieve does, and returns the
// file's name and the response headers. An empty filename means a new
// temporary file, which the caller removes. The body is written to a
// temporary file beside filename and renamed over it only when complete, so
// a failure (a truncated body, a timeout, a full disk) never leaves a
// partial file under the final name, nor changes an existing one. A
// final status outside 2xx is an *HTTPError, as from Open.
func (o *Opener) Retrieve(ctx context.Context, target any, filename string, progress Progress) (string, http.Header, error) {
	resp, err := o.Open(ctx, target)
	if err != nil {
		return "", nil, err
	}
	defer resp.Close()
	if filename == "" {
		f, err := os.CreateTemp("", "grab-retrieve-*")
		if err != nil {
			return "", nil, err
		}
		filename = f.Name()
		f.Close()
	}
	dir := filepath.Dir(filename)
	tmp, err := createTemp(dir, filepath.Base(filename))
	if err != nil {
		return "", nil, err
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var w io.Writer = tmp
	if progress != nil {
		progress(0, resp.ContentLength)
		w = &progressWriter{w: tmp, total: resp.ContentLength, f: progress}
	}
	if _, err := io.Copy(w, resp); err != nil {
		return "", nil, fmt.Errorf("fetch: retrieve %s: %w", redact.String(resp.URL), err)
	}
	if err := tmp.Sync(); err != nil {
		return "", nil, err
	}
	if err := tmp.Close(); err != nil {
		return "", nil, err
	}
	if err := os.Rename(tmp.Name(), filename); err != nil {
		return "", nil, err
	}
	keep = true
	return filename, resp.Header, nil
}

// createTemp creates a new file next to the target, with the permissions a
// plain create would give (0666 less the umask), never following a link.
func createTemp(dir, base string) (*os.File, error) {
	for range 10 {
		var r [6]byte
		rand.Read(r[:])
		name := filepath.Join(dir, "."+base+"."+hex.EncodeToString(r[:])+".part")
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, os.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("fetch: cannot create a temporary file in %s", dir)
}

type progressWriter struct {
	w     io.Writer
	done  int64
	total int64
	f     Progress
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	p.f(p.done, p.total)
	return n, err
}
